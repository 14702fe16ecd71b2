"""The readers of fraudsite.env: defaults, malformed values, ranges and
the rule for empty values, each error naming the variable."""

import pytest

from fraudsite.env import (
    SettingError,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_str,
    require_distinct,
)


def test_readers_use_defaults_when_unset(monkeypatch):
    monkeypatch.delenv("FRAUD_TEST_VALUE", raising=False)
    assert env_str("FRAUD_TEST_VALUE", "d") == "d"
    assert env_float("FRAUD_TEST_VALUE", 2.0) == 2.0
    assert env_int("FRAUD_TEST_VALUE", 3) == 3
    assert env_bool("FRAUD_TEST_VALUE", True) is True
    assert env_list("FRAUD_TEST_VALUE", "a, b,,c") == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("reader", "raw", "message"),
    [
        (lambda: env_float("FRAUD_TEST_VALUE", 1.0), "fast", "must be a number"),
        (lambda: env_float("FRAUD_TEST_VALUE", 1.0), "nan", "finite"),
        (lambda: env_int("FRAUD_TEST_VALUE", 1), "1.5", "must be an integer"),
        (lambda: env_bool("FRAUD_TEST_VALUE", True), "maybe", "true/false"),
    ],
)
def test_malformed_values_name_the_variable(monkeypatch, reader, raw, message):
    monkeypatch.setenv("FRAUD_TEST_VALUE", raw)
    with pytest.raises(SettingError) as error:
        reader()
    assert "FRAUD_TEST_VALUE" in str(error.value)
    assert message in str(error.value)


def test_required_value_names_itself(monkeypatch):
    monkeypatch.delenv("FRAUD_TEST_VALUE", raising=False)
    with pytest.raises(SettingError, match="FRAUD_TEST_VALUE is required"):
        env_str("FRAUD_TEST_VALUE")


@pytest.mark.parametrize(
    ("reader", "raw", "message"),
    [
        (
            lambda: env_int("FRAUD_TEST_VALUE", 5, minimum=1, maximum=9),
            "10",
            "FRAUD_TEST_VALUE must be between 1 and 9, got 10.",
        ),
        (
            lambda: env_int("FRAUD_TEST_VALUE", 5, minimum=1),
            "0",
            "FRAUD_TEST_VALUE must be 1 or more, got 0.",
        ),
        (
            lambda: env_float("FRAUD_TEST_VALUE", 2.0, above=0),
            "-0.5",
            "FRAUD_TEST_VALUE must be more than 0, got -0.5.",
        ),
        (
            lambda: env_float("FRAUD_TEST_VALUE", 2.0, above=0, maximum=60.0),
            "61",
            "FRAUD_TEST_VALUE must be more than 0 and at most 60, got 61.",
        ),
        (
            lambda: env_int("FRAUD_TEST_VALUE", 5, maximum=7, why="at most X"),
            "8",
            "FRAUD_TEST_VALUE must be 7 or less (at most X), got 8.",
        ),
    ],
)
def test_a_value_out_of_range_names_the_range(monkeypatch, reader, raw, message):
    monkeypatch.setenv("FRAUD_TEST_VALUE", raw)
    with pytest.raises(SettingError) as error:
        reader()
    assert str(error.value) == message


def test_values_at_the_bounds_are_accepted(monkeypatch):
    monkeypatch.setenv("FRAUD_TEST_VALUE", "9")
    assert env_int("FRAUD_TEST_VALUE", 5, minimum=1, maximum=9) == 9
    monkeypatch.setenv("FRAUD_TEST_VALUE", "1")
    assert env_int("FRAUD_TEST_VALUE", 5, minimum=1, maximum=9) == 1


@pytest.mark.parametrize(
    "reader",
    [
        lambda: env_str("FRAUD_TEST_VALUE", "d"),
        lambda: env_int("FRAUD_TEST_VALUE", 3),
        lambda: env_bool("FRAUD_TEST_VALUE", False),
        lambda: env_list("FRAUD_TEST_VALUE", "a,b"),
        lambda: env_choice("FRAUD_TEST_VALUE", "a", ("a", "b")),
    ],
)
def test_an_empty_value_is_not_the_default(monkeypatch, reader):
    monkeypatch.setenv("FRAUD_TEST_VALUE", "  ")
    with pytest.raises(SettingError, match="FRAUD_TEST_VALUE is set but empty"):
        reader()


def test_an_empty_value_is_off_where_the_default_is_off(monkeypatch):
    monkeypatch.setenv("FRAUD_TEST_VALUE", "")
    assert env_str("FRAUD_TEST_VALUE", "") == ""
    assert env_list("FRAUD_TEST_VALUE") == []


def test_a_choice_is_spelled_as_allowed(monkeypatch):
    monkeypatch.setenv("FRAUD_TEST_VALUE", "warning")
    assert env_choice("FRAUD_TEST_VALUE", "INFO", ("INFO", "WARNING")) == "WARNING"
    monkeypatch.delenv("FRAUD_TEST_VALUE")
    with pytest.raises(SettingError, match="FRAUD_TEST_VALUE is required: one of"):
        env_choice("FRAUD_TEST_VALUE", None, ("INFO", "WARNING"))


def test_settings_that_must_differ_name_both():
    require_distinct({"A": "x", "B": "y"})
    with pytest.raises(SettingError, match="A and C must differ, both are 'x'"):
        require_distinct({"A": "x", "B": "y", "C": "x"})
