"""Results back in numpy: metrics, outputs, counters, and what to say when
a run goes wrong."""
