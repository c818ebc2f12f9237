"""The value objects: validation rules, plain-data round trips, fuzzing."""

from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicequality import (
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
    ServiceQualityError,
    UnknownKeyError,
    ValidationError,
    WrongTypeError,
)

T0 = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


def conversation(**changes):
    base = {
        "id": "c1",
        "agent_id": "a1",
        "customer_id": "u1",
        "opened_at": T0,
        "channel": Channel.DM,
        "difficulty": Difficulty.BASIC,
        "resolved": True,
        "escalated": False,
        "rating_invited": True,
    }
    return Conversation(**{**base, **changes})


def raises_on(field, owner="Conversation"):
    """Expect a ValidationError naming ``owner.field``."""

    class Check:
        def __enter__(self):
            self.context = pytest.raises(ValidationError)
            self.info = self.context.__enter__()
            return self.info

        def __exit__(self, *exc):
            handled = self.context.__exit__(*exc)
            error = self.info.value
            assert field == error.field
            assert owner == error.owner
            assert f"{owner}.{field}" in str(error)
            return handled

    return Check()


class TestErrors:
    def test_validation_error_is_a_value_error_and_a_library_error(self):
        """Callers can catch either the builtin or the library root."""
        error = ValidationError("Rating", "score", 9, "off scale")
        assert isinstance(error, ValueError)
        assert isinstance(error, ServiceQualityError)

    def test_validation_error_pickles_with_its_context(self):
        """Errors cross process boundaries (Dask workers) intact."""
        import pickle

        error = ValidationError("Rating", "score", 9, "off scale", 4)
        again = pickle.loads(pickle.dumps(error))
        assert (again.owner, again.field, again.value, again.rule, again.index) == (
            "Rating",
            "score",
            9,
            "off scale",
            4,
        )
        assert str(error) == str(again)


class TestConversationRules:
    @pytest.mark.parametrize("field", ["id", "agent_id", "customer_id"])
    @pytest.mark.parametrize("value", ["", "   "])
    def test_empty_ids_are_rejected(self, field, value):
        """An empty or blank id names its field."""
        with raises_on(field):
            conversation(**{field: value})

    @pytest.mark.parametrize("field", ["topic", "case_id", "transferred_to"])
    def test_empty_optional_ids_are_rejected(self, field):
        """Optional ids may be None but never empty."""
        with raises_on(field):
            conversation(**{field: ""})

    @pytest.mark.parametrize("field", ["opened_at", "closed_at", "first_response_at"])
    def test_naive_datetimes_are_rejected(self, field):
        """A datetime without a time zone is ambiguous."""
        with raises_on(field):
            conversation(**{field: datetime(2025, 11, 3, 10, 0)})

    def test_closed_before_opened_is_rejected(self):
        """A conversation cannot close before it opens."""
        with raises_on("closed_at"):
            conversation(closed_at=T0 - timedelta(seconds=1))

    def test_first_response_before_opened_is_rejected(self):
        """The first reply cannot precede the conversation."""
        with raises_on("first_response_at"):
            conversation(first_response_at=T0 - timedelta(minutes=1))

    def test_first_response_after_closed_is_rejected(self):
        """The first reply cannot come after the conversation closed."""
        with raises_on("first_response_at"):
            conversation(
                closed_at=T0 + timedelta(minutes=5),
                first_response_at=T0 + timedelta(minutes=6),
            )

    def test_first_response_at_the_bounds_is_accepted(self):
        """The bounds of [opened_at, closed_at] are inclusive."""
        closed = T0 + timedelta(minutes=5)
        assert conversation(closed_at=closed, first_response_at=closed).closed_at
        assert conversation(first_response_at=T0).first_response_at == T0

    def test_comparisons_are_by_instant_across_zones(self):
        """09:00 UTC closes at 17:00 in UTC+8: the same instant is fine."""
        later = (T0 + timedelta(hours=1)).astimezone(timezone(timedelta(hours=8)))
        assert conversation(closed_at=later).closed_at == later

    def test_self_transfer_is_rejected(self):
        """A hand-over goes to someone else."""
        with raises_on("transferred_to"):
            conversation(transferred_to="a1")

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("channel", "dm"),
            ("difficulty", 1),
            ("sentiment_start", "negative"),
            ("resolved", 1),
            ("escalated", "no"),
            ("rating_invited", "yes"),
        ],
    )
    def test_wrong_types_are_rejected(self, field, value):
        """Enums must be members and flags must be booleans."""
        with raises_on(field):
            conversation(**{field: value})

    def test_handler_is_the_transfer_target_when_a_bot_hands_over(self):
        """Attribution follows the hand-over."""
        assert conversation(agent_id="bot", transferred_to="a2").handler_id == "a2"
        assert conversation().handler_id == "a1"


class TestRatingScale:
    def test_presets_follow_the_seeds(self):
        """Douyin's 3 votes and 5 stars with 4-5 satisfied."""
        three, five = RatingScale.THREE_LEVEL, RatingScale.FIVE_STAR
        assert [three.is_satisfied(s) for s in (1, 2, 3)] == [False, False, True]
        assert [three.is_dissatisfied(s) for s in (1, 2, 3)] == [True, False, False]
        assert [five.is_satisfied(s) for s in range(1, 6)] == [
            False,
            False,
            False,
            True,
            True,
        ]
        assert [five.is_dissatisfied(s) for s in range(1, 6)] == [
            True,
            True,
            False,
            False,
            False,
        ]

    def test_contains_checks_whole_numbers_on_the_scale(self):
        """Only whole scores from low to high are on the scale."""
        five = RatingScale.FIVE_STAR
        assert [five.contains(s) for s in (0, 1, 5, 6)] == [False, True, True, False]
        assert not five.contains(True)

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"high": 1}, "high"),
            ({"satisfied_from": 2, "dissatisfied_to": 2}, "satisfied_from"),
            ({"satisfied_from": 6}, "satisfied_from"),
            ({"low": 1.5}, "low"),
            ({"name": ""}, "name"),
        ],
    )
    def test_inconsistent_scales_are_rejected(self, changes, field):
        """Bounds must be ordered low <= dissatisfied < satisfied <= high."""
        with raises_on(field, owner="RatingScale"):
            attrs.evolve(RatingScale.FIVE_STAR, **changes)

    def test_from_dict_takes_preset_names_and_mappings(self):
        """Scales read back from plain data."""
        assert RatingScale.from_dict("five_star") is RatingScale.FIVE_STAR
        custom = RatingScale(
            name="nps", low=0, high=10, satisfied_from=9, dissatisfied_to=6
        )
        assert custom == RatingScale.from_dict(custom.to_dict())
        with raises_on("name", owner="RatingScale"):
            RatingScale.from_dict("ten_star")


class TestRecordRules:
    def test_score_off_its_scale_is_rejected(self):
        """Four is not a Douyin vote."""
        with raises_on("score", owner="Rating"):
            Rating(conversation_id="c1", score=4, scale=RatingScale.THREE_LEVEL)

    def test_non_integer_score_is_rejected(self):
        """Scores are whole numbers."""
        with raises_on("score", owner="Rating"):
            Rating(conversation_id="c1", score=4.5, scale=RatingScale.FIVE_STAR)

    def test_rating_knows_satisfied_and_dissatisfied(self):
        """A rating classifies itself on its own scale."""
        rating = Rating(conversation_id="c1", score=2, scale=RatingScale.FIVE_STAR)
        assert (rating.satisfied, rating.dissatisfied) == (False, True)

    @pytest.mark.parametrize("empathy", [0, 6, True, 3.0])
    def test_empathy_off_one_to_five_is_rejected(self, empathy):
        """Empathy is a whole score from 1 to 5."""
        with raises_on("empathy", owner="QualityReview"):
            QualityReview(
                conversation_id="c1",
                reviewer_id="s1",
                accurate=True,
                script_compliant=True,
                empathy=empathy,
            )

    def test_score_above_max_score_is_rejected(self):
        """Nobody scores 11 out of 10."""
        with raises_on("score", owner="KnowledgeTest"):
            KnowledgeTest(agent_id="a1", taken_at=T0, score=11, max_score=10)

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("score", float("nan")),
            ("score", float("inf")),
            ("max_score", float("inf")),
            ("max_score", 0),
            ("score", -1),
        ],
    )
    def test_nan_infinite_and_negative_numbers_are_rejected(self, field, value):
        """No NaN, no infinity, no negative score, a positive maximum."""
        values = {"score": 5.0, "max_score": 10.0, field: value}
        with raises_on(field, owner="KnowledgeTest"):
            KnowledgeTest(agent_id="a1", taken_at=T0, **values)

    def test_agent_role_must_be_a_role(self):
        """Roles are Role members."""
        with raises_on("role", owner="Agent"):
            Agent(id="a1", role="agent")


class TestPlainData:
    @given(st.from_type(Conversation))
    def test_conversation_round_trips_through_dicts(self, value):
        """from_dict(to_dict(x)) == x."""
        assert value == Conversation.from_dict(value.to_dict())

    @given(
        st.one_of(
            st.from_type(Rating),
            st.from_type(Agent),
            st.from_type(QualityReview),
            st.from_type(KnowledgeTest),
        )
    )
    def test_records_round_trip_through_dicts(self, value):
        """Every record type reads back its own plain form."""
        assert value == type(value).from_dict(value.to_dict())

    def test_to_dict_is_json_ready(self):
        """Enums become values and datetimes ISO strings."""
        data = conversation(sentiment_end=Sentiment.POSITIVE).to_dict()
        assert data["channel"] == "dm"
        assert data["opened_at"] == "2025-11-03T09:00:00+00:00"
        assert data["sentiment_end"] == "positive"

    def test_unknown_and_missing_keys_are_named(self):
        """A typo in a key is not silently dropped."""
        data = conversation().to_dict()
        with raises_on("chanel"):
            Conversation.from_dict({**data, "chanel": "dm"})
        del data["agent_id"]
        with raises_on("agent_id"):
            Conversation.from_dict(data)

    @pytest.mark.parametrize(
        "field", ["customer_id", "channel", "difficulty", "escalated", "rating_invited"]
    )
    def test_optional_fields_may_be_left_out(self, field):
        """A field an export may lack is None when left out, not an invented value."""
        data = conversation().to_dict()
        del data[field]
        assert getattr(Conversation.from_dict(data), field) is None

    @pytest.mark.parametrize(
        ("field", "value"),
        [("channel", "fax"), ("opened_at", "yesterday"), ("difficulty", "hard")],
    )
    def test_bad_plain_values_are_named(self, field, value):
        """Unknown enum values and unparsable datetimes name their field."""
        with raises_on(field):
            Conversation.from_dict({**conversation().to_dict(), field: value})

    def test_from_dict_needs_a_mapping(self):
        """A list is not a record."""
        with pytest.raises(ValidationError, match="must be a mapping"):
            Conversation.from_dict(["c1"])


WILD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)),
    st.sampled_from([*Channel, *Difficulty, *Sentiment, *Role]),
)


class TestFuzzing:
    @given(
        st.sampled_from([Conversation, Rating, QualityReview, KnowledgeTest, Agent]),
        st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "agent_id",
                    "customer_id",
                    "opened_at",
                    "closed_at",
                    "channel",
                    "difficulty",
                    "resolved",
                    "escalated",
                    "rating_invited",
                    "conversation_id",
                    "score",
                    "scale",
                    "reviewer_id",
                    "accurate",
                    "script_compliant",
                    "empathy",
                    "taken_at",
                    "max_score",
                    "role",
                    "bogus",
                ]
            ),
            WILD,
        ),
    )
    def test_only_validation_errors_escape_from_dict(self, record_type, data):
        """Wild plain data either builds a record or raises ValidationError."""
        try:
            record = record_type.from_dict(data)
        except ValidationError:
            return
        assert isinstance(record, record_type)


class TestOverflowsAndOddValues:
    @pytest.mark.parametrize("bound", [2**53 + 1, 10**20, -(10**400)])
    def test_scale_bounds_beyond_float_exactness_are_refused(self, bound):
        """A score of 10**20 cannot exist: no scale reaches it."""
        field = "low" if bound < 0 else "high"
        with raises_on(field, owner="RatingScale"):
            attrs.evolve(RatingScale.FIVE_STAR, **{field: bound})

    def test_the_widest_scale_still_works(self):
        wide = RatingScale(
            name="wide", low=-(2**53), high=2**53, satisfied_from=1, dissatisfied_to=0
        )
        assert Rating(conversation_id="c", score=2**53, scale=wide).satisfied

    @pytest.mark.parametrize("huge", [10**400, Fraction(10**400, 3)])
    @pytest.mark.parametrize("field", ["score", "max_score"])
    def test_numbers_too_large_for_a_float_are_refused(self, field, huge):
        values = {"score": 1, "max_score": 2, field: huge}
        with raises_on(field, owner="KnowledgeTest"):
            KnowledgeTest(agent_id="a1", taken_at=T0, **values)

    @pytest.mark.parametrize(
        "instant",
        [
            datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=8))),
            datetime(1, 1, 1, tzinfo=UTC),
            datetime(9999, 12, 31, 20, tzinfo=timezone(timedelta(hours=-8))),
            datetime(9998, 12, 30, tzinfo=UTC),
        ],
    )
    def test_instants_a_calendar_cannot_place_are_refused(self, instant):
        """Years 1 and 9999 leave datetime's range in some zone: refused on entry."""
        with raises_on("opened_at"):
            conversation(opened_at=instant)
        with raises_on("rated_at", owner="Rating"):
            Rating(
                conversation_id="c",
                score=3,
                scale=RatingScale.FIVE_STAR,
                rated_at=instant,
            )

    def test_the_last_supported_instant_is_accepted(self):
        last = datetime(9998, 12, 29, 23, 59, 59, tzinfo=UTC)
        assert conversation(opened_at=last).opened_at == last

    @pytest.mark.parametrize(
        ("code", "error"),
        [(3, UnknownKeyError), (-1, UnknownKeyError), ("0", TypeError)],
    )
    def test_codes_out_of_range_are_library_errors(self, code, error):
        """-1 used to wrap to the last member; now every bad code is refused."""
        with pytest.raises(error):
            Role.from_code(code)
        assert Role.from_code(2) is Role.BOT

    def test_a_wrong_scale_type_is_a_wrong_type_error(self):
        with pytest.raises(WrongTypeError, match="must be a RatingScale"):
            Rating(conversation_id="c", score=3, scale="five")

    def test_plain_data_that_is_not_a_mapping_is_a_wrong_type_error(self):
        with pytest.raises(WrongTypeError, match="must be a mapping"):
            Agent.from_dict([("id", "a1")])
