"""Figures: trend, tiers, hour × weekday heat map, payouts, the one-to-one."""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Any

import matplotlib.dates as mdates
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from servicequality import _display
from servicequality._engine._measure import Measurements, measure
from servicequality._errors import ValidationError, WrongTypeError
from servicequality._periods import HourOfDay, Period, local_wall_times, to_zone
from servicequality._table import ConversationTable
from servicequality.incentives._plan import PayoutStatement
from servicequality.plot._fonts import use_cjk_fonts
from servicequality.policy._assess import Assessment
from servicequality.policy._tiers import INSUFFICIENT_DATA, TierPolicy
from servicequality.review._oneonone import OneToOne

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import tzinfo

    from numpy.typing import NDArray

    from servicequality.metrics._base import Metric

__all__ = [
    "metric_trend",
    "one_to_one_chart",
    "payout_breakdown",
    "satisfaction_heatmap",
    "tier_distribution",
]

MAX_SERIES = 12
"""Most lines on one trend figure; narrow with ``where=``."""
MAX_PERIOD_TICKS = 16
"""Up to this many periods, each gets a tick with its label (``2025-W46``)."""
_date_numbers: Any = mdates.date2num  # untyped in matplotlib's stubs
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _check(value: object, kind: type, owner: str, field: str) -> None:
    if not isinstance(value, kind):
        raise WrongTypeError(owner, field, value, f"must be a {kind.__name__}")


def _tier_bands(ax: Any, policy: TierPolicy, low: float, high: float) -> None:
    """Shade each tier's band of values, best to worst."""
    tiers = policy.tiers
    edges = [t.at_least if policy.higher_is_better else t.at_most for t in tiers]
    outer = high if policy.higher_is_better else low
    previous = outer
    for position, (tier, edge) in enumerate(zip(tiers, edges, strict=True)):
        end = edge if edge is not None else (low if policy.higher_is_better else high)
        ax.axhspan(
            min(previous, end),
            max(previous, end),
            color=_display.tier_colour(position, len(tiers)),
            alpha=0.6,
            zorder=0,
            label=f"tier {tier.name}",
        )
        previous = end


def metric_trend(
    measurements: Measurements,
    metric: str,
    *,
    where: Mapping[str, Any] | None = None,
    policy: TierPolicy | None = None,
    observed: Period | None = None,
    title: str | None = None,
) -> Figure:
    """One line per group of ``metric`` over periods, with interval bands.

    Args:
        measurements: Grouped by a calendar (key ``period``) and optionally
            other keys; each combination of the other keys is one line.
        metric: The metric to draw.
        where: Keep only groups with these labels, e.g. ``{"agent": "a01"}``.
        policy: Shade its tier bands behind the lines.
        observed: The span your data cover (the month you loaded, say).
            A period reaching outside it is partial: its point is hollow
            and joined by a dashed line, so a week of two days is not read
            as a whole week. Without it every period counts as whole.
        title: The axes title (default: the metric name).

    Returns:
        A figure with one axes: a line and an interval band per series,
        x = period start (ticks labelled ``2025-W46`` when there are at
        most :data:`MAX_PERIOD_TICKS` periods), y = value (shares in 0..1,
        whole numbers for counts).

    Raises:
        ValidationError: without a ``period`` key, for an unknown metric or
            key, no group left, more than :data:`MAX_SERIES` lines, or an
            ``observed`` that is not a Period.
    """
    _check(measurements, Measurements, "metric_trend", "measurements")
    if "period" not in measurements.key_names:
        raise ValidationError(
            "metric_trend",
            "measurements",
            measurements.key_names,
            "need a calendar key",
        )
    chosen = measurements.metric(metric)
    if observed is not None:
        _check(observed, Period, "metric_trend", "observed")
    wanted = dict(where or {})
    for name in wanted:
        measurements.key_column(name)
    others = [k for k in measurements.key_names if k != "period"]
    at = measurements.key_names.index("period")
    series: dict[tuple[Any, ...], list[int]] = {}
    for row, key in enumerate(measurements.keys):
        named = dict(zip(measurements.key_names, key, strict=True))
        if all(named[k] == v for k, v in wanted.items()):
            series.setdefault(tuple(named[k] for k in others), []).append(row)
    if not series or len(series) > MAX_SERIES:
        raise ValidationError(
            "metric_trend",
            "where",
            wanted,
            f"must leave between 1 and {MAX_SERIES} series; {len(series)} left",
        )
    value = measurements.column(metric)
    low, high = measurements.column(metric, "low"), measurements.column(metric, "high")
    figure = Figure(figsize=(8, 4.5), layout="constrained")
    ax = figure.add_subplot()
    periods: set[Period] = set()
    for labels, rows in series.items():
        rows.sort(key=lambda r: measurements.keys[r][at])
        shown = [measurements.keys[r][at] for r in rows]
        periods.update(shown)
        _draw_series(
            ax,
            shown,
            (value[rows], low[rows], high[rows]),
            name=", ".join(_display.label(x) for x in labels) or metric,
            observed=observed,
        )
    _period_axis(ax, sorted(periods), observed)
    if chosen.unit == "count":
        ax.set_ylim(0, max(ax.get_ylim()[1], 1))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if policy is not None:
        _check(policy, TierPolicy, "metric_trend", "policy")
        bottom, top = ax.get_ylim()
        if chosen.unit == "share":
            bottom, top = 0.0, 1.0
        _tier_bands(ax, policy, bottom, top)
        ax.set_ylim(bottom, top)
    ax.set_title(title or metric)
    ax.set_xlabel("period")
    ax.set_ylabel(f"{metric} ({chosen.unit})")
    ax.legend(loc="best", fontsize="small")
    figure.autofmt_xdate()
    return use_cjk_fonts(figure)


def _inside(period: Period, observed: Period | None) -> bool:
    """Whether ``period`` lies wholly inside ``observed`` (always, without one)."""
    if observed is None:
        return True
    return observed.start <= period.start and period.end <= observed.end


def _draw_series(
    ax: Any,
    periods: list[Period],
    lines: tuple[NDArray[Any], NDArray[Any], NDArray[Any]],
    *,
    name: str,
    observed: Period | None,
) -> None:
    """One series: whole periods as filled points, partial ones hollow and dashed."""
    value, low, high = lines
    starts = _date_numbers([p.start for p in periods])
    whole = np.array([_inside(p, observed) for p in periods])
    (line,) = ax.plot(starts, np.where(whole, value, np.nan), marker="o", label=name)
    colour = line.get_color()
    ax.fill_between(starts, low, high, color=colour, alpha=0.2)
    if not whole.all():
        ax.plot(starts, value, linestyle="--", color=colour)
        ax.plot(
            starts[~whole],
            value[~whole],
            linestyle="none",
            marker="o",
            markerfacecolor="white",
            color=colour,
        )


def _period_axis(ax: Any, periods: list[Period], observed: Period | None) -> None:
    """Period labels as ticks when few; a legend entry when some are partial."""
    if observed is not None and not all(_inside(p, observed) for p in periods):
        ax.plot(
            [],
            [],
            linestyle="--",
            marker="o",
            markerfacecolor="white",
            color="grey",
            label=f"partial: data cover {observed.label} only",
        )
    if len(periods) <= MAX_PERIOD_TICKS:
        ax.set_xticks(
            _date_numbers([p.start for p in periods]), [p.label for p in periods]
        )
    else:
        ax.xaxis_date()


def tier_distribution(
    assessment: Assessment, metric: str, *, title: str | None = None
) -> Figure:
    """How many groups (agents) fall in each tier of ``metric``.

    Bars follow the policy's order, best first, then ``insufficient_data``;
    each bar is coloured like its tier in the notebook tables.

    Raises:
        ValidationError: for a metric without a tier policy.
    """
    _check(assessment, Assessment, "tier_distribution", "assessment")
    if metric not in assessment.metric_names:
        raise ValidationError(
            "tier_distribution",
            "metric",
            metric,
            f"has no tier policy; tiered: {', '.join(assessment.metric_names)}",
        )
    judged = [j for j in assessment if j.metric == metric]
    counts = Counter(j.tier for j in judged)
    order: list[str] = []
    for j in judged:
        key = dict(j.key)
        for tier in assessment.policy(metric, **key).tiers:
            if tier.name not in order:
                order.append(tier.name)
    order.append(INSUFFICIENT_DATA)
    colours = [
        _display.tier_colour(
            order.index(name) if name != INSUFFICIENT_DATA else -1, len(order) - 1
        )
        for name in order
    ]
    figure = Figure(figsize=(6, 4), layout="constrained")
    ax = figure.add_subplot()
    bars = ax.bar(
        order, [counts.get(name, 0) for name in order], color=colours, edgecolor="#555"
    )
    ax.bar_label(bars)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title or f"{metric}: groups per tier")
    ax.set_xlabel("tier")
    ax.set_ylabel("groups")
    return use_cjk_fonts(figure)


def satisfaction_heatmap(
    table: ConversationTable,
    tz: tzinfo | str,
    *,
    metric: Metric | str = "satisfaction_rate",
    min_n: int = 10,
    title: str | None = None,
) -> Figure:
    """A rate by local hour (columns) and weekday (rows), for time-slot analysis.

    Args:
        table: The conversations.
        tz: The time zone whose wall clock defines hour and weekday.
        metric: Any metric; satisfaction by default.
        min_n: Cells with fewer observations are left blank.
        title: The axes title.

    Returns:
        A figure with the 7 × 24 image (NaN where blank) and a colour bar.

    Raises:
        ValidationError: for a bad table, zone, metric or ``min_n``.
    """
    _check(table, ConversationTable, "satisfaction_heatmap", "table")
    zone = to_zone(tz)
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
        raise ValidationError(
            "satisfaction_heatmap", "min_n", min_n, "must be a whole number >= 1"
        )
    grid = np.full((7, 24), np.nan)
    opened = table["opened_at"]
    days = local_wall_times(opened, zone).astype("datetime64[D]").astype(np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    hours = HourOfDay(tz=zone)
    name = metric if isinstance(metric, str) else metric.name
    unit = ""
    for day in range(7):
        part = table.filter(weekday == day)
        if not len(part):
            continue
        result = measure(part, [metric], by=hours)
        unit = result.metric(name).unit
        value, n = result.column(name), result.column(name, "n")
        for (hour,), v, count in zip(result.keys, value, n, strict=True):
            if count >= min_n and not math.isnan(v):
                grid[day, hour] = v
    figure = Figure(figsize=(10, 3.8), layout="constrained")
    ax = figure.add_subplot()
    image = ax.imshow(grid, aspect="auto", cmap="RdYlGn", interpolation="nearest")
    bar = figure.colorbar(image, ax=ax, label=name)
    if unit == "count":
        bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xticks(range(24), [f"{h:02d}" for h in range(24)], fontsize="small")
    ax.set_yticks(range(7), WEEKDAY_LABELS)
    ax.set_xlabel(f"hour ({zone})")
    ax.set_ylabel("weekday")
    ax.set_title(title or f"{name} by hour and weekday (blank: n < {min_n})")
    return use_cjk_fonts(figure)


def payout_breakdown(statement: PayoutStatement, *, title: str | None = None) -> Figure:
    """Each agent's payout as a horizontal bar, one segment per rule.

    Returns:
        A figure with one stacked bar per agent (agent id order, top down),
        a legend of rules and the currency on the x axis.
    """
    _check(statement, PayoutStatement, "payout_breakdown", "statement")
    agents = list(statement.agents)
    rules = list(dict.fromkeys(line.rule for line in statement.lines))
    figure = Figure(figsize=(8, 0.4 * max(len(agents), 3) + 1.5), layout="constrained")
    ax = figure.add_subplot()
    left = np.zeros(len(agents))
    for rule in rules:
        amounts = np.array(
            [
                float(sum(x.amount for x in statement.lines_of(a) if x.rule == rule))
                for a in agents
            ]
        )
        ax.barh(agents, amounts, left=left, label=rule)
        left += amounts
    ax.invert_yaxis()
    ax.set_xlabel(statement.currency.code)
    ax.set_ylabel("agent")
    ax.set_title(title or f"{statement.plan} — {_display.label(statement.period)}")
    ax.legend(loc="best", fontsize="small")
    return use_cjk_fonts(figure)


_VERDICT_COLOURS = {"strength": "tab:green", "weakness": "tab:red", "": "tab:blue"}


def one_to_one_chart(review: OneToOne, *, title: str | None = None) -> Figure:
    """An agent's metrics against the team and their own past, one row each.

    Each row has its own scale (shares in percent, seconds, scores): the
    agent's value with its interval (green for a strength, red for a
    weakness, blue otherwise), the rest of the team (black diamond) and the
    agent's own past (grey square, when there is one).

    Returns:
        A figure with one panel per metric, in the one-to-one's order.
    """
    _check(review, OneToOne, "one_to_one_chart", "review")
    rows = review.metrics
    figure = Figure(figsize=(7, 0.9 * max(len(rows), 1) + 1.0), layout="constrained")
    axes = figure.subplots(max(len(rows), 1), 1, squeeze=False)[:, 0]
    for ax, m in zip(axes, rows, strict=False):
        scale = 100.0 if m.unit == "share" else 1.0
        colour = _VERDICT_COLOURS.get(m.verdict, "tab:blue")
        if not (math.isnan(m.low) or math.isnan(m.high)):
            ax.plot([m.low * scale, m.high * scale], [0, 0], color=colour, lw=3)
        ax.plot([m.value * scale], [0], "o", color=colour, label="agent")
        ax.plot([m.team * scale], [0], "D", color="black", label="team")
        if not math.isnan(m.history):
            ax.plot([m.history * scale], [0], "s", color="grey", label="own past")
        ax.set_yticks([0], [m.metric])
        ax.set_ylim(-1, 1)
        ax.set_xlabel("%" if m.unit == "share" else m.unit, fontsize="small")
        ax.margins(x=0.2)
    if rows:
        axes[0].legend(loc="upper right", fontsize="x-small", ncols=3)
    figure.suptitle(
        title or f"One-to-one: {review.agent_id}, {_display.label(review.period)}"
    )
    return use_cjk_fonts(figure)
