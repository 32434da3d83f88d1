// float32: the maths of a float32 numpy or PyTorch reference. The ARM968
// has no FPU, so ARM builds run it in software; exp, log and tanh are the
// models' own (float32_maths.h), so that host and ARM give the same bits.
// Values and weights are both float.
#ifndef NUMERIC_IMPL_H
#define NUMERIC_IMPL_H

#include <stdint.h>

#include "float32_maths.h"

typedef float value_t;
typedef float weight_t;

#define VALUE_ZERO 0.0f
#define VALUE_ONE 1.0f
#define WEIGHT_ZERO 0.0f
#define WEIGHT_ONE 1.0f
#define NUMERIC_ADAPTIVE 1

static inline value_t value_add(value_t a, value_t b) { return a + b; }
static inline value_t value_sub(value_t a, value_t b) { return a - b; }
static inline value_t value_mul(value_t a, value_t b) { return a * b; }
static inline value_t value_div(value_t a, value_t b) { return a / b; }
static inline value_t value_exp(value_t x) { return float32_exp(x); }
static inline value_t value_log(value_t x) { return float32_log(x); }
static inline value_t value_tanh(value_t x) { return float32_tanh(x); }
static inline value_t value_sigmoid(value_t x) {
    return 1.0f / (1.0f + float32_exp(-x));
}
static inline value_t value_from_uint(uint32_t n) { return (value_t) n; }

static inline value_t value_weighted(weight_t w, value_t x) { return w * x; }

typedef float value_sum_t;
#define VALUE_SUM_ZERO 0.0f
static inline value_sum_t value_sum_weighted(value_sum_t s, weight_t w,
        value_t x) {
    return s + w * x;
}
static inline value_t value_from_sum(value_sum_t s) { return s; }

static inline value_t value_from_weight(weight_t w) { return w; }
static inline weight_t weight_product(value_t x, value_t d) { return x * d; }
static inline weight_t weight_from_value(value_t v) { return v; }
static inline weight_t weight_add(weight_t a, weight_t b) { return a + b; }
static inline weight_t weight_sub(weight_t a, weight_t b) { return a - b; }
static inline weight_t weight_mul(weight_t a, weight_t b) { return a * b; }
static inline weight_t weight_div_uint(weight_t w, uint32_t n) {
    return w / (weight_t) n;
}
static inline weight_t weight_div(weight_t a, weight_t b) { return a / b; }
static inline weight_t weight_sqrt(weight_t w) { return float32_sqrt(w); }

static inline uint32_t value_to_payload(value_t v) {
    return float32_bits(v);
}

static inline value_t value_from_payload(uint32_t payload) {
    return float32_from_bits(payload);
}

static inline uint32_t weight_to_payload(weight_t w) {
    return float32_bits(w);
}

static inline weight_t weight_from_payload(uint32_t payload) {
    return float32_from_bits(payload);
}

#endif  // NUMERIC_IMPL_H
