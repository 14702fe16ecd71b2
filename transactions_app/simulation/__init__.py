"""Traffic for trying the platform and measuring its detection: labelled
synthetic transactions (``generator``: uniform with the tutorial's share of
fraud; ``realistic``: accounts with habits and fraud scenarios), the
producer loop that writes them to Kafka (``producer``), and the quality
figures of a run against its labels (``evaluation``)."""
