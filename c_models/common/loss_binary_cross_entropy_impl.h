// Binary cross-entropy after a sigmoid, for several independent labels,
// averaged over the output units as Keras defines it:
// L = sum_i -(y_i log a_i + (1 - y_i) log(1 - a_i)) / n. Taken from z, as
// PyTorch's BCEWithLogitsLoss, so that a saturated sigmoid does not make
// it infinite: with a = sigmoid(z), the term is softplus(z) - y z, where
// softplus(z) = log(1 + e^z) = max(z, 0) + log(1 + e^-|z|). dL/dz_i =
// (a_i - y_i) / n needs no derivative.
#ifndef LOSS_IMPL_H
#define LOSS_IMPL_H

#define LOSS_AT_OUTPUT 1

#if !ACTIVATION_IS_SIGMOID
#error "binary cross-entropy is built only with the sigmoid activation"
#endif

static inline value_t loss_term(value_t z, value_t a, value_t y,
        value_t log_norm, uint32_t n) {
    (void) a;
    (void) log_norm;
    value_t magnitude = z < VALUE_ZERO ? value_sub(VALUE_ZERO, z) : z;
    value_t softplus = value_add(z < VALUE_ZERO ? VALUE_ZERO : z,
            value_log(value_add(VALUE_ONE,
                    value_exp(value_sub(VALUE_ZERO, magnitude)))));
    return value_div(value_sub(softplus, value_mul(y, z)),
            value_from_uint(n));
}

static inline value_t loss_delta(value_t z, value_t a, value_t y,
        uint32_t n) {
    (void) z;
    return value_div(value_sub(a, y), value_from_uint(n));
}

#endif  // LOSS_IMPL_H
