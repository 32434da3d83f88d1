// The numeric type of the models, chosen at build time: the Makefile injects
// one numeric_*_impl.h with -include, so the maths below it is written once.
//
// Two kinds of number: values (activations, sums, errors, losses, data)
// and weights (weights and biases, their gradients and momentum buffers,
// the learning rate and momentum), which a fixed-point type keeps with
// more fraction bits so that small updates are not lost. An
// implementation defines value_t, weight_t and:
//   VALUE_ZERO, VALUE_ONE, WEIGHT_ZERO, WEIGHT_ONE
//   value_add(a, b), value_sub(a, b), value_mul(a, b), value_div(a, b)
//   value_exp(x), value_log(x), value_tanh(x), value_sigmoid(x)
//   value_from_uint(n)                     an integer count as a value
//   value_weighted(w, x)                   weight * value, a value
//   value_sum_t, VALUE_SUM_ZERO            a local sum of weighted values:
//   value_sum_weighted(s, w, x)            s + w * x, exact,
//   value_from_sum(s)                      then a value (wider than a
//                                          value in fixed point, which
//                                          saturates once, at the end)
//   value_from_weight(w)                   a bias as a value
//   weight_product(x, d)                   value * value, a weight (the
//                                          gradient of one weight)
//   weight_from_value(v)                   a value as a weight
//   weight_add(a, b), weight_sub(a, b), weight_mul(a, b)
//   weight_div_uint(w, n)                  w / n, rounded
//   NUMERIC_ADAPTIVE                       1 if the type can keep Adam's
//                                          and RMSprop's second moments;
//                                          then also weight_div(a, b) and
//                                          weight_sqrt(w), correctly rounded
//   value_to_payload(v), value_from_payload(p)   the 32-bit packet payload
//   weight_to_payload(w), weight_from_payload(p)
// Sums go through value_add and weight_add (a fixed-point type saturates
// there, and counts it) rather than +.
#ifndef NUMERIC_H
#define NUMERIC_H

#ifndef NUMERIC_IMPL_H
#error "no numeric type: build with -include numeric_float32_impl.h"
#endif

#endif  // NUMERIC_H
