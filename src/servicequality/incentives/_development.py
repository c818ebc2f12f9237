"""Development rules over many periods (S4 §3.3): promotions and top shares."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import attrs

from servicequality import _validators as v
from servicequality._errors import PolicyError, UnknownKeyError
from servicequality._model import Role
from servicequality._periods import Calendar
from servicequality._results import Results
from servicequality.incentives._rules import COMPOSITE_SCORE, human_roles

if TYPE_CHECKING:
    from servicequality._periods import Period
    from servicequality.policy._assess import Assessment

__all__ = ["ConsecutivePeriods", "Recognition", "TopShare"]

Rounding = Literal["ceil", "floor", "round"]
Ties = Literal["include", "exclude"]


@attrs.frozen(kw_only=True)
class Recognition:
    """A title earned by an agent in a period, with the evidence for it.

    Attributes:
        agent_id: The agent recognised.
        title: E.g. ``"senior agent"`` or ``"external training"``.
        period: The period in which it was earned.
        evidence: Sentences with the numbers that earned it.
    """

    agent_id: str
    title: str
    period: Period
    evidence: tuple[str, ...]


def _eligible(value: Sequence[Role]) -> tuple[Role, ...]:
    return human_roles("recognition rule", value)


def _by_period(
    assessment: Assessment, calendar: Calendar, eligible: Sequence[Role]
) -> dict[Period, list[dict[str, Any]]]:
    """Eligible agents' group keys per period, periods in time order."""
    if set(assessment.key_names) != {"agent", "period"}:
        rule = "must be grouped by exactly 'agent' and a calendar"
        raise PolicyError("recognise", "assessment", assessment.key_names, rule)
    roles = assessment.measurements.agent_roles
    groups: dict[Period, list[dict[str, Any]]] = {}
    for labels in assessment.keys:
        key = dict(zip(assessment.key_names, labels, strict=True))
        period = key["period"]
        if calendar.period_of(period.start) != period:
            rule = f"is not a period of {calendar!r}"
            raise PolicyError("recognise", "period", period, rule)
        if roles.get(key["agent"]) in eligible:
            groups.setdefault(period, []).append(key)
    return dict(sorted(groups.items()))


def _accepted(value: Mapping[str, str | Sequence[str]]) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping) or not value:
        rule = "must map metrics to accepted tiers"
        raise PolicyError("ConsecutivePeriods", "qualifies", value, rule)
    accepted = {}
    for metric, tiers in value.items():
        names = (tiers,) if isinstance(tiers, str) else tuple(tiers)
        if not names:
            rule = "must name at least one tier"
            raise PolicyError("ConsecutivePeriods", "qualifies", metric, rule)
        owner = "ConsecutivePeriods"
        accepted[v.text(owner, "qualifies", metric, error=PolicyError)] = tuple(
            v.text(owner, f"qualifies[{metric!r}]", t, error=PolicyError) for t in names
        )
    return accepted


@attrs.frozen(kw_only=True)
class ConsecutivePeriods:
    """A title for ``count`` qualifying periods in a row (e.g. senior agent).

    A period qualifies when every metric in ``qualifies`` is in one of its
    accepted tiers. A period without the agent's numbers breaks the run.
    The title is given once per run, in the period the run reaches
    ``count``.

    Attributes:
        title: The title earned.
        qualifies: Metric name → accepted tier name(s), e.g.
            ``{"satisfaction_rate": "excellent"}``.
        count: Qualifying periods in a row needed (at least 1; default 2).
        calendar: The calendar the assessment was grouped by.
        eligible_roles: Roles that can earn it (default front-line agents).

    Raises:
        PolicyError: for a blank title, an empty ``qualifies``, a bad count
            or calendar, or a bot among the roles.
    """

    title: str
    qualifies: Mapping[str, tuple[str, ...]] = attrs.field(converter=_accepted)
    count: int = 2
    calendar: Calendar
    eligible_roles: tuple[Role, ...] = attrs.field(
        default=(Role.AGENT,), converter=_eligible
    )

    def __attrs_post_init__(self) -> None:
        v.text("ConsecutivePeriods", "title", self.title, error=PolicyError)
        v.whole("ConsecutivePeriods", "count", self.count, minimum=1, error=PolicyError)
        _check_calendar("ConsecutivePeriods", self.calendar)

    def recognise(self, assessment: Assessment) -> Results[Recognition]:
        """Every title earned in ``assessment`` (by agent × period), in time order.

        Raises:
            PolicyError: for an assessment not grouped by agent × this
                calendar, or a metric without a tier policy there.
        """
        for metric in self.qualifies:
            if metric not in assessment.metric_names:
                rule = "has no tier policy in the assessment"
                raise UnknownKeyError("ConsecutivePeriods", "qualifies", metric, rule)
        runs: dict[str, tuple[Period, list[str]]] = {}
        earned = []
        for period, keys in _by_period(
            assessment, self.calendar, self.eligible_roles
        ).items():
            for key in keys:
                agent = key["agent"]
                judgements = [assessment.get(m, **key) for m in self.qualifies]
                if not all(j.tier in self.qualifies[j.metric] for j in judgements):
                    runs.pop(agent, None)
                    continue
                line = f"{period}: " + "; ".join(j.reason for j in judgements)
                previous = runs.get(agent)
                if previous and self.calendar.following(previous[0]) == period:
                    evidence = [*previous[1], line]
                else:
                    evidence = [line]
                runs[agent] = (period, evidence)
                if len(evidence) == self.count:
                    earned.append(
                        Recognition(
                            agent_id=agent,
                            title=self.title,
                            period=period,
                            evidence=tuple(evidence),
                        )
                    )
        return Results(earned)


def _check_calendar(owner: str, calendar: object) -> None:
    if not isinstance(calendar, Calendar):
        v.wrong_type(owner, "calendar", calendar, "a period calendar")


def _selected_count(share: float, ranked: int, rounding: Rounding) -> int:
    exact = Fraction(Decimal(repr(share))) * ranked
    if rounding == "ceil":
        chosen = math.ceil(exact)
    elif rounding == "floor":
        chosen = math.floor(exact)
    else:
        chosen = math.floor(exact + Fraction(1, 2))
    return max(1, chosen)


@attrs.frozen(kw_only=True)
class TopShare:
    """A title for the top ``share`` of agents in each period (e.g. training).

    Agents are ranked by ``by`` (the composite score, or a metric: highest
    first when higher is better); agents whose value is undefined or rests
    on too few observations are not ranked. ``share × ranked agents`` is
    rounded by ``rounding`` (``"ceil"`` by default, computed exactly: 10 % of
    30 is 3) and is at least 1. Agents tied with the last place are all
    included by default (``ties="include"``), so nobody is cut by the order
    of ids; ``ties="exclude"`` drops the whole tied group when it does not
    fit, which can leave fewer (even no) agents.

    Attributes:
        title: The title earned.
        by: ``"composite_score"`` or a measured metric name.
        share: Fraction of ranked agents, in (0, 1] (default 0.10).
        calendar: The calendar the assessment was grouped by.
        rounding: ``"ceil"``, ``"floor"`` or ``"round"`` (half up).
        ties: ``"include"`` or ``"exclude"``.
        eligible_roles: Roles that can earn it (default front-line agents).

    Raises:
        PolicyError: for a blank title or ``by``, a share outside (0, 1], a
            bad rounding, ties or calendar, or a bot among the roles.
    """

    title: str
    by: str = COMPOSITE_SCORE
    share: float = 0.10
    calendar: Calendar
    rounding: Rounding = "ceil"
    ties: Ties = "include"
    eligible_roles: tuple[Role, ...] = attrs.field(
        default=(Role.AGENT,), converter=_eligible
    )

    def __attrs_post_init__(self) -> None:
        v.text("TopShare", "title", self.title, error=PolicyError)
        v.text("TopShare", "by", self.by, error=PolicyError)
        if (
            isinstance(self.share, bool)
            or not isinstance(self.share, int | float)
            or not 0 < self.share <= 1
        ):
            raise PolicyError("TopShare", "share", self.share, "must be in (0, 1]")
        if self.rounding not in ("ceil", "floor", "round"):
            rule = "must be 'ceil', 'floor' or 'round'"
            raise PolicyError("TopShare", "rounding", self.rounding, rule)
        if self.ties not in ("include", "exclude"):
            rule = "must be 'include' or 'exclude'"
            raise PolicyError("TopShare", "ties", self.ties, rule)
        _check_calendar("TopShare", self.calendar)

    def _value(self, assessment: Assessment, key: Mapping[str, Any]) -> float:
        if self.by == COMPOSITE_SCORE:
            line = assessment.score(**key)
            return math.nan if line.insufficient else line.composite
        measured = assessment.measurements.get(self.by, **key)
        return math.nan if measured.insufficient else measured.value

    def recognise(self, assessment: Assessment) -> Results[Recognition]:
        """The agents in the top share of each period, in time then rank order.

        Raises:
            PolicyError: for an assessment not grouped by agent × this
                calendar, no scorecard when ranking by composite score, or an
                unmeasured metric.
        """
        higher = (
            True
            if self.by == COMPOSITE_SCORE
            else assessment.measurements.metric(self.by).higher_is_better
        )
        earned = []
        for period, keys in _by_period(
            assessment, self.calendar, self.eligible_roles
        ).items():
            values = {key["agent"]: self._value(assessment, key) for key in keys}
            ranked = sorted(
                (
                    (v if higher else -v, a)
                    for a, v in values.items()
                    if not math.isnan(v)
                ),
                key=lambda item: (-item[0], item[1]),
            )
            if not ranked:
                continue
            wanted = _selected_count(self.share, len(ranked), self.rounding)
            boundary = ranked[min(wanted, len(ranked)) - 1][0]
            better = [item for item in ranked if item[0] > boundary]
            tied = [item for item in ranked if item[0] == boundary]
            chosen = (
                better + tied
                if self.ties == "include" or len(better) + len(tied) <= wanted
                else better
            )
            rule = (
                f"top {self.share:.0%} of {len(ranked)} ranked agents → {wanted} "
                f"({self.rounding}), ties at the boundary {self.ties}d"
            )
            for score, agent in chosen:
                rank = 1 + sum(1 for item in ranked if item[0] > score)
                earned.append(
                    Recognition(
                        agent_id=agent,
                        title=self.title,
                        period=period,
                        evidence=(
                            f"{period}: {self.by} {values[agent]:.3f}, rank {rank} "
                            f"of {len(ranked)}",
                            rule,
                        ),
                    )
                )
        return Results(earned)
