"""From measurements to judgements: tiers, scorecards, schedules and case mix."""

from servicequality.policy import presets
from servicequality.policy._assess import (
    Assessment,
    Judgement,
    PolicySchedule,
    PolicyVersion,
    classify,
)
from servicequality.policy._casemix import CASE_MIX_CELLS, CaseMixRatio, case_mix_ratio
from servicequality.policy._scorecard import (
    Contribution,
    Dimension,
    Scorecard,
    ScorecardComponent,
    ScoreLine,
)
from servicequality.policy._tiers import INSUFFICIENT_DATA, Tier, TierPolicy

__all__ = [
    "CASE_MIX_CELLS",
    "INSUFFICIENT_DATA",
    "Assessment",
    "CaseMixRatio",
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
    "case_mix_ratio",
    "classify",
    "presets",
]
