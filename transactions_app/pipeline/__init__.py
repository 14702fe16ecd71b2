"""The composition root: the detector and the producer as the platform
runs them, wired from settings. The Kafka connection and topics the
settings name, the checks ``rundetector`` makes before it consumes, and
``build_detector``, which gives the loop (``streaming``) its Kafka
clients, the rules in force (``rules``), storage (``ingest``) and the live
feed. Nothing below this package imports it."""
