"""The weekly review: segments significantly worse than the rest of the period."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs
import numpy as np

from servicequality import _display, _results
from servicequality import _validators as v
from servicequality._columns import to_instants
from servicequality._engine._grouping import resolve_by
from servicequality._engine._measure import measure
from servicequality._errors import ValidationError
from servicequality._periods import HourOfDay, Period
from servicequality._table import ConversationTable
from servicequality.review._samples import Sample, testable
from servicequality.stats import benjamini_hochberg

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from servicequality._engine._grouping import By
    from servicequality._engine._measure import Measurements
    from servicequality.metrics._base import Metric

__all__ = ["Change", "SegmentFinding", "WeeklyReview", "weekly_review"]

_HISTORY = timedelta(days=7)
"""How far before the compared periods conversations are read, so a repeat
inquiry early in a period still finds the contact it repeats."""

REVIEWED_METRICS = ("satisfaction_rate", "repeat_inquiry_rate", "escalation_rate")
"""The metrics the weekly review tests by default, segment by segment."""


def _reviewable(metrics: Sequence[Metric | str] | None) -> list[Metric]:
    """The metrics to review: shares and means only (tests need their sums)."""
    return testable("weekly_review", REVIEWED_METRICS if metrics is None else metrics)


def _worse(metric: Metric) -> Literal["less", "greater"]:
    return "less" if metric.higher_is_better else "greater"


@attrs.frozen(kw_only=True)
class _Spans:
    """Contiguous periods as a calendar: each timestamp to the span holding it."""

    key: ClassVar[str] = "period"
    spans: tuple[Period, ...]

    def assign(
        self, timestamps: NDArray[Any]
    ) -> tuple[NDArray[np.intp], tuple[Period, ...]]:
        bounds = np.array(
            [_utc(s.start) for s in self.spans[1:]], dtype="datetime64[us]"
        )
        codes = np.searchsorted(bounds, timestamps.astype("datetime64[us]"), "right")
        return codes.astype(np.intp), self.spans


def _utc(moment: datetime) -> np.datetime64:
    instant: np.datetime64 = to_instants([moment])[0]
    return instant


@attrs.frozen(kw_only=True)
class SegmentFinding:
    """A segment significantly worse than the rest of the period.

    Attributes:
        dimension: The key it was found on (``"hour"``, ``"topic"``…).
        label: The segment (an hour, a topic, a channel; ``None`` = no topic).
        metric: The metric that is worse.
        value: The metric in the segment.
        n: Its denominator (ratings, conversations).
        low: Lower bound of the metric's own interval (95 % Wilson for the
            built-in shares, Student t for means).
        high: Upper bound of that interval.
        rest: The metric over the rest of the period.
        difference: ``value - rest`` (negative for a satisfaction drop).
        p_value: One-sided test, segment vs rest: Fisher exact for shares,
            Welch t for means.
        q_value: Benjamini–Hochberg adjusted over every segment tested.
        sentence: The finding for people.
        unit: The metric's unit (``"share"``, ``"score"``, ``"seconds"``).
    """

    dimension: str
    label: Any
    metric: str
    value: float
    n: int
    low: float
    high: float
    rest: float
    difference: float
    p_value: float
    q_value: float
    sentence: str
    unit: str = "share"


@attrs.frozen(kw_only=True)
class Change:
    """A metric over the whole period against the previous period.

    Attributes:
        metric: The metric.
        value: This period's value (NaN if undefined).
        n: This period's denominator.
        previous: The previous period's value.
        previous_n: The previous period's denominator.
        difference: ``value - previous``.
        p_value: Two-sided pooled two-proportion z test (shares) or Welch
            t test (means).
        sentence: The change for people.
        unit: The metric's unit.
    """

    metric: str
    value: float
    n: int
    previous: float
    previous_n: int
    difference: float
    p_value: float
    sentence: str
    unit: str = "share"


@attrs.frozen(kw_only=True, repr=False)
class WeeklyReview:
    """What the weekly review found, and how many segments it tested.

    Attributes:
        period: The period reviewed.
        previous: The period of the same length right before it.
        findings: Significant segments, largest effect first.
        tested: Segment tests run (the Benjamini–Hochberg family).
        alpha: The false-discovery rate the findings were held to.
        changes: One per reviewed metric: this period against the previous.
    """

    period: Period
    previous: Period
    findings: tuple[SegmentFinding, ...]
    tested: int
    alpha: float
    changes: tuple[Change, ...]

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per finding, then one per change (``kind`` tells which)."""
        return [
            {"kind": "finding", **attrs.asdict(f, recurse=False)} for f in self.findings
        ] + [{"kind": "change", **attrs.asdict(c, recurse=False)} for c in self.changes]

    def to_pandas(self, *, period_labels: bool = False) -> Any:
        """:meth:`to_records` as a pandas DataFrame (the ``pandas`` extra).

        Counts (``n``, ``previous_n``) are integers, missing where a row has
        none; with ``period_labels`` periods show as short labels.
        """
        columns = ["kind", *(f.name for f in attrs.fields(SegmentFinding))]
        return _results.frame(self.to_records(), columns, period_labels=period_labels)

    def __repr__(self) -> str:
        return (
            f"<WeeklyReview of {_display.label(self.period)}: {len(self.findings)} "
            f"finding(s) of {self.tested} test(s), {len(self.changes)} change(s)>"
        )

    def _repr_html_(self) -> str:
        """Findings (value, interval, rest, q-value) and changes, as tables."""
        findings: list[list[_display.Cell]] = [
            [
                f.dimension,
                _display.label(f.label),
                f.metric,
                f"{_display.number(f.value, f.unit)} "
                f"{_display.interval(f.low, f.high, f.unit)}",
                str(f.n),
                _display.number(f.rest, f.unit),
                (_signed(f.difference, f.unit), _display.WORST),
                f"{f.q_value:.3g}",
            ]
            for f in self.findings[: _display.MAX_ROWS]
        ]
        changes: list[list[_display.Cell]] = [
            [
                c.metric,
                _display.number(c.previous, c.unit),
                _display.number(c.value, c.unit),
                _signed(c.difference, c.unit),
                f"{c.p_value:.3g}" if c.p_value == c.p_value else "—",
            ]
            for c in self.changes
        ]
        return _display.table(
            ["dimension", "segment", "metric", "value", "n", "rest", "difference", "q"],
            findings,
            caption=(
                f"Review of {_display.label(self.period)}: {len(self.findings)} "
                f"finding(s) among {self.tested} tests (FDR {self.alpha:g})"
            ),
            right=range(3, 8),
            total=len(self.findings),
        ) + _display.table(
            ["metric", "previous", "this period", "change", "p"],
            changes,
            caption=f"Against {_display.label(self.previous)}",
            right=range(1, 5),
        )

    def __str__(self) -> str:
        lines = [
            f"Review of {self.period}: {len(self.findings)} finding(s) among "
            f"{self.tested} segment tests (false-discovery rate {self.alpha:g})"
        ]
        lines.extend(f"- {f.sentence}" for f in self.findings)
        lines.extend(f"* {c.sentence}" for c in self.changes)
        return "\n".join(lines)


def _signed(difference: float, unit: str) -> str:
    if math.isnan(difference):
        return "—"
    shown = _display.number(abs(difference), unit)
    return f"{'-' if difference < 0 else '+'}{shown}"


def _label(dimension: str, label: Any) -> str:
    if label is None:
        return f"no {dimension}"
    if dimension == "hour":
        return f"{int(label):02d}:00–{int(label):02d}:59"
    return f"{dimension} {label}"


def _rows_of(measured: Measurements, period: Period) -> list[int]:
    periods = measured.key_column("period")
    return [row for row, p in enumerate(periods) if p == period]


def _sample(measured: Measurements, metric: Metric, rows: Sequence[int]) -> Sample:
    return Sample(metric.parts, measured.state(metric.name)[list(rows)])


def _check(table: object, period: object, alpha: float, min_n: int) -> None:
    v.instance_of("weekly_review", "table", table, ConversationTable)
    v.instance_of("weekly_review", "period", period, Period)
    if not 0 < v.number("weekly_review", "alpha", alpha) < 1:
        raise ValidationError("weekly_review", "alpha", alpha, "must be in (0, 1)")
    v.whole("weekly_review", "min_n", min_n, minimum=1)


@attrs.frozen(kw_only=True)
class _Candidate:
    """One segment test before the false-discovery adjustment."""

    dimension: str
    label: Any
    metric: str
    value: float
    n: int
    low: float
    high: float
    rest: float
    p_value: float
    unit: str

    def finding(self, q_value: float) -> SegmentFinding:
        sentence = (
            f"{_label(self.dimension, self.label)}: {self.metric} "
            f"{self.value:.3f} vs {self.rest:.3f} in the rest of the period "
            f"(n = {self.n}, 95 % CI {self.low:.3f}–{self.high:.3f}; one-sided "
            f"Fisher p = {self.p_value:.2g}, BH q = {q_value:.2g})"
        )
        return SegmentFinding(
            **attrs.asdict(self, recurse=False),
            difference=self.value - self.rest,
            q_value=q_value,
            sentence=sentence,
        )


def _candidates(
    measured: Measurements,
    overall: Measurements,
    period: Period,
    min_n: int,
    metrics: Sequence[Metric],
) -> list[_Candidate]:
    """Every testable segment of one dimension, on every reviewed metric."""
    rows = _rows_of(measured, period)
    labels = [measured.keys[row][0] for row in rows]
    name = measured.key_names[0]
    found: list[_Candidate] = []
    for metric in metrics:
        segment = _sample(measured, metric, rows)
        rest = segment.rest(_sample(overall, metric, _rows_of(overall, period)).state)
        p = segment.test(rest, _worse(metric), exact=True)
        n, rest_n = segment.n, rest.n
        tested = (n >= min_n) & (rest_n >= min_n) & ~np.isnan(p)
        value, rest_value = segment.value, rest.value
        low = measured.column(metric.name, "low")[rows]
        high = measured.column(metric.name, "high")[rows]
        found.extend(
            _Candidate(
                dimension=name,
                label=labels[i],
                metric=metric.name,
                value=float(value[i]),
                n=int(n[i]),
                low=float(low[i]),
                high=float(high[i]),
                rest=float(rest_value[i]),
                p_value=float(p[i]),
                unit=metric.unit,
            )
            for i in np.flatnonzero(tested)
        )
    return found


def _findings(candidates: list[_Candidate], alpha: float) -> tuple[SegmentFinding, ...]:
    """The candidates that survive Benjamini–Hochberg, largest effect first."""
    q = benjamini_hochberg([c.p_value for c in candidates])
    findings = [
        c.finding(q_value)
        for c, q_value in zip(candidates, q.tolist(), strict=True)
        if q_value <= alpha
    ]
    findings.sort(
        key=lambda f: (-abs(f.difference), f.metric, f.dimension, str(f.label))
    )
    return tuple(findings)


def weekly_review(
    table: ConversationTable,
    period: Period,
    *,
    dimensions: Sequence[By] | None = None,
    metrics: Sequence[Metric | str] | None = None,
    alpha: float = 0.05,
    min_n: int = 20,
) -> WeeklyReview:
    """Find the segments of ``period`` where customers fare significantly worse.

    For each dimension, each segment (an hour of the day, a topic, a
    channel…) is compared with the rest of the period on each metric —
    by default satisfaction (lower is worse), repeat inquiries and
    escalations (higher is worse); a metric's ``higher_is_better`` says
    which side is worse. Shares are compared by a one-sided Fisher exact
    test of the two proportions (exact, so small segments and rare events
    do not inflate false findings as the z test does), means (``mean_rating``,
    ``empathy_score``) by a one-sided Welch t test. Segments, or rests, with fewer
    than ``min_n`` observations are not tested. The p-values of every test
    are adjusted together by Benjamini–Hochberg, and the segments with
    ``q ≤ alpha`` are reported, largest difference first. Each metric over
    the whole period is also compared with the previous period of the same
    length, by a two-sided pooled z test for shares (whole periods are large
    samples) and a two-sided Welch t test for means.
    Conversations of the 7 days before the previous period are read
    too, so repeat inquiries early in a period find the contact they repeat.

    Args:
        table: The conversations.
        period: The period to review (any length; usually a week).
        dimensions: Default ``(HourOfDay(tz=tz of period.start), "topic",
            "channel")``.
        metrics: Metrics or catalogue names to review, each a share or a
            mean; default :data:`REVIEWED_METRICS`.
        alpha: The false-discovery rate, in (0, 1).
        min_n: Fewest observations for a segment (and its rest) to be tested.

    Raises:
        ValidationError: for a bad dimension, ``alpha`` or ``min_n``, or a
            metric that is neither a share nor a mean (a quantile, a total).
        WrongTypeError: for a table or period of the wrong type.
    """
    _check(table, period, alpha, min_n)
    reviewed = _reviewable(metrics)
    chosen: tuple[By, ...] = resolve_by(
        (HourOfDay(tz=period.start.tzinfo), "topic", "channel")
        if dimensions is None
        else dimensions
    )
    previous = Period(start=period.start - period.duration, end=period.start)
    history = Period(start=previous.start - _HISTORY, end=previous.start)
    spans = _Spans(spans=(history, previous, period))
    opened = table["opened_at"]
    window = table.filter((opened >= _utc(history.start)) & (opened < _utc(period.end)))
    overall = measure(window, reviewed, by=[spans])
    candidates = [
        candidate
        for dimension in chosen
        for candidate in _candidates(
            measure(window, reviewed, by=[dimension, spans]),
            overall,
            period,
            min_n,
            reviewed,
        )
    ]
    return WeeklyReview(
        period=period,
        previous=previous,
        findings=_findings(candidates, alpha),
        tested=len(candidates),
        alpha=alpha,
        changes=_changes(overall, period, previous, reviewed),
    )


def _changes(
    overall: Measurements,
    period: Period,
    previous: Period,
    metrics: Sequence[Metric],
) -> tuple[Change, ...]:
    changes = []
    for metric in metrics:
        now = _sample(overall, metric, _rows_of(overall, period)).pooled()
        was = _sample(overall, metric, _rows_of(overall, previous)).pooled()
        value, before = float(now.value[0]), float(was.value[0])
        now_n, was_n = float(now.n[0]), float(was.n[0])
        p = float(now.test(was, "two-sided", exact=False)[0])
        difference = value - before
        sentence = (
            f"{metric.name} {value:.3f} (n = {now_n:.0f}) vs {before:.3f} (n = "
            f"{was_n:.0f}) in the previous period: {difference:+.3f} "
            f"(two-sided p = {p:.2g})"
        )
        changes.append(
            Change(
                metric=metric.name,
                value=value,
                n=int(now_n),
                previous=before,
                previous_n=int(was_n),
                difference=difference,
                p_value=p,
                sentence=sentence,
                unit=metric.unit,
            )
        )
    return tuple(changes)
