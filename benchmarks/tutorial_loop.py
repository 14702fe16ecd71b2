"""The tutorial's detector loop, the baseline ``make bench`` measures the
pipeline against: kafka-python's consumer with ``json.loads`` as its value
deserializer, the topic chosen by the tutorial's rule (``amount >= 900``
goes to the fraud topic), and the topic and transaction printed to
standard output, which the benchmark makes a pipe. Nothing is validated,
stored, produced, committed or broadcast.

Run in a process of its own by ``benchmarks.pipeline`` (``tutorial_rate``):
it stops after ``--count`` messages (or fails when none comes for a
minute) and writes, as the last line of its
standard error, the count and the seconds from the first message to the
last.
"""

import argparse
import json
import sys
import time

LEGIT_TOPIC = "queuing.legit"
FRAUD_TOPIC = "queuing.fraud"
# Not the tutorial's: its loop waits forever; a benchmark must end.
STALLED_MS = 60_000


def is_suspicious(transaction: dict) -> bool:
    return transaction["amount"] >= 900


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--bootstrap-servers", required=True)
    parser.add_argument("--group-id", required=True)
    args = parser.parse_args()
    from kafka import KafkaConsumer  # here: the constants need no kafka-python

    consumer = KafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap_servers,
        group_id=args.group_id,
        auto_offset_reset="earliest",
        value_deserializer=lambda value: json.loads(value),
        consumer_timeout_ms=STALLED_MS,
    )
    done, started = 0, None
    for message in consumer:
        started = started or time.monotonic()
        transaction = message.value
        topic = FRAUD_TOPIC if is_suspicious(transaction) else LEGIT_TOPIC
        print(topic, transaction)
        done += 1
        if done >= args.count:
            break
    sys.stdout.flush()
    consumer.close()
    if done < args.count:
        sys.exit(f"only {done} of {args.count} messages within {STALLED_MS} ms")
    elapsed = time.monotonic() - started
    print(f"{done} {elapsed:.6f}", file=sys.stderr)


if __name__ == "__main__":
    main()
