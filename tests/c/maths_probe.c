// Prints, for a fixed set of inputs, the bits of the models' exp, log, tanh
// and sqrt (c_models/common/float32_maths.h): "x exp(x) log|x| tanh(x)
// sqrt|x|" in hex.
#include <stdint.h>
#include <stdio.h>

#include "float32_maths.h"

int main(void) {
    uint32_t state = 777;
    for (int i = 0; i < 20000; i++) {
        state = state * 1664525u + 1013904223u;
        // Every float (bits at random), then the range the models use most.
        float x = i % 2 ? float32_from_bits(state)
                : (float) (int32_t) state / 1.0e8f;
        float magnitude = x < 0.0f ? -x : x;
        printf("%08x %08x %08x %08x %08x\n", (unsigned) float32_bits(x),
                (unsigned) float32_bits(float32_exp(x)),
                (unsigned) float32_bits(float32_log(magnitude)),
                (unsigned) float32_bits(float32_tanh(x)),
                (unsigned) float32_bits(float32_sqrt(magnitude)));
    }
    return 0;
}
