// Sigmoid: a = 1 / (1 + exp(-z)); f'(z) = a (1 - a).
#ifndef ACTIVATION_IMPL_H
#define ACTIVATION_IMPL_H

#define ACTIVATION_IS_SOFTMAX 0
#define ACTIVATION_IS_SIGMOID 1     // binary cross-entropy needs it

static inline value_t activation(value_t z) {
    return value_sigmoid(z);
}

static inline value_t activation_derivative(value_t z, value_t a) {
    (void) z;
    return value_mul(a, value_sub(VALUE_ONE, a));
}

#endif  // ACTIVATION_IMPL_H
