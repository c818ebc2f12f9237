"""Periods and calendars: boundaries, DST, vectorised assignment."""

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicequality import (
    Daily,
    DayOfWeek,
    HourOfDay,
    Monthly,
    Period,
    Quarterly,
    ValidationError,
    Weekly,
    WrongTypeError,
    Yearly,
    _periods,
)

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def instants(*texts):
    return np.array(texts, dtype="datetime64[us]")


class TestPeriod:
    def test_half_open(self):
        """The start is inside, the end is not."""
        period = Period(
            start=datetime(2025, 11, 1, tzinfo=UTC),
            end=datetime(2025, 12, 1, tzinfo=UTC),
        )
        assert period.start in period
        assert period.end not in period
        assert period.end - timedelta(microseconds=1) in period

    def test_naive_or_empty_periods_are_rejected(self):
        """Periods are tz-aware and not empty."""
        with pytest.raises(ValidationError, match=r"Period\.start"):
            Period(start=datetime(2025, 1, 1), end=datetime(2025, 2, 1, tzinfo=UTC))
        with pytest.raises(ValidationError, match=r"Period\.end"):
            Period(
                start=datetime(2025, 1, 1, tzinfo=UTC),
                end=datetime(2025, 1, 1, tzinfo=UTC),
            )

    def test_equal_instants_in_other_zones_are_equal(self):
        """Equality is by instant, not by wall clock."""
        utc = Period(
            start=datetime(2025, 1, 1, tzinfo=UTC), end=datetime(2025, 1, 2, tzinfo=UTC)
        )
        east = Period(
            start=datetime(2025, 1, 1, 8, tzinfo=SHANGHAI),
            end=datetime(2025, 1, 2, 8, tzinfo=SHANGHAI),
        )
        assert utc == east

    def test_naive_instants_are_not_contained(self):
        """A naive datetime is never inside a period."""
        period = Monthly(tz=UTC).period_of(datetime(2025, 1, 5, tzinfo=UTC))
        assert datetime(2025, 1, 5) not in period

    def test_dst_month_is_an_hour_short(self):
        """March in Berlin lasts 31 days minus the hour clocks skip."""
        march = Monthly(tz=BERLIN).period_of(datetime(2025, 3, 15, tzinfo=UTC))
        assert march.duration == timedelta(days=31) - timedelta(hours=1)


class TestCalendars:
    def test_weeks_start_on_monday_in_the_calendar_zone(self):
        """Sunday 23:30 UTC is already Monday in Shanghai."""
        codes, periods = Weekly(tz=SHANGHAI).assign(instants("2025-11-09T23:30"))
        assert codes.tolist() == [0]
        assert periods[0].start == datetime(2025, 11, 10, tzinfo=SHANGHAI)
        assert periods[0].end == datetime(2025, 11, 17, tzinfo=SHANGHAI)
        _, (utc_week,) = Weekly(tz=UTC).assign(instants("2025-11-09T23:30"))
        assert utc_week.start == datetime(2025, 11, 3, tzinfo=UTC)

    def test_month_quarter_year_boundaries(self):
        """Each calendar cuts at local midnight of its first day."""
        stamps = instants("2025-03-31T21:59", "2025-03-31T22:00", "2025-12-31T23:00")
        months = Monthly(tz=BERLIN).assign(stamps)
        assert months[0].tolist() == [0, 1, 2]
        assert months[1][1].start == datetime(2025, 4, 1, tzinfo=BERLIN)
        quarters = Quarterly(tz=BERLIN).assign(stamps)
        assert quarters[0].tolist() == [0, 1, 2]
        assert quarters[1][2].start == datetime(2026, 1, 1, tzinfo=BERLIN)
        years = Yearly(tz=BERLIN).assign(stamps)
        assert years[0].tolist() == [0, 0, 1]

    def test_periods_come_in_time_order(self):
        """Codes index periods sorted by start, whatever the row order."""
        codes, periods = Monthly(tz=UTC).assign(
            instants("2025-05-02", "2025-01-09", "2025-03-03")
        )
        assert codes.tolist() == [2, 0, 1]
        assert [p.start.month for p in periods] == [1, 3, 5]

    def test_calendars_accept_zone_names(self):
        """An IANA name is as good as a tzinfo."""
        assert Weekly(tz="Asia/Shanghai") == Weekly(tz=SHANGHAI)

    def test_unknown_zone_is_rejected(self):
        """A typo in a zone name is an error, not UTC."""
        with pytest.raises(ValidationError, match="tz"):
            Monthly(tz="Asia/Shanghia")
        with pytest.raises(ValidationError, match="tz"):
            Monthly(tz=8)

    def test_nat_and_non_datetime_arrays_are_rejected(self):
        """Only set datetime64 instants can be assigned."""
        with pytest.raises(ValidationError, match="NaT"):
            Monthly(tz=UTC).assign(instants("2025-01-01", "NaT"))
        with pytest.raises(ValidationError, match="datetime64"):
            Monthly(tz=UTC).assign(np.array([1, 2]))
        with pytest.raises(ValidationError, match="timezone-aware"):
            Monthly(tz=UTC).period_of(datetime(2025, 1, 1))

    def test_empty_input_gives_no_periods(self):
        """Nothing in, nothing out."""
        codes, periods = Weekly(tz=BERLIN).assign(instants())
        assert (codes.tolist(), periods) == ([], ())

    def test_following_preceding_and_ranges(self):
        """Neighbouring periods and the periods overlapping a span."""
        months = Monthly(tz=BERLIN)
        november = months.period_of(datetime(2025, 11, 20, tzinfo=BERLIN))
        assert months.following(november).start == datetime(2025, 12, 1, tzinfo=BERLIN)
        assert months.preceding(november).start == datetime(2025, 10, 1, tzinfo=BERLIN)
        year = months.periods_between(
            datetime(2025, 1, 1, tzinfo=BERLIN), datetime(2026, 1, 1, tzinfo=BERLIN)
        )
        assert len(year) == 12
        assert months.periods_between(november.end, november.start) == ()


class TestHourOfDay:
    def test_hours_follow_dst_changes(self):
        """Berlin skips 02:00 in March and repeats 02:00 in October."""
        stamps = instants(
            "2025-03-30T00:30",
            "2025-03-30T01:30",
            "2025-10-26T00:30",
            "2025-10-26T01:30",
        )
        assert HourOfDay(tz=BERLIN).hours(stamps).tolist() == [1, 3, 2, 2]

    def test_assign_gives_sorted_hours(self):
        """Codes index the distinct hours in ascending order."""
        codes, hours = HourOfDay(tz=timezone(timedelta(hours=8))).assign(
            instants("2025-01-01T15:00", "2025-01-01T01:00")
        )
        assert hours == (9, 23)
        assert codes.tolist() == [1, 0]
        assert HourOfDay(tz=UTC).hour_of(datetime(2025, 1, 1, 7, tzinfo=UTC)) == 7


ZONES = st.sampled_from(
    [
        UTC,
        BERLIN,
        SHANGHAI,
        ZoneInfo("America/Santiago"),
        ZoneInfo("Australia/Lord_Howe"),
    ]
)
STAMPS = st.lists(
    st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1)), min_size=1, max_size=20
)
CALENDARS = st.sampled_from([Daily, Weekly, Monthly, Quarterly, Yearly])


class TestProperties:
    @given(CALENDARS, ZONES, STAMPS)
    def test_every_instant_lies_in_its_period(self, calendar_type, zone, naive):
        """assign() puts each instant inside the period its code names."""
        codes, periods = calendar_type(tz=zone).assign(
            np.array(naive, dtype="datetime64[us]")
        )
        for stamp, code in zip(naive, codes.tolist(), strict=True):
            assert stamp.replace(tzinfo=UTC) in periods[code]

    @given(CALENDARS, ZONES, STAMPS)
    def test_periods_are_contiguous_and_local_midnight(
        self, calendar_type, zone, naive
    ):
        """Each period starts at local midnight and its successor starts at its end."""
        calendar = calendar_type(tz=zone)
        _, periods = calendar.assign(np.array(naive, dtype="datetime64[us]"))
        for period in periods:
            local = period.start.astimezone(zone)
            assert (local.hour, local.minute) == (0, 0) or local.utcoffset() != (
                period.start - timedelta(microseconds=1)
            ).astimezone(zone).utcoffset()
            assert calendar.following(period).start == period.end

    @given(CALENDARS, ZONES, STAMPS, st.integers(1, 8))
    def test_blocks_change_nothing_and_every_period_is_used(
        self, calendar_type, zone, naive, block
    ):
        """assign() in blocks of any size gives the same codes; no empty period."""
        calendar = calendar_type(tz=zone)
        stamps = np.array(naive, dtype="datetime64[us]")
        codes, periods = calendar.assign(stamps)
        original = _periods._BLOCK
        _periods._BLOCK = block
        try:
            blocked = calendar.assign(stamps)
        finally:
            _periods._BLOCK = original
        assert blocked[0].tolist() == codes.tolist()
        assert blocked[1] == periods
        assert sorted(set(codes.tolist())) == list(range(len(periods)))
        assert [p.start for p in periods] == sorted({p.start for p in periods})

    @given(ZONES, STAMPS)
    def test_hour_matches_the_standard_library(self, zone, naive):
        """The vectorised hour equals datetime.astimezone(zone).hour."""
        hours = HourOfDay(tz=zone).hours(np.array(naive, dtype="datetime64[us]"))
        expected = [s.replace(tzinfo=UTC).astimezone(zone).hour for s in naive]
        assert expected == hours.tolist()


class TestHostileInstantsAndZones:
    """Instants and zone names a calendar cannot use are the library's errors."""

    CALENDARS = (Daily, Weekly, Monthly, Quarterly, Yearly, HourOfDay, DayOfWeek)

    @pytest.mark.parametrize("name", ["America", "Asia/", "a" * 10_000, "\x00", ""])
    @pytest.mark.parametrize("calendar", CALENDARS)
    def test_folders_and_long_names_are_not_zones(self, calendar, name):
        with pytest.raises(ValidationError, match="not a known IANA time zone"):
            calendar(tz=name)

    @pytest.mark.parametrize("zone", [5, b"UTC", 8.0])
    def test_a_zone_of_the_wrong_type_is_a_wrong_type_error(self, zone):
        with pytest.raises(WrongTypeError):
            Monthly(tz=zone)

    def test_an_abstract_tzinfo_is_refused(self):
        from datetime import tzinfo

        with pytest.raises(ValidationError, match="UTC offset"):
            Monthly(tz=tzinfo())

    @pytest.mark.parametrize("calendar", CALENDARS[:5])
    @pytest.mark.parametrize("zone", [SHANGHAI, ZoneInfo("America/Los_Angeles")])
    @pytest.mark.parametrize(
        "instant",
        [
            datetime(1, 1, 1, tzinfo=SHANGHAI),
            datetime(1, 1, 1, tzinfo=UTC),
            datetime(9999, 12, 31, 23, tzinfo=ZoneInfo("America/Los_Angeles")),
            datetime(9999, 12, 31, tzinfo=UTC),
        ],
    )
    def test_period_of_at_years_1_and_9999(self, calendar, zone, instant):
        with pytest.raises(ValidationError) as caught:
            calendar(tz=zone).period_of(instant)
        assert caught.value.field == "timestamp"

    @pytest.mark.parametrize(
        "column",
        [
            np.array(["0001-01-01", "2025-01-01"], dtype="datetime64[us]"),
            np.array(["2025-01-01", "9999-12-31T23:59"], dtype="datetime64[s]"),
            np.array(["-100000-01-01"], dtype="datetime64[D]"),
        ],
    )
    def test_assign_names_the_first_row_out_of_range(self, column):
        with pytest.raises(ValidationError, match="must lie from 0002-01-02") as e:
            Monthly(tz=SHANGHAI).assign(column)
        assert e.value.index == (0 if column[0] < np.datetime64("2000") else 1)

    def test_nanosecond_columns_near_their_own_limit_still_work(self):
        """2262 is fine: the range check does not overflow finer units."""
        column = np.array(["2262-04-11T00:00"], dtype="datetime64[ns]")
        _, (period,) = Monthly(tz=SHANGHAI).assign(column)
        assert period.start == datetime(2262, 4, 1, tzinfo=SHANGHAI)

    @given(
        instant=st.datetimes(
            min_value=datetime(2, 1, 2), max_value=datetime(9998, 12, 29, 23)
        ),
        zone=st.timezones(),
        calendar=st.sampled_from([Daily, Weekly, Monthly, Quarterly, Yearly]),
    )
    def test_every_supported_instant_has_its_period(self, instant, zone, calendar):
        """From 0002-01-02 to 9998-12-30 UTC any zone's period holds the instant."""
        moment = instant.replace(tzinfo=UTC)
        assert moment in calendar(tz=zone).period_of(moment)

    def test_a_period_that_leaves_datetimes_range_is_refused(self):
        with pytest.raises(ValidationError, match="once converted to UTC"):
            Period(
                start=datetime(1, 1, 1, tzinfo=SHANGHAI),
                end=datetime(1, 1, 2, tzinfo=SHANGHAI),
            )
        inside = Period(
            start=datetime(1, 1, 1, 9, tzinfo=SHANGHAI),
            end=datetime(1, 1, 2, tzinfo=SHANGHAI),
        )
        assert datetime(1, 1, 1, tzinfo=SHANGHAI) not in inside


class TestNoImplicitZone:
    @pytest.mark.parametrize(
        "calendar", [Daily, Weekly, Monthly, Quarterly, Yearly, HourOfDay, DayOfWeek]
    )
    def test_a_calendar_needs_its_zone(self, calendar):
        """No calendar falls back to UTC: the zone is asked for by name."""
        with pytest.raises(ValidationError, match=r"is required.*no default") as caught:
            calendar()
        assert (caught.value.owner, caught.value.field) == (calendar.__name__, "tz")
        with pytest.raises(WrongTypeError, match="not float"):
            calendar(tz=8.0)


class TestDaily:
    def test_a_day_is_local_midnight_to_midnight(self):
        """16:00 UTC is already the next day in Shanghai; 15:59 is not."""
        codes, days = Daily(tz=SHANGHAI).assign(
            instants("2025-11-09T15:59", "2025-11-09T16:00", "2025-11-10T15:59")
        )
        assert codes.tolist() == [0, 1, 1]
        assert days == (
            Period(
                start=datetime(2025, 11, 9, tzinfo=SHANGHAI),
                end=datetime(2025, 11, 10, tzinfo=SHANGHAI),
            ),
            Period(
                start=datetime(2025, 11, 10, tzinfo=SHANGHAI),
                end=datetime(2025, 11, 11, tzinfo=SHANGHAI),
            ),
        )
        assert [d.label for d in days] == ["2025-11-09", "2025-11-10"]

    def test_the_day_clocks_go_back_lasts_25_hours(self):
        """Berlin, 26 October 2025: one period of 25 h, then a day of 24 h."""
        day = Daily(tz=BERLIN).period_of(datetime(2025, 10, 26, 12, tzinfo=BERLIN))
        assert day.duration == timedelta(hours=25)
        assert Daily(tz=BERLIN).following(day).duration == timedelta(hours=24)


class TestDayOfWeek:
    def test_iso_weekdays_on_the_local_calendar(self):
        """Sunday 23:30 in Shanghai is day 7; Monday 00:30 there is day 1."""
        clock = DayOfWeek(tz=SHANGHAI)
        sunday_night = instants("2025-11-09T15:30")  # 23:30 Sunday, Shanghai
        monday_early = instants("2025-11-09T16:30")  # 00:30 Monday, Shanghai
        assert clock.weekdays(sunday_night).tolist() == [7]
        assert clock.weekdays(monday_early).tolist() == [1]
        assert (
            DayOfWeek(tz=UTC).weekday_of(datetime(2025, 11, 9, 16, 30, tzinfo=UTC)) == 7
        )

    def test_assign_gives_the_days_present_monday_first(self):
        codes, days = DayOfWeek(tz=UTC).assign(
            instants("2025-11-09T10:00", "2025-11-12T10:00", "2025-11-02T01:00")
        )
        assert days == (3, 7)
        assert codes.tolist() == [1, 0, 1]
        assert DayOfWeek.buckets == (1, 2, 3, 4, 5, 6, 7)

    @given(ZONES, STAMPS)
    def test_each_row_lands_in_one_bucket_its_local_weekday(self, zone, naive):
        """Codes index exactly one bucket, the weekday zoneinfo gives the row."""
        codes, days = DayOfWeek(tz=zone).assign(np.array(naive, dtype="datetime64[us]"))
        assert len(codes) == len(naive)
        assert ((codes >= 0) & (codes < len(days))).all()
        assert list(days) == sorted(set(days))
        expected = [s.replace(tzinfo=UTC).astimezone(zone).isoweekday() for s in naive]
        assert expected == [days[c] for c in codes.tolist()]


class TestPlainData:
    @pytest.mark.parametrize(
        "calendar", [Daily, Weekly, Monthly, Quarterly, Yearly, HourOfDay, DayOfWeek]
    )
    @pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/Sao_Paulo"])
    def test_round_trip_through_json(self, calendar, zone):
        import json

        value = calendar(tz=zone)
        data = value.to_dict()
        assert data == {"tz": zone}
        assert calendar.from_dict(json.loads(json.dumps(data))) == value

    def test_datetime_utc_is_written_as_utc(self):
        assert Daily(tz=UTC).to_dict() == {"tz": "UTC"}

    def test_a_fixed_offset_is_written_as_its_offset(self):
        """datetime.timezone travels as "+08:00" / "-03:30" and comes back equal."""
        for hours in (8, -3.5):
            clock = DayOfWeek(tz=timezone(timedelta(hours=hours)))
            data = clock.to_dict()
            assert data == {"tz": "+08:00" if hours == 8 else "-03:30"}
            assert DayOfWeek.from_dict(data) == clock

    def test_a_zone_with_no_name_nor_fixed_offset_is_refused(self):
        class Custom(tzinfo):
            def utcoffset(self, dt):
                return timedelta(hours=1)

            def dst(self, dt):
                return timedelta(0)

        with pytest.raises(ValidationError, match="no IANA name") as caught:
            Daily(tz=Custom()).to_dict()
        assert (caught.value.owner, caught.value.field) == ("Daily", "tz")
        with pytest.raises(ValidationError, match="not a UTC offset"):
            Daily.from_dict({"tz": "+24:00"})

    def test_unknown_and_missing_keys_and_bad_zones_are_refused(self):
        with pytest.raises(ValidationError, match="not a known key"):
            Daily.from_dict({"tz": "UTC", "start": "Monday"})
        with pytest.raises(ValidationError, match="required but missing"):
            Daily.from_dict({})
        with pytest.raises(ValidationError, match="not a known IANA time zone"):
            DayOfWeek.from_dict({"tz": "Mars/Olympus"})
        with pytest.raises(WrongTypeError):
            Daily.from_dict(["UTC"])
