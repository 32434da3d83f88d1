// Finding what a received key means: the table holds one entry per sending
// partition (PACMAN aligns each partition's keys to its mask), sorted by
// key, so a binary search finds it. Entries with equal keys (two
// projections from one population) are adjacent.
#ifndef KEY_TABLE_H
#define KEY_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "regions.h"

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

//! The slot (in-flight sample) a key of this entry carries.
static inline uint32_t key_slot(const key_entry_t *entry, uint32_t key) {
    return (key & ~entry->mask) >> entry->shift;
}

//! The neuron (or softmax value) index a key of this entry carries.
static inline uint32_t key_index(const key_entry_t *entry, uint32_t key) {
    return key & ~entry->mask & ((1u << entry->shift) - 1);
}

#endif  // KEY_TABLE_H
