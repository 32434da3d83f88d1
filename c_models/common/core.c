// The core of every population's cores: set-up, packet reception, the event
// ring, processing, sending and status (see core.h).
#include <debug.h>

#include "core.h"

core_t core;
uint32_t dtcm_allocated = 0;

void *dtcm_allocate(uint32_t bytes) {
    if (bytes == 0) {
        return NULL;
    }
    void *block = spin1_malloc(bytes);
    if (block == NULL) {
        log_error("DTCM exhausted allocating %u bytes after %u", bytes,
                dtcm_allocated);
        rt_error(RTE_MALLOC);
    }
    dtcm_allocated += ((bytes + 3) & ~3u) + DTCM_BLOCK_HEADER;
    return block;
}

void core_send(uint32_t key, uint32_t payload) {
    while (!spin1_send_mc_packet(key, payload, WITH_PAYLOAD)) {
        // the outgoing queue is full: wait for the router
    }
}

void log_send(sent_log_t *log, uint32_t capacity, uint32_t step,
        uint32_t key, uint32_t payload) {
    if (log->step != step) {
        log->step = step;
        log->count = 0;
    }
    if (log->count == capacity) {
        log_error("sent log of step %u full at %u packets", step, capacity);
        rt_error(RTE_SWERR);
    }
    uint32_t *pair = log_pairs(log) + 2 * log->count;
    pair[0] = key;
    pair[1] = payload;
    log->count++;
    core_send(key, payload);
}

void log_resend(const sent_log_t *log, uint32_t first) {
    const uint32_t *pairs = log_pairs(log);
    for (uint32_t i = first; i < log->count; i++) {
        core_send(pairs[2 * i], pairs[2 * i + 1]);
    }
}

void core_send_forward(uint32_t field, const value_t *a, sent_log_t *log,
        uint32_t step) {
    const core_params_t *p = &core.params;
    uint32_t row_shift = p->col_bits + p->ch_bits;
    for (uint32_t s = 0; s < p->n_segments; s++) {
        const forward_segment_t *segment = &core.segments[s];
        const value_t *value = a + segment->first;
        uint32_t base = segment->key | (field << segment->slot_shift);
        for (uint32_t r = 0; r < segment->n_rows; r++) {
            for (uint32_t c = 0; c < p->width; c++) {
                uint32_t position = (r << row_shift) | (c << p->ch_bits);
                for (uint32_t ch = 0; ch < p->channels; ch++) {
                    uint32_t key = base | position | ch;
                    uint32_t payload = value_to_payload(*value++);
                    if (log != NULL) {
                        log_send(log, core.log_capacity, step, key, payload);
                    } else {
                        core_send(key, payload);
                    }
                }
            }
        }
    }
}

void core_event(uint32_t what, uint32_t slot) {
    if (core.events_count == core.events_capacity) {
        core.status->ring_overflows++;
    } else {
        uint32_t tail = core.events_head + core.events_count;
        if (tail >= core.events_capacity) {
            tail -= core.events_capacity;
        }
        core.events[tail] = (core_event_t) {what, slot};
        core.events_count++;
    }
    core_start_processing();
}

static bool event_pop(core_event_t *event) {
    if (core.events_count == 0) {
        return false;
    }
    *event = core.events[core.events_head];
    if (++core.events_head == core.events_capacity) {
        core.events_head = 0;
    }
    core.events_count--;
    return true;
}

void core_report_status(void) {
    status_t *status = core.status;
    status->steps_done = core.steps_done;
    status->waiting_stage = STAGE_NONE;
    status->waiting_step = core.steps_done;
    status->received = status->expected = 0;
    uint32_t oldest = UINT32_MAX;
    for (uint32_t s = 0; s < core.params.n_slots; s++) {
        slot_status_t slot = role_slot_status(s);
        if (slot.stage == STAGE_NONE || slot.step >= core.run.n_steps
                || slot.step >= oldest) {
            continue;
        }
        oldest = slot.step;
        status->waiting_step = slot.step;
        status->waiting_stage = slot.stage;
        status->received = slot.received;
        status->expected = slot.expected;
    }
}

void core_step_done(void) {
    uint cpsr = spin1_fiq_disable();  // the FIQ handler counts it too
    core.progress++;
    spin1_mode_restore(cpsr);
    core.status->steps_done = ++core.steps_done;
    if (core.steps_done == core.run.n_steps) {
        core_report_status();
        core.status->state = STATE_DONE;
        if (!role_lingers) {
            spin1_exit(0);
        }
    }
}

//! Every millisecond: tells the host what the core waits for, re-sends
//! after the patience runs out with no progress, answers late requests,
//! and lets a finished core go once nobody has asked it anything for a
//! while.
static void timer_tick(uint ticks, uint unused) {
    (void) unused;
    core.ticks_handled = ticks;
    // Here, not after each piece of work: it looks at every slot, which
    // would cost about as much again as handling a packet.
    core_report_status();
    uint32_t start = role_patience_factor * core.run.patience;
    if (core.progress != core.progress_seen) {
        core.progress_seen = core.progress;
        core.quiet_ticks = 0;
        core.patience = start;
    } else if (++core.quiet_ticks >= core.patience) {
        core.quiet_ticks = 0;
        if (role_resend()) {
            core.status->resends++;
            if (core.patience < MOST_BACKOFF * start) {
                core.patience *= 2;
            }
        }
    }
    role_answer();
    if (core.heard != core.heard_seen) {
        core.heard_seen = core.heard;
        core.idle_ticks = 0;
    } else if (core.steps_done == core.run.n_steps
            && ++core.idle_ticks >= LINGER_FACTOR * MOST_BACKOFF * start) {
        spin1_exit(0);
    }
}

typedef enum { NO_WORK, ROLE_WORK, EVENT_WORK } work_t;

//! Queued callbacks' priorities: processing, the timer, and processing
//! that gave way to the timer.
enum { PROCESS_PRIORITY = 1, TIMER_PRIORITY, PROCESS_AGAIN_PRIORITY };

//! The next thing to process: the role's own work first, then events.
//! With the FIQ held off, running out of both ends processing, so that the
//! next packet to arrive starts it again.
static work_t take_work(uint32_t *slot, uint32_t *item, core_event_t *event) {
    uint cpsr = spin1_fiq_disable();
    work_t work = role_next_work(slot, item) ? ROLE_WORK
            : event_pop(event) ? EVENT_WORK : NO_WORK;
    if (work == NO_WORK) {
        core.processing = false;
    }
    spin1_mode_restore(cpsr);
    return work;
}

static void process(uint unused0, uint unused1) {
    (void) unused0;
    (void) unused1;
    uint32_t slot, item;
    core_event_t event;
    for (work_t work; (work = take_work(&slot, &item, &event)) != NO_WORK;) {
        if (work == ROLE_WORK) {
            role_work(slot, item);
        } else {
            role_event(event);
        }
        if (core.steps_done == core.run.n_steps && !role_lingers) {
            return;  // it has exited
        }
        // A tick's callback waits behind this one (a lower priority) and
        // would wait out the whole run: tens of milliseconds on a
        // convolution's core, while it should notice what was lost and
        // answer those asking. The rest of the run waits behind it.
        if (core_tick_waits() && spin1_schedule_callback(process, 0, 0,
                PROCESS_AGAIN_PRIORITY) == SUCCESS) {
            return;
        }
    }
}

//! Matches no key: the last block hit before any packet came.
static const key_entry_t no_entry = {.key = 1, .mask = 0};

//! FIQ: the role stores the packet; what it could not use is counted.
static void packet_received(uint key, uint payload) {
    core.heard++;
    // Packets come in runs from one block (a sender's activations, a
    // layer's partial errors): the last block is tried before the search.
    // Blocks do not overlap, so a key in it is found nowhere else first.
    const key_entry_t *entry = core.last_entry;
    if ((key & entry->mask) != entry->key) {
        entry = key_table_find(core.keys, core.params.n_key_entries, key);
        if (entry == NULL) {
            core.status->unknown_keys++;
            return;
        }
        core.last_entry = entry;
    }
    switch (role_packet(entry, key, payload)) {
    case PACKET_NEW:
        core.progress++;
        break;
    case PACKET_DUPLICATE:
        core.status->duplicates++;
        break;
    case PACKET_STALE:
        core.status->stale++;
        break;
    case PACKET_REQUEST:
        break;
    default:
        core.status->protocol_errors++;
    }
}

void numeric_saturated(void) {
    // Rare, and counted from the FIQ handler too: the count is taken with
    // the packet interrupt held off.
    uint cpsr = spin1_fiq_disable();
    core.status->saturations++;
    spin1_mode_restore(cpsr);
}

void *core_copy_to_dtcm(const void *sdram, uint32_t bytes) {
    uint8_t *dtcm = dtcm_allocate(bytes);
    const uint8_t *from = sdram;
    for (uint32_t b = 0; b < bytes; b++) {
        dtcm[b] = from[b];
    }
    return dtcm;
}

void c_main(void) {
    data_specification_metadata_t *ds = data_specification_get_data_address();
    if (!data_specification_read_header(ds)) {
        rt_error(RTE_SWERR);
    }
    const uint8_t *params = data_specification_get_region(REGION_PARAMS, ds);
    core.params = *(const core_params_t *) params;
    params += sizeof(core_params_t);
    uint32_t segment_bytes =
            core.params.n_segments * sizeof(forward_segment_t);
    core.segments = core_copy_to_dtcm(params, segment_bytes);
    core.keys = core_copy_to_dtcm(
            data_specification_get_region(REGION_KEYS, ds),
            core.params.n_key_entries * sizeof(key_entry_t));
    core.last_entry = &no_entry;
    core.run = *(const run_params_t *) data_specification_get_region(
            REGION_RUN, ds);
    core.status = data_specification_get_region(REGION_STATUS, ds);
    // Per slot at most: the softmax exchange and the backward pass (or
    // the acknowledgements) complete, plus a batch end's two reductions.
    core.events_capacity = 2 * core.params.n_slots + 2;
    core.events = dtcm_allocate(core.events_capacity * sizeof(core_event_t));
    core.events_head = core.events_count = 0;
    core.processing = false;
    core.steps_done = 0;
    core.progress = core.heard = core.progress_seen = core.heard_seen = 0;
    core.quiet_ticks = core.idle_ticks = core.ticks_handled = 0;
    core.patience = role_patience_factor * core.run.patience;
    *core.status = (status_t) {.state = STATE_RUNNING};

    role_initialise(ds, params + segment_bytes);
    core.status->dtcm_bytes = dtcm_allocated;
    core_report_status();
    spin1_callback_on(MCPL_PACKET_RECEIVED, packet_received, -1);
    // Queued, not at interrupt level, so that sending may wait for the
    // router (its interrupt empties the outgoing queue).
    spin1_callback_on(USER_EVENT, process, PROCESS_PRIORITY);
    spin1_set_timer_tick(TICK_MICROSECONDS);
    spin1_callback_on(TIMER_TICK, timer_tick, TIMER_PRIORITY);
    role_start();
    spin1_start(SYNC_WAIT);
}
