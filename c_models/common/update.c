// Batch ends. The step is the optimizer's as PyTorch defines it, with g
// the batch's mean gradient (its sum times 1 / batch size) plus
// weight_decay * w:
//   SGD      v = momentum * v + g and w -= rate * v, or with Nesterov
//            momentum w -= rate * (g + momentum * v) (without momentum,
//            w -= rate * g);
//   Adam     m = beta1 m + (1 - beta1) g, s = beta2 s + (1 - beta2) g^2,
//            w -= rate / (1 - beta1^t) * m / (sqrt(s) / sqrt(1 - beta2^t)
//            + epsilon), t counting the steps of every run so far;
//   RMSprop  s = beta2 s + (1 - beta2) g^2, d = g / (sqrt(s) + epsilon),
//            w -= rate * d, or with momentum v = momentum * v + d and
//            w -= rate * v;
// gradients then start again from zero. v (or m) is the velocity region,
// s the squares region.
//
// A population whose cores hold the same weights (a convolution's kernels)
// first sums its cores' gradients, in a fixed order so that every core gets
// the same bits: core 0 sends its gradients to core 1, which adds its own
// to them and sends the sum on, and the last core sends the total to all
// the others. Every core then takes the same step, so the weights stay
// identical everywhere. The batch's last sample is acknowledged only after
// the step, so the next batch cannot start before it.
//
// Recovery (recovery.h): the sums go out through the held slot's log, and
// only they are sent again from it while the batch end waits, or when
// asked afterwards. Their keys carry the batch's parity, so a late one of
// the last batch is told apart; one from the previous core asks for this
// core's share again (that core waits for the total, which comes down the
// chain), while a late total asks for nothing.
#include <debug.h>

#include "layer.h"

static uint32_t batch_size;
static bool batch_ended;     // this core's share is complete
static bool sums_in;         // the reduced region holds a full sum
static bool waiting_total;
static uint32_t parity;      // batches ended, modulo 2
static uint32_t parity_shift;        // where the parity sits in the keys
static uint32_t expected_kind;       // KEY_REDUCE, then KEY_TOTAL
static uint32_t *reduce_seen;        // a bit per weight
static uint32_t last_slot;           // the slot that logged the last
static uint32_t last_step;           // batch end's packets, and its step
static uint32_t sums_from;           // where the held log's sums start
static uint32_t last_sums_from;      // and the last batch end's
static volatile uint32_t asked;     // the FIQ handler's note
static uint32_t answers;
static uint32_t steps_taken;         // by the optimizer, this run's included

void update_initialise(void) {
    batch_ended = sums_in = waiting_total = false;
    asked = 0;
    parity = 0;
    parity_shift = 0;
    while ((1u << parity_shift) < layer.params.n_weights) {
        parity_shift++;
    }
    expected_kind = KEY_REDUCE;
    layer.reduce_received = 0;
    last_slot = UINT32_MAX;
    answers = 0;
    steps_taken = core.run.optimizer_steps;
    if (core.run.optimizer != OPTIMIZER_SGD && !NUMERIC_ADAPTIVE) {
        log_error("optimizer %u needs float32", core.run.optimizer);
        rt_error(RTE_SWERR);
    }
    if (layer.params.shared_cores > 1) {
        reduce_seen = dtcm_allocate(bitmap_words(layer.params.n_weights)
                * sizeof(uint32_t));
        bitmap_clear(reduce_seen, bitmap_words(layer.params.n_weights));
    }
}

//! A weight's gradient for the step: the batch's mean (its sum `g` times
//! `mean`, 1 / batch size) plus the L2 penalty's, as PyTorch adds it.
static inline weight_t batch_gradient(weight_t g, weight_t mean,
        const run_params_t *run, weight_t w) {
    weight_t gradient = weight_mul(g, mean);
    if (run->weight_decay != WEIGHT_ZERO) {
        gradient = weight_add(gradient, weight_mul(run->weight_decay, w));
    }
    return gradient;
}

// The steps read the run's settings from a copy on the stack: the weights
// they write could alias core.run's weight_t fields, which would then be
// read again for every weight.

//! The step of one weight by SGD, given its gradient with decay.
static inline weight_t sgd(const run_params_t *run, weight_t g,
        weight_t *v) {
    weight_t momentum = run->momentum;
    if (momentum == WEIGHT_ZERO) {
        return weight_mul(run->learning_rate, g);
    }
    *v = weight_add(weight_mul(momentum, *v), g);
    weight_t direction = run->nesterov
            ? weight_add(g, weight_mul(momentum, *v)) : *v;
    return weight_mul(run->learning_rate, direction);
}

#if NUMERIC_ADAPTIVE
//! base^t, by squaring (the numpy reference repeats it bit for bit).
static weight_t power(weight_t base, uint32_t t) {
    weight_t result = WEIGHT_ONE;
    for (; t != 0; t >>= 1) {
        if (t & 1) {
            result = weight_mul(result, base);
        }
        base = weight_mul(base, base);
    }
    return result;
}

//! What a step of Adam or RMSprop uses for every weight.
typedef struct {
    weight_t step_size;      //!< Adam: rate / (1 - beta1^t); RMSprop: rate
    weight_t root_correction;    //!< Adam: sqrt(1 - beta2^t); RMSprop: 1
    weight_t keep1, take1;       //!< Adam: beta1, 1 - beta1
    weight_t keep2, take2;       //!< beta2, 1 - beta2
} adaptive_t;

static adaptive_t adaptive_constants(const run_params_t *run) {
    adaptive_t c = {
        .step_size = run->learning_rate, .root_correction = WEIGHT_ONE,
        .keep1 = run->beta1, .take1 = weight_sub(WEIGHT_ONE, run->beta1),
        .keep2 = run->beta2, .take2 = weight_sub(WEIGHT_ONE, run->beta2)};
    if (run->optimizer == OPTIMIZER_ADAM) {
        c.step_size = weight_div(run->learning_rate, weight_sub(WEIGHT_ONE,
                power(run->beta1, steps_taken)));
        c.root_correction = weight_sqrt(weight_sub(WEIGHT_ONE,
                power(run->beta2, steps_taken)));
    }
    return c;
}

//! The step of one weight by Adam or RMSprop, given its gradient with
//! decay, its velocity (first moment) and its mean square.
static inline weight_t adaptive(const run_params_t *run,
        const adaptive_t *c, weight_t g, weight_t *v, weight_t *s) {
    *s = weight_add(weight_mul(c->keep2, *s),
            weight_mul(c->take2, weight_mul(g, g)));
    weight_t root = weight_sqrt(*s);
    if (run->optimizer == OPTIMIZER_ADAM) {
        *v = weight_add(weight_mul(c->keep1, *v), weight_mul(c->take1, g));
        weight_t denominator = weight_add(
                weight_div(root, c->root_correction), run->epsilon);
        return weight_mul(c->step_size, weight_div(*v, denominator));
    }
    weight_t direction = weight_div(g, weight_add(root, run->epsilon));
    if (run->momentum == WEIGHT_ZERO) {
        return weight_mul(c->step_size, direction);
    }
    *v = weight_add(weight_mul(run->momentum, *v), direction);
    return weight_mul(c->step_size, *v);
}
#endif

static void step_weights(void) {
    const run_params_t run = core.run;
    uint32_t n = layer.params.n_weights;
    weight_t *w = layer.weights, *v = layer.velocity, *g = layer.gradient;
    steps_taken++;
    // One division per batch, not per weight: the ARM968 divides in
    // software (hundreds of cycles), but multiplies in a few.
    weight_t mean = weight_div_uint(WEIGHT_ONE, batch_size);
    cost_count(COST_UPDATE, n);
    if (run.optimizer == OPTIMIZER_SGD) {
        for (uint32_t k = 0; k < n; k++) {
            weight_t gradient = batch_gradient(g[k], mean, &run, w[k]);
            w[k] = weight_sub(w[k], sgd(&run, gradient, &v[k]));
            g[k] = WEIGHT_ZERO;
        }
    }
#if NUMERIC_ADAPTIVE
    else {
        adaptive_t constants = adaptive_constants(&run);
        weight_t *s = layer.squares;
        cost_count(COST_ADAPTIVE, n);
        for (uint32_t k = 0; k < n; k++) {
            weight_t gradient = batch_gradient(g[k], mean, &run, w[k]);
            w[k] = weight_sub(w[k], adaptive(&run, &constants, gradient,
                    &v[k], &s[k]));
            g[k] = WEIGHT_ZERO;
        }
    }
#endif
    if (layer.params.weights_in_dtcm) {
        // The host reads them from SDRAM, after the run or at any batch end
        // it stops at; SDRAM writes are buffered, so this costs little.
        for (uint32_t k = 0; k < n; k++) {
            layer.weights_sdram[k] = w[k];
        }
    }
}

static void send_gradients(uint32_t key) {
    key |= parity << parity_shift;
    for (uint32_t k = 0; k < layer.params.n_weights; k++) {
        layer_send(layer.held_slot, key | k,
                weight_to_payload(layer.gradient[k]));
    }
}

//! Takes the received sums (with the FIQ handler's count reset for the
//! next ones, which cannot come before this core sends its own).
static void take_sums(bool add) {
    weight_t *g = layer.gradient;
    const weight_t *received = layer.reduced;
    cost_count(COST_UPDATE, layer.params.n_weights);
    for (uint32_t k = 0; k < layer.params.n_weights; k++) {
        g[k] = add ? weight_add(received[k], g[k]) : received[k];
    }
    sums_in = false;
}

//! Makes the FIQ handler take shared gradients of `kind` next, afresh, of
//! the next batch if `next_batch`: all at once, so that no duplicate of
//! what was just taken slips in between.
static void expect(uint32_t kind, bool next_batch) {
    uint cpsr = spin1_fiq_disable();
    expected_kind = kind;
    parity ^= next_batch;
    layer.reduce_received = 0;
    bitmap_clear(reduce_seen, bitmap_words(layer.params.n_weights));
    spin1_mode_restore(cpsr);
}

//! Moves the reduction on as far as what has arrived allows.
static void advance(void) {
    uint32_t index = layer.params.core_index;
    uint32_t last = layer.params.shared_cores - 1;
    if (!batch_ended) {
        return;
    }
    if (!waiting_total) {
        if (index > 0) {
            if (!sums_in) {
                return;
            }
            take_sums(true);
        }
        if (index < last) {
            expect(KEY_TOTAL, false);
            send_gradients(layer.params.reduce_key);
            waiting_total = true;
            return;
        }
        send_gradients(layer.params.total_key);
        expect(KEY_REDUCE, true);
    } else {
        if (!sums_in) {
            return;
        }
        take_sums(false);
        expect(KEY_REDUCE, true);
        waiting_total = false;
    }
    batch_ended = false;
    last_slot = layer.held_slot;
    last_step = layer.slots[last_slot].step;
    last_sums_from = sums_from;
    answers = 0;
    step_weights();
    layer_release_held();
}

void update_batch_end(uint32_t samples) {
    batch_size = samples;
    if (layer.params.shared_cores <= 1) {
        step_weights();
        layer_release_held();
        return;
    }
    batch_ended = true;
    sums_from = slot_log(layer.held_slot)->count;
    advance();
}

uint32_t update_log_start(void) {
    return layer.params.shared_cores > 1 && batch_ended ? sums_from : 0;
}

void update_reduce_done(void) {
    sums_in = true;
    advance();
}

packet_verdict_t update_arrived(uint32_t kind, key_fields_t fields,
        uint32_t payload) {
    if (fields.index >= layer.params.n_weights || fields.slot > 1
            || layer.params.shared_cores <= 1) {
        return PACKET_INVALID;
    }
    if (fields.slot != parity) {
        asked |= kind == KEY_REDUCE;
        return PACKET_STALE;
    }
    if (kind != expected_kind || !bitmap_claim(reduce_seen, fields.index)) {
        return PACKET_DUPLICATE;
    }
    layer.reduced[fields.index] = weight_from_payload(payload);
    if (++layer.reduce_received == layer.params.n_weights) {
        core_event(REDUCE_DONE, 0);
    } else {
        core_start_processing();
    }
    return PACKET_NEW;
}

void update_answer(void) {
    if (request_take(&asked) && last_slot != UINT32_MAX
            && answers < MOST_ANSWERS
            && slot_log(last_slot)->step == last_step) {
        answers++;
        log_resend(slot_log(last_slot), last_sums_from);
    }
}
