// Categorical cross-entropy after a softmax: L = -sum_i y_i log p_i with
// log p_i = z_i - log_norm, so dL/dz_i = p_i - y_i.
#ifndef LOSS_IMPL_H
#define LOSS_IMPL_H

#define LOSS_AT_OUTPUT 1

#if !ACTIVATION_IS_SOFTMAX
#error "cross-entropy is built only with the softmax activation"
#endif

static inline value_t loss_term(value_t z, value_t a, value_t y,
        value_t log_norm, uint32_t n) {
    (void) a;
    (void) n;
    if (y == VALUE_ZERO) {
        return VALUE_ZERO;
    }
    return value_mul(y, value_sub(log_norm, z));
}

static inline value_t loss_delta(value_t z, value_t a, value_t y,
        uint32_t n) {
    (void) z;
    (void) n;
    return value_sub(a, y);
}

#endif  // LOSS_IMPL_H
