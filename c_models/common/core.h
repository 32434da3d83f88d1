// The core of every population's cores, whatever the kind: c_main reads the
// regions every core has (its slice and how to send it, its key table, the
// run, the status), hands its own parameters to the role, and installs the
// packet handlers. A role is what the core does with samples: input.c
// streams them, layer.c (behind which the dense, convolution and pooling
// kinds sit) trains on them.
//
// The FIQ handler stores each packet where it belongs (the role's
// role_packet) and notes anything it completes, such as a sample's last
// partial error, as an event in a small ring; processing runs in a queued
// callback, outside the interrupt, so sending may wait for the router.
// A timer ticks every millisecond, for recovery (recovery.h).
#ifndef CORE_H
#define CORE_H

#include <stdbool.h>
#include <stdint.h>

#include <data_specification.h>
#include <spin1_api.h>

#include "cost.h"
#include "dtcm.h"
#include "key_table.h"
#include "numeric.h"
#include "recovery.h"
#include "regions.h"

//! Something a packet completed, for processing outside the interrupt.
typedef struct {
    uint32_t what;    //!< role-defined
    uint32_t slot;
} core_event_t;

//! What a slot's sample waits for, as the status reports it.
typedef struct {
    uint32_t step;
    uint32_t stage;       //!< enum stage; STAGE_NONE: nothing in the slot
    uint32_t received;
    uint32_t expected;
} slot_status_t;

typedef struct {
    core_params_t params;
    forward_segment_t *segments;
    key_entry_t *keys;
    const key_entry_t *last_entry;    //!< the block the last packet hit
    run_params_t run;
    status_t *status;
    core_event_t *events;             //!< a ring of events_capacity
    uint32_t events_capacity, events_head, events_count;
    bool processing;             //!< a processing callback is queued
    uint32_t steps_done;
    uint32_t log_capacity;       //!< packets a slot's sent log holds
    uint32_t *sent;              //!< SDRAM: the sent logs' pairs
    uint32_t progress;           //!< new packets and finished steps
    uint32_t heard;              //!< packets received at all
    uint32_t progress_seen, heard_seen;
    uint32_t quiet_ticks, idle_ticks, patience;
    uint32_t ticks_handled;      //!< the last tick the timer callback ran
} core_t;

extern core_t core;

//! Whether a timer tick has come that its callback has not handled: a
//! run of work then gives way to it (process()).
static inline bool core_tick_waits(void) {
    return spin1_get_simulation_time() != core.ticks_handled;
}

// What a role provides (input.c, layer.c).

//! Reads the role's parameters (after the core's and the segments) and
//! regions, and sets up its working memory.
void role_initialise(data_specification_metadata_t *ds, const void *params);
//! Starts the role's work, once everything is set up.
void role_start(void);
//! FIQ: stores a packet of the role's kinds, or says why not.
packet_verdict_t role_packet(const key_entry_t *entry, uint32_t key,
        uint32_t payload);
//! Timer: re-sends what the role sent for what it still waits for; false
//! if it waits for nothing.
bool role_resend(void);
//! Timer, every tick: answers packets of finished samples with what was
//! sent for them, and asks at once for what it can tell was lost.
void role_answer(void);
//! Whether the core stays to answer late requests once its steps are
//! done (an input core is the last to know a sample is done: it need not).
extern const bool role_lingers;
//! The role's patience in units of the run's: an input waits longer than
//! the cores it feeds, which ask for lost activations one by one first.
extern const uint32_t role_patience_factor;
//! With the FIQ held off: the next piece of the role's own work, if any.
bool role_next_work(uint32_t *slot, uint32_t *item);
//! Does that piece (and may go on with what followed it meanwhile).
void role_work(uint32_t slot, uint32_t item);
void role_event(core_event_t event);
//! What a slot waits for, for the status.
slot_status_t role_slot_status(uint32_t slot);

// What the core offers its role.

//! Sends a packet, waiting while the outgoing queue is full.
void core_send(uint32_t key, uint32_t payload);
//! Sends the slice's activations `a` of a sample, whose keys carry slot
//! field `field`, to the cores that need them; logged in `log` (if not
//! NULL) as step `step`'s.
void core_send_forward(uint32_t field, const value_t *a, sent_log_t *log,
        uint32_t step);
//! The number of the sender of a BACKWARD or ACK key among all the cores
//! that send the core packets of that kind.
static inline uint32_t core_sender(const key_entry_t *entry,
        key_fields_t fields) {
    return entry->index + fields.core;
}
//! FIQ: queues an event and starts processing.
void core_event(uint32_t what, uint32_t slot);
//! FIQ: makes sure processing will run (inline: once per packet).
static inline void core_start_processing(void) {
    if (!core.processing) {
        core.processing = true;
        spin1_trigger_user_event(0, 0);
    }
}
//! A sent log's (key, payload) pairs, in SDRAM.
static inline uint32_t *log_pairs(const sent_log_t *log) {
    return core.sent + log->first;
}
//! Copies `bytes` of SDRAM into DTCM.
void *core_copy_to_dtcm(const void *sdram, uint32_t bytes);
//! Counts a step done, and stops the core when the run is over.
void core_step_done(void);
void core_report_status(void);

#endif  // CORE_H
