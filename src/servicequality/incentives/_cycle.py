"""The pay cycle: locked statements, and adjustments paid in a later period."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from servicequality import _display
from servicequality import _validators as v
from servicequality._errors import PolicyError
from servicequality._history import RatingExclusion, excluded_rows
from servicequality._periods import Period
from servicequality.incentives._money import (
    Currency,
    as_money,
    in_money_context,
)
from servicequality.incentives._protocol import Unallocated
from servicequality.incentives._records import (
    currency_from_dict,
    currency_to_dict,
    ids,
    instant_from_dict,
    period_from_dict,
    period_to_dict,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from servicequality._table import ConversationTable
    from servicequality.incentives._plan import IncentivePlan, PayoutStatement
    from servicequality.incentives._protocol import PayoutLine

__all__ = ["Adjustment", "LockedLine", "LockedStatement"]


def _money(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    v.instance_of(type(instance).__name__, attribute.name, value, Decimal)
    if not value.is_finite():
        v.fail(instance, attribute.name, value, "must be finite")


def _aware(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    v.aware_datetime(instance, attribute, value)


def _id_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return ids("Adjustment", "conversation ids", value)


@attrs.frozen(kw_only=True)
class LockedLine:
    """One paid line of a locked statement: who, which rule, how much, why.

    Attributes:
        agent_id: The agent paid.
        rule: The rule's name.
        amount: The exact amount paid.
        explanation: The explanation shown when it was paid.
    """

    agent_id: str = attrs.field(validator=v.identifier)
    rule: str = attrs.field(validator=v.identifier)
    amount: Decimal = attrs.field(validator=_money)
    explanation: str = attrs.field(validator=v.identifier)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, the amount as a decimal string."""
        return {
            "agent_id": self.agent_id,
            "rule": self.rule,
            "amount": str(self.amount),
            "explanation": self.explanation,
        }

    @classmethod
    def from_dict(cls, data: object) -> LockedLine:
        """Read :meth:`to_dict` output.

        Raises:
            ValidationError: for unknown or missing keys and bad values.
        """
        owner = "LockedLine"
        plain = v.mapping(owner, data, ("agent_id", "rule", "amount", "explanation"))
        return cls(
            agent_id=plain["agent_id"],
            rule=plain["rule"],
            amount=as_money(owner, "amount", plain["amount"]),
            explanation=plain["explanation"],
        )


@attrs.frozen(kw_only=True)
class Adjustment:
    """A correction of a locked period, paid in a later open period.

    ``paid_before + amount + waived == now`` always holds: ``amount`` is
    what this statement pays (a top-up when positive, a clawback when
    negative); ``waived`` is the part of a clawback the plan does not take
    back (see :attr:`IncentivePlan.clawback`).

    Attributes:
        plan: The plan's name.
        agent_id: The agent.
        rule: The rule whose line changed.
        period: The locked period corrected.
        paid_in: The period whose statement pays it.
        amount: Paid now (exact; negative: taken back).
        waived: The clawback not taken back (0 or negative).
        paid_before: Paid for the line so far: the locked amount plus earlier
            adjustments.
        now: What the line pays on the data known now.
        explanation: What changed and why, in one sentence.
        arrived: Ratings of the agent's conversations in ``period`` that
            arrived after the lock.
        excluded: Ratings of those conversations excluded after the lock.
        restored: Ratings whose exclusion was lifted after the lock.
    """

    plan: str = attrs.field(validator=v.identifier)
    agent_id: str = attrs.field(validator=v.identifier)
    rule: str = attrs.field(validator=v.identifier)
    period: Period = attrs.field(validator=v.of_type(Period))
    paid_in: Period = attrs.field(validator=v.of_type(Period))
    amount: Decimal = attrs.field(validator=_money)
    waived: Decimal = attrs.field(validator=_money)
    paid_before: Decimal = attrs.field(validator=_money)
    now: Decimal = attrs.field(validator=_money)
    explanation: str = attrs.field(validator=v.identifier)
    arrived: tuple[str, ...] = attrs.field(default=(), converter=_id_tuple)
    excluded: tuple[str, ...] = attrs.field(default=(), converter=_id_tuple)
    restored: tuple[str, ...] = attrs.field(default=(), converter=_id_tuple)

    def __attrs_post_init__(self) -> None:
        with_context = in_money_context(
            lambda: self.paid_before + self.amount + self.waived
        )
        if with_context() != self.now:
            rule = "paid_before + amount + waived must equal now"
            v.fail(self, "now", self.now, rule)
        if self.waived > 0:
            v.fail(self, "waived", self.waived, "must not be positive")

    def to_dict(self) -> dict[str, Any]:
        """Plain data: periods as ISO 8601 ends, money as decimal strings."""
        return {
            "plan": self.plan,
            "agent_id": self.agent_id,
            "rule": self.rule,
            "period": period_to_dict(self.period),
            "paid_in": period_to_dict(self.paid_in),
            "amount": str(self.amount),
            "waived": str(self.waived),
            "paid_before": str(self.paid_before),
            "now": str(self.now),
            "explanation": self.explanation,
            "arrived": list(self.arrived),
            "excluded": list(self.excluded),
            "restored": list(self.restored),
        }

    @classmethod
    def from_dict(cls, data: object) -> Adjustment:
        """Read :meth:`to_dict` output (the three id lists optional).

        Raises:
            ValidationError: for unknown or missing keys and bad values.
        """
        owner = "Adjustment"
        money = ("amount", "waived", "paid_before", "now")
        plain = v.mapping(
            owner,
            data,
            ("plan", "agent_id", "rule", "period", "paid_in", *money, "explanation"),
            ("arrived", "excluded", "restored"),
        )
        amounts = {name: as_money(owner, name, plain[name]) for name in money}
        return cls(
            plan=plain["plan"],
            agent_id=plain["agent_id"],
            rule=plain["rule"],
            period=period_from_dict(owner, "period", plain["period"]),
            paid_in=period_from_dict(owner, "paid_in", plain["paid_in"]),
            amount=amounts["amount"],
            waived=amounts["waived"],
            paid_before=amounts["paid_before"],
            now=amounts["now"],
            explanation=plain["explanation"],
            arrived=ids(owner, "arrived", plain.get("arrived", ())),
            excluded=ids(owner, "excluded", plain.get("excluded", ())),
            restored=ids(owner, "restored", plain.get("restored", ())),
        )


def _lines(value: Iterable[LockedLine]) -> tuple[LockedLine, ...]:
    lines = v.sequence("LockedStatement", "lines", value, "a sequence of LockedLine")
    seen = set()
    for line in lines:
        v.instance_of("LockedStatement", "lines", line, LockedLine)
        if (line.agent_id, line.rule) in seen:
            rule = "holds one line per agent and rule"
            raise PolicyError(
                "LockedStatement", "lines", (line.agent_id, line.rule), rule
            )
        seen.add((line.agent_id, line.rule))
    return lines


def _unallocated(value: Iterable[Unallocated]) -> tuple[Unallocated, ...]:
    held = v.sequence("LockedStatement", "unallocated", value, "Unallocated values")
    for item in held:
        v.instance_of("LockedStatement", "unallocated", item, Unallocated)
    return held


def _adjustments(value: Iterable[Adjustment]) -> tuple[Adjustment, ...]:
    held = v.sequence("LockedStatement", "adjustments", value, "Adjustment values")
    for item in held:
        v.instance_of("LockedStatement", "adjustments", item, Adjustment)
    return held


@attrs.frozen(kw_only=True, repr=False)
class LockedStatement:
    """What was paid for one period: published, never rewritten.

    Later data never changes it: re-running the period gives
    :class:`Adjustment` values paid in a later period
    (:meth:`IncentivePlan.adjust`). Build it with
    :meth:`PayoutStatement.lock`; store it with :meth:`to_dict`.

    Attributes:
        plan: The plan's name.
        currency: The currency of every amount.
        period: The period paid for.
        locked_at: When it was locked (timezone-aware): evaluating the data
            as of this instant (:func:`~servicequality.as_of`) pays it again
            exactly.
        lines: One per agent and rule, as paid.
        unallocated: Money set aside but paid to nobody.
        adjustments: Corrections of earlier periods paid with it.
    """

    plan: str = attrs.field(validator=v.identifier)
    currency: Currency = attrs.field(validator=v.of_type(Currency))
    period: Period = attrs.field(validator=v.of_type(Period))
    locked_at: datetime = attrs.field(validator=_aware)
    lines: tuple[LockedLine, ...] = attrs.field(converter=_lines)
    unallocated: tuple[Unallocated, ...] = attrs.field(
        default=(), converter=_unallocated
    )
    adjustments: tuple[Adjustment, ...] = attrs.field(
        default=(), converter=_adjustments
    )

    def amount(self, agent_id: str, rule: str) -> Decimal:
        """The locked amount of one line (0 for a line not on it)."""
        for line in self.lines:
            if line.agent_id == agent_id and line.rule == rule:
                return line.amount
        return Decimal(0) * self.currency.quantum

    @in_money_context
    def total(self, agent_id: str) -> Decimal:
        """One agent's pay: their lines plus their adjustments."""
        return sum(
            (
                *(x.amount for x in self.lines if x.agent_id == agent_id),
                *(x.amount for x in self.adjustments if x.agent_id == agent_id),
            ),
            Decimal(0) * self.currency.quantum,
        )

    @property
    @in_money_context
    def total_paid(self) -> Decimal:
        """Every line and adjustment, summed exactly."""
        return sum(
            (
                *(x.amount for x in self.lines),
                *(x.amount for x in self.adjustments),
            ),
            Decimal(0) * self.currency.quantum,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain data: money as decimal strings, instants in ISO 8601."""
        return {
            "plan": self.plan,
            "currency": currency_to_dict(self.currency),
            "period": period_to_dict(self.period),
            "locked_at": self.locked_at.isoformat(),
            "lines": [line.to_dict() for line in self.lines],
            "unallocated": [
                {"rule": u.rule, "amount": str(u.amount), "reason": u.reason}
                for u in self.unallocated
            ],
            "adjustments": [a.to_dict() for a in self.adjustments],
        }

    @classmethod
    def from_dict(cls, data: object) -> LockedStatement:
        """Read :meth:`to_dict` output (``unallocated``, ``adjustments`` optional).

        Raises:
            ValidationError: for unknown or missing keys and bad values.
        """
        owner = "LockedStatement"
        plain = v.mapping(
            owner,
            data,
            ("plan", "currency", "period", "locked_at", "lines"),
            ("unallocated", "adjustments"),
        )
        unallocated = []
        for item in v.sequence(owner, "unallocated", plain.get("unallocated", ())):
            u = v.mapping(owner, item, ("rule", "amount", "reason"))
            unallocated.append(
                Unallocated(
                    rule=v.text(owner, "unallocated.rule", u["rule"]),
                    amount=as_money(owner, "unallocated.amount", u["amount"]),
                    reason=v.text(owner, "unallocated.reason", u["reason"]),
                )
            )
        return cls(
            plan=plain["plan"],
            currency=currency_from_dict(owner, plain["currency"]),
            period=period_from_dict(owner, "period", plain["period"]),
            locked_at=instant_from_dict(owner, "locked_at", plain["locked_at"]),
            lines=tuple(
                LockedLine.from_dict(x)
                for x in v.sequence(owner, "lines", plain["lines"])
            ),
            unallocated=tuple(unallocated),
            adjustments=tuple(
                Adjustment.from_dict(x)
                for x in v.sequence(owner, "adjustments", plain.get("adjustments", ()))
            ),
        )

    def __repr__(self) -> str:
        return (
            f"<LockedStatement {self.plan!r} {_display.label(self.period)} locked "
            f"{self.locked_at.isoformat()}: {len(self.lines)} line(s), "
            f"{len(self.adjustments)} adjustment(s), paid "
            f"{self.currency.format(self.total_paid)}>"
        )

    def __str__(self) -> str:
        money = self.currency.format
        out = [
            f"{self.plan} — {_display.label(self.period)} ({self.currency.code}), "
            f"locked {self.locked_at.isoformat()}"
        ]
        out.extend(
            f"{line.agent_id} {line.rule}: {money(line.amount)}" for line in self.lines
        )
        out.extend(
            f"{a.agent_id} adjustment {a.rule} ({_display.label(a.period)}): "
            f"{money(a.amount)}"
            for a in self.adjustments
        )
        out.append(f"total paid: {money(self.total_paid)}")
        return "\n".join(out)


def lock(statement: PayoutStatement, at: datetime) -> LockedStatement:
    """The locked record of ``statement`` (see :meth:`PayoutStatement.lock`)."""
    moment = v.instant("PayoutStatement.lock", "at", at)
    if moment < statement.period.end:
        rule = (
            f"must not be before the period ends ({statement.period.end.isoformat()})"
        )
        raise PolicyError("PayoutStatement.lock", "at", moment, rule)
    return LockedStatement(
        plan=statement.plan,
        currency=statement.currency,
        period=statement.period,
        locked_at=moment,
        lines=tuple(
            LockedLine(
                agent_id=line.agent_id,
                rule=line.rule,
                amount=line.amount,
                explanation=line.explanation,
            )
            for line in statement.lines
        ),
        unallocated=statement.unallocated,
        adjustments=statement.adjustments,
    )


@attrs.frozen
class _Changes:
    arrived: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    restored: tuple[str, ...] = ()

    def sentence(self) -> str:
        parts = [
            f"{len(ids)} {what} ({', '.join(ids[:3])}{', …' if len(ids) > 3 else ''})"
            for what, ids in (
                ("late rating(s)", self.arrived),
                ("exclusion(s)", self.excluded),
                ("exclusion(s) lifted", self.restored),
            )
            if ids
        ]
        return "; ".join(parts) if parts else "no rating arrived or was excluded"


def _changes(
    table: ConversationTable,
    period: Period,
    since: datetime,
    at: datetime,
    exclusions: Sequence[RatingExclusion],
) -> dict[str, _Changes]:
    """Per handling agent: ratings of ``period`` that arrived, left or came back."""
    utc = [
        np.datetime64(x.astimezone(UTC).replace(tzinfo=None), "us")
        for x in (period.start, period.end, since, at)
    ]
    start, end, then, now = utc
    opened = table["opened_at"]
    inside = (opened >= start) & (opened < end)
    rated = table["rating_scale"] >= 0
    when = table["rated_at"]
    arrived = inside & rated & (when > then) & (when <= now)
    before = excluded_rows(table, [e for e in exclusions if e.in_force(since)])
    after = excluded_rows(table, [e for e in exclusions if e.in_force(at)])
    handler = np.where(
        table["transferred_to"] >= 0, table["transferred_to"], table["agent_id"]
    )
    agents = table.vocabulary("agent_id")
    conversations = table.vocabulary("conversation_id")
    found: dict[str, dict[str, list[str]]] = {}
    for kind, rows in (
        ("arrived", arrived),
        ("excluded", inside & after & ~before),
        ("restored", inside & before & ~after),
    ):
        for row in np.flatnonzero(rows).tolist():
            agent = str(agents[handler[row]])
            conversation = str(conversations[table["conversation_id"][row]])
            found.setdefault(agent, {}).setdefault(kind, []).append(conversation)
    return {
        agent: _Changes(**{k: tuple(sorted(x)) for k, x in kinds.items()})
        for agent, kinds in found.items()
    }


def _clawback_budget(plan: IncentivePlan) -> Decimal | None:
    """What a plan may take back from one agent per run (``None``: no limit)."""
    if plan.clawback == "allowed":
        return None
    if plan.clawback == "capped":
        assert plan.clawback_cap is not None  # the plan refuses capped without one
        return plan.clawback_cap
    return Decimal(0)


def _check(
    plan: IncentivePlan,
    locked: LockedStatement,
    rerun: PayoutStatement,
    paid_in: Period,
    at: datetime,
) -> datetime:
    owner = "IncentivePlan.adjust"
    v.instance_of(owner, "locked", locked, LockedStatement)
    v.instance_of(owner, "paid_in", paid_in, Period)
    moment = v.instant(owner, "at", at)
    if locked.plan != plan.name or rerun.plan != plan.name:
        rule = f"must be statements of the plan {plan.name!r}"
        raise PolicyError(owner, "plan", (locked.plan, rerun.plan), rule)
    if rerun.period != locked.period:
        rule = f"must re-run the locked period {_display.label(locked.period)}"
        raise PolicyError(owner, "rerun", _display.label(rerun.period), rule)
    if locked.currency != plan.currency:
        rule = f"must be the plan's currency {plan.currency.code}"
        raise PolicyError(owner, "locked", locked.currency.code, rule)
    if paid_in.start < locked.period.end:
        rule = "must start after the locked period ends (it is never rewritten)"
        raise PolicyError(owner, "paid_in", _display.label(paid_in), rule)
    if moment < locked.locked_at:
        rule = f"must not be before the lock ({locked.locked_at.isoformat()})"
        raise PolicyError(owner, "at", moment, rule)
    return moment


Key = tuple[str, str]


def _settled(
    keys: Sequence[Key], locked: LockedStatement, before: Sequence[Adjustment]
) -> tuple[dict[Key, Decimal], dict[Key, Decimal]]:
    """Per line: paid so far, and the clawback waived by the latest adjustment."""
    zero = Decimal(0) * locked.currency.quantum
    paid, waived = {}, {}
    for key in keys:
        mine = [a for a in before if (a.agent_id, a.rule) == key]
        paid[key] = locked.amount(*key) + sum((a.amount for a in mine), zero)
        waived[key] = mine[-1].waived if mine else zero
    return paid, waived


def _limited(gaps: dict[Key, Decimal], limit: Decimal | None) -> dict[Key, Decimal]:
    """What is paid of each gap: clawbacks first offset the agent's top-ups."""
    if limit is None:
        return dict(gaps)
    budget: dict[str, Decimal] = {}
    for (agent, _), gap in gaps.items():
        budget[agent] = budget.get(agent, limit) + max(gap, Decimal(0))
    paid = {}
    for key, gap in gaps.items():
        if gap >= 0:
            paid[key] = gap
            continue
        taken = min(-gap, budget[key[0]])
        budget[key[0]] -= taken
        paid[key] = -taken
    return paid


def _explanation(  # noqa: PLR0917  # the parts of one sentence
    plan: IncentivePlan,
    period: Period,
    key: Key,
    paid: Decimal,
    amount: Decimal,
    waived: Decimal,
    line: PayoutLine | None,
    why: _Changes,
) -> str:
    money = plan.currency.format
    now = paid + amount + waived
    if amount > 0:
        decision = f"top-up {money(amount)}"
    elif amount < 0:
        decision = f"clawback {money(-amount)}"
    else:
        decision = "nothing paid"
    if waived:
        decision += f", {money(-waived)} not taken back (clawback {plan.clawback})"
    basis = "not on the re-run" if line is None else line.explanation
    return (
        f"{key[1]} for {_display.label(period)}: paid {money(paid)}, now "
        f"{money(now)} ({basis}) after {why.sentence()} ⇒ {decision}"
    )


@in_money_context
def adjust(  # one record of the whole correction
    plan: IncentivePlan,
    locked: LockedStatement,
    rerun: PayoutStatement,
    *,
    paid_in: Period,
    at: datetime,
    table: ConversationTable | None = None,
    exclusions: Iterable[RatingExclusion] = (),
    earlier: Iterable[Adjustment] = (),
) -> tuple[Adjustment, ...]:
    """The adjustments of ``locked``; see :meth:`IncentivePlan.adjust`."""
    owner = "IncentivePlan.adjust"
    moment = _check(plan, locked, rerun, paid_in, at)
    chosen = v.sequence(owner, "exclusions", exclusions, "RatingExclusion values")
    for exclusion in chosen:
        v.instance_of(owner, "exclusions", exclusion, RatingExclusion)
    given = v.sequence(owner, "earlier", earlier, "Adjustment values")
    for item in given:
        v.instance_of(owner, "earlier", item, Adjustment)
    before = [a for a in given if a.plan == plan.name and a.period == locked.period]
    changes = (
        {}
        if table is None
        else _changes(table, locked.period, locked.locked_at, moment, chosen)
    )
    now_lines = {(x.agent_id, x.rule): x for x in rerun.lines}
    keys = list(
        dict.fromkeys([(x.agent_id, x.rule) for x in locked.lines] + list(now_lines))
    )
    paid, waived_last = _settled(keys, locked, before)
    zero = Decimal(0) * plan.currency.quantum
    gaps = {
        key: (now_lines[key].amount if key in now_lines else zero) - paid[key]
        for key in keys
    }
    amounts = _limited(gaps, _clawback_budget(plan))
    adjustments = []
    for key in keys:
        amount, waived = amounts[key], gaps[key] - amounts[key]
        if amount == 0 and waived == waived_last[key]:
            continue
        why = changes.get(key[0], _Changes())
        adjustments.append(
            Adjustment(
                plan=plan.name,
                agent_id=key[0],
                rule=key[1],
                period=locked.period,
                paid_in=paid_in,
                amount=amount,
                waived=waived,
                paid_before=paid[key],
                now=paid[key] + gaps[key],
                explanation=_explanation(
                    plan,
                    locked.period,
                    key,
                    paid[key],
                    amount,
                    waived,
                    now_lines.get(key),
                    why,
                ),
                arrived=why.arrived,
                excluded=why.excluded,
                restored=why.restored,
            )
        )
    return tuple(adjustments)
