// Batch ends. The step is stochastic gradient descent as PyTorch defines
// it: with g the batch's mean gradient, v = momentum * v + g and
// w -= rate * v (without momentum, w -= rate * g); gradients then start
// again from zero.
//
// A population whose cores hold the same weights (a convolution's kernels)
// first sums its cores' gradients, in a fixed order so that every core gets
// the same bits: core 0 sends its gradients to core 1, which adds its own
// to them and sends the sum on, and the last core sends the total to all
// the others. Every core then takes the same step, so the weights stay
// identical everywhere. The batch's last sample is acknowledged only after
// the step, so the next batch cannot start before it.
#include "layer.h"

static uint32_t batch_size;
static bool batch_ended = false;  // this core's share is complete
static bool sums_in = false;      // the reduced region holds a full sum
static bool waiting_total = false;

static void sgd(void) {
    value_t rate = core.run.learning_rate;
    value_t momentum = core.run.momentum;
    value_t samples = value_from_uint(batch_size);
    value_t *w = layer.weights, *v = layer.velocity, *g = layer.gradient;
    for (uint32_t k = 0; k < layer.params.n_weights; k++) {
        value_t step = value_div(g[k], samples);
        if (momentum != VALUE_ZERO) {
            v[k] = value_mul(momentum, v[k]) + step;
            step = v[k];
        }
        w[k] -= value_mul(rate, step);
        g[k] = VALUE_ZERO;
    }
}

static void send_gradients(uint32_t key) {
    for (uint32_t k = 0; k < layer.params.n_weights; k++) {
        core_send(key | k, value_to_payload(layer.gradient[k]));
    }
}

//! Takes the received sums (with the FIQ handler's count reset for the
//! next ones, which cannot come before this core sends its own).
static void take_sums(bool add) {
    value_t *g = layer.gradient;
    const value_t *received = layer.reduced;
    for (uint32_t k = 0; k < layer.params.n_weights; k++) {
        g[k] = add ? received[k] + g[k] : received[k];
    }
    sums_in = false;
    layer.reduce_received = 0;
}

//! Moves the reduction on as far as what has arrived allows.
static void advance(void) {
    uint32_t index = layer.params.core_index;
    uint32_t last = layer.params.shared_cores - 1;
    if (!batch_ended) {
        return;
    }
    if (!waiting_total) {
        if (index > 0) {
            if (!sums_in) {
                return;
            }
            take_sums(true);
        }
        if (index < last) {
            send_gradients(layer.params.reduce_key);
            waiting_total = true;
            return;
        }
        send_gradients(layer.params.total_key);
    } else {
        if (!sums_in) {
            return;
        }
        take_sums(false);
        waiting_total = false;
    }
    batch_ended = false;
    sgd();
    layer_release_held();
}

void update_batch_end(uint32_t samples) {
    batch_size = samples;
    if (layer.params.shared_cores <= 1) {
        sgd();
        layer_release_held();
        return;
    }
    batch_ended = true;
    advance();
}

void update_reduce_done(void) {
    sums_in = true;
    advance();
}
