// Prints, for a fixed set of inputs, the models' fixed-point exp, log,
// tanh, sigmoid and division (c_models/common/fixed_maths.h) in the value
// format (20 fraction bits): "x exp(x) log|x| tanh(x) sigmoid(x) 1/x" as
// int32 words in hex, then the number of saturated results.
#include <stdint.h>
#include <stdio.h>

#include "fixed_maths.h"

static uint32_t saturations = 0;

void numeric_saturated(void) {
    saturations++;
}

int main(void) {
    const uint32_t f = 20;
    uint32_t state = 777;
    for (int i = 0; i < 20000; i++) {
        state = state * 1664525u + 1013904223u;
        // Every word (at random), then the range the models use most.
        int32_t x = i % 2 ? (int32_t) state : (int32_t) state >> 8;
        int32_t magnitude = x < 0 ? -x : x;
        printf("%08x %08x %08x %08x %08x %08x\n", (unsigned) x,
                (unsigned) fixed_exp(x, f), (unsigned) fixed_log(magnitude, f),
                (unsigned) fixed_tanh(x, f), (unsigned) fixed_sigmoid(x, f),
                (unsigned) fixed_div((int32_t) 1 << f, x, f));
    }
    printf("%u\n", (unsigned) saturations);
    return 0;
}
