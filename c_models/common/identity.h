// One-to-one shortcuts (OneToOneConnector) into a dense or convolution
// population: the pre neuron at a neuron's own position adds its value
// with weight 1 and gets that neuron's delta back as its partial error.
// Nothing is trained. Its inputs are stored in the order of the core's own
// neurons, so an input's place is the neuron it feeds.
#ifndef IDENTITY_H
#define IDENTITY_H

#include "layer.h"

static inline void identity_accumulate(const incoming_t *projection,
        uint32_t input, value_t *z, value_t x) {
    z[input - projection->input_offset] += x;
}

//! Partial errors to one block of pre neurons: their own deltas.
static inline void identity_send_partials(const backward_target_t *target,
        uint32_t slot, const value_t *delta) {
    const value_t *own = delta + (target->pre_start - core.params.slice_start);
    uint32_t base = target->key | (slot << target->slot_shift);
    for (uint32_t i = 0; i < target->n_pre; i++) {
        core_send(base | (target->index_offset + i), value_to_payload(own[i]));
    }
}

#endif  // IDENTITY_H
