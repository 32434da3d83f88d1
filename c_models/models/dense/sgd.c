// Stochastic gradient descent at a batch end, as PyTorch defines it: with
// g the batch's mean gradient, v = momentum * v + g and w -= rate * v
// (without momentum, w -= rate * g). Gradients then start again from zero.
#include "dense_layer.h"

void sgd_update(uint32_t batch_size) {
    value_t rate = layer.run.learning_rate;
    value_t momentum = layer.run.momentum;
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
