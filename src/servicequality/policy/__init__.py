"""From measurements to judgements: tiers, scorecards and policy schedules."""

from servicequality.policy import presets
from servicequality.policy._assess import (
    Assessment,
    Judgement,
    PolicySchedule,
    PolicyVersion,
    classify,
)
from servicequality.policy._scorecard import (
    Contribution,
    Dimension,
    Scorecard,
    ScorecardComponent,
    ScoreLine,
)
from servicequality.policy._tiers import INSUFFICIENT_DATA, Tier, TierPolicy

__all__ = [
    "INSUFFICIENT_DATA",
    "Assessment",
    "Contribution",
    "Dimension",
    "Judgement",
    "PolicySchedule",
    "PolicyVersion",
    "ScoreLine",
    "Scorecard",
    "ScorecardComponent",
    "Tier",
    "TierPolicy",
    "classify",
    "presets",
]
