// What a layer kind (models/dense, conv, pool) does behind layer.c: how its
// incoming projections turn activations into sums, and errors back into
// partial errors and gradients. Everything else about a sample's life is
// layer.c's.
#ifndef KIND_H
#define KIND_H

#include "layer.h"

//! Checks the incoming projections and sets up the kind's working memory.
void kind_initialise(void);
//! A slot is about to take a new sample (its sums are zero).
void kind_reset_slot(uint32_t slot);
//! Adds the input at place `input` (value x) into the slot's sums.
void kind_accumulate(uint32_t slot, uint32_t input, value_t x);
//! Every input is in: completes the sums (bias, averaging).
void kind_finish_sums(uint32_t slot, value_t *z);
//! Sends each backward target its partial errors for the slot's deltas,
//! then adds the slot's weight gradients.
void kind_backward(uint32_t slot, const value_t *delta);

#endif  // KIND_H
