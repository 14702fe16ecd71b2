"""Benchmarks (``make bench``): figures as ratios against a baseline
measured in the same run, never as timed assertions in tests."""
