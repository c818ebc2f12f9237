"""Responsiveness: reply and resolution times, answered-within and SLA rates."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Literal, get_args

import attrs
import numpy as np

from servicequality._errors import ValidationError, WrongTypeError
from servicequality._hours import checked
from servicequality.metrics._base import (
    MeanMetric,
    Metric,
    QuantileMetric,
    RateMetric,
)
from servicequality.metrics._common import (
    Statistic,
    closed,
    every,
    population_of,
    positive_timedelta,
)
from servicequality.metrics._replies import ReplyMetric, replied_within

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

    from servicequality._engine._facts import Rows
    from servicequality._hours import ServiceHours
    from servicequality._sla import SLAPolicy

__all__ = [
    "SLATarget",
    "bot_wait_time",
    "first_response_time",
    "handover_responded_within",
    "handover_response_time",
    "resolution_time",
    "responded_within",
    "sla_hit_rate",
]


def _replied(rows: Rows) -> NDArray[np.bool_]:
    return np.asarray(~np.isnat(rows["first_response_at"]), dtype=bool)


@attrs.frozen
class _Elapsed:
    """Seconds from ``start`` to ``column`` on ``clock`` (calendar time if None)."""

    column: str
    clock: ServiceHours | None
    start: str = "opened_at"

    def __call__(self, rows: Rows) -> NDArray[np.float64]:
        if self.start == "opened_at":
            return rows.elapsed(self.column, self.clock)
        start, end = rows[self.start], rows[self.column]
        seconds: NDArray[np.float64] = rows.derived(
            ("between", self.start, self.column, self.clock),
            lambda: (
                (end - start) / np.timedelta64(1, "s")
                if self.clock is None
                else self.clock.business_seconds(start, end)
            ),
        )
        return seconds


@attrs.frozen
class _Set:
    """Rows where every one of ``columns`` is set."""

    columns: tuple[str, ...]

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        done = np.ones(len(rows), dtype=bool)
        for column in self.columns:
            done &= ~np.isnat(rows[column])
        return done


def _duration_metric(  # noqa: PLR0917  # private helper, every argument distinct
    name: str,
    statistic: Statistic,
    column: str,
    where: Callable[[Rows], NDArray[np.bool_]],
    population: Literal["humans", "bots", "all"],
    description: str,
    clock: ServiceHours | None,
    start: str = "opened_at",
) -> Metric:
    values = _Elapsed(column, checked(name, "clock", clock), start)
    if clock is not None:
        description = f"{description} Business time: {clock}."
    if statistic == "mean":
        return MeanMetric(
            name=name,
            values=values,
            where=where,
            unit="seconds",
            higher_is_better=False,
            population=population,
            description=description,
        )
    quantiles = {"median": 0.5, "p90": 0.9}
    if statistic not in quantiles:
        raise ValidationError(
            name, "statistic", statistic, "must be 'mean', 'median' or 'p90'"
        )
    return QuantileMetric(
        name=name,
        values=values,
        where=where,
        q=quantiles[statistic],
        population=population,
        description=description,
    )


def first_response_time(
    *,
    statistic: Statistic = "mean",
    include_bots: bool = False,
    clock: ServiceHours | None = None,
) -> Metric:
    """响应时长: seconds from opening to the first reply (lower is better).

    Conversations without a reply are left out (see :func:`responded_within`
    for a measure that counts them). ``"median"`` and ``"p90"`` come from a
    log-spaced histogram, within about 2 % of the exact order statistic.
    With ``clock=ServiceHours(...)`` only open service time counts, and a
    conversation opened outside service starts its clock when service opens.
    """
    return _duration_metric(
        "first_response_time",
        statistic,
        "first_response_at",
        _replied,
        population_of(include_bots),
        "Seconds to the first reply.",
        clock,
    )


@attrs.frozen
class _Within:
    """Rows whose ``column`` came within ``limit`` of ``start``, on ``clock``."""

    column: str
    limit: timedelta
    clock: ServiceHours | None
    start: str = "opened_at"

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        elapsed = _Elapsed(self.column, self.clock, self.start)(rows)
        with np.errstate(invalid="ignore"):
            return elapsed <= self.limit / timedelta(seconds=1)


def responded_within(
    limit: timedelta = timedelta(minutes=3),
    *,
    include_bots: bool = False,
    clock: ServiceHours | None = None,
    service_window: ServiceHours | None = None,
) -> RateMetric:
    """Conversations first answered within ``limit`` / conversations (3分钟回复率).

    A conversation nobody answered counts as not within the limit.

    Args:
        limit: The longest wait that counts as answered in time.
        include_bots: Also count conversations that a bot handled alone.
        clock: Measure the wait in business time on these service hours
            (calendar time by default).
        service_window: Count only conversations opened inside these hours,
            as platforms do (Douyin: 08:00–23:00).
    """
    limit = positive_timedelta(limit, "responded_within", "limit")
    clock = checked("responded_within", "clock", clock)
    return RateMetric(
        name="responded_within",
        numerator=_Within("first_response_at", limit, clock),
        denominator=every,
        population=population_of(include_bots),
        description=f"Conversations first answered within {limit}.",
        service_window=service_window,
    )


def handover_response_time(
    *, statistic: Statistic = "mean", clock: ServiceHours | None = None
) -> Metric:
    """转人工响应时长: seconds from the bot's hand-over to the human's first reply.

    The platforms' timing of a handed-over conversation (Douyin times the
    human from 转人工, not from the opening). Counts conversations with
    ``handed_over_at`` and a reply, for the human they were handed to;
    :func:`bot_wait_time` measures the bot's part. ``clock`` measures
    business time as in :func:`first_response_time`.
    """
    return _duration_metric(
        "handover_response_time",
        statistic,
        "first_response_at",
        _Set(("handed_over_at", "first_response_at")),
        "humans",
        "Seconds from the hand-over to the first human reply.",
        clock,
        "handed_over_at",
    )


@attrs.frozen
class _HandedInside:
    """Hand-overs with a known time, inside ``window`` if one is given."""

    window: ServiceHours | None

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        handed = rows["handed_over_at"]
        known = np.asarray(~np.isnat(handed), dtype=bool)
        if self.window is None:
            return known
        window = self.window
        inside: NDArray[np.bool_] = rows.derived(
            ("handed_inside", window), lambda: window.contains(handed)
        )
        return known & inside


def handover_responded_within(
    limit: timedelta = timedelta(minutes=3),
    *,
    clock: ServiceHours | None = None,
    service_window: ServiceHours | None = None,
) -> RateMetric:
    """Hand-overs answered within ``limit`` / hand-overs (转人工3分钟回复率).

    A hand-over nobody answered counts as not within the limit.

    Args:
        limit: The longest wait after the hand-over that counts as in time.
        clock: Measure the wait in business time on these service hours.
        service_window: Count only hand-overs made inside these hours
            (Douyin: 08:00–23:00).
    """
    limit = positive_timedelta(limit, "handover_responded_within", "limit")
    clock = checked("handover_responded_within", "clock", clock)
    window = checked("handover_responded_within", "service_window", service_window)
    return RateMetric(
        name="handover_responded_within",
        numerator=_Within("first_response_at", limit, clock, "handed_over_at"),
        denominator=_HandedInside(window),
        description=f"Hand-overs the human answered within {limit}.",
    )


def bot_wait_time(
    *, statistic: Statistic = "mean", clock: ServiceHours | None = None
) -> Metric:
    """Seconds a bot kept a conversation before handing it over (opened → hand-over).

    Measured for the bot (population ``"bots"``, grouped under the bot's id),
    apart from the human's :func:`handover_response_time`. Hand-overs
    without ``handed_over_at`` are left out.
    """
    return _duration_metric(
        "bot_wait_time",
        statistic,
        "handed_over_at",
        _Set(("handed_over_at",)),
        "bots",
        "Seconds from opening to the bot's hand-over.",
        clock,
    )


def resolution_time(
    *,
    statistic: Statistic = "mean",
    include_bots: bool = False,
    clock: ServiceHours | None = None,
) -> Metric:
    """Seconds from opening to closing (lower is better); open ones are left out.

    ``clock`` measures business time as in :func:`first_response_time`.
    """
    return _duration_metric(
        "resolution_time",
        statistic,
        "closed_at",
        closed,
        population_of(include_bots),
        "Seconds from opening to closing.",
        clock,
    )


@attrs.frozen
class _PendingExcluded:
    """Rows where ``column`` is set or the conversation is closed."""

    column: str

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        done = ~np.isnat(rows[self.column])
        return np.asarray(done | closed(rows), dtype=bool)


SLATarget = Literal["first_response", "resolution", "next_reply"]
TARGETS: tuple[SLATarget, ...] = get_args(SLATarget)


def sla_hit_rate(
    sla: SLAPolicy,
    target: SLATarget = "first_response",
    *,
    include_bots: bool = False,
    service_window: ServiceHours | None = None,
) -> RateMetric | ReplyMetric:
    """Conversations that met one target of ``sla`` / conversations it applies to.

    Named ``sla_<sla.name>_<target>`` so that several SLAs and targets can be
    measured, tiered and paid on side by side.

    * ``"first_response"``: met when the first reply came within the target
      on the SLA's clock. A conversation closed without a reply missed it; a
      conversation still open and unanswered is pending and not counted.
    * ``"resolution"``: met when it closed within the target; open
      conversations are pending and not counted.
    * ``"next_reply"``: per customer wait in the message events, met when
      the reply came within the target (:func:`replied_within`); an
      unanswered wait of a closed conversation missed it.

    Raises:
        ValidationError: if ``sla`` is not an :class:`SLAPolicy` or sets no
            ``target``.
    """
    if not all(hasattr(sla, a) for a in ("name", *TARGETS, "clock")):
        raise WrongTypeError("sla_hit_rate", "sla", sla, "must be an SLAPolicy")
    if not isinstance(target, str) or target not in TARGETS:
        raise ValidationError(
            "sla_hit_rate",
            "target",
            target,
            "must be 'first_response', 'resolution' or 'next_reply'",
        )
    limit = getattr(sla, target)
    if limit is None:
        raise ValidationError(
            "sla_hit_rate", "target", target, f"is not set in SLA {sla.name!r}"
        )
    if target == "next_reply":
        return replied_within(
            limit,
            include_bots=include_bots,
            clock=sla.clock,
            service_window=service_window,
            name=f"sla_{sla.name}_next_reply",
        )
    column = "first_response_at" if target == "first_response" else "closed_at"
    return RateMetric(
        name=f"sla_{sla.name}_{target}",
        numerator=_Within(column, limit, sla.clock),
        denominator=_PendingExcluded(column),
        population=population_of(include_bots),
        description=(
            f"Conversations meeting the {target.replace('_', ' ')} target of "
            f"SLA {sla.name} ({limit}"
            + (f", business time: {sla.clock})." if sla.clock else ").")
        ),
        service_window=service_window,
    )
