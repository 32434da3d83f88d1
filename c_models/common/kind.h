// What a layer kind (models/dense, conv, pool) does behind layer.c: how its
// incoming projections turn activations into sums, and errors back into
// partial errors and gradients. Everything else about a sample's life is
// layer.c's.
#ifndef KIND_H
#define KIND_H

#include "layer.h"

//! Reads the kind's own parameters (after the backward targets), checks
//! the incoming projections and sets up the kind's working memory.
void kind_initialise(const void *params);
//! A slot is about to take a new sample (its sums are zero).
void kind_reset_slot(uint32_t slot);
//! Adds the input at place `input` (value x) into the slot's sums.
void kind_accumulate(uint32_t slot, uint32_t input, value_t x);
//! Every input is in: completes the sums (bias, averaging).
void kind_finish_sums(uint32_t slot, value_t *z);
//! The values the core sends for a slot, given its activations `a`: `a`
//! itself, or values computed from it (n_sent of them).
const value_t *kind_sent(uint32_t slot, const value_t *a);
//! Turns the errors of the sent values (error[0..n_sent)) into errors of
//! the core's own neurons (error[0..n_neurons)), in place.
void kind_own_errors(uint32_t slot, value_t *error);
//! Sends each backward target its partial errors for the slot's deltas,
//! then adds the slot's weight gradients.
void kind_backward(uint32_t slot, const value_t *delta);

#endif  // KIND_H
