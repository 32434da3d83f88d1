// The forward pass of a dense slice: each arriving activation is stored by
// the FIQ handler and multiplied into the weighted sums as soon as the core
// gets to it (weight-stationary, like a synaptic row per spike); when the
// last one is in, the activation function runs. A
// softmax population first agrees on its normaliser: every core sends its
// local maximum and exp-sum to every core of the population, and each
// combines them in core order, so all cores get the same result.
#include "dense_layer.h"

static value_t largest(const value_t *values, uint32_t n) {
    value_t max = values[0];
    for (uint32_t i = 1; i < n; i++) {
        if (values[i] > max) {
            max = values[i];
        }
    }
    return max;
}

void forward_arrive(const key_entry_t *entry, uint32_t key, value_t value) {
    key_fields_t fields = key_fields(entry, key);
    if (fields.slot >= layer.params.n_slots) {
        layer.status->protocol_errors++;
        return;
    }
    slot_t *state = &layer.slots[fields.slot];
    if (state->step >= layer.run.n_steps || state->forward_done) {
        layer.status->protocol_errors++;
        return;
    }
    // Several projections from one population share its keys.
    for (const key_entry_t *e = entry; e < layer.keys
            + layer.params.n_key_entries && e->key == entry->key; e++) {
        const incoming_projection_t *projection = &layer.incoming[e->index];
        uint32_t pre = fields.core * e->core_size + fields.index;
        if (pre >= projection->n_pre
                || state->forward_arrived == layer.params.n_inputs) {
            layer.status->protocol_errors++;
            continue;
        }
        uint32_t input = projection->input_offset + pre;
        slot_inputs(fields.slot)[input] = value;
        slot_arrivals(fields.slot)[state->forward_arrived++] =
                (uint16_t) input;
    }
}

void forward_accumulate(uint32_t slot, uint32_t input) {
    value_t x = slot_inputs(slot)[input];
    if (x != VALUE_ZERO) {
        const value_t *row = weight_row(layer.weights, input);
        value_t *z = slot_z(slot);
        for (uint32_t j = 0; j < layer.params.n_neurons; j++) {
            z[j] += value_mul(row[j], x);
        }
    }
    if (++layer.slots[slot].forward_received < layer.params.n_inputs) {
        return;
    }

    value_t *z = slot_z(slot), *a = slot_a(slot);
    const value_t *bias = layer_bias();
    for (uint32_t j = 0; j < layer.params.n_neurons; j++) {
        z[j] += bias[j];
    }
    if (!ACTIVATION_IS_SOFTMAX) {
        for (uint32_t j = 0; j < layer.params.n_neurons; j++) {
            a[j] = activation(z[j]);
        }
        forward_finished(slot, VALUE_ZERO);
        return;
    }
    value_t max = largest(z, layer.params.n_neurons);
    value_t sum = VALUE_ZERO;
    for (uint32_t j = 0; j < layer.params.n_neurons; j++) {
        sum += activation(z[j] - max);
    }
    uint32_t base = layer.params.softmax_key | (slot << 1);
    send_value(base, max);
    send_value(base | 1, sum);
}

void softmax_receive(uint32_t slot, uint32_t core, uint32_t index,
        value_t value) {
    if (core >= layer.params.softmax_cores || index > 1) {
        layer.status->protocol_errors++;
        return;
    }
    (index == 0 ? slot_softmax_max(slot) : slot_softmax_sum(slot))[core] =
            value;
    slot_t *state = &layer.slots[slot];
    if (++state->softmax_received < 2 * layer.params.softmax_cores) {
        return;
    }

    const value_t *maxima = slot_softmax_max(slot);
    const value_t *sums = slot_softmax_sum(slot);
    value_t max = largest(maxima, layer.params.softmax_cores);
    value_t sum = VALUE_ZERO;
    for (uint32_t c = 0; c < layer.params.softmax_cores; c++) {
        sum += value_mul(sums[c], value_exp(maxima[c] - max));
    }
    const value_t *z = slot_z(slot);
    value_t *a = slot_a(slot);
    for (uint32_t j = 0; j < layer.params.n_neurons; j++) {
        a[j] = value_div(activation(z[j] - max), sum);
    }
    forward_finished(slot, max + value_log(sum));
}
