"""From the graph to the machine: partitions and keys, region layouts, the
SpiNNaker tool chain (GFE and PACMAN) and what each core is loaded with."""
