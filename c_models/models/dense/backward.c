// The backward pass of a dense slice. Partial error sums arrive from the
// cores of every population this one feeds; when all are in, the deltas
// are error * f'(z). Then, per pre neuron of every incoming projection from
// a trained population, ONE packet goes back carrying this core's share of
// its error, sum_j W[i][j] * delta_j, so a projection costs n_pre x (post
// cores) packets per sample and no core ever holds a copy of another's
// weights. Last come the weight gradients, input * delta, summed over the
// batch, and at a batch end the update.
#include "dense_layer.h"
#include "schedule.h"

void backward_receive(uint32_t slot, uint32_t index, value_t partial) {
    slot_t *state = &layer.slots[slot];
    if (index >= layer.params.n_neurons
            || state->backward_received == layer.params.backward_expected) {
        layer.status->protocol_errors++;
        return;
    }
    slot_error(slot)[index] += partial;
    if (++state->backward_received < layer.params.backward_expected) {
        return;
    }
    value_t *error = slot_error(slot);
    const value_t *z = slot_z(slot), *a = slot_a(slot);
    for (uint32_t j = 0; j < layer.params.n_neurons; j++) {
        error[j] = value_mul(error[j], activation_derivative(z[j], a[j]));
    }
    backpropagate(slot);
}

static void send_partial_errors(uint32_t slot, const value_t *delta) {
    uint32_t n = layer.params.n_neurons;
    for (uint32_t t = 0; t < layer.params.n_backward_targets; t++) {
        const backward_target_t *target = &layer.backward[t];
        const incoming_projection_t *projection =
                &layer.incoming[target->projection];
        uint32_t base = target->key | (slot << target->slot_shift);
        for (uint32_t i = 0; i < target->n_pre; i++) {
            const value_t *row = weight_row(layer.weights,
                    projection->input_offset + target->pre_start + i);
            value_t partial = VALUE_ZERO;
            for (uint32_t j = 0; j < n; j++) {
                partial += value_mul(row[j], delta[j]);
            }
            send_value(base | i, partial);
        }
    }
}

static void accumulate_gradients(uint32_t slot, const value_t *delta) {
    uint32_t n = layer.params.n_neurons;
    const value_t *inputs = slot_inputs(slot);
    for (uint32_t input = 0; input < layer.params.n_inputs; input++) {
        value_t x = inputs[input];
        if (x == VALUE_ZERO) {
            continue;
        }
        value_t *row = weight_row(layer.gradient, input);
        for (uint32_t j = 0; j < n; j++) {
            row[j] += value_mul(x, delta[j]);
        }
    }
    value_t *bias = weight_row(layer.gradient, layer.params.n_inputs);
    for (uint32_t j = 0; j < n; j++) {
        bias[j] += delta[j];
    }
}

void backpropagate(uint32_t slot) {
    const value_t *delta = slot_error(slot);
    // The partial errors use the weights this sample went forward with, so
    // they go before the update that may follow.
    send_partial_errors(slot, delta);
    accumulate_gradients(slot, delta);
    // Samples of a batch may finish here in any order, but no sample of the
    // next batch starts before this one is done everywhere.
    uint32_t batch_size = batch_size_at(&layer.run, layer.slots[slot].step);
    if (++layer.batch_done == batch_size) {
        sgd_update(batch_size);
        layer.batch_done = 0;
    }
    step_finished(slot);
}
