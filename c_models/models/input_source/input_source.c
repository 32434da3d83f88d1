// An input population's slice: streams samples from its SDRAM.
//
// Sample after sample in the run's order, each neuron's value goes out once
// as a multicast packet (key: slot and neuron; payload: the value). At most
// n_slots samples are in flight; a slot is reused only when every
// downstream core has acknowledged its sample, and in training a new batch
// starts only when the last one is acknowledged everywhere, that is, once
// every weight has been updated.
#include <data_specification.h>
#include <debug.h>
#include <spin1_api.h>

#include "dtcm.h"
#include "key_table.h"
#include "numeric.h"
#include "packet_ring.h"
#include "regions.h"
#include "schedule.h"

typedef struct {
    uint32_t step;
    uint32_t acks;
    uint32_t busy;
} input_slot_t;

static input_params_t params;
static run_params_t run;
static key_entry_t *keys;
static const value_t *data;
static const uint32_t *order;
static status_t *status;
static input_slot_t *slots;
static packet_ring_t ring;
static bool processing = false;
static uint32_t next_step = 0;
static uint32_t in_flight = 0;
static uint32_t steps_done = 0;

static void report_status(void) {
    status->steps_done = steps_done;
    status->waiting_stage = STAGE_NONE;
    status->waiting_step = steps_done;
    status->received = status->expected = 0;
    uint32_t oldest = UINT32_MAX;
    for (uint32_t s = 0; s < params.n_slots; s++) {
        if (slots[s].busy && slots[s].step < oldest) {
            oldest = slots[s].step;
            status->waiting_step = slots[s].step;
            status->waiting_stage = STAGE_ACKS;
            status->received = slots[s].acks;
            status->expected = params.acks_expected;
        }
    }
}

static void send_sample(uint32_t slot, uint32_t step) {
    const value_t *sample = data + order[step] * params.n_neurons;
    uint32_t base = params.forward_key | (slot << params.slot_shift);
    for (uint32_t i = 0; i < params.n_neurons; i++) {
        while (!spin1_send_mc_packet(base | i, value_to_payload(sample[i]),
                WITH_PAYLOAD)) {
            // the outgoing queue is full: wait for the router
        }
    }
}

static void send_samples(uint unused0, uint unused1) {
    (void) unused0;
    (void) unused1;
    while (next_step < run.n_steps) {
        uint32_t slot = next_step % params.n_slots;
        if (slots[slot].busy) {
            break;
        }
        if (run.mode == MODE_TRAIN && in_flight > 0
                && step_starts_batch(&run, next_step)) {
            break;  // the weights change at the batch end first
        }
        slots[slot] = (input_slot_t) {.step = next_step, .acks = 0, .busy = 1};
        in_flight++;
        send_sample(slot, next_step++);
    }
    report_status();
}

static void receive_ack(uint32_t step) {
    input_slot_t *slot = &slots[step % params.n_slots];
    if (!slot->busy || slot->step != step) {
        status->protocol_errors++;
        return;
    }
    if (++slot->acks < params.acks_expected) {
        return;
    }
    slot->busy = 0;
    in_flight--;
    if (++steps_done == run.n_steps) {
        report_status();
        status->state = STATE_DONE;
        spin1_exit(0);
        return;
    }
    send_samples(0, 0);
}

static void process_packets(uint unused0, uint unused1) {
    (void) unused0;
    (void) unused1;
    packet_t packet;
    while (packet_ring_take(&ring, &processing, &packet)) {
        const key_entry_t *entry = key_table_find(
                keys, params.n_key_entries, packet.key);
        if (entry == NULL || entry->kind != KEY_ACK) {
            status->unknown_keys++;
            continue;
        }
        receive_ack(packet.payload);
        if (steps_done == run.n_steps) {
            return;
        }
    }
    report_status();
}

static void packet_received(uint key, uint payload) {
    if (!packet_ring_receive(&ring, &processing, key, payload)) {
        status->ring_overflows++;
    }
}

void c_main(void) {
    data_specification_metadata_t *ds = data_specification_get_data_address();
    if (!data_specification_read_header(ds)) {
        rt_error(RTE_SWERR);
    }
    params = *(input_params_t *) data_specification_get_region(
            REGION_PARAMS, ds);
    run = *(run_params_t *) data_specification_get_region(REGION_RUN, ds);
    data = data_specification_get_region(REGION_DATA, ds);
    order = data_specification_get_region(REGION_ORDER, ds);
    status = data_specification_get_region(REGION_STATUS, ds);

    uint32_t key_bytes = params.n_key_entries * sizeof(key_entry_t);
    keys = dtcm_allocate(key_bytes);
    const key_entry_t *sdram_keys = data_specification_get_region(
            REGION_KEYS, ds);
    for (uint32_t e = 0; e < params.n_key_entries; e++) {
        keys[e] = sdram_keys[e];
    }
    slots = dtcm_allocate(params.n_slots * sizeof(input_slot_t));
    for (uint32_t s = 0; s < params.n_slots; s++) {
        slots[s] = (input_slot_t) {.step = 0, .acks = 0, .busy = 0};
    }
    ring.packets = dtcm_allocate(params.ring_capacity * sizeof(packet_t));
    ring.capacity = params.ring_capacity;
    ring.head = ring.count = 0;

    *status = (status_t) {.state = STATE_RUNNING,
            .dtcm_bytes = dtcm_allocated};
    spin1_callback_on(MCPL_PACKET_RECEIVED, packet_received, -1);
    // Queued, not at interrupt level, so that sending may wait for the
    // router (its interrupt empties the outgoing queue).
    spin1_callback_on(USER_EVENT, process_packets, 1);
    spin1_schedule_callback(send_samples, 0, 0, 1);
    spin1_start(SYNC_WAIT);
}
