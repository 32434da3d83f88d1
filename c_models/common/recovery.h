// What makes lost packets harmless (DESIGN.md, packet protocol, point 7).
//
// A router may drop any packet. Every core logs in SDRAM what it sent for
// each slot's sample, and answers from that log:
//   - Packets from one core to another keep their order (unless emergency
//     routing takes one round a blocked link), and a core sends what it
//     sends for a sample together and its samples in order; so a layer
//     core that has, from a core (from an input only if the input is one
//     core), later activations of a sample than some it lacks, or
//     activations or partial errors of a later sample, knows those it
//     lacks were lost, and asks for them (as below) at its next tick,
//     without waiting out its patience. So does one to which nothing of a
//     sample came for a whole tick while it lacks some of what a core
//     sent part of (a core sends a sample's packets within microseconds
//     of each other). Of activations and partial errors, only those of a
//     sender none of whose came wait for the patience. Requests are
//     answered before any other work, and a run of work gives way to the
//     timer when a tick comes, so that a busy core neither notices nor
//     answers late.
//   - Lost activations are asked for one by one: a core whose patience
//     (timer ticks without progress, doubling after each fruitless try)
//     runs out with some of a sample's activations in and some not asks
//     the core that should have sent each missing one (at most
//     MOST_REQUESTS a slot at a time), naming its key: an input on its
//     acknowledgement key's request index (every input core hears it), a
//     layer core on the key of the partial errors this core returns to it,
//     in a slot field above the slots. That core re-sends just that packet
//     (from its log, at its next tick).
//   - A layer core waiting for partial errors sends the first activation of
//     each of its segments again: a core downstream that got none of the
//     sample then asks for the rest, and one that finished it sends its
//     partial errors for this core again.
//   - An input waiting for acknowledgements (its patience is twice the
//     others') sends one activation of each segment again, and only the
//     time after that the whole sample. A core that finished the sample
//     answers with its acknowledgement and passes the question on with the
//     last activation of each of its own segments (so that the cores
//     downstream do not take it for a call for partial errors).
//   - Any other core that waits (a softmax exchange, a batch end's sums)
//     sends what it sent again, and a peer that finished answers with its
//     log (at most MOST_ANSWERS times a sample).
// Receivers keep a bit per packet they expect of a sample, so duplicates
// are ignored, and a key's slot field carries the step modulo twice the
// slots, so a late packet of the sample a slot held before is never taken
// for its current one. A core that is not missing anything sends nothing
// extra: recovery costs two SDRAM writes per packet sent, and nothing else.
#ifndef RECOVERY_H
#define RECOVERY_H

#include <stdbool.h>
#include <stdint.h>

#include <spin1_api.h>

#include "regions.h"

//! Timer period: the unit of patience.
#define TICK_MICROSECONDS 1000
//! Patience doubles up to this many times its start after fruitless
//! re-sends.
#define MOST_BACKOFF 32
//! Lost input activations one slot asks for at a time.
#define MOST_REQUESTS 32
//! The index of an acknowledgement key that asks for a lost activation
//! (payload: its key) rather than acknowledging a step (payload: the step).
#define ACK_REQUEST 1
//! A core that has finished its steps answers late requests for this many
//! times its longest patience before it exits.
#define LINGER_FACTOR 4

//! What a received packet turned out to be.
typedef enum {
    PACKET_NEW,        //!< stored: progress
    PACKET_DUPLICATE,  //!< already had it
    PACKET_STALE,      //!< of a sample the core has finished
    PACKET_INVALID,    //!< fits no sample: a protocol error
    PACKET_REQUEST     //!< asks for a lost packet: not progress
} packet_verdict_t;

//! What a slot's sample sent: its step and count in DTCM, read at every
//! send (an SDRAM read costs 20 cycles), the (key, payload) pairs in
//! SDRAM.
typedef struct {
    uint32_t step;     //!< UINT32_MAX: nothing yet
    uint32_t count;
    uint32_t first;    //!< where its pairs start in core.sent, in words
                       //!< (not a pointer: 4 bytes on the host as well)
} sent_log_t;

//! The slot field of a step's keys: the step modulo twice the slots.
static inline uint32_t slot_field(uint32_t step, uint32_t n_slots) {
    return step % (2 * n_slots);
}

//! The slot a key's slot field names.
static inline uint32_t field_slot(uint32_t field, uint32_t n_slots) {
    return field >= n_slots ? field - n_slots : field;
}

static inline uint32_t bitmap_words(uint32_t bits) {
    return (bits + 31) >> 5;
}

//! Sets a bit; false if it was set already (a duplicate).
static inline bool bitmap_claim(uint32_t *map, uint32_t bit) {
    uint32_t word = bit >> 5, mask = 1u << (bit & 31);
    if (map[word] & mask) {
        return false;
    }
    map[word] |= mask;
    return true;
}

//! Whether a bit is set.
static inline bool bitmap_has(const uint32_t *map, uint32_t bit) {
    return map[bit >> 5] >> (bit & 31) & 1;
}

static inline void bitmap_clear(uint32_t *map, uint32_t words) {
    for (uint32_t w = 0; w < words; w++) {
        map[w] = 0;
    }
}

//! Takes the requests the FIQ handler noted in `flags` (clearing them).
static inline uint32_t request_take_all(volatile uint32_t *flags) {
    uint cpsr = spin1_fiq_disable();
    uint32_t asked = *flags;
    *flags = 0;
    spin1_mode_restore(cpsr);
    return asked;
}

//! Takes a request the FIQ handler noted in `flag` (clearing it).
static inline bool request_take(volatile uint32_t *flag) {
    return request_take_all(flag) != 0;
}

//! Sends a packet of `step`'s sample and logs it (the log of another step
//! is started afresh). A log holds `capacity` packets.
void log_send(sent_log_t *log, uint32_t capacity, uint32_t step,
        uint32_t key, uint32_t payload);
//! Sends again what the log holds from its packet `first` on.
void log_resend(const sent_log_t *log, uint32_t first);

#endif  // RECOVERY_H
