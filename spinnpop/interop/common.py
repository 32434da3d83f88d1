"""What the importers and exporters of every framework share: the labels
and shapes of the populations an import makes, making them, and the chain
of projections an export walks."""

from __future__ import annotations

from spinnpop.cells import Input, Linear
from spinnpop.errors import ConfigurationError
from spinnpop.populations import Population
from spinnpop.projections import Projection


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


def window_shape(connector, shape: tuple, channels: int, where: str) -> tuple:
    """The output shape of a convolution or pooling on ``shape`` (height,
    width, channels), with ``channels`` out; a ConfigurationError naming
    ``where`` if a "valid" window does not fit."""
    if connector.padding == "valid" and any(
            k > n for k, n in zip(connector.size, shape[:2])):
        raise ConfigurationError(
            f"{where}: its window {connector.size} is larger than its input "
            f"{shape[:2]} (height, width)")
    return connector.output_size(shape) + (channels,)


def build(steps: list, labels: list, shape: tuple, load) -> list:
    """Makes the input (of ``shape``) and a population and projection for
    each of ``steps`` (with their ``shape``, ``cell``, ``connector`` and
    ``layer``), ``load(layer, projection)`` copying a trained layer's
    weights; returns the populations."""
    populations = [Population(shape, Input(), label=labels[0])]
    for step, label in zip(steps, labels[1:]):
        post = Population(step.shape, step.cell or Linear(), label=label)
        projection = Projection(populations[-1], post, step.connector)
        if step.connector.trained:
            load(step.layer, projection)
        populations.append(post)
    return populations
