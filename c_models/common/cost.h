// Where a model's work goes, for the cost model (spinnpop/cost_model):
// each site names a piece of work (enum cost_site, regions.h) and says how
// big it was. The emulator counts sites as the cores run and prices them
// in ARM cycles from a table measured on the ARM build
// (spinnpop/cost_model/calibrate.py, which counts them the same way in its
// harness); on the chip they are nothing.
#ifndef COST_H
#define COST_H

#include <stdint.h>

#include "regions.h"

#ifdef COST_COUNTING
//! Counts one piece of work of `site`, `units` in size.
void cost_count(uint32_t site, uint32_t units);
#else
static inline void cost_count(uint32_t site, uint32_t units) {
    (void) site;
    (void) units;
}
#endif

#endif  // COST_H
