"""Resolution: first contact, repeats, escalation and crises (S4 §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from servicequality._model import Difficulty
from servicequality.metrics._base import (
    RateMetric,
)
from servicequality.metrics._common import (
    DEFAULT_WINDOW,
    case_window,
    every,
    population_of,
    resolved,
)

if TYPE_CHECKING:
    from datetime import timedelta

    from numpy.typing import NDArray

    from servicequality._engine._facts import Rows
    from servicequality._hours import ServiceHours

__all__ = [
    "crisis_success",
    "escalation_rate",
    "first_contact_resolution",
    "repeat_inquiry_rate",
    "resolution_rate",
]


@attrs.frozen
class _FirstOfCase:
    """The first conversation of each case (cases chained within ``window``)."""

    window: timedelta

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        return rows.cases(self.window).first


@attrs.frozen
class _SolvedFirstTime:
    """First conversations of one-conversation cases that were resolved."""

    window: timedelta

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        cases = rows.cases(self.window)
        return np.asarray(
            cases.first & rows["resolved"] & (cases.size == 1), dtype=bool
        )


@attrs.frozen
class _Repeat:
    """Conversations that are not the first of their case."""

    window: timedelta

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        return ~rows.cases(self.window).first


def first_contact_resolution(
    *,
    window: timedelta = DEFAULT_WINDOW,
    include_bots: bool = False,
    service_window: ServiceHours | None = None,
) -> RateMetric:
    """首次解决率: cases solved in their first conversation / cases.

    A case is ``case_id`` where given, else a chain of conversations by the
    same customer on the same topic, each within ``window`` of the previous
    one. A case counts as solved first time when its first conversation is
    resolved and no further conversation follows. Counted for the handler,
    period and attributes of the case's first conversation.

    ``service_window`` counts only conversations opened inside it.
    """
    window = case_window(window, "first_contact_resolution")
    return RateMetric(
        name="first_contact_resolution",
        numerator=_SolvedFirstTime(window),
        denominator=_FirstOfCase(window),
        population=population_of(include_bots),
        description="Cases solved in their first conversation.",
        service_window=service_window,
        needs_history=True,
    )


def repeat_inquiry_rate(
    *,
    window: timedelta = DEFAULT_WINDOW,
    include_bots: bool = False,
    service_window: ServiceHours | None = None,
) -> RateMetric:
    """重复咨询率: conversations that are not the first of their case / conversations.

    Cases as in :func:`first_contact_resolution`. The flag needs a
    customer's whole history, so it is derived over the whole table given.

    ``service_window`` counts only conversations opened inside it.
    """
    window = case_window(window, "repeat_inquiry_rate")
    return RateMetric(
        name="repeat_inquiry_rate",
        numerator=_Repeat(window),
        denominator=every,
        higher_is_better=False,
        population=population_of(include_bots),
        description="Conversations that repeat an earlier one of the same case.",
        service_window=service_window,
        needs_history=True,
    )


def _escalated(rows: Rows) -> NDArray[np.bool_]:
    return rows["escalated"]


def escalation_rate(
    *, include_bots: bool = False, service_window: ServiceHours | None = None
) -> RateMetric:
    """投诉升级率: conversations escalated to a supervisor / conversations.

    ``service_window`` counts only conversations opened inside it.
    """
    return RateMetric(
        name="escalation_rate",
        numerator=_escalated,
        denominator=every,
        higher_is_better=False,
        population=population_of(include_bots),
        description="Conversations escalated to a supervisor.",
        service_window=service_window,
    )


def resolution_rate(
    *, include_bots: bool = False, service_window: ServiceHours | None = None
) -> RateMetric:
    """Resolved conversations / conversations, a share in 0..1.

    ``service_window`` counts only conversations opened inside it.
    """
    return RateMetric(
        name="resolution_rate",
        numerator=resolved,
        denominator=every,
        population=population_of(include_bots),
        description="Conversations resolved.",
        service_window=service_window,
    )


def _crisis(rows: Rows) -> NDArray[np.bool_]:
    return np.asarray(rows["difficulty"] == Difficulty.CRISIS.code, dtype=bool)


def crisis_success() -> RateMetric:
    """危机处理成功率: resolved crisis conversations / crisis conversations."""
    return RateMetric(
        name="crisis_success",
        numerator=resolved,
        denominator=_crisis,
        description="Crisis conversations resolved.",
    )
