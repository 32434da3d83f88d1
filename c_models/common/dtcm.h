// Allocating working memory from the core's DTCM heap, and counting it so
// that the core can report what it took.
#ifndef DTCM_H
#define DTCM_H

#include <debug.h>
#include <spin1_api.h>

static uint32_t dtcm_allocated = 0;

//! bytes of DTCM, or a stop with RTE_MALLOC if the heap is exhausted.
static inline void *dtcm_allocate(uint32_t bytes) {
    void *block = spin1_malloc(bytes);
    if (block == NULL) {
        log_error("DTCM exhausted allocating %u bytes after %u", bytes,
                dtcm_allocated);
        rt_error(RTE_MALLOC);
    }
    dtcm_allocated += bytes;
    return block;
}

#endif  // DTCM_H
