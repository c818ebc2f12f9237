"""Incentive plans, payout statements and what-if comparisons."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from servicequality import _display, _results
from servicequality import _validators as v
from servicequality._errors import PolicyError, UnknownKeyError
from servicequality._model import Role
from servicequality._periods import Period
from servicequality.incentives._cycle import Adjustment, LockedStatement, adjust, lock
from servicequality.incentives._disputes import Dispute, DisputedLine, open_disputes
from servicequality.incentives._money import (
    MINOR_UNITS,
    Currency,
    as_money,
    in_money_context,
)
from servicequality.incentives._partial import PARTIAL_RULES, prorate
from servicequality.incentives._protocol import (
    Exclusion,
    Payee,
    PayoutLine,
    Rule,
    RuleOutcome,
    Unallocated,
)
from servicequality.incentives._rules import (
    PerPoint,
    PoolShare,
    ThresholdBonus,
    TieredBonus,
    human_roles,
)
from servicequality.policy._assess import Assessment

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import datetime

    from servicequality._engine._measure import CellRows
    from servicequality._history import RatingExclusion
    from servicequality._model import Agent
    from servicequality._table import ConversationTable
    from servicequality.metrics._base import Part
    from servicequality.policy._tiers import TierPolicy

__all__ = [
    "IncentivePlan",
    "PayoutStatement",
    "PlanComparison",
    "PlanDifference",
    "compare_plans",
]


@attrs.frozen(kw_only=True, repr=False)
class PayoutStatement:
    """Every agent's pay under one plan for one period, line by line.

    Attributes:
        plan: The plan's name.
        currency: The currency of every amount.
        period: The period paid for.
        lines: One per agent and rule, by agent id then rule order.
        unallocated: Money set aside but paid to nobody, with reasons.
        excluded: Agents in the assessment the plan does not pay.
        assessment: The assessment paid from (for :meth:`rows`); not
            compared.
        adjustments: Corrections of earlier, locked periods paid with this
            statement (see :meth:`with_adjustments`).
    """

    plan: str
    currency: Currency
    period: Period
    lines: tuple[PayoutLine, ...]
    unallocated: tuple[Unallocated, ...] = ()
    excluded: tuple[Exclusion, ...] = ()
    assessment: Assessment | None = attrs.field(default=None, eq=False, repr=False)
    adjustments: tuple[Adjustment, ...] = ()

    @property
    def agents(self) -> tuple[str, ...]:
        """Agents paid (possibly 0) or adjusted, in statement order."""
        return tuple(
            dict.fromkeys(
                [line.agent_id for line in self.lines]
                + [a.agent_id for a in self.adjustments]
            )
        )

    def lines_of(self, agent_id: str) -> tuple[PayoutLine, ...]:
        """The lines of one agent (empty for an agent not on the statement)."""
        return tuple(line for line in self.lines if line.agent_id == agent_id)

    @in_money_context
    def total(self, agent_id: str) -> Decimal:
        """One agent's total: the exact sum of their lines and adjustments."""
        return sum(
            (
                *(line.amount for line in self.lines_of(agent_id)),
                *(a.amount for a in self.adjustments if a.agent_id == agent_id),
            ),
            Decimal(0) * self.currency.quantum,
        )

    @property
    def totals(self) -> dict[str, Decimal]:
        """Every agent's total, in statement order."""
        return {agent: self.total(agent) for agent in self.agents}

    @property
    @in_money_context
    def total_paid(self) -> Decimal:
        """The sum of every line and adjustment."""
        return sum(
            (
                *(line.amount for line in self.lines),
                *(a.amount for a in self.adjustments),
            ),
            Decimal(0) * self.currency.quantum,
        )

    def lock(self, at: datetime) -> LockedStatement:
        """The published record of this statement, locked at the instant ``at``.

        Store it (:meth:`LockedStatement.to_dict`); re-running the period on
        later data gives adjustments (:meth:`IncentivePlan.adjust`), never a
        new statement for it.

        Raises:
            PolicyError: for ``at`` before the period ends.
            ValidationError: for a naive ``at``.
        """
        return lock(self, at)

    def open_disputes(self, disputes: Iterable[Dispute]) -> tuple[DisputedLine, ...]:
        """The open disputes of this statement's period, each with its line and rows.

        Disputes of other periods and decided ones are skipped.

        Raises:
            UnknownKeyError: for an open dispute of this period questioning a
                line the statement does not hold.
            WrongTypeError: for anything but :class:`Dispute` values.
        """
        return open_disputes(self, disputes)

    def with_adjustments(self, adjustments: Iterable[Adjustment]) -> PayoutStatement:
        """This statement also paying ``adjustments`` of earlier periods.

        Raises:
            PolicyError: for an adjustment of another plan, currency-less, or
                paid in another period.
        """
        added = v.sequence(
            "PayoutStatement", "adjustments", adjustments, "Adjustment values"
        )
        for item in added:
            v.instance_of("PayoutStatement", "adjustments", item, Adjustment)
            if item.paid_in != self.period:
                rule = f"must be paid in {_display.label(self.period)}"
                raise PolicyError(
                    "PayoutStatement", "adjustments", _display.label(item.paid_in), rule
                )
            self.currency.exact("PayoutStatement", "adjustments", item.amount)
        return attrs.evolve(self, adjustments=(*self.adjustments, *added))

    @property
    @in_money_context
    def total_unallocated(self) -> Decimal:
        """The sum of what was set aside but paid to nobody."""
        return sum(
            (u.amount for u in self.unallocated), Decimal(0) * self.currency.quantum
        )

    def rows(
        self,
        agent_id: str,
        rule: str,
        *,
        metric: str | None = None,
        part: Part = "denominator",
    ) -> CellRows:
        """The conversations behind one payout line.

        ``metric`` picks among the metrics the rule read (needed only when
        it read several, as a composite score does); ``part`` as in
        :meth:`Measurements.rows <servicequality.Measurements.rows>`.

        Raises:
            UnknownKeyError: for an unknown line, a metric the line did not
                read, or a missing choice among several.
            PolicyError: for a statement built without its assessment.
        """
        line = next(
            (x for x in self.lines if x.agent_id == agent_id and x.rule == rule), None
        )
        if line is None:
            raise UnknownKeyError(
                "PayoutStatement", "line", (agent_id, rule), "is not on this statement"
            )
        if metric is None and len(line.metrics) == 1:
            metric = line.metrics[0]
        if metric is None or metric not in line.metrics:
            raise UnknownKeyError(
                "PayoutStatement",
                "metric",
                metric,
                f"must be one of the metrics the line read: {', '.join(line.metrics)}",
            )
        if self.assessment is None:
            raise PolicyError(
                "PayoutStatement", "assessment", None, "is needed to list rows"
            )
        return self.assessment.rows(metric, part=part, **line.key)

    def __repr__(self) -> str:
        rules = list(dict.fromkeys(line.rule for line in self.lines))
        return (
            f"<PayoutStatement {self.plan!r} {_display.label(self.period)}: "
            f"{len(self.agents)} agent(s) × {len(rules)} rule(s), paid "
            f"{self.currency.format(self.total_paid)}, unallocated "
            f"{self.currency.format(self.total_unallocated)}>"
        )

    def _repr_html_(self) -> str:
        """A table for notebooks: one row per agent, one money column per rule.

        Amounts are right-aligned in the statement's currency; hover an
        amount for its explanation. Unallocated money and excluded agents
        follow the table.
        """
        money = self.currency.format
        rules = list(dict.fromkeys(line.rule for line in self.lines))
        agents = self.agents
        rows: list[list[_display.Cell]] = []
        for agent in agents[: _display.MAX_ROWS]:
            by_rule = {line.rule: line for line in self.lines_of(agent)}
            cells: list[_display.Cell] = [agent]
            cells.extend(
                (money(by_rule[r].amount), "", by_rule[r].explanation)
                if r in by_rule
                else ""
                for r in rules
            )
            cells.append(money(self.total(agent)))
            rows.append(cells)
        notes = [
            f"Unallocated ({u.rule}): {money(u.amount)} — {u.reason}"
            for u in self.unallocated
        ]
        notes.extend(
            f"Not paid: {e.agent_id} ({e.role}) — {e.reason}" for e in self.excluded
        )
        notes.append(f"Total paid: {money(self.total_paid)}")
        return _display.table(
            ["agent", *rules, "total"],
            rows,
            caption=(
                f"{self.plan} — {_display.label(self.period)} ({self.currency.code})"
            ),
            right=range(1, len(rules) + 2),
            total=len(agents),
        ) + "".join(_display.paragraph(n) for n in notes)

    def to_pandas(self, *, period_labels: bool = False) -> Any:
        """:meth:`to_records` as a pandas DataFrame (the ``pandas`` extra).

        ``amount`` stays an exact ``Decimal`` (an object column), never a
        float; with ``period_labels`` the ``period`` column holds short
        labels (``2025-11``) instead of :class:`Period` values.
        """
        return _results.frame(
            self.to_records(),
            ["plan", "period", "currency", "agent_id", "rule", "amount", "explanation"],
            period_labels=period_labels,
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per line: agent, rule, amount (Decimal), explanation."""
        return [
            {
                "plan": self.plan,
                "period": self.period,
                "currency": self.currency.code,
                "agent_id": line.agent_id,
                "rule": line.rule,
                "amount": line.amount,
                "explanation": line.explanation,
            }
            for line in self.lines
        ]

    def __str__(self) -> str:
        money = self.currency.format
        out = [f"{self.plan} — {self.period} ({self.currency.code})"]
        for agent in self.agents:
            out.append(f"{agent}: {money(self.total(agent))}")
            out.extend(
                f"  {line.rule}: {money(line.amount)} — {line.explanation}"
                for line in self.lines_of(agent)
            )
            out.extend(
                f"  adjustment {a.rule} ({_display.label(a.period)}): "
                f"{money(a.amount)} — {a.explanation}"
                for a in self.adjustments
                if a.agent_id == agent
            )
        out.extend(
            f"unallocated {u.rule}: {money(u.amount)} — {u.reason}"
            for u in self.unallocated
        )
        out.extend(
            f"not paid {e.agent_id} ({e.role}): {e.reason}" for e in self.excluded
        )
        out.append(f"total paid: {money(self.total_paid)}")
        return "\n".join(out)


def _currency(value: Currency | str) -> Currency:
    return Currency.coerce(value)


def _rules(value: Iterable[Rule]) -> tuple[Rule, ...]:
    rules = v.sequence("IncentivePlan", "rules", value, "a sequence of bonus rules")
    if not rules:
        raise PolicyError("IncentivePlan", "rules", rules, "must hold a rule")
    for rule in rules:
        if not isinstance(rule, Rule):
            v.wrong_type("IncentivePlan", "rules", rule, "a bonus rule (see Rule)")
    names = [rule.name for rule in rules]
    if len(set(names)) != len(names):
        repeated = next(n for n in names if names.count(n) > 1)
        raise PolicyError("IncentivePlan", "rules", repeated, "names two rules")
    return rules


def _roles(value: Iterable[Role]) -> tuple[Role, ...]:
    return human_roles("IncentivePlan", value)


_CLAWBACKS = ("never", "capped", "allowed")


def _cap(value: object) -> Decimal | None:
    if value is None:
        return None
    cap = as_money("IncentivePlan", "clawback_cap", value)
    if cap < 0:
        raise PolicyError(
            "IncentivePlan", "clawback_cap", value, "must not be negative"
        )
    return cap


@attrs.frozen(kw_only=True)
class IncentivePlan:
    """Bonus rules paid in one currency to the roles the plan names.

    Attributes:
        name: The plan's name.
        currency: A :class:`Currency` or an ISO code from ``MINOR_UNITS``.
        rules: Bonus rules, applied in order, with distinct names.
        eligible_roles: Roles paid (default front-line agents only); bots
            never are.
        allow_negative: Allow negative amounts or rates (deductions). Off by
            default: an assessment is not a punishment tool (S4 §5).
        clawback: What an adjustment may take back from an agent when a
            locked line turns out too high: ``"never"`` (the default: only
            top-ups are paid), ``"capped"`` (at most ``clawback_cap`` per
            agent and adjustment run) or ``"allowed"`` (all of it). Within
            one run an agent's clawbacks first offset their top-ups.
        clawback_cap: The cap of ``"capped"`` (whole minor units, not
            negative); only with ``"capped"``.
        partial: How an agent employed for part of the period (see
            ``Agent.employed_from`` / ``employed_until`` and the ``roster``
            of :meth:`apply`) is paid: ``"full"`` (the default: as everyone),
            ``"days"`` (each line pro rata by employed time) or
            ``"minimum_days"`` (the whole line from ``minimum_days`` employed
            days on, else nothing). The line says which applied; a pool
            keeps what a prorated share loses as unallocated.
        minimum_days: The days of ``"minimum_days"``; only with it.

    Raises:
        PolicyError: for no rules, duplicate rule names, a bot among the
            eligible roles, an amount that is not whole minor units of the
            currency, a negative amount without ``allow_negative``, an
            unknown ``clawback``, or a cap without ``"capped"`` (or none with
            it).
    """

    name: str
    currency: Currency = attrs.field(converter=_currency)
    rules: tuple[Rule, ...] = attrs.field(converter=_rules)
    eligible_roles: tuple[Role, ...] = attrs.field(
        default=(Role.AGENT,), converter=_roles
    )
    allow_negative: bool = False
    clawback: str = "never"
    clawback_cap: Decimal | None = attrs.field(default=None, converter=_cap)
    partial: str = "full"
    minimum_days: int | None = None

    def __attrs_post_init__(self) -> None:
        v.text("IncentivePlan", "name", self.name, error=PolicyError)
        v.flag("IncentivePlan", "allow_negative", self.allow_negative)
        for rule in self.rules:
            rule.check(self.currency, allow_negative=self.allow_negative)
        for field, chosen in (("clawback", self.clawback), ("partial", self.partial)):
            if not isinstance(chosen, str):
                v.wrong_type("IncentivePlan", field, chosen, "a string")
        if self.clawback not in _CLAWBACKS:
            why = f"must be one of {', '.join(map(repr, _CLAWBACKS))}"
            raise PolicyError("IncentivePlan", "clawback", self.clawback, why)
        if (self.clawback == "capped") != (self.clawback_cap is not None):
            why = "is given exactly when clawback is 'capped'"
            raise PolicyError("IncentivePlan", "clawback_cap", self.clawback_cap, why)
        if self.clawback_cap is not None:
            self.currency.exact("IncentivePlan", "clawback_cap", self.clawback_cap)
        if self.partial not in PARTIAL_RULES:
            why = f"must be one of {', '.join(map(repr, PARTIAL_RULES))}"
            raise PolicyError("IncentivePlan", "partial", self.partial, why)
        if (self.partial == "minimum_days") != (self.minimum_days is not None):
            why = "is given exactly when partial is 'minimum_days'"
            raise PolicyError("IncentivePlan", "minimum_days", self.minimum_days, why)
        if self.minimum_days is not None:
            v.whole(
                "IncentivePlan",
                "minimum_days",
                self.minimum_days,
                minimum=1,
                error=PolicyError,
            )

    def adjust(
        self,
        locked: LockedStatement,
        rerun: PayoutStatement,
        *,
        paid_in: Period,
        at: datetime,
        table: ConversationTable | None = None,
        exclusions: Iterable[RatingExclusion] = (),
        earlier: Iterable[Adjustment] = (),
    ) -> tuple[Adjustment, ...]:
        """Adjustments of a locked period, paid in ``paid_in``; ``locked`` stays as is.

        For each line, ``now`` (the line of ``rerun``, 0 if gone) minus what
        was paid so far (the locked amount plus ``earlier`` adjustments of
        the same plan and period) is a top-up or a clawback, limited by
        :attr:`clawback`. Nothing is listed for a line that did not change.
        Paid so far plus every adjustment always equals the re-run, to the
        cent, whatever the rules (pools and caps included), except for
        clawbacks the plan waives: those are shown on the adjustment
        (``waived``) and never paid twice.

        Args:
            locked: The locked statement of the period.
            rerun: This plan applied to the period on the data known at
                ``at`` (e.g. :func:`~servicequality.as_of` ``at``, with the
                exclusions).
            paid_in: The open period that pays the adjustments.
            at: When the re-run's data was known ("now", never the clock).
            table: The data, to list the ratings that arrived, were excluded
                or came back since the lock, per agent (optional).
            exclusions: Every rating exclusion known (for that list).
            earlier: Adjustments already paid for the period (others are
                ignored), so a third run pays only what is still owed.

        Raises:
            PolicyError: for statements of another plan or period, a
                ``paid_in`` that does not start after the locked period, or
                ``at`` before the lock.
        """
        return adjust(
            self,
            locked,
            rerun,
            paid_in=paid_in,
            at=at,
            table=table,
            exclusions=exclusions,
            earlier=earlier,
        )

    @in_money_context
    def apply(
        self,
        assessment: Assessment,
        period: Period,
        *,
        roster: Iterable[Agent] = (),
    ) -> PayoutStatement:
        """Pay every eligible agent of ``assessment`` for ``period``.

        The assessment must be grouped by ``"agent"``, and optionally by a
        calendar: then only the groups of ``period`` are paid. Without a
        calendar key the whole assessment is taken to cover ``period``.
        ``roster`` (e.g. ``table.agents``) gives employment dates for
        :attr:`partial`; agents not on it are paid as employed throughout.

        Raises:
            WrongTypeError: for an assessment or period of the wrong type.
            UnknownKeyError: for a period the assessment does not hold, or an
                agent without a role.
            PolicyError: for other group keys, or a rule that does not fit the
                measurements.
        """
        payees, excluded = _payees(assessment, period, self.eligible_roles)
        outcomes = []
        for rule in self.rules:
            admitted, refused = (
                (payees, [])
                if rule.eligible is None
                else rule.eligible.split(rule.name, assessment, payees)
            )
            outcome = rule.pay(assessment, admitted, self.currency)
            outcomes.append(self._checked(rule, admitted, outcome))
            excluded.extend(refused)
        order = {payee.agent_id: i for i, payee in enumerate(payees)}
        lines, kept = prorate(
            sorted(
                (line for outcome in outcomes for line in outcome.lines),
                key=lambda line: order[line.agent_id],
            ),
            period=period,
            roster=roster,
            rule=self.partial,
            minimum_days=self.minimum_days,
            currency=self.currency,
            pools=[r.name for r in self.rules if isinstance(r, PoolShare)],
        )
        return PayoutStatement(
            plan=self.name,
            currency=self.currency,
            period=period,
            lines=lines,
            unallocated=tuple(u for o in outcomes for u in o.unallocated) + kept,
            excluded=tuple(excluded) + tuple(e for o in outcomes for e in o.excluded),
            assessment=assessment,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data: rules by ``kind``, money as decimal strings, role names.

        The currency is its code, or ``{"code", "minor_unit"}`` for one not in
        ``MINOR_UNITS``.

        Raises:
            PolicyError: for a rule without ``to_dict`` (or one whose gate is
                a predicate).
        """
        rules = []
        for rule in self.rules:
            plain = getattr(rule, "to_dict", None)
            if plain is None:
                why = "has no to_dict(), so the plan cannot be written as plain data"
                raise PolicyError("IncentivePlan", "rules", rule.name, why)
            rules.append(plain())
        known = MINOR_UNITS.get(self.currency.code) == self.currency.minor_unit
        data: dict[str, Any] = {
            "name": self.name,
            "currency": self.currency.code
            if known
            else {"code": self.currency.code, "minor_unit": self.currency.minor_unit},
            "rules": rules,
            "eligible_roles": [role.value for role in self.eligible_roles],
            "allow_negative": self.allow_negative,
        }
        if self.clawback != "never":
            data["clawback"] = self.clawback
        if self.clawback_cap is not None:
            data["clawback_cap"] = str(self.clawback_cap)
        if self.partial != "full":
            data["partial"] = self.partial
        if self.minimum_days is not None:
            data["minimum_days"] = self.minimum_days
        return data

    @classmethod
    def from_dict(
        cls,
        data: object,
        *,
        kinds: Mapping[str, Callable[[Mapping[str, Any]], Rule]] | None = None,
    ) -> IncentivePlan:
        """Read :meth:`to_dict` output; every key but name, currency and rules optional.

        Args:
            data: Plain data, e.g. parsed from TOML or JSON.
            kinds: Readers of your own rules' plain data by ``kind``, beside
                the built-in ``threshold_bonus``, ``tiered_bonus``,
                ``per_point`` and ``pool_share``.

        Raises:
            PolicyError: for unknown or missing keys and bad values.
            UnknownKeyError: for a rule ``kind`` or role nobody knows.
        """
        plain = v.mapping(
            "IncentivePlan",
            data,
            ("name", "currency", "rules"),
            (
                "eligible_roles",
                "allow_negative",
                "clawback",
                "clawback_cap",
                "partial",
                "minimum_days",
            ),
            error=PolicyError,
        )
        readers = {**_KINDS, **(kinds or {})}
        rules = []
        for rule in v.sequence("IncentivePlan", "rules", plain["rules"]):
            if not isinstance(rule, Mapping):
                v.wrong_type("IncentivePlan", "rules", rule, "a mapping with a kind")
            kind = rule.get("kind")
            if not isinstance(kind, str) or kind not in readers:
                why = f"is not a known rule kind; kinds: {', '.join(readers)}"
                raise UnknownKeyError("IncentivePlan", "rules", kind, why)
            rules.append(readers[kind](rule))
        currency = plain["currency"]
        if isinstance(currency, Mapping):
            money = v.mapping(
                "IncentivePlan", currency, ("code", "minor_unit"), error=PolicyError
            )
            currency = Currency(code=money["code"], minor_unit=money["minor_unit"])
        options: dict[str, Any] = {}
        if "eligible_roles" in plain:
            options["eligible_roles"] = tuple(
                _role(x)
                for x in v.sequence(
                    "IncentivePlan", "eligible_roles", plain["eligible_roles"]
                )
            )
        for option in (
            "allow_negative",
            "clawback",
            "clawback_cap",
            "partial",
            "minimum_days",
        ):
            if option in plain:
                options[option] = plain[option]
        return cls(name=plain["name"], currency=currency, rules=rules, **options)

    @property
    def tier_policies(self) -> tuple[TierPolicy, ...]:
        """The tier policies the rules need: classify the measurements with them.

        Raises:
            PolicyError: if two rules need different policies for one metric.
        """
        chosen: dict[str, TierPolicy] = {}
        for rule in self.rules:
            for policy in rule.tier_policies:
                if chosen.setdefault(policy.metric, policy) != policy:
                    why = "two rules need different tier policies for it"
                    raise PolicyError("IncentivePlan", "rules", policy.metric, why)
        return tuple(chosen.values())

    def _checked(
        self, rule: Rule, payees: Sequence[Payee], outcome: RuleOutcome
    ) -> RuleOutcome:
        """``outcome`` with amounts quantized, refused if it breaks the contract."""
        owner = f"rule {rule.name!r}"
        v.instance_of(owner, "outcome", outcome, RuleOutcome)
        answered = [line.agent_id for line in outcome.lines] + [
            e.agent_id for e in outcome.excluded
        ]
        expected = [payee.agent_id for payee in payees]
        if sorted(answered) != sorted(expected):
            why = "must give each payee exactly one line or one exclusion"
            raise PolicyError(owner, "outcome", sorted(answered), why)
        lines = []
        for line in outcome.lines:
            if line.rule != rule.name:
                raise PolicyError(owner, "lines", line.rule, "must carry the rule name")
            amount = self.currency.round(line.amount)
            if amount != line.amount:
                quantum = self.currency.quantum
                why = f"{self.currency.code} amounts are whole multiples of {quantum}"
                raise PolicyError(owner, "amount", line.amount, why)
            if amount < 0 and not self.allow_negative:
                why = "must not be negative without allow_negative on the plan"
                raise PolicyError(owner, "amount", line.amount, why)
            lines.append(attrs.evolve(line, amount=amount))
        return attrs.evolve(outcome, lines=tuple(lines))


_KINDS: dict[str, Callable[[Mapping[str, Any]], Rule]] = {
    "threshold_bonus": ThresholdBonus.from_dict,
    "tiered_bonus": TieredBonus.from_dict,
    "per_point": PerPoint.from_dict,
    "pool_share": PoolShare.from_dict,
}


def _role(value: object) -> Role:
    if isinstance(value, Role):
        return value
    names = [role.value for role in Role]
    if not isinstance(value, str) or value not in names:
        rule = f"is not a role; roles: {', '.join(names)}"
        raise UnknownKeyError("IncentivePlan", "eligible_roles", value, rule)
    return Role(value)


def _payees(
    assessment: Assessment, period: Period, eligible: Sequence[Role]
) -> tuple[list[Payee], list[Exclusion]]:
    v.instance_of("IncentivePlan.apply", "assessment", assessment, Assessment)
    v.instance_of("IncentivePlan.apply", "period", period, Period)
    names = assessment.key_names
    if "agent" not in names or set(names) - {"agent", "period"}:
        rule = "must be grouped by 'agent' (and optionally a calendar)"
        raise PolicyError("IncentivePlan.apply", "assessment", names, rule)
    keys = [dict(zip(names, key, strict=True)) for key in assessment.keys]
    if "period" in names:
        keys = [key for key in keys if key["period"] == period]
        if not keys:
            rule = "is not a period of the assessment"
            raise UnknownKeyError("IncentivePlan.apply", "period", period, rule)
    roles = assessment.measurements.agent_roles
    payees, excluded = [], []
    for key in keys:
        agent = key["agent"]
        if agent not in roles:
            rule = "has no known role in the measurements"
            raise UnknownKeyError("IncentivePlan.apply", "agent", agent, rule)
        role = roles[agent]
        if role in eligible:
            payees.append(Payee(agent_id=agent, role=role, key=key))
            continue
        reason = (
            "bots are never paid"
            if role is Role.BOT
            else f"{role} is not among the plan's eligible roles"
        )
        excluded.append(Exclusion(agent_id=agent, role=role, reason=reason))
    return payees, excluded


@attrs.frozen(kw_only=True)
class PlanDifference:
    """One agent's total under two plans.

    Attributes:
        agent_id: The agent.
        total_a: Total under the first plan (0 if not paid by it).
        total_b: Total under the second plan (0 if not paid by it).
        difference: ``total_b - total_a``.
    """

    agent_id: str
    total_a: Decimal
    total_b: Decimal
    difference: Decimal


@attrs.frozen(kw_only=True)
class PlanComparison:
    """What-if: the statements of two plans on the same assessment.

    Attributes:
        a: The first plan's statement.
        b: The second plan's statement.
        rows: One per agent on either statement, by agent id.
    """

    a: PayoutStatement
    b: PayoutStatement
    rows: tuple[PlanDifference, ...]

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per agent: both totals and the difference (Decimals)."""
        return [attrs.asdict(row) for row in self.rows]

    def to_pandas(self, *, period_labels: bool = False) -> Any:
        """:meth:`to_records` as a pandas DataFrame; amounts stay ``Decimal``.

        ``period_labels`` is accepted for one signature across results; the
        comparison has no period column.
        """
        return _results.frame(
            self.to_records(),
            ["agent_id", "total_a", "total_b", "difference"],
            period_labels=period_labels,
        )

    def _repr_html_(self) -> str:
        """Both plans' totals per agent and the difference, right-aligned."""
        money = self.a.currency.format
        rows: list[list[_display.Cell]] = [
            [
                row.agent_id,
                money(row.total_a),
                money(row.total_b),
                (
                    f"{row.difference:+,}",
                    _display.BEST
                    if row.difference > 0
                    else _display.WORST
                    if row.difference < 0
                    else "",
                ),
            ]
            for row in self.rows[: _display.MAX_ROWS]
        ]
        return _display.table(
            ["agent", self.a.plan, self.b.plan, "difference"],
            rows,
            caption=(
                f"{self.a.plan} vs {self.b.plan} — {_display.label(self.a.period)}"
            ),
            right=range(1, 4),
            total=len(self.rows),
        )


@in_money_context
def compare_plans(
    plan_a: IncentivePlan,
    plan_b: IncentivePlan,
    assessment: Assessment,
    period: Period,
) -> PlanComparison:
    """Apply both plans to ``assessment`` for ``period`` and compare totals.

    Raises:
        PolicyError: if the plans pay in different currencies, or as
            :meth:`IncentivePlan.apply`.
    """
    v.instance_of("compare_plans", "plan_a", plan_a, IncentivePlan)
    v.instance_of("compare_plans", "plan_b", plan_b, IncentivePlan)
    if plan_a.currency != plan_b.currency:
        rule = f"must be the currency of plan_a ({plan_a.currency.code})"
        raise PolicyError("compare_plans", "plan_b", plan_b.currency.code, rule)
    a, b = plan_a.apply(assessment, period), plan_b.apply(assessment, period)
    agents = sorted({*a.agents, *b.agents})
    return PlanComparison(
        a=a,
        b=b,
        rows=tuple(
            PlanDifference(
                agent_id=agent,
                total_a=a.total(agent),
                total_b=b.total(agent),
                difference=b.total(agent) - a.total(agent),
            )
            for agent in agents
        ),
    )
