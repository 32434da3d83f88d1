"""Every error spinnpop raises; all derive from :class:`SpinnpopError`.

Each also derives from the built-in exception that fits (``ValueError`` for
bad arguments, ``RuntimeError`` for runs that go wrong), and its message says
what was wrong and how to put it right.
"""


class SpinnpopError(Exception):
    """Base class of spinnpop's errors."""


class NotSetUpError(SpinnpopError, RuntimeError):
    """A call that needs :func:`spinnpop.setup` came before it, or after
    :func:`spinnpop.end`, or used an object of an earlier session."""


class ConfigurationError(SpinnpopError, ValueError):
    """A bad argument to setup or to a training call."""


class ShapeError(SpinnpopError, ValueError):
    """An array whose shape does not fit what it is given to."""


class DataError(SpinnpopError, ValueError):
    """Values that cannot be used: NaN, infinities, labels out of range."""


class NetworkError(SpinnpopError, ValueError):
    """A network that cannot be built or trained as it is."""


class ResourceError(SpinnpopError, ValueError):
    """Something that does not fit a core's memory or the machine."""


class MappingError(SpinnpopError, RuntimeError):
    """The SpiNNaker tool chain failed to map the network."""


class MachineError(SpinnpopError, RuntimeError):
    """The SpiNNaker machine could not be reached, booted or allocated, or
    the tool chain failed talking to it."""


class BuildError(SpinnpopError, RuntimeError):
    """The models' SpiNNaker binaries are missing or out of date."""


class RunError(SpinnpopError, RuntimeError):
    """A core failed while the network ran."""


class StallError(RunError):
    """The run stopped making progress before every core had finished its
    work (packets lost, say)."""


class SaturationWarning(UserWarning):
    """Fixed-point results went beyond their format's range and were held
    at its limit (``counters()`` says where): scale the data or weights
    down, lower the learning rate, or use ``setup(numeric="float32")``."""
