"""Bonus rules: each turns an assessment into an explained amount per agent."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs

from servicequality import _validators as v
from servicequality._errors import PolicyError, UnknownKeyError
from servicequality._model import Role
from servicequality.incentives._confidence import line_confidence
from servicequality.incentives._eligibility import Eligibility
from servicequality.incentives._money import allocate, as_money
from servicequality.incentives._protocol import (
    Payee,
    PayoutLine,
    RuleOutcome,
    Unallocated,
)
from servicequality.policy._tiers import INSUFFICIENT_DATA, TierPolicy

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from servicequality.incentives._money import Currency
    from servicequality.policy._assess import Assessment, Judgement

__all__ = [
    "COMPOSITE_SCORE",
    "PerPoint",
    "PoolShare",
    "ThresholdBonus",
    "TieredBonus",
]

COMPOSITE_SCORE = "composite_score"
"""The weight name that stands for the scorecard's composite score (0–100)."""


def human_roles(owner: str, value: Iterable[Role]) -> tuple[Role, ...]:
    """Roles that may be paid or recognised: Role members, at least one, no bot."""
    roles = v.sequence(owner, "eligible_roles", value, "a sequence of Role")
    for role in roles:
        v.instance_of(owner, "eligible_roles", role, Role)
    if not roles:
        raise PolicyError(owner, "eligible_roles", roles, "must name a role")
    if Role.BOT in roles:
        rule = "must not hold Role.BOT: bots are never paid nor recognised"
        raise PolicyError(owner, "eligible_roles", roles, rule)
    return roles


def _amount(value: object) -> Decimal:
    return as_money("ThresholdBonus", "amount", value)


def _rate(value: object) -> Decimal:
    return as_money("PerPoint", "rate", value)


def _pool(value: object) -> Decimal:
    return as_money("PoolShare", "pool", value)


def _optional_cap(value: object) -> Decimal | None:
    if value is None:
        return None
    cap = as_money("rule", "cap", value)
    if cap < 0:
        raise PolicyError("rule", "cap", value, "must not be negative")
    return cap


def _capped(
    amount: Decimal, cap: Decimal | None, currency: Currency, explanation: str
) -> tuple[Decimal, str]:
    if cap is not None and amount > cap:
        capped = currency.round(cap)
        return capped, f"{explanation}, capped at {currency.format(capped)}"
    return amount, explanation


def _check_amount(
    rule: str,
    key: str,
    amount: Decimal | None,
    currency: Currency,
    *,
    allow_negative: bool,
    whole_units: bool = True,
) -> None:
    if amount is None:
        return
    if whole_units:
        currency.exact(f"rule {rule!r}", key, amount)
    if amount < 0 and not allow_negative:
        why = (
            "must not be negative: an assessment is not a punishment tool "
            "(set allow_negative=True on the plan on purpose)"
        )
        raise PolicyError(f"rule {rule!r}", key, amount, why)


def _plain(kind: str, rule: Any, **fields: Any) -> dict[str, Any]:
    """A rule as plain data: its kind, name, fields; money as decimal strings."""
    data: dict[str, Any] = {"kind": kind, "name": rule.name}
    for key, value in fields.items():
        if value is not None:
            data[key] = str(value) if isinstance(value, Decimal) else value
    if rule.cap is not None:
        data["cap"] = str(rule.cap)
    if rule.eligible is not None:
        data["eligible"] = rule.eligible.to_dict()
    return data


def _read(
    owner: str,
    kind: str,
    data: object,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The keyword arguments of a rule from plain data of its ``kind``."""
    plain = dict(
        v.mapping(
            owner,
            data,
            ("kind", "name", *required),
            ("cap", "eligible", *optional),
            error=PolicyError,
        )
    )
    given = plain.pop("kind")
    if not isinstance(given, str) or given != kind:
        raise PolicyError(owner, "kind", given, f"must be {kind!r}")
    if plain.get("eligible") is not None:
        plain["eligible"] = Eligibility.from_dict(plain["eligible"])
    return plain


def _judgement(
    owner: str, policy: TierPolicy, assessment: Assessment, payee: Payee
) -> Judgement:
    """The assessment's judgement of ``policy.metric``, refused unless by ``policy``."""
    if policy.metric not in assessment.metric_names:
        why = (
            "has no judgement in the assessment; classify with the plan's tier_policies"
        )
        raise UnknownKeyError(owner, "tier_policies", policy.metric, why)
    if assessment.policy(policy.metric, **payee.key) != policy:
        why = (
            "was judged by another tier policy in the assessment; classify with "
            "the plan's tier_policies"
        )
        raise PolicyError(owner, "tier_policies", policy.metric, why)
    return assessment.get(policy.metric, **payee.key)


def _eligibility(value: object) -> Eligibility | None:
    if value is not None and not isinstance(value, Eligibility):
        v.wrong_type("rule", "eligible", value, "an Eligibility or None")
    return value


def _bar(value: TierPolicy) -> TierPolicy:
    v.instance_of("ThresholdBonus", "bar", value, TierPolicy)
    if len(value.tiers) != 2:  # reached and not reached
        names = [t.name for t in value.tiers]
        why = "must have exactly two tiers: the bar reached, and below it"
        raise PolicyError("ThresholdBonus", "bar", names, why)
    return value


def _agent_bars(value: Mapping[str, object]) -> dict[str, float]:
    if not isinstance(value, Mapping):
        v.wrong_type("ThresholdBonus", "agent_bars", value, "a mapping of agent to bar")
    return {
        v.text("ThresholdBonus", "agent_bars", agent, error=PolicyError): float(
            v.number(
                "ThresholdBonus", f"agent_bars[{agent!r}]", bound, error=PolicyError
            )
        )
        for agent, bound in value.items()
    }


@attrs.frozen(kw_only=True)
class ThresholdBonus:
    """Reach the bar, get the whole amount (达标就拿); never rank-based.

    The bar is a two-tier policy, e.g.
    :data:`~servicequality.policy.presets.SATISFACTION_BONUS_BAR` (mean
    rating ≥ 4.5): classify the measurements with it (it is among the plan's
    :attr:`~IncentivePlan.tier_policies`) and the rule pays ``amount`` to
    every agent whose judgement is the bar's first tier, quoting that
    judgement. Below the bar, or with fewer observations than the bar's
    ``min_sample``, the bonus is 0 and the line says why.

    Attributes:
        name: Rule name, shown on every payout line.
        bar: A two-tier policy: the first tier pays, the second does not.
        amount: Paid when the bar is reached (Decimal, int or decimal string).
        cap: Optional ceiling on the amount.
        eligible: Optional gate: who may be paid at all.
        agent_bars: Agent id → that agent's own bound for the bar's first
            tier (a trainee's target, say); the rest of the bar (sample
            floor, basis) stays. The line quotes the agent's own bar.

    Raises:
        PolicyError: for a blank name, a bar without exactly two tiers, a
            negative cap, or an own bar that is not a finite number.
        WrongTypeError: for a bar that is not a TierPolicy, or a float amount.
    """

    name: str
    bar: TierPolicy = attrs.field(converter=_bar)
    amount: Decimal = attrs.field(converter=_amount)
    cap: Decimal | None = attrs.field(default=None, converter=_optional_cap)
    eligible: Eligibility | None = attrs.field(default=None, converter=_eligibility)
    agent_bars: Mapping[str, float] = attrs.field(factory=dict, converter=_agent_bars)

    def __attrs_post_init__(self) -> None:
        v.text("ThresholdBonus", "name", self.name, error=PolicyError)

    @property
    def tier_policies(self) -> tuple[TierPolicy, ...]:
        """The bar: the assessment must be classified with it."""
        return (self.bar,)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``kind`` ``"threshold_bonus"``), money as decimal strings."""
        return _plain(
            "threshold_bonus",
            self,
            bar=self.bar.to_dict(),
            amount=self.amount,
            agent_bars=dict(self.agent_bars) or None,
        )

    @classmethod
    def from_dict(cls, data: object) -> ThresholdBonus:
        """Read :meth:`to_dict` output.

        Raises:
            PolicyError: for unknown or missing keys and bad values.
        """
        plain = _read(
            "ThresholdBonus",
            "threshold_bonus",
            data,
            ("bar", "amount"),
            ("agent_bars",),
        )
        return cls(**{**plain, "bar": TierPolicy.from_dict(plain["bar"])})

    def check(self, currency: Currency, *, allow_negative: bool) -> None:
        """Refuse amounts the plan's currency or sign rule cannot pay."""
        _check_amount(
            self.name, "amount", self.amount, currency, allow_negative=allow_negative
        )
        _check_amount(self.name, "cap", self.cap, currency, allow_negative=False)

    def pay(
        self, assessment: Assessment, payees: Sequence[Payee], currency: Currency
    ) -> RuleOutcome:
        """The amount for every payee whose judgement reached the bar, else 0."""
        owner = f"ThresholdBonus {self.name!r}"
        reached = self.bar.tiers[0].name
        lines = []
        for payee in payees:
            policy, judgement = self._own(
                assessment, payee, _judgement(owner, self.bar, assessment, payee)
            )
            amount = self.amount if judgement.tier == reached else Decimal(0)
            lines.append(
                _judged_line(
                    self.name,
                    payee,
                    judgement,
                    amount,
                    self.cap,
                    currency,
                    line_confidence(assessment, payee, policy, judgement),
                )
            )
        return RuleOutcome(lines=tuple(lines))

    def _own(
        self, assessment: Assessment, payee: Payee, judgement: Judgement
    ) -> tuple[TierPolicy, Judgement]:
        """The bar and judgement of ``payee``: their own bar, if they have one."""
        own = self.agent_bars.get(payee.agent_id)
        if own is None:
            return self.bar, judgement
        first, rest = self.bar.tiers
        bound = (
            attrs.evolve(first, at_least=own)
            if self.bar.higher_is_better
            else attrs.evolve(first, at_most=own)
        )
        policy = attrs.evolve(self.bar, tiers=(bound, rest))
        metric = assessment.measurements.metric(judgement.metric)
        policy.check_metric(unit=metric.unit, higher_is_better=metric.higher_is_better)
        tier, reason = policy.classify(
            judgement.value,
            n=judgement.n,
            low=judgement.low,
            high=judgement.high,
            unit=metric.unit,
            confidence=metric.confidence,
        )
        return policy, attrs.evolve(
            judgement, tier=tier, reason=f"{payee.agent_id}'s own bar: {reason}"
        )


def _judged_line(  # noqa: PLR0917  # the parts of one paid judgement
    rule: str,
    payee: Payee,
    judgement: Judgement,
    amount: Decimal,
    cap: Decimal | None,
    currency: Currency,
    confidence: float | None = None,
) -> PayoutLine:
    """The line paying ``amount`` (capped) for one judgement, quoting it."""
    rounded = currency.round(amount)
    paid, explanation = _capped(
        rounded, cap, currency, f"{judgement.reason} ⇒ {currency.format(rounded)}"
    )
    if confidence is not None:
        explanation += f" (P = {confidence:.2f} that the true rate is {judgement.tier})"
    return attrs.evolve(
        _line(
            rule,
            payee,
            paid,
            explanation,
            metrics=(judgement.metric,),
            judgements=(judgement,),
        ),
        confidence=confidence,
    )


def _line(
    rule: str,
    payee: Payee,
    amount: Decimal,
    explanation: str,
    *,
    metrics: tuple[str, ...],
    judgements: tuple[Judgement, ...] = (),
) -> PayoutLine:
    return PayoutLine(
        agent_id=payee.agent_id,
        rule=rule,
        amount=amount,
        explanation=explanation,
        key=dict(payee.key),
        metrics=metrics,
        judgements=judgements,
    )


def _tier_amounts(value: Mapping[str, object]) -> dict[str, Decimal]:
    if not isinstance(value, Mapping):
        v.wrong_type("TieredBonus", "amounts", value, "a mapping of tier to amount")
    return {
        v.text("TieredBonus", "amounts", tier, error=PolicyError): as_money(
            "TieredBonus", f"amounts[{tier!r}]", amount
        )
        for tier, amount in value.items()
    }


def _check_tiers(rule: str, policy: TierPolicy, amounts: Mapping[str, Decimal]) -> None:
    owner = f"TieredBonus {rule!r}"
    names = [t.name for t in policy.tiers]
    if INSUFFICIENT_DATA in amounts:
        why = "always pays 0; leave it out of amounts"
        raise PolicyError(owner, "amounts", INSUFFICIENT_DATA, why)
    for tier in amounts:
        if tier not in names:
            why = (
                f"is not a tier of {policy.metric}'s policy; tiers: {', '.join(names)}"
            )
            raise UnknownKeyError(owner, "amounts", tier, why)
    for tier in names:
        if tier not in amounts:
            raise PolicyError(owner, "amounts", tier, "is a tier without an amount")
    for better, worse in itertools.pairwise(names):
        if amounts[better] < amounts[worse]:
            why = (
                f"the better tier pays less than {worse!r}; a better result must "
                "never earn less"
            )
            raise PolicyError(owner, "amounts", better, why)


@attrs.frozen(kw_only=True)
class TieredBonus:
    """An amount per tier: better tiers pay at least as much as worse ones.

    The tier is read from the assessment, never recomputed. ``tiers`` is
    either a metric name (paid by whatever policy the assessment judged it
    with, e.g. a schedule's version in force) or a
    :class:`~servicequality.policy.TierPolicy` the assessment must have been
    classified with (it is among the plan's
    :attr:`~IncentivePlan.tier_policies`).
    :data:`~servicequality.policy.INSUFFICIENT_DATA` always pays 0.

    Attributes:
        name: Rule name.
        tiers: A tier policy, or the name of a metric the assessment tiers.
        amounts: Amount of every tier, e.g. ``{"excellent": "800", "good": "300",
            "warning": "0"}``.
        cap: Optional ceiling on the amount.
        eligible: Optional gate: who may be paid at all.

    Raises:
        PolicyError: for a missing tier or a better tier paying less than a
            worse one.
        UnknownKeyError: for an amount of a tier the policy lacks.
        WrongTypeError: for a float amount or ``tiers`` of another type.
    """

    name: str
    tiers: TierPolicy | str
    amounts: Mapping[str, Decimal] = attrs.field(converter=_tier_amounts)
    cap: Decimal | None = attrs.field(default=None, converter=_optional_cap)
    eligible: Eligibility | None = attrs.field(default=None, converter=_eligibility)

    def __attrs_post_init__(self) -> None:
        v.text("TieredBonus", "name", self.name, error=PolicyError)
        if isinstance(self.tiers, TierPolicy):
            _check_tiers(self.name, self.tiers, self.amounts)
        elif not isinstance(self.tiers, str):
            v.wrong_type("TieredBonus", "tiers", self.tiers, "a TierPolicy or a name")
        else:
            v.text("TieredBonus", "tiers", self.tiers, error=PolicyError)

    @property
    def metric(self) -> str:
        """The tiered metric."""
        return self.tiers.metric if isinstance(self.tiers, TierPolicy) else self.tiers

    @property
    def tier_policies(self) -> tuple[TierPolicy, ...]:
        """The tier policy, when given as one (else nothing: any policy will do)."""
        return (self.tiers,) if isinstance(self.tiers, TierPolicy) else ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``kind`` ``"tiered_bonus"``), money as decimal strings."""
        return _plain(
            "tiered_bonus",
            self,
            tiers=self.tiers.to_dict()
            if isinstance(self.tiers, TierPolicy)
            else self.tiers,
            amounts={tier: str(amount) for tier, amount in self.amounts.items()},
        )

    @classmethod
    def from_dict(cls, data: object) -> TieredBonus:
        """Read :meth:`to_dict` output (``tiers`` a policy or a metric name).

        Raises:
            PolicyError: for unknown or missing keys and bad values.
        """
        plain = _read("TieredBonus", "tiered_bonus", data, ("tiers", "amounts"))
        tiers = plain["tiers"]
        if not isinstance(tiers, str):
            tiers = TierPolicy.from_dict(tiers)
        return cls(**{**plain, "tiers": tiers})

    def check(self, currency: Currency, *, allow_negative: bool) -> None:
        """Refuse amounts the plan's currency or sign rule cannot pay."""
        for tier, amount in self.amounts.items():
            _check_amount(
                self.name,
                f"amounts[{tier!r}]",
                amount,
                currency,
                allow_negative=allow_negative,
            )
        _check_amount(self.name, "cap", self.cap, currency, allow_negative=False)

    def _judgement(self, assessment: Assessment, payee: Payee) -> Judgement:
        owner = f"TieredBonus {self.name!r}"
        if isinstance(self.tiers, TierPolicy):
            return _judgement(owner, self.tiers, assessment, payee)
        if self.tiers not in assessment.metric_names:
            why = "has no tier policy in the assessment"
            raise UnknownKeyError(owner, "tiers", self.tiers, why)
        _check_tiers(
            self.name, assessment.policy(self.tiers, **payee.key), self.amounts
        )
        return assessment.get(self.tiers, **payee.key)

    def pay(
        self, assessment: Assessment, payees: Sequence[Payee], currency: Currency
    ) -> RuleOutcome:
        """The amount of each payee's tier, quoting the judgement."""
        lines = []
        for payee in payees:
            judgement = self._judgement(assessment, payee)
            amount = self.amounts.get(judgement.tier, Decimal(0))
            policy = (
                self.tiers
                if isinstance(self.tiers, TierPolicy)
                else assessment.policy(self.tiers, **payee.key)
            )
            lines.append(
                _judged_line(
                    self.name,
                    payee,
                    judgement,
                    amount,
                    self.cap,
                    currency,
                    line_confidence(assessment, payee, policy, judgement),
                )
            )
        return RuleOutcome(lines=tuple(lines))


def _points(value: float) -> Decimal:
    return Decimal(f"{value:.6f}").normalize()


@attrs.frozen(kw_only=True)
class PerPoint:
    """Pay per difficulty-weighted point, so hard work earns more (S4 §3.1).

    The amount is ``rate × points``, rounded half up to the minor unit. Points
    are read from ``metric`` (by default ``weighted_workload``: basic 1,
    complex 1.5, complaint 2, crisis 3) to six decimal places.

    Attributes:
        name: Rule name.
        rate: Money per point; may have more decimals than the currency.
        metric: A measured metric in points or counts.
        cap: Optional ceiling on the amount.

    Raises:
        PolicyError: for a blank name or a float rate.
    """

    name: str
    rate: Decimal = attrs.field(converter=_rate)
    metric: str = "weighted_workload"
    cap: Decimal | None = attrs.field(default=None, converter=_optional_cap)
    eligible: Eligibility | None = attrs.field(default=None, converter=_eligibility)
    tier_policies: tuple[TierPolicy, ...] = attrs.field(default=(), init=False)

    def __attrs_post_init__(self) -> None:
        v.text("PerPoint", "name", self.name, error=PolicyError)
        v.text("PerPoint", "metric", self.metric, error=PolicyError)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``kind`` ``"per_point"``), the rate as a decimal string."""
        return _plain("per_point", self, rate=self.rate, metric=self.metric)

    @classmethod
    def from_dict(cls, data: object) -> PerPoint:
        """Read :meth:`to_dict` output (``metric`` optional).

        Raises:
            PolicyError: for unknown or missing keys and bad values.
        """
        return cls(**_read("PerPoint", "per_point", data, ("rate",), ("metric",)))

    def check(self, currency: Currency, *, allow_negative: bool) -> None:
        """Refuse amounts the plan's currency or sign rule cannot pay."""
        _check_amount(
            self.name,
            "rate",
            self.rate,
            currency,
            allow_negative=allow_negative,
            whole_units=False,
        )
        _check_amount(self.name, "cap", self.cap, currency, allow_negative=False)

    def pay(
        self, assessment: Assessment, payees: Sequence[Payee], currency: Currency
    ) -> RuleOutcome:
        """Amount and explanation for each payee."""
        unit = assessment.measurements.metric(self.metric).unit
        if unit not in ("points", "count"):
            why = f"is in {unit}, not in points or counts"
            raise PolicyError(f"PerPoint {self.name!r}", "metric", self.metric, why)
        lines = []
        for payee in payees:
            points = _points(
                assessment.measurements.get(self.metric, **payee.key).value
            )
            amount = currency.round(self.rate * points)
            explanation = (
                f"{self.metric} {points:f} {unit} × {currency.code} {self.rate} "
                f"= {currency.format(amount)}"
            )
            lines.append(
                _line(
                    self.name,
                    payee,
                    *_capped(amount, self.cap, currency, explanation),
                    metrics=(self.metric,),
                )
            )
        return RuleOutcome(lines=tuple(lines))


def _weight_names(value: str | Sequence[str]) -> tuple[str, ...]:
    names = (
        (value,)
        if isinstance(value, str)
        else v.sequence("PoolShare", "weight", value, "a name or a sequence of names")
    )
    if not names:
        rule = "must name at least one metric or 'composite_score'"
        raise PolicyError("PoolShare", "weight", names, rule)
    for name in names:
        v.text("PoolShare", "weight", name, error=PolicyError)
    return names


@attrs.frozen(kw_only=True)
class PoolShare:
    """A money pool split in proportion to a weight, exactly (largest remainder).

    The weight of an agent is the product of the named factors: the
    scorecard's ``"composite_score"`` and/or any measured higher-is-better
    metric (``"weighted_workload"``…). An undefined factor or one resting on
    too few observations makes the weight 0, with the reason. The shares add
    up to the pool exactly; when every weight is 0 the whole pool is shown as
    unallocated, and money above a ``cap`` stays unallocated too — it is
    never silently dropped nor handed to others.

    Attributes:
        name: Rule name.
        pool: The money to split (non-negative, whole minor units).
        weight: One factor name or several, multiplied.
        cap: Optional ceiling on one agent's share.

    Raises:
        PolicyError: for a blank name, a float or negative pool, or no factor.
    """

    name: str
    pool: Decimal = attrs.field(converter=_pool)
    weight: tuple[str, ...] = attrs.field(
        default=(COMPOSITE_SCORE,), converter=_weight_names
    )
    cap: Decimal | None = attrs.field(default=None, converter=_optional_cap)
    eligible: Eligibility | None = attrs.field(default=None, converter=_eligibility)
    tier_policies: tuple[TierPolicy, ...] = attrs.field(default=(), init=False)

    def __attrs_post_init__(self) -> None:
        v.text("PoolShare", "name", self.name, error=PolicyError)
        if self.pool < 0:
            raise PolicyError("PoolShare", "pool", self.pool, "must not be negative")

    def _metrics_read(
        self, assessment: Assessment, key: Mapping[str, Any]
    ) -> tuple[str, ...]:
        """The weight's metrics; ``composite_score`` stands for its components."""
        names: list[str] = []
        for name in self.weight:
            if name != COMPOSITE_SCORE:
                names.append(name)
                continue
            try:
                line = assessment.score(**key)
            except UnknownKeyError:
                continue
            names.extend(c.metric for c in line.contributions)
        return tuple(dict.fromkeys(names))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``kind`` ``"pool_share"``), the pool as a decimal string."""
        return _plain("pool_share", self, pool=self.pool, weight=list(self.weight))

    @classmethod
    def from_dict(cls, data: object) -> PoolShare:
        """Read :meth:`to_dict` output (``weight`` optional).

        Raises:
            PolicyError: for unknown or missing keys and bad values.
        """
        return cls(**_read("PoolShare", "pool_share", data, ("pool",), ("weight",)))

    def check(self, currency: Currency, *, allow_negative: bool) -> None:  # noqa: ARG002
        """Refuse a pool or cap that is not a whole number of minor units."""
        _check_amount(self.name, "pool", self.pool, currency, allow_negative=False)
        _check_amount(self.name, "cap", self.cap, currency, allow_negative=False)

    def _factor(
        self, name: str, assessment: Assessment, payee: Payee
    ) -> tuple[Fraction, str]:
        if name == COMPOSITE_SCORE:
            try:
                line = assessment.score(**payee.key)
            except UnknownKeyError:
                why = (
                    "weighs by composite_score, but no scorecard applied to "
                    f"{dict(payee.key)!r}"
                )
                raise PolicyError(
                    f"PoolShare {self.name!r}", "weight", name, why
                ) from None
            if math.isnan(line.composite):
                return Fraction(0), f"composite_score undefined ({line.reason})"
            if line.insufficient:
                return Fraction(0), "composite_score rests on too few observations"
            return Fraction(line.composite), f"composite_score {line.composite:.1f}"
        measured = assessment.measurements.get(name, **payee.key)
        if not measured.higher_is_better:
            why = "is lower-is-better, so it cannot be a weight"
            raise PolicyError(f"PoolShare {self.name!r}", "weight", name, why)
        if math.isnan(measured.value):
            return Fraction(0), f"{name} undefined (n = {measured.n})"
        if measured.insufficient:
            return Fraction(
                0
            ), f"{name} rests on too few observations (n = {measured.n})"
        if measured.value < 0:
            why = f"{name} is negative for {dict(payee.key)!r}; a weight must not be"
            raise PolicyError(f"PoolShare {self.name!r}", "weight", measured.value, why)
        return Fraction(measured.value), f"{name} {measured.value:g}"

    def pay(
        self, assessment: Assessment, payees: Sequence[Payee], currency: Currency
    ) -> RuleOutcome:
        """Each payee's share and explanation, and what stays unallocated."""
        weights, reasons = [], []
        for payee in payees:
            weight, why = Fraction(1), []
            for name in self.weight:
                factor, reason = self._factor(name, assessment, payee)
                weight *= factor
                why.append(reason)
            weights.append(weight)
            reasons.append(" × ".join(why))
        pool = currency.round(self.pool)
        total = sum(weights, Fraction(0))
        if total == 0:
            nothing = Decimal(0) * currency.quantum
            return RuleOutcome(
                lines=tuple(
                    _line(
                        self.name,
                        payee,
                        nothing,
                        f"weight 0 ({r}) ⇒ {currency.format(nothing)}",
                        metrics=self._metrics_read(assessment, payee.key),
                    )
                    for payee, r in zip(payees, reasons, strict=True)
                ),
                unallocated=(
                    Unallocated(
                        rule=self.name,
                        amount=pool,
                        reason="every weight is 0, so nobody earned a share",
                    ),
                )
                if pool
                else (),
            )
        shares = allocate(pool, weights, currency=currency)
        lines, kept = [], []
        for payee, weight, reason, share in zip(
            payees, weights, reasons, shares, strict=True
        ):
            explanation = (
                f"weight {float(weight):g} ({reason}) of {float(total):g} → "
                f"{float(weight / total):.2%} of {currency.format(pool)} = "
                f"{currency.format(share)}"
            )
            amount, explanation = _capped(share, self.cap, currency, explanation)
            if amount < share:
                kept.append(
                    Unallocated(
                        rule=self.name,
                        amount=share - amount,
                        reason=f"{payee.agent_id}'s share above the cap",
                    )
                )
            lines.append(
                _line(
                    self.name,
                    payee,
                    amount,
                    explanation,
                    metrics=self._metrics_read(assessment, payee.key),
                )
            )
        return RuleOutcome(lines=tuple(lines), unallocated=tuple(kept))
