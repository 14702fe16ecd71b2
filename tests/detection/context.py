"""Helpers for rule tests: a transaction stream through the real state,
and a rule evaluated at a given point of it."""

from datetime import timedelta

from tests.factories import NOW, engine_transaction
from transactions_app.detection import Engine, RuleSet
from transactions_app.detection.rules import Context
from transactions_app.detection.state import WindowState, hour_of


def at(seconds: float):
    """The event time ``seconds`` after the tests' reference instant."""
    return NOW + timedelta(seconds=seconds)


def tx(
    amount="10.00", *, t=0.0, source="S1", target="T1", currency="EUR", **enrichment
):
    return engine_transaction(
        amount,
        currency=currency,
        source=source,
        target=target,
        timestamp=at(t),
        **enrichment,
    )


def run(rule, history, current, *, lists=None):
    """Evaluate ``rule`` for ``current`` after ``history`` was recorded."""
    state = WindowState()
    for past in history:
        state.record(
            source=past.source,
            target=past.target,
            time=past.timestamp.timestamp(),
            amount=float(past.amount),
            key=past.transaction_id.int,
            currency=past.currency,
            attributes=past.attributes(),
        )
    context = Context(
        transaction=current,
        time=current.timestamp.timestamp(),
        amount=float(current.amount),
        source=state.source(current.source),
        target=state.target(current.target),
        lists=lists or {},
        now=NOW,
        hour=hour_of(current.timestamp.timestamp()),
        population=state.population.get(current.currency),
    )
    return rule.evaluate(context)


def engine(*rules, lists=None, bands=None) -> Engine:
    kwargs = {"rules": tuple(rules), "lists": lists or {}}
    if bands is not None:
        kwargs["bands"] = bands
    return Engine(RuleSet(**kwargs), clock=lambda: NOW)
