"""Real SpiNNaker: a board by its address, or boards from a spalloc server,
reached through the tool chain's own transceiver."""
