"""attrs validators that raise :class:`ValidationError` naming class and field."""

from __future__ import annotations

import math
from datetime import datetime
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, NoReturn

from servicequality._errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable
    from enum import Enum

    import attrs


def fail(instance: object, field: str, value: object, rule: str) -> NoReturn:
    """Raise the :class:`ValidationError` for ``instance.field``."""
    raise ValidationError(type(instance).__name__, field, value, rule)


def identifier(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A non-blank string id."""
    if not isinstance(value, str):
        fail(instance, attribute.name, value, "must be a string id")
    if not value.strip():
        fail(instance, attribute.name, value, "must not be empty or blank")


def optional_identifier(
    instance: Any, attribute: attrs.Attribute[Any], value: Any
) -> None:
    """``None`` or a non-blank string id."""
    if value is not None:
        identifier(instance, attribute, value)


def optional_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``None`` or any string."""
    if value is not None and not isinstance(value, str):
        fail(instance, attribute.name, value, "must be a string or None")


def aware_datetime(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A timezone-aware :class:`datetime.datetime`."""
    if not isinstance(value, datetime):
        fail(instance, attribute.name, value, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        fail(
            instance,
            attribute.name,
            value,
            "must be timezone-aware (naive datetimes are ambiguous)",
        )


def optional_aware_datetime(
    instance: Any, attribute: attrs.Attribute[Any], value: Any
) -> None:
    """``None`` or a timezone-aware datetime."""
    if value is not None:
        aware_datetime(instance, attribute, value)


def boolean(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Exactly ``True`` or ``False``."""
    if not isinstance(value, bool):
        fail(instance, attribute.name, value, "must be True or False")


def member_of(
    enum: type[Enum], *, optional: bool = False
) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """A member of ``enum`` (or ``None`` when ``optional``)."""
    names = ", ".join(f"{enum.__name__}.{m.name}" for m in enum)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if optional and value is None:
            return
        if not isinstance(value, enum):
            fail(instance, attribute.name, value, f"must be one of {names}")

    return check


def integer(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A whole number (``bool`` is not one)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        fail(instance, attribute.name, value, "must be a whole number")


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
    if isinstance(value, bool) or not isinstance(value, Real):
        fail(instance, attribute.name, value, "must be a number")
    if not math.isfinite(value):
        fail(instance, attribute.name, value, "must be finite (no NaN or infinity)")


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
