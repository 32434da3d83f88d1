// Windows over a pre grid: a convolution's kernel or a pooling window,
// moved by its strides over the (padded) pre rows and columns. Which
// outputs of this core's band each received row reaches, and which output
// columns each pre column reaches, is worked out once at start-up, so that
// an arriving activation goes straight to them: no division per packet
// (the ARM968 has no divide instruction).
//
// Inputs of a window projection are stored at input_offset + (row -
// halo_row0) << row_shift | column << ch_shift | channel: power-of-two
// fields, decoded with shifts.
#ifndef WINDOW_H
#define WINDOW_H

#include "layer.h"

//! The outputs one pre row (or column) reaches: `count` consecutive ones
//! from `first`, the first at kernel index `kernel`, each next one at the
//! kernel index one stride lower.
typedef struct {
    uint16_t first;
    uint16_t kernel;
    uint16_t count;
} tap_t;

//! A window projection's taps and how its input places decode. Offsets,
//! not pointers, so that it takes the same DTCM on the ARM and the host.
typedef struct {
    uint32_t projection;  //!< index among the incoming projections
    uint32_t rows;        //!< first of its taps per received row
    uint32_t cols;        //!< first of its taps per pre column
    uint32_t row_shift, ch_shift, col_mask, ch_mask;
} window_t;

//! Per incoming projection (only window ones are set up), and their taps.
extern window_t *windows;
extern tap_t *window_taps;

//! A pre neuron's place among a window projection's inputs.
typedef struct {
    uint32_t row;         //!< received row (0: halo_row0)
    uint32_t col;
    uint32_t ch;
} place_t;

static inline const incoming_t *window_projection(const window_t *window) {
    return &layer.incoming[window->projection];
}

static inline tap_t window_row_taps(const window_t *window, uint32_t row) {
    return window_taps[window->rows + row];
}

static inline tap_t window_col_taps(const window_t *window, uint32_t col) {
    return window_taps[window->cols + col];
}

static inline place_t window_place(const window_t *window, uint32_t input) {
    uint32_t local = input - window_projection(window)->input_offset;
    return (place_t) {
        .row = local >> window->row_shift,
        .col = (local >> window->ch_shift) & window->col_mask,
        .ch = local & window->ch_mask};
}

static inline uint32_t window_input(const window_t *window, uint32_t row,
        uint32_t col, uint32_t ch) {
    return window_projection(window)->input_offset + (row << window->row_shift)
            + (col << window->ch_shift) + ch;
}

//! Sets up the windows of the incoming projections of `type` (or of
//! `other_type`) for this core's band of output rows.
void windows_initialise(uint32_t type, uint32_t other_type);

#endif  // WINDOW_H
