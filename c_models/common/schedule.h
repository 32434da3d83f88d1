// The run's sequence: step q of a run visits sample order[q]. An epoch is
// n_samples steps; batches never straddle an epoch, so its last batch may
// be short, as with Keras and PyTorch data loaders.
#ifndef SCHEDULE_H
#define SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "regions.h"

static inline uint32_t step_position(const run_params_t *run, uint32_t step) {
    return step % run->n_samples;
}

static inline bool step_starts_batch(const run_params_t *run, uint32_t step) {
    return step_position(run, step) % run->batch_size == 0;
}

//! Samples in the batch that `step` belongs to.
static inline uint32_t batch_size_at(const run_params_t *run, uint32_t step) {
    uint32_t first = step_position(run, step);
    first -= first % run->batch_size;
    uint32_t left = run->n_samples - first;
    return left < run->batch_size ? left : run->batch_size;
}

#endif  // SCHEDULE_H
