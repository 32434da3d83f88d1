"""Figures of a training history and of where the last run ran.

Both functions return a :class:`matplotlib.figure.Figure` made without
pyplot: nothing global (backend, rcParams, pyplot's figure list) changes
and no window opens. Show one in a notebook by leaving it as a cell's
value, or save it with ``figure.savefig("name.png")``. matplotlib is
imported only when a function is called, so spinnpop does not need it.
"""

from __future__ import annotations

import spinnpop
from spinnpop.errors import ConfigurationError
from spinnpop.hardware import APPLICATION_CORES_PER_CHIP

#: Cores of a SpiNNaker 1 chip: the applications' and, as core 0, the
#: monitor, and a system core.
CORES_PER_CHIP = APPLICATION_CORES_PER_CHIP + 2
#: How the cores of a chip are laid out in its box.
_COLUMNS, _ROWS = 6, 3
#: Distance between the boxes of neighbouring chips (a box is 1 wide and
#: tall); what is left under a box holds its router's counts.
_PITCH = 1.6
_FREE, _MONITOR = "white", "0.6"
#: A chip's six links (0-5), as steps to the neighbour they lead to.
_LINKS = (("E", (1, 0)), ("NE", (1, 1)), ("N", (0, 1)), ("W", (-1, 0)),
          ("SW", (-1, -1)), ("S", (0, -1)))


def history(history, metrics=None):
    """The metrics of a training run, epoch by epoch.

    One Axes per metric, titled with its name, in the order the history
    logged them; a validation metric ``val_X`` is drawn on the Axes of
    ``X`` (``val_loss`` with ``loss``). Each metric is one line labelled
    with its name, against the epochs counted from 1.

    :param history: the :class:`spinnpop.History` that ``train`` returns.
    :param metrics: names to draw (``["loss", "val_loss"]``, say); all of
        the history's by default.
    :returns: a :class:`matplotlib.figure.Figure`.
    :raises ConfigurationError: not a History, a history with no epochs,
        or a name the history does not have.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from spinnpop.training.history import History

    if not isinstance(history, History):
        raise ConfigurationError(
            "plot.history takes the History that spinnpop.train returns; "
            f"received a {type(history).__name__}")
    logged = history.history
    if not any(logged.values()):
        raise ConfigurationError(
            "the history is empty: it has no epoch to draw (train with "
            "epochs=1 or more)")
    names = list(logged) if metrics is None else (
        [metrics] if isinstance(metrics, str) else list(metrics))
    unknown = [name for name in names if name not in logged]
    if unknown or not names:
        raise ConfigurationError(
            f"the history has no metric {unknown or names}; it has "
            f"{list(logged)} (pass some of these as metrics=, or None for "
            "all)")
    families = {}
    for name in names:
        family = name[len("val_"):] if name.startswith("val_") else name
        families.setdefault(family, []).append(name)

    columns = min(len(families), 3)
    rows = -(-len(families) // columns)
    figure = Figure(figsize=(4.5 * columns, 3.2 * rows), layout="constrained")
    grid = figure.add_gridspec(rows, columns)
    for index, (family, members) in enumerate(families.items()):
        axes = figure.add_subplot(grid[divmod(index, columns)])
        for name in members:
            values = logged[name]
            # Keras counts epochs from 0; people read them from 1.
            epochs = (history.epoch if len(history.epoch) == len(values)
                      else range(len(values)))
            axes.plot([epoch + 1 for epoch in epochs], values, marker="o",
                      label=name)
        axes.set_title(family)
        axes.set_xlabel("epoch")
        axes.set_ylabel(family)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
        axes.legend()
    return figure


def machine():
    """Where the last train, predict or evaluate call ran, and its traffic.

    Two panels draw the chips used (those with cores of the network or
    with routing entries for it) as boxes at their (x, y), each with its
    18 cores as cells, core 0 (the monitor) in grey:

    - *placement*: each core of the network coloured by its population,
      with a legend of the population labels;
    - *packets received*: each core of the network coloured by the
      multicast packets it received (a heat map, with a colour bar);
      cores that only SpiNNaker ran are left blank, as it does not count
      them.

    Under each chip box are its position and its router's counts: packets
    routed, dropped (when any) and sent on to neighbour chips. On the
    traffic panel, an arrow leaves a chip by each link packets left by,
    as thick as their share of the busiest link and labelled with their
    count (where the machine counts them link by link: the emulator).

    The returned :class:`matplotlib.figure.Figure` has an attribute
    ``spinnpop``, a dict of what it shows: ``"chips"`` (chips drawn),
    ``"cores"`` (cores of the network), ``"populations"`` (their
    labels, in the network's order) and ``"links"`` ({(chip, link name):
    packets} of the links drawn).

    :raises NotSetUpError: before setup, or when nothing has run yet in
        the session (call train, predict or evaluate first).
    """
    from matplotlib import colormaps
    from matplotlib.collections import PatchCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    run = spinnpop.counters()
    routers = {chip.chip: chip for chip in run.chips}
    chips = sorted(routers.keys() | {core.chip for core in run.cores})
    labels = list(dict.fromkeys(core.population for core in run.cores))
    # tab20 pairs a dark and a light shade of each hue: take the ten dark
    # ones first so that neighbouring populations differ in hue.
    palette = colormaps["tab20"]
    colours = {label: palette((2 * i) % 20 + (i // 10) % 2)
               for i, label in enumerate(labels)}

    width = max(x for x, _ in chips) + 1
    height = max(y for _, y in chips) + 1
    figure = Figure(figsize=(2 * (1.8 + 1.6 * width), 0.8 + 1.6 * height),
                    layout="constrained")
    placement, traffic = figure.subplots(1, 2)
    for axes in (placement, traffic):
        _draw_chips(axes, chips, routers)
        axes.set_xlim(-0.2, (width - 1) * _PITCH + 1.2)
        axes.set_ylim(-0.6, (height - 1) * _PITCH + 1.2)
        axes.set_aspect("equal")
        axes.set_axis_off()

    placement.add_collection(PatchCollection(
        [_cell(core.chip, core.processor) for core in run.cores],
        facecolors=[colours[core.population] for core in run.cores],
        edgecolors="black", linewidths=0.5))
    placement.set_title("placement")
    placement.legend(
        handles=[Patch(facecolor=colours[label], edgecolor="black",
                       label=label) for label in labels]
        + [Patch(facecolor=_MONITOR, edgecolor="black", label="monitor")],
        loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")

    counted = [core for core in run.cores if core.received is not None]
    traffic.set_title("packets received per core")
    if counted:
        heat = PatchCollection(
            [_cell(core.chip, core.processor) for core in counted],
            cmap="viridis", edgecolors="black", linewidths=0.5)
        heat.set_array([core.received for core in counted])
        traffic.add_collection(heat)
        figure.colorbar(heat, ax=traffic, label="packets received",
                        shrink=0.8)

    figure.spinnpop = {"chips": len(chips), "cores": len(run.cores),
                       "populations": labels,
                       "links": _draw_links(traffic, run.chips)}
    return figure


def _draw_links(axes, routers) -> dict:
    """An arrow out of each chip by each link packets left by; returns
    {(chip, link name): packets}."""
    links = {(router.chip, name): count for router in routers
             if router.links_sent is not None
             for (name, _), count in zip(_LINKS, router.links_sent)
             if count}
    busiest = max(links.values(), default=1)
    steps = dict(_LINKS)
    for ((x, y), name), count in links.items():
        dx, dy = steps[name]
        # Off the centre line, to its right: the way back runs beside it,
        # and the chip's counts sit on the centre.
        side = 0.38 / (dx * dx + dy * dy) ** 0.5
        x0, y0 = x * _PITCH + 0.5 + dy * side, y * _PITCH + 0.5 - dx * side
        start = (x0 + 0.5 * dx, y0 + 0.5 * dy)
        end = (x0 + (_PITCH - 0.5) * dx, y0 + (_PITCH - 0.5) * dy)
        axes.annotate("", xy=end, xytext=start, arrowprops=dict(
            arrowstyle="-|>", color="tab:red",
            linewidth=0.5 + 3 * count / busiest))
        axes.text((start[0] + end[0]) / 2 + 0.6 * dy * side,
                  (start[1] + end[1]) / 2 - 0.6 * dx * side, f"{count:,}",
                  ha="center", va="center", fontsize=6, color="tab:red")
    return links


def _cell(chip, processor):
    """The rectangle of core ``processor`` in the box of ``chip``: six to
    a row, core 0 at the top left."""
    from matplotlib.patches import Rectangle

    row, column = divmod(processor, _COLUMNS)
    size = 1 / _COLUMNS
    x = chip[0] * _PITCH + column * size
    y = chip[1] * _PITCH + 1 - (row + 1) * (1 / _ROWS)
    return Rectangle((x + 0.01, y + 0.02), size - 0.02, 1 / _ROWS - 0.04)


def _draw_chips(axes, chips, routers):
    """Each chip as a box of free cells with its monitor core, and under
    it its position and what its router counted."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    boxes = [Rectangle((x * _PITCH, y * _PITCH), 1, 1) for x, y in chips]
    axes.add_collection(PatchCollection(
        boxes, facecolors="0.93", edgecolors="black", linewidths=1))
    cells = [_cell(chip, p) for chip in chips
             for p in range(CORES_PER_CHIP)]
    axes.add_collection(PatchCollection(
        cells, facecolors=[_MONITOR if p == 0 else _FREE
                           for _ in chips for p in range(CORES_PER_CHIP)],
        edgecolors="0.7", linewidths=0.5))
    for chip in chips:
        lines = [f"chip {chip}"]
        router = routers.get(chip)
        if router is not None:
            lines.append(f"routed {router.routed:,}")
            if router.dropped:
                lines.append(f"dropped {router.dropped:,}")
            if router.link_sent is not None:
                lines.append(f"to links {router.link_sent:,}")
        axes.text(chip[0] * _PITCH + 0.5, chip[1] * _PITCH - 0.04,
                  "\n".join(lines), ha="center", va="top", fontsize=7)
