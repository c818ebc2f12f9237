"""The exception hierarchy: one root, leaves that are also builtin errors.

Every error carries the same context: what holds the bad value (``owner``),
the field, column or key (``field``), the value as given and the rule it
breaks, plus the row for bulk input. The leaves also subclass the builtin a
Python user would catch: :class:`ValueError` for a bad value,
:class:`TypeError` for a wrong type, :class:`LookupError` for a missing key
or group.
"""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "PolicyError",
    "ServiceQualityError",
    "UnknownKeyError",
    "ValidationError",
    "WrongTypeError",
]


class ServiceQualityError(Exception):
    """Root of every error this library raises on purpose.

    Attributes:
        owner: What holds the value: a class name (``"Conversation"``), a
            function (``"measure"``) or an input kind (``"from_arrays"``).
        field: The field, column or key that holds the bad value.
        value: The offending value, as given.
        rule: The rule it breaks, in words.
        index: Position of the offending row in a bulk input, else ``None``.
    """

    def __init__(
        self,
        owner: str,
        field: str,
        value: object,
        rule: str,
        index: int | None = None,
    ) -> None:
        self.owner = owner
        self.field = field
        self.value = value
        self.rule = rule
        self.index = index
        where = f" (row {index})" if index is not None else ""
        super().__init__(f"{owner}.{field}{where} = {_shown(value)}: {rule}")

    def __reduce__(
        self,
    ) -> tuple[type[ServiceQualityError], tuple[str, str, object, str, int | None]]:
        return (
            type(self),
            (self.owner, self.field, self.value, self.rule, self.index),
        )


def _shown(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not hide the error
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= 200 else f"{text[:197]}..."


class ValidationError(ServiceQualityError, ValueError):
    """An input value breaks a rule of the domain."""


class WrongTypeError(ValidationError, TypeError):
    """An input has the wrong type: the rule says which types are accepted."""


class UnknownKeyError(ValidationError, LookupError):
    """A name, key or group that does not exist: the rule lists what does."""


class PolicyError(ServiceQualityError, ValueError):
    """A policy, scorecard or incentive plan is inconsistent or misused."""
