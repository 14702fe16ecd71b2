"""Wait until a Kafka broker answers a metadata request.

Asks the broker itself (AdminClient.list_topics) in a loop until it answers
or a deadline passes; never relies on a fixed sleep. On success prints how
long the broker took to start, measured from --started-at (the epoch time at
which services.sh launched java) when given. On failure exits non-zero with
a clear message and the last lines of the broker log.

Usage: kafka_ready.py [--bootstrap HOST:PORT] [--timeout SECONDS]
                      [--started-at EPOCH] [--pid PID] [--log FILE]
"""

import argparse
import os
import sys
import time
from collections import deque

from confluent_kafka.admin import AdminClient


def tail(path, lines=50):
    """Return the last lines of a file, or a note when it cannot be read."""
    try:
        with open(path, errors="replace") as handle:
            return "".join(deque(handle, maxlen=lines))
    except OSError as error:
        return f"(cannot read {path}: {error})\n"


def alive(pid):
    """Tell whether a process exists (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


def fail(message, args):
    print(f"kafka_ready: {message}", file=sys.stderr)
    if args.log:
        print(f"--- last 50 lines of {args.log} ---", file=sys.stderr)
        sys.stderr.write(tail(args.log))
    return 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bootstrap",
        default=f"127.0.0.1:{os.environ.get('KAFKA_PORT') or 9092}",
        help="the broker (default: 127.0.0.1:$KAFKA_PORT, else 9092)",
    )
    parser.add_argument("--timeout", type=float, default=90.0)
    parser.add_argument("--started-at", type=float)
    parser.add_argument("--pid", type=int)
    parser.add_argument("--log")
    args = parser.parse_args()

    admin = AdminClient(
        {
            "bootstrap.servers": args.bootstrap,
            # Retry quickly so the measured start-up time is not inflated by
            # librdkafka's exponential reconnect back-off (up to 10 s).
            "reconnect.backoff.ms": 50,
            "reconnect.backoff.max.ms": 250,
            # "Connection refused" is expected until the broker listens.
            "log_level": 0,
        }
    )
    deadline = time.monotonic() + args.timeout
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if args.pid and not alive(args.pid):
            return fail(f"broker process {args.pid} exited during start-up", args)
        try:
            remaining = deadline - time.monotonic()
            metadata = admin.list_topics(timeout=max(0.5, min(2.0, remaining)))
            if metadata.brokers:
                break
            last_error = "metadata answer listed no broker"
        except Exception as error:  # KafkaException, or a timeout
            last_error = str(error)
        time.sleep(0.1)
    else:
        return fail(
            f"no metadata answer from {args.bootstrap} within "
            f"{args.timeout:.0f} s (last error: {last_error})",
            args,
        )

    if args.started_at:
        took = time.time() - args.started_at
        print(
            f"kafka broker answered metadata on {args.bootstrap} "
            f"{took:.1f} s after java was launched"
        )
    else:
        print(f"kafka broker answered metadata on {args.bootstrap}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
