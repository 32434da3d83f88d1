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
// Recovery (recovery.h): the acknowledgements are the input's only news.
// Once its patience runs out with samples unacknowledged, it sends those
// samples again; cores that have finished them answer with what they sent,
// and so on down the network, until what was lost has been replaced.
#include <debug.h>

#include "core.h"
#include "schedule.h"

enum { ACKS_DONE };

typedef struct {
    uint32_t step;
    uint32_t acks;
    uint32_t busy;
} input_slot_t;

const bool role_lingers = false;

static input_params_t params;
static const value_t *data;
static const uint32_t *order;
static volatile const run_params_t *run_region;  // the host may write it
static input_slot_t *slots;
static uint32_t *acked;         // per slot, a bit per acknowledging core
static uint32_t acked_words;
static uint32_t next_step = 0;
static uint32_t in_flight = 0;

static void send_sample(const input_slot_t *state) {
    core_send_forward(slot_field(state->step, core.params.n_slots),
            data + order[state->step] * core.params.n_neurons, NULL, 0);
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
        bitmap_clear(acked + slot * acked_words, acked_words);
        in_flight++;
        send_sample(state);
        next_step++;
    }
    core_report_status();
}

packet_verdict_t role_packet(const key_entry_t *entry, uint32_t key,
        uint32_t payload) {
    uint32_t sender = core_sender(entry, key_fields(entry, key));
    if (entry->kind != KEY_ACK || sender >= params.acks_expected) {
        return PACKET_INVALID;
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
            send_sample(&slots[s]);
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
    (void) item;
    return false;
}

void role_work(uint32_t slot, uint32_t item) {
    (void) slot;
    (void) item;
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
        slots[s] = (input_slot_t) {.step = 0, .acks = 0, .busy = 0};
    }
    acked_words = bitmap_words(params.acks_expected);
    acked = dtcm_allocate(core.params.n_slots * acked_words
            * sizeof(uint32_t));
}

void role_start(void) {
    spin1_schedule_callback(send_samples, 0, 0, 1);
}
