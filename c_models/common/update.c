// Batch ends. The step is stochastic gradient descent as PyTorch defines
// it: with g the batch's mean gradient (its sum times 1 / batch size) plus
// weight_decay * w, v = momentum * v + g and w -= rate * v, or with
// Nesterov momentum w -= rate * (g + momentum * v) (without momentum,
// w -= rate * g); gradients then start again from zero.
//
// A population whose cores hold the same weights (a convolution's kernels)
// first sums its cores' gradients, in a fixed order so that every core gets
// the same bits: core 0 sends its gradients to core 1, which adds its own
// to them and sends the sum on, and the last core sends the total to all
// the others. Every core then takes the same step, so the weights stay
// identical everywhere. The batch's last sample is acknowledged only after
// the step, so the next batch cannot start before it.
//
// Recovery (recovery.h): the sums go out through the held slot's log.
// Their keys carry the batch's parity, so a late one of the last batch is
// told apart; one from the previous core asks for this core's share again
// (that core waits for the total, which comes down the chain), while a
// late total asks for nothing.
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
static volatile uint32_t asked;     // the FIQ handler's note
static uint32_t answers;

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
    if (layer.params.shared_cores > 1) {
        reduce_seen = dtcm_allocate(bitmap_words(layer.params.n_weights)
                * sizeof(uint32_t));
        bitmap_clear(reduce_seen, bitmap_words(layer.params.n_weights));
    }
}

static void sgd(void) {
    weight_t rate = core.run.learning_rate;
    weight_t momentum = core.run.momentum;
    weight_t decay = core.run.weight_decay;
    weight_t *w = layer.weights, *v = layer.velocity, *g = layer.gradient;
    // One division per batch, not per weight: the ARM968 divides in
    // software (hundreds of cycles), but multiplies in a few.
    weight_t mean = weight_div_uint(WEIGHT_ONE, batch_size);
    cost_count(COST_UPDATE, layer.params.n_weights);
    for (uint32_t k = 0; k < layer.params.n_weights; k++) {
        weight_t step = weight_mul(g[k], mean);
        if (decay != WEIGHT_ZERO) {
            step = weight_add(step, weight_mul(decay, w[k]));
        }
        if (momentum != WEIGHT_ZERO) {
            v[k] = weight_add(weight_mul(momentum, v[k]), step);
            step = core.run.nesterov
                    ? weight_add(step, weight_mul(momentum, v[k])) : v[k];
        }
        w[k] = weight_sub(w[k], weight_mul(rate, step));
        g[k] = WEIGHT_ZERO;
    }
    if (layer.params.weights_in_dtcm) {
        // The host reads them from SDRAM, after the run or at any batch end
        // it stops at; SDRAM writes are buffered, so this costs little.
        for (uint32_t k = 0; k < layer.params.n_weights; k++) {
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
    answers = 0;
    sgd();
    layer_release_held();
}

void update_batch_end(uint32_t samples) {
    batch_size = samples;
    if (layer.params.shared_cores <= 1) {
        sgd();
        layer_release_held();
        return;
    }
    batch_ended = true;
    advance();
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
        log_resend(slot_log(last_slot));
    }
}
