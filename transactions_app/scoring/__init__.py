"""The learned score: a gradient-boosted model trained on labelled
history, from the features the engine computes (``detection.features``).

``labelled`` reads a labelled file into transactions, ``training`` turns
transactions into point-in-time rows and trains and validates a model,
``artefact`` is the trained model as one value that can be stored and
served.
"""
