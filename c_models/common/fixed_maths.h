// Fixed-point arithmetic on int32 words with explicit shifts: integer
// operations only, so the ARM968 (no FPU, no divide instruction) and the
// host give the same bits, and sums are exact, hence independent of the
// order their terms come in. No stdfix.h: x86 gcc has no `accum`.
//
// A number with f fraction bits is the integer round(x * 2^f). Products
// are formed exactly in 64 bits and rounded to nearest (halves up) once;
// a result beyond the int32 range saturates at +-INT32_MAX and calls
// numeric_saturated(), which the models count (a sum that saturated is
// the one thing whose result may depend on the order of its terms).
#ifndef FIXED_MATHS_H
#define FIXED_MATHS_H

#include <stdbool.h>
#include <stdint.h>

//! Called on every saturated result (core.c counts them).
void numeric_saturated(void);

//! x, saturated to the int32 range.
static inline int32_t fixed_clamp(int64_t x) {
    if (x > INT32_MAX) {
        numeric_saturated();
        return INT32_MAX;
    }
    if (x < -INT32_MAX) {
        numeric_saturated();
        return -INT32_MAX;
    }
    return (int32_t) x;
}

//! x / 2^shift rounded to nearest, halves up; shift >= 1.
static inline int64_t fixed_round_shift(int64_t x, uint32_t shift) {
    return (x + ((int64_t) 1 << (shift - 1))) >> shift;
}

// Sums kept in int32 words saturate as fixed_clamp does, but in 32 bits:
// the ARM968's add sets the overflow flag, where a 64-bit sum and its
// clamp cost it several more instructions in every multiply-accumulate.
// (A sum kept in a local is 64 bits and clamped once: value_sum_t.)

//! The 32-bit sum or difference `r` of `a` and another, saturated: an
//! overflow goes the way of a's sign (the operands' signs agree for a sum
//! that overflows, and differ for a difference); -2^31 is beyond the range
//! too.
static inline int32_t fixed_saturate(int32_t r, bool overflowed, int32_t a) {
    if (overflowed) {
        numeric_saturated();
        return a < 0 ? -INT32_MAX : INT32_MAX;
    }
    if (r == INT32_MIN) {
        numeric_saturated();
        return -INT32_MAX;
    }
    return r;
}

static inline int32_t fixed_add(int32_t a, int32_t b) {
    int32_t sum;
    bool overflowed = __builtin_add_overflow(a, b, &sum);
    return fixed_saturate(sum, overflowed, a);
}

static inline int32_t fixed_sub(int32_t a, int32_t b) {
    int32_t difference;
    bool overflowed = __builtin_sub_overflow(a, b, &difference);
    return fixed_saturate(difference, overflowed, a);
}

//! a * b / 2^shift: the product of numbers with fa and fb fraction bits
//! has fa + fb; shifting by fa + fb - f gives f.
static inline int32_t fixed_mul(int32_t a, int32_t b, uint32_t shift) {
    return fixed_clamp(fixed_round_shift((int64_t) a * b, shift));
}

//! n / d rounded to nearest, halves away from zero (C division truncates
//! toward zero); d != 0.
static inline int64_t fixed_round_div(int64_t n, int64_t d) {
    int64_t half = (d < 0 ? -d : d) / 2;
    return (n >= 0 ? n + half : n - half) / d;
}

//! a / b in a's format when shift is b's fraction bits; b = 0 saturates.
static inline int32_t fixed_div(int32_t a, int32_t b, uint32_t shift) {
    if (b == 0) {
        numeric_saturated();
        return a < 0 ? -INT32_MAX : INT32_MAX;
    }
    return fixed_clamp(fixed_round_div((int64_t) a * (INT64_C(1) << shift),
            b));
}

// (Negative numbers are scaled up by multiplying: shifting them left is
// undefined in C.)

// Constants in Q30 (30 fraction bits).
#define FIXED_ONE_Q30 (INT64_C(1) << 30)
#define FIXED_LN2_Q30 INT64_C(744261118)        // ln 2
#define FIXED_INV_LN2_Q30 INT64_C(1549082005)   // 1 / ln 2
#define FIXED_SQRT2_Q30 INT64_C(1518500250)     // sqrt 2

//! p * r / 2^30 + c: a Horner step in Q30.
static inline int64_t fixed_horner_q30(int64_t p, int64_t r, int64_t c) {
    return ((p * r) >> 30) + c;
}

//! e^x for x with `frac` fraction bits (frac <= 30), in the same format:
//! x = n ln 2 + r with |r| <= ln(2) / 2, e^r by Taylor to r^7 (error
//! below 2^-26), times 2^n by a shift.
static inline int32_t fixed_exp(int32_t x, uint32_t frac) {
    int64_t n = fixed_round_shift((int64_t) x * FIXED_INV_LN2_Q30,
            30 + frac);
    int64_t r = (int64_t) x * (INT64_C(1) << (30 - frac))
            - n * FIXED_LN2_Q30;
    int64_t p = FIXED_ONE_Q30 / 5040;
    p = fixed_horner_q30(p, r, FIXED_ONE_Q30 / 720);
    p = fixed_horner_q30(p, r, FIXED_ONE_Q30 / 120);
    p = fixed_horner_q30(p, r, FIXED_ONE_Q30 / 24);
    p = fixed_horner_q30(p, r, FIXED_ONE_Q30 / 6);
    p = fixed_horner_q30(p, r, FIXED_ONE_Q30 / 2);
    p = fixed_horner_q30(p, r, FIXED_ONE_Q30);
    p = fixed_horner_q30(p, r, FIXED_ONE_Q30);
    int64_t shift = 30 - (int64_t) frac - n;    // p * 2^n, frac bits
    if (shift >= 62) {
        return 0;
    }
    if (shift <= -32) {
        return fixed_clamp(INT64_MAX);
    }
    if (shift <= 0) {
        return fixed_clamp(p << -shift);
    }
    return fixed_clamp(fixed_round_shift(p, (uint32_t) shift));
}

//! ln x for x > 0 with `frac` fraction bits (frac <= 30), in the same
//! format: x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s)
//! with s = (m - 1) / (m + 1), |s| <= 0.172, by its series to s^11.
//! x <= 0 saturates to -INT32_MAX.
static inline int32_t fixed_log(int32_t x, uint32_t frac) {
    if (x <= 0) {
        numeric_saturated();
        return -INT32_MAX;
    }
    int32_t top = 31 - __builtin_clz((uint32_t) x);  // x's highest bit
    int64_t e = top - (int64_t) frac;
    int64_t m = (int64_t) x << (30 - top);      // Q30, in [1, 2)
    if (m > FIXED_SQRT2_Q30) {
        m >>= 1;
        e++;
    }
    int64_t f = m - FIXED_ONE_Q30;
    int64_t s = fixed_round_div(f * FIXED_ONE_Q30, 2 * FIXED_ONE_Q30 + f);
    int64_t s2 = (s * s) >> 30;
    int64_t q = FIXED_ONE_Q30 / 11;
    q = fixed_horner_q30(q, s2, FIXED_ONE_Q30 / 9);
    q = fixed_horner_q30(q, s2, FIXED_ONE_Q30 / 7);
    q = fixed_horner_q30(q, s2, FIXED_ONE_Q30 / 5);
    q = fixed_horner_q30(q, s2, FIXED_ONE_Q30 / 3);
    q = fixed_horner_q30(q, s2, FIXED_ONE_Q30);
    int64_t log_q30 = e * FIXED_LN2_Q30 + ((2 * s * q) >> 30);
    return fixed_clamp(fixed_round_shift(log_q30, 30 - frac));
}

//! tanh x = (1 - e^-2|x|) / (1 + e^-2|x|), signed; 1 beyond |x| = 9,
//! where it rounds to 1 in any format of up to 25 fraction bits.
static inline int32_t fixed_tanh(int32_t x, uint32_t frac) {
    int32_t one = (int32_t) 1 << frac;
    int32_t a = x < 0 ? -x : x;
    int32_t t = one;
    if (a < 9 * one) {
        int32_t e = fixed_exp(-2 * a, frac);
        t = fixed_div(one - e, one + e, frac);
    }
    return x < 0 ? -t : t;
}

//! 1 / (1 + e^-x), from e^-|x| so that nothing overflows.
static inline int32_t fixed_sigmoid(int32_t x, uint32_t frac) {
    int32_t one = (int32_t) 1 << frac;
    int32_t a = x < 0 ? -x : x;
    int32_t s = fixed_div(one, one + fixed_exp(-a, frac), frac);
    return x < 0 ? one - s : s;
}

#endif  // FIXED_MATHS_H
