// The convolution kind: a band of output rows (every column and channel of
// them) per core, applying each kernel to activations as they arrive (no
// synaptic matrix: the kernel is the weights), plus one-to-one shortcuts.
// Its weight region is the kernel of each convolution in turn, laid out
// (kernel rows, kernel columns, in channels, out channels) as Keras has it,
// then one bias per out channel. Every core of the population holds the
// same weights; layer's update sums their gradients at batch ends.
//
// Backward, per pre neuron in this band's receptive field, ONE packet goes
// to the core that owns it, carrying this band's share of its error.
#include "identity.h"
#include "kind.h"
#include "window.h"

static inline uint32_t out_channels(void) {
    return core.params.channels;
}

//! The kernel weights from pre channel `ch` at kernel place (kr, kc).
static inline value_t *kernel_at(value_t *region,
        const incoming_t *projection, uint32_t kr, uint32_t kc,
        uint32_t ch) {
    return region + projection->weight_offset + ((kr
            * projection->kernel_cols + kc) * projection->pre_channels + ch)
            * out_channels();
}

static inline value_t *bias_of(value_t *region) {
    return region + layer.params.n_weights - out_channels();
}

void kind_initialise(void) {
    windows_initialise(PROJECTION_CONV, PROJECTION_CONV);
}

void kind_reset_slot(uint32_t slot) {
    (void) slot;
}

void kind_accumulate(uint32_t slot, uint32_t input, value_t x) {
    if (x == VALUE_ZERO) {
        return;
    }
    const incoming_t *projection = incoming_of(input);
    value_t *z = slot_z(slot);
    if (projection->type == PROJECTION_IDENTITY) {
        identity_accumulate(projection, input, z, x);
        return;
    }
    const window_t *window = &windows[projection - layer.incoming];
    place_t at = window_place(window, input);
    tap_t rows = window_row_taps(window, at.row);
    tap_t cols = window_col_taps(window, at.col);
    uint32_t n_out = out_channels(), width = core.params.width;
    for (uint32_t r = 0; r < rows.count; r++) {
        uint32_t kr = rows.kernel - r * projection->stride_rows;
        value_t *z_row = z + (rows.first + r) * width * n_out;
        for (uint32_t c = 0; c < cols.count; c++) {
            uint32_t kc = cols.kernel - c * projection->stride_cols;
            const value_t *w = kernel_at(layer.weights, projection, kr, kc,
                    at.ch);
            value_t *out = z_row + (cols.first + c) * n_out;
            for (uint32_t o = 0; o < n_out; o++) {
                out[o] += value_mul(w[o], x);
            }
        }
    }
}

void kind_finish_sums(uint32_t slot, value_t *z) {
    (void) slot;
    const value_t *bias = bias_of(layer.weights);
    uint32_t n_out = out_channels();
    for (uint32_t j = 0; j < core.params.n_neurons; j += n_out) {
        for (uint32_t o = 0; o < n_out; o++) {
            z[j + o] += bias[o];
        }
    }
}

//! This band's share of the error of the pre neuron at received row `row`,
//! column `col`, channel `ch`.
static value_t partial_error(const window_t *window, uint32_t row,
        uint32_t col, uint32_t ch, const value_t *delta) {
    const incoming_t *projection = window_projection(window);
    tap_t rows = window_row_taps(window, row);
    tap_t cols = window_col_taps(window, col);
    uint32_t n_out = out_channels(), width = core.params.width;
    value_t partial = VALUE_ZERO;
    for (uint32_t r = 0; r < rows.count; r++) {
        uint32_t kr = rows.kernel - r * projection->stride_rows;
        const value_t *d_row = delta + (rows.first + r) * width * n_out;
        for (uint32_t c = 0; c < cols.count; c++) {
            uint32_t kc = cols.kernel - c * projection->stride_cols;
            const value_t *w = kernel_at(layer.weights, projection, kr, kc,
                    ch);
            const value_t *d = d_row + (cols.first + c) * n_out;
            for (uint32_t o = 0; o < n_out; o++) {
                partial += value_mul(w[o], d[o]);
            }
        }
    }
    return partial;
}

static void send_partials(const backward_target_t *target, uint32_t slot,
        const value_t *delta) {
    const window_t *window = &windows[target->projection];
    const incoming_t *projection = window_projection(window);
    uint32_t base = target->key | (slot << target->slot_shift);
    uint32_t index = target->index_offset;
    for (uint32_t r = 0; r < target->n_rows; r++) {
        uint32_t row = target->row0 + r - projection->halo_row0;
        for (uint32_t col = 0; col < projection->pre_width; col++) {
            for (uint32_t ch = 0; ch < projection->pre_channels; ch++) {
                core_send(base | index++, value_to_payload(
                        partial_error(window, row, col, ch, delta)));
            }
        }
    }
}

//! Adds x * delta into the kernel gradient for every output the input
//! at (row, col, ch) reached.
static void add_gradient(const window_t *window, place_t at, value_t x,
        const value_t *delta) {
    const incoming_t *projection = window_projection(window);
    tap_t rows = window_row_taps(window, at.row);
    tap_t cols = window_col_taps(window, at.col);
    uint32_t n_out = out_channels(), width = core.params.width;
    for (uint32_t r = 0; r < rows.count; r++) {
        uint32_t kr = rows.kernel - r * projection->stride_rows;
        const value_t *d_row = delta + (rows.first + r) * width * n_out;
        for (uint32_t c = 0; c < cols.count; c++) {
            uint32_t kc = cols.kernel - c * projection->stride_cols;
            value_t *g = kernel_at(layer.gradient, projection, kr, kc,
                    at.ch);
            const value_t *d = d_row + (cols.first + c) * n_out;
            for (uint32_t o = 0; o < n_out; o++) {
                g[o] += value_mul(x, d[o]);
            }
        }
    }
}

static void accumulate_gradients(uint32_t slot, const value_t *delta) {
    const value_t *inputs = slot_inputs(slot);
    for (uint32_t p = 0; p < layer.params.n_incoming; p++) {
        const window_t *window = &windows[p];
        const incoming_t *projection = &layer.incoming[p];
        if (projection->type != PROJECTION_CONV) {
            continue;
        }
        place_t at;
        for (at.row = 0; at.row < projection->halo_rows; at.row++) {
            for (at.col = 0; at.col < projection->pre_width; at.col++) {
                for (at.ch = 0; at.ch < projection->pre_channels; at.ch++) {
                    value_t x = inputs[window_input(window, at.row, at.col,
                            at.ch)];
                    if (x != VALUE_ZERO) {
                        add_gradient(window, at, x, delta);
                    }
                }
            }
        }
    }
    value_t *bias = bias_of(layer.gradient);
    uint32_t n_out = out_channels();
    for (uint32_t j = 0; j < core.params.n_neurons; j += n_out) {
        for (uint32_t o = 0; o < n_out; o++) {
            bias[o] += delta[j + o];
        }
    }
}

void kind_backward(uint32_t slot, const value_t *delta) {
    for (uint32_t t = 0; t < layer.params.n_backward_targets; t++) {
        const backward_target_t *target = &layer.backward[t];
        if (layer.incoming[target->projection].type == PROJECTION_IDENTITY) {
            identity_send_partials(target, slot, delta);
        } else {
            send_partials(target, slot, delta);
        }
    }
    accumulate_gradients(slot, delta);
}
