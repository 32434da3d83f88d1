// Softmax: a_i = exp(z_i - m) / sum_j exp(z_j - m) over the whole
// population, m its largest z. The cores of the population exchange their
// local maxima and sums (layer.c); activation() is the unnormalised
// numerator. At an output it is built with cross-entropy, whose delta
// p - y needs no derivative; a hidden one's deltas need every neuron's
// error (layer.c), so its derivative is never called.
#ifndef ACTIVATION_IMPL_H
#define ACTIVATION_IMPL_H

#define ACTIVATION_IS_SOFTMAX 1

static inline value_t activation(value_t z_minus_max) {
    return value_exp(z_minus_max);
}

static inline value_t activation_derivative(value_t z, value_t a) {
    (void) z;
    (void) a;
    return VALUE_ONE;
}

#endif  // ACTIVATION_IMPL_H
