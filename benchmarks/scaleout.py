"""Several detectors over the same stream: 1, 2 and 3 ``rundetector``
processes in one consumer group draining the same backlog.

Run with ``python -m benchmarks.scaleout`` (``make bench`` runs it). For
each number of detectors: fresh topics (the input one with six partitions,
so that one, two and three detectors get an even share), ``--count``
realistic transactions produced first, then the detectors started as
``rundetector`` processes and the group's committed offsets read twice a
second until they reach the end. It reports:

- the rate between 10 % and 90 % of the backlog committed (the processes'
  start-up is outside it);
- the lag (messages not committed yet) over the run;
- messages per CPU-second of the detectors (their user and system time
  from ``/proc``): the per-core figure, which does not depend on what the
  broker and the database take from the same cores; and the CPU-seconds
  the broker (``java``) and PostgreSQL (``postgres`` processes) spent per
  1,000 messages over the same run, the figures the capacity model in
  ``docs/operations.md`` is built from.

On a machine whose cores the broker and the database share, more
detectors stop helping once those cores are full; the figures say where.
It uses the benchmark database of ``benchmarks.pipeline``.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid

from benchmarks.pipeline import empty_tables, producer_loop, setup_django

PARTITIONS = 6
SAMPLE_SECONDS = 0.5
TIMEOUT_SECONDS = 900


def detector_processes(topics, group_id: str, count: int) -> list[subprocess.Popen]:
    env = os.environ | {
        "TRANSACTIONS_TOPIC": topics.transactions,
        "LEGIT_TOPIC": topics.legit,
        "FRAUD_TOPIC": topics.fraud,
        "DEADLETTER_TOPIC": topics.deadletter,
        "RECEIVERS_TOPIC": topics.receivers or f"{topics.transactions}.receivers",
    }
    return [
        subprocess.Popen(
            [sys.executable, "manage.py", "rundetector", "--group-id", group_id],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def cpu_seconds(pid: int) -> float:
    """User and system time of a process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def services_cpu() -> dict[str, float]:
    """CPU seconds so far of the broker's and the database's processes on
    this machine, by name (a backend that ended meanwhile is not counted,
    so read it before the detectors stop)."""
    spent = {"java": 0.0, "postgres": 0.0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as comm:
                name = comm.read().strip()
        except OSError:
            continue
        if name in spent:
            spent[name] += cpu_seconds(int(entry))
    return spent


class GroupOffsets:
    """The consumer group's committed offsets on the input topic, read with
    a consumer of the group that never joins it."""

    def __init__(self, topic: str, group_id: str) -> None:
        from confluent_kafka import Consumer, TopicPartition

        from transactions_app.connections import kafka_connection

        self._consumer = Consumer(
            kafka_connection().config()
            | {"group.id": group_id, "enable.auto.commit": False}
        )
        self._partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]

    def committed(self) -> int:
        offsets = self._consumer.committed(self._partitions, timeout=10)
        return sum(max(tp.offset, 0) for tp in offsets)

    def close(self) -> None:
        self._consumer.close()


def drain(detectors: int, count: int) -> dict:
    """Run ``detectors`` processes over a backlog of ``count``: samples of
    (seconds, committed), the detectors' CPU seconds and the wall time."""
    from django.conf import settings

    from transactions_app.pipeline.topics import delete_topics, throwaway_topics

    topics = throwaway_topics(
        f"bench.scale.{uuid.uuid4().hex[:8]}",
        receivers=settings.DETECTION_SHARE_RECEIVERS,
        partitions=PARTITIONS,
    )
    group_id = f"{topics.transactions}.detectors"
    processes = []
    try:
        producer_loop(topics.transactions, count, None).run()
        offsets = GroupOffsets(topics.transactions, group_id)
        before = services_cpu()
        started = time.monotonic()
        processes = detector_processes(topics, group_id, detectors)
        samples = [(0.0, 0)]
        while samples[-1][1] < count:
            if time.monotonic() - started > TIMEOUT_SECONDS:
                raise RuntimeError(f"{samples[-1][1]} of {count} after the timeout")
            if any(p.poll() is not None for p in processes):
                raise RuntimeError("a detector ended before the backlog did")
            time.sleep(SAMPLE_SECONDS)
            samples.append((time.monotonic() - started, offsets.committed()))
        cpu = sum(cpu_seconds(p.pid) for p in processes)
        after = services_cpu()
        offsets.close()
        spent = {name: after[name] - before[name] for name in after}
        return {"samples": samples, "cpu": cpu, "services": spent}
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(60)
        delete_topics(topics)


def crossing(samples: list[tuple], level: float) -> float:
    """When the committed count reached ``level`` (linear between the
    samples around it)."""
    for (t0, c0), (t1, c1) in zip(samples, samples[1:], strict=False):
        if c1 >= level:
            return t0 + (t1 - t0) * (level - c0) / max(c1 - c0, 1)
    return samples[-1][0]


def report(detectors: int, count: int, run: dict) -> None:
    samples = run["samples"]
    low, high = crossing(samples, 0.1 * count), crossing(samples, 0.9 * count)
    rate = 0.8 * count / (high - low)
    every = max(1, len(samples) // 8)
    shown = samples[::every] + ([samples[-1]] if (len(samples) - 1) % every else [])
    over_time = ", ".join(
        f"{seconds:.0f} s {count - committed:,}" for seconds, committed in shown
    )
    print(
        f"{detectors} detector(s), {count:,} transactions, {PARTITIONS} partitions: "
        f"{rate:,.0f} tx/s between 10 and 90 % committed; all committed after "
        f"{samples[-1][0]:.1f} s (from the processes' start); "
        f"{count / run['cpu']:,.0f} tx per detector CPU-second "
        f"({run['cpu']:.1f} CPU-s in all)"
    )
    print(f"  lag over time: {over_time}")
    services = run["services"]
    print(
        "  CPU-seconds per 1,000 transactions: detectors "
        f"{run['cpu'] / count * 1000:.3f}, broker {services['java'] / count * 1000:.3f}"
        f", PostgreSQL {services['postgres'] / count * 1000:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--detectors", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    setup_django()
    print(f"on {os.cpu_count()} cores, the broker and the database on the same ones")
    for detectors in args.detectors:
        empty_tables()
        report(detectors, args.count, drain(detectors, args.count))


if __name__ == "__main__":
    main()
