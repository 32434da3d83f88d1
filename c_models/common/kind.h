// What a layer kind (models/dense, conv, pool) does behind layer.c: how its
// incoming projections turn activations into sums, and errors back into
// partial errors and gradients. Everything else about a sample's life is
// layer.c's, one-to-one shortcuts (which any kind may take) included.
#ifndef KIND_H
#define KIND_H

#include "layer.h"

//! Reads the kind's own parameters (after the backward targets), checks
//! the incoming projections and sets up the kind's working memory.
void kind_initialise(const void *params);
//! A slot is about to take a new sample (its sums are zero).
void kind_reset_slot(uint32_t slot);
//! Adds the input at place `input` (value x) of `projection` into the
//! slot's sums (layer.c adds one-to-one shortcuts itself).
void kind_accumulate(uint32_t slot, const incoming_t *projection,
        uint32_t input, value_t x);
//! Every input is in: completes the sums (bias, averaging).
void kind_finish_sums(uint32_t slot, value_t *z);
//! Sends one backward target (not a shortcut's) its partial errors for the
//! slot's deltas.
void kind_send_partials(const backward_target_t *target, uint32_t slot,
        const value_t *delta);

// A kind may leave these out (layer.c has defaults): a core that sends
// its own activations, and a kind with no weights to learn.

//! The values the core sends for a slot, given its activations `a`: `a`
//! itself, or values computed from it (n_sent of them).
const value_t *kind_sent(uint32_t slot, const value_t *a);
//! Turns the errors of the sent values (error[0..n_sent)) into errors of
//! the core's own neurons (error[0..n_neurons)), in place.
void kind_own_errors(uint32_t slot, value_t *error);
//! Adds the slot's weight gradients.
void kind_add_gradients(uint32_t slot, const value_t *delta);

#endif  // KIND_H
