"""The fraud detection app: models, detection, streaming, live feed, admin."""
