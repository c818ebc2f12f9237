"""The weekly data review and data quality: hot spots, non-response, selection."""

from servicequality.review._quality import (
    DataQualityReport,
    QualityFinding,
    QualityRow,
    data_quality,
)
from servicequality.review._votes import VoteDistribution, vote_distribution
from servicequality.review._weekly import (
    REVIEWED_METRICS,
    Change,
    SegmentFinding,
    WeeklyReview,
    weekly_review,
)

__all__ = [
    "REVIEWED_METRICS",
    "Change",
    "DataQualityReport",
    "QualityFinding",
    "QualityRow",
    "SegmentFinding",
    "VoteDistribution",
    "WeeklyReview",
    "data_quality",
    "vote_distribution",
    "weekly_review",
]
