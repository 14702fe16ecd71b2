"""Dead letters: messages the detector cannot accept, kept with a reason."""

from .records import RejectedMessage


def dead_letter_headers(item: RejectedMessage) -> list[tuple[str, bytes]]:
    """The original headers plus where the message came from, why it was
    rejected, and when."""
    return list(item.headers) + [
        ("deadletter.error", item.error.encode()),
        ("deadletter.topic", item.topic.encode()),
        ("deadletter.partition", str(item.partition).encode()),
        ("deadletter.offset", str(item.offset).encode()),
        ("deadletter.time", item.received_at.isoformat().encode()),
    ]
