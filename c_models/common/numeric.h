// The numeric type of the models, chosen at build time: the Makefile injects
// one numeric_*_impl.h with -include, so the maths below it is written once.
//
// An implementation defines value_t and:
//   VALUE_ZERO, VALUE_ONE
//   value_mul(a, b), value_div(a, b)      a * b, a / b
//   value_exp(x), value_log(x), value_tanh(x)
//   value_from_uint(n)                     an integer count as a value
//   value_to_payload(v), value_from_payload(p)   the 32-bit packet payload
// Sums and differences use + and -, which a fixed-point type (int32 with
// explicit shifts) keeps as they are.
#ifndef NUMERIC_H
#define NUMERIC_H

#ifndef NUMERIC_IMPL_H
#error "no numeric type: build with -include numeric_float32_impl.h"
#endif

#endif  // NUMERIC_H
