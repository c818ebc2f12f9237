"""Reviews: the weekly review, the one-to-one, data quality, votes, invitations."""

from servicequality.review._invitations import (
    DEFAULT_DELAYS,
    InvitationReport,
    InvitationRow,
    invitation_report,
)
from servicequality.review._oneonone import (
    ONE_TO_ONE_METRICS,
    MetricReview,
    OneToOne,
    one_to_one,
)
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
    "DEFAULT_DELAYS",
    "ONE_TO_ONE_METRICS",
    "REVIEWED_METRICS",
    "Change",
    "DataQualityReport",
    "InvitationReport",
    "InvitationRow",
    "MetricReview",
    "OneToOne",
    "QualityFinding",
    "QualityRow",
    "SegmentFinding",
    "VoteDistribution",
    "WeeklyReview",
    "data_quality",
    "invitation_report",
    "one_to_one",
    "vote_distribution",
    "weekly_review",
]
