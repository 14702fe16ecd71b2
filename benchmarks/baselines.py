"""The two loops ``benchmarks.pipeline`` measures the pipeline against,
each over messages already in a topic:

- the tutorial's detector loop (``tutorial_loop``): kafka-python,
  ``json.loads`` and a print to a pipe, in a process of its own;
- a naive loop doing all of the pipeline's work one message at a time
  (poll, ``json.loads``, ``Model.save()``, produce and flush,
  ``group_send``), as a first version would.

Django is set up by the caller (``pipeline.setup_django``).
"""

import json
import subprocess
import sys
import tempfile
import time

# How long the tutorial's loop may take (a stalled broker fails the run
# instead of hanging it).
TUTORIAL_TIMEOUT_SECONDS = 600
READ_CHUNK = 1 << 16


def tutorial_rate(topic: str, count: int) -> float:
    """Messages a second of the tutorial's loop over the first ``count``
    messages of ``topic``, from its first message to its last, with its
    standard output a pipe drained here (as ``| cat > /dev/null`` would)."""
    from transactions_app.connections import kafka_connection

    command = [
        sys.executable,
        "-m",
        "benchmarks.tutorial_loop",
        "--topic",
        topic,
        "--count",
        str(count),
        "--bootstrap-servers",
        kafka_connection().config()["bootstrap.servers"],
        "--group-id",
        f"{topic}.tutorial",
    ]
    with tempfile.TemporaryFile() as errors:
        loop = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
        while loop.stdout.read(READ_CHUNK):
            pass
        code = loop.wait(TUTORIAL_TIMEOUT_SECONDS)
        errors.seek(0)
        lines = errors.read().decode(errors="replace").splitlines()
    if code != 0 or not lines:
        raise RuntimeError(f"the tutorial's loop failed ({code}): {lines[-5:]}")
    done, seconds = lines[-1].split()
    return int(done) / float(seconds)


def naive_rate(topics, count: int) -> float:
    """Messages a second of the naive loop over the first ``count``
    messages of ``topics.transactions``."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from confluent_kafka import Consumer, Producer

    from transactions_app.connections import kafka_connection
    from transactions_app.models import Transaction

    client_config = kafka_connection().config()
    consumer = Consumer(
        client_config | {"group.id": "naive", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topics.transactions])
    producer = Producer(client_config)
    layer, done, started = get_channel_layer(), 0, None
    while done < count:
        message = consumer.poll(1.0)
        if message is None or message.error():
            continue
        started = started or time.monotonic()
        document = json.loads(message.value())
        flagged = document["amount"] >= 900
        Transaction(
            transaction_id=document["transaction_id"],
            source=document["source"],
            target=document["target"],
            amount=document["amount"],
            currency=document["currency"],
            timestamp=document["timestamp"],
            received_at=document["timestamp"],
            outcome="fraud" if flagged else "legit",
            score=100 if flagged else 0,
            kafka_topic=message.topic(),
            kafka_partition=message.partition(),
            kafka_offset=message.offset(),
        ).save()
        producer.produce(topics.fraud if flagged else topics.legit, message.value())
        producer.flush()
        async_to_sync(layer.group_send)(
            "transactions",
            {"type": "transactions.batch", "transactions": [document], "counts": {}},
        )
        done += 1
    consumer.close()
    return count / (time.monotonic() - started)
