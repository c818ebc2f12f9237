"""The exception hierarchy: one root, leaves that are also builtin errors."""

from __future__ import annotations

from datetime import datetime

__all__ = ["PolicyError", "ServiceQualityError", "ValidationError"]


class ServiceQualityError(Exception):
    """Root of every error this library raises on purpose."""


class ValidationError(ServiceQualityError, ValueError):
    """An input value breaks a rule of the domain.

    Attributes:
        owner: What holds the value: a class name (``"Conversation"``) or an
            input kind (``"from_arrays"``).
        field: The field or column that holds the bad value.
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
        shown = value.isoformat() if isinstance(value, datetime) else repr(value)
        super().__init__(f"{owner}.{field}{where} = {shown}: {rule}")

    def __reduce__(
        self,
    ) -> tuple[type[ValidationError], tuple[str, str, object, str, int | None]]:
        return (
            type(self),
            (self.owner, self.field, self.value, self.rule, self.index),
        )


class PolicyError(ServiceQualityError, ValueError):
    """A policy, scorecard or incentive plan is inconsistent or misused."""
