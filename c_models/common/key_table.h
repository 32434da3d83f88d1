// Finding what a received key means. The table holds one entry per block of
// keys the core listens to, sorted by key: one core's block, or the blocks
// of every core of a sending population, which PACMAN gives consecutive
// keys. A key reads base | core << core_shift | slot << shift | position
// (in a one-core block, the core bits are under the mask: core 0).
// Entries with equal keys (two projections from one population) are
// adjacent.
#ifndef KEY_TABLE_H
#define KEY_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "regions.h"

//! What a key carries: which core of the sending population sent it (0 in
//! a one-core block), the slot (in-flight sample) and the position.
typedef struct {
    uint32_t core;
    uint32_t slot;
    uint32_t index;
} key_fields_t;

//! Where a forward key's neuron sits in its population's grid.
typedef struct {
    uint32_t row;
    uint32_t col;
    uint32_t ch;
} grid_position_t;

//! The first entry matching `key`, or NULL.
static inline const key_entry_t *key_table_find(const key_entry_t *table,
        uint32_t n_entries, uint32_t key) {
    uint32_t low = 0, high = n_entries;
    while (low < high) {  // first entry with a base key above `key`
        uint32_t mid = (low + high) / 2;
        if (table[mid].key <= key) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    if (low == 0) {
        return NULL;
    }
    uint32_t found = low - 1;
    while (found > 0 && table[found - 1].key == table[found].key) {
        found--;
    }
    const key_entry_t *entry = &table[found];
    return (key & entry->mask) == entry->key ? entry : NULL;
}

static inline key_fields_t key_fields(const key_entry_t *entry,
        uint32_t key) {
    uint32_t local = key & ~entry->mask;
    uint32_t within = local & ((1u << entry->core_shift) - 1);
    return (key_fields_t) {
        .core = local >> entry->core_shift,
        .slot = within >> entry->shift,
        .index = within & ((1u << entry->shift) - 1)
    };
}

//! The grid position of a forward key's neuron: its fields are powers of
//! two, so no division is needed (the ARM968 has no divide instruction).
static inline grid_position_t key_position(const key_entry_t *entry,
        key_fields_t fields) {
    uint32_t index = fields.index;
    return (grid_position_t) {
        .row = entry->row0 + fields.core * entry->core_rows
                + (index >> (entry->col_bits + entry->ch_bits)),
        .col = (index >> entry->ch_bits) & ((1u << entry->col_bits) - 1),
        .ch = index & ((1u << entry->ch_bits) - 1)
    };
}

#endif  // KEY_TABLE_H
