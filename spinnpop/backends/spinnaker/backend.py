"""The spinnaker backend: a board by its address, or boards from a spalloc
server, through the tool chain's own transceiver. What runs there is what
runs on the emulator; a board only counts less (its routers' diagnostic
registers, and what each core counts itself)."""

from __future__ import annotations

import os

from spinn_front_end_common.data import FecDataView

from spinnpop.backends import Backend
from spinnpop.backends.spinnaker.binaries import (DEFAULT_FOLDER,
                                                  check_binaries)
from spinnpop.backends.spinnaker.config import (configured_machine,
                                                hide_credentials,
                                                user_config_files)
from spinnpop.errors import ConfigurationError, MachineError


class SpiNNakerBackend(Backend):
    """Runs networks on real SpiNNaker.

    :param n_boards: boards to ask spalloc for.
    :param machine: a board's IP address or host name (``machine_name``).
    :param spalloc_server: a spalloc server's URL (``spalloc_server``);
        user, group and credentials as the tools read them (the URL,
        ``SPALLOC_USER``/``SPALLOC_PASSWORD``, the configuration).
    :param binaries: the folder of the models' ``.aplx`` files (default:
        where ``make aplx`` puts them in spinnpop's source folder).
    :param down: ``down_cores``, ``down_chips``, ``down_links``, as for
        Backend.

    Without ``machine`` or ``spalloc_server``, the machine is the one the
    user's ``.spiNNakerGraphFrontEnd.cfg`` names.
    """

    name = "spinnaker"
    binary_suffix = ".aplx"
    #: Seconds for loaded cores to reach SYNC0: c_main only allocates and
    #: reads its regions, in well under a millisecond.
    start_timeout = 10.0
    #: Each look reads every core's status over the network (about a
    #: millisecond a core), so not too often.
    poll_seconds = 0.5

    def __init__(self, n_boards: int = 1, machine: str | None = None,
                 spalloc_server: str | None = None,
                 binaries: str | None = None, **down):
        super().__init__(n_boards, **down)
        for option, value in (("machine", machine),
                              ("spalloc_server", spalloc_server)):
            if value is not None and (not isinstance(value, str)
                                      or not value.strip()):
                raise ConfigurationError(
                    f"expected a host name or address for `{option}`; "
                    f"received: {option}={hide_credentials(repr(value))}")
        if machine is not None and spalloc_server is not None:
            raise ConfigurationError(
                "give either machine= (a board) or spalloc_server= (a "
                "spalloc server), not both")
        if binaries is not None and not isinstance(binaries,
                                                   (str, os.PathLike)):
            raise ConfigurationError(
                "expected a folder for `binaries`; received: "
                f"binaries={binaries!r}")
        self.machine = machine
        self.spalloc_server = spalloc_server
        self.binaries = os.path.abspath(binaries or DEFAULT_FOLDER)
        self._files = user_config_files()
        if machine is not None:
            self.where = f"machine_name = {machine}"
        elif spalloc_server is not None:
            self.where = f"spalloc_server = {hide_credentials(spalloc_server)}"
        else:
            self.where = configured_machine(self._files)
        if self.where is None:
            raise ConfigurationError(
                "the spinnaker backend needs a machine: give "
                "setup(backend='spinnaker', machine='<board address>') or "
                "spalloc_server='<url>', or name one in "
                "~/.spiNNakerGraphFrontEnd.cfg ([Machine] machine_name or "
                "spalloc_server); README.rst, 'Running on SpiNNaker'")

    def config_files(self) -> list:
        return self._files

    def settings(self) -> dict:
        """The machine setup was given, in place of any the user's
        configuration names; never a virtual board."""
        settings = dict(super().settings())
        settings[("Machine", "virtual_board")] = "False"
        if self.machine is not None or self.spalloc_server is not None:
            settings.update({
                ("Machine", "machine_name"): self.machine or "None",
                ("Machine", "spalloc_server"): self.spalloc_server or "None",
                ("Machine", "remote_spinnaker_url"): "None"})
        return settings

    def check(self, network) -> None:
        """Every model the network needs has its binary, built from the
        sources as they are now."""
        check_binaries(self.binaries, [node.layer.binary + self.binary_suffix
                                       for node in network.nodes])

    def prepare(self, tools) -> None:
        FecDataView.register_binary_search_path(self.binaries)

    def error(self, exception: Exception, captured: str) -> Exception:
        """A MachineError naming the machine and what went wrong, with the
        end of the tools' log; no credentials."""
        if self.where.startswith("spalloc_server"):
            hint = ("check the server's URL and your credentials (in the "
                    "URL, SPALLOC_USER and SPALLOC_PASSWORD, or the "
                    "configuration)")
        else:
            hint = ("check that the board is on, that its address is "
                    "right and answers ping, and that nothing blocks UDP "
                    "port 17893")
        return MachineError(hide_credentials(
            f"running on SpiNNaker ({self.where}) failed: "
            f"{type(exception).__name__}: {exception}\nTo put it right, "
            f"{hint}. The tool chain's log ends:\n{captured[-1500:]}"))
