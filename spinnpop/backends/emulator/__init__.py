"""spinnpop's host emulator of SpiNNaker: the C engine and its loader."""
