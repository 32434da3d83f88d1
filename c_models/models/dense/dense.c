// The dense kind: all-to-all projections, each core holding the weights
// from every pre neuron to its own neurons (weight-stationary, like a
// synaptic row per spike). Its weight region is
// W of each dense projection in turn (n_pre rows of n_neurons), then the
// biases of the core's neurons.
//
// Backward, per pre neuron of a trained projection, ONE packet goes back
// carrying this core's share of its error, sum_j W[i][j] * delta_j, so a
// projection costs n_pre x (post cores) packets per sample and no core ever
// holds a copy of another's weights.
#include "kind.h"

static inline weight_t *weight_row(weight_t *region,
        const incoming_t *projection, uint32_t pre) {
    return region + projection->weight_offset
            + pre * core.params.n_neurons;
}

static inline weight_t *bias_of(weight_t *region) {
    return region + layer.params.n_weights - core.params.n_neurons;
}

void kind_initialise(const void *params) {
    (void) params;
}

void kind_reset_slot(uint32_t slot) {
    (void) slot;
}

void kind_accumulate(uint32_t slot, const incoming_t *projection,
        uint32_t input, value_t x) {
    if (x == VALUE_ZERO) {
        return;
    }
    // n in a local: the stores to z might otherwise alias core.params,
    // which the compiler would then read again at every neuron.
    uint32_t n = core.params.n_neurons;
    cost_count(COST_FORWARD, n);
    value_t *z = slot_z(slot);
    const weight_t *row = weight_row(layer.weights, projection,
            input - projection->input_offset);
    for (uint32_t j = 0; j < n; j++) {
        z[j] = value_add(z[j], value_weighted(row[j], x));
    }
}

void kind_finish_sums(uint32_t slot, value_t *z) {
    (void) slot;
    const weight_t *bias = bias_of(layer.weights);
    for (uint32_t j = 0; j < core.params.n_neurons; j++) {
        z[j] = value_add(z[j], value_from_weight(bias[j]));
    }
}

void kind_send_partials(const backward_target_t *target, uint32_t slot,
        const value_t *delta) {
    const incoming_t *projection = &layer.incoming[target->projection];
    uint32_t n = core.params.n_neurons;
    uint32_t base = partials_key(target, slot);
    cost_count(COST_PARTIALS, target->n_pre * n);
    for (uint32_t i = 0; i < target->n_pre; i++) {
        const weight_t *row = weight_row(layer.weights, projection,
                target->pre_start + i);
        value_sum_t partial = VALUE_SUM_ZERO;
        for (uint32_t j = 0; j < n; j++) {
            partial = value_sum_weighted(partial, row[j], delta[j]);
        }
        layer_send(slot, base | (target->index_offset + i),
                value_to_payload(value_from_sum(partial)));
    }
}

void kind_add_gradients(uint32_t slot, const value_t *delta) {
    uint32_t n = core.params.n_neurons;
    const value_t *inputs = slot_inputs(slot);
    for (uint32_t p = 0; p < layer.params.n_incoming; p++) {
        const incoming_t *projection = &layer.incoming[p];
        if (projection->type != PROJECTION_DENSE) {
            continue;
        }
        for (uint32_t i = 0; i < projection->n_inputs; i++) {
            value_t x = inputs[projection->input_offset + i];
            if (x == VALUE_ZERO) {
                continue;
            }
            cost_count(COST_GRADIENTS, n);
            weight_t *row = weight_row(layer.gradient, projection, i);
            for (uint32_t j = 0; j < n; j++) {
                row[j] = weight_add(row[j], weight_product(x, delta[j]));
            }
        }
    }
    weight_t *bias = bias_of(layer.gradient);
    for (uint32_t j = 0; j < n; j++) {
        bias[j] = weight_add(bias[j], weight_from_value(delta[j]));
    }
}
