// A ring of received packets: the FIQ handler only stores a packet here and
// processing happens outside the interrupt, so the router is never held up.
// Its capacity is the protocol's bound on packets in flight to the core
// (every kind, for every slot), so with a correct peer it cannot overflow.
#ifndef PACKET_RING_H
#define PACKET_RING_H

#include <stdbool.h>
#include <stdint.h>

#include <spin1_api.h>

typedef struct {
    uint32_t key;
    uint32_t payload;
} packet_t;

typedef struct {
    packet_t *packets;
    uint32_t capacity;
    uint32_t head;       //!< next packet to take
    uint32_t count;
} packet_ring_t;

static inline bool packet_ring_push(packet_ring_t *ring, uint32_t key,
        uint32_t payload) {
    if (ring->count == ring->capacity) {
        return false;
    }
    uint32_t tail = ring->head + ring->count;
    if (tail >= ring->capacity) {
        tail -= ring->capacity;
    }
    ring->packets[tail] = (packet_t) {key, payload};
    ring->count++;
    return true;
}

static inline bool packet_ring_pop(packet_ring_t *ring, packet_t *packet) {
    if (ring->count == 0) {
        return false;
    }
    *packet = ring->packets[ring->head];
    if (++ring->head == ring->capacity) {
        ring->head = 0;
    }
    ring->count--;
    return true;
}

//! Unless the core is already processing packets, triggers the user event
//! that does (from the FIQ handler).
static inline void processing_start(bool *processing) {
    if (!*processing) {
        *processing = true;
        spin1_trigger_user_event(0, 0);
    }
}

//! The FIQ handler's work: stores a packet and starts processing. False if
//! the ring was full.
static inline bool packet_ring_receive(packet_ring_t *ring, bool *processing,
        uint32_t key, uint32_t payload) {
    if (!packet_ring_push(ring, key, payload)) {
        return false;
    }
    processing_start(processing);
    return true;
}

//! The next packet to process. With the FIQ held off, an empty ring also
//! ends processing, so that the next packet to arrive starts it again.
static inline bool packet_ring_take(packet_ring_t *ring, bool *processing,
        packet_t *packet) {
    uint cpsr = spin1_fiq_disable();
    bool got = packet_ring_pop(ring, packet);
    if (!got) {
        *processing = false;
    }
    spin1_mode_restore(cpsr);
    return got;
}

#endif  // PACKET_RING_H
