"""Automation: what bots finish alone and what they hand to humans (S0 §4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from servicequality.metrics._base import (
    RateMetric,
)
from servicequality.metrics._common import (
    every,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from servicequality._engine._facts import Rows
    from servicequality._hours import ServiceHours

__all__ = ["bot_containment", "transfer_rate"]


def _handed_over(rows: Rows) -> NDArray[np.bool_]:
    return rows["transferred_to"] >= 0


def _contained(rows: Rows) -> NDArray[np.bool_]:
    return rows["transferred_to"] < 0


def bot_containment(*, service_window: ServiceHours | None = None) -> RateMetric:
    """智能客服: bot conversations not handed to a human / bot conversations.

    ``service_window`` counts only conversations opened inside it.
    """
    return RateMetric(
        name="bot_containment",
        numerator=_contained,
        denominator=every,
        population="bots",
        description="Bot conversations the bot finished without a human.",
        service_window=service_window,
    )


def transfer_rate(*, service_window: ServiceHours | None = None) -> RateMetric:
    """转接人工: bot conversations handed to a human / bot conversations.

    Lower is better.

    ``service_window`` counts only conversations opened inside it.
    """
    return RateMetric(
        name="transfer_rate",
        numerator=_handed_over,
        denominator=every,
        higher_is_better=False,
        population="bots",
        description="Bot conversations handed over to a human.",
        service_window=service_window,
    )
