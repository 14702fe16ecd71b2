"""Streaming: the Kafka adapter, the message codec, and the detector and
producer loops built on them."""
