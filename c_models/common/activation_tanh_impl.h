// Tanh: a = tanh(z); f'(z) = 1 - a^2.
#ifndef ACTIVATION_IMPL_H
#define ACTIVATION_IMPL_H

#define ACTIVATION_IS_SOFTMAX 0

static inline value_t activation(value_t z) { return value_tanh(z); }

static inline value_t activation_derivative(value_t z, value_t a) {
    (void) z;
    return value_sub(VALUE_ONE, value_mul(a, a));
}

#endif  // ACTIVATION_IMPL_H
