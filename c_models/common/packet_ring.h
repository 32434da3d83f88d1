// A ring of received packets: the FIQ handler only stores a packet here and
// processing happens outside the interrupt, so the router is never held up.
// Its capacity is the protocol's bound on packets in flight to the core
// (every kind, for every slot), so with a correct peer it cannot overflow.
#ifndef PACKET_RING_H
#define PACKET_RING_H

#include <stdbool.h>
#include <stdint.h>

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

#endif  // PACKET_RING_H
