// Mean absolute error, averaged over the output units as Keras defines it:
// L = sum_i |a_i - y_i| / n, so dL/dz_i = sign(a_i - y_i) / n * f'(z_i),
// with sign(0) = 0 as PyTorch's L1Loss takes it.
#ifndef LOSS_IMPL_H
#define LOSS_IMPL_H

#define LOSS_AT_OUTPUT 1

static inline value_t loss_term(value_t z, value_t a, value_t y,
        value_t log_norm, uint32_t n) {
    (void) z;
    (void) log_norm;
    value_t diff = value_sub(a, y);
    return value_div(diff < VALUE_ZERO ? value_sub(VALUE_ZERO, diff) : diff,
            value_from_uint(n));
}

static inline value_t loss_delta(value_t z, value_t a, value_t y,
        uint32_t n) {
    if (a == y) {
        return VALUE_ZERO;
    }
    value_t sign = a > y ? VALUE_ONE : value_sub(VALUE_ZERO, VALUE_ONE);
    return value_mul(value_div(sign, value_from_uint(n)),
            activation_derivative(z, a));
}

#endif  // LOSS_IMPL_H
