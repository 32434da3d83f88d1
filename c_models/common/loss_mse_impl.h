// Mean squared error, averaged over the output units as Keras defines it:
// L = sum_i (a_i - y_i)^2 / n, so dL/dz_i = 2 (a_i - y_i) / n * f'(z_i).
#ifndef LOSS_IMPL_H
#define LOSS_IMPL_H

#define LOSS_AT_OUTPUT 1

static inline value_t loss_term(value_t z, value_t a, value_t y,
        value_t log_norm, uint32_t n) {
    (void) z;
    (void) log_norm;
    value_t diff = value_sub(a, y);
    return value_div(value_mul(diff, diff), value_from_uint(n));
}

static inline value_t loss_delta(value_t z, value_t a, value_t y,
        uint32_t n) {
    value_t grad = value_div(value_mul(value_from_uint(2), value_sub(a, y)),
            value_from_uint(n));
    return value_mul(grad, activation_derivative(z, a));
}

#endif  // LOSS_IMPL_H
