"""Training and inference as users call them: losses, SGD, History and
the runs behind train, predict and evaluate."""
