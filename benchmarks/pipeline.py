"""The whole pipeline against the real Kafka broker and PostgreSQL.

Run with ``make bench`` (or ``python -m benchmarks.pipeline``). In one run:

(a) the detector pipeline: N messages (default 200,000) from the input
    topic to committed rows, produced results and committed offsets;
(a') the same with a learned score in force (a model trained here on the
    same profile's labelled traffic of another seed), as a ratio to (a):
    both measured twice, alternately, and the best of each compared (this
    machine's noise only ever slows a run down);
(b) the tutorial's detector loop (kafka-python, ``json.loads``, print to
    a pipe) over the same messages as each run of (a) without a model,
    and a naive reference loop, per message: poll, ``json.loads``,
    ``Model.save()``, produce and flush, ``group_send`` (``baselines``);
(c) end-to-end latency (Kafka timestamp to offset commit, which follows the
    database commit) at a steady 1,000 transactions per second;
The soak (memory over ten minutes at a steady rate) runs in a process of
its own: ``benchmarks.soak``. ``--latency-seconds 0`` skips (c).

It uses a database of its own (``<name>_bench``) and throwaway topics.
"""

import argparse
import os
import subprocess
import sys
import time
import uuid

import django

from benchmarks.baselines import naive_rate, tutorial_rate
from benchmarks.learned import put_model_in_force, take_models_out

# The project's modules are imported inside the functions: Django has to
# be set up first, against the benchmark's own database (``setup_django``).

# A population in proportion to the rates measured here: with the realistic
# profile's default 3,000 accounts, 10,000 tx/s would be three transactions
# a second from every account, and the windows would hold thousands each.
ACCOUNTS = 200_000


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fraudsite.settings")
    url = os.environ.get("DATABASE_URL", "postgres://fraud:fraud@127.0.0.1:5432/fraud")
    base, _, name = url.rpartition("/")
    os.environ["DATABASE_URL"] = f"{base}/{name}_bench"
    create_database(url, f"{name}_bench")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def create_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def empty_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE transactions_app_transaction, transactions_app_deadletter CASCADE"
        )


def fresh_topics():
    from django.conf import settings

    from transactions_app.pipeline.topics import throwaway_topics

    return throwaway_topics(
        f"bench.{uuid.uuid4().hex[:8]}", receivers=settings.DETECTION_SHARE_RECEIVERS
    )


def delete_topics(topics) -> None:
    from transactions_app.pipeline.topics import delete_topics as delete

    delete(topics)


def producer_loop(topic: str, count: int | None, rate: float | None):
    from transactions_app.connections import kafka_connection
    from transactions_app.detection.clock import utc_now
    from transactions_app.simulation.producer import TransactionProducer
    from transactions_app.simulation.realistic import RealisticProfile
    from transactions_app.streaming.kafka import create_producer

    return TransactionProducer(
        producer=create_producer(connection=kafka_connection()),
        topic=topic,
        generate=RealisticProfile(
            seed=1, start=utc_now(), rate=rate or 1000.0, accounts=ACCOUNTS
        ),
        rate=rate,
        count=count,
    )


class Measured:
    """The detector as ``rundetector`` builds it, with a batch hook that
    records timings and stops after ``expected`` messages."""

    def __init__(self, topics, expected: int | None, keep_ages: bool = True) -> None:
        from transactions_app.pipeline.assembly import (
            build_detector,
            tune_garbage_collection,
        )

        tune_garbage_collection()
        self.expected, self.seen, self.ages = expected, 0, []
        self.keep_ages = keep_ages  # not in the soak: the list would grow
        self.first_batch_at = self.last_batch_at = None
        self.detector = build_detector(
            topics=topics,
            group_id=f"{topics.transactions}.detector",
            restore_seconds=0,
            on_batch=self.on_batch,
        )

    def on_batch(self, *, outcomes, dead, seconds, ages) -> None:
        now = time.monotonic()
        if self.first_batch_at is None:
            self.first_batch_at = now - seconds
        self.last_batch_at = now
        self.seen += len(outcomes) + dead
        if self.keep_ages:
            self.ages.extend(ages)
        if self.expected is not None and self.seen >= self.expected:
            self.detector.signal_shutdown()

    @property
    def rate(self) -> float:
        return self.seen / (self.last_batch_at - self.first_batch_at)


def measure_pipeline(count: int, *, tutorial: bool = False) -> tuple:
    """The pipeline's rate over ``count`` new messages, and the tutorial's
    loop's over the same messages after it (None unless ``tutorial``)."""
    topics = fresh_topics()
    try:
        producer_loop(topics.transactions, count, None).run()
        measured = Measured(topics, count)
        wait_for_compiled_model(measured.detector)
        measured.detector.run()
        baseline = tutorial_rate(topics.transactions, count) if tutorial else None
        return measured.rate, baseline
    finally:
        delete_topics(topics)


def measure_naive(count: int) -> float:
    topics = fresh_topics()
    try:
        producer_loop(topics.transactions, count, None).run()
        return naive_rate(topics, count)
    finally:
        delete_topics(topics)


def wait_for_compiled_model(detector) -> None:
    """Until the model in force, if any, is compiled: a detector serves
    LightGBM's prediction for the seconds that takes after loading it, and
    the benchmark measures the hours after."""
    learned = detector.detection.engine.learned
    compiled = getattr(learned.model, "compiled", None) if learned else None
    if compiled is not None:
        compiled.done.wait()


def measure_with_and_without_model(count: int, rounds: int = 2):
    """The pipeline's rate without a model and with one in force, measured
    alternately ``rounds`` times each, and the tutorial's loop's over the
    messages of each run without one: the model's version and the three
    lists of rates."""
    without, tutorial, with_model, number = [], [], [], None
    for _ in range(rounds):
        empty_tables()
        take_models_out()
        rate, baseline = measure_pipeline(count, tutorial=True)
        without.append(rate)
        tutorial.append(baseline)
        empty_tables()
        number = put_model_in_force(ACCOUNTS)
        with_model.append(measure_pipeline(count)[0])
    take_models_out()
    return number, without, tutorial, with_model


def _rates(rates: list[float]) -> str:
    return " and ".join(f"{rate:,.0f}" for rate in rates)


def load_process(
    topic: str, seconds: float, rate: float, time_scale: float = 1.0
) -> subprocess.Popen:
    """``runproducer`` in a process of its own, as in production (a thread
    here would compete with the detector for the interpreter lock)."""
    env = os.environ | {"TRANSACTIONS_TOPIC": topic}
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "runproducer",
            "--rate",
            str(rate),
            "--count",
            str(int(seconds * rate)),
            "--time-scale",
            str(time_scale),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def measure_latency(seconds: float, rate: float) -> list[float]:
    """Ages at commit, with the producer sending at a steady ``rate``."""
    topics = fresh_topics()
    try:
        measured = Measured(topics, int(seconds * rate))
        sender = load_process(topics.transactions, seconds, rate)
        measured.detector.run()
        sender.wait(60)
        return measured.ages
    finally:
        delete_topics(topics)


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report_throughput(count: int, naive_count: int) -> None:
    number, without, tutorial, with_model = measure_with_and_without_model(count)
    pipeline, learned, baseline = max(without), max(with_model), max(tutorial)
    empty_tables()
    naive = measure_naive(naive_count)
    print(f"on {os.cpu_count()} cores, the broker and the database on the same ones")
    print(
        f"pipeline, {count} transactions into PostgreSQL: {pipeline:,.0f} tx/s "
        f"(best of {_rates(without)})"
    )
    print(
        f"  with the learned score in force (model v{number}): {learned:,.0f} "
        f"tx/s (best of {_rates(with_model)}), {learned / pipeline:.2f} x "
        "the same run without it"
    )
    print(
        "tutorial's loop (kafka-python, json.loads, print to a pipe), the same "
        f"messages: {baseline:,.0f} tx/s (best of {_rates(tutorial)})"
    )
    print(f"  ratio: {pipeline / baseline:.2f} x")
    print(f"naive loop (baseline), {naive_count} transactions: {naive:,.0f} tx/s")
    print(f"  ratio: {pipeline / naive:.1f} x")


def report_latency(seconds: float) -> None:
    if seconds <= 0:
        print("end-to-end latency: skipped (--latency-seconds 0)")
        return
    empty_tables()
    ages = measure_latency(seconds, 1000.0)
    print(
        f"end-to-end latency at 1,000 tx/s for {seconds:.0f} s "
        f"({len(ages)} transactions): p50 {percentile(ages, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(ages, 0.99) * 1000:.0f} ms, "
        f"max {max(ages) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--naive-count", type=int, default=3_000)
    parser.add_argument("--latency-seconds", type=float, default=30)
    args = parser.parse_args()
    setup_django()
    report_throughput(args.count, args.naive_count)
    report_latency(args.latency_seconds)


if __name__ == "__main__":
    main()
