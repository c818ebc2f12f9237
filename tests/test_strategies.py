"""The public hypothesis strategies produce valid, registered values."""

import importlib.metadata
import os
import pathlib
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicequality import (
    Agent,
    Conversation,
    ConversationTable,
    KnowledgeTest,
    QualityReview,
    Rating,
    RatingScale,
    Role,
    TableRecords,
)
from servicequality import strategies as sqst

SRC = pathlib.Path(__file__).parent.parent / "src"


class TestRegistration:
    @given(
        st.sampled_from(
            [Conversation, Rating, Agent, QualityReview, KnowledgeTest, RatingScale]
        ).flatmap(lambda kind: st.tuples(st.just(kind), st.from_type(kind)))
    )
    def test_from_type_builds_each_value_type(self, kind_and_value):
        """st.from_type works for every record type."""
        kind, value = kind_and_value
        assert isinstance(value, kind)

    @given(st.from_type(ConversationTable))
    def test_from_type_builds_tables(self, table):
        """Whole tables come out valid, with nothing rejected."""
        assert table.rejects == ()


class TestTableRecords:
    @given(sqst.table_records(min_size=3, max_size=6, roster=True))
    def test_records_are_consistent(self, records):
        """Unique ids; bots hand over to humans only; one rating each."""
        assert isinstance(records, TableRecords)
        ids = [c.id for c in records.conversations]
        assert len(ids) == len(set(ids))
        assert 3 <= len(ids) <= 6
        roles = {a.id: a.role for a in records.agents}
        for conversation in records.conversations:
            if conversation.transferred_to is not None:
                assert roles[conversation.agent_id] is Role.BOT
                assert roles[conversation.transferred_to] is Role.AGENT
        rated = [r.conversation_id for r in records.ratings]
        assert len(rated) == len(set(rated))

    @given(sqst.tables(roster=False))
    def test_roster_can_be_left_out(self, table):
        """roster=False builds tables without agents."""
        assert table.agents == ()


class TestEntryPoint:
    def test_the_hook_is_not_public(self):
        """The plug-in hook stays importable but out of ``__all__``."""
        assert "_hypothesis_setup_hook" not in sqst.__all__
        assert callable(sqst._hypothesis_setup_hook)

    def test_the_entry_point_loads_the_hook(self):
        """The installed ``hypothesis`` entry point resolves to the hook."""
        (entry,) = [
            e
            for e in importlib.metadata.entry_points(group="hypothesis")
            if e.value.startswith("servicequality")
        ]
        assert entry.load() is sqst._hypothesis_setup_hook

    @pytest.mark.parametrize(
        "code",
        [
            "import servicequality.strategies",
            "import hypothesis, servicequality.strategies",
            "from hypothesis import strategies as st\n"
            "from servicequality import Agent\n"
            "assert 'agents()' in repr(st.from_type(Agent))",
        ],
    )
    def test_any_import_order_works(self, code):
        """Importing the strategies before hypothesis no longer half-imports them."""
        done = subprocess.run(  # our own interpreter, fixed code
            [sys.executable, "-W", "error", "-c", code],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": str(SRC)},
        )
        assert done.returncode == 0, done.stderr
