"""The public hypothesis strategies produce valid, registered values."""

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
