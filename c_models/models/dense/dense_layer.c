// A dense population's slice: set-up, packet reception and the life of a
// sample on this core (see dense_layer.h for the parts).
#include <data_specification.h>
#include <debug.h>

#include "dense_layer.h"
#include "dtcm.h"
#include "key_table.h"

dense_layer_t layer;

void send_value(uint32_t key, value_t value) {
    while (!spin1_send_mc_packet(key, value_to_payload(value), WITH_PAYLOAD)) {
        // the outgoing queue is full: wait for the router
    }
}

//! Reports the oldest unfinished sample and what it waits for.
static void report_status(void) {
    status_t *status = layer.status;
    status->steps_done = layer.steps_done;
    status->waiting_stage = STAGE_NONE;
    status->waiting_step = layer.steps_done;
    status->received = status->expected = 0;
    uint32_t oldest = UINT32_MAX;
    for (uint32_t s = 0; s < layer.params.n_slots; s++) {
        const slot_t *slot = &layer.slots[s];
        if (slot->step >= layer.run.n_steps || slot->step >= oldest) {
            continue;
        }
        oldest = slot->step;
        status->waiting_step = slot->step;
        if (slot->forward_received < layer.params.n_inputs) {
            status->waiting_stage = STAGE_FORWARD;
            status->received = slot->forward_arrived;
            status->expected = layer.params.n_inputs;
        } else if (!slot->forward_done) {
            status->waiting_stage = STAGE_SOFTMAX;
            status->received = slot->softmax_received;
            status->expected = 2 * layer.params.softmax_cores;
        } else {
            status->waiting_stage = STAGE_BACKWARD;
            status->received = slot->backward_received;
            status->expected = layer.params.backward_expected;
        }
    }
}

void forward_finished(uint32_t slot, value_t log_norm) {
    layer.slots[slot].forward_done = 1;
    if (layer.params.sends_forward) {
        const value_t *a = slot_a(slot);
        uint32_t base = layer.params.forward_key
                | (slot << layer.params.slot_shift);
        for (uint32_t j = 0; j < layer.params.n_neurons; j++) {
            send_value(base | j, a[j]);
        }
    }
    if (LOSS_AT_OUTPUT) {
        output_loss(slot, log_norm);
        if (layer.run.mode == MODE_TRAIN) {
            backpropagate(slot);
        } else {
            step_finished(slot);
        }
    } else if (layer.run.mode != MODE_TRAIN) {
        step_finished(slot);
    }
}

static void reset_slot(uint32_t slot, uint32_t step) {
    layer.slots[slot] = (slot_t) {.step = step};
    value_t *z = slot_z(slot), *error = slot_error(slot);
    for (uint32_t j = 0; j < layer.params.n_neurons; j++) {
        z[j] = VALUE_ZERO;
        error[j] = VALUE_ZERO;
    }
}

void step_finished(uint32_t slot) {
    uint32_t step = layer.slots[slot].step;
    // The slot is ready for its next sample before anyone hears this one
    // is done: that sample's packets may follow the acknowledgement.
    reset_slot(slot, step + layer.params.n_slots);
    if (layer.params.sends_acks) {
        while (!spin1_send_mc_packet(layer.params.ack_key, step,
                WITH_PAYLOAD)) {
            // the outgoing queue is full: wait for the router
        }
    }
    if (++layer.steps_done == layer.run.n_steps) {
        report_status();
        layer.status->state = STATE_DONE;
        spin1_exit(0);
    }
}

//! Acts on a partial error or softmax value; a slot's sample is known from
//! the slot alone, since a slot is reused only when every core has
//! finished with it.
static void handle_packet(uint32_t key, uint32_t payload) {
    const key_entry_t *entry = key_table_find(
            layer.keys, layer.params.n_key_entries, key);
    if (entry == NULL) {
        layer.status->unknown_keys++;
        return;
    }
    key_fields_t fields = key_fields(entry, key);
    uint32_t slot = fields.slot;
    value_t value = value_from_payload(payload);
    if (slot >= layer.params.n_slots
            || layer.slots[slot].step >= layer.run.n_steps
            || layer.slots[slot].forward_done
                    != (entry->kind == KEY_BACKWARD)) {
        layer.status->protocol_errors++;
        return;
    }
    if (entry->kind == KEY_SOFTMAX) {
        softmax_receive(slot, fields.core, fields.index, value);
    } else if (entry->kind == KEY_BACKWARD) {
        backward_receive(slot, fields.index, value);
    } else {
        layer.status->unknown_keys++;
    }
}

typedef enum { NO_WORK, INPUT_WORK, PACKET_WORK } work_t;

//! The next thing to process: an arrived input (oldest first, by slot),
//! else a packet from the ring. With the FIQ held off, running out of both
//! ends processing, so that the next packet to arrive starts it again.
static work_t take_work(uint32_t *slot, uint32_t *input, packet_t *packet) {
    uint cpsr = spin1_fiq_disable();
    work_t work = NO_WORK;
    for (uint32_t s = 0; s < layer.params.n_slots; s++) {
        const slot_t *state = &layer.slots[s];
        if (state->forward_received < state->forward_arrived) {
            *slot = s;
            *input = slot_arrivals(s)[state->forward_received];
            work = INPUT_WORK;
            break;
        }
    }
    if (work == NO_WORK) {
        if (packet_ring_pop(&layer.ring, packet)) {
            work = PACKET_WORK;
        } else {
            layer.processing = false;
        }
    }
    spin1_mode_restore(cpsr);
    return work;
}

static void process_packets(uint unused0, uint unused1) {
    (void) unused0;
    (void) unused1;
    uint32_t slot, input;
    packet_t packet;
    for (work_t work; (work = take_work(&slot, &input, &packet)) != NO_WORK;) {
        if (work == INPUT_WORK) {
            forward_accumulate(slot, input);
        } else {
            handle_packet(packet.key, packet.payload);
        }
        if (layer.steps_done == layer.run.n_steps) {
            return;
        }
    }
    report_status();
}

//! FIQ: activations are stored at once; other packets wait in the ring.
static void packet_received(uint key, uint payload) {
    const key_entry_t *entry = key_table_find(
            layer.keys, layer.params.n_key_entries, key);
    if (entry != NULL && entry->kind == KEY_FORWARD) {
        forward_arrive(entry, key, value_from_payload(payload));
        processing_start(&layer.processing);
    } else if (!packet_ring_receive(&layer.ring, &layer.processing, key,
            payload)) {
        layer.status->ring_overflows++;
    }
}

//! Copies `n` bytes of a region into DTCM.
static void *copy_to_dtcm(const void *sdram, uint32_t bytes) {
    uint8_t *dtcm = dtcm_allocate(bytes);
    const uint8_t *from = sdram;
    for (uint32_t b = 0; b < bytes; b++) {
        dtcm[b] = from[b];
    }
    return dtcm;
}

static void read_regions(data_specification_metadata_t *ds) {
    const uint8_t *params = data_specification_get_region(REGION_PARAMS, ds);
    layer.params = *(const dense_params_t *) params;
    params += sizeof(dense_params_t);
    uint32_t incoming_bytes =
            layer.params.n_incoming * sizeof(incoming_projection_t);
    layer.incoming = copy_to_dtcm(params, incoming_bytes);
    layer.backward = copy_to_dtcm(params + incoming_bytes,
            layer.params.n_backward_targets * sizeof(backward_target_t));
    layer.keys = copy_to_dtcm(data_specification_get_region(REGION_KEYS, ds),
            layer.params.n_key_entries * sizeof(key_entry_t));
    layer.run = *(const run_params_t *) data_specification_get_region(
            REGION_RUN, ds);
    layer.weights = data_specification_get_region(REGION_WEIGHTS, ds);
    layer.velocity = data_specification_get_region(REGION_VELOCITY, ds);
    layer.gradient = data_specification_get_region(REGION_GRADIENT, ds);
    layer.inputs = data_specification_get_region(REGION_INPUTS, ds);
    layer.targets = data_specification_get_region(REGION_TARGETS, ds);
    layer.order = data_specification_get_region(REGION_ORDER, ds);
    layer.metrics = data_specification_get_region(REGION_METRICS, ds);
    layer.outputs = data_specification_get_region(REGION_OUTPUTS, ds);
    layer.status = data_specification_get_region(REGION_STATUS, ds);
}

void c_main(void) {
    data_specification_metadata_t *ds = data_specification_get_data_address();
    if (!data_specification_read_header(ds)) {
        rt_error(RTE_SWERR);
    }
    read_regions(ds);
    if (layer.params.is_output != LOSS_AT_OUTPUT
            || (layer.params.softmax_cores > 0) != ACTIVATION_IS_SOFTMAX) {
        log_error("binary does not fit the population: output %u, softmax "
                "cores %u", layer.params.is_output,
                layer.params.softmax_cores);
        rt_error(RTE_SWERR);
    }

    uint32_t n_slots = layer.params.n_slots;
    layer.slots = dtcm_allocate(n_slots * sizeof(slot_t));
    layer.arrivals = dtcm_allocate(
            n_slots * layer.params.n_inputs * sizeof(uint16_t));
    layer.values_per_slot = 3 * layer.params.n_neurons
            + 2 * layer.params.softmax_cores;
    layer.values = dtcm_allocate(
            n_slots * layer.values_per_slot * sizeof(value_t));
    for (uint32_t s = 0; s < n_slots; s++) {
        reset_slot(s, s);
    }
    layer.ring.packets = dtcm_allocate(
            layer.params.ring_capacity * sizeof(packet_t));
    layer.ring.capacity = layer.params.ring_capacity;
    layer.ring.head = layer.ring.count = 0;
    layer.processing = false;
    layer.steps_done = 0;
    layer.batch_done = 0;
    for (uint32_t w = 0; w < layer.params.n_weights; w++) {
        layer.gradient[w] = VALUE_ZERO;
    }

    *layer.status = (status_t) {.state = STATE_RUNNING,
            .dtcm_bytes = dtcm_allocated};
    report_status();
    spin1_callback_on(MCPL_PACKET_RECEIVED, packet_received, -1);
    // Queued, not at interrupt level, so that sending may wait for the
    // router (its interrupt empties the outgoing queue).
    spin1_callback_on(USER_EVENT, process_packets, 1);
    spin1_start(SYNC_WAIT);
}
