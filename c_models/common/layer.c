// A trained population's cores: set-up, packets stored as they arrive, and
// the life of a sample (see layer.h). Activations are multiplied in by the
// kind in the order they came; when the last is in, the activation
// function runs. A softmax population first agrees on its normaliser in
// two rounds: every core sends its largest sum to every core of the
// population; once all are in, each sends the sum of its exps relative to
// the largest of them, and adds everyone's in core order, so all cores get
// the same result, and (exp(z - max) not depending on the split) a
// fixed-point one whatever the split. Partial errors from the cores this
// one feeds are summed as they come; when all are in, the deltas are
// error * f'(z), and the kind sends its own partial errors back and adds
// up its gradients. A hidden softmax's deltas are a_i (e_i - sum_j a_j e_j)
// over the whole population: a third round, each core's share of the sum
// to every core, added in core order as the exp-sums are.
//
// Recovery (recovery.h): everything sent for a slot's sample goes through
// its log. A packet of the sample a slot held before is a question from
// its sender if it comes from upstream (activations: the sender waits for
// our partial errors or acknowledgement, or passes on an input's question)
// or from another softmax core; partial errors of a finished sample never
// are (who sends them needs nothing more from us). Cores downstream ask for
// lost activations on the partial errors' keys (note_request).
#include <debug.h>

#include "kind.h"
#include "schedule.h"

#define NO_SLOT UINT32_MAX

layer_t layer;
const bool role_lingers = true;
const uint32_t role_patience_factor = 1;

static value_t largest(const value_t *values, uint32_t n) {
    value_t max = values[0];
    for (uint32_t i = 1; i < n; i++) {
        if (values[i] > max) {
            max = values[i];
        }
    }
    return max;
}

static void reset_slot(uint32_t slot, uint32_t step) {
    layer.slots[slot] = (layer_slot_t) {.step = step,
        .field = slot_field(step, core.params.n_slots)};
    bitmap_clear(forward_seen(slot), layer.forward_words
            + layer.softmax_words + layer.backward_words);
    value_t *z = slot_z(slot), *error = slot_error(slot);
    for (uint32_t j = 0; j < core.params.n_neurons; j++) {
        z[j] = VALUE_ZERO;
        error[j] = VALUE_ZERO;
    }
    kind_reset_slot(slot);
}

static void step_finished(uint32_t slot) {
    uint32_t step = layer.slots[slot].step;
    // The slot is ready for its next sample before anyone hears this one
    // is done: that sample's packets may follow the acknowledgement.
    reset_slot(slot, step + core.params.n_slots);
    if (layer.params.sends_acks) {
        log_send(slot_log(slot), core.log_capacity, step,
                layer.params.ack_key, step);
    }
    core_step_done();
}

void layer_release_held(void) {
    uint32_t slot = layer.held_slot;
    layer.held_slot = NO_SLOT;
    step_finished(slot);
}

// Defaults of the hooks a kind may leave out (kind.h).

__attribute__((weak)) const value_t *kind_sent(uint32_t slot,
        const value_t *a) {
    (void) slot;
    return a;
}

__attribute__((weak)) void kind_own_errors(uint32_t slot, value_t *error) {
    (void) slot;
    (void) error;
}

__attribute__((weak)) void kind_add_gradients(uint32_t slot,
        const value_t *delta) {
    (void) slot;
    (void) delta;
}

//! Partial errors to a one-to-one shortcut's pre neurons: the deltas of
//! the neurons they feed (its inputs are stored in the order of the core's
//! own neurons, and the shapes are the same).
static void shortcut_partials(const backward_target_t *target, uint32_t slot,
        const value_t *delta) {
    const value_t *own = delta + (target->pre_start - core.params.slice_start);
    uint32_t base = partials_key(target, slot);
    cost_count(COST_PARTIALS, target->n_pre);
    for (uint32_t i = 0; i < target->n_pre; i++) {
        layer_send(slot, base | (target->index_offset + i),
                value_to_payload(own[i]));
    }
}

static void backpropagate(uint32_t slot) {
    // The partial errors use the weights this sample went forward with, so
    // they go before the update that may follow.
    const value_t *delta = slot_error(slot);
    for (uint32_t t = 0; t < layer.params.n_backward_targets; t++) {
        const backward_target_t *target = &layer.backward[t];
        if (layer.incoming[target->projection].type == PROJECTION_IDENTITY) {
            shortcut_partials(target, slot, delta);
        } else {
            kind_send_partials(target, slot, delta);
        }
    }
    kind_add_gradients(slot, delta);
    // Samples of a batch may finish here in any order, but no sample of the
    // next batch starts before this one is done everywhere.
    uint32_t batch_size = batch_size_at(&core.run, layer.slots[slot].step);
    if (++layer.batch_done == batch_size) {
        layer.batch_done = 0;
        layer.held_slot = slot;
        update_batch_end(batch_size);
        return;
    }
    step_finished(slot);
}

//! sum_j a_j e_j over `n` neurons.
static value_t group_sum(const value_t *a, const value_t *error,
        uint32_t n) {
    value_t sum = VALUE_ZERO;
    for (uint32_t j = 0; j < n; j++) {
        sum = value_add(sum, value_mul(a[j], error[j]));
    }
    return sum;
}

//! A softmax's deltas a_i (e_i - sum), in place of the errors e.
static void softmax_deltas(const value_t *a, value_t *error, uint32_t n,
        value_t sum) {
    for (uint32_t j = 0; j < n; j++) {
        error[j] = value_mul(a[j], value_sub(error[j], sum));
    }
}

//! The softmax partition's key of a slot's value `index` (0: maximum,
//! 1: exp-sum, 2: a hidden softmax's share of sum_j a_j e_j).
static uint32_t softmax_key(uint32_t slot, uint32_t index) {
    return layer.params.softmax_key | (layer.slots[slot].field << 2) | index;
}

static void backward_finished(uint32_t slot) {
    value_t *error = slot_error(slot);
    const value_t *z = slot_z(slot), *a = slot_a(slot);
    kind_own_errors(slot, error);
    cost_count(COST_DELTAS, core.params.n_neurons);
    if (ACTIVATION_IS_SOFTMAX && layer.params.softmax_group) {
        uint32_t group = layer.params.softmax_group;
        for (uint32_t first = 0; first < core.params.n_neurons;
                first += group) {
            softmax_deltas(a + first, error + first, group,
                    group_sum(a + first, error + first, group));
        }
        backpropagate(slot);
        return;
    }
    if (ACTIVATION_IS_SOFTMAX) {
        layer_send(slot, softmax_key(slot, 2), value_to_payload(group_sum(
                a, error, core.params.n_neurons)));
        return;
    }
    for (uint32_t j = 0; j < core.params.n_neurons; j++) {
        error[j] = value_mul(error[j], activation_derivative(z[j], a[j]));
    }
    backpropagate(slot);
}

//! Every core's share of a hidden softmax's sum_j a_j e_j is in.
static void softmax_backward(uint32_t slot) {
    const value_t *shares = slot_softmax_share(slot);
    value_t sum = VALUE_ZERO;
    for (uint32_t c = 0; c < layer.params.softmax_cores; c++) {
        sum = value_add(sum, shares[c]);
    }
    softmax_deltas(slot_a(slot), slot_error(slot), core.params.n_neurons,
            sum);
    backpropagate(slot);
}

//! The activations are in `a` (for a softmax, `log_norms` are its log
//! normalisers, one for each `group` neurons).
static void forward_finished(uint32_t slot, const value_t *log_norms,
        uint32_t group) {
    layer_slot_t *state = &layer.slots[slot];
    state->forward_done = 1;
    core_send_forward(state->field, kind_sent(slot, slot_a(slot)),
            slot_log(slot), state->step);
    if (LOSS_AT_OUTPUT) {
        output_loss(slot, log_norms, group);
        if (core.run.mode == MODE_TRAIN) {
            backpropagate(slot);
        } else {
            step_finished(slot);
        }
    } else if (core.run.mode != MODE_TRAIN) {
        step_finished(slot);
    } else if (layer.params.backward_expected == 0) {
        backward_finished(slot);   // no core reads these rows: no errors
    }
}

//! A shaped softmax: each position's channels normalised on this core.
static void softmax_positions(uint32_t slot) {
    uint32_t group = layer.params.softmax_group;
    const value_t *z = slot_z(slot);
    value_t *a = slot_a(slot);
    cost_count(COST_NEURONS, core.params.n_neurons);
    for (uint32_t first = 0; first < core.params.n_neurons; first += group) {
        value_t max = largest(z + first, group);
        value_t sum = VALUE_ZERO;
        for (uint32_t j = first; j < first + group; j++) {
            a[j] = activation(value_sub(z[j], max));
            sum = value_add(sum, a[j]);
        }
        for (uint32_t j = first; j < first + group; j++) {
            a[j] = value_div(a[j], sum);
        }
        layer.log_norms[first / group] = value_add(max, value_log(sum));
    }
    forward_finished(slot, layer.log_norms, group);
}

//! Every input of a slot is in: the activations, or this core's part of
//! the softmax normaliser.
static void sums_finished(uint32_t slot) {
    uint32_t n = core.params.n_neurons;
    value_t *z = slot_z(slot), *a = slot_a(slot);
    kind_finish_sums(slot, z);
    cost_count(COST_NEURONS, n);
    if (!ACTIVATION_IS_SOFTMAX) {
        const value_t none = VALUE_ZERO;
        for (uint32_t j = 0; j < n; j++) {
            a[j] = activation(z[j]);
        }
        forward_finished(slot, &none, n);
        return;
    }
    if (layer.params.softmax_group) {
        softmax_positions(slot);
        return;
    }
    layer_send(slot, softmax_key(slot, 0), value_to_payload(largest(z, n)));
}

//! Every softmax core's maximum is in: this core's exps, relative to the
//! largest, and their sum to every core.
static void softmax_maxima(uint32_t slot) {
    value_t max = largest(slot_softmax_max(slot),
            layer.params.softmax_cores);
    const value_t *z = slot_z(slot);
    value_t *a = slot_a(slot);
    value_t sum = VALUE_ZERO;
    cost_count(COST_NEURONS, core.params.n_neurons);
    for (uint32_t j = 0; j < core.params.n_neurons; j++) {
        a[j] = activation(value_sub(z[j], max));
        sum = value_add(sum, a[j]);
    }
    layer_send(slot, softmax_key(slot, 1), value_to_payload(sum));
}

static void softmax_finished(uint32_t slot) {
    value_t max = largest(slot_softmax_max(slot),
            layer.params.softmax_cores);
    const value_t *sums = slot_softmax_sum(slot);
    value_t sum = VALUE_ZERO;
    for (uint32_t c = 0; c < layer.params.softmax_cores; c++) {
        sum = value_add(sum, sums[c]);
    }
    value_t *a = slot_a(slot);
    cost_count(COST_NEURONS, core.params.n_neurons);
    for (uint32_t j = 0; j < core.params.n_neurons; j++) {
        a[j] = value_div(a[j], sum);
    }
    const value_t log_norm = value_add(max, value_log(sum));
    forward_finished(slot, &log_norm, core.params.n_neurons);
}

// FIQ: where each kind of packet is stored. Partial errors are added into
// their sample's errors here, one float add per packet (soft-float on the
// ARM968: tens of cycles), in their order of arrival: a ring holding them
// until processing would need as much DTCM as a core's partial errors
// (18 KB for a band of LeNet-5's C1).

//! FIQ: a sample's activations (or partial errors) have all come, so
//! every earlier sample's that some came of were sent before: what is
//! missing of them was lost. (Partial errors only of samples whose
//! activations have gone: the others' are still to come.)
static void overtake(uint32_t step, uint32_t what) {
    for (uint32_t s = 0; s < core.params.n_slots; s++) {
        layer_slot_t *state = &layer.slots[s];
        if (state->step < step && (what == OVERTAKEN_FORWARD
                || state->forward_done)) {
            state->overtaken |= what;
        }
    }
}

//! Where a forward key's activation goes in a slot's input store for one
//! projection its block feeds: false if none (a halo row it does not
//! need, or a place outside the pre grid).
static inline bool forward_place(const key_entry_t *e, key_fields_t fields,
        uint32_t *input) {
    const incoming_t *projection = &layer.incoming[e->index];
    grid_position_t at = key_position(e, fields);
    uint32_t row = at.row - projection->halo_row0;
    if (row >= projection->halo_rows || at.col >= projection->pre_width
            || at.ch >= projection->pre_channels) {
        return false;
    }
    *input = projection->input_offset + row * projection->row_stride
            + at.col * projection->col_stride + at.ch;
    return true;
}

//! Stores an activation at its place of a slot, once; PACKET_NEW, or
//! PACKET_DUPLICATE if it came before.
static inline packet_verdict_t forward_store(uint32_t slot, uint32_t input,
        value_t value) {
    if (!bitmap_claim(forward_seen(slot), input)) {
        return PACKET_DUPLICATE;
    }
    layer_slot_t *state = &layer.slots[slot];
    slot_inputs(slot)[input] = value;
    slot_arrivals(slot)[state->forward_arrived++] = (uint16_t) input;
    if (state->forward_arrived == layer.params.n_inputs) {
        overtake(state->step, OVERTAKEN_FORWARD);
    }
    return PACKET_NEW;
}

//! A block whose keys several projections share (from one population):
//! the activation goes to each that takes it. Rare, so kept out of the
//! path of the others, whose registers it would take.
static packet_verdict_t __attribute__((noinline)) forward_shared(
        const key_entry_t *entry, key_fields_t fields, value_t value) {
    packet_verdict_t verdict = PACKET_INVALID;
    for (const key_entry_t *e = entry; e < core.keys
            + core.params.n_key_entries && e->key == entry->key; e++) {
        uint32_t input;
        if (forward_place(e, fields, &input)) {
            packet_verdict_t stored = forward_store(fields.slot, input,
                    value);
            if (stored == PACKET_NEW || verdict == PACKET_INVALID) {
                verdict = stored;
            }
        }
    }
    return verdict;
}

static packet_verdict_t forward_arrived(const key_entry_t *entry,
        key_fields_t fields, value_t value) {
    packet_verdict_t verdict;
    uint32_t input;
    if (entry + 1 < core.keys + core.params.n_key_entries
            && entry[1].key == entry->key) {
        verdict = forward_shared(entry, fields, value);
    } else if (forward_place(entry, fields, &input)) {
        verdict = forward_store(fields.slot, input, value);
    } else {
        verdict = PACKET_INVALID;
    }
    if (verdict == PACKET_NEW) {
        core_start_processing();
    }
    return verdict;
}

static packet_verdict_t softmax_arrived(key_fields_t fields,
        value_t value) {
    layer_slot_t *state = &layer.slots[fields.slot];
    uint32_t cores = layer.params.softmax_cores;
    if (fields.core >= cores || fields.index > 2
            || (fields.index == 2 && LOSS_AT_OUTPUT)) {
        return PACKET_INVALID;
    }
    if (!bitmap_claim(softmax_seen(fields.slot),
            fields.index * cores + fields.core)) {
        return PACKET_DUPLICATE;
    }
    // Shares come only after every core's activations went out, which
    // needs all of the maxima and sums.
    slot_softmax_max(fields.slot)[fields.index * cores + fields.core] = value;
    state->softmax_received++;
    if (fields.index == 0 && ++state->maxima_received == cores) {
        core_event(SOFTMAX_MAXIMA, fields.slot);
    } else if (state->softmax_received == 2 * cores && fields.index == 1) {
        core_event(SOFTMAX_DONE, fields.slot);
    } else if (state->softmax_received == 3 * cores) {
        core_event(SOFTMAX_SHARES, fields.slot);
    } else {
        core_start_processing();
    }
    return PACKET_NEW;
}

static packet_verdict_t backward_arrived(const key_entry_t *entry,
        key_fields_t fields, value_t partial) {
    layer_slot_t *state = &layer.slots[fields.slot];
    uint32_t bit = core_sender(entry, fields) * layer.params.n_sent
            + fields.index;
    if (!state->forward_done || fields.index >= layer.params.n_sent
            || bit >= layer.backward_bits) {
        return PACKET_INVALID;
    }
    if (!bitmap_claim(backward_seen(fields.slot), bit)) {
        return PACKET_DUPLICATE;
    }
    slot_partials(fields.slot)[state->backward_received] =
            (partial_t) {fields.index, partial};
    if (++state->backward_received == layer.params.backward_expected) {
        overtake(state->step, OVERTAKEN_BACKWARD);
        core_event(BACKWARD_DONE, fields.slot);
    } else {
        core_start_processing();
    }
    return PACKET_NEW;
}

//! Whether `key` is of the block at `base` whose slot field sits at
//! `shift` (the field is below twice the slots).
static inline bool in_block(uint32_t key, uint32_t base, uint32_t shift) {
    return key - base < (2 * core.params.n_slots) << shift;
}

//! Where the packet with one of this core's keys lies in the log of its
//! sample: the slot, and a packet at or before it (an activation's place
//! with nothing sent before the activations: a softmax sends its
//! normaliser's parts first); false if no log holds that sample.
static bool locate_sent(uint32_t key, uint32_t *slot, uint32_t *packet) {
    const core_params_t *p = &core.params;
    uint32_t row_shift = p->col_bits + p->ch_bits, before = 0, field;
    const sent_log_t *log;
    for (uint32_t s = 0; s < p->n_segments; s++) {
        const forward_segment_t *segment = &core.segments[s];
        if (!in_block(key, segment->key, segment->slot_shift)) {
            before += segment->n_rows * p->width * p->channels;
            continue;
        }
        uint32_t offset = key - segment->key;
        field = offset >> segment->slot_shift;
        uint32_t position = offset & ((1u << segment->slot_shift) - 1);
        uint32_t row = position >> row_shift;
        uint32_t col = (position >> p->ch_bits) & ((1u << p->col_bits) - 1);
        uint32_t ch = position & ((1u << p->ch_bits) - 1);
        *slot = field_slot(field, p->n_slots);
        *packet = before + (row * p->width + col) * p->channels + ch;
        log = slot_log(*slot);
        return row < segment->n_rows && col < p->width && ch < p->channels
                && log->step != UINT32_MAX
                && slot_field(log->step, p->n_slots) == field;
    }
    for (uint32_t t = 0; t < layer.params.n_backward_targets; t++) {
        const backward_target_t *target = &layer.backward[t];
        if (in_block(key, target->key, target->slot_shift)) {
            field = (key - target->key) >> target->slot_shift;
            *slot = field_slot(field, p->n_slots);
            *packet = 0;
            log = slot_log(*slot);
            return log->step != UINT32_MAX
                    && slot_field(log->step, p->n_slots) == field;
        }
    }
    return false;
}

//! FIQ: a core downstream lost our activation with `key`, or one upstream
//! our partial error; it goes again before any other work, not at the
//! next tick, while the asker waits, if a log still holds it (more
//! requests than MOST_REQUESTS are ignored: their senders ask again).
//! Looking it up waits for processing: it takes a division. (What a late
//! packet asks waits for the tick: a burst of them makes one answer.)
static packet_verdict_t note_request(uint32_t key) {
    if (layer.n_requests < MOST_REQUESTS) {
        layer.requests[layer.n_requests++] = key;
        layer.answer_due = 1;
        core_start_processing();
    }
    return PACKET_REQUEST;
}

//! A late activation of a finished sample says its sender is missing
//! something of it. In training, an input can be missing only
//! acknowledgements, from here or from downstream, and a sender this core
//! returns partial errors to only those from here or acknowledgements:
//! every activation this core sent reached the cores downstream, or they
//! could not have sent back the partial errors it needed to finish. A
//! sender waiting for partial errors sends the first activation of a
//! segment, one passing on an input's question another (send_ends), so
//! the partial errors go only to the first. Those are answered from the
//! log with just that (answer_targets); any other sender, with the whole
//! log.
static void note_asker(const key_entry_t *entry, key_fields_t fields,
        layer_slot_t *state) {
    if (core.run.mode == MODE_TRAIN
            && layer.incoming[entry->index].from_input) {
        state->asked |= ASKED_QUESTION;
        return;
    }
    if (core.run.mode == MODE_TRAIN) {
        grid_position_t at = key_position(entry, fields);
        for (uint32_t t = 0; t < layer.params.n_backward_targets
                && t < 32; t++) {
            const backward_target_t *target = &layer.backward[t];
            if (target->projection == entry->index && target->row0 <= at.row
                    && at.row - target->row0 < target->n_rows) {
                if (fields.index == 0) {
                    state->asked_targets |= 1u << t;
                } else {
                    state->asked |= ASKED_QUESTION;
                }
                return;
            }
        }
    }
    state->asked |= ASKED_LOG;
}

packet_verdict_t role_packet(const key_entry_t *entry, uint32_t key,
        uint32_t payload) {
    key_fields_t fields = key_fields(entry, key);
    value_t value = value_from_payload(payload);
    if (entry->kind == KEY_REDUCE || entry->kind == KEY_TOTAL) {
        return update_arrived(entry->kind, fields, payload);
    }
    uint32_t n_slots = core.params.n_slots;
    if ((entry->kind == KEY_BACKWARD || entry->kind == KEY_FORWARD)
            && fields.slot == 2 * n_slots) {
        return note_request(payload);
    }
    if (fields.slot >= 2 * n_slots) {
        return PACKET_INVALID;
    }
    layer_slot_t *state = &layer.slots[field_slot(fields.slot, n_slots)];
    if (fields.slot != state->field) {
        // Of the sample the slot held before, finished here.
        if (entry->kind == KEY_FORWARD) {
            note_asker(entry, fields, state);
        } else if (entry->kind == KEY_SOFTMAX
                && fields.core != layer.params.core_index) {
            state->asked |= ASKED_LOG;
        }
        return PACKET_STALE;
    }
    if (state->step >= core.run.n_steps) {
        return PACKET_INVALID;
    }
    fields.slot = field_slot(fields.slot, n_slots);
    if (entry->kind == KEY_FORWARD) {     // most packets
        return forward_arrived(entry, fields, value);
    }
    switch (entry->kind) {
    case KEY_SOFTMAX:
        return softmax_arrived(fields, value);
    case KEY_BACKWARD:
        return backward_arrived(entry, fields, value);
    default:
        return PACKET_INVALID;
    }
}

//! The key that carries place (row of the whole grid, col, ch) of
//! projection `p`'s pre population in slot field `field`; false if no
//! entry of the key table covers the place.
static bool place_key(uint32_t p, uint32_t row, uint32_t col, uint32_t ch,
        uint32_t field, uint32_t *key) {
    const key_entry_t *best = NULL;     // the block of rows holding it
    for (uint32_t e = 0; e < core.params.n_key_entries; e++) {
        const key_entry_t *entry = &core.keys[e];
        if (entry->kind == KEY_FORWARD && entry->index == p
                && entry->row0 <= row
                && (best == NULL || entry->row0 > best->row0)) {
            best = entry;
        }
    }
    if (best == NULL) {
        return false;
    }
    uint32_t local = row - best->row0, sender = 0;
    if (best->core_rows > 0) {      // a whole population's cores
        sender = local / best->core_rows;
        local -= sender * best->core_rows;
    }
    *key = best->key | sender << best->core_shift | field << best->shift
            | local << (best->col_bits + best->ch_bits)
            | col << best->ch_bits | ch;
    return true;
}

//! Asks again, on `request_key`, for projection `p`'s activations at
//! places [first, end) of a slot that did not come, while `*asked` is
//! below MOST_REQUESTS (false once it is not).
static bool ask_places(uint32_t slot, uint32_t p, uint32_t first,
        uint32_t end, uint32_t request_key, uint32_t *asked) {
    const incoming_t *projection = &layer.incoming[p];
    const uint32_t *seen = forward_seen(slot);
    for (uint32_t place = first; place < end; place++) {
        uint32_t bit = projection->input_offset + place;
        if ((bit & 31) == 0 && place + 32 <= end && seen[bit >> 5] == ~0u) {
            place += 31;     // a word of places that all came
            continue;
        }
        if (bitmap_has(seen, bit)) {
            continue;
        }
        uint32_t row = place / projection->row_stride;
        uint32_t col = place % projection->row_stride
                / projection->col_stride;
        uint32_t ch = place % projection->col_stride;
        uint32_t key;
        if (col < projection->pre_width && ch < projection->pre_channels
                && place_key(p, projection->halo_row0 + row, col, ch,
                        layer.slots[slot].field, &key)) {
            if (*asked == MOST_REQUESTS) {
                return false;
            }
            core_send(request_key, key);
            (*asked)++;
        }
    }
    return true;
}

//! Whether any of projection `p`'s activations at places [first, end)
//! of a slot came.
static bool any_came(uint32_t slot, uint32_t p, uint32_t first,
        uint32_t end) {
    const uint32_t *seen = forward_seen(slot);
    for (uint32_t bit = layer.incoming[p].input_offset + first;
            bit < layer.incoming[p].input_offset + end; bit++) {
        if (bitmap_has(seen, bit)) {
            return true;
        }
    }
    return false;
}

//! One past the last of projection `p`'s places [first, end) of a slot
//! whose activation came (`first` if none).
static uint32_t last_came(uint32_t slot, uint32_t p, uint32_t first,
        uint32_t end) {
    const uint32_t *seen = forward_seen(slot);
    for (uint32_t place = end; place > first; place--) {
        if (bitmap_has(seen, layer.incoming[p].input_offset + place - 1)) {
            return place;
        }
    }
    return first;
}

//! Asks again for a slot's activations that did not come though others
//! of the sample did (so they were sent and lost), at most MOST_REQUESTS
//! of them: an input's on the acknowledgement key (every input core hears
//! it), a hidden core's on the key of the partial errors it gets from here
//! (a request field above the slots), if anything of the sample came from
//! that core (else it has not sent it yet: its own patience sends one).
//! With `newer` a slot of a later sample (else NO_SLOT), only what did not
//! come from a core that has sent some of that sample too; with `gaps`,
//! only what did not come from a core though later ones did. A
//! division or two per place missing. The number asked for.
static uint32_t ask_for_lost(uint32_t slot, uint32_t newer, bool gaps) {
    const layer_slot_t *state = &layer.slots[slot];
    if (state->forward_arrived == 0
            || state->forward_arrived >= layer.params.n_inputs) {
        return 0;
    }
    uint32_t asked = 0, request = 2 * core.params.n_slots;
    for (uint32_t p = 0; p < layer.params.n_incoming; p++) {
        const incoming_t *projection = &layer.incoming[p];
        if (projection->from_input) {
            uint32_t end = projection->input_space;
            // Several input cores share the range: no gaps to read there.
            if ((gaps && projection->from_input > 1) || (newer != NO_SLOT
                    && !any_came(newer, p, 0, end))) {
                continue;
            }
            if (gaps) {
                end = last_came(slot, p, 0, end);
            }
            if (layer.params.sends_acks && !ask_places(slot, p, 0, end,
                    layer.params.ack_key | ACK_REQUEST, &asked)) {
                return asked;
            }
            continue;
        }
        uint32_t top = projection->halo_row0,
                bottom = top + projection->halo_rows;
        for (uint32_t t = 0; t < layer.params.n_backward_targets; t++) {
            const backward_target_t *target = &layer.backward[t];
            uint32_t from = target->row0 > top ? target->row0 : top;
            uint32_t to = target->row0 + target->n_rows;
            to = to < bottom ? to : bottom;
            if (target->projection != p || from >= to) {
                continue;
            }
            uint32_t first = (from - top) * projection->row_stride,
                    end = (to - top) * projection->row_stride;
            if (gaps) {
                end = last_came(slot, p, first, end);
            }
            if (any_came(slot, p, first, end) && (newer == NO_SLOT
                    || any_came(newer, p, first, end)) && !ask_places(slot,
                    p, first, end, target->key | request
                    << target->slot_shift, &asked)) {
                return asked;
            }
        }
    }
    return asked;
}

//! Sends again, from the logs, the packets asked for.
static void answer_requests(void) {
    uint32_t keys[MOST_REQUESTS];
    uint cpsr = spin1_fiq_disable();
    uint32_t n = layer.n_requests;
    for (uint32_t i = 0; i < n; i++) {
        keys[i] = layer.requests[i];
    }
    layer.n_requests = 0;
    spin1_mode_restore(cpsr);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t slot, packet;
        if (!locate_sent(keys[i], &slot, &packet)) {
            continue;   // the slot has moved on since
        }
        const sent_log_t *log = slot_log(slot);
        const uint32_t *pairs = log_pairs(log);
        while (packet < log->count && pairs[2 * packet] != keys[i]) {
            packet++;
        }
        if (packet < log->count) {
            core_send(keys[i], pairs[2 * packet + 1]);
        }
    }
}

//! Sends again from a log of the forward pass the first activation of
//! each segment, or the last (segments go out whole and in order).
static void send_ends(const sent_log_t *log, bool last) {
    const core_params_t *p = &core.params;
    const uint32_t *pairs = log_pairs(log);
    uint32_t segment = 0;
    for (uint32_t i = 0; i < log->count && segment < p->n_segments; i++) {
        const forward_segment_t *block = &core.segments[segment];
        if (!in_block(pairs[2 * i], block->key, block->slot_shift)) {
            continue;
        }
        uint32_t size = block->n_rows * p->width * p->channels;
        uint32_t at = last ? i + size - 1 : i;
        core_send(pairs[2 * at], pairs[2 * at + 1]);
        i += size - 1;
        segment++;
    }
}

//! Answers from the log of a finished sample the backward targets in
//! `targets` (bit t: target t) with their first partial error (they then
//! ask for any others they lack), and anyone with the acknowledgement and
//! the last activation of each segment, which passes the question on
//! downstream (a core there that finished answers in turn,
//! acknowledgement included; one that lost an acknowledgement cannot tell
//! otherwise).
static void answer_targets(const sent_log_t *log, uint32_t targets) {
    const uint32_t *pairs = log_pairs(log);
    for (uint32_t i = 0; i < log->count; i++) {
        uint32_t key = pairs[2 * i];
        bool send = layer.params.sends_acks && key == layer.params.ack_key;
        for (uint32_t t = 0; !send && t < layer.params.n_backward_targets
                && t < 32; t++) {
            const backward_target_t *target = &layer.backward[t];
            send = (targets >> t & 1)
                    && in_block(key, target->key, target->slot_shift);
            if (send) {
                targets &= ~(1u << t);
            }
        }
        if (send) {
            core_send(key, pairs[2 * i + 1]);
        }
    }
    send_ends(log, true);
}

//! How many of a slot's partial errors from backward source `s` came.
static uint32_t partials_came(uint32_t slot, uint32_t s) {
    const uint32_t *seen = backward_seen(slot);
    uint32_t first = s * layer.params.n_sent + layer.sources[s].first;
    uint32_t came = 0;
    for (uint32_t bit = first; bit < first + layer.sources[s].count; bit++) {
        came += bitmap_has(seen, bit);
    }
    return came;
}

//! Asks again for a slot's partial errors that did not come from a core
//! that sent others of them (at most MOST_REQUESTS), on the keys of a
//! forward segment that reaches it, naming the key that should have
//! carried each; with `newer` a slot of a later sample (else NO_SLOT),
//! only from a core that has sent some of that one's too. The number
//! asked for; `*silent` is set if a core sent none (it may not have
//! finished the sample, or lost all of ours).
static uint32_t ask_for_partials(uint32_t slot, uint32_t newer,
        bool *silent) {
    const uint32_t *seen = backward_seen(slot);
    uint32_t field = layer.slots[slot].field, asked = 0;
    for (uint32_t s = 0; s < layer.params.backward_senders; s++) {
        const backward_source_t *source = &layer.sources[s];
        uint32_t first = s * layer.params.n_sent + source->first;
        uint32_t came = partials_came(slot, s);
        if (came == 0 && source->count > 0) {
            *silent = true;
        }
        if (came == 0 || came == source->count
                || (newer != NO_SLOT && partials_came(newer, s) == 0)) {
            continue;
        }
        const forward_segment_t *segment = &core.segments[source->segment];
        uint32_t request = segment->key
                | (2 * core.params.n_slots) << segment->slot_shift;
        for (uint32_t i = 0; i < source->count; i++) {
            uint32_t bit = first + i;
            if (bitmap_has(seen, bit)) {
                continue;
            }
            if (asked == MOST_REQUESTS) {
                return asked;
            }
            core_send(request, source->key | field << layer.partial_shift
                    | (source->first + i));
            asked++;
        }
    }
    return asked;
}

bool role_resend(void) {
    bool waiting = false;
    for (uint32_t s = 0; s < core.params.n_slots; s++) {
        const layer_slot_t *state = &layer.slots[s];
        const sent_log_t *log = slot_log(s);
        if (state->step >= core.run.n_steps) {
            continue;
        }
        if (log->step == state->step) {
            if (s == layer.held_slot) {
                log_resend(log, update_log_start());
            } else {
                // Waiting for partial errors: those lost are asked for;
                // if a core sent none, the first activation of each
                // segment makes sure each core downstream has something of
                // the sample to ask about, or has one that finished send a
                // partial error again. A softmax's exchange is sent again.
                bool partials = state->forward_done
                        && core.run.mode == MODE_TRAIN, silent = false;
                if (partials) {
                    core.status->requests += ask_for_partials(s, NO_SLOT,
                            &silent);
                }
                if (!partials || layer.params.softmax_cores > 0) {
                    log_resend(log, 0);
                } else if (silent) {
                    send_ends(log, false);
                }
            }
            waiting = true;
        }
        uint32_t asked = ask_for_lost(s, NO_SLOT, false);
        core.status->requests += asked;
        waiting = waiting || asked > 0;
    }
    return waiting;
}

//! The slot of a later sample than slot's that has received some of its
//! activations (backward: partial errors), or NO_SLOT.
static uint32_t later_slot(uint32_t slot, bool backward) {
    for (uint32_t n = 0; n < core.params.n_slots; n++) {
        const layer_slot_t *later = &layer.slots[n];
        if (later->step > layer.slots[slot].step
                && later->step < core.run.n_steps
                && (backward ? later->backward_received
                        : later->forward_arrived) > 0) {
            return n;
        }
    }
    return NO_SLOT;
}

//! A tick_arrived that no count equals: the answers to what was just
//! asked for come once the asked cores finish the work in hand.
#define ANSWER_PENDING UINT32_MAX

//! Whether a slot's count of packets (the FIQ's) is what it was at the
//! last tick, where `at_tick` holds it; keeps it for the next tick.
static bool quiet_since_tick(uint32_t *at_tick, uint32_t count) {
    bool quiet = *at_tick == count;
    *at_tick = count;
    return quiet;
}

//! Asks at once, not after the patience, for activations or partial
//! errors of a sample that later ones overtook: a core sends what it
//! sends for a sample together, in order, and its samples in order, and
//! the packets from one core to another keep their order on the way, so
//! once some of a later sample have come from a core (or all of it: it
//! may have come and gone since the last tick), or later activations of
//! the same sample, what did not come before them from it was lost. So
//! is, from a core that sent some, what has not come after a whole tick
//! in which nothing of the sample came: a core's packets for a sample
//! follow each other within microseconds. Once a sample and way: anything
//! more is the patience's.
static void ask_for_overtaken(void) {
    for (uint32_t s = 0; s < core.params.n_slots; s++) {
        layer_slot_t *state = &layer.slots[s];
        uint32_t asked = 0, flags = state->overtaken, news = 0;
        if (state->step >= core.run.n_steps) {
            continue;
        }
        if (!(flags & OVERTAKEN_ASKED_FORWARD) && state->forward_arrived > 0
                && state->forward_arrived < layer.params.n_inputs) {
            bool whole = flags & OVERTAKEN_FORWARD;
            bool quiet = quiet_since_tick(&state->tick_arrived,
                    state->forward_arrived);
            uint32_t later = whole ? NO_SLOT : later_slot(s, false);
            if (whole || later != NO_SLOT) {
                asked = ask_for_lost(s, later, false);
                news = asked > 0 ? OVERTAKEN_ASKED_FORWARD : 0;
            } else if (!(flags & OVERTAKEN_ASKED_GAPS)
                    && (asked = ask_for_lost(s, NO_SLOT, true)) > 0) {
                news = OVERTAKEN_ASKED_GAPS;
                state->tick_arrived = ANSWER_PENDING;
            } else if (quiet) {
                asked = ask_for_lost(s, NO_SLOT, false);
                news = asked > 0 ? OVERTAKEN_ASKED_FORWARD : 0;
            }
        } else if (!(flags & OVERTAKEN_ASKED_BACKWARD) && state->forward_done
                && core.run.mode == MODE_TRAIN && state->backward_received > 0
                && state->backward_received
                        < layer.params.backward_expected) {
            bool whole = flags & OVERTAKEN_BACKWARD, silent = false;
            bool quiet = quiet_since_tick(&state->tick_backward,
                    state->backward_received);
            uint32_t later = whole ? NO_SLOT : later_slot(s, true);
            if (whole || later != NO_SLOT || quiet) {
                asked = ask_for_partials(s, later, &silent);
                news = asked > 0 ? OVERTAKEN_ASKED_BACKWARD : 0;
            }
        }
        // The FIQ sets bits of it too.
        uint cpsr = spin1_fiq_disable();
        state->overtaken |= news;
        spin1_mode_restore(cpsr);
        core.status->requests += asked;
    }
}

void role_answer(void) {
    ask_for_overtaken();
    for (uint32_t s = 0; s < core.params.n_slots; s++) {
        layer_slot_t *state = &layer.slots[s];
        uint32_t asked = request_take_all(&state->asked);
        uint32_t targets = request_take_all(&state->asked_targets);
        const sent_log_t *log = slot_log(s);
        // The log holds the finished sample until the slot sends for its
        // next one, and then nobody needs it: that one has started.
        if (log->step == state->step) {
            continue;
        }
        if ((asked & ASKED_LOG) && state->answers < MOST_ANSWERS) {
            state->answers++;
            log_resend(log, 0);
        } else if (targets != 0 || (asked & ASKED_QUESTION)) {
            // These answers run only downstream: they end at the outputs
            // and need no count.
            answer_targets(log, targets);
        }
    }
    answer_requests();
    update_answer();
}

// Processing.

//! Work items beside an input place (below 2^16): add in the slot's next
//! partial error; answer the requests that wait.
#define PARTIAL_ITEM 0x80000000u
#define ANSWER_ITEM 0x40000000u

bool role_next_work(uint32_t *slot, uint32_t *item) {
    if (layer.answer_due) {
        layer.answer_due = 0;
        *slot = 0;
        *item = ANSWER_ITEM;
        return true;
    }
    for (uint32_t s = 0; s < core.params.n_slots; s++) {
        const layer_slot_t *state = &layer.slots[s];
        if (state->forward_received < state->forward_arrived) {
            *slot = s;
            *item = slot_arrivals(s)[state->forward_received];
            return true;
        }
        if (state->backward_added < state->backward_received) {
            *slot = s;
            *item = PARTIAL_ITEM;
            return true;
        }
    }
    return false;
}

//! Adds the slot's next partial error into its neuron's error, in the
//! order they came (so float32 sums are as if added on arrival).
static void add_partial(uint32_t slot) {
    layer_slot_t *state = &layer.slots[slot];
    partial_t partial = slot_partials(slot)[state->backward_added++];
    cost_count(COST_ERRORS, 1);
    value_t *error = &slot_error(slot)[partial.index];
    *error = value_add(*error, partial.value);
}

void role_work(uint32_t slot, uint32_t input) {
    if (input == PARTIAL_ITEM) {
        add_partial(slot);
        return;
    }
    if (input == ANSWER_ITEM) {
        answer_requests();
        return;
    }
    layer_slot_t *state = &layer.slots[slot];
    const value_t *inputs = slot_inputs(slot);
    const uint16_t *arrivals = slot_arrivals(slot);
    // The slot's inputs that came meanwhile follow in the same call, in
    // their order: the FIQ handler only appends to them (an entry before
    // its count), so each needs no scan for work with the FIQ held off (on
    // the ARM968, about 90 cycles an input, as much as three
    // multiply-accumulates). One that comes after the count is read here
    // is found by that scan, which process() makes before it stops.
    for (;;) {
        const incoming_t *projection = incoming_of(input);
        value_t x = inputs[input];
        if (projection->type != PROJECTION_IDENTITY) {
            kind_accumulate(slot, projection, input, x);
        } else if (x != VALUE_ZERO) {
            // A shortcut's input is the neuron it feeds, weight 1.
            cost_count(COST_FORWARD, 1);
            value_t *z = &slot_z(slot)[input - projection->input_offset];
            *z = value_add(*z, x);
        }
        if (++state->forward_received == layer.params.n_inputs) {
            sums_finished(slot);
            return;
        }
        if (state->forward_received
                == *(volatile const uint32_t *) &state->forward_arrived
                || layer.answer_due || core_tick_waits()) {
            return;
        }
        input = arrivals[state->forward_received];
    }
}

void role_event(core_event_t event) {
    // Only a softmax binary keeps its softmax code (ITCM is 32 KB).
    switch (event.what) {
    case SOFTMAX_MAXIMA:
        if (ACTIVATION_IS_SOFTMAX) {
            softmax_maxima(event.slot);
        }
        break;
    case SOFTMAX_DONE:
        if (ACTIVATION_IS_SOFTMAX) {
            softmax_finished(event.slot);
        }
        break;
    case SOFTMAX_SHARES:
        if (ACTIVATION_IS_SOFTMAX) {
            softmax_backward(event.slot);
        }
        break;
    case BACKWARD_DONE:
        backward_finished(event.slot);
        break;
    default:
        update_reduce_done();
    }
}

slot_status_t role_slot_status(uint32_t slot) {
    const layer_slot_t *state = &layer.slots[slot];
    slot_status_t status = {.step = state->step};
    if (slot == layer.held_slot) {
        status.stage = STAGE_REDUCE;
        status.received = layer.reduce_received;
        status.expected = layer.params.n_weights;
    } else if (state->forward_received < layer.params.n_inputs) {
        status.stage = STAGE_FORWARD;
        status.received = state->forward_arrived;
        status.expected = layer.params.n_inputs;
    } else if (!state->forward_done) {
        status.stage = STAGE_SOFTMAX;
        status.received = state->softmax_received;
        status.expected = 2 * layer.params.softmax_cores;
    } else if (state->backward_received < layer.params.backward_expected
            || layer.params.softmax_cores == 0) {
        status.stage = STAGE_BACKWARD;
        status.received = state->backward_received;
        status.expected = layer.params.backward_expected;
    } else {
        status.stage = STAGE_SOFTMAX;       // a hidden one's shares
        status.received = state->softmax_received;
        status.expected = 3 * layer.params.softmax_cores;
    }
    return status;
}

static void read_regions(data_specification_metadata_t *ds,
        const uint8_t *params) {
    layer.params = *(const layer_params_t *) params;
    params += sizeof(layer_params_t);
    uint32_t incoming_bytes = layer.params.n_incoming * sizeof(incoming_t);
    layer.incoming = core_copy_to_dtcm(params, incoming_bytes);
    layer.backward_params = params + incoming_bytes;
    layer.backward = core_copy_to_dtcm(layer.backward_params,
            layer.params.n_backward_targets * sizeof(backward_target_t));
    layer.sources = (const backward_source_t *)
            ((const backward_target_t *) layer.backward_params
                    + layer.params.n_backward_targets);
    layer.partial_shift = 0;
    while ((1u << layer.partial_shift) < layer.params.n_sent) {
        layer.partial_shift++;
    }
    layer.weights_sdram = data_specification_get_region(REGION_WEIGHTS, ds);
    layer.velocity = data_specification_get_region(REGION_VELOCITY, ds);
    layer.squares = data_specification_get_region(REGION_SQUARES, ds);
    if (layer.params.weights_in_dtcm) {
        // Every sample reads each weight and its gradient at least once,
        // and an SDRAM read costs the ARM968 tens of cycles; the momentum
        // and other optimizer buffers, read once per batch, stay in SDRAM.
        uint32_t bytes = layer.params.n_weights * sizeof(weight_t);
        layer.weights = core_copy_to_dtcm(layer.weights_sdram, bytes);
        layer.gradient = dtcm_allocate(bytes);
    } else {
        layer.weights = layer.weights_sdram;
        layer.gradient = data_specification_get_region(REGION_GRADIENT, ds);
    }
    layer.reduced = data_specification_get_region(REGION_REDUCE, ds);
    layer.inputs = data_specification_get_region(REGION_INPUTS, ds);
    layer.slot_store = layer.params.input_space
            + 2 * layer.params.backward_expected;
    layer.targets = data_specification_get_region(REGION_TARGETS, ds);
    layer.order = data_specification_get_region(REGION_ORDER, ds);
    layer.metrics = data_specification_get_region(REGION_METRICS, ds);
    layer.outputs = data_specification_get_region(REGION_OUTPUTS, ds);
}

void role_initialise(data_specification_metadata_t *ds, const void *params) {
    read_regions(ds, params);
    if (layer.params.is_output != LOSS_AT_OUTPUT
            || (layer.params.softmax_cores > 0
                || layer.params.softmax_group > 0) != ACTIVATION_IS_SOFTMAX) {
        log_error("binary does not fit the population: output %u, softmax "
                "cores %u", layer.params.is_output,
                layer.params.softmax_cores);
        rt_error(RTE_SWERR);
    }
    uint32_t n_slots = core.params.n_slots;
    layer.slots = dtcm_allocate(n_slots * sizeof(layer_slot_t));
    layer.arrivals = dtcm_allocate(
            n_slots * layer.params.n_inputs * sizeof(uint16_t));
    layer.values_per_slot = 3 * core.params.n_neurons
            + 3 * layer.params.softmax_cores;
    layer.values = dtcm_allocate(
            n_slots * layer.values_per_slot * sizeof(value_t));
    if (layer.params.softmax_group) {
        layer.log_norms = dtcm_allocate(core.params.n_neurons
                / layer.params.softmax_group * sizeof(value_t));
    }
    layer.forward_words = bitmap_words(layer.params.input_space);
    layer.softmax_words = bitmap_words(3 * layer.params.softmax_cores);
    layer.backward_bits = layer.params.backward_senders
            * layer.params.n_sent;
    layer.backward_words = bitmap_words(layer.backward_bits);
    layer.seen = dtcm_allocate(n_slots * (layer.forward_words
            + layer.softmax_words + layer.backward_words) * sizeof(uint32_t));
    core.log_capacity = layer.params.log_capacity;
    layer.logs = dtcm_allocate(n_slots * sizeof(sent_log_t));
    core.sent = data_specification_get_region(REGION_SENT, ds);
    for (uint32_t s = 0; s < n_slots; s++) {
        *slot_log(s) = (sent_log_t) {.step = UINT32_MAX, .count = 0,
                .first = s * 2 * core.log_capacity};
    }
    kind_initialise(layer.sources + layer.params.backward_senders);
    for (uint32_t s = 0; s < n_slots; s++) {
        reset_slot(s, s);
    }
    for (uint32_t w = 0; w < layer.params.n_weights; w++) {
        layer.gradient[w] = WEIGHT_ZERO;
    }
    layer.batch_done = 0;
    layer.held_slot = NO_SLOT;
    layer.n_requests = 0;
    update_initialise();
}

void role_start(void) {
    // Samples start as their activations arrive.
}
