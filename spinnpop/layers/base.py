"""What every layer kind shares: splitting into whole rows that fit a
core's DTCM, the memory core.c takes on every core, and (for the trained
kinds) the role of layer.c: parameters, regions and DTCM of a population
whose cores run forward, backward and update passes."""

from __future__ import annotations

import numpy as np

from spinnpop.errors import NetworkError, ResourceError
from spinnpop.graph import traffic
from spinnpop.hardware import DTCM_HEAP_BYTES, dtcm_block
from spinnpop.mapping.regions import (BACKWARD_SOURCE, BACKWARD_TARGET,
                                      CORE_PARAMS,
                                      FORWARD_SEGMENT, INCOMING, KEY_ENTRY,
                                      LAYER_PARAMS, METRICS_RECORD,
                                      RUN_PARAMS, STATUS, Region, RunMode)

_WORD = 4
# Structs private to the C, as both the ARM and the host lay them out.
_EVENT = 8           # event_t
_LAYER_SLOT = 60     # layer_slot_t
_SENT_LOG = 12       # sent_log_t
_ARRIVAL = 2         # an input place, noted as a uint16_t
#: Places in a core's input store: arrivals are noted as 16-bit numbers.
MAX_INPUT_SPACE = 1 << 16


def _words(bits: int) -> int:
    return -(-bits // 32)


class Layer:
    """A population's layout on its cores; ``kind`` names its C model."""

    kind = None
    #: Whether every core holds the same weights (summed gradients).
    shares_weights = False

    def __init__(self, node):
        self.node = node

    @property
    def binary(self) -> str:
        """Name of the model its cores run (c_models/Makefile)."""
        raise NotImplementedError

    def dtcm(self, network, core: int) -> int:
        """DTCM bytes a core allocates, as the C does."""
        raise NotImplementedError

    def weights_in_sdram(self, network, core: int) -> bool:
        """Whether a core reads its weights from SDRAM (no room in DTCM)."""
        return False

    def work_per_sample(self, network, core: int) -> dict:
        """{cost feature: units} a core works per training sample
        (emulator.h's enum emu_cost_feature), for graph.timing."""
        raise NotImplementedError

    def can_host(self):
        """The node whose values this one's cores could compute too (see
        graph.network), or None."""
        return None

    def core_dtcm(self, network, core: int) -> int:
        """What core.c takes: the segments, the key table, the events."""
        node = self.node
        return (dtcm_block(len(traffic.segments(node.sent, core))
                           * FORWARD_SEGMENT.size)
                + dtcm_block(traffic.n_key_entries(network, node, core)
                             * KEY_ENTRY.size)
                + dtcm_block((2 * network.n_slots + 2) * _EVENT))

    def largest_dtcm(self, network) -> int:
        return max(self.dtcm(network, c) for c in range(self.node.n_cores))

    def fits(self, network) -> bool:
        """Whether every core fits as the network is split."""
        return self.largest_dtcm(network) <= DTCM_HEAP_BYTES

    def rows_per_core(self, network, n_samples: int) -> int:
        """The rows a core takes, given the neighbours' splits."""
        raise NotImplementedError

    #: Rows per core come in multiples of this.
    row_step = 1

    def rows_cap(self) -> int | None:
        """The rows per core that ``neurons_per_core`` allows, if set."""
        cap = self.node.population.neurons_per_core
        if cap is None:
            return None
        unit = self.node.row_size * self.row_step
        if cap < unit:
            rows = (f"whole rows of {self.node.row_size} neurons "
                    f"({self.node.grid[1]} columns x {self.node.grid[2]} "
                    "channels)")
            if self.row_step > 1:
                rows += (f", {self.row_step} at a time (the pooling on its "
                         "cores)")
            raise ResourceError(
                f"population {self.node.label!r} is split into {rows}; "
                f"neurons_per_core={cap} holds none: use neurons_per_core "
                f">= {unit}")
        return min(cap // unit * self.row_step, self.node.grid[0])

    def check_fits(self, network) -> None:
        """ResourceError if a core does not fit DTCM."""

    def region_sizes(self, network, core: int, shape) -> dict:
        """Bytes of each region of a core (regions of 0 bytes left out)."""
        sizes = {Region.RUN: RUN_PARAMS.size, Region.STATUS: STATUS.size,
                 Region.PARAMS: (CORE_PARAMS.size
                                 + len(traffic.segments(self.node.sent,
                                                        core))
                                 * FORWARD_SEGMENT.size
                                 + self.role_params_size(network, core)),
                 Region.KEYS: traffic.n_key_entries(network, self.node, core)
                 * KEY_ENTRY.size}
        sizes.update(self.role_region_sizes(network, core, shape))
        return {region: size for region, size in sizes.items() if size}

    def role_params_size(self, network, core: int) -> int:
        raise NotImplementedError

    def role_region_sizes(self, network, core: int, shape) -> dict:
        raise NotImplementedError

    def role_params(self, network, core: int, keys) -> bytes:
        """The role's (and kind's) parameters, after the core's."""
        raise NotImplementedError

    def writes(self, core: int, run) -> dict:
        """{region: array} a core gets before a run (see loading.RunData)."""
        raise NotImplementedError

    def reads(self, mode: RunMode, buffers: tuple) -> list:
        """Regions read back from each core after a run; ``buffers``, the
        optimizer's regions (Region.VELOCITY, Region.SQUARES) in use."""
        raise NotImplementedError


def _softmax_rounds(node) -> int:
    """Values each core of ``node`` sends to its population's cores per
    sample: a flat softmax's maximum and exp-sum, and a hidden one's share
    of the errors' sum in training."""
    if not node.shares_softmax:
        return 0
    return 2 if node.is_output else 3


class TrainedLayer(Layer):
    """A population of the layer.c role: the base of dense, convolution and
    pooling kinds. A kind says which connectors it takes, how each
    incoming projection is laid out in a core's input store and weights,
    and what it allocates beyond layer.c."""

    #: The connector classes it takes.
    takes = ()

    #: Whether a Softmax population can be of this kind.
    softmax = False

    def __init__(self, node):
        super().__init__(node)
        if any(not isinstance(edge.connector, self.takes)
               for edge in node.incoming):
            self._refuse()
        if node.is_softmax and not self.softmax:
            raise NetworkError(
                f"Softmax population {node.label!r} is fed by "
                f"{type(node.incoming[0].connector).__name__}; a Softmax "
                "takes dense (AllToAll) projections: put a dense Softmax "
                "population after it")

    def _refuse(self) -> None:
        others = sorted({type(e.connector).__name__
                         for e in self.node.incoming})
        raise NetworkError(
            f"population {self.node.label!r} has projections of kinds "
            f"{others} that cannot be combined: a population takes either "
            "dense (AllToAll) or convolution projections, with one-to-one "
            "shortcuts, or a single pooling projection")

    @property
    def binary(self) -> str:
        node = self.node
        loss = node.loss.c_name if node.is_output else "none"
        return (f"{self.kind}-{node.population.celltype.activation}-{loss}"
                f"-{node.network.numeric.name}")

    # What a kind says about its incoming projections and weights.

    def incoming_layout(self, edge, core: int) -> dict:
        """The kind's fields of an incoming_t: type, place layout
        (``padded`` or not), weight offset and window geometry."""
        raise NotImplementedError

    def n_weights(self, core: int) -> int:
        """Words in a core's weight region."""
        raise NotImplementedError

    def kind_dtcm(self, network, core: int) -> int:
        """What the kind allocates beyond layer.c."""
        return 0

    def kind_params(self, core: int) -> bytes:
        """The kind's own parameters, after the backward targets."""
        return b""

    def kind_macs(self, core: int) -> tuple:
        """Multiply-accumulates of a core per sample: (forward, through
        projections that send errors back)."""
        raise NotImplementedError

    def work_per_sample(self, network, core: int) -> dict:
        node = self.node
        n, n_inputs = node.core_size(core), self.n_inputs(core)
        blocks = traffic.backward_blocks(node, core)
        rounds = _softmax_rounds(node)
        softmax = node.n_cores * rounds
        backward_expected = traffic.backward_expected(node.sent, core)
        received = n_inputs + backward_expected + softmax
        # The packets of each phase (activations, the softmax's rounds,
        # partial errors) come from all their senders at about the same
        # time, faster than they are processed: one task takes the phase's
        # backlog (measured on the emulator's clock).
        tasks = int(n_inputs > 0) + int(backward_expected > 0) + rounds
        forward, backward = self.kind_macs(core)
        work = {"packet": received, "task": tasks,
                "sent": self.sends_per_sample(core),
                "forward_calls": n_inputs, "forward_units": forward,
                "partials_calls": len(blocks), "partials_units": backward,
                "gradients_calls": n_inputs, "gradients_units": forward,
                "neurons_calls": 1, "neurons_units": n,
                "deltas_calls": 1, "deltas_units": n,
                "errors_calls": backward_expected,
                "errors_units": backward_expected}
        if node.is_output:
            work.update(loss_calls=1, loss_units=n)
        return work

    def pack_weights(self, core: int, weights: dict,
                     biases: dict) -> np.ndarray:
        """A core's weight region (float32) from weights by projection and
        biases by population (missing ones: zero)."""
        raise NotImplementedError

    def unpack_weights(self, values: list, weights: dict,
                       biases: dict) -> None:
        """The inverse: fills weights and biases from every core's weight
        region (``values[core]``, float32)."""
        raise NotImplementedError

    # layer.c's part, the same for every kind.

    def incoming(self, core: int) -> list:
        """The incoming_t of a core, as dicts, in projection order."""
        records, offset = [], 0
        for edge in self.node.incoming:
            first, stop = edge.receptive_rows(core)
            rows, width, channels = edge.pre.grid
            record = dict(type=0, weight_offset=0, kernel_rows=1,
                          kernel_cols=1, stride_rows=1, stride_cols=1,
                          pad_top=0, pad_left=0,
                          from_input=edge.pre.n_cores
                          if edge.pre.is_input else 0)
            layout = self.incoming_layout(edge, core)
            padded = layout.pop("padded", False)
            record.update(layout)
            col_stride = (1 << traffic.index_bits(channels) if padded
                          else channels)
            row_stride = ((1 << traffic.index_bits(width)) * col_stride
                          if padded else width * channels)
            record.update(
                input_offset=offset, halo_row0=first, halo_rows=stop - first,
                n_inputs=(stop - first) * width * channels,
                input_space=(stop - first) * row_stride,
                row_stride=row_stride, col_stride=col_stride,
                pre_width=width, pre_channels=channels)
            offset += record["input_space"]
            records.append(record)
        return records

    def n_inputs(self, core: int) -> int:
        return sum(r["n_inputs"] for r in self.incoming(core))

    def input_space(self, core: int) -> int:
        return sum(r["input_space"] for r in self.incoming(core))

    def dtcm(self, network, core: int) -> int:
        return (self._working_dtcm(network, core)
                + (0 if self.weights_in_sdram(network, core)
                   else 2 * self._weights_block(core)))

    def _weights_block(self, core: int) -> int:
        return dtcm_block(self.n_weights(core) * _WORD)

    def weights_in_sdram(self, network, core: int) -> bool:
        # The weights and their gradients go to DTCM if they fit beside
        # the working memory (layer.c copies them there).
        return (self._working_dtcm(network, core)
                + 2 * self._weights_block(core) > DTCM_HEAP_BYTES)

    @traffic.per_split
    def _working_dtcm(self, network, core: int) -> int:
        """DTCM bytes a core allocates without its weights."""
        node, slots = self.node, network.n_slots
        n = node.core_size(core)
        softmax = node.n_cores if node.shares_softmax else 0
        return (self.core_dtcm(network, core)
                + dtcm_block(len(node.incoming) * INCOMING.size)
                + dtcm_block(len(traffic.backward_blocks(node, core))
                             * BACKWARD_TARGET.size)
                + dtcm_block(slots * _LAYER_SLOT)
                + dtcm_block(slots * self.n_inputs(core) * _ARRIVAL)
                + dtcm_block(slots * (3 * n + 3 * softmax) * _WORD)
                + (dtcm_block(n // node.softmax_group * _WORD)
                   if node.softmax_group else 0)
                + dtcm_block(slots * self._bitmap_words(core) * _WORD)
                + dtcm_block(slots * _SENT_LOG)
                + (dtcm_block(_words(self.n_weights(core)) * _WORD)
                   if traffic.shares_gradients(node) else 0)
                + self.kind_dtcm(network, core))

    def _bitmap_words(self, core: int) -> int:
        """Words of a slot's received bitmaps (layer.h)."""
        node = self.node
        softmax = node.n_cores if node.shares_softmax else 0
        return (_words(self.input_space(core)) + _words(3 * softmax)
                + _words(traffic.backward_senders_total(node.sent, core)
                         * node.sent.core_size(core)))

    def sends_per_sample(self, core: int) -> int:
        """Packets a core sends for each sample in training: activations,
        partial errors, its softmax values and its acknowledgement."""
        node = self.node
        forward = sum(piece.n_rows for piece in
                      traffic.segments(node.sent, core)) * node.sent.row_size
        partials = sum(block.n_pre for block in
                       traffic.backward_blocks(node, core))
        return (forward + partials + _softmax_rounds(node)
                + int(bool(node.upstream_inputs)))

    def log_capacity(self, core: int) -> int:
        """Packets a core sends for one sample at most (its sent log): a
        batch's last sample also logs the shared gradients."""
        return self.sends_per_sample(core) + (
            self.n_weights(core) if traffic.shares_gradients(self.node)
            else 0)

    def rows_per_core(self, network, n_samples: int) -> int:
        node = self.node

        def fits(rows):
            saved = node.slices
            node.split_rows(rows)
            try:
                return self.fits(network)
            finally:
                node.slices = saved

        step = self.row_step
        cap = self.rows_cap()
        if cap is not None and fits(cap):
            return cap
        if not fits(step):
            need = self._dtcm_with(network, step)
            what = (f"its {self.n_inputs(0)} inputs need {need} bytes of "
                    f"DTCM (> {DTCM_HEAP_BYTES})" if need > DTCM_HEAP_BYTES
                    else f"a core would store more than {MAX_INPUT_SPACE} "
                         "inputs per sample")
            raise ResourceError(
                f"population {node.label!r} does not fit a core even with "
                f"one {'neuron' if node.row_size == 1 else 'row'} per core: "
                f"{what}; use fewer inputs per population, or "
                "setup(samples_in_flight=1)")
        # The most rows that fit: a core's working DTCM grows with its
        # rows (its weights go to SDRAM where they do not fit beside it).
        low, high = 1, -(-(node.grid[0] if cap is None else cap) // step)
        while low < high:
            mid = (low + high + 1) // 2
            if fits(mid * step):
                low = mid
            else:
                high = mid - 1
        low *= step
        if cap is not None:
            raise ResourceError(
                f"population {node.label!r}: {cap * node.row_size} neurons "
                f"per core need {self._dtcm_with(network, cap)} bytes of "
                f"DTCM, more than a core's {DTCM_HEAP_BYTES}; use "
                f"neurons_per_core <= {low * node.row_size}")
        return low

    def fits(self, network) -> bool:
        return super().fits(network) and max(
            self.input_space(c)
            for c in range(self.node.n_cores)) <= MAX_INPUT_SPACE

    def _dtcm_with(self, network, rows: int) -> int:
        saved = self.node.slices
        self.node.split_rows(rows)
        try:
            return self.largest_dtcm(network)
        finally:
            self.node.slices = saved

    def check_fits(self, network) -> None:
        node = self.node
        for core in range(node.n_cores):
            if self.input_space(core) > MAX_INPUT_SPACE:
                raise ResourceError(
                    f"population {node.label!r} core {core} would store "
                    f"{self.input_space(core)} inputs per sample; a core "
                    f"notes at most {MAX_INPUT_SPACE}: use fewer rows per "
                    "core (neurons_per_core) or smaller inputs")
            need = self.dtcm(network, core)
            if need > DTCM_HEAP_BYTES:
                raise ResourceError(
                    f"population {node.label!r} cannot be split to fit a "
                    f"core: {need} bytes of DTCM")

    def role_params_size(self, network, core: int) -> int:
        return (LAYER_PARAMS.size + len(self.node.incoming) * INCOMING.size
                + len(traffic.backward_blocks(self.node, core))
                * BACKWARD_TARGET.size
                + traffic.backward_senders_total(self.node.sent, core)
                * BACKWARD_SOURCE.size + len(self.kind_params(core)))

    def role_region_sizes(self, network, core: int, shape) -> dict:
        node, n = self.node, self.node.core_size(core)
        words = self.n_weights(core) * _WORD
        sizes = {Region.WEIGHTS: words, Region.VELOCITY: words,
                 Region.SQUARES: words if shape.squares else 0,
                 Region.GRADIENT: words if self.weights_in_sdram(network,
                                                                 core)
                 else 0,
                 Region.REDUCE: words if traffic.shares_gradients(node)
                 else 0,
                 Region.INPUTS: network.n_slots
                 * (self.input_space(core)
                    + 2 * traffic.backward_expected(node.sent, core))
                 * _WORD,
                 Region.SENT: network.n_slots
                 * 2 * self.log_capacity(core) * _WORD}
        if node.is_output:
            sizes[Region.TARGETS] = shape.n_samples * n * _WORD
            sizes[Region.ORDER] = shape.n_steps * _WORD
            sizes[Region.METRICS] = shape.n_steps * METRICS_RECORD.size
            if shape.record_outputs:
                sizes[Region.OUTPUTS] = shape.n_steps * n * _WORD
        return sizes

    def role_params(self, network, core: int, keys) -> bytes:
        node = self.node
        last = node.n_cores - 1
        sends = {"softmax": True, "ack": True, "reduce": core < last,
                 "total": core == last}
        own = {partition: keys(node, core, partition)[0]
               for partition in self.sent_partitions(network)
               if sends[partition]}
        targets = []
        index = {edge: p for p, edge in enumerate(node.incoming)}
        for block in traffic.backward_blocks(node, core):
            pre = block.edge.pre
            targets.append(dict(
                projection=index[block.edge],
                key=keys(node, core, traffic.backward_partition(
                    block.edge, block.pre_core))[0],
                slot_shift=traffic.index_bits(pre.core_size(block.pre_core)),
                pre_start=block.pre_start, n_pre=block.n_pre,
                row0=block.row, n_rows=block.n_rows,
                index_offset=block.pre_start - pre.slices[block.pre_core][0]))
        shared = traffic.shares_gradients(node)
        incoming = self.incoming(core)
        _, width, channels = node.grid
        layout = LAYER_PARAMS.pack(dict(
            is_output=int(node.is_output), width=width, channels=channels,
            n_sent=node.sent.core_size(core),
            n_inputs=sum(r["n_inputs"] for r in incoming),
            input_space=sum(r["input_space"] for r in incoming),
            n_incoming=len(incoming), n_backward_targets=len(targets),
            backward_expected=traffic.backward_expected(node.sent, core),
            backward_senders=traffic.backward_senders_total(node.sent,
                                                            core),
            log_capacity=self.log_capacity(core),
            softmax_cores=node.n_cores if node.shares_softmax else 0,
            softmax_group=node.softmax_group,
            softmax_key=own.get("softmax", 0),
            sends_acks=int("ack" in own), ack_key=own.get("ack", 0),
            n_weights=self.n_weights(core),
            shared_cores=node.n_cores if shared else 0, core_index=core,
            reduce_key=own.get("reduce", 0), total_key=own.get("total", 0),
            weights_in_dtcm=int(not self.weights_in_sdram(network, core))))
        return (layout + INCOMING.pack(incoming)
                + BACKWARD_TARGET.pack(targets)
                + BACKWARD_SOURCE.pack(self._backward_sources(core, keys))
                + self.kind_params(core))

    def _backward_sources(self, core: int, keys) -> list:
        """The backward_source_t of each core sending partial errors to
        ``core``, numbered as its key table numbers them: a population's
        cores by their keys' core field above the first sender's."""
        sent = self.node.sent
        segments = traffic.segments(sent, core)
        sources = []
        for edge in sent.outgoing:
            senders = traffic.backward_senders(edge, core)
            if not (edge.trained and senders):
                continue
            partition = traffic.backward_partition(edge, core)
            base, mask = keys(edge.post, None, partition)
            shift = (~keys(edge.post, senders[0], partition)[1]
                     & 0xFFFFFFFF).bit_length()
            numbered = [dict(key=0, first=0, count=0, segment=0)
                        for _ in range(edge.post.n_cores)]
            for post_core in senders:
                key = keys(edge.post, post_core, partition)[0]
                start, stop = edge.overlap(post_core, core)
                numbered[(key & ~mask & 0xFFFFFFFF) >> shift] = dict(
                    key=key,
                    first=start * sent.row_size - sent.slices[core][0],
                    count=(stop - start) * sent.row_size,
                    segment=next(k for k, piece in enumerate(segments)
                                 if (edge.post, post_core)
                                 in piece.receivers))
            sources += numbered
        return sources

    def sent_partitions(self, network) -> dict:
        """{partition: [receiving nodes]} of the role's own partitions
        (forward and backward ones are the mapping's); a hosted node's
        host sends them."""
        node, sent = self.node, {}
        if node.host is not None:
            return sent
        if node.shares_softmax:
            sent["softmax"] = [node]
        if node.upstream_inputs:
            sent["ack"] = list(node.upstream_inputs)
        if traffic.shares_gradients(node):
            sent["reduce"] = [node]
            sent["total"] = [node]
        return sent

    def writes(self, core: int, run) -> dict:
        node = self.node
        numeric = node.network.numeric
        data = {}
        if self.n_weights(core):
            what = f"weights of population {node.label!r}"
            data[Region.WEIGHTS] = numeric.weights.encode(
                self.pack_weights(core, run.weights, run.biases), what)
            data[Region.VELOCITY] = numeric.weights.encode(
                self.pack_weights(core, run.velocities, run.velocities),
                f"momentum buffers of population {node.label!r}")
            if run.squares is not None:
                data[Region.SQUARES] = numeric.weights.encode(
                    self.pack_weights(core, run.squares, run.squares),
                    f"second moments of population {node.label!r}")
        if node.is_output:
            start, stop = node.slices[core]
            data[Region.TARGETS] = numeric.values.encode(
                run.targets[node.population][:, start:stop],
                f"targets of {node.label!r}")
            data[Region.ORDER] = run.order
        return data

    def reads(self, mode: RunMode, buffers: tuple) -> list:
        regions = []
        if mode == RunMode.TRAIN and self.n_weights(0):
            regions += [Region.WEIGHTS] + list(buffers)
        return regions + ([Region.METRICS] if self.node.is_output else [])
