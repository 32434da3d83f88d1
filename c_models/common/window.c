// Windows over a pre grid (see window.h).
#include "window.h"

window_t *windows;
tap_t *window_taps;

static uint32_t log2_of(uint32_t power_of_two) {
    uint32_t bits = 0;
    while ((1u << bits) < power_of_two) {
        bits++;
    }
    return bits;
}

//! The first grid row of this core's band, and its rows (counted, not
//! divided).
static void band(uint32_t *row0, uint32_t *rows) {
    uint32_t per_row = layer.params.width * layer.params.channels;
    *row0 = *rows = 0;
    for (uint32_t n = 0; n < core.params.slice_start; n += per_row) {
        (*row0)++;
    }
    for (uint32_t n = 0; n < core.params.n_neurons; n += per_row) {
        (*rows)++;
    }
}

//! Fills taps[0..n) for positions 0..n-1 (plus position0) of a padded pre
//! axis: the outputs o in [out_first, out_first + n_out) with
//! 0 <= position + pad - o * stride < kernel, found by counting rather
//! than dividing.
static void make_taps(tap_t *taps, uint32_t n, uint32_t pad, uint32_t kernel,
        uint32_t stride, uint32_t out_first, uint32_t n_out,
        uint32_t position0) {
    for (uint32_t x = 0; x < n; x++) {
        tap_t tap = {0, 0, 0};
        for (uint32_t o = 0; o < n_out; o++) {
            int32_t k = (int32_t) (position0 + x + pad)
                    - (int32_t) ((out_first + o) * stride);
            if (k >= 0 && k < (int32_t) kernel) {
                if (tap.count == 0) {
                    tap.first = (uint16_t) o;
                    tap.kernel = (uint16_t) k;
                }
                tap.count++;
            }
        }
        taps[x] = tap;
    }
}

static bool is_window(const incoming_t *projection, uint32_t type,
        uint32_t other_type) {
    return projection->type == type || projection->type == other_type;
}

void windows_initialise(uint32_t type, uint32_t other_type) {
    uint32_t n_taps = 0;
    for (uint32_t p = 0; p < layer.params.n_incoming; p++) {
        const incoming_t *projection = &layer.incoming[p];
        if (is_window(projection, type, other_type)) {
            n_taps += projection->halo_rows + projection->pre_width;
        }
    }
    windows = dtcm_allocate(layer.params.n_incoming * sizeof(window_t));
    window_taps = dtcm_allocate(n_taps * sizeof(tap_t));
    uint32_t next = 0, row0, rows;
    band(&row0, &rows);
    for (uint32_t p = 0; p < layer.params.n_incoming; p++) {
        const incoming_t *projection = &layer.incoming[p];
        if (!is_window(projection, type, other_type)) {
            continue;
        }
        window_t *window = &windows[p];
        window->projection = p;
        window->ch_shift = log2_of(projection->col_stride);
        window->row_shift = log2_of(projection->row_stride);
        window->ch_mask = projection->col_stride - 1;
        window->col_mask = (projection->row_stride >> window->ch_shift) - 1;
        window->rows = next;
        make_taps(window_taps + next, projection->halo_rows,
                projection->pad_top, projection->kernel_rows,
                projection->stride_rows, row0, rows, projection->halo_row0);
        next += projection->halo_rows;
        window->cols = next;
        make_taps(window_taps + next, projection->pre_width,
                projection->pad_left, projection->kernel_cols,
                projection->stride_cols, 0, layer.params.width, 0);
        next += projection->pre_width;
    }
}
