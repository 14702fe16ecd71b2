"""A finding in words, from the payments it involves: what went where,
how much, over how long. Pure: plain rows in, a sentence out."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Payment:
    """What the explanation needs of a stored payment."""

    transaction_id: str
    source: str
    target: str
    amount: Decimal
    currency: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Explained:
    """A finding's sentence, the money that entered its shape and when its
    first and last payments were."""

    text: str
    amount: Decimal
    currency: str
    first_at: datetime
    last_at: datetime


def explain(
    typology: str, accounts: tuple[str, ...], payments: list[Payment]
) -> Explained:
    """``payments`` in time order, all in one currency."""
    payments = sorted(payments, key=lambda p: (p.at, p.transaction_id))
    text, amount = WORDING[typology](accounts, payments)
    return Explained(
        text=text,
        amount=amount,
        currency=payments[0].currency,
        first_at=payments[0].at,
        last_at=payments[-1].at,
    )


def _cycle(accounts, payments):
    out, back = payments[0], payments[-1]
    ring = " → ".join(accounts)
    return (
        f"Money went round {len(accounts) - 1} accounts back to where it "
        f"started: {ring}; {_money(out.amount, out.currency)} out and "
        f"{_money(back.amount, back.currency)} back "
        f"({_share(back.amount, out.amount)}), over {_span(payments)}."
    ), out.amount


def _scatter_gather(accounts, payments):
    payer, payee = accounts[0], accounts[-1]
    sent = _total(p for p in payments if p.source == payer)
    gathered = _total(p for p in payments if p.target == payee)
    currency = payments[0].currency
    return (
        f"{payer} paid {len(accounts) - 2} intermediaries "
        f"{_money(sent, currency)}; each passed most of it on to {payee}, "
        f"which gathered {_money(gathered, currency)} "
        f"({_share(gathered, sent)}), over {_span(payments)}."
    ), sent


def _pass_through(accounts, payments):
    account = accounts[0]
    ins = [p for p in payments if p.target == account]
    outs = [p for p in payments if p.source == account]
    received, paid = _total(ins), _total(outs)
    currency = payments[0].currency
    payers = len({p.source for p in ins})
    payees = len({p.target for p in outs})
    return (
        f"{account} received {_money(received, currency)} from "
        f"{_count(payers, 'payer')} over {_span(ins)} and paid "
        f"{_money(paid, currency)} ({_share(paid, received)}) out to "
        f"{_count(payees, 'account')} over {_span(outs)}, never more than "
        "it had received: money passing through, not spent."
    ), received


WORDING = {
    "cycle": _cycle,
    "scatter_gather": _scatter_gather,
    "fan_in": _pass_through,
    "fan_out": _pass_through,
    "gather_scatter": _pass_through,
}


def _total(payments) -> Decimal:
    return sum((p.amount for p in payments), Decimal(0))


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _share(part: Decimal, whole: Decimal) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _span(payments) -> str:
    """How long the payments took, in hours under two days, else days."""
    times = [p.at for p in payments]
    hours = (max(times) - min(times)).total_seconds() / 3600
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"
