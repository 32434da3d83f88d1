// The convolution kind: a band of output rows (every column and channel of
// them) per core, applying each kernel to activations as they arrive (no
// synaptic matrix: the kernel is the weights).
// Its weight region is the kernel of each convolution in turn, laid out
// (kernel rows, kernel columns, in channels, out channels) as Keras has it,
// then one bias per out channel. Every core of the population holds the
// same weights; layer's update sums their gradients at batch ends.
//
// Backward, per pre neuron in this band's receptive field, ONE packet goes
// to the core that owns it, carrying this band's share of its error.
//
// With pooling on the core (a plain pooling whose windows do not overlap,
// and bands that start on window boundaries), the core sends the pooled
// values of its band instead of its activations, and the errors it gets
// back are the pooled neurons': max pooling gives each to its window's
// first largest activation, average pooling shares it over the window.
#include "kind.h"
#include "window.h"

static conv_params_t params;
static value_t *pooled;       // per slot: the pooled values sent
static uint16_t *winners;     // max pooling, per slot: each one's neuron
static value_t scale;         // average pooling: 1 / window size

static inline uint32_t out_channels(void) {
    return layer.params.channels;
}

//! The kernel weights from pre channel `ch` at kernel place (kr, kc).
static inline weight_t *kernel_at(weight_t *region,
        const incoming_t *projection, uint32_t kr, uint32_t kc,
        uint32_t ch) {
    return region + projection->weight_offset + ((kr
            * projection->kernel_cols + kc) * projection->pre_channels + ch)
            * out_channels();
}

static inline weight_t *bias_of(weight_t *region) {
    return region + layer.params.n_weights - out_channels();
}

void kind_initialise(const void *kind_params) {
    params = *(const conv_params_t *) kind_params;
    windows_initialise(PROJECTION_CONV, PROJECTION_CONV);
    if (params.pool != 0) {
        uint32_t values = core.params.n_slots * layer.params.n_sent;
        pooled = dtcm_allocate(values * sizeof(value_t));
        if (params.pool == PROJECTION_POOL_MAX) {
            winners = dtcm_allocate(values * sizeof(uint16_t));
        }
        scale = value_div(VALUE_ONE, value_from_uint(
                params.pool_rows * params.pool_cols));
    }
}

void kind_reset_slot(uint32_t slot) {
    (void) slot;
}

void kind_accumulate(uint32_t slot, const incoming_t *projection,
        uint32_t input, value_t x) {
    if (x == VALUE_ZERO) {
        return;
    }
    value_t *z = slot_z(slot);
    const window_t *window = &windows[projection - layer.incoming];
    place_t at = window_place(window, input);
    tap_t rows = window_row_taps(window, at.row);
    tap_t cols = window_col_taps(window, at.col);
    uint32_t n_out = out_channels(), width = layer.params.width;
    cost_count(COST_FORWARD, rows.count * cols.count * n_out);
    for (uint32_t r = 0; r < rows.count; r++) {
        uint32_t kr = rows.kernel - r * projection->stride_rows;
        value_t *z_row = z + (rows.first + r) * width * n_out;
        for (uint32_t c = 0; c < cols.count; c++) {
            uint32_t kc = cols.kernel - c * projection->stride_cols;
            const weight_t *w = kernel_at(layer.weights, projection, kr, kc,
                    at.ch);
            value_t *out = z_row + (cols.first + c) * n_out;
            for (uint32_t o = 0; o < n_out; o++) {
                out[o] = value_add(out[o], value_weighted(w[o], x));
            }
        }
    }
}

void kind_finish_sums(uint32_t slot, value_t *z) {
    (void) slot;
    const weight_t *bias = bias_of(layer.weights);
    uint32_t n_out = out_channels();
    for (uint32_t j = 0; j < core.params.n_neurons; j += n_out) {
        for (uint32_t o = 0; o < n_out; o++) {
            z[j + o] = value_add(z[j + o], value_from_weight(bias[o]));
        }
    }
}

//! The band's own neuron at row r, column c of pooled output (pr, pc, ch)'s
//! window.
static inline uint32_t window_neuron(uint32_t pr, uint32_t pc, uint32_t ch,
        uint32_t r, uint32_t c) {
    return ((pr * params.pool_rows + r) * layer.params.width
            + pc * params.pool_cols + c) * out_channels() + ch;
}

//! The first largest activation of a window: its neuron.
static uint32_t window_winner(const value_t *a, uint32_t pr, uint32_t pc,
        uint32_t ch) {
    uint32_t best = window_neuron(pr, pc, ch, 0, 0);
    for (uint32_t r = 0; r < params.pool_rows; r++) {
        for (uint32_t c = 0; c < params.pool_cols; c++) {
            uint32_t own = window_neuron(pr, pc, ch, r, c);
            if (a[own] > a[best]) {
                best = own;
            }
        }
    }
    return best;
}

static value_t window_mean(const value_t *a, uint32_t pr, uint32_t pc,
        uint32_t ch) {
    value_t sum = VALUE_ZERO;
    for (uint32_t r = 0; r < params.pool_rows; r++) {
        for (uint32_t c = 0; c < params.pool_cols; c++) {
            sum = value_add(sum, a[window_neuron(pr, pc, ch, r, c)]);
        }
    }
    return value_mul(sum, scale);
}

const value_t *kind_sent(uint32_t slot, const value_t *a) {
    if (params.pool == 0) {
        return a;
    }
    bool max = params.pool == PROJECTION_POOL_MAX;
    cost_count(COST_NEURONS, core.params.n_neurons);
    value_t *out = pooled + slot * layer.params.n_sent;
    uint16_t *winner = max ? winners + slot * layer.params.n_sent : NULL;
    uint32_t j = 0;
    for (uint32_t pr = 0; pr < params.pooled_rows; pr++) {
        for (uint32_t pc = 0; pc < params.pooled_width; pc++) {
            for (uint32_t ch = 0; ch < out_channels(); ch++, j++) {
                if (max) {
                    uint32_t best = window_winner(a, pr, pc, ch);
                    winner[j] = (uint16_t) best;
                    out[j] = a[best];
                } else {
                    out[j] = window_mean(a, pr, pc, ch);
                }
            }
        }
    }
    return out;
}

void kind_own_errors(uint32_t slot, value_t *error) {
    if (params.pool == 0) {
        return;
    }
    // The pooled values are sent: their place holds the pooled errors.
    cost_count(COST_DELTAS, core.params.n_neurons);
    value_t *sent = pooled + slot * layer.params.n_sent;
    for (uint32_t j = 0; j < layer.params.n_sent; j++) {
        sent[j] = error[j];
    }
    for (uint32_t j = 0; j < core.params.n_neurons; j++) {
        error[j] = VALUE_ZERO;
    }
    uint32_t j = 0;
    for (uint32_t pr = 0; pr < params.pooled_rows; pr++) {
        for (uint32_t pc = 0; pc < params.pooled_width; pc++) {
            for (uint32_t ch = 0; ch < out_channels(); ch++, j++) {
                if (params.pool == PROJECTION_POOL_MAX) {
                    error[winners[slot * layer.params.n_sent + j]] = sent[j];
                    continue;
                }
                value_t share = value_mul(sent[j], scale);
                for (uint32_t r = 0; r < params.pool_rows; r++) {
                    for (uint32_t c = 0; c < params.pool_cols; c++) {
                        error[window_neuron(pr, pc, ch, r, c)] = share;
                    }
                }
            }
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
    uint32_t n_out = out_channels(), width = layer.params.width;
    value_sum_t partial = VALUE_SUM_ZERO;
    cost_count(COST_PARTIALS, rows.count * cols.count * n_out);
    for (uint32_t r = 0; r < rows.count; r++) {
        uint32_t kr = rows.kernel - r * projection->stride_rows;
        const value_t *d_row = delta + (rows.first + r) * width * n_out;
        for (uint32_t c = 0; c < cols.count; c++) {
            uint32_t kc = cols.kernel - c * projection->stride_cols;
            const weight_t *w = kernel_at(layer.weights, projection, kr, kc,
                    ch);
            const value_t *d = d_row + (cols.first + c) * n_out;
            for (uint32_t o = 0; o < n_out; o++) {
                partial = value_sum_weighted(partial, w[o], d[o]);
            }
        }
    }
    return value_from_sum(partial);
}

void kind_send_partials(const backward_target_t *target, uint32_t slot,
        const value_t *delta) {
    const window_t *window = &windows[target->projection];
    const incoming_t *projection = window_projection(window);
    uint32_t base = partials_key(target, slot);
    uint32_t index = target->index_offset;
    for (uint32_t r = 0; r < target->n_rows; r++) {
        uint32_t row = target->row0 + r - projection->halo_row0;
        for (uint32_t col = 0; col < projection->pre_width; col++) {
            for (uint32_t ch = 0; ch < projection->pre_channels; ch++) {
                layer_send(slot, base | index++, value_to_payload(
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
    uint32_t n_out = out_channels(), width = layer.params.width;
    cost_count(COST_GRADIENTS, rows.count * cols.count * n_out);
    for (uint32_t r = 0; r < rows.count; r++) {
        uint32_t kr = rows.kernel - r * projection->stride_rows;
        const value_t *d_row = delta + (rows.first + r) * width * n_out;
        for (uint32_t c = 0; c < cols.count; c++) {
            uint32_t kc = cols.kernel - c * projection->stride_cols;
            weight_t *g = kernel_at(layer.gradient, projection, kr, kc,
                    at.ch);
            const value_t *d = d_row + (cols.first + c) * n_out;
            for (uint32_t o = 0; o < n_out; o++) {
                g[o] = weight_add(g[o], weight_product(x, d[o]));
            }
        }
    }
}

void kind_add_gradients(uint32_t slot, const value_t *delta) {
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
    weight_t *bias = bias_of(layer.gradient);
    uint32_t n_out = out_channels();
    for (uint32_t j = 0; j < core.params.n_neurons; j += n_out) {
        for (uint32_t o = 0; o < n_out; o++) {
            bias[o] = weight_add(bias[o], weight_from_value(delta[j + o]));
        }
    }
}
