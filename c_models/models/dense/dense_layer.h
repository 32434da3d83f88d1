// A dense population's slice: the state its parts share.
//
//   dense_layer.c  set-up, packet reception, sample bookkeeping
//   forward.c      accumulating inputs, activation, the softmax exchange
//   output.c       the loss at an output population, and its recording
//   backward.c     deltas, partial errors to pre cores, weight gradients
//   sgd.c          the weight update at batch ends
//
// Up to n_slots samples are in flight; a slot holds one sample's working
// values in DTCM. The weights, their gradients and momentum buffers live in
// SDRAM regions, laid out as [W of each incoming projection (n_pre rows of
// n_neurons), one row per input] then [bias (n_neurons)], and so do the
// inputs each slot received (kept for the weight gradient).
//
// Activations arriving from pre cores are stored by the FIQ handler itself,
// which notes their order of arrival; partial errors and softmax values go
// through a ring. Processing then multiplies the inputs in, in the order
// they came, and handles the ring.
#ifndef DENSE_LAYER_H
#define DENSE_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include <spin1_api.h>

#include "activation.h"
#include "key_table.h"
#include "loss.h"
#include "numeric.h"
#include "packet_ring.h"
#include "regions.h"

//! Bookkeeping of one in-flight sample.
typedef struct {
    uint32_t step;               //!< the sequence step the slot holds
    uint32_t forward_arrived;    //!< activations stored by the FIQ handler
    uint32_t forward_received;   //!< activations multiplied in
    uint32_t softmax_received;   //!< softmax maxima and sums received
    uint32_t backward_received;  //!< partial errors received
    uint32_t forward_done;       //!< 1 once the activations are out
} slot_t;

typedef struct {
    dense_params_t params;
    incoming_projection_t *incoming;
    backward_target_t *backward;
    key_entry_t *keys;
    run_params_t run;
    value_t *weights;            //!< SDRAM, see above
    value_t *velocity;           //!< SDRAM, same layout
    value_t *gradient;           //!< SDRAM, same layout
    value_t *inputs;             //!< SDRAM: n_inputs for each slot
    const value_t *targets;      //!< output: samples x n_neurons
    const uint32_t *order;       //!< output: data-set index of each step
    metrics_record_t *metrics;   //!< output: one record per step
    value_t *outputs;            //!< output: steps x n_neurons, if recorded
    status_t *status;
    slot_t *slots;
    uint16_t *arrivals;          //!< DTCM: input indices by arrival, per slot
    value_t *values;             //!< DTCM: values_per_slot for each slot
    uint32_t values_per_slot;
    packet_ring_t ring;
    bool processing;
    uint32_t steps_done;
    uint32_t batch_done;         //!< samples of the batch backpropagated
} dense_layer_t;

extern dense_layer_t layer;

// A slot's values: the inputs it received (in SDRAM), and in DTCM the
// weighted sums z, the activations a, the errors (then deltas), and for a
// softmax the maximum and exp-sum of each core of the population.
static inline value_t *slot_inputs(uint32_t slot) {
    return layer.inputs + slot * layer.params.n_inputs;
}

static inline uint16_t *slot_arrivals(uint32_t slot) {
    return layer.arrivals + slot * layer.params.n_inputs;
}

static inline value_t *slot_z(uint32_t slot) {
    return layer.values + slot * layer.values_per_slot;
}

static inline value_t *slot_a(uint32_t slot) {
    return slot_z(slot) + layer.params.n_neurons;
}

static inline value_t *slot_error(uint32_t slot) {
    return slot_a(slot) + layer.params.n_neurons;
}

static inline value_t *slot_softmax_max(uint32_t slot) {
    return slot_error(slot) + layer.params.n_neurons;
}

static inline value_t *slot_softmax_sum(uint32_t slot) {
    return slot_softmax_max(slot) + layer.params.softmax_cores;
}

//! Row `input` of the weights (or of a region with their layout).
static inline value_t *weight_row(value_t *region, uint32_t input) {
    return region + input * layer.params.n_neurons;
}

static inline const value_t *layer_bias(void) {
    return weight_row(layer.weights, layer.params.n_inputs);
}

// forward.c
void forward_arrive(const key_entry_t *entry, uint32_t key, value_t value);
void forward_accumulate(uint32_t slot, uint32_t input);
void softmax_receive(uint32_t slot, uint32_t core, uint32_t index,
        value_t value);

// output.c
void output_loss(uint32_t slot, value_t log_norm);

// backward.c
void backward_receive(uint32_t slot, uint32_t index, value_t partial);
void backpropagate(uint32_t slot);

// sgd.c
void sgd_update(uint32_t batch_size);

// dense_layer.c
void send_value(uint32_t key, value_t value);
void forward_finished(uint32_t slot, value_t log_norm);
void step_finished(uint32_t slot);

#endif  // DENSE_LAYER_H
