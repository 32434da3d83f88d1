// The pooling kind: a band of output rows per core, each output the largest
// (max) or the mean (average) of its window of the pre grid, channel by
// channel; no weights. Max pooling remembers each output's winner per slot,
// the first largest value in the window's row-major order as PyTorch and
// Keras break ties, and sends the error back to it alone.
#include <debug.h>

#include "kind.h"
#include "window.h"

#define NO_WINNER UINT16_MAX

static const window_t *window;
static uint16_t *winners;     // max: input place of each output, per slot
static value_t scale;         // average: 1 / window size

static inline uint16_t *slot_winners(uint32_t slot) {
    return winners + slot * core.params.n_neurons;
}

static inline bool is_max(void) {
    return window_projection(window)->type == PROJECTION_POOL_MAX;
}

void kind_initialise(const void *params) {
    (void) params;
    const incoming_t *projection = &layer.incoming[0];
    if (layer.params.n_incoming != 1
            || (projection->type != PROJECTION_POOL_MAX
                && projection->type != PROJECTION_POOL_AVERAGE)) {
        log_error("a pooling population takes one pooling projection");
        rt_error(RTE_SWERR);
    }
    windows_initialise(PROJECTION_POOL_MAX, PROJECTION_POOL_AVERAGE);
    window = &windows[0];
    scale = value_div(VALUE_ONE, value_from_uint(
            projection->kernel_rows * projection->kernel_cols));
    if (is_max()) {
        winners = dtcm_allocate(core.params.n_slots * core.params.n_neurons
                * sizeof(uint16_t));
    }
}

void kind_reset_slot(uint32_t slot) {
    if (is_max()) {
        uint16_t *winner = slot_winners(slot);
        for (uint32_t j = 0; j < core.params.n_neurons; j++) {
            winner[j] = NO_WINNER;
        }
    }
}

void kind_accumulate(uint32_t slot, const incoming_t *projection,
        uint32_t input, value_t x) {
    (void) projection;
    bool max = is_max();
    if (!max && x == VALUE_ZERO) {
        return;
    }
    place_t at = window_place(window, input);
    tap_t rows = window_row_taps(window, at.row);
    tap_t cols = window_col_taps(window, at.col);
    uint32_t channels = layer.params.channels, width = layer.params.width;
    value_t *z = slot_z(slot);
    uint16_t *winner = max ? slot_winners(slot) : NULL;
    cost_count(COST_FORWARD, rows.count * cols.count);
    for (uint32_t r = 0; r < rows.count; r++) {
        for (uint32_t c = 0; c < cols.count; c++) {
            uint32_t j = ((rows.first + r) * width + cols.first + c)
                    * channels + at.ch;
            if (!max) {
                z[j] = value_add(z[j], x);
            } else if (winner[j] == NO_WINNER || x > z[j]
                    || (x == z[j] && input < winner[j])) {
                z[j] = x;
                winner[j] = (uint16_t) input;
            }
        }
    }
}

void kind_finish_sums(uint32_t slot, value_t *z) {
    (void) slot;
    if (!is_max()) {
        for (uint32_t j = 0; j < core.params.n_neurons; j++) {
            z[j] = value_mul(z[j], scale);
        }
    }
}

//! This band's share of the error of the pre neuron at input place
//! `input` (received row `row`, column `col`, channel `ch`).
static value_t partial_error(uint32_t slot, uint32_t input, place_t at,
        const value_t *delta) {
    tap_t rows = window_row_taps(window, at.row);
    tap_t cols = window_col_taps(window, at.col);
    uint32_t channels = layer.params.channels, width = layer.params.width;
    const uint16_t *winner = is_max() ? slot_winners(slot) : NULL;
    value_t partial = VALUE_ZERO;
    cost_count(COST_PARTIALS, rows.count * cols.count);
    for (uint32_t r = 0; r < rows.count; r++) {
        for (uint32_t c = 0; c < cols.count; c++) {
            uint32_t j = ((rows.first + r) * width + cols.first + c)
                    * channels + at.ch;
            if (winner == NULL) {
                partial = value_add(partial, value_mul(delta[j], scale));
            } else if (winner[j] == input) {
                partial = value_add(partial, delta[j]);
            }
        }
    }
    return partial;
}

void kind_send_partials(const backward_target_t *target, uint32_t slot,
        const value_t *delta) {
    const incoming_t *projection = window_projection(window);
    uint32_t base = partials_key(target, slot);
    uint32_t index = target->index_offset;
    place_t at;
    for (uint32_t r = 0; r < target->n_rows; r++) {
        at.row = target->row0 + r - projection->halo_row0;
        for (at.col = 0; at.col < projection->pre_width; at.col++) {
            for (at.ch = 0; at.ch < projection->pre_channels; at.ch++) {
                uint32_t input = window_input(window, at.row, at.col, at.ch);
                layer_send(slot, base | index++, value_to_payload(
                        partial_error(slot, input, at, delta)));
            }
        }
    }
}
