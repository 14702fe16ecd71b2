"""Money-laundering scenarios for the realistic profile: money moved
through intermediaries over hours to days, visible only as a network.

Each scenario returns its steps as ``(offset in seconds, source, target,
(money, euros))``, like the fraud scenarios, and every step of an episode
is paid in one currency (its first payer's). The intermediaries are fresh
accounts (mules) that do nothing else; each passes on most of what it got
(a fee of 1 to 10 % kept) after a delay. None of it is a burst: the
streaming rules see ordinary transfers, a typology scan sees the shape.

- ``cycle``: A → B → … → A, three to five accounts, a hop every few hours
  to a day and a half.
- ``scatter_gather``: A splits a sum among three to six mules, each passes
  its share on to one collector C.
- ``gather_scatter``: five to eight payers pay one mule over days, which
  then pays five to eight accounts.
- ``slow_fan_in``: six to ten payers pay one mule over three to ten days;
  it forwards the whole in one or two transfers.
- ``slow_fan_out``: a mule paid once pays six to ten accounts over three to
  ten days.
"""

from itertools import pairwise

HOUR = 3600.0
DAY = 24 * HOUR

LAUNDERING_SCENARIOS = (
    "cycle",
    "scatter_gather",
    "gather_scatter",
    "slow_fan_in",
    "slow_fan_out",
)


class LaunderingScenarios:
    """The scenarios, mixed into the realistic profile: they use its
    random generator, its established accounts and its fresh ids."""

    def _kept(self, euros: float) -> float:
        """What a mule passes on of ``euros``: all but a fee of 1–10 %."""
        return euros * self._random.uniform(0.90, 0.99)

    def _cycle(self):
        origin = self._established()
        mules = [self._fresh_id() for _ in range(self._random.randint(2, 4))]
        ring = [origin.id, *mules, origin.id]
        euros = self._random.uniform(1000, 9000)
        steps, offset = [], 0.0
        for payer, payee in pairwise(ring):
            steps.append((offset, payer, payee, (origin.money, euros)))
            offset += self._random.uniform(2 * HOUR, 36 * HOUR)
            euros = self._kept(euros)
        return steps

    def _scatter_gather(self):
        origin = self._established()
        collector = self._fresh_id()
        mules = [self._fresh_id() for _ in range(self._random.randint(3, 6))]
        share = self._random.uniform(1000, 9000) / len(mules)
        steps = []
        for mule in mules:
            sent = self._random.uniform(0, 12 * HOUR)
            euros = share * self._random.uniform(0.8, 1.2)
            steps.append((sent, origin.id, mule, (origin.money, euros)))
            passed = sent + self._random.uniform(2 * HOUR, 48 * HOUR)
            steps.append((passed, mule, collector, (origin.money, self._kept(euros))))
        return steps

    def _gather_scatter(self):
        mule = self._fresh_id()
        payers = self._payers(self._random.randint(5, 8))
        steps, total, last = self._gathered(
            payers, mule, days=self._random.uniform(1, 5)
        )
        money = payers[0].money
        payees = [self._fresh_id() for _ in range(self._random.randint(5, 8))]
        return steps + self._scattered(
            mule, payees, money, self._kept(total), start=last, days=2
        )

    def _slow_fan_in(self):
        mule = self._fresh_id()
        payers = self._payers(self._random.randint(6, 10))
        steps, total, last = self._gathered(
            payers, mule, days=self._random.uniform(3, 10)
        )
        money = payers[0].money
        collector = self._fresh_id()
        transfers = self._random.randint(1, 2)
        for i in range(transfers):
            offset = last + self._random.uniform(HOUR, 24 * HOUR) * (i + 1)
            steps.append(
                (offset, mule, collector, (money, self._kept(total) / transfers))
            )
        return steps

    def _slow_fan_out(self):
        origin = self._established()
        mule = self._fresh_id()
        euros = self._random.uniform(2000, 9000)
        payees = [self._fresh_id() for _ in range(self._random.randint(6, 10))]
        return [(0.0, origin.id, mule, (origin.money, euros))] + self._scattered(
            mule,
            payees,
            origin.money,
            self._kept(euros),
            start=self._random.uniform(HOUR, 12 * HOUR),
            days=self._random.uniform(3, 10),
        )

    # -- parts ---------------------------------------------------------

    def _payers(self, count: int) -> list:
        """Established accounts paying in one currency (the first one's)."""
        first = self._established()
        payers = [first]
        for _ in range(count * 20):
            if len(payers) == count:
                break
            other = self._established()
            if other.money == first.money and other not in payers:
                payers.append(other)
        return payers

    def _gathered(self, payers, mule: str, *, days: float):
        """Each payer pays ``mule`` once within ``days``; returns the steps,
        the euros gathered and when the last payment arrived."""
        money = payers[0].money
        steps = [
            (
                self._random.uniform(0, days * DAY),
                payer.id,
                mule,
                (money, self._random.uniform(150, 1500)),
            )
            for payer in payers
        ]
        return steps, sum(step[3][1] for step in steps), max(s[0] for s in steps)

    def _scattered(self, mule, payees, money, euros: float, *, start, days):
        """``mule`` pays ``euros`` out among ``payees`` within ``days``
        after ``start``, in shares of varying size."""
        weights = [self._random.uniform(0.5, 1.5) for _ in payees]
        scale = euros / sum(weights)
        return [
            (
                start + self._random.uniform(HOUR, days * DAY),
                mule,
                payee,
                (money, weight * scale),
            )
            for payee, weight in zip(payees, weights, strict=True)
        ]
