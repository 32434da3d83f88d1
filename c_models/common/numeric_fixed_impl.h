// Fixed point: values are s11.20 (range +-2048, resolution 9.5e-7) and
// weights s7.24 (range +-128, resolution 6e-8: a learning rate of 1e-3
// times a mean gradient of 1e-4 still moves a weight), both int32
// (fixed_maths.h). Every product is exact in 64 bits and rounded to
// nearest once, every sum is exact, so results do not depend on the order
// packets arrive in or on how a population is split over cores; results
// beyond the range saturate and are counted (status: saturations).
// spinnpop/numeric.py describes the same formats to the host.
#ifndef NUMERIC_IMPL_H
#define NUMERIC_IMPL_H

#include <stdint.h>

#include "fixed_maths.h"

#define VALUE_FRACTION 20
#define WEIGHT_FRACTION 24

typedef int32_t value_t;
typedef int32_t weight_t;

#define VALUE_ZERO 0
#define VALUE_ONE ((value_t) 1 << VALUE_FRACTION)
#define WEIGHT_ZERO 0
#define WEIGHT_ONE ((weight_t) 1 << WEIGHT_FRACTION)
// Adam's and RMSprop's squared gradients (1e-8 and less) are below the
// weights' resolution: only SGD runs in fixed point.
#define NUMERIC_ADAPTIVE 0

static inline value_t value_add(value_t a, value_t b) {
    return fixed_add(a, b);
}

static inline value_t value_sub(value_t a, value_t b) {
    return fixed_sub(a, b);
}

static inline value_t value_mul(value_t a, value_t b) {
    return fixed_mul(a, b, VALUE_FRACTION);
}

static inline value_t value_div(value_t a, value_t b) {
    return fixed_div(a, b, VALUE_FRACTION);
}

static inline value_t value_exp(value_t x) {
    return fixed_exp(x, VALUE_FRACTION);
}

static inline value_t value_log(value_t x) {
    return fixed_log(x, VALUE_FRACTION);
}

static inline value_t value_tanh(value_t x) {
    return fixed_tanh(x, VALUE_FRACTION);
}

static inline value_t value_sigmoid(value_t x) {
    return fixed_sigmoid(x, VALUE_FRACTION);
}

static inline value_t value_from_uint(uint32_t n) {
    return fixed_clamp((int64_t) n << VALUE_FRACTION);
}

static inline value_t value_weighted(weight_t w, value_t x) {
    return fixed_mul(w, x, WEIGHT_FRACTION);
}

// A local sum in 64 bits: each product is rounded as value_weighted
// rounds it, but neither it nor the sum is checked for the int32 range
// until the end, which halves the ARM968's cycles per multiply-accumulate
// (a product's terms are below 2^38, so 2^25 of them cannot overflow).
typedef int64_t value_sum_t;
#define VALUE_SUM_ZERO 0

static inline value_sum_t value_sum_weighted(value_sum_t s, weight_t w,
        value_t x) {
    return s + fixed_round_shift((int64_t) w * x, WEIGHT_FRACTION);
}

static inline value_t value_from_sum(value_sum_t s) {
    return fixed_clamp(s);
}

static inline value_t value_from_weight(weight_t w) {
    return (value_t) fixed_round_shift(w, WEIGHT_FRACTION - VALUE_FRACTION);
}

static inline weight_t weight_product(value_t x, value_t d) {
    return fixed_mul(x, d, 2 * VALUE_FRACTION - WEIGHT_FRACTION);
}

static inline weight_t weight_from_value(value_t v) {
    return fixed_clamp((int64_t) v
            * ((int64_t) 1 << (WEIGHT_FRACTION - VALUE_FRACTION)));
}

static inline weight_t weight_add(weight_t a, weight_t b) {
    return fixed_add(a, b);
}

static inline weight_t weight_sub(weight_t a, weight_t b) {
    return fixed_sub(a, b);
}

static inline weight_t weight_mul(weight_t a, weight_t b) {
    return fixed_mul(a, b, WEIGHT_FRACTION);
}

static inline weight_t weight_div_uint(weight_t w, uint32_t n) {
    return (weight_t) fixed_round_div(w, n);
}

static inline uint32_t value_to_payload(value_t v) { return (uint32_t) v; }
static inline value_t value_from_payload(uint32_t p) { return (value_t) p; }
static inline uint32_t weight_to_payload(weight_t w) { return (uint32_t) w; }
static inline weight_t weight_from_payload(uint32_t p) {
    return (weight_t) p;
}

#endif  // NUMERIC_IMPL_H
