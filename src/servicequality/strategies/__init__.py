"""Hypothesis strategies for every value type (needs the ``hypothesis`` extra).

Importing this module also registers the strategies with
``hypothesis.strategies.from_type``, so ``st.from_type(Conversation)`` works;
with servicequality installed, hypothesis does that on its own through its
plug-in entry point.
"""

# the hook first: hypothesis may call it while this package is half imported
from servicequality.strategies._hook import (
    _hypothesis_setup_hook as _hypothesis_setup_hook,
)
from servicequality.strategies._strategies import (
    agents,
    aware_datetimes,
    conversations,
    knowledge_tests,
    quality_reviews,
    rating_scales,
    ratings,
    table_records,
    tables,
)

__all__ = [
    "agents",
    "aware_datetimes",
    "conversations",
    "knowledge_tests",
    "quality_reviews",
    "rating_scales",
    "ratings",
    "table_records",
    "tables",
]
