// The activation of a dense population, chosen at build time: the Makefile
// injects one activation_*_impl.h with -include.
//
// An implementation defines:
//   ACTIVATION_IS_SOFTMAX   1 if the population normalises over all its
//                           neurons (softmax), which cores do together
//   ACTIVATION_IS_SIGMOID   1 for the sigmoid (the others need not define
//                           it), which binary cross-entropy needs
//   activation(z)           a = f(z)
//   activation_derivative(z, a)   f'(z), given a = f(z)
#ifndef ACTIVATION_H
#define ACTIVATION_H

#include "numeric.h"

#ifndef ACTIVATION_IMPL_H
#error "no activation: build with -include activation_<name>_impl.h"
#endif

#endif  // ACTIVATION_H
