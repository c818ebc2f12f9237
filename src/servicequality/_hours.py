"""Service hours: a weekly schedule in a time zone, with holidays, as a clock.

A :class:`ServiceHours` turns spans of UTC instants into *business* time
(seconds while service is open) and tells whether an instant falls inside
service. Open intervals are laid out once per local day of the data, so the
per-row work is a binary search and a subtraction: no Python loop per row.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from servicequality import _validators as v
from servicequality._columns import from_instants
from servicequality._errors import ValidationError
from servicequality._periods import ZONE_CONVERTER, as_instants, zone_name

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["ServiceHours"]

_DAY = 86_400
WEEKDAYS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")

Interval = tuple[int, int]
"""Seconds after local midnight: ``[open, close)``, ``close`` at most 86 400."""
Schedule = tuple[tuple[Interval, ...], ...]


def _fail(field: str, value: object, rule: str) -> ValidationError:
    return ValidationError("ServiceHours", field, value, rule)


def _weekday(key: object) -> int:
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 6:
        return key
    if isinstance(key, str):
        name = key.strip().lower()
        for position, day in enumerate(WEEKDAYS):
            if name in {day, day[:3]}:
                return position
    raise _fail(
        "weekly",
        key,
        "keys must be weekdays: 0 (Monday) to 6 (Sunday), 'monday' or 'mon'",
    )


def _seconds_of(text: str, whole: str) -> int:
    match = _CLOCK.match(text.strip())
    if match is None:
        raise _fail("weekly", whole, "times must read HH:MM or HH:MM:SS")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if minutes > 59 or seconds > 59 or total > _DAY:
        raise _fail("weekly", whole, "times run from 00:00 to 24:00")
    return total


def _of_time(value: time, *, closing: bool) -> int:
    if value.tzinfo is not None:
        raise _fail("weekly", value, "times are wall-clock times: no tzinfo")
    total = value.hour * 3600 + value.minute * 60 + value.second
    if value.microsecond:
        raise _fail("weekly", value, "times are whole seconds")
    return _DAY if closing and total == 0 else total


def _interval(value: object) -> Interval:
    if isinstance(value, str):
        parts = value.split("-")
        if len(parts) != 2:
            raise _fail("weekly", value, "an interval reads 'HH:MM-HH:MM'")
        opening, closing = (_seconds_of(part, value) for part in parts)
    elif (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(x, time) for x in value)
    ):
        opening = _of_time(value[0], closing=False)
        closing = _of_time(value[1], closing=True)
    else:
        v.wrong_type(
            "ServiceHours",
            "weekly",
            value,
            "an interval 'HH:MM-HH:MM' or a (time, time) pair "
            "(time(0) as the end means midnight at the end of the day)",
        )
    if opening >= closing:
        raise _fail(
            "weekly",
            value,
            "must close after it opens on the same day; "
            "split an overnight shift into two days",
        )
    return opening, closing


def _schedule(value: object) -> Schedule:
    if not isinstance(value, Mapping):
        v.wrong_type(
            "ServiceHours", "weekly", value, "a mapping of weekday to intervals"
        )
    days: list[list[Interval]] = [[] for _ in WEEKDAYS]
    for key, intervals in value.items():
        if isinstance(intervals, (str, tuple)):
            intervals = [intervals]  # noqa: PLW2901  # one interval alone
        if not isinstance(intervals, Iterable):
            v.wrong_type("ServiceHours", "weekly", intervals, "a list of intervals")
        days[_weekday(key)].extend(_interval(x) for x in intervals)
    for position, day in enumerate(days):
        day.sort()
        for earlier, later in itertools.pairwise(day):
            if later[0] < earlier[1]:
                raise _fail(
                    "weekly",
                    WEEKDAYS[position],
                    f"intervals overlap: {_label(earlier)} and {_label(later)}",
                )
    if not any(days):
        raise _fail("weekly", dict(value), "must open at least once a week")
    return tuple(tuple(day) for day in days)


def _holidays(value: object) -> frozenset[date]:
    if isinstance(value, (str, date)) or not isinstance(value, Iterable):
        v.wrong_type("ServiceHours", "holidays", value, "a collection of dates")
    days = frozenset(value)
    for day in days:
        if not isinstance(day, date) or isinstance(day, datetime):
            v.wrong_type("ServiceHours", "holidays", day, "a datetime.date (a day)")
    return days


def _label(interval: Interval) -> str:
    def clock(seconds: int) -> str:
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")

    return f"{clock(interval[0])}-{clock(interval[1])}"


def _instants(values: Any) -> NDArray[np.int64]:
    """UTC microseconds of a datetime64 array or an aware datetime; NaT → min."""
    return as_instants(values, "ServiceHours").astype(np.int64)


def checked(owner: str, field: str, value: object) -> ServiceHours | None:
    """``value`` if it is ServiceHours or None, else a WrongTypeError."""
    if value is not None and not isinstance(value, ServiceHours):
        v.wrong_type(owner, field, value, "ServiceHours or None")
    return value


_NAT = np.iinfo(np.int64).min


@attrs.frozen(kw_only=True)
class ServiceHours:
    """When service is open: a weekly schedule in a time zone, minus holidays.

    Use it as a *clock* (``first_response_time(clock=hours)``): elapsed
    business time counts only the seconds while service is open, so a
    conversation opened at night starts its clock when service opens. Use it
    as a *service window* (``responded_within(service_window=hours)``): only
    conversations opened inside it count.

    Attributes:
        weekly: Open intervals per weekday: a mapping from ``0`` (Monday) …
            ``6`` (Sunday), or ``"monday"``/``"mon"`` …, to intervals such as
            ``"09:00-18:00"`` (``"24:00"`` ends at midnight) or
            ``(time(9), time(18))``. Intervals of one day must not overlap and
            must close after they open; an overnight shift is two intervals
            on two days. Days left out are closed. Stored as seconds after
            local midnight per weekday.
        tz: Time zone of the schedule (a ``tzinfo`` or an IANA name); wall
            times follow its DST changes. Required: there is no default zone.
        holidays: Local dates on which service is closed all day.

    Raises:
        ValidationError: for an unknown weekday, a badly written, empty or
            overlapping interval, a week with no open time, or a holiday
            that is not a date.
    """

    weekly: Schedule = attrs.field(converter=_schedule)
    tz: tzinfo = attrs.field(default=None, converter=ZONE_CONVERTER)  # type: ignore[misc]
    holidays: frozenset[date] = attrs.field(default=frozenset(), converter=_holidays)

    @classmethod
    def daily(
        cls,
        *intervals: str | tuple[time, time],
        tz: tzinfo | str | None = None,
        holidays: Iterable[date] = (),
    ) -> ServiceHours:
        """The same intervals every day, e.g. ``daily("08:00-23:00", tz=...)``.

        ``tz`` is required (there is no default zone).
        """
        return cls(
            weekly={day: list(intervals) for day in range(7)},
            tz=tz,
            holidays=frozenset(holidays),
        )

    @classmethod
    def always(cls, tz: tzinfo | str | None = None) -> ServiceHours:
        """Open 24 hours a day, 7 days a week: business time is calendar time.

        ``tz`` is required (there is no default zone).
        """
        return cls.daily("00:00-24:00", tz=tz)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: weekdays to ``"HH:MM-HH:MM"`` lists, zone name, ISO holidays.

        Raises:
            ValidationError: for a zone without an IANA name (a fixed offset).
        """
        return {
            "weekly": {
                WEEKDAYS[i]: [_label(x) for x in day]
                for i, day in enumerate(self.weekly)
                if day
            },
            "tz": zone_name("ServiceHours", self.tz),
            "holidays": sorted(day.isoformat() for day in self.holidays),
        }

    @classmethod
    def from_dict(cls, data: object) -> ServiceHours:
        """Read :meth:`to_dict` output (``holidays`` optional).

        Raises:
            ValidationError: for unknown or missing keys and bad values.
            WrongTypeError: for a value of the wrong type.
        """
        plain = v.mapping("ServiceHours", data, ("weekly", "tz"), ("holidays",))
        days = []
        for text in v.sequence("ServiceHours", "holidays", plain.get("holidays", [])):
            if not isinstance(text, str):
                v.wrong_type("ServiceHours", "holidays", text, "an ISO date string")
            try:
                days.append(date.fromisoformat(text))
            except ValueError:
                raise _fail("holidays", text, "must be an ISO date") from None
        return cls(weekly=plain["weekly"], tz=plain["tz"], holidays=frozenset(days))

    def __str__(self) -> str:
        days = [
            f"{WEEKDAYS[i][:3].title()} {', '.join(_label(x) for x in day)}"
            for i, day in enumerate(self.weekly)
            if day
        ]
        count = len(self.holidays)
        closed = f"; closed on {count} holiday{'s' * (count != 1)}" if count else ""
        return f"{'; '.join(days)} ({self.tz}){closed}"

    def open_intervals(
        self, start: datetime, end: datetime
    ) -> tuple[tuple[datetime, datetime], ...]:
        """Open intervals that meet ``[start, end)``, as UTC datetimes in time order.

        Not clipped to ``[start, end)``. Empty when ``end <= start``.
        """
        first, last = (int(_instants(x)[0]) for x in (start, end))
        opening, closing = self._layout(first, last)
        keep = (closing > first) & (opening < last)
        starts, ends = (
            from_instants(x[keep].astype("datetime64[us]")) for x in (opening, closing)
        )
        return tuple(zip(starts, ends, strict=True))  # type: ignore[arg-type]

    def _layout(
        self, low: int, high: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Open intervals (UTC microseconds) covering every local day of low..high."""
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        first = (epoch + timedelta(microseconds=low)).astimezone(self.tz).date()
        last = (epoch + timedelta(microseconds=high)).astimezone(self.tz).date()
        opening: list[int] = []
        closing: list[int] = []
        day = first - timedelta(days=1)
        while day <= last + timedelta(days=1):
            if day not in self.holidays:
                midnight = datetime.combine(day, time(), tzinfo=self.tz)
                for a, b in self.weekly[day.weekday()]:
                    opening.append(self._micros(midnight, a))
                    closing.append(self._micros(midnight, b))
            day += timedelta(days=1)
        starts = np.array(opening, dtype=np.int64)
        ends = np.array(closing, dtype=np.int64)
        if len(starts):
            # A wall time in a spring-forward gap may map past the next interval's
            # start; clipping keeps intervals in order and never double-counts.
            starts = np.maximum(
                starts, np.concatenate([[starts[0]], np.maximum.accumulate(ends)[:-1]])
            )
            ends = np.maximum(ends, starts)
        return starts, ends

    def _micros(self, midnight: datetime, seconds: int) -> int:
        if seconds == _DAY:
            wall = datetime.combine(
                midnight.date() + timedelta(days=1), time(), tzinfo=self.tz
            )
        else:
            wall = midnight + timedelta(seconds=seconds)
        return (wall.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
            microseconds=1
        )

    def _open_before(
        self,
        instants: NDArray[np.int64],
        starts: NDArray[np.int64],
        ends: NDArray[np.int64],
    ) -> NDArray[np.int64]:
        """Open microseconds from the first laid-out interval up to each instant."""
        lengths = ends - starts
        before = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        slot = np.searchsorted(starts, instants, side="right") - 1
        inside = np.maximum(slot, 0)
        elapsed = np.clip(instants - starts[inside], 0, lengths[inside])
        return np.where(slot < 0, 0, before[inside] + elapsed)

    def business_seconds(self, start: Any, end: Any) -> NDArray[np.float64]:
        """Seconds of open service within each ``[start[i], end[i])``.

        Args:
            start: ``datetime64`` array of UTC instants (any unit), or one
                timezone-aware datetime.
            end: Same shape as ``start``.

        Returns:
            A float64 array (microsecond resolution), NaN where either end is
            NaT. An instant outside service counts from the next opening, so
            a span wholly outside service is 0. Never more than calendar
            time; additive over split spans; calendar time for
            :meth:`always`.

        Raises:
            ValidationError: if the shapes differ or an end precedes its start.
        """
        first = _instants(start)
        last = _instants(end)
        if first.shape != last.shape:
            raise _fail(
                "end", last.shape, f"must have the shape of start {first.shape}"
            )
        missing = (first == _NAT) | (last == _NAT)
        if (last < first)[~missing].any():
            position = int(np.flatnonzero(~missing & (last < first))[0])
            raise ValidationError(
                "ServiceHours",
                "end",
                str(np.int64(last.flat[position]).astype("datetime64[us]")),
                "must not be before its start",
                index=position,
            )
        result = np.full(first.shape, np.nan)
        if missing.all():
            return result
        present = ~missing
        starts, ends = self._layout(int(first[present].min()), int(last[present].max()))
        if len(starts) == 0:
            result[present] = 0.0
            return result
        spent = self._open_before(last[present], starts, ends) - self._open_before(
            first[present], starts, ends
        )
        result[present] = spent / 1e6
        return result

    def contains(self, instants: Any) -> NDArray[np.bool_]:
        """Whether each UTC instant falls inside service (False for NaT).

        An interval includes its opening instant and excludes its closing one.
        """
        at = _instants(instants)
        inside = np.zeros(at.shape, dtype=bool)
        present = at != _NAT
        if not present.any():
            return inside
        starts, ends = self._layout(int(at[present].min()), int(at[present].max()))
        if len(starts) == 0:
            return inside
        points = at[present]
        slot = np.searchsorted(starts, points, side="right") - 1
        safe = np.maximum(slot, 0)
        inside[present] = (slot >= 0) & (points < ends[safe])
        return inside
