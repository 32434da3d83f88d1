"""Exchange of networks with other frameworks: ``torch`` converts a
``torch.nn.Sequential`` to populations and projections and back, ``keras``
a ``keras.Sequential``; ``common`` is what they share."""
