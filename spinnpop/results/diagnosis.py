"""Saying what went wrong when a run fails or stalls: which population,
core and sample is missing what, from the status each core keeps."""

from __future__ import annotations

from spinnpop.errors import RunError, StallError
from spinnpop.mapping.regions import CoreState, Stage

#: sark's run-time error codes (rt_error), by number.
_RTE_NAMES = ("RTE_NONE", "RTE_RESET", "RTE_UNDEF", "RTE_SVC", "RTE_PABT",
              "RTE_DABT", "RTE_IRQ", "RTE_FIQ", "RTE_VIC", "RTE_ABORT",
              "RTE_MALLOC", "RTE_DIV0", "RTE_EVENT", "RTE_SWERR", "RTE_IOBUF",
              "RTE_ENABLE", "RTE_NULL", "RTE_PKT", "RTE_TIMER", "RTE_API",
              "RTE_VER")

_LINKS = ("east", "north-east", "north", "west", "south-west", "south")

_MISSING = {
    Stage.FORWARD: "activations from the populations that feed it",
    Stage.SOFTMAX: "softmax maxima and sums (a hidden one's error sums) "
                   "from its population's cores",
    Stage.BACKWARD: "partial errors from the populations it feeds",
    Stage.ACKS: "acknowledgements from the cores downstream",
    Stage.REDUCE: "summed gradients of its shared weights from its "
                  "population's other cores",
}


def _where(network, core) -> str:
    node = network.nodes[core.population]
    return (f"population {node.label!r} core {core.core} (neurons "
            f"{core.start}:{core.stop}, chip ({core.x}, {core.y}) "
            f"processor {core.p})")


def _sample(step: int, n_samples: int, order) -> str:
    epoch, position = divmod(step, n_samples)
    return (f"step {step} (epoch {epoch}, position {position}, sample "
            f"{int(order[step])})")


def raise_for(raw, network, mapped, n_samples: int, order) -> None:
    """RunError or StallError describing a run that did not finish."""
    if raw.state == "failed":
        lines = []
        for index, core in enumerate(mapped.cores):
            if not raw.failed[index]:
                continue
            log = raw.logs[index].strip()[-1500:]
            state, code = raw.errors[index]
            if state == "WATCHDOG":
                status = raw.statuses[index]
                step = int(status["steps_done"])
                at = (_sample(step, n_samples, order) if step < len(order)
                      else "the end of the run")
                lines.append(f"{_where(network, core)} stopped responding "
                             f"(its watchdog fired) at {at}; the network "
                             "can be mapped around it with "
                             f"setup(down_cores=[({core.x}, {core.y}, "
                             f"{core.p})])")
                continue
            name = _RTE_NAMES[code] if code < len(_RTE_NAMES) else "?"
            lines.append(f"{_where(network, core)} stopped with error "
                         f"code {code} ({name}); its log:\n{log}")
        raise RunError("a core failed during the run:\n" + "\n".join(lines))
    lines = []
    for index, core in enumerate(mapped.cores):
        status = raw.statuses[index]
        if status["state"] == CoreState.DONE:
            continue
        stage = Stage(int(status["waiting_stage"]))
        step = int(status["waiting_step"])
        what = (f"is missing {status['expected'] - status['received']} of "
                f"{status['expected']} {_MISSING[stage]} for "
                f"{_sample(step, n_samples, order)}"
                if stage != Stage.NONE else "has nothing to wait for")
        problems = [f"{status[name]} {name.replace('_', ' ')}"
                    for name in ("ring_overflows", "unknown_keys",
                                 "protocol_errors", "resends")
                    if status[name]]
        if problems:
            what += "; it saw " + ", ".join(problems)
        lines.append((step, f"{_where(network, core)} {what}"))
    lines.sort(key=lambda item: item[0])
    drops = sum(c.dropped for c in raw.chip_counters.values())
    counted = [f"{drops} packets dropped by routers"]
    if all(c is not None for c in raw.core_counters):   # not on SpiNNaker
        counted.append(f"{sum(c.dropped for c in raw.core_counters)} at "
                       "cores")
    if drops:
        counted.append("what the cores re-sent did not get through")
    summary = (f"the run stalled with {len(lines)} cores unfinished "
               f"({'; '.join(counted)}):")
    down = [f"chip {xy} dropped {n} packets bound for its link {link} "
            f"({_LINKS[link]}), which is down; the network can be mapped "
            f"around it with setup(down_links=[({xy[0]}, {xy[1]}, {link})])"
            for xy, counts in sorted(raw.chip_counters.items())
            if counts.link_dropped is not None
            for link, n in enumerate(counts.link_dropped) if n]
    raise StallError("\n  ".join([summary] + down
                                 + [text for _, text in lines]))
