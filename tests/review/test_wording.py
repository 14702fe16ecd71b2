"""The case page's sentences: every stored reason reads as one, whatever
it lacks."""

import pytest

from transactions_app.review.wording import (
    duration_words,
    reason_sentence,
    rule_versions_words,
)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (59, "59 seconds"),
        (60, "1 minute"),
        (600, "10 minutes"),
        (3600, "1 hour"),
        (5400, "90 minutes"),
        (86400, "1 day"),
        (7 * 86400, "7 days"),
        (61, "61 seconds"),
    ],
)
def test_a_window_in_the_largest_whole_unit(seconds, words):
    assert duration_words(seconds) == words


def test_a_windowed_reason_reads_as_a_sentence():
    reason = {
        "rule": "sum_in_window",
        "version": 3,
        "observed": "12000.00 EUR",
        "threshold": "> 10000 EUR",
        "score": 50,
        "window": 3600,
        "description": "Total sent in the window is large.",
        "force": None,
    }
    assert reason_sentence(reason) == (
        "Total sent in the window is large: observed 12000.00 EUR "
        "(threshold > 10000 EUR) over the last 1 hour. "
        "Adds 50 points to the score. (sum_in_window v3)"
    )


def test_a_forcing_reason_says_the_outcome_it_forces():
    reason = {
        "rule": "block_list",
        "version": 1,
        "observed": "source on the block list",
        "threshold": "",
        "score": 0,
        "window": None,
        "description": "",
        "force": "fraud",
    }
    assert reason_sentence(reason) == (
        "block_list: observed source on the block list. "
        "Forces the outcome fraud. (block_list v1)"
    )


def test_a_reason_stored_with_keys_missing_still_reads():
    assert reason_sentence({"observed": "x"}) == (
        "a rule: observed x. Adds 0 points to the score. (a rule)"
    )
    assert reason_sentence({"rule": "r", "score": 1}).endswith(
        "Adds 1 point to the score. (r)"
    )


def test_rule_versions_by_name():
    assert rule_versions_words({"velocity": 2, "amount_threshold": 1}) == (
        "amount_threshold v1, velocity v2"
    )
    assert rule_versions_words({}) == "none recorded"
