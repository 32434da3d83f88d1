"""What the importers and exporters of every framework share: the labels
of the populations an import makes, and the chain of projections an
export walks."""

from __future__ import annotations

from spinnpop.cells import Input
from spinnpop.errors import ConfigurationError


def check_labels(labels: list, state, importer: str) -> None:
    """A ConfigurationError if any of ``labels`` is a population's of the
    session ``state`` or repeats, before ``importer`` makes anything."""
    taken = {p.label for p in state.populations}
    clashes = sorted({label for label in labels
                      if label in taken or labels.count(label) > 1})
    if clashes:
        raise ConfigurationError(
            f"the labels {clashes} are taken (populations of this session, "
            "or layer names that repeat the input's); pass another "
            f"label_prefix to {importer}")


def chain(state, exporter: str) -> list:
    """The session's projections from its input to its output, or a
    ConfigurationError (naming ``exporter``) if the network is not a
    chain."""
    incoming = {p: [] for p in state.populations}
    outgoing = {p: [] for p in state.populations}
    for projection in state.projections:
        incoming[projection.post].append(projection)
        outgoing[projection.pre].append(projection)

    def not_chain(reason: str) -> None:
        raise ConfigurationError(
            f"{exporter} exports only chains: one Input population, and "
            "each other population fed by exactly one projection and "
            f"feeding at most one (no shortcuts or branches); {reason}")

    inputs = [p for p in state.populations if isinstance(p.celltype, Input)]
    if len(inputs) != 1:
        not_chain(f"it has {len(inputs)} Input populations")
    for population in state.populations:
        fed = len(incoming[population])
        if population is not inputs[0] and fed != 1:
            not_chain(f"population {population.label!r} is fed by {fed} "
                      "projections")
    for population in state.populations:
        if len(outgoing[population]) > 1:
            not_chain(f"population {population.label!r} feeds "
                      f"{len(outgoing[population])} projections")
    projections, population = [], inputs[0]
    while outgoing[population]:
        projections.append(outgoing[population][0])
        population = projections[-1].post
    if len(projections) + 1 != len(state.populations):
        not_chain("some populations are not reached from the input")
    return projections
