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

_NUMPY_TYPES = {"uint32_t": "<u4", "int32_t": "<i4", "float": "<f4"}


@dataclass(frozen=True)
class Struct:
    """A C struct of 32-bit fields: ``fields`` is ((name, C type, doc), ...)."""

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
        return self.dtype.itemsize

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

    PARAMS = 0      #: the model's layout parameters (written at mapping)
    KEYS = 1        #: incoming key table, key_entry_t sorted by key
    RUN = 2         #: run_params_t, written before every run
    STATUS = 3      #: status_t, kept up to date by the core
    DATA = 4        #: input: samples x neurons of float32
    ORDER = 5       #: input and output: dataset index of each sequence step
    WEIGHTS = 6     #: dense: W of every incoming projection, then the biases
    VELOCITY = 7    #: dense: SGD momentum buffers, same layout as WEIGHTS
    GRADIENT = 8    #: dense: batch gradient accumulators, same layout
    TARGETS = 9     #: output: samples x neurons of float32 targets
    METRICS = 10    #: output: metrics_record_t per sequence step
    OUTPUTS = 11    #: output: sequence steps x neurons of float32 outputs
    INPUTS = 12     #: dense: each slot's received inputs (slots x fan-in)


class KeyKind(enum.IntEnum):
    """What a received multicast packet carries."""

    FORWARD = 0     #: an activation of a pre neuron
    BACKWARD = 1    #: a post core's partial error sum for one of our neurons
    SOFTMAX = 2     #: a softmax core's local max (index 0) or exp-sum (1)
    ACK = 3         #: a downstream core finished a sample (payload: step)


class RunMode(enum.IntEnum):
    """How a run uses the network."""

    INFER = 0       #: forward pass only; outputs and metrics recorded
    TRAIN = 1       #: forward, loss, backward and SGD at batch ends


class CoreState(enum.IntEnum):
    """Life of a core, as its status reports it."""

    LOADED = 0
    RUNNING = 1
    DONE = 2
    FAILED = 3


class Stage(enum.IntEnum):
    """What a core's oldest unfinished sample is waiting for."""

    NONE = 0
    FORWARD = 1     #: activations from pre neurons
    SOFTMAX = 2     #: max and exp-sum from the other softmax cores
    BACKWARD = 3    #: partial error sums from post cores
    ACKS = 4        #: input: completions from downstream cores


KEY_ENTRY = Struct("key_entry_t", "A sending population's partition that "
                   "a core listens to; a key is base | core << core_shift | "
                   "slot << shift | index.", (
    ("key", "uint32_t", "base key of the partition (all its cores)"),
    ("mask", "uint32_t", "mask of the partition"),
    ("kind", "uint32_t", "enum key_kind"),
    ("core_shift", "uint32_t", "bits below the sending core's number"),
    ("shift", "uint32_t", "bits of the neuron index; the slot sits above"),
    ("core_size", "uint32_t", "neurons per core of the sender (the last "
                              "core may have fewer)"),
    ("index", "uint32_t", "forward: which incoming projection"),
))

RUN_PARAMS = Struct("run_params_t", "What one run asks of a core.", (
    ("mode", "uint32_t", "enum run_mode"),
    ("n_samples", "uint32_t", "samples in the data set"),
    ("n_steps", "uint32_t", "sequence steps in the run (epochs x samples)"),
    ("batch_size", "uint32_t", "samples per SGD step"),
    ("learning_rate", "float", "SGD learning rate"),
    ("momentum", "float", "SGD momentum (0: plain SGD)"),
    ("record_outputs", "uint32_t", "output cores: record every output"),
))

STATUS = Struct("status_t", "Progress a core reports, read after a run.", (
    ("state", "uint32_t", "enum core_state"),
    ("steps_done", "uint32_t", "sequence steps this core has finished"),
    ("waiting_step", "uint32_t", "oldest unfinished sequence step"),
    ("waiting_stage", "uint32_t", "enum stage: what that step waits for"),
    ("received", "uint32_t", "packets of that stage received"),
    ("expected", "uint32_t", "packets of that stage expected"),
    ("ring_overflows", "uint32_t", "packets lost to a full receive ring"),
    ("unknown_keys", "uint32_t", "packets with a key not in the key table"),
    ("protocol_errors", "uint32_t", "packets for a step not in flight"),
    ("dtcm_bytes", "uint32_t", "DTCM heap the core allocated"),
))

INPUT_PARAMS = Struct("input_params_t", "Layout of an input source core.", (
    ("n_neurons", "uint32_t", "neurons on this core"),
    ("slice_start", "uint32_t", "first neuron of the slice"),
    ("n_slots", "uint32_t", "samples that may be in flight at once"),
    ("forward_key", "uint32_t", "base key of the forward partition"),
    ("slot_shift", "uint32_t", "bits of the neuron index in a forward key"),
    ("acks_expected", "uint32_t", "downstream cores acknowledging a sample"),
    ("n_key_entries", "uint32_t", "entries in the key table"),
    ("ring_capacity", "uint32_t", "packets the receive ring holds"),
))

DENSE_PARAMS = Struct("dense_params_t", "Layout of a dense-layer core; "
                      "incoming_projection_t[n_incoming] and "
                      "backward_target_t[n_backward_targets] follow.", (
    ("n_neurons", "uint32_t", "neurons on this core"),
    ("slice_start", "uint32_t", "first neuron of the slice"),
    ("population_size", "uint32_t", "neurons in the whole population"),
    ("n_slots", "uint32_t", "samples that may be in flight at once"),
    ("forward_key", "uint32_t", "base key of the forward partition"),
    ("slot_shift", "uint32_t", "bits of the neuron index in a forward key"),
    ("sends_forward", "uint32_t", "1 if any population consumes ours"),
    ("is_output", "uint32_t", "1 if the loss is computed here"),
    ("n_inputs", "uint32_t", "pre neurons over all incoming projections"),
    ("n_incoming", "uint32_t", "incoming projections"),
    ("n_key_entries", "uint32_t", "entries in the key table"),
    ("n_backward_targets", "uint32_t", "pre cores sent partial errors"),
    ("backward_expected", "uint32_t", "partial errors received per sample"),
    ("softmax_cores", "uint32_t", "cores sharing the softmax (0: none)"),
    ("softmax_key", "uint32_t", "base key of the softmax partition"),
    ("sends_acks", "uint32_t", "1 if an input population is upstream"),
    ("ack_key", "uint32_t", "key of the acknowledgement partition"),
    ("ring_capacity", "uint32_t", "partial errors and softmax packets the "
                                  "receive ring holds"),
    ("n_weights", "uint32_t", "words in the weight region (W then bias)"),
))

INCOMING_PROJECTION = Struct("incoming_projection_t",
                             "An incoming projection of a dense core; its "
                             "W (n_pre rows of n_neurons) starts at row "
                             "input_offset of the weight region.", (
    ("n_pre", "uint32_t", "neurons in the pre population"),
    ("input_offset", "uint32_t", "first index in the stored input vector"),
))

BACKWARD_TARGET = Struct("backward_target_t",
                         "A pre core that gets this core's partial errors.", (
    ("projection", "uint32_t", "index into the incoming projections"),
    ("key", "uint32_t", "base key of the partition to that pre core"),
    ("slot_shift", "uint32_t", "bits of the neuron index in that key"),
    ("pre_start", "uint32_t", "first pre neuron of that core"),
    ("n_pre", "uint32_t", "neurons on that core"),
))

METRICS_RECORD = Struct("metrics_record_t",
                        "What an output core records per sequence step.", (
    ("loss", "float", "this core's share of the sample's loss"),
    ("max_output", "float", "largest output on this core"),
    ("argmax", "uint32_t", "population index of that output"),
))

STRUCTS = (KEY_ENTRY, RUN_PARAMS, STATUS, INPUT_PARAMS, DENSE_PARAMS,
           INCOMING_PROJECTION, BACKWARD_TARGET, METRICS_RECORD)
ENUMS = ((Region, "region", "REGION"), (KeyKind, "key_kind", "KEY"),
         (RunMode, "run_mode", "MODE"), (CoreState, "core_state", "STATE"),
         (Stage, "stage", "STAGE"))


def c_header() -> str:
    """The text of ``c_models/common/regions.h``."""
    out = ["// Generated by `python -m spinnpop.mapping.c_header`; do not edit.",
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
    for struct in STRUCTS:
        out.append(struct.c_declaration())
        out.append("")
    out.append("#endif  // SPINNPOP_REGIONS_H")
    return "\n".join(out) + "\n"
