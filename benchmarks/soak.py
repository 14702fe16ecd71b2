"""The detector's memory over a soak at a steady rate, in a process of its own.

Run with ``make bench`` (or ``python -m benchmarks.soak``). The producer
sends ``--rate`` transactions a second for ``--seconds`` (ten minutes by
default), with event time running faster than the clock: by default fast
enough that the run covers the detector's longest retention (its longest
rule window plus the lateness allowance, a day and five minutes with the
default rules) ``RETENTIONS_PER_SOAK`` times. The windows are full after
the first, and by the middle of the run the whole population has paid and
the windows drop as much as they take in, so memory must stop growing:
the report gives the RSS at the middle and at the end, and the growth
between them.

The detector runs in this process, as ``rundetector`` builds it, and
nothing else has run in it before (the pipeline benchmark's runs and
model training would leave their own memory behind). It uses the
benchmark database (``<name>_bench``) and throwaway topics.
"""

import argparse
import threading
import time

from benchmarks.pipeline import (
    Measured,
    delete_topics,
    empty_tables,
    fresh_topics,
    load_process,
    rss_mib,
    setup_django,
)


def retention_of(measured: Measured) -> float:
    """Seconds of event time the detector's windows keep behind an
    account's newest event."""
    limits = measured.detector.detection.engine.state.limits
    return max(limits.retention, limits.target_retention) + limits.lateness


# How many retentions of event time a soak covers by default: the windows
# are full after the first, and by the second half every account of the
# population has paid (an account's entries are trimmed when it pays
# again, so one that paid once holds them until it is idle for the idle
# time: memory is bounded by the accounts, whose number levels off).
RETENTIONS_PER_SOAK = 6


def time_scale_to_fill(retention: float, seconds: float) -> float:
    """How much faster than the clock event time must run for a ``seconds``
    run to cover ``retention`` ``RETENTIONS_PER_SOAK`` times."""
    return max(1.0, RETENTIONS_PER_SOAK * retention / seconds)


def measure_soak(seconds: float, rate: float, time_scale: float | None):
    """The event-time scale used and samples taken every tenth of the run:
    elapsed seconds, RSS in MiB, source and target accounts, window
    entries. With ``time_scale`` None, the scale that fills the windows by
    the middle of the run."""
    topics = fresh_topics()
    samples, started = [], time.monotonic()
    try:
        measured = Measured(topics, None, keep_ages=False)
        if time_scale is None:
            time_scale = time_scale_to_fill(retention_of(measured), seconds)
        state = measured.detector.detection.engine.state
        sender = load_process(topics.transactions, seconds, rate, time_scale)

        def sample():
            while time.monotonic() - started < seconds:
                time.sleep(seconds / 10)
                sources = list(state.sources.values())
                entries = sum(len(source.entries) for source in sources)
                samples.append(
                    (
                        time.monotonic() - started,
                        rss_mib(),
                        len(sources),
                        len(state.targets),
                        entries,
                    )
                )
            measured.detector.signal_shutdown()

        threading.Thread(target=sample, daemon=True).start()
        measured.detector.run()
        sender.kill()
        return time_scale, samples
    finally:
        delete_topics(topics)


def report_soak(seconds: float, rate: float, time_scale: float | None) -> None:
    if seconds <= 0:
        print("RSS soak: skipped (--seconds 0)")
        return
    empty_tables()
    time_scale, samples = measure_soak(seconds, rate, time_scale)
    print(
        f"RSS over a {seconds:.0f} s soak at {rate:,.0f} tx/s "
        f"(event time x{time_scale:.0f}: {seconds * time_scale / 3600:.1f} h of "
        "traffic):"
    )
    for elapsed, mib, sources, targets, entries in samples:
        print(
            f"  {elapsed:4.0f} s  RSS {mib:5.0f} MiB  {sources:,} sources  "
            f"{targets:,} targets  {entries:,} window entries"
        )
    if len(samples) < 2:
        print("  (too short for a second half)")
        return
    middle, last = samples[(len(samples) - 1) // 2], samples[-1]
    grown = last[1] - middle[1]
    print(
        f"  second half ({middle[0]:.0f} s to {last[0]:.0f} s): RSS "
        f"{middle[1]:,.0f} to {last[1]:,.0f} MiB ({grown:+,.0f} MiB, "
        f"{grown / middle[1]:+.1%}), window entries {middle[4]:,} to {last[4]:,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--rate", type=float, default=1_000)
    parser.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="event time this many times faster than the clock (default: "
        "the run covers the longest retention six times)",
    )
    args = parser.parse_args()
    setup_django()
    report_soak(args.seconds, args.rate, args.time_scale)


if __name__ == "__main__":
    main()
