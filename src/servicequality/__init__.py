"""Fair, explainable customer-service metrics, tiers and incentives.

Everything a user needs is importable from here; implementation modules
start with ``_`` and may move without notice.
"""

from servicequality._coefficients import DifficultyCoefficients
from servicequality._engine._measure import (
    Accumulator,
    CellRows,
    Measurement,
    Measurements,
    measure,
)
from servicequality._errors import (
    PolicyError,
    ServiceQualityError,
    UnknownKeyError,
    ValidationError,
    WrongTypeError,
)
from servicequality._hours import ServiceHours
from servicequality._intake import Reject
from servicequality._model import (
    Agent,
    Channel,
    Conversation,
    Difficulty,
    KnowledgeTest,
    QualityReview,
    Rating,
    RatingScale,
    Role,
    Sentiment,
)
from servicequality._periods import (
    Calendar,
    Daily,
    DayOfWeek,
    HourOfDay,
    Monthly,
    Period,
    Quarterly,
    TimeGrouping,
    Weekly,
    Yearly,
)
from servicequality._sla import SLAPolicy
from servicequality._table import ConversationTable, TableRecords
from servicequality._version import __version__

__all__ = [
    "Accumulator",
    "Agent",
    "Calendar",
    "CellRows",
    "Channel",
    "Conversation",
    "ConversationTable",
    "Daily",
    "DayOfWeek",
    "Difficulty",
    "DifficultyCoefficients",
    "HourOfDay",
    "KnowledgeTest",
    "Measurement",
    "Measurements",
    "Monthly",
    "Period",
    "PolicyError",
    "QualityReview",
    "Quarterly",
    "Rating",
    "RatingScale",
    "Reject",
    "Role",
    "SLAPolicy",
    "Sentiment",
    "ServiceHours",
    "ServiceQualityError",
    "TableRecords",
    "TimeGrouping",
    "UnknownKeyError",
    "ValidationError",
    "Weekly",
    "WrongTypeError",
    "Yearly",
    "__version__",
    "measure",
]
