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
from servicequality._history import (
    ExclusionReason,
    RatingExclusion,
    as_of,
    exclude_ratings,
)
from servicequality._hours import ServiceHours
from servicequality._intake import Reject
from servicequality._messages import Message, MessageTable, Sender
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
from servicequality._results import to_frame
from servicequality._schema import SCHEMA, Column
from servicequality._sla import SLAPolicy
from servicequality._table import ConversationTable, TableRecords
from servicequality._version import __version__

__all__ = [
    "SCHEMA",
    "Accumulator",
    "Agent",
    "Calendar",
    "CellRows",
    "Channel",
    "Column",
    "Conversation",
    "ConversationTable",
    "Daily",
    "DayOfWeek",
    "Difficulty",
    "DifficultyCoefficients",
    "ExclusionReason",
    "HourOfDay",
    "KnowledgeTest",
    "Measurement",
    "Measurements",
    "Message",
    "MessageTable",
    "Monthly",
    "Period",
    "PolicyError",
    "QualityReview",
    "Quarterly",
    "Rating",
    "RatingExclusion",
    "RatingScale",
    "Reject",
    "Role",
    "SLAPolicy",
    "Sender",
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
    "as_of",
    "exclude_ratings",
    "measure",
    "to_frame",
]
