// The loss at an output population: each core compares its neurons with
// the sample's targets (from its SDRAM), turns the loss into deltas for the
// backward pass and records its share of the loss, its largest output and
// where that is (the host adds shares and picks the winner over cores).
#include "dense_layer.h"

void output_loss(uint32_t slot, value_t log_norm) {
    uint32_t step = layer.slots[slot].step;
    uint32_t n = layer.params.n_neurons;
    const value_t *y = layer.targets + layer.order[step] * n;
    const value_t *z = slot_z(slot), *a = slot_a(slot);
    value_t *delta = slot_error(slot);
    value_t loss = VALUE_ZERO;
    uint32_t best = 0;
    for (uint32_t j = 0; j < n; j++) {
        loss += loss_term(z[j], a[j], y[j], log_norm,
                layer.params.population_size);
        delta[j] = loss_delta(z[j], a[j], y[j], layer.params.population_size);
        if (a[j] > a[best]) {
            best = j;
        }
    }
    layer.metrics[step] = (metrics_record_t) {
        .loss = loss, .max_output = a[best],
        .argmax = layer.params.slice_start + best};
    if (layer.run.record_outputs) {
        value_t *out = layer.outputs + step * n;
        for (uint32_t j = 0; j < n; j++) {
            out[j] = a[j];
        }
    }
}
