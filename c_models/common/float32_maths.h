// exp, log and tanh in float32 for the models, the same bits on the host
// and on the ARM968: built only from IEEE single-precision +, -, *, / (each
// correctly rounded everywhere, contractions off) and exponent
// manipulation, where glibc's and newlib's own functions differ in the
// last bit for some inputs. Accuracy: within 2 ulp of the exact result
// over the ranges the models use (tested against float64).
#ifndef FLOAT32_MATHS_H
#define FLOAT32_MATHS_H

#include <stdint.h>

// Through a union (GNU C defines it): a memcpy would be a call in the ARM
// build, which is freestanding, on every packet received and sent.
typedef union {
    float value;
    uint32_t bits;
} float32_word_t;

static inline float float32_from_bits(uint32_t bits) {
    return (float32_word_t) {.bits = bits}.value;
}

static inline uint32_t float32_bits(float x) {
    return (float32_word_t) {.value = x}.bits;
}

//! 2^n for n in [-126, 127].
static inline float float32_pow2(int32_t n) {
    return float32_from_bits((uint32_t) (n + 127) << 23);
}

//! e^r - 1 for |r| <= ln(2) / 2 (Taylor to r^8: 2e-10 relative at most).
static inline float float32_expm1_small(float r) {
    float p = 1.0f / 40320.0f;
    p = p * r + 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    return (p * r) * r + r;
}

//! x = n ln 2 + r with |r| <= ln(2) / 2: n, and r (ln 2 split so that
//! n * LN2_HIGH is exact).
static inline int32_t float32_reduce(float x, float *r) {
    const float LN2_HIGH = 0.693145751953125f, LN2_LOW = 1.42860677e-6f;
    float t = x * 1.44269504f;
    int32_t n = (int32_t) (t < 0.0f ? t - 0.5f : t + 0.5f);
    *r = (x - (float) n * LN2_HIGH) - (float) n * LN2_LOW;
    return n;
}

static inline float float32_exp(float x) {
    if (x != x) {
        return x;
    }
    if (x > 88.72283f) {
        return float32_from_bits(0x7F800000u);  // +inf
    }
    if (x < -103.97208f) {
        return 0.0f;
    }
    float r;
    int32_t n = float32_reduce(x, &r);
    float e = float32_expm1_small(r) + 1.0f;
    if (n < -126) {  // a subnormal result: scale in two steps
        return (e * float32_pow2(n + 64)) * float32_pow2(-64);
    }
    if (n > 127) {
        return (e * float32_pow2(n - 1)) * 2.0f;
    }
    return e * float32_pow2(n);
}

//! e^x - 1 for x in [-30, 30], without the cancellation of exp(x) - 1:
//! 2^n (e^r - 1) + (2^n - 1), the second term exact.
static inline float float32_expm1(float x) {
    float r;
    int32_t n = float32_reduce(x, &r);
    float m = float32_expm1_small(r);
    if (n == 0) {
        return m;
    }
    float scale = float32_pow2(n);
    return m * scale + (scale - 1.0f);
}

static inline float float32_log(float x) {
    uint32_t bits = float32_bits(x);
    if (x != x || bits == 0x7F800000u) {
        return x;                                      // NaN, +inf
    }
    if (x <= 0.0f) {
        return x == 0.0f ? float32_from_bits(0xFF800000u)   // -inf
                : float32_from_bits(0x7FC00000u);          // NaN
    }
    int32_t e = 0;
    if (bits < 0x00800000u) {  // subnormal: make it normal first
        x *= float32_pow2(25);
        bits = float32_bits(x);
        e = -25;
    }
    // x = m 2^e with m in [sqrt(1/2), sqrt(2))
    e += (int32_t) (bits >> 23) - 127;
    float m = float32_from_bits((bits & 0x007FFFFFu) | 0x3F800000u);
    if (m > 1.41421356f) {
        m *= 0.5f;
        e++;
    }
    // log m = 2 atanh(s), s = (m - 1) / (m + 1)
    float f = m - 1.0f;
    float s = f / (2.0f + f), s2 = s * s;
    float p = 2.0f / 11.0f;
    p = p * s2 + 2.0f / 9.0f;
    p = p * s2 + 2.0f / 7.0f;
    p = p * s2 + 2.0f / 5.0f;
    p = p * s2 + 2.0f / 3.0f;
    float log_m = (p * s2) * s + 2.0f * s;
    const float LN2_HIGH = 0.693145751953125f, LN2_LOW = 1.42860677e-6f;
    return ((float) e * LN2_LOW + log_m) + (float) e * LN2_HIGH;
}

//! The square root, correctly rounded (to nearest, ties to even) as IEEE
//! asks, so it equals numpy's and PyTorch's: an integer square root of
//! the significand, where the ARM968 has no instruction for it.
static inline float float32_sqrt(float x) {
    uint32_t bits = float32_bits(x);
    if (x != x || x == 0.0f || bits == 0x7F800000u) {
        return x;                                 // NaN, +-0, +inf
    }
    if (bits >> 31) {
        return float32_from_bits(0x7FC00000u);    // NaN
    }
    // x = m 2^e with m a 24-bit integer whose top bit is set.
    int32_t e = (int32_t) (bits >> 23) - 150;
    uint32_t m = bits & 0x007FFFFFu;
    if (bits >> 23) {
        m |= 0x00800000u;
    } else {
        e++;
        while (!(m & 0x00800000u)) {
            m <<= 1;
            e--;
        }
    }
    // s = m 2^j in [2^46, 2^48) with e - j even: its root r in [2^23, 2^24)
    // is the result's significand, times 2^((e - j) / 2).
    uint32_t j = (e & 1) ? 23 : 24;
    uint64_t s = (uint64_t) m << j;
    uint64_t r = 0;
    for (uint64_t bit = (uint64_t) 1 << 23; bit != 0; bit >>= 1) {
        if ((r + bit) * (r + bit) <= s) {
            r += bit;
        }
    }
    // Round up when s - r^2 > r, i.e. sqrt(s) > r + 1/2 (never equal).
    if (s - r * r > r) {
        r++;
    }
    int32_t exponent = (e - (int32_t) j) / 2 + 23 + 127;
    if (r == (uint64_t) 1 << 24) {
        r >>= 1;
        exponent++;
    }
    return float32_from_bits(((uint32_t) exponent << 23)
            | ((uint32_t) r & 0x007FFFFFu));
}

static inline float float32_tanh(float x) {
    if (x != x) {
        return x;
    }
    float a = x < 0.0f ? -x : x;
    float t = 1.0f;
    if (a < 9.01f) {  // tanh a = -m / (m + 2), m = e^-2a - 1
        float m = float32_expm1(-2.0f * a);
        t = -m / (m + 2.0f);
    }
    return x < 0.0f ? -t : t;
}

#endif  // FLOAT32_MATHS_H
