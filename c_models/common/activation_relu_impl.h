// ReLU: a = max(0, z); the derivative at 0 is 0, as in PyTorch and Keras.
#ifndef ACTIVATION_IMPL_H
#define ACTIVATION_IMPL_H

#define ACTIVATION_IS_SOFTMAX 0

static inline value_t activation(value_t z) {
    return z > VALUE_ZERO ? z : VALUE_ZERO;
}

static inline value_t activation_derivative(value_t z, value_t a) {
    (void) a;
    return z > VALUE_ZERO ? VALUE_ONE : VALUE_ZERO;
}

#endif  // ACTIVATION_IMPL_H
