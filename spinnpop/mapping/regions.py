"""Memory regions of the C models: the one description both sides share.

Every struct a core reads from or writes to SDRAM is described here once.
The Python writer packs it with the numpy dtype derived from the
description, the read-back unpacks with the same dtype, and
``python -m spinnpop.mapping.regions`` prints the C header
``c_models/common/regions.h`` that the models compile against (a test checks
that the committed header is the one this module generates).

All fields are 32-bit little-endian words, so a struct has the same layout on
the ARM968 and on the host.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

# A value_t or weight_t field is a raw word: spinnpop.numeric encodes and
# decodes it for the session's numeric type.
_NUMPY_TYPES = {"uint32_t": "<u4", "int32_t": "<i4", "value_t": "<u4",
                "weight_t": "<u4"}


@dataclass(frozen=True)
class Struct:
    """A C struct of 32-bit fields: ``fields`` is ((name, C type, doc),
    ...)."""

    c_name: str
    doc: str
    fields: tuple

    @property
    def dtype(self) -> np.dtype:
        return np.dtype([(name, _NUMPY_TYPES[ctype])
                         for name, ctype, _ in self.fields])

    @property
    def size(self) -> int:
        """Size in bytes."""
        return 4 * len(self.fields)

    def pack(self, records) -> bytes:
        """Bytes of one record (a dict) or of an array of records (a list)."""
        single = isinstance(records, dict)
        rows = [records] if single else list(records)
        array = np.zeros(len(rows), dtype=self.dtype)
        for i, row in enumerate(rows):
            missing = set(self.dtype.names) - set(row)
            extra = set(row) - set(self.dtype.names)
            if missing or extra:
                raise KeyError(f"{self.c_name}: missing {sorted(missing)}, "
                               f"unknown {sorted(extra)}")
            for name in self.dtype.names:
                array[i][name] = row[name]
        return array.tobytes()

    def unpack(self, data, count: int | None = None) -> np.ndarray:
        """A structured array viewing ``data`` (bytes or a uint8 array)."""
        return np.frombuffer(data, dtype=self.dtype, count=-1 if count is None
                             else count)

    def c_declaration(self) -> str:
        lines = [f"//! {self.doc}", "typedef struct {"]
        for name, ctype, doc in self.fields:
            lines.append(f"    {ctype} {name};  //!< {doc}")
        lines.append(f"}} {self.c_name};")
        lines.append(f"_Static_assert(sizeof({self.c_name}) == {self.size}, "
                     f"\"{self.c_name} layout\");")
        return "\n".join(lines)


class Region(enum.IntEnum):
    """Data-specification region numbers (at most 32 per core)."""

    PARAMS = 0      #: core_params_t, the role's and the kind's parameters
    KEYS = 1        #: incoming key table, key_entry_t sorted by key
    RUN = 2         #: run_params_t, written before every run
    STATUS = 3      #: status_t, kept up to date by the core
    DATA = 4        #: input: samples x neurons of values
    ORDER = 5       #: input and output: dataset index of each sequence step
    WEIGHTS = 6     #: layer: the kind's weights (see its Python class)
    VELOCITY = 7    #: layer: momentum buffers (Adam: first moments), same
    #:                 layout as WEIGHTS
    GRADIENT = 8    #: layer: batch gradients, where weights are in SDRAM
    TARGETS = 9     #: output: samples x neurons of target values
    METRICS = 10    #: output: metrics_record_t per sequence step
    OUTPUTS = 11    #: output: sequence steps x neurons of output values
    INPUTS = 12     #: layer: each slot's received inputs (input_space
    #:                 values) and partial errors (backward_expected of
    #:                 partial_t), slot after slot
    REDUCE = 13     #: layer with shared weights: gradient shares received
    SENT = 14       #: layer: the (key, payload) pairs each slot sent, to re-send
    SQUARES = 15    #: layer: Adam's and RMSprop's running means of squared
    #:                 gradients, same layout as WEIGHTS


class KeyKind(enum.IntEnum):
    """What a received multicast packet carries."""

    FORWARD = 0     #: an activation of a pre neuron
    BACKWARD = 1    #: a post core's partial error sum for one of our neurons
    SOFTMAX = 2     #: a softmax core's local max (index 0), exp-sum (1) or,
    #:                 hidden, share of sum_j a_j e_j (2)
    ACK = 3         #: a downstream core finished a sample (index 0,
    #:                 payload: step) or asks for a lost activation (index 1,
    #:                 payload: its key)
    REDUCE = 4      #: the previous core's running sum of shared gradients
    TOTAL = 5       #: the last core's sum of all shared gradients


class RunMode(enum.IntEnum):
    """How a run uses the network."""

    INFER = 0       #: forward pass only; outputs and metrics recorded
    TRAIN = 1       #: forward, loss, backward and SGD at batch ends


class OptimizerKind(enum.IntEnum):
    """The update a batch end makes (PyTorch's definitions)."""

    SGD = 0         #: with momentum, Nesterov and weight decay
    ADAM = 1
    RMSPROP = 2


class CoreState(enum.IntEnum):
    """Life of a core, as its status reports it."""

    LOADED = 0
    RUNNING = 1
    DONE = 2
    FAILED = 3
    STOPPED = 4     #: at a batch end, as the host asked (input cores)


class Stage(enum.IntEnum):
    """What a core's oldest unfinished sample is waiting for."""

    NONE = 0
    FORWARD = 1     #: activations from pre neurons
    SOFTMAX = 2     #: max and exp-sum (hidden, training: and the error
    #:                 sums' shares) from the other softmax cores
    BACKWARD = 3    #: partial error sums from post cores
    ACKS = 4        #: input: completions from downstream cores
    REDUCE = 5      #: shared gradients from the population's other cores


class CostSite(enum.IntEnum):
    """A piece of a model's work that the cost model prices (cost.h)."""

    FORWARD = 0     #: an input multiplied into the sums; units: MACs
    NEURONS = 1     #: activation functions computed; units: neurons
    LOSS = 2        #: loss and its deltas at an output; units: neurons
    DELTAS = 3      #: errors times f'(z); units: neurons
    PARTIALS = 4    #: partial errors sent back; units: MACs (or values)
    GRADIENTS = 5   #: weight gradients added; units: MACs
    UPDATE = 6      #: weights updated or gradients summed; units: weights
    ADAPTIVE = 7    #: Adam's or RMSprop's further work (moments, a square
    #:                 root and divisions) on weights updated; units: weights
    ERRORS = 8      #: partial errors received, added into the errors;
    #:                 units: partial errors


class ProjectionType(enum.IntEnum):
    """How an incoming projection maps pre neurons onto a core's sums."""

    DENSE = 0       #: all to all, a weight per pair
    CONV = 1        #: a kernel shared by all positions
    POOL_MAX = 2    #: the largest value of each window
    POOL_AVERAGE = 3    #: the mean of each window
    IDENTITY = 4    #: one to one, weight 1, not trained


KEY_ENTRY = Struct("key_entry_t", "A block of keys a core listens to: one "
                   "core's or every core's of a sending population. A key "
                   "is base | core << core_shift | slot << shift | "
                   "position, and a forward position is row << (col_bits + "
                   "ch_bits) | column << ch_bits | channel.", (
    ("key", "uint32_t", "base key of the block"),
    ("mask", "uint32_t", "mask of the block"),
    ("kind", "uint32_t", "enum key_kind"),
    ("core_shift", "uint32_t", "bits below the sending core's number (in "
                               "a one-core block, under the mask)"),
    ("shift", "uint32_t", "bits of the position; the slot sits above"),
    ("ch_bits", "uint32_t", "forward: bits of the channel"),
    ("col_bits", "uint32_t", "forward: bits of the column"),
    ("row0", "uint32_t", "forward: grid row of the block's first position"),
    ("core_rows", "uint32_t", "forward: rows of each sending core (the "
                              "last may have fewer)"),
    ("index", "uint32_t", "forward: which incoming projection; backward "
                          "and ack: the number of the block's core 0 "
                          "among all the cores sending this kind"),
))

RUN_PARAMS = Struct("run_params_t", "What one run asks of a core.", (
    ("mode", "uint32_t", "enum run_mode"),
    ("n_samples", "uint32_t", "samples in the data set"),
    ("n_steps", "uint32_t", "sequence steps in the run (epochs x samples)"),
    ("batch_size", "uint32_t", "samples per optimizer step"),
    ("optimizer", "uint32_t", "enum optimizer_kind"),
    ("learning_rate", "weight_t", "learning rate"),
    ("momentum", "weight_t", "SGD's and RMSprop's momentum (0: none)"),
    ("weight_decay", "weight_t", "L2 penalty, added to each gradient "
                                 "times the weight (0: none)"),
    ("nesterov", "uint32_t", "SGD: 1 for Nesterov momentum"),
    ("beta1", "weight_t", "Adam: decay of the first moments"),
    ("beta2", "weight_t", "Adam: decay of the second moments; RMSprop: "
                          "its alpha (rho)"),
    ("epsilon", "weight_t", "Adam, RMSprop: added to the root of the "
                            "second moments"),
    ("optimizer_steps", "uint32_t", "Adam: steps taken before this run "
                                    "(its bias corrections count on)"),
    ("record_outputs", "uint32_t", "output cores: record every output"),
    ("stop_at", "uint32_t", "set by the host during a run: input cores "
                            "start no batch at or after this step (0: "
                            "none; read where it lies)"),
    ("patience", "uint32_t", "timer ticks (ms) a core waits without "
                             "progress before it re-sends what it sent"),
))

STATUS = Struct("status_t", "Progress a core reports, read after a run.", (
    ("state", "uint32_t", "enum core_state"),
    ("steps_done", "uint32_t", "sequence steps this core has finished"),
    ("waiting_step", "uint32_t", "oldest unfinished sequence step"),
    ("waiting_stage", "uint32_t", "enum stage: what that step waits for"),
    ("received", "uint32_t", "packets of that stage received"),
    ("expected", "uint32_t", "packets of that stage expected"),
    ("ring_overflows", "uint32_t", "events lost to a full event ring"),
    ("unknown_keys", "uint32_t", "packets with a key not in the key table"),
    ("protocol_errors", "uint32_t", "packets that fit no sample"),
    ("duplicates", "uint32_t", "packets received again (re-sent), ignored"),
    ("stale", "uint32_t", "packets of a sample the core had finished"),
    ("resends", "uint32_t", "times the core re-sent what it was waiting "
                            "on"),
    ("requests", "uint32_t", "lost input activations it asked for again"),
    ("saturations", "uint32_t", "fixed point: results beyond the range of "
                                "their format, saturated"),
    ("dtcm_bytes", "uint32_t", "DTCM heap the core took, as sark charges"),
))

CORE_PARAMS = Struct("core_params_t", "What every core is: its slice of "
                     "its population and how it sends what it sends. A "
                     "population is a grid of rows x width x channels (a "
                     "flat one has one neuron per row), split into whole "
                     "rows; forward_segment_t[n_segments] follow, then the "
                     "role's parameters.", (
    ("n_neurons", "uint32_t", "neurons on this core"),
    ("slice_start", "uint32_t", "first neuron of the slice"),
    ("population_size", "uint32_t", "neurons in the whole population"),
    ("n_slots", "uint32_t", "samples that may be in flight at once"),
    ("width", "uint32_t", "columns of the grid of the values sent"),
    ("channels", "uint32_t", "channels of the grid of the values sent"),
    ("col_bits", "uint32_t", "bits of a column in a forward key"),
    ("ch_bits", "uint32_t", "bits of a channel in a forward key"),
    ("n_segments", "uint32_t", "blocks of rows sent, each to the cores "
                               "that need it"),
    ("n_key_entries", "uint32_t", "entries in the key table"),
))

FORWARD_SEGMENT = Struct("forward_segment_t", "Rows of the slice whose "
                         "activations go to the same cores, under one key "
                         "block.", (
    ("key", "uint32_t", "base key of the block"),
    ("slot_shift", "uint32_t", "bits of the position in a key"),
    ("first", "uint32_t", "first neuron of the rows, within the slice"),
    ("n_rows", "uint32_t", "rows of the block"),
))

INPUT_PARAMS = Struct("input_params_t", "An input core's role.", (
    ("acks_expected", "uint32_t", "downstream cores acknowledging a sample"),
))

LAYER_PARAMS = Struct("layer_params_t", "A trained population's role; "
                      "incoming_t[n_incoming], "
                      "backward_target_t[n_backward_targets], "
                      "backward_source_t[backward_senders] and the "
                      "kind's parameters follow it.", (
    ("is_output", "uint32_t", "1 if the loss is computed here"),
    ("width", "uint32_t", "columns of the population's grid"),
    ("channels", "uint32_t", "channels of the population's grid"),
    ("n_sent", "uint32_t", "neurons whose values the core sends (fewer "
                           "than its own if it pools them)"),
    ("n_inputs", "uint32_t", "activations received per sample"),
    ("input_space", "uint32_t", "values each slot's input store holds"),
    ("n_incoming", "uint32_t", "incoming projections"),
    ("n_backward_targets", "uint32_t", "blocks of pre neurons sent partial "
                                       "errors"),
    ("backward_expected", "uint32_t", "partial errors of the sent neurons "
                                      "received per sample"),
    ("backward_senders", "uint32_t", "cores of the populations sending "
                                     "partial errors, numbered through "
                                     "the key table"),
    ("log_capacity", "uint32_t", "packets a slot's sent log holds"),
    ("softmax_cores", "uint32_t", "cores sharing the softmax (0: none)"),
    ("softmax_group", "uint32_t", "a shaped softmax: the neurons of a "
                                  "position (its channels), normalised "
                                  "together on the core (0: none)"),
    ("softmax_key", "uint32_t", "base key of the softmax partition"),
    ("sends_acks", "uint32_t", "1 if an input population is upstream"),
    ("ack_key", "uint32_t", "key of the acknowledgement partition"),
    ("n_weights", "uint32_t", "words in the weight region"),
    ("shared_cores", "uint32_t", "cores holding the same weights, whose "
                                 "gradients are summed (0: not shared)"),
    ("core_index", "uint32_t", "this core's place among them"),
    ("reduce_key", "uint32_t", "base key of the running sum to the next"),
    ("total_key", "uint32_t", "base key of the total (last core)"),
    ("weights_in_dtcm", "uint32_t", "1 if the weights and their gradients "
                                    "are copied to DTCM (no gradient "
                                    "region)"),
))

INCOMING = Struct("incoming_t", "An incoming projection of a core. Its "
                  "activations are stored at input_offset + (row - "
                  "halo_row0) * row_stride + column * col_stride + "
                  "channel; its weights start at weight_offset.", (
    ("type", "uint32_t", "enum projection_type"),
    ("input_offset", "uint32_t", "first place in the input store"),
    ("n_inputs", "uint32_t", "activations of it received per sample"),
    ("input_space", "uint32_t", "places of it in the input store"),
    ("halo_row0", "uint32_t", "first pre grid row received"),
    ("halo_rows", "uint32_t", "pre grid rows received"),
    ("row_stride", "uint32_t", "places per received row"),
    ("col_stride", "uint32_t", "places per column"),
    ("weight_offset", "uint32_t", "first word of its weights"),
    ("pre_width", "uint32_t", "columns of the pre grid"),
    ("pre_channels", "uint32_t", "channels of the pre grid"),
    ("kernel_rows", "uint32_t", "convolution or pooling window rows"),
    ("kernel_cols", "uint32_t", "window columns"),
    ("stride_rows", "uint32_t", "window step between output rows"),
    ("stride_cols", "uint32_t", "window step between output columns"),
    ("pad_top", "uint32_t", "rows of zeros above the pre grid"),
    ("pad_left", "uint32_t", "columns of zeros left of it"),
    ("from_input", "uint32_t", "the cores of the pre population if it is "
                               "an input (else 0): its lost activations "
                               "are asked for on the acknowledgement "
                               "key, not the partial errors' one, and "
                               "from one core they come in place order"),
))

CONV_PARAMS = Struct("conv_params_t", "A convolution core's own "
                     "parameters: the pooling it does on its band, if any "
                     "(windows of pool_rows x pool_cols, moved by as "
                     "much).", (
    ("pool", "uint32_t", "enum projection_type: POOL_MAX or POOL_AVERAGE; "
                         "0: none"),
    ("pool_rows", "uint32_t", "window rows"),
    ("pool_cols", "uint32_t", "window columns"),
    ("pooled_rows", "uint32_t", "pooled rows of the band"),
    ("pooled_width", "uint32_t", "pooled columns"),
))

BACKWARD_TARGET = Struct("backward_target_t", "Pre neurons of one pre core "
                         "(whole rows of its grid) that get this core's "
                         "partial errors.", (
    ("projection", "uint32_t", "index into the incoming projections"),
    ("key", "uint32_t", "base key of the partition to that pre core"),
    ("slot_shift", "uint32_t", "bits of the neuron index in that key"),
    ("pre_start", "uint32_t", "first pre neuron of the block"),
    ("n_pre", "uint32_t", "pre neurons in the block"),
    ("row0", "uint32_t", "first pre grid row of the block"),
    ("n_rows", "uint32_t", "pre grid rows in the block"),
    ("index_offset", "uint32_t", "key index of pre_start: its place on the "
                                 "pre core"),
))

BACKWARD_SOURCE = Struct("backward_source_t", "A core that sends this "
                         "one partial errors (numbered as the key table "
                         "numbers them): where to ask it for a lost one.", (
    ("key", "uint32_t", "base key of its partial errors to this core"),
    ("first", "uint32_t", "key index of the first sent neuron it sends a "
                          "partial error for"),
    ("count", "uint32_t", "partial errors it sends (0: none)"),
    ("segment", "uint32_t", "a forward segment of this core that reaches "
                            "it, whose keys carry the request"),
))

METRICS_RECORD = Struct("metrics_record_t",
                        "What an output core records per sequence step.", (
    ("loss", "value_t", "this core's share of the sample's loss"),
    ("max_output", "value_t", "largest output on this core"),
    ("argmax", "uint32_t", "population index of that output"),
))

STRUCTS = (KEY_ENTRY, RUN_PARAMS, STATUS, CORE_PARAMS, FORWARD_SEGMENT,
           INPUT_PARAMS, LAYER_PARAMS, INCOMING, CONV_PARAMS,
           BACKWARD_TARGET, BACKWARD_SOURCE, METRICS_RECORD)
ENUMS = ((Region, "region", "REGION"), (KeyKind, "key_kind", "KEY"),
         (RunMode, "run_mode", "MODE"),
         (OptimizerKind, "optimizer_kind", "OPTIMIZER"),
         (CoreState, "core_state", "STATE"),
         (Stage, "stage", "STAGE"),
         (ProjectionType, "projection_type", "PROJECTION"),
         (CostSite, "cost_site", "COST"))


def c_header() -> str:
    """The text of ``c_models/common/regions.h``."""
    out = ["// Generated by `python -m spinnpop.mapping.c_header`; "
           "do not edit.",
           "// The layouts are described in spinnpop/mapping/regions.py.",
           "#ifndef SPINNPOP_REGIONS_H", "#define SPINNPOP_REGIONS_H", "",
           "#include <stdint.h>", ""]
    for cls, c_name, prefix in ENUMS:
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        out.append(f"//! {doc}")
        out.append(f"enum {c_name} {{")
        for member in cls:
            out.append(f"    {prefix}_{member.name} = {int(member)},")
        out.append("};")
        out.append("")
    out.append(f"#define COST_N_SITES {len(CostSite)}")
    out.append("")
    for struct in STRUCTS:
        out.append(struct.c_declaration())
        out.append("")
    out.append("#endif  // SPINNPOP_REGIONS_H")
    return "\n".join(out) + "\n"
