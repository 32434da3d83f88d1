// The loss at an output population: each core compares its neurons with
// the sample's targets (from its SDRAM), turns the loss into deltas for the
// backward pass and records its share of the loss, its largest output and
// where that is (the host adds shares and picks the winner over cores).
#include "layer.h"

void output_loss(uint32_t slot, const value_t *log_norms, uint32_t group) {
    uint32_t step = layer.slots[slot].step;
    uint32_t n = core.params.n_neurons;
    uint32_t size = core.params.population_size;
    const value_t *y = layer.targets + layer.order[step] * n;
    const value_t *z = slot_z(slot), *a = slot_a(slot);
    value_t *delta = slot_error(slot);
    value_t loss = VALUE_ZERO;
    uint32_t best = 0;
    // Keras: a shaped softmax has a softmax at each position, the mean of
    // their losses. Each position's loss is divided (and rounded) on its
    // own before it is added, so the sum over cores does not depend on
    // how the positions are split over them.
    bool shaped = ACTIVATION_IS_SOFTMAX && layer.params.softmax_group;
    value_t positions = shaped ? value_from_uint(size / group) : VALUE_ONE;
    cost_count(COST_LOSS, n);
    for (uint32_t first = 0; first < n; first += group) {
        value_t position_loss = VALUE_ZERO;
        for (uint32_t j = first; j < first + group; j++) {
            position_loss = value_add(position_loss, loss_term(z[j], a[j],
                    y[j], log_norms[j / group], size));
            delta[j] = loss_delta(z[j], a[j], y[j], size);
            if (a[j] > a[best]) {
                best = j;
            }
        }
        loss = value_add(loss, shaped ? value_div(position_loss, positions)
                : position_loss);
    }
    if (shaped) {
        for (uint32_t j = 0; j < n; j++) {
            delta[j] = value_div(delta[j], positions);
        }
    }
    layer.metrics[step] = (metrics_record_t) {
        .loss = loss, .max_output = a[best],
        .argmax = core.params.slice_start + best};
    if (core.run.record_outputs) {
        value_t *out = layer.outputs + step * n;
        for (uint32_t j = 0; j < n; j++) {
            out[j] = a[j];
        }
    }
}
