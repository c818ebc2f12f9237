"""Service hours, business time, SLAs, service windows and drill-down."""

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
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
    Monthly,
    Rating,
    RatingScale,
    Role,
    ServiceHours,
    SLAPolicy,
    ValidationError,
    Weekly,
    WrongTypeError,
    measure,
)
from servicequality import metrics as sqm
from servicequality import strategies as sqst
from servicequality.incentives import IncentivePlan, ThresholdBonus
from servicequality.policy import Tier, TierPolicy, classify
from tests.raising import fails

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_6 = ServiceHours(
    weekly=dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-18:00"),
    tz=SHANGHAI,
    holidays={date(2026, 10, 1)},
)


def instant(text):
    """A UTC datetime64 from an ISO string with an offset."""
    aware = datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)
    return np.datetime64(aware, "us")


def business(hours, start, end):
    return float(hours.business_seconds(instant(start), instant(end))[()])


class TestBusinessTimeByHand:
    @pytest.mark.parametrize(
        ("start", "end", "seconds"),
        [
            # Fri 17:00 → Mon 10:00: an hour on Friday, an hour on Monday.
            ("2026-11-20T17:00+08:00", "2026-11-23T10:00+08:00", 2 * 3600),
            # Overnight gap: Tue 17:30 → Wed 09:30.
            ("2026-11-17T17:30+08:00", "2026-11-18T09:30+08:00", 3600),
            # Wholly outside: Saturday morning.
            ("2026-11-21T10:00+08:00", "2026-11-21T11:00+08:00", 0),
            # Opened at night, answered at 09:05: the clock starts at 09:00.
            ("2026-11-18T02:00+08:00", "2026-11-18T09:05+08:00", 300),
            # Holiday (Thu 1 Oct 2026): Wed 17:00 → Fri 10:00.
            ("2026-09-30T17:00+08:00", "2026-10-02T10:00+08:00", 2 * 3600),
            # Inside one interval: calendar time.
            ("2026-11-18T10:00+08:00", "2026-11-18T10:03+08:00", 180),
            # The same instant written in UTC.
            ("2026-11-18T02:00+00:00", "2026-11-18T02:03+00:00", 180),
        ],
    )
    def test_weekday_team(self, start, end, seconds):
        assert business(WEEKDAYS_9_TO_6, start, end) == seconds

    def test_lunch_break(self):
        """Two intervals a day: 11:00 → 14:00 holds 2 open hours."""
        hours = ServiceHours.daily("09:00-12:00", "13:00-18:00", tz=SHANGHAI)
        assert business(hours, "2026-11-18T11:00+08:00", "2026-11-18T14:00+08:00") == (
            2 * 3600
        )

    def test_spring_forward_day_has_one_hour_less(self):
        """New York, Sunday 8 March 2026: 00:00–12:00 local holds 11 hours."""
        hours = ServiceHours.daily("00:00-12:00", tz=NEW_YORK)
        start = datetime(2026, 3, 8, 0, tzinfo=NEW_YORK)
        end = datetime(2026, 3, 8, 23, tzinfo=NEW_YORK)
        assert hours.business_seconds(start, end)[()] == 11 * 3600

    def test_fall_back_day_has_one_hour_more(self):
        """New York, Sunday 1 November 2026: 00:00–12:00 local holds 13 hours."""
        hours = ServiceHours.daily("00:00-12:00", tz=NEW_YORK)
        start = datetime(2026, 11, 1, 0, tzinfo=NEW_YORK)
        end = datetime(2026, 11, 1, 23, tzinfo=NEW_YORK)
        assert hours.business_seconds(start, end)[()] == 13 * 3600

    def test_schedule_follows_local_clock_across_dst(self):
        """09:00 New York is 14:00 UTC in winter and 13:00 UTC in summer."""
        hours = ServiceHours.daily("09:00-10:00", tz=NEW_YORK)
        winter = hours.open_intervals(
            datetime(2026, 3, 6, tzinfo=UTC), datetime(2026, 3, 7, tzinfo=UTC)
        )
        summer = hours.open_intervals(
            datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)
        )
        assert winter[0][0] == datetime(2026, 3, 6, 14, tzinfo=UTC)
        assert summer[0][0] == datetime(2026, 3, 9, 13, tzinfo=UTC)

    def test_midnight_end_written_as_time_zero(self):
        hours = ServiceHours(weekly={"sat": (time(22), time(0))}, tz=UTC)
        assert hours.weekly[5] == ((22 * 3600, 86_400),)

    def test_missing_ends_give_nan_and_columns_keep_their_shape(self):
        start = np.array([instant("2026-11-18T10:00+08:00")] * 2)
        end = np.array([instant("2026-11-18T11:00+08:00"), np.datetime64("NaT")])
        result = WEEKDAYS_9_TO_6.business_seconds(start, end)
        assert result[0] == 3600
        assert math.isnan(result[1])

    def test_contains(self):
        inside = WEEKDAYS_9_TO_6.contains(
            np.array(
                [
                    instant("2026-11-18T09:00+08:00"),
                    instant("2026-11-18T18:00+08:00"),
                    instant("2026-11-21T10:00+08:00"),
                    np.datetime64("NaT"),
                ]
            )
        )
        assert inside.tolist() == [True, False, False, False]

    def test_str_reads_like_a_timetable(self):
        assert str(ServiceHours.daily("08:00-23:00", tz=SHANGHAI)).startswith(
            "Mon 08:00-23:00; Tue 08:00-23:00"
        )
        assert "1 holiday" in str(WEEKDAYS_9_TO_6)


class TestServiceHoursValidation:
    @pytest.mark.parametrize(
        ("weekly", "rule"),
        [
            ({"mon": ["09:00-12:00", "11:00-13:00"]}, "overlap"),
            ({"mon": "18:00-09:00"}, "overnight"),
            ({"mon": "9-18"}, "HH:MM"),
            ({"mon": "09:00-25:00"}, "24:00"),
            ({"someday": "09:00-18:00"}, "weekdays"),
            ({7: "09:00-18:00"}, "weekdays"),
            ({"mon": 9}, "list of intervals"),
            ({"mon": [9]}, "an interval .HH:MM-HH:MM. or a \\(time, time\\) pair"),
            ({}, "at least once"),
            ("09:00-18:00", "a mapping of weekday to intervals, not str"),
        ],
    )
    def test_bad_schedules_name_the_rule(self, weekly, rule):
        with pytest.raises(ValidationError, match=rule) as caught:
            ServiceHours(weekly=weekly)
        assert caught.value.owner == "ServiceHours"

    def test_bad_time_zone_and_holidays(self):
        with pytest.raises(ValidationError, match="time zone"):
            ServiceHours.daily("09:00-18:00", tz="Mars/Olympus")
        with pytest.raises(ValidationError, match=r"datetime\.date"):
            ServiceHours.daily("09:00-18:00", tz=UTC, holidays=[datetime(2026, 1, 1)])

    def test_no_implicit_zone(self):
        """A schedule without a zone is refused with a sentence saying so."""
        for build in (
            lambda: ServiceHours(weekly={"mon": "09:00-18:00"}),
            lambda: ServiceHours.daily("09:00-18:00"),
            ServiceHours.always,
        ):
            with fails(ValidationError, "tz", match=r"is required.*no default"):
                build()
        with fails(WrongTypeError, "tz", match="IANA zone name, not int"):
            ServiceHours.always(8)
        with pytest.raises(ValidationError, match="collection of dates"):
            ServiceHours(
                weekly={"mon": "09:00-18:00"}, tz=UTC, holidays=date(2026, 1, 1)
            )

    def test_naive_datetimes_and_reversed_spans_are_refused(self):
        with pytest.raises(ValidationError, match="timezone-aware"):
            WEEKDAYS_9_TO_6.business_seconds(
                datetime(2026, 1, 1), datetime(2026, 1, 2, tzinfo=UTC)
            )
        with pytest.raises(ValidationError, match="before its start") as caught:
            WEEKDAYS_9_TO_6.business_seconds(
                np.array([instant("2026-01-01T00:00+00:00")] * 2),
                np.array(
                    [
                        instant("2026-01-01T01:00+00:00"),
                        instant("2025-12-31T00:00+00:00"),
                    ]
                ),
            )
        assert caught.value.index == 1
        with pytest.raises(ValidationError, match="datetime64"):
            WEEKDAYS_9_TO_6.contains(np.array([1, 2]))

    def test_hashable_and_equal_by_value(self):
        again = ServiceHours(
            weekly={d: ["09:00-18:00"] for d in range(5)},
            tz="Asia/Shanghai",
            holidays=[date(2026, 10, 1)],
        )
        assert again == WEEKDAYS_9_TO_6
        assert hash(again) == hash(WEEKDAYS_9_TO_6)


ZONES = [
    "UTC",
    "Asia/Shanghai",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
]


@st.composite
def schedules(draw):
    weekly = {}
    for day in range(7):
        cuts = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))
        pairs = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b]
        weekly[day] = [
            f"{a // 4:02d}:{a % 4 * 15:02d}-{b // 4:02d}:{b % 4 * 15:02d}"
            for a, b in pairs
        ]
    if not any(weekly.values()):
        weekly[0] = ["09:00-17:00"]
    holidays = draw(
        st.sets(st.dates(date(2025, 12, 25), date(2026, 4, 10)), max_size=10)
    )
    return ServiceHours(
        weekly=weekly, tz=draw(st.sampled_from(ZONES)), holidays=holidays
    )


instants = st.integers(
    int(np.datetime64("2026-01-01T00:00", "us").astype(np.int64)),
    int(np.datetime64("2026-04-01T00:00", "us").astype(np.int64)),
).map(lambda x: np.datetime64(x, "us"))


class TestBusinessTimeProperties:
    @settings(max_examples=150, deadline=None)
    @given(
        schedules(), st.lists(st.tuples(instants, instants), min_size=1, max_size=20)
    )
    def test_never_negative_never_more_than_calendar_time(self, hours, spans):
        start = np.array([min(a, b) for a, b in spans])
        end = np.array([max(a, b) for a, b in spans])
        spent = hours.business_seconds(start, end)
        calendar = (end - start).astype(np.int64) / 1e6
        assert (spent >= 0).all()
        assert (spent <= calendar).all()

    @settings(max_examples=150, deadline=None)
    @given(schedules(), st.lists(instants, min_size=3, max_size=3))
    def test_additive_over_split_spans(self, hours, points):
        a, b, c = (np.array([x]) for x in sorted(points))
        whole = hours.business_seconds(a, c)[0]
        parts = hours.business_seconds(a, b)[0] + hours.business_seconds(b, c)[0]
        assert whole == pytest.approx(parts, abs=1e-6)

    @settings(max_examples=100, deadline=None)
    @given(
        st.sampled_from(ZONES),
        st.lists(st.tuples(instants, instants), min_size=1, max_size=20),
    )
    def test_always_open_is_calendar_time(self, zone, spans):
        start = np.array([min(a, b) for a, b in spans])
        end = np.array([max(a, b) for a, b in spans])
        spent = ServiceHours.always(zone).business_seconds(start, end)
        assert spent.tolist() == ((end - start).astype(np.int64) / 1e6).tolist()

    @settings(max_examples=100, deadline=None)
    @given(schedules(), st.lists(instants, min_size=1, max_size=30))
    def test_contains_agrees_with_business_time(self, hours, points):
        """An instant is inside service exactly when the next second is open time."""
        at = np.array(points)
        after = at + np.timedelta64(1, "s")
        open_second = hours.business_seconds(at, after)
        inside = hours.contains(at)
        assert (open_second[inside] > 0).all()
        # Outside service, the next second may only be open if service opens within it.
        outside_open = (~inside) & (open_second > 0)
        assert (hours.contains(after - np.timedelta64(1, "us"))[outside_open]).all()


T0 = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai
LATE = datetime(2026, 11, 30, tzinfo=UTC)
ROSTER = (
    Agent(id="a1", role=Role.AGENT),
    Agent(id="a2", role=Role.AGENT),
    Agent(id="bot", role=Role.BOT),
)


def talk(cid, agent, opened, *, reply=None, close=None, **extra):
    opened = datetime.fromisoformat(opened)
    return Conversation(
        id=cid,
        agent_id=agent,
        customer_id=f"u{cid}",
        opened_at=opened,
        first_response_at=None if reply is None else opened + timedelta(seconds=reply),
        closed_at=None if close is None else opened + timedelta(seconds=close),
        channel=Channel.CHAT,
        topic="sizing",
        difficulty=Difficulty.BASIC,
        resolved=True,
        escalated=False,
        rating_invited=True,
        **extra,
    )


@pytest.fixture(scope="module")
def shop():
    """Four conversations of a1, two of a2, one of the bot (Shanghai times)."""
    conversations = [
        # Wed 10:00, answered in 2 min, closed after 1 h.
        talk("c1", "a1", "2026-11-18T10:00+08:00", reply=120, close=3600),
        # Wed 23:30 (outside 08:00–23:00), answered 10:00 next day: 10.5 h of
        # calendar time, 1 h of 09–18 business time; closed at 11:00 (2 h).
        talk("c2", "a1", "2026-11-18T23:30+08:00", reply=37_800, close=41_400),
        # Fri 17:58, answered Mon 09:02 (4 min of business time).
        talk("c3", "a1", "2026-11-20T17:58+08:00", reply=227_040),
        # Thu 12:00, never answered, closed after 10 min: missed the SLA.
        talk("c4", "a1", "2026-11-19T12:00+08:00", close=600),
        # Thu 12:00, answered in 10 min; still open.
        talk("c5", "a2", "2026-11-19T12:00+08:00", reply=600),
        # Thu 12:00, not answered, still open: pending.
        talk("c6", "a2", "2026-11-19T12:00+08:00"),
        talk("c7", "bot", "2026-11-19T12:00+08:00", reply=1, close=60),
    ]
    ratings = [
        Rating(conversation_id=c, scale=RatingScale.THREE_LEVEL, score=s, rated_at=LATE)
        for c, s in [("c1", 3), ("c2", 1), ("c3", 3), ("c5", 3)]
    ]
    return ConversationTable.from_records(conversations, ratings=ratings, agents=ROSTER)


DOUYIN_WINDOW = ServiceHours.daily("08:00-23:00", tz=SHANGHAI)


class TestClockedMetrics:
    def test_first_response_time_in_business_hours(self, shop):
        """a1: 120 s, 3600 s and 240 s of business time (c4 has no reply)."""
        calendar = measure(shop, sqm.first_response_time(), by="agent")
        clocked = measure(
            shop, sqm.first_response_time(clock=WEEKDAYS_9_TO_6), by="agent"
        )
        assert calendar.get("first_response_time", agent="a1").value == pytest.approx(
            (120 + 37_800 + 227_040) / 3
        )
        assert clocked.get("first_response_time", agent="a1").value == pytest.approx(
            (120 + 3600 + 240) / 3
        )

    def test_resolution_time_in_business_hours(self, shop):
        """a1 closed c1 (1 h), c2 (11:00 next day: 2 h) and c4 (10 min)."""
        clocked = measure(shop, sqm.resolution_time(clock=WEEKDAYS_9_TO_6), by="agent")
        assert clocked.get("resolution_time", agent="a1").value == pytest.approx(
            (3600 + 7200 + 600) / 3
        )

    def test_responded_within_on_a_clock_and_in_a_window(self, shop):
        """3-minute replies of a1: c1 only on the calendar; c1 of c1, c3, c4 in
        the 08:00–23:00 window (c2 opened at 23:30 does not count)."""
        plain = measure(shop, sqm.responded_within(), by="agent")
        windowed = measure(
            shop, sqm.responded_within(service_window=DOUYIN_WINDOW), by="agent"
        )
        five_minutes = measure(
            shop,
            sqm.responded_within(timedelta(minutes=5), clock=WEEKDAYS_9_TO_6),
            by="agent",
        )
        assert plain.get("responded_within", agent="a1").numerator == 1
        assert plain.get("responded_within", agent="a1").denominator == 4
        assert windowed.get("responded_within", agent="a1").denominator == 3
        assert five_minutes.get("responded_within", agent="a1").numerator == 2

    def test_service_window_on_satisfaction(self, shop):
        """c2 (dissatisfied, 23:30) falls outside 08:00–23:00."""
        windowed = measure(
            shop, sqm.satisfaction_rate(service_window=DOUYIN_WINDOW), by="agent"
        )
        assert windowed.get("satisfaction_rate", agent="a1").value == 1.0
        plain = measure(shop, sqm.satisfaction_rate(), by="agent")
        assert plain.get("satisfaction_rate", agent="a1").value == pytest.approx(2 / 3)

    def test_bad_clock_and_window_are_refused(self):
        with pytest.raises(ValidationError, match="ServiceHours"):
            sqm.first_response_time(clock="09:00-18:00")
        with pytest.raises(ValidationError, match="ServiceHours"):
            sqm.rating_rate(service_window="08:00-23:00")
        with pytest.raises(ValidationError, match="positive timedelta"):
            sqm.responded_within(timedelta(0))


CHAT_SLA = SLAPolicy(
    name="chat",
    first_response=timedelta(minutes=5),
    resolution=timedelta(hours=2),
    clock=WEEKDAYS_9_TO_6,
)


class TestSLA:
    def test_first_response_hits(self, shop):
        """a1: c1 (2 min) and c3 (4 business min) met, c2 (1 h) missed, c4
        closed unanswered missed. a2: c5 (10 min) missed, c6 pending."""
        result = measure(shop, CHAT_SLA.metrics(), by="agent")
        a1 = result.get("sla_chat_first_response", agent="a1")
        a2 = result.get("sla_chat_first_response", agent="a2")
        assert (a1.numerator, a1.denominator) == (2, 4)
        assert (a2.numerator, a2.denominator) == (0, 1)

    def test_resolution_hits(self, shop):
        """a1: c1 (1 h), c2 (2 business h), c4 (10 min) met; c3 open, pending."""
        result = measure(shop, CHAT_SLA.metrics(), by="agent")
        a1 = result.get("sla_chat_resolution", agent="a1")
        assert (a1.numerator, a1.denominator) == (3, 3)
        a2 = result.get("sla_chat_resolution", agent="a2")
        assert a2.denominator == 0

    def test_calendar_clock_misses_more(self, shop):
        """Without service hours c2 (11.5 h) misses the 2 h resolution target."""
        calendar = attrs.evolve(CHAT_SLA, name="chat_calendar", clock=None)
        result = measure(shop, calendar.metrics(), by="agent")
        a1 = result.get("sla_chat_calendar_resolution", agent="a1")
        assert (a1.numerator, a1.denominator) == (2, 3)

    def test_usable_in_tiers_and_threshold_bonuses(self, shop):
        measured = measure(shop, CHAT_SLA.metrics(), by="agent")
        policy = TierPolicy(
            metric="sla_chat_first_response",
            tiers=(Tier(name="met", at_least=0.5), Tier(name="missed")),
            min_sample=1,
        )
        assessment = classify(measured, [policy])
        assert assessment.tier("sla_chat_first_response", agent="a1") == "met"
        assert assessment.tier("sla_chat_first_response", agent="a2") == "missed"
        plan = IncentivePlan(
            name="sla",
            currency="CNY",
            rules=[ThresholdBonus(name="fast", bar=policy, amount="100")],
        )
        period = Monthly(tz=SHANGHAI).period_of(T0)
        statement = plan.apply(assessment, period)
        assert statement.totals == {"a1": 100, "a2": 0}

    def test_validation(self):
        with pytest.raises(ValidationError, match="set at least one of first_response"):
            SLAPolicy(name="x")
        with pytest.raises(ValidationError, match="identifier"):
            SLAPolicy(name="chat sla", first_response=timedelta(minutes=1))
        with pytest.raises(ValidationError, match="positive timedelta"):
            SLAPolicy(name="x", resolution=timedelta(0))
        with pytest.raises(ValidationError, match="ServiceHours"):
            SLAPolicy(name="x", resolution=timedelta(1), clock="9-18")
        only_response = SLAPolicy(name="x", first_response=timedelta(minutes=1))
        assert [m.name for m in only_response.metrics()] == ["sla_x_first_response"]
        with pytest.raises(ValidationError, match="not set"):
            sqm.sla_hit_rate(only_response, "resolution")
        with pytest.raises(ValidationError, match="'resolution' or 'next_reply'"):
            sqm.sla_hit_rate(only_response, "reply")
        with pytest.raises(ValidationError, match="SLAPolicy"):
            sqm.sla_hit_rate("x")


class TestDrillDown:
    def test_rows_behind_a_rate(self, shop):
        result = measure(shop, ["satisfaction_rate", "rating_rate"], by="agent")
        satisfied = result.rows("satisfaction_rate", part="numerator", agent="a1")
        rated = result.rows("satisfaction_rate", agent="a1")
        assert satisfied.ids == ("c1", "c3")
        assert rated.ids == ("c1", "c2", "c3")
        assert len(rated) == 3
        assert result.rows("rating_rate", agent="a2").ids == ("c5", "c6")

    def test_rows_behind_a_mean_respect_the_window_and_population(self, shop):
        result = measure(
            shop,
            [
                sqm.first_response_time(),
                sqm.responded_within(service_window=DOUYIN_WINDOW),
                sqm.bot_containment(),
            ],
            by="agent",
        )
        assert result.rows("first_response_time", agent="a1").ids == ("c1", "c2", "c3")
        assert result.rows("responded_within", agent="a1").ids == ("c1", "c3", "c4")
        assert result.rows("bot_containment", agent="bot").ids == ("c7",)
        assert result.rows("bot_containment", agent="a1").ids == ()

    def test_rows_by_calendar(self, shop):
        result = measure(shop, "rating_rate", by=["agent", Weekly(tz=SHANGHAI)])
        week = Weekly(tz=SHANGHAI).period_of(T0)
        assert set(result.rows("rating_rate", agent="a1", period=week).ids) == {
            "c1",
            "c2",
            "c3",
            "c4",
        }

    def test_assessment_and_payout_lines(self, shop):
        measured = measure(shop, ["satisfaction_rate"], by="agent")
        policy = TierPolicy(
            metric="satisfaction_rate",
            tiers=(Tier(name="ok", at_least=0.5), Tier(name="low")),
            min_sample=1,
        )
        assessment = classify(measured, [policy])
        assert assessment.rows("satisfaction_rate", agent="a1").ids == (
            "c1",
            "c2",
            "c3",
        )
        plan = IncentivePlan(
            name="p",
            currency="CNY",
            rules=[ThresholdBonus(name="bar", bar=policy, amount="50")],
        )
        statement = plan.apply(assessment, Monthly(tz=SHANGHAI).period_of(T0))
        line_rows = statement.rows("a1", "bar", part="numerator")
        assert line_rows.ids == ("c1", "c3")
        with pytest.raises(ValidationError, match="not on this statement"):
            statement.rows("a9", "bar")
        with pytest.raises(ValidationError, match="metrics the line read"):
            statement.rows("a1", "bar", metric="rating_rate")

    def test_refusals(self, shop):
        result = measure(shop, ["satisfaction_rate", "knowledge_score"], by="agent")
        with pytest.raises(ValidationError, match="knowledge tests"):
            result.rows("knowledge_score", agent="a1")
        with pytest.raises(ValidationError, match="numerator' or"):
            result.rows("satisfaction_rate", part="both", agent="a1")
        with pytest.raises(ValidationError, match="names no group"):
            result.rows("satisfaction_rate", agent="zz")
        merged = result.merge(result)
        with pytest.raises(ValidationError, match="merged"):
            merged.rows("satisfaction_rate", agent="a1")
        streamed = Accumulator(["satisfaction_rate"], by="agent")
        streamed.update(shop)
        with pytest.raises(ValidationError, match="streamed"):
            streamed.result().rows("satisfaction_rate", agent="a1")

    @settings(max_examples=40, deadline=None)
    @given(sqst.tables(), st.sampled_from(["satisfaction_rate", "conversation_count"]))
    def test_rows_measured_again_give_back_the_cell(self, table, name):
        """The numerator and denominator rows of every cell rebuild it exactly."""
        metric = sqm.get_metric(name)
        result = measure(table, [metric], by=["agent", "channel"])
        for key in result.keys:
            named = dict(zip(result.key_names, key, strict=True))
            cell = result.get(name, **named)
            for part, field in (("numerator", "numerator"), ("denominator", "n")):
                rows = result.rows(name, part=part, **named)
                again = measure(rows.table, [metric], by=["agent", "channel"])
                if len(rows) == 0:
                    assert getattr(cell, field) == 0
                    continue
                redone = again.get(name, **named)
                assert getattr(redone, field) == getattr(cell, field)


class TestHostileZonesAndInstants:
    @pytest.mark.parametrize("name", ["America", "x" * 5000])
    def test_folder_and_long_zone_names_are_validation_errors(self, name):
        with pytest.raises(ValidationError, match="not a known IANA time zone"):
            ServiceHours.daily("09:00-18:00", tz=name)

    def test_instants_out_of_range_are_validation_errors(self):
        hours = ServiceHours.daily("09:00-18:00", tz="America/Los_Angeles")
        start = np.array(["0001-01-01"], dtype="datetime64[us]")
        end = np.array(["9999-12-31T23:00"], dtype="datetime64[us]")
        with pytest.raises(ValidationError, match="must lie from 0002-01-02"):
            hours.business_seconds(start, end)
        with pytest.raises(ValidationError, match="must lie from 0002-01-02"):
            hours.open_intervals(
                datetime(9999, 12, 31, tzinfo=UTC),
                datetime(9999, 12, 31, 1, tzinfo=UTC),
            )
