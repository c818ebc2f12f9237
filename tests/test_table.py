"""ConversationTable: building, rejecting, round trips, transforming."""

from datetime import UTC, datetime, timedelta

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicequality import (
    Agent,
    Channel,
    Conversation,
    ConversationTable,
    Difficulty,
    KnowledgeTest,
    QualityReview,
    Rating,
    RatingScale,
    Role,
    TableRecords,
    ValidationError,
)
from servicequality import strategies as sqst

T0 = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
ROSTER = (
    Agent(id="a1", role=Role.AGENT, team="presale"),
    Agent(id="a2", role=Role.AGENT, team="aftersale"),
    Agent(id="s1", role=Role.SUPERVISOR),
    Agent(id="bot", role=Role.BOT),
)


def conversation(i, **changes):
    base = {
        "id": f"c{i}",
        "agent_id": "a1",
        "customer_id": f"u{i % 3}",
        "opened_at": T0 + timedelta(hours=i),
        "closed_at": T0 + timedelta(hours=i, minutes=10),
        "first_response_at": T0 + timedelta(hours=i, minutes=1),
        "channel": Channel.CHAT,
        "difficulty": Difficulty.BASIC,
        "resolved": True,
        "escalated": False,
        "rating_invited": True,
    }
    return Conversation(**{**base, **changes})


def rating(conversation_id, score=3):
    return Rating(
        conversation_id=conversation_id, score=score, scale=RatingScale.THREE_LEVEL
    )


def review(conversation_id):
    return QualityReview(
        conversation_id=conversation_id,
        reviewer_id="s1",
        accurate=True,
        script_compliant=False,
        empathy=4,
    )


def build(records, **options):
    return ConversationTable.from_records(
        records.conversations,
        ratings=records.ratings,
        reviews=records.reviews,
        agents=records.agents,
        knowledge_tests=records.knowledge_tests,
        **options,
    )


class TestFromRecords:
    def test_columns_hold_codes_into_sorted_vocabularies(self):
        """Ids become codes; the vocabulary is sorted; None is -1."""
        table = ConversationTable.from_records(
            [conversation(1, agent_id="a2"), conversation(2, topic="sizing")]
        )
        assert table.vocabulary("agent_id").tolist() == ["a1", "a2"]
        assert table["agent_id"].tolist() == [1, 0]
        assert table["topic"].tolist() == [-1, 0]
        assert table["channel"].tolist() == [Channel.CHAT.code] * 2
        assert table["opened_at"][0] == np.datetime64("2025-11-03T10:00", "us")

    def test_columns_are_read_only(self):
        """Nobody can change a table after it is built."""
        table = ConversationTable.from_records([conversation(1)])
        with pytest.raises(ValueError, match="read-only"):
            table["resolved"][0] = False

    def test_ratings_and_reviews_fold_into_rows(self):
        """One rating and one review per conversation, by id."""
        table = ConversationTable.from_records(
            [conversation(1), conversation(2)],
            ratings=[rating("c2", 1)],
            reviews=[review("c1")],
        )
        assert table["rating_scale"].tolist() == [-1, 0]
        assert table["rating_score"][1] == 1
        assert table.rating_scales == (RatingScale.THREE_LEVEL,)
        assert table["reviewer_id"].tolist() == [0, -1]
        assert table["review_empathy"][0] == 4

    def test_roster_sets_roles_and_unlisted_ids_are_agents(self):
        """The roster gives roles; without one everyone is a human agent."""
        handed = conversation(1, agent_id="bot", transferred_to="a2")
        with_roster = ConversationTable.from_records([handed], agents=ROSTER)
        roles = dict(
            zip(
                with_roster.vocabulary("agent_id").tolist(),
                with_roster.agent_roles.tolist(),
                strict=True,
            )
        )
        assert roles == {
            "a1": Role.AGENT.code,
            "a2": Role.AGENT.code,
            "bot": Role.BOT.code,
            "s1": Role.SUPERVISOR.code,
        }
        bare = ConversationTable.from_records([handed])
        assert bare.agent_roles.tolist() == [Role.AGENT.code] * 2
        assert bare.agents == ()

    def test_knowledge_tests_are_kept_as_columns(self):
        """Tests are per agent, not per conversation."""
        test = KnowledgeTest(agent_id="a2", taken_at=T0, score=8, max_score=10)
        table = ConversationTable.from_records(
            [conversation(1)], knowledge_tests=[test]
        )
        assert table.knowledge_tests["score"].tolist() == [8.0]
        agent = table.vocabulary("agent_id")[table.knowledge_tests["agent_id"][0]]
        assert agent == "a2"

    def test_mappings_are_accepted(self):
        """Plain data (for example parsed JSON) is as good as records."""
        table = ConversationTable.from_records(
            [conversation(1).to_dict()], ratings=[rating("c1").to_dict()]
        )
        assert table.to_records().conversations == (conversation(1),)

    def test_errors_must_be_raise_or_collect(self):
        """A typo in errors= is not silently 'raise'."""
        with pytest.raises(ValidationError, match="errors"):
            ConversationTable.from_records([], errors="ignore")

    def test_empty_input_builds_an_empty_table(self):
        """No conversations is a valid, empty table."""
        table = ConversationTable.from_records([])
        assert len(table) == 0
        assert table.to_records() == TableRecords(conversations=())


BAD_CASES = [
    # (conversations, ratings, reviews, agents, tests, kind, index, field)
    ([conversation(1), conversation(1)], [], [], [], [], "conversation", 1, "id"),
    (
        [conversation(1, agent_id="zz")],
        [],
        [],
        ROSTER,
        [],
        "conversation",
        0,
        "agent_id",
    ),
    (
        [conversation(1, agent_id="bot", transferred_to="zz")],
        [],
        [],
        ROSTER,
        [],
        "conversation",
        0,
        "transferred_to",
    ),
    (
        [conversation(1, agent_id="a1", transferred_to="bot")],
        [],
        [],
        ROSTER,
        [],
        "conversation",
        0,
        "transferred_to",
    ),
    ([conversation(1)], [rating("c9")], [], [], [], "rating", 0, "conversation_id"),
    (
        [conversation(1)],
        [rating("c1"), rating("c1", 2)],
        [],
        [],
        [],
        "rating",
        1,
        "conversation_id",
    ),
    ([conversation(1)], [], [review("c9")], [], [], "review", 0, "conversation_id"),
    (
        [conversation(1)],
        [],
        [review("c1"), review("c1")],
        [],
        [],
        "review",
        1,
        "conversation_id",
    ),
    ([conversation(1)], [], [], [*ROSTER, ROSTER[0]], [], "agent", 4, "id"),
    (
        [conversation(1)],
        [],
        [],
        ROSTER,
        [KnowledgeTest(agent_id="zz", taken_at=T0, score=1, max_score=2)],
        "knowledge_test",
        0,
        "agent_id",
    ),
    ([{"id": "c1"}], [], [], [], [], "conversation", 0, "agent_id"),
    (
        [conversation(1)],
        [{"conversation_id": "c1", "score": 9, "scale": "three_level"}],
        [],
        [],
        [],
        "rating",
        0,
        "score",
    ),
]


class TestRejects:
    @pytest.mark.parametrize(
        (
            "conversations",
            "ratings",
            "reviews",
            "agents",
            "tests",
            "kind",
            "index",
            "field",
        ),
        BAD_CASES,
    )
    def test_each_rule_raises_with_its_field(
        self, conversations, ratings, reviews, agents, tests, kind, index, field
    ):
        """errors='raise' stops at the bad record and names field and row."""
        with pytest.raises(ValidationError) as info:
            ConversationTable.from_records(
                conversations,
                ratings=ratings,
                reviews=reviews,
                agents=agents,
                knowledge_tests=tests,
            )
        assert field == info.value.field
        assert index == info.value.index
        assert f"(row {index})" in str(info.value)

    @pytest.mark.parametrize(
        (
            "conversations",
            "ratings",
            "reviews",
            "agents",
            "tests",
            "kind",
            "index",
            "field",
        ),
        BAD_CASES,
    )
    def test_each_rule_is_collected(
        self, conversations, ratings, reviews, agents, tests, kind, index, field
    ):
        """errors='collect' keeps the good records and lists the bad one."""
        table = ConversationTable.from_records(
            conversations,
            ratings=ratings,
            reviews=reviews,
            agents=agents,
            knowledge_tests=tests,
            errors="collect",
        )
        (reject,) = table.rejects
        assert (kind, index, field) == (reject.kind, reject.index, reject.field)
        rejected = 1 if kind == "conversation" else 0
        assert len(conversations) == len(table) + rejected

    def test_rating_of_a_rejected_conversation_is_rejected_too(self):
        """A rating never attaches to a conversation that was left out."""
        table = ConversationTable.from_records(
            [conversation(1, agent_id="zz")],
            ratings=[rating("c1")],
            agents=ROSTER,
            errors="collect",
        )
        assert [(r.kind, r.field) for r in table.rejects] == [
            ("conversation", "agent_id"),
            ("rating", "conversation_id"),
        ]

    def test_collect_reports_every_bad_record_in_order(self):
        """Rejects are sorted by kind, then by input position."""
        table = ConversationTable.from_records(
            [conversation(3), {"id": ""}, conversation(3), conversation(4)],
            ratings=[rating("c9"), rating("c4")],
            errors="collect",
        )
        assert [(r.kind, r.index) for r in table.rejects] == [
            ("conversation", 1),
            ("conversation", 2),
            ("rating", 0),
        ]
        assert len(table) == 2
        assert "c3" in table.rejects[1].reason


class TestProperties:
    @given(sqst.table_records())
    def test_to_records_gives_back_the_input(self, records):
        """to_records(from_records(x)) == x (ratings and reviews as sets)."""
        back = build(records).to_records()
        assert records.conversations == back.conversations
        assert set(records.ratings) == set(back.ratings)
        assert set(records.reviews) == set(back.reviews)
        assert records.agents == back.agents
        assert records.knowledge_tests == back.knowledge_tests

    @given(sqst.table_records(), st.randoms(use_true_random=False))
    def test_input_order_does_not_change_the_table(self, records, random):
        """Shuffled input gives the same vocabularies and a permuted table."""
        shuffled = attrs.evolve(
            records,
            conversations=tuple(
                random.sample(records.conversations, len(records.conversations))
            ),
            ratings=tuple(random.sample(records.ratings, len(records.ratings))),
        )
        first, second = build(records), build(shuffled)
        for name in ("conversation_id", "agent_id", "customer_id", "topic", "case_id"):
            assert first.vocabulary(name).tolist() == second.vocabulary(name).tolist()
        order_first = np.argsort(first["conversation_id"])
        order_second = np.argsort(second["conversation_id"])
        for name in first.column_names:
            np.testing.assert_array_equal(
                first[name][order_first], second[name][order_second]
            )

    @given(
        sqst.table_records(roster=True),
        st.lists(
            st.sampled_from(
                [
                    {"id": "bad"},
                    {"id": "c0", "agent_id": "a0"},
                    "not a mapping",
                ]
            ),
            max_size=4,
        ),
        st.lists(st.sampled_from(["duplicate", "stranger", "unrostered"]), max_size=4),
        st.randoms(use_true_random=False),
    )
    def test_accepted_plus_rejected_is_the_input(self, records, junk, faults, random):
        """With errors='collect' no conversation is lost, whatever the mix."""
        extra = []
        for position, fault in enumerate(faults):
            if fault == "duplicate" and records.conversations:
                extra.append(records.conversations[0])
            elif fault == "unrostered":
                extra.append(conversation(100 + position, agent_id="ghost"))
            else:
                extra.append(conversation(200 + position, agent_id="a0"))
        mixed = [*records.conversations, *junk, *extra]
        random.shuffle(mixed)
        table = ConversationTable.from_records(
            mixed, ratings=records.ratings, agents=records.agents, errors="collect"
        )
        rejected = [r for r in table.rejects if r.kind == "conversation"]
        assert len(mixed) == len(table) + len(rejected)
        assert len({r.index for r in rejected}) == len(rejected)


def arrays(n=3, **changes):
    columns = {
        "conversation_id": np.arange(n),
        "conversation_ids": [f"c{i}" for i in range(n)],
        "agent_id": np.zeros(n, dtype=np.int32),
        "agent_ids": ["a1", "a2", "bot"],
        "customer_id": np.zeros(n, dtype=np.int32),
        "customer_ids": ["u1"],
        "opened_at": np.array(["2025-11-03T09:00"] * n, dtype="datetime64[us]"),
        "channel": np.full(n, Channel.DM.code, dtype=np.int8),
        "difficulty": np.zeros(n, dtype=np.int8),
        "resolved": np.ones(n, dtype=bool),
        "escalated": np.zeros(n, dtype=bool),
        "rating_invited": np.ones(n, dtype=bool),
    }
    columns.update(changes)
    return columns


class TestFromArrays:
    def test_equals_from_records_on_the_same_data(self):
        """Both front doors reach the same table."""
        opened = np.array(
            ["2025-11-03T09:00", "2025-11-03T10:00"], dtype="datetime64[us]"
        )
        table = ConversationTable.from_arrays(
            **arrays(
                2,
                opened_at=opened,
                closed_at=opened + np.timedelta64(5, "m"),
                rating_scale=np.array([0, -1]),
                rating_scales=[RatingScale.FIVE_STAR],
                rating_score=np.array([5, 0]),
                channel=np.array(["dm", "email"]),
            )
        )
        records = table.to_records()
        assert records.conversations[1].channel is Channel.EMAIL
        assert records.conversations[0].closed_at == datetime(
            2025, 11, 3, 9, 5, tzinfo=UTC
        )
        assert records.ratings == (
            Rating(conversation_id="c0", score=5, scale=RatingScale.FIVE_STAR),
        )
        again = ConversationTable.from_records(
            records.conversations, ratings=records.ratings
        )
        assert again.to_records() == records

    def test_numeric_columns_are_not_copied(self):
        """The table views the caller's arrays and cannot write to them."""
        columns = arrays()
        table = ConversationTable.from_arrays(**columns)
        assert np.shares_memory(table["resolved"], columns["resolved"])
        assert np.shares_memory(table["opened_at"], columns["opened_at"])
        assert not table["resolved"].flags.writeable
        assert columns["resolved"].flags.writeable

    @pytest.mark.parametrize(
        ("changes", "field", "row"),
        [
            ({"agent_id": np.array([0, 3, 0], dtype=np.int32)}, "agent_id", 1),
            ({"conversation_id": np.array([0, 1, 1])}, "conversation_id", 2),
            ({"topic": np.array([-1, -1, 0])}, "topic", 2),
            ({"channel": np.array([0, 1, 9], dtype=np.int8)}, "channel", 2),
            ({"difficulty": np.array([0, -1, 0], dtype=np.int8)}, "difficulty", 1),
            (
                {
                    "opened_at": np.array(
                        ["2025-01-01", "NaT", "2025-01-01"], dtype="datetime64[us]"
                    )
                },
                "opened_at",
                1,
            ),
            (
                {
                    "closed_at": np.array(
                        ["NaT", "2025-11-03T08:00", "NaT"], dtype="datetime64[us]"
                    )
                },
                "closed_at",
                1,
            ),
            (
                {
                    "first_response_at": np.array(
                        ["NaT", "NaT", "2025-11-03T08:59"], dtype="datetime64[us]"
                    )
                },
                "first_response_at",
                2,
            ),
            (
                {
                    "closed_at": np.array(
                        ["2025-11-03T09:05"] * 3, dtype="datetime64[us]"
                    ),
                    "first_response_at": np.array(
                        ["NaT", "2025-11-03T09:06", "NaT"], dtype="datetime64[us]"
                    ),
                },
                "first_response_at",
                1,
            ),
            ({"transferred_to": np.array([-1, 0, -1])}, "transferred_to", 1),
            (
                {
                    "rating_scale": np.array([0, 0, -1]),
                    "rating_scales": [RatingScale.THREE_LEVEL],
                    "rating_score": np.array([3, 4, 9]),
                },
                "rating_score",
                1,
            ),
            (
                {
                    "reviewer_id": np.array([-1, -1, 0]),
                    "reviewer_ids": ["s1"],
                    "review_accurate": np.ones(3, dtype=bool),
                    "review_script_compliant": np.ones(3, dtype=bool),
                    "review_empathy": np.array([0, 0, 6]),
                },
                "review_empathy",
                2,
            ),
            (
                {"agent_id": np.array([0, 0, 2]), "agents": ROSTER[:2]},
                "agent_id",
                2,
            ),
            (
                {
                    "agent_id": np.array([2, 0, 0]),
                    "transferred_to": np.array([2 + 0, -1, -1]) * 0
                    + np.array([1, -1, -1]),
                    "agents": (ROSTER[0], ROSTER[3]),
                },
                "transferred_to",
                0,
            ),
            (
                {
                    "agent_id": np.array([2, 0, 0]),
                    "transferred_to": np.array([-1, 2, -1]),
                    "agents": (*ROSTER[:2], ROSTER[3]),
                },
                "transferred_to",
                1,
            ),
        ],
    )
    def test_bad_rows_are_named_or_collected(self, changes, field, row):
        """Each vectorised rule names its column and row, or rejects the row."""
        with pytest.raises(ValidationError) as info:
            ConversationTable.from_arrays(**arrays(**changes))
        assert (field, row) == (info.value.field, info.value.index)
        table = ConversationTable.from_arrays(**arrays(**changes), errors="collect")
        assert [(r.field, r.index) for r in table.rejects] == [(field, row)]
        assert len(table) == 2

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"resolved": np.ones(2, dtype=bool)}, "resolved"),
            ({"resolved": np.ones(3, dtype=np.int8)}, "resolved"),
            ({"agent_id": np.zeros(3)}, "agent_id"),
            ({"opened_at": np.zeros(3)}, "opened_at"),
            ({"channel": np.array(["dm", "fax", "dm"])}, "channel"),
            ({"agent_ids": ["a1", "a1"]}, "agent_ids"),
            ({"agent_ids": ["a1", " "]}, "agent_ids[1]"),
            ({"agent_ids": [["a1"]]}, "agent_ids"),
            ({"agent_ids": np.array([1, 2])}, "agent_ids"),
            ({"customer_ids": np.array(["u1", 2], dtype=object)}, "customer_ids[1]"),
            ({"rating_scale": np.zeros(3, dtype=int)}, "rating_score"),
            ({"rating_score": np.zeros(3, dtype=int)}, "rating_scale"),
            ({"reviewer_id": np.zeros(3, dtype=int)}, "review_accurate"),
            ({"agents": [ROSTER[0], ROSTER[0]]}, "agents"),
            ({"agents": ["a1"]}, "agents"),
            ({"rating_scales": ["five_star"]}, "rating_scales"),
            ({"rating_scales": [RatingScale.FIVE_STAR] * 2}, "rating_scales"),
            ({"knowledge_tests": ["test"]}, "knowledge_tests"),
            (
                {
                    "agents": ROSTER,
                    "knowledge_tests": [
                        KnowledgeTest(agent_id="zz", taken_at=T0, score=1, max_score=1)
                    ],
                },
                "agent_id",
            ),
            ({"errors": "skip"}, "errors"),
        ],
    )
    def test_malformed_input_always_raises(self, changes, field):
        """Shape, dtype and list problems are not row problems: they raise."""
        columns = arrays(**changes)
        with pytest.raises(ValidationError) as info:
            ConversationTable.from_arrays(**columns)
        assert field == info.value.field

    def test_unsorted_vocabularies_are_fine(self):
        """Code-to-id lists may come in any order."""
        table = ConversationTable.from_arrays(
            **arrays(
                agent_ids=["zed", "amy", "bot"], conversation_ids=["c2", "c1", "c0"]
            )
        )
        assert table.to_records().conversations[1].id == "c1"

    def test_roster_ids_missing_from_the_list_are_appended(self):
        """Agents only on the roster still get a code and a role."""
        table = ConversationTable.from_arrays(**arrays(agent_ids=["a1"], agents=ROSTER))
        assert table.vocabulary("agent_id").tolist() == ["a1", "a2", "s1", "bot"]
        assert table.agent_roles.tolist()[-1] == Role.BOT.code


class TestTransforming:
    def test_filter_keeps_rows_in_order(self):
        """A boolean mask selects rows; the rest of the table is kept."""
        table = ConversationTable.from_records(
            [conversation(i) for i in range(4)], ratings=[rating("c2")]
        )
        kept = table.filter(table["rating_scale"] >= 0)
        assert [c.id for c in kept.to_records().conversations] == ["c2"]
        assert kept.to_records().ratings == (rating("c2"),)

    def test_filter_needs_a_full_boolean_mask(self):
        """An index array or a short mask is an error, not a guess."""
        table = ConversationTable.from_records([conversation(1), conversation(2)])
        with pytest.raises(ValidationError, match="mask"):
            table.filter(np.array([0, 1]))
        with pytest.raises(ValidationError, match="mask"):
            table.filter(np.array([True]))

    @given(sqst.table_records(roster=True), st.integers(0, 12))
    def test_concat_of_two_parts_is_the_whole(self, records, cut):
        """Splitting the records and concatenating the tables changes nothing."""
        head = attrs.evolve(
            records,
            conversations=records.conversations[:cut],
            ratings=tuple(
                r for r in records.ratings if int(r.conversation_id[1:]) < cut
            ),
            reviews=tuple(
                r for r in records.reviews if int(r.conversation_id[1:]) < cut
            ),
        )
        tail = attrs.evolve(
            records,
            conversations=records.conversations[cut:],
            ratings=tuple(
                r for r in records.ratings if int(r.conversation_id[1:]) >= cut
            ),
            reviews=tuple(
                r for r in records.reviews if int(r.conversation_id[1:]) >= cut
            ),
            knowledge_tests=(),
        )
        whole = build(records)
        joined = build(head) + build(tail)
        assert whole.to_records().conversations == joined.to_records().conversations
        assert set(whole.to_records().ratings) == set(joined.to_records().ratings)
        assert whole.to_records().reviews == joined.to_records().reviews
        assert whole.to_records().knowledge_tests == joined.to_records().knowledge_tests
        for name in ("conversation_id", "agent_id", "customer_id"):
            assert whole.vocabulary(name).tolist() == joined.vocabulary(name).tolist()

    def test_concat_rejects_a_conversation_in_two_tables(self):
        """The same conversation twice would be counted twice."""
        table = ConversationTable.from_records([conversation(1)])
        with pytest.raises(ValidationError, match="c1"):
            table + table

    def test_concat_rejects_conflicting_roster_entries(self):
        """One id cannot be a bot in one table and an agent in another."""
        left = ConversationTable.from_records([conversation(1)], agents=ROSTER)
        right = ConversationTable.from_records(
            [conversation(2)], agents=[Agent(id="a1", role=Role.BOT)]
        )
        with pytest.raises(ValidationError, match="conflicts"):
            left + right

    def test_concat_needs_a_table(self):
        """Concatenating nothing is an error."""
        with pytest.raises(ValidationError, match="tables"):
            ConversationTable.concat([])
        assert ConversationTable.from_records([]).__add__(1) is NotImplemented

    def test_concat_merges_different_rating_scales(self):
        """Scales are unioned and codes translated."""
        left = ConversationTable.from_records([conversation(1)], ratings=[rating("c1")])
        right = ConversationTable.from_records(
            [conversation(2)],
            ratings=[
                Rating(conversation_id="c2", score=5, scale=RatingScale.FIVE_STAR)
            ],
        )
        joined = ConversationTable.concat([right, left])
        assert joined.rating_scales == (RatingScale.FIVE_STAR, RatingScale.THREE_LEVEL)
        assert joined["rating_scale"].tolist() == [0, 1]


class TestAccess:
    def test_unknown_names_list_the_known_ones(self):
        """A typo in a column name says what exists."""
        table = ConversationTable.from_records([conversation(1)])
        with pytest.raises(KeyError, match="opened_at"):
            table["opend_at"]
        with pytest.raises(KeyError, match="customer_id"):
            table.vocabulary("customers")

    def test_repr_is_compact(self):
        """The repr counts instead of dumping arrays."""
        table = ConversationTable.from_records(
            [conversation(1)], ratings=[rating("c1")]
        )
        assert repr(table) == (
            "<ConversationTable: 1 conversations, 1 agents, 1 rated, 0 rejected>"
        )


class TestStringColumns:
    @given(st.lists(st.text(max_size=4), max_size=60))
    def test_unique_strings_matches_python(self, values):
        """Sorted distinct values and codes, non-ASCII included."""
        from servicequality._columns import STRING, unique_strings

        vocabulary, inverse = unique_strings(np.array(values, dtype=STRING))
        assert vocabulary.tolist() == sorted(set(values))
        assert [vocabulary[i] for i in inverse] == values

    def test_many_repeated_ids_do_not_crash(self):
        """numpy's StringDType quicksort crashes here; the table never uses it."""
        ids = [f"C{i:06d}" for i in range(3000)] * 2
        from servicequality._columns import STRING, as_vocabulary, unique_strings

        vocabulary, _ = unique_strings(np.array(ids, dtype=STRING))
        assert len(vocabulary) == 3000
        with pytest.raises(ValidationError, match="unique"):
            as_vocabulary("t", "ids", ids)

    def test_concat_of_large_overlapping_tables_is_an_error_not_a_crash(self):
        """Two example shops share conversation ids: concat says so."""
        from servicequality.demo import example_shop

        with pytest.raises(ValidationError, match="more than one table"):
            example_shop(3000) + example_shop(3000, seed=8)
