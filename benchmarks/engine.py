"""The detection engine alone: throughput, memory and bounded state.

Run with ``make bench`` (or ``python -m benchmarks.engine``). Reports:

- verdicts per second on one core with all default rules active, on the
  realistic profile's traffic, against the original single rule measured
  in the same run (the baseline): at the pace ``runproducer`` sends it (a
  population sized so each person pays about twice a day), and crowded
  (3,000 people paying dozens of times a day each, their shops paid by
  crowds of first-time customers: a third of it flagged, every flag a
  reason to build);
- memory of the windowed state with 1,000,000 distinct active accounts;
- that state stays bounded as event time moves on (old entries evicted).
"""

import argparse
import gc
import os
import time
from datetime import UTC, datetime
from uuid import UUID

from transactions_app.detection import Engine, RuleSet, StateLimits
from transactions_app.detection.engine import original_rule
from transactions_app.rules.defaults import DEFAULT_RULES
from transactions_app.rules.defaults import default_rules as rules_in_default_set
from transactions_app.simulation.realistic import RealisticProfile, accounts_for_rate

START = datetime(2026, 1, 1, tzinfo=UTC)
RATE = 2.0  # event-time transactions per second
CROWDED_ACCOUNTS = 3000


def default_rules() -> RuleSet:
    return RuleSet(rules=rules_in_default_set())


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def throughput(ruleset: RuleSet, transactions) -> float:
    engine = Engine(ruleset, clock=lambda: START)
    gc.collect()
    began = time.perf_counter()
    for transaction in transactions:
        engine.classify(transaction, shard=0)
    return len(transactions) / (time.perf_counter() - began)


def memory_for_accounts(accounts: int) -> tuple[float, int]:
    """RSS growth with ``accounts`` distinct sources, each with one recent
    transaction to one of 100,000 targets."""

    engine = Engine(default_rules(), clock=lambda: START)
    gc.collect()
    before = rss_mib()
    base = START.timestamp()
    for i in range(accounts):
        engine.state.record(
            source=f"src{i:09d}",
            target=f"tgt{i % 100_000:06d}",
            time=base + i * 0.001,
            amount=42.0,
            key=UUID(int=i).int,
            shard=i % 3,
        )
    gc.collect()
    return rss_mib() - before, len(engine.state.sources)


def bounded_over_time(events: int) -> list[tuple[int, int, int, float]]:
    """Stream ``events`` over 20 simulated days through the state (idle TTL
    of one day) and sample its size as event time moves on."""
    limits = StateLimits(
        retention=3600, lateness=300, idle_ttl=86400, max_accounts=2_000_000
    )
    engine = Engine(default_rules(), clock=lambda: START, limits=limits)
    state, base, samples = engine.state, START.timestamp(), []
    step = 20 * 86400 / events
    for i in range(events):
        state.record(
            source=f"a{(i * 7919) % 300_000}",
            target=f"t{i % 50_000}",
            time=base + i * step,
            amount=10.0,
            key=i,
        )
        if i % (events // 5) == 0 and i:
            entries = sum(len(s.entries) for s in state.sources.values())
            samples.append((i, len(state.sources), entries, rss_mib()))
    return samples


def report_throughput(label: str, accounts: int, count: int) -> None:
    """Print verdicts per second with the original rule alone and with all
    default rules, on the same ``count`` transactions of ``accounts``
    people."""
    profile = RealisticProfile(
        seed=1, start=START, rate=RATE, accounts=accounts, warmup=0
    )
    transactions = [profile().transaction for _ in range(count)]
    baseline = throughput(RuleSet(rules=(original_rule(),)), transactions)
    full = throughput(default_rules(), transactions)
    print(
        f"engine, {count} realistic transactions of {accounts:,} people "
        f"({label}), one core:"
    )
    print(f"  original rule only (baseline): {baseline:12,.0f} verdicts/s")
    print(
        f"  all {len(DEFAULT_RULES)} default rules:         {full:12,.0f} verdicts/s"
        f"  ({full / baseline:.2f} x baseline)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=200_000)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    args = parser.parse_args()

    for label, accounts in (
        ("at runproducer's pace", accounts_for_rate(RATE)),
        ("crowded", CROWDED_ACCOUNTS),
    ):
        report_throughput(label, accounts, args.transactions)

    grown, accounts = memory_for_accounts(args.accounts)
    print(
        f"state with {accounts:,} distinct active accounts: {grown:,.0f} MiB "
        f"({grown * 2**20 / accounts:,.0f} bytes per account)"
    )

    print("state over 20 simulated days (idle TTL 1 day):")
    for events, sources, entries, rss in bounded_over_time(2_000_000):
        print(
            f"  after {events:>9,} events: {sources:>7,} accounts, "
            f"{entries:>7,} window entries, RSS {rss:,.0f} MiB"
        )


if __name__ == "__main__":
    main()
