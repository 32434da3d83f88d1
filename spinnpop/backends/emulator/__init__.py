"""spinnpop's host emulator of SpiNNaker: the C engine, the transceiver
the tool chain drives it through, and the backend that reads runs back."""
