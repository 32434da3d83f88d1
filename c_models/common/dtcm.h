// Allocating working memory from the core's DTCM heap, and counting it so
// that the core can report what it took (core.c).
#ifndef DTCM_H
#define DTCM_H

#include <stdint.h>

//! sark's heap puts a two-word header before every block.
#define DTCM_BLOCK_HEADER 8

//! Heap bytes taken so far, as sark's allocator charges them: whole words
//! and a block header each.
extern uint32_t dtcm_allocated;

//! bytes of DTCM, or a stop with RTE_MALLOC if the heap is exhausted. No
//! bytes is no block (NULL): sark's allocator returns NULL for 0 bytes as
//! for failure, so nothing asks it for 0.
void *dtcm_allocate(uint32_t bytes);

#endif  // DTCM_H
