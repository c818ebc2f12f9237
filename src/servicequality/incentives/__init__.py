"""From assessments to pay and recognition: exact, explained amounts.

Money is :class:`decimal.Decimal` in the plan's currency, quantized to its
minor unit; pools are split by largest remainder so shares add up exactly.
"""

from servicequality._results import Results
from servicequality.incentives._backtest import Backtest, BacktestAgent, backtest
from servicequality.incentives._cycle import Adjustment, LockedLine, LockedStatement
from servicequality.incentives._development import (
    MIN_SAMPLE,
    ConsecutivePeriods,
    NotRecognised,
    Recognition,
    TopShare,
)
from servicequality.incentives._disputes import Dispute, DisputedLine, DisputeStatus
from servicequality.incentives._eligibility import Eligibility
from servicequality.incentives._money import (
    MAX_AMOUNT,
    MINOR_UNITS,
    Currency,
    allocate,
)
from servicequality.incentives._plan import (
    IncentivePlan,
    PayoutStatement,
    PlanComparison,
    PlanDifference,
    compare_plans,
)
from servicequality.incentives._praise import (
    BestCase,
    Praise,
    best_cases,
    best_cases_excluded,
    praise_digest,
)
from servicequality.incentives._protocol import (
    Exclusion,
    Payee,
    PayoutLine,
    Rule,
    RuleOutcome,
    Unallocated,
)
from servicequality.incentives._rules import (
    COMPOSITE_SCORE,
    PerPoint,
    PoolShare,
    ThresholdBonus,
    TieredBonus,
)
from servicequality.incentives._schedule import PlanSchedule, PlanVersion

__all__ = [
    "COMPOSITE_SCORE",
    "MAX_AMOUNT",
    "MINOR_UNITS",
    "MIN_SAMPLE",
    "Adjustment",
    "Backtest",
    "BacktestAgent",
    "BestCase",
    "ConsecutivePeriods",
    "Currency",
    "Dispute",
    "DisputeStatus",
    "DisputedLine",
    "Eligibility",
    "Exclusion",
    "IncentivePlan",
    "LockedLine",
    "LockedStatement",
    "NotRecognised",
    "Payee",
    "PayoutLine",
    "PayoutStatement",
    "PerPoint",
    "PlanComparison",
    "PlanDifference",
    "PlanSchedule",
    "PlanVersion",
    "PoolShare",
    "Praise",
    "Recognition",
    "Results",
    "Rule",
    "RuleOutcome",
    "ThresholdBonus",
    "TieredBonus",
    "TopShare",
    "Unallocated",
    "allocate",
    "backtest",
    "best_cases",
    "best_cases_excluded",
    "compare_plans",
    "praise_digest",
]
