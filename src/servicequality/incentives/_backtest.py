"""Backtests: a plan over several periods, its cost and how often pay flips."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from servicequality import _display, _results
from servicequality import _validators as v
from servicequality._errors import PolicyError
from servicequality.incentives._money import in_money_context
from servicequality.incentives._plan import IncentivePlan, PayoutStatement
from servicequality.incentives._schedule import PlanSchedule
from servicequality.policy._assess import Assessment

if TYPE_CHECKING:
    from collections.abc import Mapping

    from servicequality._periods import Period

__all__ = ["Backtest", "BacktestAgent", "backtest"]


@attrs.frozen(kw_only=True)
class BacktestAgent:
    """How steady one agent's pay was over the periods of a backtest.

    A *flip* is a line paid in one period and not in the next, or the other
    way round (the same rule, consecutive periods where the agent has both
    lines). Many flips on one rule mean the bar sits inside the agent's
    noise.

    Attributes:
        agent_id: The agent.
        periods: Periods the agent was on the statement.
        flips: Flips over every rule.
        chances: Consecutive pairs of lines that could have flipped.
        flip_rate: ``flips / chances`` (NaN without a chance).
        total: Everything paid to the agent over the backtest.
    """

    agent_id: str
    periods: int
    flips: int
    chances: int
    flip_rate: float
    total: Decimal


@attrs.frozen(kw_only=True, repr=False)
class Backtest:
    """A plan run over several periods: the cost of each and the flips per agent.

    Attributes:
        plan: The plan (or the schedule's plans) by name, per period.
        periods: The periods, in order.
        costs: What each period paid (lines only), in order.
        agents: One row per agent, by agent id.
        statements: The statement of each period.
    """

    plan: tuple[str, ...]
    periods: tuple[Period, ...]
    costs: tuple[Decimal, ...]
    agents: tuple[BacktestAgent, ...]
    statements: tuple[PayoutStatement, ...] = attrs.field(eq=False)

    @property
    @in_money_context
    def total_cost(self) -> Decimal:
        """Every period's cost, summed exactly."""
        return sum(self.costs, Decimal(0))

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per agent: flips, chances, flip rate, total."""
        return [attrs.asdict(row) for row in self.agents]

    def to_pandas(self, *, period_labels: bool = False) -> Any:
        """:meth:`to_records` as a pandas DataFrame; totals stay ``Decimal``."""
        return _results.frame(
            self.to_records(),
            ["agent_id", "periods", "flips", "chances", "flip_rate", "total"],
            period_labels=period_labels,
        )

    def __repr__(self) -> str:
        return (
            f"<Backtest over {len(self.periods)} period(s), {len(self.agents)} "
            f"agent(s), cost {self.total_cost}>"
        )

    def __str__(self) -> str:
        out = [
            f"{_display.label(p)} ({plan}): {cost}"
            for p, plan, cost in zip(self.periods, self.plan, self.costs, strict=True)
        ]
        out.extend(
            f"{a.agent_id}: {a.flips} flip(s) in {a.chances} chance(s)"
            for a in self.agents
        )
        return "\n".join(out)


def _flips(
    statements: tuple[PayoutStatement, ...],
) -> tuple[dict[str, list[int]], dict[str, Decimal]]:
    """Per agent: ``[periods, flips, chances]``, and the total paid."""
    counts: dict[str, list[int]] = {}
    totals: dict[str, Decimal] = {}
    before: Mapping[tuple[str, str], bool] = {}
    for statement in statements:
        paid = {(x.agent_id, x.rule): x.amount > 0 for x in statement.lines}
        for agent in statement.agents:
            counts.setdefault(agent, [0, 0, 0])[0] += 1
            totals[agent] = totals.get(agent, Decimal(0)) + statement.total(agent)
        for key, now in paid.items():
            if key in before:
                row = counts[key[0]]
                row[2] += 1
                row[1] += before[key] != now
        before = paid
    return counts, totals


@in_money_context
def backtest(
    plan: IncentivePlan | PlanSchedule,
    assessment: Assessment,
) -> Backtest:
    """Apply ``plan`` to every period of ``assessment``, in order.

    The assessment must be grouped by agent and a calendar (a ``period``
    key), e.g. twelve months. Each period is paid on its own (a schedule
    picks the plan in force at its start); no adjustments are involved.

    Raises:
        WrongTypeError: for a plan or assessment of the wrong type.
        PolicyError: for an assessment without a ``period`` key, or as
            :meth:`IncentivePlan.apply`.
    """
    if not isinstance(plan, IncentivePlan | PlanSchedule):
        v.wrong_type("backtest", "plan", plan, "an IncentivePlan or a PlanSchedule")
    v.instance_of("backtest", "assessment", assessment, Assessment)
    if "period" not in assessment.key_names:
        rule = "must be grouped by a calendar (a 'period' key) to backtest"
        raise PolicyError("backtest", "assessment", assessment.key_names, rule)
    at = assessment.key_names.index("period")
    periods = tuple(sorted({key[at] for key in assessment.keys}))
    statements = tuple(plan.apply(assessment, period) for period in periods)
    counts, totals = _flips(statements)
    return Backtest(
        plan=tuple(s.plan for s in statements),
        periods=periods,
        costs=tuple(sum((x.amount for x in s.lines), Decimal(0)) for s in statements),
        agents=tuple(
            BacktestAgent(
                agent_id=agent,
                periods=row[0],
                flips=row[1],
                chances=row[2],
                flip_rate=row[1] / row[2] if row[2] else float("nan"),
                total=totals[agent],
            )
            for agent, row in sorted(counts.items())
        ),
        statements=statements,
    )
