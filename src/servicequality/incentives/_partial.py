"""Partial periods: agents who joined or left during the period paid."""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs

from servicequality import _validators as v
from servicequality._model import Agent
from servicequality.incentives._protocol import PayoutLine, Unallocated

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from servicequality._periods import Period
    from servicequality.incentives._money import Currency

__all__ = ["PARTIAL_RULES", "prorate"]

PARTIAL_RULES = ("full", "days", "minimum_days")
"""How a plan pays an agent employed for part of a period."""

_DAY = 86_400


def _employed(agent: Agent, period: Period) -> timedelta:
    """How long ``agent`` was employed within ``period``."""
    start = period.start.astimezone(UTC)
    end = period.end.astimezone(UTC)
    if agent.employed_from is not None:
        start = max(start, agent.employed_from.astimezone(UTC))
    if agent.employed_until is not None:
        end = min(end, agent.employed_until.astimezone(UTC))
    return max(end - start, timedelta(0))


def _days(span: timedelta) -> str:
    return f"{span.total_seconds() / _DAY:g}"


def prorate(  # every part of the rule is named
    lines: Sequence[PayoutLine],
    *,
    period: Period,
    roster: Iterable[Agent],
    rule: str,
    minimum_days: int | None,
    currency: Currency,
    pools: Iterable[str],
) -> tuple[tuple[PayoutLine, ...], tuple[Unallocated, ...]]:
    """Lines of partly employed agents scaled by ``rule``; a pool keeps the rest.

    ``"days"`` pays ``employed time / period length`` of each line (rounded
    half up to the minor unit); ``"minimum_days"`` pays the whole line from
    ``minimum_days`` employed days on and nothing below; ``"full"`` changes
    nothing. Agents without employment dates, or employed the whole period,
    are paid in full. Money a pool's line loses stays unallocated, with the
    reason.
    """
    staff = v.sequence("IncentivePlan.apply", "roster", roster, "Agent values")
    for agent in staff:
        v.instance_of("IncentivePlan.apply", "roster", agent, Agent)
    if rule == "full":
        return tuple(lines), ()
    spans = {agent.id: _employed(agent, period) for agent in staff}
    whole = period.duration
    pooled = set(pools)
    paid, kept = [], []
    for line in lines:
        span = spans.get(line.agent_id, whole)
        if span >= whole:
            paid.append(line)
            continue
        told = f"employed {_days(span)} of {_days(whole)} days"
        if rule == "days":
            share = Fraction(span.total_seconds()) / Fraction(whole.total_seconds())
            amount = currency.round(
                line.amount * Decimal(share.numerator) / Decimal(share.denominator)
            )
            why = f"{told} → {float(share):.2%} pro rata"
        else:
            assert minimum_days is not None  # the plan asks for it with this rule
            reached = span.total_seconds() >= minimum_days * _DAY
            amount = line.amount if reached else Decimal(0) * currency.quantum
            why = (
                f"{told} ≥ {minimum_days} required → paid"
                if reached
                else f"{told} < {minimum_days} required → not paid"
            )
        if line.rule in pooled and amount < line.amount:
            kept.append(
                Unallocated(
                    rule=line.rule,
                    amount=line.amount - amount,
                    reason=f"{line.agent_id} {told} (partial period)",
                )
            )
        paid.append(
            attrs.evolve(
                line,
                amount=amount,
                explanation=f"{line.explanation}; {why} = {currency.format(amount)}",
            )
        )
    return tuple(paid), tuple(kept)
