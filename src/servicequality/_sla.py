"""Service-level agreements: response and resolution targets on a clock."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs

from servicequality import _validators as v
from servicequality._errors import ValidationError
from servicequality._hours import ServiceHours, checked

if TYPE_CHECKING:
    from servicequality.metrics._base import Metric

__all__ = ["TARGETS", "SLAPolicy"]

TARGETS = ("first_response", "resolution", "next_reply")
"""The targets an SLA may set, in order (``metrics.SLATarget``)."""


def _name(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    v.text("SLAPolicy", attribute.name, value)
    if not value.isidentifier():
        v.fail(instance, attribute.name, value, "must be an identifier such as 'chat'")


def _target(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, timedelta):
        v.wrong_type("SLAPolicy", attribute.name, value, "a timedelta or None")
    if value <= timedelta(0):
        v.fail(instance, attribute.name, value, "must be a positive timedelta or None")


def _clock(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    checked(type(instance).__name__, attribute.name, value)


@attrs.frozen(kw_only=True)
class SLAPolicy:
    """Targets a team promises: first reply, every next reply, resolution.

    Attributes:
        name: Identifier used in the metric names (``sla_<name>_<target>``).
        first_response: Longest wait for the first reply, or None.
        resolution: Longest time from opening to closing, or None.
        next_reply: Longest wait for each reply to a customer message
            (Zendesk's and Intercom's next-reply target), or None; measured
            from message events (:meth:`ConversationTable.with_messages`).
        clock: The :class:`ServiceHours` the targets run on; None is
            calendar time (24 × 7).

    Raises:
        ValidationError: for a name that is not an identifier, a target that
            is not a positive timedelta, or no target at all.
    """

    name: str = attrs.field(validator=_name)
    first_response: timedelta | None = attrs.field(default=None, validator=_target)
    resolution: timedelta | None = attrs.field(default=None, validator=_target)
    next_reply: timedelta | None = attrs.field(default=None, validator=_target)
    clock: ServiceHours | None = attrs.field(default=None, validator=_clock)

    def __attrs_post_init__(self) -> None:
        if all(getattr(self, target) is None for target in TARGETS):
            v.fail(
                self,
                "first_response",
                None,
                "set at least one of first_response, resolution, next_reply",
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain data; targets in seconds, the clock as :meth:`ServiceHours.to_dict`.

        Targets left unset (and a calendar-time clock) are left out.
        """
        data: dict[str, Any] = {"name": self.name}
        for target in TARGETS:
            limit = getattr(self, target)
            if limit is not None:
                data[f"{target}_seconds"] = limit.total_seconds()
        if self.clock is not None:
            data["clock"] = self.clock.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: object) -> SLAPolicy:
        """Read :meth:`to_dict` output (``*_seconds`` are numbers of seconds).

        Raises:
            ValidationError: for unknown or missing keys and bad values.
            WrongTypeError: for a value of the wrong type.
        """
        plain = v.mapping(
            "SLAPolicy",
            data,
            ("name",),
            (*(f"{target}_seconds" for target in TARGETS), "clock"),
        )
        targets = {}
        for target in TARGETS:
            seconds = v.optional_number(
                "SLAPolicy", f"{target}_seconds", plain.get(f"{target}_seconds")
            )
            if seconds is not None:
                try:
                    targets[target] = timedelta(seconds=seconds)
                except OverflowError:
                    field = f"{target}_seconds"
                    raise ValidationError(
                        "SLAPolicy", field, seconds, "is too long a time"
                    ) from None
        clock = plain.get("clock")
        return cls(
            name=plain["name"],
            clock=None if clock is None else ServiceHours.from_dict(clock),
            **targets,
        )

    def metrics(self, *, include_bots: bool = False) -> tuple[Metric, ...]:
        """One :func:`~servicequality.metrics.sla_hit_rate` per target set."""
        from servicequality.metrics._catalogue import sla_hit_rate  # noqa: PLC0415

        return tuple(
            sla_hit_rate(self, target, include_bots=include_bots)  # type: ignore[arg-type]
            for target in TARGETS
            if getattr(self, target) is not None
        )
