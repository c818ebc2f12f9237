"""Disputes: an agent questions a payout line; the statement lists the open ones."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

import attrs

from servicequality import _validators as v
from servicequality._errors import UnknownKeyError, ValidationError
from servicequality._periods import Period
from servicequality.incentives._protocol import PayoutLine
from servicequality.incentives._records import (
    instant_from_dict,
    period_from_dict,
    period_to_dict,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from servicequality._engine._measure import CellRows
    from servicequality.incentives._plan import PayoutStatement

__all__ = ["Dispute", "DisputeStatus", "DisputedLine"]


class DisputeStatus(StrEnum):
    """Where a dispute stands."""

    OPEN = "open"
    """Raised, not yet decided."""
    UPHELD = "upheld"
    """The agent was right; the line is corrected (by an adjustment)."""
    REJECTED = "rejected"
    """The line stands."""
    WITHDRAWN = "withdrawn"
    """The agent took it back."""


def _aware(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        v.aware_datetime(instance, attribute, value)


@attrs.frozen(kw_only=True)
class Dispute:
    """An agent's question about one payout line: who, when, what, and its outcome.

    Attributes:
        id: The dispute's id (your ticket number).
        agent_id: The agent whose line is questioned.
        rule: The rule of the line.
        period: The period of the statement holding the line.
        raised_by: Who raised it (the agent, their lead).
        raised_at: When (timezone-aware).
        what: The question, in the agent's words.
        status: Open until decided.
        resolved_at: When it was decided (``None`` while open).
        resolution: The decision, in words (``None`` while open).

    Raises:
        ValidationError: for blank text, naive instants, an open dispute with
            a resolution, a decided one without, or a decision before it was
            raised.
    """

    id: str = attrs.field(validator=v.identifier)
    agent_id: str = attrs.field(validator=v.identifier)
    rule: str = attrs.field(validator=v.identifier)
    period: Period = attrs.field(validator=v.of_type(Period))
    raised_by: str = attrs.field(validator=v.identifier)
    raised_at: datetime = attrs.field(validator=_aware)
    what: str = attrs.field(validator=v.identifier)
    status: DisputeStatus = attrs.field(
        default=DisputeStatus.OPEN, validator=v.member_of(DisputeStatus)
    )
    resolved_at: datetime | None = attrs.field(default=None, validator=_aware)
    resolution: str | None = attrs.field(default=None, validator=v.optional_identifier)

    def __attrs_post_init__(self) -> None:
        open_ = self.status is DisputeStatus.OPEN
        for field in ("resolved_at", "resolution"):
            given = getattr(self, field)
            if open_ and given is not None:
                v.fail(self, field, given, "must be None while the dispute is open")
            if not open_ and given is None:
                v.fail(
                    self, field, None, f"is needed once the dispute is {self.status}"
                )
        if self.resolved_at is not None and self.resolved_at < self.raised_at:
            rule = f"must not be before raised_at ({self.raised_at.isoformat()})"
            v.fail(self, "resolved_at", self.resolved_at, rule)

    @property
    def is_open(self) -> bool:
        """Whether it still waits for a decision."""
        return self.status is DisputeStatus.OPEN

    def resolve(
        self, status: DisputeStatus, *, at: datetime, resolution: str
    ) -> Dispute:
        """The dispute decided at ``at`` (a new value; this one is unchanged).

        Raises:
            ValidationError: for ``DisputeStatus.OPEN``, a dispute already
                decided, or a bad instant or text.
        """
        if not self.is_open:
            raise ValidationError(
                "Dispute", "status", self.status, "is already decided"
            )
        if status is DisputeStatus.OPEN:
            raise ValidationError("Dispute", "status", status, "must be a decision")
        return attrs.evolve(self, status=status, resolved_at=at, resolution=resolution)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the status by value, instants in ISO 8601."""
        data: dict[str, Any] = {
            "id": self.id,
            "agent_id": self.agent_id,
            "rule": self.rule,
            "period": period_to_dict(self.period),
            "raised_by": self.raised_by,
            "raised_at": self.raised_at.isoformat(),
            "what": self.what,
            "status": self.status.value,
        }
        if self.resolved_at is not None:
            data["resolved_at"] = self.resolved_at.isoformat()
        if self.resolution is not None:
            data["resolution"] = self.resolution
        return data

    @classmethod
    def from_dict(cls, data: object) -> Dispute:
        """Read :meth:`to_dict` output (``resolved_at``, ``resolution`` optional).

        Raises:
            ValidationError: for unknown or missing keys and bad values.
        """
        owner = "Dispute"
        plain = v.mapping(
            owner,
            data,
            ("id", "agent_id", "rule", "period", "raised_by", "raised_at", "what"),
            ("status", "resolved_at", "resolution"),
        )
        status = plain.get("status", "open")
        if not isinstance(status, str) or status not in list(DisputeStatus):
            known = ", ".join(s.value for s in DisputeStatus)
            raise ValidationError(owner, "status", status, f"must be one of {known}")
        resolved = plain.get("resolved_at")
        return cls(
            id=plain["id"],
            agent_id=plain["agent_id"],
            rule=plain["rule"],
            period=period_from_dict(owner, "period", plain["period"]),
            raised_by=plain["raised_by"],
            raised_at=instant_from_dict(owner, "raised_at", plain["raised_at"]),
            what=plain["what"],
            status=DisputeStatus(status),
            resolved_at=None
            if resolved is None
            else instant_from_dict(owner, "resolved_at", resolved),
            resolution=plain.get("resolution"),
        )


@attrs.frozen(kw_only=True)
class DisputedLine:
    """An open dispute, the line it questions and the conversations behind it.

    Attributes:
        dispute: The dispute.
        line: The questioned line.
        rows: The conversations behind the line, one :class:`CellRows` per
            metric the line read (empty for a line that read none, or a
            statement without its assessment).
    """

    dispute: Dispute = attrs.field(validator=v.of_type(Dispute))
    line: PayoutLine = attrs.field(validator=v.of_type(PayoutLine))
    rows: tuple[CellRows, ...] = ()


def open_disputes(
    statement: PayoutStatement, disputes: Iterable[Dispute]
) -> tuple[DisputedLine, ...]:
    """See :meth:`PayoutStatement.open_disputes`."""
    owner = "PayoutStatement.open_disputes"
    given = v.sequence(owner, "disputes", disputes, "Dispute values")
    found = []
    for dispute in given:
        v.instance_of(owner, "disputes", dispute, Dispute)
        if not dispute.is_open or dispute.period != statement.period:
            continue
        line = next(
            (
                x
                for x in statement.lines
                if (x.agent_id, x.rule) == (dispute.agent_id, dispute.rule)
            ),
            None,
        )
        if line is None:
            rule = "questions a line that is not on this statement"
            raise UnknownKeyError(owner, "disputes", dispute.id, rule)
        rows = (
            ()
            if statement.assessment is None
            else tuple(
                statement.rows(line.agent_id, line.rule, metric=m) for m in line.metrics
            )
        )
        found.append(DisputedLine(dispute=dispute, line=line, rows=rows))
    return tuple(found)
