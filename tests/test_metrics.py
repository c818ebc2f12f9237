"""The metric catalogue on a hand-built shop, and the invariants of measure."""

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicequality import (
    Accumulator,
    Agent,
    Channel,
    Conversation,
    ConversationTable,
    Difficulty,
    DifficultyCoefficients,
    KnowledgeTest,
    Message,
    MessageTable,
    Monthly,
    QualityReview,
    Rating,
    RatingScale,
    Role,
    Sender,
    Sentiment,
    ValidationError,
    Weekly,
    measure,
)
from servicequality import metrics as sqm
from servicequality import strategies as sqst

T0 = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)
NEG, NEU, POS = Sentiment.NEGATIVE, Sentiment.NEUTRAL, Sentiment.POSITIVE
ROSTER = (
    Agent(id="a1", role=Role.AGENT, team="presale"),
    Agent(id="a2", role=Role.AGENT, team="aftersale"),
    Agent(id="s1", role=Role.SUPERVISOR),
    Agent(id="bot", role=Role.BOT),
)


def talk(
    cid, agent, customer, topic, difficulty, *, at=T0, reply=None, close=None, **extra
):
    return Conversation(
        id=cid,
        agent_id=agent,
        customer_id=customer,
        opened_at=at,
        first_response_at=None if reply is None else at + reply * S,
        closed_at=None if close is None else at + close * S,
        channel=extra.pop("channel", Channel.CHAT),
        topic=topic,
        difficulty=difficulty,
        resolved=extra.pop("resolved", True),
        escalated=extra.pop("escalated", False),
        rating_invited=extra.pop("invited", True),
        **extra,
    )


B, X, C, K = (
    Difficulty.BASIC,
    Difficulty.COMPLEX,
    Difficulty.COMPLAINT,
    Difficulty.CRISIS,
)
CONVERSATIONS = [
    talk(
        "c1",
        "a1",
        "u1",
        "sizing",
        B,
        reply=60,
        close=600,
        sentiment_start=NEG,
        sentiment_end=POS,
    ),
    talk(
        "c2",
        "a1",
        "u2",
        "shipping",
        X,
        reply=240,
        close=1200,
        sentiment_start=NEG,
        sentiment_end=NEG,
    ),
    talk(
        "c3",
        "a1",
        "u1",
        "sizing",
        B,
        at=T0 + timedelta(days=3),
        close=300,
        resolved=False,
        invited=False,
    ),
    talk(
        "c4",
        "a2",
        "u3",
        "returns",
        C,
        reply=30,
        close=900,
        escalated=True,
        sentiment_start=NEG,
        sentiment_end=NEU,
    ),
    talk("c5", "a2", "u4", "returns", K, reply=100, resolved=False, escalated=True),
    talk(
        "c6",
        "bot",
        "u5",
        "sizing",
        B,
        reply=200,
        close=500,
        transferred_to="a2",
        handed_over_at=T0 + 50 * S,
    ),
    talk("c7", "bot", "u6", "pricing", B, reply=2, close=60, invited=False),
    talk("c8", "bot", "u7", "pricing", B, reply=3, close=30, resolved=False),
]
THREE = RatingScale.THREE_LEVEL
RATINGS = [
    Rating(conversation_id=c, score=s, scale=THREE)
    for c, s in [("c1", 3), ("c2", 2), ("c4", 1), ("c6", 3), ("c8", 1)]
]
REVIEWS = [
    QualityReview(
        conversation_id="c1",
        reviewer_id="s1",
        accurate=True,
        script_compliant=True,
        empathy=5,
    ),
    QualityReview(
        conversation_id="c4",
        reviewer_id="s1",
        accurate=False,
        script_compliant=False,
        empathy=2,
    ),
]
TESTS = [
    KnowledgeTest(agent_id="a1", taken_at=T0, score=8, max_score=10),
    KnowledgeTest(agent_id="a2", taken_at=T0, score=45, max_score=50),
]


CUSTOMER, AGENT, BOT = Sender.CUSTOMER, Sender.AGENT, Sender.BOT
MESSAGES = [
    Message(conversation_id=c, sender=who, sent_at=T0 + at * S, sender_id=by)
    for c, who, at, by in [
        # c1: waits of 60 s and 300 s
        ("c1", CUSTOMER, 0, None),
        ("c1", AGENT, 60, "a1"),
        ("c1", CUSTOMER, 100, None),
        ("c1", AGENT, 400, "a1"),
        # c2: a wait of 240 s (two customer messages), then one unanswered
        # from 300 s until closing at 1200 s: 900 s
        ("c2", CUSTOMER, 0, None),
        ("c2", CUSTOMER, 10, None),
        ("c2", AGENT, 240, "a1"),
        ("c2", CUSTOMER, 300, None),
        # c6: the bot answers in 5 s, the human 180 s after the next message
        ("c6", CUSTOMER, 0, None),
        ("c6", BOT, 5, "bot"),
        ("c6", CUSTOMER, 20, None),
        ("c6", AGENT, 200, "a2"),
        # c7: the bot alone, 2 s
        ("c7", CUSTOMER, 0, None),
        ("c7", BOT, 2, "bot"),
    ]
]


@pytest.fixture(scope="module")
def shop():
    return ConversationTable.from_records(
        CONVERSATIONS,
        ratings=RATINGS,
        reviews=REVIEWS,
        agents=ROSTER,
        knowledge_tests=TESTS,
    ).with_messages(MessageTable.from_records(MESSAGES))


def whole(table, metric):
    return measure(table, [metric]).get(
        metric.name if not isinstance(metric, str) else metric
    )


# Human rows: c1..c6 (c6 was handed by the bot to a2); c7, c8 stay with the bot.
HAND_COMPUTED = [
    # satisfied c1, c6 among rated c1, c2 (neutral), c4, c6
    (sqm.satisfaction_rate(), 2 / 4, 4),
    (sqm.satisfaction_rate(neutral="exclude"), 2 / 3, 3),
    (sqm.satisfaction_rate(include_bots=True), 2 / 5, 5),
    (sqm.dissatisfaction_rate(), 1 / 4, 4),
    (sqm.mean_rating(), (3 + 2 + 1 + 3) / 4, 4),
    (sqm.rating_rate(), 4 / 6, 6),
    # invited: c1, c2, c4, c5, c6; rated among them: c1, c2, c4, c6
    (sqm.response_rate(), 4 / 5, 5),
    # cases: {c1, c3} (same customer and topic, 3 days apart), c2, c4, c5, c6;
    # solved first time: c2, c4, c6 (c1 came back, c5 unresolved)
    (sqm.first_contact_resolution(), 3 / 5, 5),
    # with a 2-day window c3 (3 days later) is a case of its own and c1 is solved
    (sqm.first_contact_resolution(window=timedelta(days=2)), 4 / 6, 6),
    (sqm.repeat_inquiry_rate(), 1 / 6, 6),
    (sqm.escalation_rate(), 2 / 6, 6),
    (sqm.resolution_rate(), 4 / 6, 6),
    (sqm.reply_accuracy(), 1 / 2, 2),
    (sqm.script_compliance(), 1 / 2, 2),
    (sqm.knowledge_score(), (8 / 10 + 45 / 50) / 2, 2),
    # opened negative with a known end: c1 -> positive, c2 -> negative, c4 -> neutral
    (sqm.emotion_conversion(), 2 / 3, 3),
    (sqm.crisis_success(), 0 / 1, 1),
    (sqm.empathy_score(), (5 + 2) / 2, 2),
    # replies: c1 60 s, c2 240 s, c4 30 s, c5 100 s, c6 200 s (c3 none)
    (sqm.first_response_time(), (60 + 240 + 30 + 100 + 200) / 5, 5),
    (sqm.responded_within(), 3 / 6, 6),
    (sqm.responded_within(timedelta(minutes=4)), 5 / 6, 6),
    # closed: c1 600, c2 1200, c3 300, c4 900, c6 500 (c5 still open)
    (sqm.resolution_time(), (600 + 1200 + 300 + 900 + 500) / 5, 5),
    # bot took c6, c7, c8 and handed c6 over
    (sqm.bot_containment(), 2 / 3, 3),
    (sqm.transfer_rate(), 1 / 3, 3),
    (sqm.conversation_count(), 6, 6),
    # 1 + 1.5 + 1 + 2 + 3 + 1
    (sqm.weighted_workload(), 9.5, 6),
    (sqm.weighted_workload(DifficultyCoefficients(crisis=5)), 11.5, 6),
    (sqm.difficulty_mix(), 3 / 6, 6),
    # c6 was handed over at 50 s and answered at 200 s
    (sqm.handover_response_time(), 150, 1),
    (sqm.handover_responded_within(), 1 / 1, 1),
    (sqm.handover_responded_within(timedelta(minutes=2)), 0 / 1, 1),
    # the bot kept c6 for 50 s (c7, c8 were never handed over)
    (sqm.bot_wait_time(), 50, 1),
    # human replies: c1 60, 300; c2 240; c6 180 (the bot's 5 s is not a human's)
    (sqm.reply_time(), (60 + 300 + 240 + 180) / 4, 4),
    (sqm.reply_time(include_bots=True), (60 + 300 + 240 + 180 + 5 + 2) / 6, 6),
    # within 3 min: 60 and 180 of 60, 300, 240, 180 and c2's unanswered wait
    (sqm.replied_within(), 2 / 5, 5),
    (sqm.replied_within(timedelta(minutes=5)), 4 / 5, 5),
    # c2's unanswered wait lasts 900 s (histogram: within 2 %)
    (sqm.longest_customer_wait(), 900, 5),
]


class TestCatalogueByHand:
    @pytest.mark.parametrize(
        ("metric", "expected", "n"), HAND_COMPUTED, ids=lambda x: getattr(x, "name", "")
    )
    def test_whole_shop(self, shop, metric, expected, n):
        """Each metric over the whole shop equals the hand count.

        Histogram quantiles are within their stated relative error.
        """
        result = whole(shop, metric)
        error = sqm.QUANTILE_RELATIVE_ERROR if metric.interval == "rank" else 1e-6
        assert expected == pytest.approx(result.value, rel=error)
        assert n == result.n
        assert not result.insufficient

    def test_every_built_in_metric_is_checked_by_hand(self):
        """The table above covers the whole registry."""
        assert {m.name for m, _, _ in HAND_COMPUTED} == set(sqm.metric_names())

    def test_by_agent_attributes_hand_overs_to_the_human(self, shop):
        """c6 counts for a2; the bot has its own group for bot metrics."""
        result = measure(shop, ["satisfaction_rate", "bot_containment"], by="agent")
        assert [k for (k,) in result.keys] == ["a1", "a2", "bot"]
        assert (
            result.get("satisfaction_rate", agent="a1").value == 1 / 2
        )  # c1 of c1, c2
        assert (
            result.get("satisfaction_rate", agent="a2").value == 1 / 2
        )  # c6 of c4, c6
        bot = result.get("satisfaction_rate", agent="bot")
        assert (math.isnan(bot.value), bot.n, bot.insufficient) == (True, 0, True)
        assert result.get("bot_containment", agent="bot").value == 2 / 3
        assert math.isnan(result.get("bot_containment", agent="a1").value)

    def test_median_and_p90_come_from_the_histogram(self, shop):
        """Order statistics 3 and 5 of 30, 60, 100, 200, 240 s, within 2 %."""
        median = whole(shop, sqm.first_response_time(statistic="median"))
        p90 = whole(shop, sqm.first_response_time(statistic="p90"))
        assert median.value == pytest.approx(100, rel=sqm.QUANTILE_RELATIVE_ERROR)
        assert p90.value == pytest.approx(240, rel=sqm.QUANTILE_RELATIVE_ERROR)
        assert median.low <= median.value <= median.high

    def test_groups_by_team_role_channel_topic_and_difficulty(self, shop):
        """Every dimension groups by the handler's or the row's attribute."""
        by_team = measure(shop, ["conversation_count"], by="team")
        assert dict(
            zip(
                by_team.key_column("team"),
                by_team.column("conversation_count"),
                strict=True,
            )
        ) == {
            "aftersale": 3,
            "presale": 3,
        }
        by_topic = measure(shop, ["conversation_count"], by=("topic", "difficulty"))
        assert (
            by_topic.get("conversation_count", topic="sizing", difficulty=B).value == 3
        )
        by_role = measure(shop, ["transfer_rate", "conversation_count"], by="role")
        assert by_role.get("transfer_rate", role=Role.BOT).value == 1 / 3
        by_channel = measure(shop, ["rating_rate"], by="channel")
        assert by_channel.key_column("channel") == (Channel.CHAT,)

    def test_periods_use_opened_at_and_knowledge_tests_taken_at(self, shop):
        """Conversations and tests land in the period of their own timestamp."""
        result = measure(
            shop,
            ["conversation_count", "knowledge_score"],
            by=("agent", Weekly(tz=UTC)),
        )
        week = Weekly(tz=UTC).period_of(T0)
        assert result.get("conversation_count", agent="a1", period=week).value == 3
        assert result.get("knowledge_score", agent="a2", period=week).value == 0.9

    def test_knowledge_score_cannot_be_grouped_by_channel(self, shop):
        """Tests have no channel: asking is an error, not a silent empty group."""
        with pytest.raises(ValidationError, match="knowledge"):
            measure(shop, ["knowledge_score"], by="channel")

    def test_mean_rating_refuses_mixed_scales_unless_told(self):
        """Three-level and five-star scores do not average."""
        table = ConversationTable.from_records(
            CONVERSATIONS[:2],
            ratings=[
                Rating(conversation_id="c1", score=3, scale=THREE),
                Rating(conversation_id="c2", score=5, scale=RatingScale.FIVE_STAR),
            ],
        )
        with pytest.raises(ValidationError, match="five_star"):
            measure(table, ["mean_rating"])
        only_five = measure(table, [sqm.mean_rating(scale=RatingScale.FIVE_STAR)])
        assert only_five.get("mean_rating").value == 5
        absent = RatingScale(
            name="ten", low=0, high=10, satisfied_from=9, dissatisfied_to=6
        )
        assert measure(table, [sqm.mean_rating(scale=absent)]).get("mean_rating").n == 0

    def test_satisfaction_bonus_bar_reads_mean_rating(self):
        """4.5 of 5 and 4.49 of 5 are told apart exactly (S4 §3.1)."""
        scores = [5] * 50 + [4] * 50  # mean 4.5
        conversations = [talk(f"c{i}", "a1", f"u{i}", None, B) for i in range(100)]
        ratings = [
            Rating(conversation_id=f"c{i}", score=s, scale=RatingScale.FIVE_STAR)
            for i, s in enumerate(scores)
        ]
        table = ConversationTable.from_records(conversations, ratings=ratings)
        assert whole(table, "mean_rating").value == 4.5


class TestMeasureInterface:
    def test_unknown_metric_lists_the_known_ones(self, shop):
        """A typo gets the list of valid names."""
        with pytest.raises(ValidationError, match="satisfaction_rate"):
            measure(shop, ["satisfaction"])

    def test_unknown_dimension_and_repeated_keys_are_errors(self, shop):
        """by= is checked."""
        with pytest.raises(ValidationError, match="dimension"):
            measure(shop, ["rating_rate"], by="customer")
        with pytest.raises(ValidationError, match="twice"):
            measure(shop, ["rating_rate"], by=(Weekly(tz=UTC), Monthly(tz=UTC)))
        with pytest.raises(ValidationError, match="calendar"):
            measure(shop, ["rating_rate"], by=[3])

    def test_repeated_metric_names_are_errors(self, shop):
        """Two variants under one name would overwrite each other."""
        with pytest.raises(ValidationError, match="twice"):
            measure(
                shop,
                [sqm.satisfaction_rate(), sqm.satisfaction_rate(neutral="exclude")],
            )

    def test_lookup_needs_every_key(self, shop):
        """get() names exactly the keys; unknown groups and fields are errors."""
        result = measure(shop, ["rating_rate"], by=("agent", "topic"))
        with pytest.raises(ValidationError, match="exactly"):
            result.get("rating_rate", agent="a1")
        with pytest.raises(ValidationError, match="no group"):
            result.get("rating_rate", agent="a1", topic="returns")
        with pytest.raises(ValidationError, match="measured"):
            result.get("mean_rating", agent="a1", topic="sizing")
        with pytest.raises(ValidationError, match="field"):
            result.column("rating_rate", "median")
        with pytest.raises(ValidationError, match="key"):
            result.key_column("period")

    def test_to_records_has_one_row_per_group_and_metric(self, shop):
        """Plain dicts for callers who write their own output."""
        result = measure(shop, ["rating_rate", "conversation_count"], by="agent")
        records = result.to_records()
        assert len(records) == len(result) * 2
        first = records[0]
        assert set(first) == {
            "agent",
            "metric",
            "value",
            "numerator",
            "denominator",
            "n",
            "low",
            "high",
            "insufficient",
        }

    def test_min_sample_flags_small_groups(self, shop):
        """A value on fewer observations than asked for is insufficient."""
        strict = measure(shop, ["satisfaction_rate"], by="agent", min_sample=3)
        assert strict.column("satisfaction_rate", "insufficient").tolist() == [
            True,
            True,
        ]
        assert strict.get("satisfaction_rate", agent="a1").insufficient
        enough = measure(shop, ["satisfaction_rate"], by="agent", min_sample=2)
        assert enough.column("satisfaction_rate", "insufficient").tolist() == [
            False,
            False,
        ]
        with pytest.raises(ValidationError, match="min_sample"):
            measure(shop, ["rating_rate"], min_sample=-1)

    def test_repr_is_compact(self, shop):
        """The repr names the keys and metrics, not the arrays."""
        result = measure(shop, ["rating_rate"], by="agent")
        assert (
            repr(result)
            == "<Measurements: 2 groups by (agent) × 1 metrics: rating_rate>"
        )

    def test_custom_rate_metric_in_a_few_lines(self, shop):
        """RateMetric takes two masks over the rows."""
        escalated_resolved = sqm.RateMetric(
            name="escalations_resolved",
            numerator=lambda rows: rows["resolved"],
            denominator=lambda rows: rows["escalated"],
        )
        assert whole(shop, escalated_resolved).value == 1 / 2  # c4 of c4, c5

    def test_custom_mean_metric_must_not_produce_nan(self, shop):
        """NaN in a counted row is an error, never a silent NaN mean."""
        bad = sqm.MeanMetric(
            name="bad",
            values=lambda rows: rows.first_response_seconds,
            where=lambda rows: np.ones(len(rows), bool),
        )
        with pytest.raises(ValidationError, match="finite"):
            measure(shop, [bad])

    @pytest.mark.parametrize(
        ("factory", "options", "field"),
        [
            (sqm.satisfaction_rate, {"neutral": "drop"}, "neutral"),
            (sqm.first_contact_resolution, {"window": timedelta(0)}, "window"),
            (sqm.repeat_inquiry_rate, {"window": 7}, "window"),
            (sqm.responded_within, {"limit": -S}, "limit"),
            (sqm.first_response_time, {"statistic": "p99"}, "statistic"),
            (sqm.weighted_workload, {"coefficients": {"basic": 1}}, "coefficients"),
        ],
    )
    def test_bad_options_are_named(self, factory, options, field):
        """Options are checked when the metric is made."""
        with pytest.raises(ValidationError) as info:
            factory(**options)
        assert field == info.value.field

    def test_metric_fields_are_checked(self):
        """Names, populations and confidences are validated."""
        with pytest.raises(ValidationError, match="identifier"):
            sqm.RateMetric(name="my rate", numerator=len, denominator=len)
        with pytest.raises(ValidationError, match="population"):
            sqm.RateMetric(
                name="r", numerator=len, denominator=len, population="robots"
            )
        with pytest.raises(ValidationError, match="confidence"):
            sqm.RateMetric(name="r", numerator=len, denominator=len, confidence=95)

    def test_registry_round_trip(self):
        """Every registered name builds a metric of that name."""
        for name in sqm.metric_names():
            assert name == sqm.get_metric(name).name
        assert len(sqm.standard_catalogue()) == len(sqm.metric_names())


class TestEmptyAndSmall:
    def test_empty_table_gives_insufficient_results(self):
        """Nothing measured is NaN with n = 0, never 0 % and never an error."""
        empty = ConversationTable.from_records([])
        result = measure(empty, sqm.standard_catalogue())
        assert len(result) == 1
        for name in result.metric_names:
            cell = result.get(name)
            if result.metric(name).unit in ("count", "points"):
                assert (cell.value, cell.insufficient) == (0, True)
            else:
                assert math.isnan(cell.value)
                assert cell.insufficient
        assert len(measure(empty, ["rating_rate"], by="agent")) == 0

    def test_empty_accumulator_result(self):
        """An accumulator that saw nothing reports one insufficient group."""
        result = Accumulator(["rating_rate"]).result()
        assert math.isnan(result.get("rating_rate").value)
        assert len(Accumulator(["rating_rate"], by="agent").result()) == 0


def comparable(result):
    """Records with NaN replaced, for equality checks."""
    return [
        {
            k: ("nan" if isinstance(v, float) and math.isnan(v) else v)
            for k, v in r.items()
        }
        for r in result.to_records()
    ]


ADDITIVE = [
    name
    for name in sqm.metric_names()
    if name not in ("first_contact_resolution", "repeat_inquiry_rate")
]


class TestInvariants:
    @given(sqst.table_records(roster=True, scales=(THREE,)))
    def test_rates_lie_in_zero_one_and_intervals_hold_the_value(self, records):
        """Every share is in [0, 1] or NaN, inside its interval."""
        table = ConversationTable.from_records(
            records.conversations,
            ratings=records.ratings,
            reviews=records.reviews,
            agents=records.agents,
            knowledge_tests=records.knowledge_tests,
        )
        result = measure(table, sqm.standard_catalogue(), by="agent")
        for name in result.metric_names:
            value = result.column(name)
            defined = ~np.isnan(value)
            if result.metric(name).unit == "share":
                assert ((value[defined] >= 0) & (value[defined] <= 1)).all()
            low, high = result.column(name, "low"), result.column(name, "high")
            bounded = defined & ~np.isnan(low)
            assert (low[bounded] <= value[bounded] + 1e-9).all()
            assert (value[bounded] <= high[bounded] + 1e-9).all()

    @given(sqst.table_records(scales=(THREE,)), st.randoms(use_true_random=False))
    def test_row_order_never_matters(self, records, random):
        """Shuffled conversations give the same measurements.

        Counts and keys are equal exactly; sums of float seconds only to
        rounding, since floating-point addition depends on its order.
        """
        shuffled = list(records.conversations)
        random.shuffle(shuffled)
        first = ConversationTable.from_records(
            records.conversations, ratings=records.ratings, agents=records.agents
        )
        second = ConversationTable.from_records(
            shuffled, ratings=records.ratings, agents=records.agents
        )
        by = ("agent", Weekly(tz=UTC))
        left = comparable(measure(first, sqm.standard_catalogue(), by=by))
        right = comparable(measure(second, sqm.standard_catalogue(), by=by))
        assert [
            {k: v for k, v in r.items() if not isinstance(v, float)} for r in left
        ] == [{k: v for k, v in r.items() if not isinstance(v, float)} for r in right]
        for one, other in zip(left, right, strict=True):
            for key, value in one.items():
                if isinstance(value, float):
                    assert value == pytest.approx(other[key], rel=1e-12, abs=1e-12), (
                        one["metric"],
                        key,
                    )

    @given(sqst.table_records(roster=True, scales=(THREE,)))
    def test_agents_add_up_to_the_whole(self, records):
        """By agent, numerators and denominators of counts sum to the whole table."""
        table = ConversationTable.from_records(
            records.conversations, ratings=records.ratings, agents=records.agents
        )
        names = [
            "satisfaction_rate",
            "rating_rate",
            "escalation_rate",
            "conversation_count",
            "transfer_rate",
        ]
        per_agent = measure(table, names, by="agent")
        total = measure(table, names)
        for name in names:
            for field in ("numerator", "n"):
                assert (
                    per_agent.column(name, field).sum()
                    == total.column(name, field).sum()
                )

    @given(sqst.table_records(roster=True, scales=(THREE,)), st.integers(0, 12))
    def test_merging_two_halves_equals_the_whole(self, records, cut):
        """measure(a + b) == measure(a).merge(measure(b)) for additive metrics."""
        ids = {c.id for c in records.conversations[:cut]}

        def part(keep):
            return ConversationTable.from_records(
                [c for c in records.conversations if (c.id in ids) == keep],
                ratings=[
                    r for r in records.ratings if (r.conversation_id in ids) == keep
                ],
                reviews=[
                    r for r in records.reviews if (r.conversation_id in ids) == keep
                ],
                agents=records.agents,
                knowledge_tests=records.knowledge_tests if keep else (),
            )

        head, tail = part(True), part(False)
        by = ("agent", Monthly(tz=UTC))
        joined = measure(head + tail, ADDITIVE, by=by)
        merged = measure(head, ADDITIVE, by=by).merge(measure(tail, ADDITIVE, by=by))
        assert joined.keys == merged.keys
        for name in ADDITIVE:
            np.testing.assert_allclose(
                joined.state(name), merged.state(name), rtol=1e-12, atol=1e-9
            )
        stream = Accumulator(ADDITIVE, by=by)
        stream.update(head)
        stream.update(tail)
        assert comparable(stream.result()) == comparable(merged)

    @given(sqst.table_records(min_size=1), st.data())
    def test_a_satisfied_rating_never_lowers_satisfaction(self, records, data):
        """Turning an unrated conversation into a satisfied one cannot hurt."""
        rated = {r.conversation_id for r in records.ratings}
        unrated = [c.id for c in records.conversations if c.id not in rated]
        if not unrated:
            return
        chosen = data.draw(st.sampled_from(unrated))
        extra = Rating(conversation_id=chosen, score=3, scale=THREE)

        def rate(ratings):
            table = ConversationTable.from_records(
                records.conversations, ratings=ratings, agents=records.agents
            )
            return (
                measure(table, [sqm.satisfaction_rate(include_bots=True)])
                .get("satisfaction_rate")
                .value
            )

        before, after = rate(records.ratings), rate([*records.ratings, extra])
        assert math.isnan(before) or after >= before

    @settings(max_examples=50)
    @given(
        st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=200),
        st.sampled_from([0.5, 0.9]),
    )
    def test_histogram_quantile_is_within_its_stated_error(self, values, q):
        """The estimate is within 2 % (or 0.05 s below 0.1 s) of the order statistic."""
        conversations = [
            talk(f"c{i}", "a1", "u1", None, B, reply=v, close=v)
            for i, v in enumerate(values)
        ]
        table = ConversationTable.from_records(conversations)
        metric = sqm.first_response_time(statistic="median" if q == 0.5 else "p90")
        estimate = measure(table, [metric]).get("first_response_time").value
        exact = float(
            np.quantile(
                np.asarray(
                    table.to_records().conversations
                    and [
                        (c.first_response_at - c.opened_at).total_seconds()
                        for c in table.to_records().conversations
                    ]
                ),
                q,
                method="inverted_cdf",
            )
        )
        if exact < 0.1:
            assert abs(estimate - exact) <= 0.05
        else:
            assert estimate == pytest.approx(
                exact, rel=sqm.QUANTILE_RELATIVE_ERROR + 1e-12
            )

    def test_accumulator_merge_of_workers(self, shop):
        """Two accumulators merged equal one that saw everything."""
        left = shop.filter(np.arange(len(shop)) < 4)
        right = shop.filter(np.arange(len(shop)) >= 4)
        one, two, both = (Accumulator(ADDITIVE, by="agent") for _ in range(3))
        one.update(left)
        two.update(right)
        both.update(left)
        both.update(right)
        one.merge(two)
        one.merge(Accumulator(ADDITIVE, by="agent"))
        assert comparable(one.result()) == comparable(both.result())
        fresh = Accumulator(ADDITIVE, by="agent")
        fresh.merge(both)
        assert comparable(fresh.result()) == comparable(both.result())

    def test_merge_needs_the_same_shape(self, shop):
        """Different keys or metrics do not merge."""
        a = measure(shop, ["rating_rate"], by="agent")
        with pytest.raises(ValidationError, match="key_names"):
            a.merge(measure(shop, ["rating_rate"], by="team"))
        with pytest.raises(ValidationError, match="metric_names"):
            a.merge(measure(shop, ["escalation_rate"], by="agent"))
