"""The user's own tool-chain configuration, and keeping credentials out of
what spinnpop says.

The tools read ``.spiNNakerGraphFrontEnd.cfg`` from a configuration folder
or the home folder, then ``spiNNakerGraphFrontEnd.cfg`` from the working
folder. When there is neither they write a template into the home folder
and stop; spinnpop finds the files itself instead, so that a library call
never writes there.
"""

from __future__ import annotations

import os
import re

import appdirs
from spinn_utilities.configs.camel_case_config_parser import (
    CamelCaseConfigParser)

from spinnpop.errors import ConfigurationError

#: The tools' name for a user's configuration.
CONFIG_NAME = "spiNNakerGraphFrontEnd.cfg"
#: The options that name a machine, in the [Machine] section.
MACHINE_OPTIONS = ("machine_name", "spalloc_server", "remote_spinnaker_url")


def user_config_files() -> list:
    """The user's configuration files the tools would read, in the order
    they read them (later ones win)."""
    dotname = "." + CONFIG_NAME
    found = [path for path in (
        os.path.join(appdirs.site_config_dir(), dotname),
        os.path.join(appdirs.user_config_dir(), dotname),
        os.path.join(os.path.expanduser("~"), dotname))
        if os.path.isfile(path)]
    if len(found) > 1:
        raise ConfigurationError(
            f"two tool-chain configurations, {found[0]} and {found[1]}: "
            "the tools read only one; remove the other")
    local = os.path.abspath(CONFIG_NAME)
    if os.path.isfile(local):
        found.append(local)
    return found


def configured_machine(files: list) -> str | None:
    """The [Machine] option that ``files`` set to name a machine, as
    "option = value" with credentials hidden, or None."""
    parser = CamelCaseConfigParser()
    parser.read(files)
    named = None
    for option in MACHINE_OPTIONS:
        if parser.has_option("Machine", option):
            value = parser.get("Machine", option).strip()
            if value and value.lower() != "none":
                named = f"{option} = {hide_credentials(value)}"
    return named


_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://)[^/@\s]+@")


def hide_credentials(text: str) -> str:
    """``text`` with the user and password of any URL in it, and the
    values of the credential variables the tools read, replaced by ***."""
    text = _CREDENTIALS.sub(r"\g<scheme>***@", text)
    for name in ("SPALLOC_USER", "SPALLOC_PASSWORD", "OIDC_BEARER_TOKEN",
                 "JUPYTERHUB_API_TOKEN"):
        secret = os.environ.get(name)
        if secret and len(secret) > 2:
            text = text.replace(secret, "***")
    return text
