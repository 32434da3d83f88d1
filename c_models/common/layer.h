// A trained population's cores (the role behind dense, convolution and
// pooling kinds): the life of a sample on a core.
//
//   layer.c    set-up; activations stored as they arrive and handed to the
//              kind to multiply in; the activation function and the softmax
//              exchange; partial errors summed into deltas; acknowledgements
//   output.c   the loss at an output population, and its recording
//   update.c   batch ends: shared gradients summed over the population's
//              cores, then the optimizer's step
//   kind.h     what a kind does: sums, bias, partial errors and gradients
//
// Up to n_slots samples are in flight; a slot holds one sample's working
// values in DTCM: the sums z, the activations a and the errors (then
// deltas), and for a softmax the maximum, exp-sum and (hidden, training)
// share of sum_j a_j e_j of every core of the population. Each slot's received activations are kept in SDRAM (for the
// weight gradient), as are the weights, their gradients and the
// optimizer's buffers, laid out as the kind's Python class says.
#ifndef LAYER_H
#define LAYER_H

#include "activation.h"
#include "core.h"
#include "loss.h"

//! Bookkeeping of one in-flight sample.
typedef struct {
    uint32_t step;               //!< the sequence step the slot holds
    uint32_t field;              //!< the slot field of that step's keys
    uint32_t forward_arrived;    //!< activations stored by the FIQ handler
    uint32_t forward_received;   //!< activations multiplied in
    uint32_t maxima_received;    //!< softmax maxima received
    uint32_t softmax_received;   //!< softmax values received (all rounds)
    uint32_t backward_received;  //!< partial errors stored by the FIQ
    uint32_t backward_added;     //!< partial errors added into the errors
    uint32_t forward_done;       //!< 1 once the activations are out
    uint32_t asked;              //!< ASKED_*: a packet of its previous
                                 //!< sample asks for what was sent for it
    uint32_t asked_targets;      //!< bit t: backward target t asks for
                                 //!< its partial errors of that sample
    uint32_t answers;            //!< answers given for that sample
    uint32_t overtaken;          //!< OVERTAKEN_*: what later samples
                                 //!< showed lost, and what was asked for
    uint32_t tick_arrived;       //!< forward_arrived at the last tick
    uint32_t tick_backward;      //!< backward_received at the last tick
} layer_slot_t;

//! A later sample's activations have all come (so all of this one's that
//! came of any were sent), or its partial errors (set by the FIQ).
#define OVERTAKEN_FORWARD 1u
#define OVERTAKEN_BACKWARD 2u
//! Asked for what a later sample showed lost: activations, partial errors.
#define OVERTAKEN_ASKED_FORWARD 4u
#define OVERTAKEN_ASKED_BACKWARD 8u
//! Asked for activations missing below one that came from the same core.
#define OVERTAKEN_ASKED_GAPS 16u

//! Asked for the whole log of a finished sample.
#define ASKED_LOG 1u
//! Asked only whether this core and those downstream acknowledged it.
#define ASKED_QUESTION 2u

//! Answers a finished sample gives at most: they stop any exchange of
//! answers between finished cores (a softmax population's).
#define MOST_ANSWERS 8

typedef struct {
    layer_params_t params;
    incoming_t *incoming;
    backward_target_t *backward;
    const backward_source_t *sources;  //!< SDRAM: backward_senders of them
    uint32_t partial_shift;      //!< bits of the index in our partials' keys
    const void *backward_params;  //!< SDRAM: the targets, then the kind's
    weight_t *weights;           //!< the kind's layout: DTCM if they fit
    weight_t *weights_sdram;     //!< SDRAM: where the host reads them
    weight_t *velocity;          //!< SDRAM, same layout
    weight_t *squares;           //!< SDRAM, same layout: Adam, RMSprop
    weight_t *gradient;          //!< same layout, beside the weights
    weight_t *reduced;           //!< SDRAM: shared gradients received
    value_t *inputs;             //!< SDRAM: each slot's input_space
                                 //!< values, then its partials
    uint32_t slot_store;         //!< words of that per slot
    const value_t *targets;      //!< output: samples x n_neurons
    const uint32_t *order;       //!< output: data-set index of each step
    metrics_record_t *metrics;   //!< output: one record per step
    value_t *outputs;            //!< output: steps x n_neurons, if recorded
    layer_slot_t *slots;
    uint16_t *arrivals;          //!< DTCM: input places by arrival, per slot
    value_t *values;             //!< DTCM: values_per_slot for each slot
    value_t *log_norms;          //!< DTCM: a shaped softmax's log
                                 //!< normaliser of each position, in use
                                 //!< while its sample's loss is taken
    uint32_t values_per_slot;
    sent_log_t *logs;            //!< DTCM: each slot's sent log (its
                                 //!< pairs in SDRAM, core.sent)
    uint32_t *seen;              //!< DTCM: each slot's received bitmaps
    uint32_t forward_words, softmax_words, backward_words;
    uint32_t backward_bits;
    uint32_t batch_done;         //!< samples of the batch backpropagated
    uint32_t reduce_received;    //!< shared gradients received
    uint32_t held_slot;          //!< a batch's last slot, held for its update
    uint32_t requests[MOST_REQUESTS];  //!< FIQ: keys of our activations
                                       //!< that cores downstream lost
    uint32_t n_requests;
    volatile uint32_t answer_due;  //!< FIQ: 1 once requests wait
} layer_t;

extern layer_t layer;

//! Events the FIQ handler raises for processing.
enum { SOFTMAX_MAXIMA, SOFTMAX_DONE, BACKWARD_DONE, SOFTMAX_SHARES,
    REDUCE_DONE };

static inline value_t *slot_inputs(uint32_t slot) {
    return layer.inputs + slot * layer.slot_store;
}

//! A partial error the FIQ handler stored, for processing to add in: the
//! FIQ does no arithmetic, which is soft-float on the ARM968 and would
//! make it too slow for the router (c_models/host/machine.h,
//! ROUTER_WAIT_CYCLES).
typedef struct {
    uint32_t index;     //!< of the sent neuron
    value_t value;
} partial_t;

//! The slot's partial errors in the order they came (backward_expected).
static inline partial_t *slot_partials(uint32_t slot) {
    return (partial_t *) (slot_inputs(slot) + layer.params.input_space);
}

static inline uint16_t *slot_arrivals(uint32_t slot) {
    return layer.arrivals + slot * layer.params.n_inputs;
}

static inline value_t *slot_z(uint32_t slot) {
    return layer.values + slot * layer.values_per_slot;
}

static inline value_t *slot_a(uint32_t slot) {
    return slot_z(slot) + core.params.n_neurons;
}

static inline value_t *slot_error(uint32_t slot) {
    return slot_a(slot) + core.params.n_neurons;
}

static inline value_t *slot_softmax_max(uint32_t slot) {
    return slot_error(slot) + core.params.n_neurons;
}

static inline value_t *slot_softmax_sum(uint32_t slot) {
    return slot_softmax_max(slot) + layer.params.softmax_cores;
}

static inline value_t *slot_softmax_share(uint32_t slot) {
    return slot_softmax_sum(slot) + layer.params.softmax_cores;
}

static inline sent_log_t *slot_log(uint32_t slot) {
    return &layer.logs[slot];
}

//! A slot's bitmaps: the input places, softmax values and partial errors
//! received.
static inline uint32_t *forward_seen(uint32_t slot) {
    return layer.seen + slot * (layer.forward_words + layer.softmax_words
            + layer.backward_words);
}

static inline uint32_t *softmax_seen(uint32_t slot) {
    return forward_seen(slot) + layer.forward_words;
}

static inline uint32_t *backward_seen(uint32_t slot) {
    return softmax_seen(slot) + layer.softmax_words;
}

//! The first key of a backward target's partial errors for a slot.
static inline uint32_t partials_key(const backward_target_t *target,
        uint32_t slot) {
    return target->key | (layer.slots[slot].field << target->slot_shift);
}

//! Sends a packet of a slot's sample, logged for re-sending.
static inline void layer_send(uint32_t slot, uint32_t key,
        uint32_t payload) {
    log_send(slot_log(slot), core.log_capacity, layer.slots[slot].step, key,
            payload);
}

//! The incoming projection an input place belongs to.
static inline const incoming_t *incoming_of(uint32_t input) {
    uint32_t p = layer.params.n_incoming - 1;
    while (input < layer.incoming[p].input_offset) {
        p--;
    }
    return &layer.incoming[p];
}

// output.c
//! The loss of a slot's sample at an output; a softmax's log normalisers
//! are `log_norms`, one for each `group` neurons.
void output_loss(uint32_t slot, const value_t *log_norms, uint32_t group);

// update.c
void update_initialise(void);
//! A batch of `samples` ended on this core: once the weights are updated
//! (at once, or when the population's other cores have sent their
//! gradients) the held slot is released.
void update_batch_end(uint32_t samples);
//! FIQ: a running sum (KEY_REDUCE) or total (KEY_TOTAL) of shared
//! gradients; the key's slot field is the batch's parity.
packet_verdict_t update_arrived(uint32_t kind, key_fields_t fields,
        uint32_t payload);
//! Shared gradients from another core are in.
void update_reduce_done(void);
//! Timer: answers a late request for the last batch end's packets.
void update_answer(void);
//! Where in the held slot's log the packets to send again start: its sums,
//! while the batch end waits for them, since the sample's activations have
//! all been used, and a core upstream that lost a partial error of it is
//! answered once the update releases the slot; 0 otherwise.
uint32_t update_log_start(void);

// layer.c
//! The held slot's sample is finished now that the update is done.
void layer_release_held(void);

#endif  // LAYER_H
