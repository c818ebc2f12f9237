"""Development rules over many periods (S4 §3.3): promotions and top shares."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import attrs

from servicequality import _validators as v
from servicequality._errors import (
    PolicyError,
    ServiceQualityError,
    UnknownKeyError,
    WrongTypeError,
)
from servicequality._model import Role
from servicequality._periods import Calendar
from servicequality._results import Results
from servicequality.incentives._money import policy_error
from servicequality.incentives._rules import COMPOSITE_SCORE, human_roles
from servicequality.policy._tiers import INSUFFICIENT_DATA

if TYPE_CHECKING:
    from servicequality._periods import Period
    from servicequality.policy._assess import Assessment

__all__ = [
    "MIN_SAMPLE",
    "ConsecutivePeriods",
    "NotRecognised",
    "Recognition",
    "TopShare",
    "check_min_sample",
]

MIN_SAMPLE = 30
"""Fewest observations a ranking or recognition rests on, by default (30).

The same default as :class:`~servicequality.policy.TierPolicy`: with fewer
than about 30 observations a rate's 95 % interval is wider than ±0.15, so a
rank or a title would be decided by chance, not by the work.
"""

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


@attrs.frozen(kw_only=True)
class NotRecognised:
    """An eligible agent a recognition rule did not judge in a period, and why.

    Attributes:
        agent_id: The agent.
        title: The title (or ``"best case"``) the agent was not considered for.
        period: The period.
        reason: One sentence, e.g. ``satisfaction_rate rests on n = 3 < 30
            observations``.
    """

    agent_id: str
    title: str
    period: Period
    reason: str


def check_min_sample(
    owner: str,
    value: object,
    refuse: Callable[[str, str, object, str], ServiceQualityError] = policy_error,
) -> int:
    """``value`` if it is a whole number >= 1, else the library's error.

    A wrong type is a :class:`WrongTypeError`; a number below 1 is
    ``refuse(owner, "min_sample", value, rule)`` (a :class:`PolicyError` by
    default).
    """
    rule = "must be a whole number >= 1"
    if isinstance(value, bool) or not isinstance(value, int):
        raise WrongTypeError(owner, "min_sample", value, rule)
    if value < 1:
        raise refuse(owner, "min_sample", value, rule)
    return value


def _eligible(value: Sequence[Role]) -> tuple[Role, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise WrongTypeError(
            "recognition rule", "eligible_roles", value, "must be a sequence of Roles"
        )
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
        if INSUFFICIENT_DATA in names:
            raise policy_error(
                "ConsecutivePeriods",
                f"qualifies[{metric!r}]",
                tiers,
                f"{INSUFFICIENT_DATA!r} cannot qualify: a title never rests on "
                "fewer observations than the tier policy's min_sample",
            )
        owner = "ConsecutivePeriods"
        accepted[v.text(owner, "qualifies", metric, error=PolicyError)] = tuple(
            v.text(owner, f"qualifies[{metric!r}]", t, error=PolicyError) for t in names
        )
    return accepted


@attrs.frozen(kw_only=True)
class ConsecutivePeriods:
    """A title for ``count`` qualifying periods in a row (e.g. senior agent).

    A period qualifies when every metric in ``qualifies`` is in one of its
    accepted tiers. A period without the agent's numbers breaks the run, and
    so does a period where a metric rests on fewer observations than its
    tier policy's ``min_sample`` (its tier is ``insufficient_data``, which
    can never qualify): :meth:`excluded` lists those with the reason. The
    title is given once per run, in the period the run reaches ``count``.

    Attributes:
        title: The title earned.
        qualifies: Metric name → accepted tier name(s), e.g.
            ``{"satisfaction_rate": "excellent"}``.
        count: Qualifying periods in a row needed (at least 1; default 2).
        calendar: The calendar the assessment was grouped by.
        eligible_roles: Roles that can earn it (default front-line agents).

    Raises:
        PolicyError: for a blank title, an empty ``qualifies``, an accepted
            ``insufficient_data`` tier, a bad count or calendar, or a bot
            among the roles.
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

    def _check_metrics(self, assessment: Assessment) -> None:
        for metric in self.qualifies:
            if metric not in assessment.metric_names:
                rule = "has no tier policy in the assessment"
                raise UnknownKeyError("ConsecutivePeriods", "qualifies", metric, rule)

    def excluded(self, assessment: Assessment) -> tuple[NotRecognised, ...]:
        """Agent-periods not judged: a metric below its policy's ``min_sample``.

        Each such period breaks the agent's run. In time order, then by agent.

        Raises:
            PolicyError: as :meth:`recognise`.
        """
        self._check_metrics(assessment)
        return tuple(
            NotRecognised(
                agent_id=key["agent"],
                title=self.title,
                period=period,
                reason="; ".join(j.reason for j in short),
            )
            for period, keys in _by_period(
                assessment, self.calendar, self.eligible_roles
            ).items()
            for key in sorted(keys, key=lambda k: str(k["agent"]))
            if (
                short := [
                    j
                    for m in self.qualifies
                    if (j := assessment.get(m, **key)).tier == INSUFFICIENT_DATA
                ]
            )
        )

    def recognise(self, assessment: Assessment) -> Results[Recognition]:
        """Every title earned in ``assessment`` (by agent × period), in time order.

        Raises:
            PolicyError: for an assessment not grouped by agent × this
                calendar, or a metric without a tier policy there.
        """
        self._check_metrics(assessment)
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
                line = f"{period.label}: " + "; ".join(j.reason for j in judgements)
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
    first when higher is better). An agent is ranked only when the value
    rests on at least ``min_sample`` observations (for the composite score:
    every component does) and on at least the ``min_sample`` of the tier
    policy the assessment has for that metric, if any; agents left out, or
    whose value is undefined, are listed by :meth:`excluded` with the reason.
    ``share × ranked agents`` is rounded by ``rounding`` (``"ceil"`` by
    default, computed exactly: 10 % of 30 is 3) and is at least 1. Agents
    tied with the last place are all included by default
    (``ties="include"``), so nobody is cut by the order of ids;
    ``ties="exclude"`` drops the whole tied group when it does not fit,
    which can leave fewer (even no) agents.

    Attributes:
        title: The title earned.
        by: ``"composite_score"`` or a measured metric name.
        share: Fraction of ranked agents, in (0, 1] (default 0.10).
        calendar: The calendar the assessment was grouped by.
        rounding: ``"ceil"``, ``"floor"`` or ``"round"`` (half up).
        ties: ``"include"`` or ``"exclude"``.
        eligible_roles: Roles that can earn it (default front-line agents).
        min_sample: Fewest observations a ranked value rests on (default
            :data:`MIN_SAMPLE`, 30).

    Raises:
        PolicyError: for a blank title or ``by``, a share outside (0, 1], a
            bad rounding, ties or calendar, a ``min_sample`` below 1, or a
            bot among the roles.
        WrongTypeError: for a ``min_sample`` that is not an ``int``.
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
    min_sample: int = attrs.field(
        default=MIN_SAMPLE, validator=lambda _i, _a, v: check_min_sample("TopShare", v)
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
        if not isinstance(self.rounding, str) or self.rounding not in (
            "ceil",
            "floor",
            "round",
        ):
            rule = "must be 'ceil', 'floor' or 'round'"
            raise PolicyError("TopShare", "rounding", self.rounding, rule)
        if not isinstance(self.ties, str) or self.ties not in ("include", "exclude"):
            rule = "must be 'include' or 'exclude'"
            raise PolicyError("TopShare", "ties", self.ties, rule)
        _check_calendar("TopShare", self.calendar)

    def _metrics(self, assessment: Assessment, key: Mapping[str, Any]) -> list[str]:
        if self.by == COMPOSITE_SCORE:
            return [c.metric for c in assessment.score(**key).contributions]
        return [self.by]

    def _judged(
        self, assessment: Assessment, key: Mapping[str, Any]
    ) -> tuple[float, int, str | None]:
        """The value, the fewest observations behind it, and why it is not ranked."""
        counts = []
        for metric in self._metrics(assessment, key):
            n = assessment.measurements.get(metric, **key).n
            counts.append(n)
            needed = self.min_sample
            if metric in assessment.metric_names:
                needed = max(needed, assessment.policy(metric, **key).min_sample)
            if n < needed:
                return math.nan, n, f"{metric} rests on n = {n} < {needed} observations"
        if self.by == COMPOSITE_SCORE:
            value = assessment.score(**key).composite
        else:
            value = assessment.measurements.get(self.by, **key).value
        if math.isnan(value):
            return value, min(counts), f"{self.by} is undefined"
        return value, min(counts), None

    def excluded(self, assessment: Assessment) -> tuple[NotRecognised, ...]:
        """Eligible agents not ranked, per period, with the reason.

        Raises:
            PolicyError: as :meth:`recognise`.
        """
        self._direction(assessment)
        return tuple(
            NotRecognised(
                agent_id=key["agent"], title=self.title, period=period, reason=reason
            )
            for period, keys in _by_period(
                assessment, self.calendar, self.eligible_roles
            ).items()
            for key in sorted(keys, key=lambda k: str(k["agent"]))
            if (reason := self._judged(assessment, key)[2]) is not None
        )

    def _direction(self, assessment: Assessment) -> bool:
        if self.by == COMPOSITE_SCORE:
            return True
        return bool(assessment.measurements.metric(self.by).higher_is_better)

    def recognise(self, assessment: Assessment) -> Results[Recognition]:
        """The agents in the top share of each period, in time then rank order.

        Raises:
            PolicyError: for an assessment not grouped by agent × this
                calendar, no scorecard when ranking by composite score, or an
                unmeasured metric.
        """
        higher = self._direction(assessment)
        earned = []
        for period, keys in _by_period(
            assessment, self.calendar, self.eligible_roles
        ).items():
            judged = {key["agent"]: self._judged(assessment, key) for key in keys}
            values = {a: v for a, (v, _, why) in judged.items() if why is None}
            ranked = sorted(
                ((v if higher else -v, a) for a, v in values.items()),
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
                f"({self.rounding}), ties at the boundary {self.ties}d; ranked "
                f"only on at least {self.min_sample} observations"
            )
            for score, agent in chosen:
                rank = 1 + sum(1 for item in ranked if item[0] > score)
                earned.append(
                    Recognition(
                        agent_id=agent,
                        title=self.title,
                        period=period,
                        evidence=(
                            f"{period.label}: {self.by} {values[agent]:.3f}, "
                            f"rank {rank} of {len(ranked)}, n = {judged[agent][1]}",
                            rule,
                        ),
                    )
                )
        return Results(earned)
