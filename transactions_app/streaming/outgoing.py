"""What the detector produces, and what to do with what Kafka refused.

A refusal is either transient (a broker down, a leader moving: the same
message is produced again after a backoff) or about the message itself (too
large for the producer or the broker: producing it again can never work).
A dead letter refused for what it is goes again at once in its minimal form,
the ``deadletter.*`` headers without key or value; a minimal form refused
for what it is is dropped with an error logged (the table keeps the letter:
it is stored before anything is produced). Nothing refused ever stops the
detector.
"""

import logging
from dataclasses import dataclass

from confluent_kafka import KafkaError

logger = logging.getLogger(__name__)

# Errors that say the message itself can never be accepted as it is.
REFUSED_FOR_WHAT_IT_IS = frozenset(
    {
        KafkaError.MSG_SIZE_TOO_LARGE,
        KafkaError.RECORD_LIST_TOO_LARGE,
        KafkaError.INVALID_RECORD,
        KafkaError._INVALID_ARG,
    }
)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to produce. ``fallback`` is what to produce instead if
    Kafka refuses this one for what it is; ``required`` is False for a
    message that may be dropped then (a minimal dead letter)."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] | None = None
    fallback: "Outgoing | None" = None
    required: bool = True


def refused_for_what_it_is(error) -> bool:
    """Whether producing the same message again can never succeed."""
    return isinstance(error, KafkaError) and error.code() in REFUSED_FOR_WHAT_IT_IS


def next_attempt(refused: list[tuple[Outgoing, object]]):
    """What to produce after Kafka refused ``refused`` (message, error)
    pairs: ``(pending, transient)``, where ``transient`` are the pairs that
    call for a backoff before producing them again."""
    pending, transient = [], []
    for outgoing, error in refused:
        if not refused_for_what_it_is(error):
            transient.append((outgoing, error))
            pending.append(outgoing)
        elif outgoing.fallback is not None:
            logger.warning(
                "Kafka refused a message to %s (%s); producing its minimal form",
                outgoing.topic,
                error,
            )
            pending.append(outgoing.fallback)
        elif not outgoing.required:
            logger.error(
                "Kafka refused the minimal form of a message to %s (%s); "
                "dropped from the topic (kept in the table)",
                outgoing.topic,
                error,
            )
        else:
            logger.error("Kafka refused a message to %s: %s", outgoing.topic, error)
            transient.append((outgoing, error))
            pending.append(outgoing)
    return pending, transient
