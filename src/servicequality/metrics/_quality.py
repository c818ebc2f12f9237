"""Quality: quality reviews, knowledge tests, empathy and emotion (S4 §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from servicequality._model import Sentiment
from servicequality.metrics._base import (
    MeanMetric,
    RateMetric,
)
from servicequality.metrics._common import (
    reviewed,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from servicequality._engine._facts import Rows

__all__ = [
    "emotion_conversion",
    "empathy_score",
    "knowledge_score",
    "reply_accuracy",
    "script_compliance",
]


def _accurate(rows: Rows) -> NDArray[np.bool_]:
    return rows["review_accurate"]


def _compliant(rows: Rows) -> NDArray[np.bool_]:
    return rows["review_script_compliant"]


def reply_accuracy() -> RateMetric:
    """回复准确率: reviewed conversations with accurate replies / reviewed."""
    return RateMetric(
        name="reply_accuracy",
        numerator=_accurate,
        denominator=reviewed,
        description="Reviewed conversations whose replies were accurate.",
    )


def script_compliance() -> RateMetric:
    """话术规范执行率: reviewed conversations that followed the script / reviewed."""
    return RateMetric(
        name="script_compliance",
        numerator=_compliant,
        denominator=reviewed,
        description="Reviewed conversations that followed the service script.",
    )


def _test_share(rows: Rows) -> NDArray[np.float64]:
    tests = rows.table.knowledge_tests
    return np.asarray(tests["score"] / tests["max_score"])


def _every_test(rows: Rows) -> NDArray[np.bool_]:
    return np.ones(len(rows.table.knowledge_tests["score"]), dtype=bool)


def knowledge_score() -> MeanMetric:
    """专业知识测试得分: mean of score / max_score over knowledge tests, in 0..1.

    Grouped by the agent tested and, for calendars, by ``taken_at``.
    """
    return MeanMetric(
        name="knowledge_score",
        values=_test_share,
        where=_every_test,
        unit="share",
        reads="knowledge_tests",
        description="Mean share of knowledge-test points scored.",
    )


def _opened_negative(rows: Rows) -> NDArray[np.bool_]:
    return np.asarray(
        (rows["sentiment_start"] == Sentiment.NEGATIVE.code)
        & (rows["sentiment_end"] >= 0),
        dtype=bool,
    )


def _closed_better(rows: Rows) -> NDArray[np.bool_]:
    return rows["sentiment_end"] >= Sentiment.NEUTRAL.code


def emotion_conversion() -> RateMetric:
    """客户情绪转化率: opened negative and closed neutral or positive / opened negative.

    Only conversations with a known closing sentiment count.
    """
    return RateMetric(
        name="emotion_conversion",
        numerator=_closed_better,
        denominator=_opened_negative,
        description="Negative openings turned neutral or positive.",
    )


def _empathy(rows: Rows) -> NDArray[np.float64]:
    return rows["review_empathy"].astype(np.float64)


def empathy_score() -> MeanMetric:
    """同理心评分: mean review empathy, 1 to 5."""
    return MeanMetric(
        name="empathy_score",
        values=_empathy,
        where=reviewed,
        unit="score",
        description="Mean empathy score of quality reviews.",
    )
