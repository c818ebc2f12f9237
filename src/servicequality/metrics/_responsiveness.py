"""Responsiveness: reply and resolution times, answered-within and SLA rates."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Literal

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

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

    from servicequality._engine._facts import Rows
    from servicequality._hours import ServiceHours
    from servicequality._sla import SLAPolicy

__all__ = [
    "SLATarget",
    "first_response_time",
    "resolution_time",
    "responded_within",
    "sla_hit_rate",
]


def _replied(rows: Rows) -> NDArray[np.bool_]:
    return np.asarray(~np.isnat(rows["first_response_at"]), dtype=bool)


@attrs.frozen
class _Elapsed:
    """Seconds from opening to ``column`` on ``clock`` (calendar time if None)."""

    column: str
    clock: ServiceHours | None

    def __call__(self, rows: Rows) -> NDArray[np.float64]:
        return rows.elapsed(self.column, self.clock)


def _duration_metric(  # noqa: PLR0917  # private helper, every argument distinct
    name: str,
    statistic: Statistic,
    column: str,
    where: Callable[[Rows], NDArray[np.bool_]],
    population: Literal["humans", "all"],
    description: str,
    clock: ServiceHours | None,
) -> Metric:
    values = _Elapsed(column, checked(name, "clock", clock))
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
    """Rows whose ``column`` came within ``limit`` of opening, on ``clock``."""

    column: str
    limit: timedelta
    clock: ServiceHours | None

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        with np.errstate(invalid="ignore"):
            return rows.elapsed(self.column, self.clock) <= (
                self.limit / timedelta(seconds=1)
            )


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


SLATarget = Literal["first_response", "resolution"]
_TARGETS = ("first_response", "resolution")


def sla_hit_rate(
    sla: SLAPolicy,
    target: SLATarget = "first_response",
    *,
    include_bots: bool = False,
    service_window: ServiceHours | None = None,
) -> RateMetric:
    """Conversations that met one target of ``sla`` / conversations it applies to.

    Named ``sla_<sla.name>_<target>`` so that several SLAs and targets can be
    measured, tiered and paid on side by side.

    * ``"first_response"``: met when the first reply came within the target
      on the SLA's clock. A conversation closed without a reply missed it; a
      conversation still open and unanswered is pending and not counted.
    * ``"resolution"``: met when it closed within the target; open
      conversations are pending and not counted.

    Raises:
        ValidationError: if ``sla`` is not an :class:`SLAPolicy` or sets no
            ``target``.
    """
    if not all(hasattr(sla, a) for a in ("name", *_TARGETS, "clock")):
        raise WrongTypeError("sla_hit_rate", "sla", sla, "must be an SLAPolicy")
    if target not in _TARGETS:
        raise ValidationError(
            "sla_hit_rate", "target", target, "must be 'first_response' or 'resolution'"
        )
    limit = getattr(sla, target)
    if limit is None:
        raise ValidationError(
            "sla_hit_rate", "target", target, f"is not set in SLA {sla.name!r}"
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
