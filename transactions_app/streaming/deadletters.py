"""Dead letters: messages the detector cannot accept, kept with a reason."""

from datetime import datetime

from confluent_kafka import Message


def dead_letter_headers(message: Message, reason: str, now: datetime) -> list:
    """The original headers plus where the message came from and why it
    was rejected."""
    return list(message.headers() or []) + [
        ("deadletter.error", reason.encode()),
        ("deadletter.topic", message.topic().encode()),
        ("deadletter.partition", str(message.partition()).encode()),
        ("deadletter.offset", str(message.offset()).encode()),
        ("deadletter.time", now.isoformat().encode()),
    ]
