"""The network graph: populations and projections checked and split into
core-sized slices, before anything is mapped."""
