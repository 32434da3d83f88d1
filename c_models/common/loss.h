// The loss an output population computes, chosen at build time: the
// Makefile injects one loss_*_impl.h with -include (loss_none_impl.h for a
// hidden population, whose errors come from the populations it feeds).
//
// An implementation defines:
//   LOSS_AT_OUTPUT   1 if this binary computes a loss
//   loss_term(z, a, y, log_norm, n)   this neuron's share of the sample's
//                    loss; log_norm is the softmax's log normaliser, n the
//                    population size
//   loss_delta(z, a, y, n)   dLoss/dz of this neuron for the sample
#ifndef LOSS_H
#define LOSS_H

#include "activation.h"

#ifndef LOSS_IMPL_H
#error "no loss: build with -include loss_<name>_impl.h"
#endif

#endif  // LOSS_H
