"""The input kind (c_models/models/input/): a population whose values are
the samples of the data set, streamed from the SDRAM of its cores."""

from __future__ import annotations

from spinnpop.errors import ResourceError
from spinnpop.hardware import DTCM_HEAP_BYTES, dtcm_block
from spinnpop.layers.base import Layer
from spinnpop.mapping.regions import INPUT_PARAMS, Region

#: SDRAM an input core's share of the data may take by default; bigger data
#: sets spread over more cores (and chips).
INPUT_DATA_PER_CORE = 32 * 1024 * 1024
_WORD = 4
_INPUT_SLOT = 16     # input_slot_t


class InputLayer(Layer):
    """Cores holding whole rows of every sample, as many rows as fit
    INPUT_DATA_PER_CORE (or ``neurons_per_core``)."""

    kind = "input"

    @property
    def binary(self) -> str:
        return f"input-{self.node.network.numeric.name}"

    def rows_per_core(self, network, n_samples: int) -> int:
        cap = self.rows_cap()
        if cap is not None:
            return cap
        per_row = max(1, n_samples) * self.node.row_size * _WORD
        return max(1, min(self.node.grid[0], INPUT_DATA_PER_CORE // per_row))

    def dtcm(self, network, core: int) -> int:
        acked = -(-network.downstream_cores(self.node) // 32) * _WORD
        return (self.core_dtcm(network, core)
                + dtcm_block(network.n_slots * _INPUT_SLOT)
                + dtcm_block(network.n_slots * acked))

    def work_per_sample(self, network, core: int) -> dict:
        # It sends its values and hears each downstream core's
        # acknowledgement.
        return {"sent": self.node.core_size(core), "task": 1,
                "packet": network.downstream_cores(self.node)}

    def check_fits(self, network) -> None:
        need = self.largest_dtcm(network)
        if need > DTCM_HEAP_BYTES:
            cores = network.downstream_cores(self.node)
            raise ResourceError(
                f"input population {self.node.label!r} feeds {cores} cores, "
                f"too many for one core to track ({need} bytes of DTCM > "
                f"{DTCM_HEAP_BYTES}); use fewer cores downstream")

    def role_params_size(self, network, core: int) -> int:
        return INPUT_PARAMS.size

    def role_region_sizes(self, network, core: int, shape) -> dict:
        return {Region.DATA: shape.n_samples * self.node.core_size(core)
                * _WORD,
                Region.ORDER: shape.n_steps * _WORD}

    def role_params(self, network, core: int, keys) -> bytes:
        return INPUT_PARAMS.pack(dict(
            acks_expected=network.downstream_cores(self.node)))

    def sent_partitions(self, network) -> dict:
        return {}

    def writes(self, core: int, run) -> dict:
        start, stop = self.node.slices[core]
        node = self.node
        return {Region.DATA: node.network.numeric.values.encode(
                    run.inputs[node.population][:, start:stop],
                    f"x for {node.label!r}"),
                Region.ORDER: run.order}

    def reads(self, mode, buffers: tuple) -> list:
        return []
