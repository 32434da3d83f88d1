// The input kind: a population that streams samples from its SDRAM.
//
// Sample after sample in the run's order, each neuron's value goes out once
// as a multicast packet to the cores that need it. At most n_slots samples
// are in flight; a slot is reused only when every downstream core has
// acknowledged its sample, and in training a new batch starts only when the
// last one is acknowledged everywhere, that is, once every weight has been
// updated. When the host asks for a stop (the run region's stop_at step,
// read where it lies, the same for every input core), no batch starts at
// or after it, and once the last one is acknowledged the core reports
// itself stopped: every weight is then that of a batch end.
//
// Recovery (recovery.h): cores downstream ask for lost activations by
// their keys, and the input re-sends each one asked for. Otherwise the
// acknowledgements are the input's only news: once its patience (twice
// theirs) runs out with samples unacknowledged, it sends some of those
// samples again, then all of them (resend_sample); cores that have
// finished them answer with what they sent, and so on down the network,
// until what was lost has been replaced.
#include <debug.h>

#include "core.h"
#include "schedule.h"

enum { ACKS_DONE };

typedef struct {
    uint32_t step;
    uint32_t acks;
    uint32_t busy;
    uint32_t tries;     //!< times its acknowledgements were waited for
} input_slot_t;

const bool role_lingers = false;
const uint32_t role_patience_factor = 2;

//! Requests for lost activations held for processing; more are ignored
//! (their senders ask again).
#define REQUESTS 64

static input_params_t params;
static const value_t *data;
static const uint32_t *order;
static volatile const run_params_t *run_region;  // the host may write it
static input_slot_t *slots;
static uint32_t *acked;         // per slot, a bit per acknowledging core
static uint32_t acked_words;
static uint32_t next_step = 0;
static uint32_t in_flight = 0;
static uint32_t requests[REQUESTS];   // keys asked for, in order
static uint32_t requests_head = 0;
static uint32_t requests_count = 0;

static void send_sample(const input_slot_t *state) {
    core_send_forward(slot_field(state->step, core.params.n_slots),
            data + order[state->step] * core.params.n_neurons, NULL, 0);
}

//! Sends one activation of a slot's sample again: the one at `position`
//! of a segment's keys, `place` neurons into the segment.
static void send_place(const input_slot_t *state,
        const forward_segment_t *segment, uint32_t position, uint32_t place) {
    uint32_t field = slot_field(state->step, core.params.n_slots);
    const value_t *sample = data + order[state->step] * core.params.n_neurons;
    core_send(segment->key | field << segment->slot_shift | position,
            value_to_payload(sample[segment->first + place]));
}

//! The first time a sample's acknowledgements stop coming, the first
//! activation of each segment goes out again: every core it feeds gets a
//! packet of it, and one that finished the sample answers with what it
//! sent (its acknowledgement among them), and one that got none of it
//! asks for the rest. Only the second time does the whole sample go.
static void resend_sample(input_slot_t *state) {
    if (state->tries++ > 0) {
        send_sample(state);
        return;
    }
    for (uint32_t s = 0; s < core.params.n_segments; s++) {
        send_place(state, &core.segments[s], 0, 0);
    }
}

//! What a request for the activation with `key` asks for: the slot of
//! its sample, the segment and the place in it (PACKET_NEW); a sample no
//! longer in flight (PACKET_STALE); a key of ours that no activation has
//! (PACKET_INVALID); or another input core's key (PACKET_REQUEST: every
//! input core hears every request).
static packet_verdict_t locate(uint32_t key, uint32_t *slot,
        uint32_t *segment, uint32_t *place) {
    const core_params_t *p = &core.params;
    uint32_t row_shift = p->col_bits + p->ch_bits;
    for (uint32_t s = 0; s < p->n_segments; s++) {
        const forward_segment_t *block = &core.segments[s];
        uint32_t offset = key - block->key;
        uint32_t field = offset >> block->slot_shift;
        if (key < block->key || field >= 2 * p->n_slots) {
            continue;
        }
        uint32_t position = offset & ((1u << block->slot_shift) - 1);
        uint32_t row = position >> row_shift;
        uint32_t col = (position >> p->ch_bits) & ((1u << p->col_bits) - 1);
        uint32_t ch = position & ((1u << p->ch_bits) - 1);
        if (row >= block->n_rows || col >= p->width || ch >= p->channels) {
            return PACKET_INVALID;
        }
        for (uint32_t i = 0; i < p->n_slots; i++) {
            if (slots[i].busy
                    && slot_field(slots[i].step, p->n_slots) == field) {
                *slot = i;
                *segment = s;
                *place = (row * p->width + col) * p->channels + ch;
                return PACKET_NEW;
            }
        }
        return PACKET_STALE;
    }
    return PACKET_REQUEST;
}

static void send_samples(uint unused0, uint unused1) {
    (void) unused0;
    (void) unused1;
    while (next_step < core.run.n_steps) {
        uint32_t slot = next_step % core.params.n_slots;
        if (slots[slot].busy) {
            break;
        }
        bool starts_batch = core.run.mode != MODE_TRAIN
                || step_starts_batch(&core.run, next_step);
        uint32_t stop_at = run_region->stop_at;
        if (starts_batch && stop_at != 0 && next_step >= stop_at) {
            if (in_flight == 0) {
                core.status->state = STATE_STOPPED;
            }
            break;
        }
        if (core.run.mode == MODE_TRAIN && in_flight > 0 && starts_batch) {
            break;  // the weights change at the batch end first
        }
        input_slot_t *state = &slots[slot];
        state->step = next_step;
        state->acks = 0;
        state->busy = 1;
        state->tries = 0;
        bitmap_clear(acked + slot * acked_words, acked_words);
        in_flight++;
        send_sample(state);
        next_step++;
    }
    core_report_status();
}

packet_verdict_t role_packet(const key_entry_t *entry, uint32_t key,
        uint32_t payload) {
    key_fields_t fields = key_fields(entry, key);
    uint32_t sender = core_sender(entry, fields);
    if (entry->kind != KEY_ACK || sender >= params.acks_expected) {
        return PACKET_INVALID;
    }
    if (fields.index == ACK_REQUEST) {
        uint32_t at, segment, place;
        packet_verdict_t verdict = locate(payload, &at, &segment, &place);
        if (verdict != PACKET_NEW) {
            return verdict;
        }
        if (requests_count < REQUESTS) {
            requests[(requests_head + requests_count++) % REQUESTS] = payload;
            core_start_processing();
        }
        return PACKET_REQUEST;   // not progress: nothing came in
    }
    // The slot holding the step, found without a division (none on the
    // ARM968, and this is the packet interrupt).
    uint32_t index = 0;
    while (index < core.params.n_slots
            && !(slots[index].busy && slots[index].step == payload)) {
        index++;
    }
    if (index == core.params.n_slots) {
        return payload < next_step ? PACKET_STALE : PACKET_INVALID;
    }
    input_slot_t *slot = &slots[index];
    if (!bitmap_claim(acked + index * acked_words, sender)) {
        return PACKET_DUPLICATE;
    }
    if (++slot->acks == params.acks_expected) {
        core_event(ACKS_DONE, index);
    } else {
        core_start_processing();
    }
    return PACKET_NEW;
}

bool role_resend(void) {
    bool waiting = false;
    for (uint32_t s = 0; s < core.params.n_slots; s++) {
        if (slots[s].busy && slots[s].acks < params.acks_expected) {
            resend_sample(&slots[s]);
            waiting = true;
        }
    }
    return waiting;
}

void role_answer(void) {
    // Nobody asks the input for anything.
}

bool role_next_work(uint32_t *slot, uint32_t *item) {
    (void) slot;
    if (requests_count == 0) {
        return false;
    }
    *item = requests[requests_head];
    requests_head = (requests_head + 1) % REQUESTS;
    requests_count--;
    return true;
}

//! Re-sends the activation a downstream core asked for by its key, if
//! its sample is still in flight.
void role_work(uint32_t slot, uint32_t key) {
    (void) slot;
    uint32_t at, segment, place;
    if (locate(key, &at, &segment, &place) == PACKET_NEW) {
        send_place(&slots[at], &core.segments[segment],
                key & ((1u << core.segments[segment].slot_shift) - 1), place);
    }
}

void role_event(core_event_t event) {
    slots[event.slot].busy = 0;
    in_flight--;
    core_step_done();
    if (core.steps_done < core.run.n_steps) {
        send_samples(0, 0);
    }
}

slot_status_t role_slot_status(uint32_t slot) {
    const input_slot_t *state = &slots[slot];
    return (slot_status_t) {
        .step = state->step,
        .stage = state->busy ? STAGE_ACKS : STAGE_NONE,
        .received = state->acks, .expected = params.acks_expected};
}

void role_initialise(data_specification_metadata_t *ds, const void *role) {
    params = *(const input_params_t *) role;
    data = data_specification_get_region(REGION_DATA, ds);
    run_region = data_specification_get_region(REGION_RUN, ds);
    order = data_specification_get_region(REGION_ORDER, ds);
    slots = dtcm_allocate(core.params.n_slots * sizeof(input_slot_t));
    for (uint32_t s = 0; s < core.params.n_slots; s++) {
        slots[s] = (input_slot_t) {.step = 0, .acks = 0, .busy = 0,
            .tries = 0};
    }
    acked_words = bitmap_words(params.acks_expected);
    acked = dtcm_allocate(core.params.n_slots * acked_words
            * sizeof(uint32_t));
}

void role_start(void) {
    spin1_schedule_callback(send_samples, 0, 0, 1);
}
