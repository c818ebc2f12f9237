"""The one module of checks: each raises the library's error family.

Two shapes of the same checks: plain functions ``check(owner, field, value)``
that return the accepted value (for ``from_dict`` and function arguments),
and attrs validators ``check(instance, attribute, value)`` built on them.
A wrong type raises :class:`WrongTypeError`; any other bad value the
``error`` given (:class:`ValidationError` by default, :class:`PolicyError`
for policies and plans).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, NoReturn

from servicequality._errors import (
    PolicyError,
    ValidationError,
    WrongTypeError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Collection
    from enum import Enum

    import attrs

ErrorType = type[ValidationError] | type[PolicyError]


def wrong_type(owner: str, field: str, value: object, expected: str) -> NoReturn:
    """Raise the :class:`WrongTypeError` saying which type was ``expected``."""
    rule = f"must be {expected}, not {type(value).__name__}"
    raise WrongTypeError(owner, field, value, rule)


def mapping(
    owner: str,
    data: object,
    required: Collection[str],
    optional: Collection[str] = (),
    *,
    error: ErrorType = ValidationError,
) -> Mapping[str, Any]:
    """``data`` as a mapping with string keys, every required key, no unknown one."""
    if not isinstance(data, Mapping):
        wrong_type(owner, "data", data, "a mapping of plain data")
    known = (*required, *optional)
    for key, value in data.items():
        if key not in known:
            rule = f"is not a known key; known keys: {', '.join(known)}"
            raise error(owner, str(key), value, rule)
    for key in required:
        if key not in data:
            raise error(owner, key, None, "is required but missing")
    return data


def sequence(
    owner: str, field: str, value: object, expected: str = "a list"
) -> tuple[Any, ...]:
    """A list, tuple or other iterable (not a string nor a mapping) as a tuple."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        wrong_type(owner, field, value, expected)
    return tuple(value)


def text(
    owner: str, field: str, value: object, *, error: ErrorType = ValidationError
) -> str:
    """A string that is not empty or blank."""
    if not isinstance(value, str):
        wrong_type(owner, field, value, "a string")
    if not value.strip():
        raise error(owner, field, value, "must not be empty or blank")
    return value


def number(
    owner: str, field: str, value: object, *, error: ErrorType = ValidationError
) -> float:
    """A finite real number (not a ``bool``), as a float."""
    if isinstance(value, bool) or not isinstance(value, Real):
        wrong_type(owner, field, value, "a number")
    try:
        converted = float(value)
    except OverflowError:
        raise error(owner, field, value, "is too large for a float") from None
    if not math.isfinite(converted):
        raise error(owner, field, value, "must be finite (no NaN or infinity)")
    return converted


def optional_number(
    owner: str, field: str, value: object, *, error: ErrorType = ValidationError
) -> float | None:
    """``None`` or a finite number."""
    return None if value is None else number(owner, field, value, error=error)


def whole(
    owner: str,
    field: str,
    value: object,
    *,
    minimum: int | None = None,
    error: ErrorType = ValidationError,
) -> int:
    """A whole number (``bool`` is not one), at least ``minimum`` if given.

    At most 2**53: every count here must stay exact as a float, since
    measurements compare and add counts in float64.
    """
    if isinstance(value, bool) or not isinstance(value, Integral):
        wrong_type(owner, field, value, "a whole number")
    if minimum is not None and value < minimum:
        raise error(owner, field, value, f"must be at least {minimum}")
    if abs(int(value)) > _LARGEST_COUNT:
        raise error(owner, field, value, "must be at most 2**53")
    return int(value)


_LARGEST_COUNT = 2**53


def flag(owner: str, field: str, value: object) -> bool:
    """Exactly ``True`` or ``False``."""
    if not isinstance(value, bool):
        wrong_type(owner, field, value, "True or False")
    return value


def instant(
    owner: str, field: str, value: object, *, error: ErrorType = ValidationError
) -> datetime:
    """A timezone-aware datetime, or an ISO 8601 string with an offset."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise error(owner, field, value, "must be an ISO 8601 datetime") from None
    if not isinstance(value, datetime):
        wrong_type(owner, field, value, "a datetime or an ISO 8601 string")
    if value.tzinfo is None or value.utcoffset() is None:
        raise error(
            owner,
            field,
            value,
            "must be timezone-aware (naive datetimes are ambiguous)",
        )
    return value


def instance_of(owner: str, field: str, value: object, kind: type[Any]) -> None:
    """Refuse a value that is not a ``kind``."""
    if not isinstance(value, kind):
        wrong_type(owner, field, value, f"a {kind.__name__}")


def fail(instance: object, field: str, value: object, rule: str) -> NoReturn:
    """Raise the :class:`ValidationError` for ``instance.field``."""
    raise ValidationError(type(instance).__name__, field, value, rule)


def _owner(instance: object) -> str:
    return type(instance).__name__


def identifier(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A non-blank string id."""
    text(_owner(instance), attribute.name, value)


def optional_identifier(
    instance: Any, attribute: attrs.Attribute[Any], value: Any
) -> None:
    """``None`` or a non-blank string id."""
    if value is not None:
        identifier(instance, attribute, value)


def optional_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``None`` or any string."""
    if value is not None and not isinstance(value, str):
        wrong_type(_owner(instance), attribute.name, value, "a string or None")


def aware_datetime(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A timezone-aware :class:`datetime.datetime`."""
    if not isinstance(value, datetime):
        wrong_type(_owner(instance), attribute.name, value, "a datetime")
    instant(_owner(instance), attribute.name, value)


def optional_aware_datetime(
    instance: Any, attribute: attrs.Attribute[Any], value: Any
) -> None:
    """``None`` or a timezone-aware datetime."""
    if value is not None:
        aware_datetime(instance, attribute, value)


def boolean(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Exactly ``True`` or ``False``."""
    flag(_owner(instance), attribute.name, value)


def member_of(
    enum: type[Enum], *, optional: bool = False
) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """A member of ``enum`` (or ``None`` when ``optional``)."""
    names = ", ".join(f"{enum.__name__}.{m.name}" for m in enum)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if optional and value is None:
            return
        if not isinstance(value, enum):
            wrong_type(_owner(instance), attribute.name, value, f"one of {names}")

    return check


def integer(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A whole number (``bool`` is not one)."""
    whole(_owner(instance), attribute.name, value)


def integer_between(
    low: int, high: int
) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """A whole number in ``low..high`` inclusive."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        integer(instance, attribute, value)
        if not low <= value <= high:
            fail(instance, attribute.name, value, f"must be between {low} and {high}")

    return check


def finite_real(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A finite real number (no NaN, no infinity, no ``bool``)."""
    number(_owner(instance), attribute.name, value)


def non_negative_real(
    instance: Any, attribute: attrs.Attribute[Any], value: Any
) -> None:
    """A finite number >= 0."""
    finite_real(instance, attribute, value)
    if value < 0:
        fail(instance, attribute.name, value, "must not be negative")


def positive_real(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A finite number > 0."""
    finite_real(instance, attribute, value)
    if value <= 0:
        fail(instance, attribute.name, value, "must be greater than 0")


def of_type(kind: type[Any]) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """An instance of ``kind``."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        instance_of(_owner(instance), attribute.name, value, kind)

    return check


def one_of(*choices: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """One of the strings ``choices``."""
    listed = ", ".join(repr(c) for c in choices)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str):
            wrong_type(_owner(instance), attribute.name, value, f"one of {listed}")
        if value not in choices:
            fail(instance, attribute.name, value, f"must be one of {listed}")

    return check


def python_name(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An identifier such as ``my_rate`` (it names columns and registry keys)."""
    if not isinstance(value, str):
        wrong_type(_owner(instance), attribute.name, value, "a string")
    if not value.isidentifier():
        fail(instance, attribute.name, value, "must be an identifier such as 'my_rate'")


def probability(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A float strictly between 0 and 1 (a confidence level, say)."""
    if not isinstance(value, float):
        wrong_type(_owner(instance), attribute.name, value, "a float in (0, 1)")
    if not 0.0 < value < 1.0:
        fail(instance, attribute.name, value, "must be a float in (0, 1)")
