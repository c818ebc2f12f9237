"""The monthly one-to-one: an agent's period against the team and their own past."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from servicequality import _display, _results
from servicequality import _validators as v
from servicequality._engine._measure import measure
from servicequality._errors import UnknownKeyError, ValidationError
from servicequality._periods import Period
from servicequality._schema import absent_read
from servicequality._table import ConversationTable
from servicequality.incentives import (
    BestCase,
    PayoutLine,
    PayoutStatement,
    Praise,
    best_cases,
    praise_digest,
)
from servicequality.policy import TierPolicy, classify
from servicequality.review._samples import SHARE, Sample, testable
from servicequality.stats import benjamini_hochberg

if TYPE_CHECKING:
    from collections.abc import Sequence

    from servicequality._engine._measure import Measurements
    from servicequality._periods import Calendar
    from servicequality.metrics._base import Metric

__all__ = ["ONE_TO_ONE_METRICS", "MetricReview", "OneToOne", "one_to_one"]

ONE_TO_ONE_METRICS = (
    "satisfaction_rate",
    "first_contact_resolution",
    "repeat_inquiry_rate",
    "escalation_rate",
    "first_response_time",
    "rating_rate",
)
"""The metrics a one-to-one reviews unless told otherwise."""

_BEST_CASES = 3
"""Best cases shown: the agent's hardest resolved, satisfied conversations."""
_BEHIND = 20
"""Conversation ids listed behind each weakness (the count says how many in all)."""


@attrs.frozen(kw_only=True)
class MetricReview:
    """One metric of the one-to-one: the agent, the team, the agent's past.

    Attributes:
        metric: The metric.
        unit: Its unit.
        higher_is_better: Its direction.
        value: The agent's value in the period (NaN if undefined).
        n: Observations behind it.
        low: Lower bound of the metric's own interval (Wilson, t…).
        high: Upper bound of that interval.
        tier: The tier, by the policy of this metric (``None`` without one).
        tier_reason: The tier's reason sentence (empty without a policy).
        team: The rest of the team in the period (the agent left out).
        team_p: Two-sided test, agent vs the rest of the team: Fisher exact
            for shares, Welch t for means.
        team_q: ``team_p`` adjusted by Benjamini–Hochberg over every test of
            the one-to-one.
        history: The agent's own previous periods, pooled.
        history_n: Observations behind ``history``.
        history_p: Two-sided test, this period vs the agent's past.
        history_q: Adjusted like ``team_q``.
        verdict: ``"strength"``, ``"weakness"`` or ``""`` (no difference
            beyond chance at the one-to-one's ``alpha``).
        behind: Up to 20 conversation ids behind a weakness: the rated but
            unsatisfied, the unresolved, the escalated… (the rows that pull
            the metric the wrong way; every counted row for a mean).
        behind_count: How many such conversations there are in all.
    """

    metric: str
    unit: str
    higher_is_better: bool
    value: float
    n: int
    low: float
    high: float
    tier: str | None
    tier_reason: str
    team: float
    team_p: float
    team_q: float
    history: float
    history_n: int
    history_p: float
    history_q: float
    verdict: str
    behind: tuple[str, ...]
    behind_count: int

    def _better(self, other: float) -> bool:
        return self.value > other if self.higher_is_better else self.value < other

    @property
    def sentence(self) -> str:
        """The line for people: value, team, past, tier."""
        shown = _display.number(self.value, self.unit)
        parts = [
            f"{self.metric} {shown} (n = {self.n})",
            f"team {_display.number(self.team, self.unit)} (q = {self.team_q:.2g})",
        ]
        if not math.isnan(self.history):
            parts.append(
                f"own past {_display.number(self.history, self.unit)} "
                f"(q = {self.history_q:.2g})"
            )
        if self.tier is not None:
            parts.append(f"tier {self.tier}")
        return ", ".join(parts)


@attrs.frozen(kw_only=True, repr=False)
class OneToOne:
    """An agent's period, prepared for a conversation with their supervisor.

    Attributes:
        agent_id: The agent.
        period: The period discussed.
        previous: The agent's earlier periods compared with (oldest first).
        metrics: One review per metric, in the order asked.
        alpha: The false-discovery rate behind strengths and weaknesses.
        test: The tests used, in words.
        best_cases: The agent's best cases of the period.
        praise: The agent's praise of the period (rating comments).
        payout: The agent's payout lines of the period (empty without a
            statement).
        notes: The agent's own notes on difficulties, filled by the caller
            (see :meth:`with_notes`).
    """

    agent_id: str
    period: Period
    previous: tuple[Period, ...]
    metrics: tuple[MetricReview, ...]
    alpha: float
    test: str
    best_cases: tuple[BestCase, ...] = ()
    praise: tuple[Praise, ...] = ()
    payout: tuple[PayoutLine, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def strengths(self) -> tuple[MetricReview, ...]:
        """Metrics better than the team or the past, strongest evidence first."""
        return self._ranked("strength")

    @property
    def weaknesses(self) -> tuple[MetricReview, ...]:
        """Metrics worse than the team or the past, strongest evidence first."""
        return self._ranked("weakness")

    def _ranked(self, verdict: str) -> tuple[MetricReview, ...]:
        chosen = [m for m in self.metrics if m.verdict == verdict]
        return tuple(
            sorted(chosen, key=lambda m: (np.nanmin([m.team_q, m.history_q]), m.metric))
        )

    def with_notes(self, *notes: str) -> OneToOne:
        """A copy with the agent's notes on difficulties added.

        Raises:
            ValidationError: for a note that is not a non-empty string.
        """
        for note in notes:
            v.text("OneToOne", "notes", note)
        return attrs.evolve(self, notes=(*self.notes, *notes))

    @property
    def total_payout(self) -> Decimal:
        """The sum of :attr:`payout` amounts (0 without lines)."""
        return sum((line.amount for line in self.payout), start=Decimal(0))

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per metric (``behind`` as a tuple of ids)."""
        return [attrs.asdict(m, recurse=False) for m in self.metrics]

    def to_pandas(self) -> Any:
        """:meth:`to_records` as a pandas DataFrame (the ``pandas`` extra)."""
        columns = [f.name for f in attrs.fields(MetricReview)]
        return _results.frame(self.to_records(), columns)

    def __repr__(self) -> str:
        return (
            f"<OneToOne {self.agent_id} {_display.label(self.period)}: "
            f"{len(self.strengths)} strength(s), {len(self.weaknesses)} weakness(es)>"
        )

    def __str__(self) -> str:
        lines = [f"One-to-one: {self.agent_id}, {_display.label(self.period)}"]
        lines.append(f"({self.test})")
        lines.extend(f"  {m.sentence}" for m in self.metrics)
        for title, chosen in (
            ("Strengths", self.strengths),
            ("Weaknesses", self.weaknesses),
        ):
            lines.append(f"{title}: " + (", ".join(m.metric for m in chosen) or "none"))
        for m in self.weaknesses:
            shown = ", ".join(m.behind[:5])
            more = m.behind_count - min(5, len(m.behind))
            lines.append(
                f"  behind {m.metric}: {shown}" + (f" (+{more} more)" if more else "")
            )
        lines.extend(f"Best case: {c.reason}" for c in self.best_cases)
        comments = [c for p in self.praise for c in p.comments]
        if comments:
            common = ", ".join(f"{c!r} ×{n}" for c, n in _most_common(comments))
            lines.append(f"Praise: {len(comments)} comment(s): {common}")
        lines.extend(
            f"Pay: {line.rule} {line.amount} — {line.explanation}"
            for line in self.payout
        )
        lines.append(
            "Agent's notes: " + (" / ".join(self.notes) if self.notes else "(none yet)")
        )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Metrics with intervals, team and past, tiers and verdicts; then the rest."""

        def colour(m: MetricReview) -> str:
            return {"strength": _display.BEST, "weakness": _display.WORST}.get(
                m.verdict, ""
            )

        rows: list[list[_display.Cell]] = [
            [
                m.metric,
                f"{_display.number(m.value, m.unit)} "
                f"{_display.interval(m.low, m.high, m.unit)}",
                str(m.n),
                f"{_display.number(m.team, m.unit)} (q {m.team_q:.2g})",
                f"{_display.number(m.history, m.unit)} (q {m.history_q:.2g})",
                m.tier or "—",
                (m.verdict or "—", colour(m)),
            ]
            for m in self.metrics
        ]
        html = _display.table(
            ["metric", "value", "n", "team", "own past", "tier", "verdict"],
            rows,
            caption=f"One-to-one: {self.agent_id}, {_display.label(self.period)}",
            right=range(1, 5),
        ) + _display.paragraph(self.test)
        behind = [
            [m.metric, str(m.behind_count), ", ".join(m.behind)]
            for m in self.weaknesses
        ]
        if behind:
            html += _display.table(
                ["weakness", "conversations", "first ids"],
                behind,
                caption="The conversations behind each weakness",
                right=[1],
            )
        comments = [c for p in self.praise for c in p.comments]
        recognition = [["best case", c.reason] for c in self.best_cases] + [
            ["praise", f"{comment} ×{n}"] for comment, n in _most_common(comments)
        ]
        if recognition:
            html += _display.table(["", ""], recognition, caption="Recognition")
        if self.payout:
            html += _display.table(
                ["rule", "amount", "why"],
                [[p.rule, str(p.amount), p.explanation] for p in self.payout],
                caption="Payout",
                right=[1],
            )
        notes = self.notes or ("(none yet)",)
        return html + _display.table(
            ["agent's notes on difficulties"], [[n] for n in notes]
        )


def _most_common(comments: Sequence[str]) -> list[tuple[str, int]]:
    """Distinct comments, most frequent first (ties alphabetical), at most 5."""
    counts: dict[str, int] = {}
    for comment in comments:
        counts[comment] = counts.get(comment, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:5]


def _previous(calendar: Calendar, period: Period, count: int) -> tuple[Period, ...]:
    found: list[Period] = []
    current = period
    for _ in range(count):
        current = calendar.period_of(current.start - timedelta(microseconds=1))
        found.append(current)
    return tuple(reversed(found))


def _rows(
    measured: Measurements, agent: str | None, periods: Sequence[Period]
) -> list[int]:
    wanted = set(periods)
    agents = measured.key_column("agent") if agent is not None else None
    return [
        row
        for row, period in enumerate(measured.key_column("period"))
        if period in wanted and (agents is None or agents[row] == agent)
    ]


def _pooled(measured: Measurements, metric: Metric, rows: list[int]) -> Sample:
    return Sample(metric.parts, measured.state(metric.name)[rows]).pooled()


def _behind(
    measured: Measurements, metric: Metric, agent: str, period: Period
) -> tuple[tuple[str, ...], int]:
    """The agent's conversations that pull ``metric`` the wrong way."""
    counted = measured.rows(metric.name, part="denominator", agent=agent, period=period)
    if metric.parts != SHARE:
        ids = counted.ids
    else:
        hits = measured.rows(metric.name, part="numerator", agent=agent, period=period)
        if metric.higher_is_better:
            good = set(hits.ids)
            ids = tuple(i for i in counted.ids if i not in good)
        else:
            ids = hits.ids
    return ids[:_BEHIND], len(ids)


def _check(
    table: object, agent_id: object, period: object, history: object, alpha: object
) -> None:
    v.instance_of("one_to_one", "table", table, ConversationTable)
    v.text("one_to_one", "agent_id", agent_id)
    v.instance_of("one_to_one", "period", period, Period)
    v.whole("one_to_one", "history", history, minimum=0)
    if not 0 < v.number("one_to_one", "alpha", alpha) < 1:
        raise ValidationError("one_to_one", "alpha", alpha, "must be in (0, 1)")


def one_to_one(
    table: ConversationTable,
    agent_id: str,
    period: Period,
    *,
    calendar: Calendar,
    metrics: Sequence[Metric | str] = ONE_TO_ONE_METRICS,
    policies: Sequence[TierPolicy] = (),
    statement: PayoutStatement | None = None,
    history: int = 3,
    alpha: float = 0.05,
    notes: Sequence[str] = (),
    min_sample: int = 30,
) -> OneToOne:
    """Prepare a monthly one-to-one: the agent's period against the team and their past.

    For every metric: the agent's value with its interval and tier; the
    rest of the team in the same period (the agent left out); the agent's
    own previous ``history`` periods, pooled. Each comparison is a two-sided
    test — Fisher's exact test for shares, Welch's t test for means — and
    all the p-values of the one-to-one are adjusted together by
    Benjamini–Hochberg. A metric is a **strength** when the agent is
    significantly better (q ≤ ``alpha``) than the team or their own past and
    worse than neither; a **weakness** when significantly worse than either.
    Each weakness lists the conversations behind it. Best cases and praise
    come from :func:`~servicequality.incentives.best_cases` and
    :func:`~servicequality.incentives.praise_digest`; payout lines from a
    statement of the period. ``notes`` (or :meth:`OneToOne.with_notes`)
    holds what the agent says of their difficulties.

    The default metrics leave out those whose columns the table lacks (a
    Douyin export has no escalations); a metric you name is refused instead.
    Without a ``difficulty`` column there are no best cases.

    Args:
        table: The conversations (the team's, over the period and before).
        agent_id: The agent.
        period: The period discussed (a period of ``calendar``).
        calendar: The calendar of the periods (``Monthly(tz=...)``).
        metrics: Shares or means to review (names or metric objects).
        policies: Tier policies of some of the metrics.
        statement: The period's :class:`PayoutStatement`, for payout lines.
        history: How many previous periods to compare with (0: none).
        alpha: The false-discovery rate for strengths and weaknesses.
        notes: The agent's notes on difficulties.
        min_sample: Fewest rated conversations for best cases (as
            :func:`~servicequality.incentives.best_cases`).

    Raises:
        UnknownKeyError: for an agent with no conversations in the period.
        ValidationError: for a metric that is neither a share nor a mean, a
            statement of another period, bad ``history``, ``alpha`` or notes.
        WrongTypeError: for arguments of the wrong type.
    """
    _check(table, agent_id, period, history, alpha)
    chosen = testable("one_to_one", metrics)
    if metrics is ONE_TO_ONE_METRICS:
        chosen = [
            m for m in chosen if absent_read(table.absent_columns, m.name) is None
        ]
    if statement is not None:
        v.instance_of("one_to_one", "statement", statement, PayoutStatement)
        if statement.period != period:
            raise ValidationError(
                "one_to_one",
                "statement",
                statement.period,
                f"must be the statement of {_display.label(period)}",
            )
    previous = _previous(calendar, period, history)
    measured = measure(table, chosen, by=["agent", calendar])
    now_rows = _rows(measured, agent_id, [period])
    if not now_rows:
        raise UnknownKeyError(
            "one_to_one",
            "agent_id",
            agent_id,
            f"has no conversations in {_display.label(period)}",
        )
    team_rows = _rows(measured, None, [period])
    past_rows = _rows(measured, agent_id, previous)
    judged = classify(measured, list(policies)) if policies else None
    found: list[dict[str, Any]] = []
    p_values: list[float] = []
    for metric in chosen:
        now = _pooled(measured, metric, now_rows)
        rest = now.rest(_pooled(measured, metric, team_rows).state)
        past = _pooled(measured, metric, past_rows)
        team_p = float(now.test(rest, "two-sided", exact=True)[0])
        history_p = float(now.test(past, "two-sided", exact=True)[0])
        p_values += [team_p, history_p]
        cell = measured.get(metric.name, agent=agent_id, period=period)
        judgement = (
            judged.get(metric.name, agent=agent_id, period=period)
            if judged is not None and metric.name in judged.metric_names
            else None
        )
        found.append(
            {
                "metric": metric.name,
                "unit": metric.unit,
                "higher_is_better": metric.higher_is_better,
                "value": cell.value,
                "n": cell.n,
                "low": cell.low,
                "high": cell.high,
                "tier": None if judgement is None else judgement.tier,
                "tier_reason": "" if judgement is None else judgement.reason,
                "team": float(rest.value[0]),
                "team_p": team_p,
                "history": float(past.value[0]),
                "history_n": int(past.n[0]),
                "history_p": history_p,
            }
        )
    q = benjamini_hochberg(p_values).tolist()
    reviews = []
    for i, (metric, fields) in enumerate(zip(chosen, found, strict=True)):
        team_q, history_q = q[2 * i], q[2 * i + 1]
        verdict = _verdict(fields, team_q, history_q, alpha)
        behind: tuple[tuple[str, ...], int] = (
            _behind(measured, metric, agent_id, period)
            if verdict == "weakness"
            else ((), 0)
        )
        reviews.append(
            MetricReview(
                **fields,
                team_q=team_q,
                history_q=history_q,
                verdict=verdict,
                behind=behind[0],
                behind_count=behind[1],
            )
        )
    cases = (
        ()
        if "difficulty" in table.absent_columns
        else best_cases(
            table,
            calendar=calendar,
            per_period=max(len(table), 1),
            min_sample=min_sample,
        )
    )
    praise = praise_digest(table, calendar=calendar)
    return OneToOne(
        agent_id=agent_id,
        period=period,
        previous=previous,
        metrics=tuple(reviews),
        alpha=alpha,
        test=(
            "two-sided Fisher exact (shares) or Welch t (means) tests against "
            f"the rest of the team and the agent's previous {len(previous)} "
            f"period(s), Benjamini–Hochberg adjusted; differences called at "
            f"q ≤ {alpha:g}"
        ),
        best_cases=tuple(
            c for c in cases if c.agent_id == agent_id and c.period == period
        )[:_BEST_CASES],
        praise=tuple(
            p for p in praise if p.agent_id == agent_id and p.period == period
        ),
        payout=() if statement is None else statement.lines_of(agent_id),
    ).with_notes(*v.sequence("one_to_one", "notes", notes))


def _verdict(
    fields: dict[str, Any], team_q: float, history_q: float, alpha: float
) -> str:
    value = fields["value"]
    higher = fields["higher_is_better"]

    def side(other: float, q: float) -> int:
        if not q <= alpha or math.isnan(other) or math.isnan(value):
            return 0
        better = value > other if higher else value < other
        return 1 if better else -1

    sides = {side(fields["team"], team_q), side(fields["history"], history_q)}
    if -1 in sides:
        return "weakness"
    if 1 in sides:
        return "strength"
    return ""
