// Linear: a = z.
#ifndef ACTIVATION_IMPL_H
#define ACTIVATION_IMPL_H

#define ACTIVATION_IS_SOFTMAX 0

static inline value_t activation(value_t z) { return z; }

static inline value_t activation_derivative(value_t z, value_t a) {
    (void) z;
    (void) a;
    return VALUE_ONE;
}

#endif  // ACTIVATION_IMPL_H
