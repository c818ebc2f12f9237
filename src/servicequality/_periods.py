"""Half-open periods and the calendars that assign timestamps to them.

Timestamps in columns are ``datetime64`` UTC instants. A calendar converts
them to wall-clock time in its own time zone (vectorised, exact across DST
changes) and groups by the local day, week, month, quarter or year, or by
a recurring bucket: the hour of the day or the day of the week.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self
from zoneinfo import ZoneInfo

import attrs
import numpy as np

from servicequality import _validators as v
from servicequality._columns import dense_codes
from servicequality._errors import ValidationError, WrongTypeError

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

__all__ = [
    "Calendar",
    "Daily",
    "DayOfWeek",
    "HourOfDay",
    "Monthly",
    "Period",
    "Quarterly",
    "TimeGrouping",
    "Weekly",
    "Yearly",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_US = 86_400_000_000
EARLIEST = datetime(2, 1, 2, tzinfo=UTC)
"""The earliest instant a calendar or clock accepts (0002-01-02 UTC)."""
LATEST = datetime(9998, 12, 30, tzinfo=UTC)
"""The first instant past what a calendar or clock accepts (9998-12-30 UTC).

Between the two, every local wall time in any zone and the end of its
year stay inside :class:`datetime.datetime`'s range.
"""
_SUPPORTED = (
    f"must lie from {EARLIEST.date()} to before {LATEST.date()} (UTC), "
    "so that every zone's wall time and period fit in a datetime"
)


def as_utc(owner: str, field: str, value: datetime) -> datetime:
    """``value`` (timezone-aware) in UTC, or the library's error if it cannot be.

    Raises:
        ValidationError: when the conversion leaves datetime's range (year 1
            at a positive offset, year 9999 at a negative one) or the zone
            fails to give an offset.
    """
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError, ArithmeticError):
        raise ValidationError(
            owner, field, value, "leaves datetime's range once converted to UTC"
        ) from None


def check_instant(owner: str, field: str, value: datetime) -> datetime:
    """``value`` in UTC if a calendar can place it, else the library's error.

    Raises:
        ValidationError: for an instant before :data:`EARLIEST` or from
            :data:`LATEST` on.
    """
    utc = as_utc(owner, field, value)
    if not EARLIEST <= utc < LATEST:
        raise ValidationError(owner, field, value, _SUPPORTED)
    return utc


@attrs.frozen(kw_only=True, order=False)
class Period:
    """A half-open span of time ``[start, end)``.

    Equality compares instants: a period in Asia/Shanghai equals the same
    span written in UTC.

    Attributes:
        start: First instant inside the period (timezone-aware).
        end: First instant after the period (timezone-aware), later than ``start``.

    Raises:
        ValidationError: for naive datetimes or ``end <= start``.
    """

    start: datetime = attrs.field(validator=v.aware_datetime)
    end: datetime = attrs.field(validator=v.aware_datetime)

    def __attrs_post_init__(self) -> None:
        start = as_utc("Period", "start", self.start)
        if as_utc("Period", "end", self.end) <= start:
            v.fail(
                self, "end", self.end, f"must be after start ({self.start.isoformat()})"
            )

    def __contains__(self, instant: object) -> bool:
        if not isinstance(instant, datetime) or instant.utcoffset() is None:
            return False
        try:
            utc = instant.astimezone(UTC)
        except OverflowError:  # outside datetime's range, so outside the period
            return False
        return self.start.astimezone(UTC) <= utc < self.end.astimezone(UTC)

    def __lt__(self, other: Period) -> bool:
        return (self.start.astimezone(UTC), self.end.astimezone(UTC)) < (
            other.start.astimezone(UTC),
            other.end.astimezone(UTC),
        )

    @property
    def duration(self) -> timedelta:
        """Elapsed time from start to end (a DST change makes a day 23 or 25 h)."""
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"

    @property
    def label(self) -> str:
        """A short label on the wall clock of ``start``'s time zone.

        A calendar year reads ``2025``, a quarter ``2025-Q4``, a month
        ``2025-11``, an ISO week ``2025-W46``, a day ``2025-11-12``, an
        hour ``2025-11-12 14:00+08:00`` (with its offset, so the repeated
        hour of a DST change is told apart). Any other span of whole days
        reads ``2025-11-03 – 2025-11-12`` (both days inside); anything else
        gives both ends to the minute with the offset.
        """
        start = self.start
        end = self.end.astimezone(start.tzinfo)
        if start.timetz().replace(tzinfo=None) == time() == end.time():
            return _days_label(start.date(), end.date())
        if self.duration == timedelta(hours=1) and start == start.replace(
            minute=0, second=0, microsecond=0
        ):
            return f"{start:%Y-%m-%d %H:%M}{_offset(start)}"
        return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}{_offset(start)}"


def _offset(instant: datetime) -> str:
    """``+08:00``, ``-05:00`` or ``Z`` for UTC."""
    text = instant.isoformat(timespec="minutes")[16:]
    return "Z" if text in {"+00:00", ""} else text


def _days_label(first: date, after: date) -> str:
    """The label of the whole days from ``first`` to the day before ``after``."""
    months = (after.year - first.year) * 12 + after.month - first.month
    if first.day == 1 and after.day == 1:
        if months == 12 and first.month == 1:
            return f"{first.year:04d}"
        if months == 3 and first.month % 3 == 1:
            return f"{first.year:04d}-Q{first.month // 3 + 1}"
        if months == 1:
            return f"{first:%Y-%m}"
    days = (after - first).days
    if days == 7 and first.weekday() == 0:
        year, week, _ = first.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if days == 1:
        return first.isoformat()
    return f"{first.isoformat()} – {(after - timedelta(days=1)).isoformat()}"


_LONGEST_ZONE_NAME = 64


def to_zone(value: tzinfo | str) -> tzinfo:
    """The zone ``value`` names (an IANA name) or is (a concrete ``tzinfo``).

    Raises:
        ValidationError: for an unknown name or a tzinfo without an offset.
        WrongTypeError: for anything else.
    """
    if isinstance(value, str):
        if len(value) > _LONGEST_ZONE_NAME:
            raise ValidationError(
                "calendar",
                "tz",
                value,
                f"is not a known IANA time zone (longer than {_LONGEST_ZONE_NAME})",
            )
        try:
            return ZoneInfo(value)
        # ZoneInfoNotFoundError is a KeyError; a folder name ("America") or a
        # path the file system refuses is an OSError
        except (ValueError, LookupError, OSError):
            raise ValidationError(
                "calendar", "tz", value, "is not a known IANA time zone"
            ) from None
    if not isinstance(value, tzinfo):
        raise WrongTypeError(
            "calendar", "tz", value, "must be a tzinfo or an IANA zone name"
        )
    try:
        offset = datetime(2000, 1, 1, tzinfo=value).utcoffset()
    except Exception:  # a hostile tzinfo may raise anything
        offset = None
    if offset is None:
        raise ValidationError(
            "calendar", "tz", value, "must give a UTC offset (a concrete tzinfo)"
        )
    return value


def _zone(value: tzinfo | str | None, instance: object) -> tzinfo:
    """The zone a calendar or clock was given; there is no default zone."""
    owner = type(instance).__name__
    if value is None:
        rule = (
            "is required: give the time zone whose wall clock defines the "
            "periods, e.g. 'Asia/Shanghai' or datetime.UTC (there is no default)"
        )
        raise ValidationError(owner, "tz", None, rule)
    if not isinstance(value, str | tzinfo):
        rule = "must be a tzinfo or an IANA zone name, not " + type(value).__name__
        raise WrongTypeError(owner, "tz", value, rule)
    return to_zone(value)


ZONE_CONVERTER = attrs.Converter(_zone, takes_self=True)
"""The ``tz`` converter of calendars and clocks: required, checked."""


def zone_name(owner: str, tz: tzinfo) -> str:
    """The IANA name of ``tz`` (``"UTC"`` for :data:`datetime.UTC`).

    Raises:
        ValidationError: for a zone without an IANA name (a fixed offset).
    """
    if tz is UTC:
        return "UTC"
    key = getattr(tz, "key", None)
    if not isinstance(key, str):
        rule = "has no IANA name to write as plain data; use a ZoneInfo"
        raise ValidationError(owner, "tz", tz, rule)
    return key


_FIXED_OFFSET = re.compile(r"[+-]\d\d:\d\d")


@attrs.frozen(kw_only=True)
class _Zoned:
    """A calendar or clock in one time zone, written as plain data ``{"tz": ...}``."""

    tz: tzinfo = attrs.field(default=None, converter=ZONE_CONVERTER)  # type: ignore[misc]

    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``{"tz": "Asia/Shanghai"}``; a fixed offset as ``"+08:00"``.

        Raises:
            ValidationError: for a zone with neither an IANA name nor a fixed
                offset.
        """
        if isinstance(self.tz, timezone) and self.tz is not UTC:
            return {"tz": _offset(datetime(2000, 1, 1, tzinfo=self.tz))}
        return {"tz": zone_name(type(self).__name__, self.tz)}

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Read :meth:`to_dict` output: an IANA name or a ``"+HH:MM"`` offset.

        Raises:
            ValidationError: for an unknown or missing key or zone.
            WrongTypeError: for data that is not a mapping or a zone of the
                wrong type.
        """
        zone = v.mapping(cls.__name__, data, ("tz",))["tz"]
        if isinstance(zone, str) and _FIXED_OFFSET.fullmatch(zone):
            hours, minutes = int(zone[1:3]), int(zone[4:])
            if hours > 23 or minutes > 59:
                raise ValidationError(cls.__name__, "tz", zone, "is not a UTC offset")
            sign = -1 if zone[0] == "-" else 1
            zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
        return cls(tz=zone)


def _offset_at(tz: tzinfo, second: int) -> timedelta:
    offset = (_EPOCH + timedelta(seconds=second)).astimezone(tz).utcoffset()
    assert offset is not None  # an aware datetime always has one
    return offset


def _offsets(low: int, high: int, tz: tzinfo) -> tuple[NDArray[Any], NDArray[Any]]:
    """UTC instants (µs) where ``tz``'s offset changes, and each offset (µs).

    Covers the seconds ``low`` to ``high``; the first change point is the
    UTC day of ``low``. Change points are found per UTC day and pinned to
    the second by bisection.
    """
    day = 86_400
    first_day = low - low % day
    starts = [first_day]
    offsets = [_offset_at(tz, first_day)]
    for second in range(first_day + day, high + day, day):
        offset = _offset_at(tz, second)
        if offset != offsets[-1]:
            before, after = second - day, second
            while after - before > 1:
                middle = (before + after) // 2
                if _offset_at(tz, middle) == offsets[-1]:
                    before = middle
                else:
                    after = middle
            starts.append(after)
            offsets.append(_offset_at(tz, after))
    change_at = np.array(starts, dtype=np.int64) * 1_000_000
    shift = np.array([o // timedelta(microseconds=1) for o in offsets], np.int64)
    return change_at, shift


def _span_seconds(instants: NDArray[Any]) -> tuple[int, int]:
    return _seconds_of(instants.min()), _seconds_of(instants.max())


def _seconds_of(instant: np.datetime64) -> int:
    return int(instant.astype("datetime64[s]").astype(np.int64))


def local_wall_times(instants: NDArray[Any], tz: tzinfo) -> NDArray[Any]:
    """Wall-clock times in ``tz`` of UTC ``instants`` (``datetime64[us]``).

    The offset is piecewise constant; its change points between the first
    and last instant are found per UTC day and pinned to the second by
    bisection, so the work is proportional to days spanned, not rows.

    Raises:
        ValidationError: if an instant is NaT.
    """
    instants = np.asarray(instants, dtype="datetime64[us]")
    if instants.size == 0:
        return instants.copy()
    if np.isnat(instants).any():
        raise ValidationError(
            "calendar", "timestamps", "NaT", "every timestamp must be set"
        )
    change_at, shift = _offsets(*_span_seconds(instants), tz)
    micros = instants.view(np.int64)
    if len(shift) == 1:
        return np.asarray(micros + shift[0]).view("datetime64[us]")
    index = np.searchsorted(change_at, micros, side="right") - 1
    return np.asarray(micros + shift[index]).view("datetime64[us]")


_BLOCK = 1 << 16
"""Rows per block of the one-pass period assignment (temporaries stay in cache)."""


def _period_codes(
    instants: NDArray[Any],
    tz: tzinfo,
    floor: Callable[[NDArray[Any]], NDArray[Any]],
) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """Period code of each instant and the start day of each period present.

    One pass over the rows in blocks: wall-clock day, then the period of
    that day from a table over the days spanned. ``floor`` maps local days
    (``datetime64[D]``) to the first day of their period.
    """
    low, high = instants.min(), instants.max()
    if np.isnat(low):
        raise ValidationError(
            "calendar", "timestamps", "NaT", "every timestamp must be set"
        )
    change_at, shift = _offsets(_seconds_of(low), _seconds_of(high), tz)
    micros = instants.view(np.int64)
    first = (int(low.astype(np.int64)) + int(shift.min())) // _DAY_US
    last = (int(high.astype(np.int64)) + int(shift.max())) // _DAY_US
    floors = floor(np.arange(first, last + 1).astype("datetime64[D]"))
    of_day, starts = dense_codes(floors.astype(np.int64))
    codes = np.empty(len(micros), dtype=np.intp)
    seen = np.zeros(len(of_day), dtype=bool)
    for start in range(0, len(micros), _BLOCK):
        block = micros[start : start + _BLOCK]
        if len(shift) == 1:
            wall = block + shift[0]
        else:
            wall = block + shift[np.searchsorted(change_at, block, side="right") - 1]
        wall //= _DAY_US
        wall -= first
        seen[wall] = True
        codes[start : start + _BLOCK] = of_day[wall]
    present = np.unique(of_day[seen])
    if len(present) < len(starts):
        renumber = np.zeros(len(starts), dtype=np.intp)
        renumber[present] = np.arange(len(present))
        codes = renumber[codes]
    return codes, starts[present]


def as_instants(
    timestamps: NDArray[Any] | datetime, owner: str = "calendar"
) -> NDArray[Any]:
    if isinstance(timestamps, datetime):
        if timestamps.utcoffset() is None:
            raise ValidationError(
                owner, "timestamp", timestamps, "must be timezone-aware"
            )
        utc = check_instant(owner, "timestamp", timestamps)
        return np.array([utc.replace(tzinfo=None)], dtype="datetime64[us]")
    rule = "must be a datetime64 array (UTC)"
    try:
        array = np.asarray(timestamps)
    except (TypeError, ValueError):
        raise WrongTypeError(owner, "timestamps", timestamps, rule) from None
    if array.dtype.kind != "M":
        raise WrongTypeError(owner, "timestamps", array.dtype, rule)
    if array.size and _inside(array.min(), array.max()):
        return array.astype("datetime64[us]", copy=False)
    days = array.astype("datetime64[D]")  # coarser: no overflow in the check
    outside = (days < _EARLIEST64) | (days >= _LATEST64)
    if outside.any():
        raise ValidationError(
            owner,
            "timestamps",
            array[outside][0],
            _SUPPORTED,
            index=int(np.argmax(outside)),
        )
    return array.astype("datetime64[us]", copy=False)


def _inside(low: np.datetime64, high: np.datetime64) -> bool:
    """Whether every instant between ``low`` and ``high`` is supported (no NaT)."""
    if np.isnat(low) or np.isnat(high):
        return False
    return bool(
        low.astype("datetime64[D]") >= _EARLIEST64
        and high.astype("datetime64[D]") < _LATEST64
    )


_EARLIEST64 = np.datetime64(EARLIEST.replace(tzinfo=None), "D")
_LATEST64 = np.datetime64(LATEST.replace(tzinfo=None), "D")


def _column(timestamps: NDArray[Any]) -> NDArray[Any]:
    """A one-dimensional column of instants to assign."""
    instants = as_instants(timestamps)
    if instants.ndim != 1:
        raise ValidationError(
            "calendar",
            "timestamps",
            instants.shape,
            "must be a one-dimensional datetime64 array (UTC)",
        )
    return instants


def _moment(instant: object) -> datetime:
    if not isinstance(instant, datetime):
        raise WrongTypeError(
            "calendar", "instant", instant, "must be a timezone-aware datetime"
        )
    return instant


class TimeGrouping(Protocol):
    """Anything that maps UTC timestamps to group keys (a calendar or a clock).

    A recurring clock (:class:`HourOfDay`, :class:`DayOfWeek`) also has
    ``buckets``: every key it can give, in the order its groups come.
    """

    @property
    def key(self) -> str:
        """Name of the group key: ``"period"``, ``"hour"`` or ``"weekday"``."""
        ...

    def assign(
        self, timestamps: NDArray[Any]
    ) -> tuple[NDArray[np.intp], tuple[Any, ...]]:
        """Codes per timestamp and the sorted keys they index."""
        ...


def _wall_to_aware(wall: np.datetime64, tz: tzinfo) -> datetime:
    micros = int(wall.astype("datetime64[us]").astype(np.int64))
    naive = datetime(1970, 1, 1) + timedelta(microseconds=micros)
    return naive.replace(tzinfo=tz)


@attrs.frozen(kw_only=True)
class _Calendar(_Zoned):
    """Shared machinery of the period calendars."""

    key: ClassVar[str] = "period"

    def _floor(self, wall: NDArray[Any]) -> NDArray[Any]:
        raise NotImplementedError

    def _next_start(self, start: np.datetime64) -> np.datetime64:
        raise NotImplementedError

    def assign(
        self, timestamps: NDArray[Any]
    ) -> tuple[NDArray[np.intp], tuple[Period, ...]]:
        """Assign UTC timestamps to periods of this calendar.

        Args:
            timestamps: ``datetime64`` array of UTC instants (any unit).

        Returns:
            An ``intp`` code per timestamp and the distinct periods, in time
            order, that the codes index. Empty input gives empty outputs.

        Raises:
            ValidationError: if an instant is NaT or the array is not datetime64.
        """
        instants = _column(timestamps)
        if instants.size == 0:
            return np.zeros(0, dtype=np.intp), ()
        codes, starts = _period_codes(instants, self.tz, self._floor)
        periods = tuple(
            self._period_from_wall(np.datetime64(int(day), "D")) for day in starts
        )
        return codes, periods

    def _period_from_wall(self, start: np.datetime64) -> Period:
        return Period(
            start=_wall_to_aware(start, self.tz),
            end=_wall_to_aware(self._next_start(start), self.tz),
        )

    def period_of(self, instant: datetime) -> Period:
        """The period that contains ``instant`` (timezone-aware).

        Raises:
            WrongTypeError: for anything but a ``datetime``.
            ValidationError: for a naive datetime or one a calendar cannot
                place (before 0002-01-02 or from 9998-12-30, UTC).
        """
        _, (period,) = self.assign(as_instants(_moment(instant)))
        return period

    def following(self, period: Period) -> Period:
        """The period right after ``period``."""
        return self.period_of(period.end)

    def preceding(self, period: Period) -> Period:
        """The period right before ``period``."""
        return self.period_of(period.start - timedelta(microseconds=1))

    def periods_between(self, start: datetime, end: datetime) -> tuple[Period, ...]:
        """Every period that overlaps ``[start, end)``, in time order."""
        if end <= start:
            return ()
        periods = [self.period_of(start)]
        while periods[-1].end < end:
            periods.append(self.following(periods[-1]))
        return tuple(periods)


def _month_index(wall: NDArray[Any]) -> NDArray[Any]:
    return wall.astype("datetime64[M]").astype(np.int64)


@attrs.frozen(kw_only=True)
class Daily(_Calendar):
    """Local days, midnight to midnight, in time zone ``tz``.

    A day when clocks change lasts 23 or 25 hours; its period says so.

    Attributes:
        tz: Time zone whose wall clock defines the days, required
            (there is no default zone);
            a ``tzinfo`` or an IANA name such as ``"Asia/Shanghai"``.
    """

    def _floor(self, wall: NDArray[Any]) -> NDArray[Any]:
        return wall.astype("datetime64[D]")

    def _next_start(self, start: np.datetime64) -> np.datetime64:
        return np.datetime64(start + np.timedelta64(1, "D"))


@attrs.frozen(kw_only=True)
class Weekly(_Calendar):
    """ISO weeks, Monday 00:00 to the next Monday 00:00, in time zone ``tz``.

    Attributes:
        tz: Time zone whose wall clock defines the weeks, required
            (there is no default zone);
            a ``tzinfo`` or an IANA name such as ``"Asia/Shanghai"``.
    """

    def _floor(self, wall: NDArray[Any]) -> NDArray[Any]:
        days = wall.astype("datetime64[D]")
        since_monday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        return np.asarray(days - since_monday.astype("timedelta64[D]"))

    def _next_start(self, start: np.datetime64) -> np.datetime64:
        return np.datetime64(start + np.timedelta64(7, "D"))


@attrs.frozen(kw_only=True)
class Monthly(_Calendar):
    """Calendar months in time zone ``tz``.

    Attributes:
        tz: Time zone whose wall clock defines the months, required
            (there is no default zone).
    """

    def _floor(self, wall: NDArray[Any]) -> NDArray[Any]:
        return wall.astype("datetime64[M]").astype("datetime64[D]")

    def _next_start(self, start: np.datetime64) -> np.datetime64:
        return np.datetime64(
            (start.astype("datetime64[M]") + 1).astype("datetime64[D]")
        )


@attrs.frozen(kw_only=True)
class Quarterly(_Calendar):
    """Calendar quarters (January, April, July, October) in time zone ``tz``.

    Attributes:
        tz: Time zone whose wall clock defines the quarters, required
            (there is no default zone).
    """

    def _floor(self, wall: NDArray[Any]) -> NDArray[Any]:
        months = _month_index(wall)
        quarter_start = months - months % 3
        return np.asarray(quarter_start.astype("datetime64[M]").astype("datetime64[D]"))

    def _next_start(self, start: np.datetime64) -> np.datetime64:
        return np.datetime64(
            (start.astype("datetime64[M]") + 3).astype("datetime64[D]")
        )


@attrs.frozen(kw_only=True)
class Yearly(_Calendar):
    """Calendar years in time zone ``tz``.

    Attributes:
        tz: Time zone whose wall clock defines the years, required
            (there is no default zone).
    """

    def _floor(self, wall: NDArray[Any]) -> NDArray[Any]:
        return wall.astype("datetime64[Y]").astype("datetime64[D]")

    def _next_start(self, start: np.datetime64) -> np.datetime64:
        return np.datetime64(
            (start.astype("datetime64[Y]") + 1).astype("datetime64[D]")
        )


Calendar = Daily | Weekly | Monthly | Quarterly | Yearly
"""Any of the period calendars."""


@attrs.frozen(kw_only=True)
class HourOfDay(_Zoned):
    """The wall-clock hour (0 to 23) in time zone ``tz``, for time-slot analysis.

    On a day when clocks go back, the repeated hour gets the rows of both
    passes; on a day when they go forward, the skipped hour gets none.

    Attributes:
        tz: Time zone whose wall clock defines the hour, required
            (there is no default zone).
    """

    key: ClassVar[str] = "hour"
    buckets: ClassVar[tuple[int, ...]] = tuple(range(24))
    """Every hour a row can land in, in the order groups come."""

    def assign(
        self, timestamps: NDArray[Any]
    ) -> tuple[NDArray[np.intp], tuple[int, ...]]:
        """Assign UTC timestamps to their local hour.

        Returns:
            An ``intp`` code per timestamp and the distinct hours, ascending,
            that the codes index.
        """
        codes, present = dense_codes(self.hours(_column(timestamps)))
        return codes, tuple(int(h) for h in present)

    def hours(self, timestamps: NDArray[Any]) -> NDArray[Any]:
        """The local hour, 0 to 23, of each UTC timestamp."""
        wall = local_wall_times(as_instants(timestamps), self.tz)
        since_midnight = wall - wall.astype("datetime64[D]")
        return np.asarray(since_midnight // np.timedelta64(1, "h"))

    def hour_of(self, instant: datetime) -> int:
        """The local hour, 0 to 23, of a timezone-aware ``instant``."""
        return int(self.hours(as_instants(_moment(instant)))[0])


@attrs.frozen(kw_only=True)
class DayOfWeek(_Zoned):
    """The local day of the week in time zone ``tz``: seven recurring buckets.

    Buckets are ISO weekday numbers, 1 (Monday) to 7 (Sunday), as
    :meth:`datetime.date.isoweekday` gives them: every Monday of the data
    adds to bucket 1, and groups come Monday first. A day is the local
    calendar day, so a row at 23:30 on Sunday in Shanghai (15:30 UTC) is a
    Sunday row.

    Attributes:
        tz: Time zone whose wall clock defines the days, required
            (there is no default zone).
    """

    key: ClassVar[str] = "weekday"
    buckets: ClassVar[tuple[int, ...]] = tuple(range(1, 8))
    """Every bucket a row can land in, in the order groups come."""

    def assign(
        self, timestamps: NDArray[Any]
    ) -> tuple[NDArray[np.intp], tuple[int, ...]]:
        """Assign UTC timestamps to their local day of the week.

        Returns:
            An ``intp`` code per timestamp and the ISO weekdays present
            (1 Monday to 7 Sunday), ascending, that the codes index.
        """
        codes, present = dense_codes(self.weekdays(_column(timestamps)))
        return codes, tuple(int(d) for d in present)

    def weekdays(self, timestamps: NDArray[Any]) -> NDArray[np.int64]:
        """The local ISO weekday, 1 (Monday) to 7 (Sunday), of each UTC timestamp."""
        wall = local_wall_times(as_instants(timestamps), self.tz)
        days = wall.astype("datetime64[D]").astype(np.int64)
        return np.asarray((days + 3) % 7 + 1)  # 1970-01-01 was a Thursday (4)

    def weekday_of(self, instant: datetime) -> int:
        """The local ISO weekday, 1 (Monday) to 7 (Sunday), of an aware ``instant``."""
        return int(self.weekdays(as_instants(_moment(instant)))[0])
