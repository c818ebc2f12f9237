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
from servicequality.incentives._money import allocate, as_money
from servicequality.policy._tiers import INSUFFICIENT_DATA, Tier, TierPolicy

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from servicequality.incentives._money import Currency
    from servicequality.policy._assess import Assessment

__all__ = [
    "COMPOSITE_SCORE",
    "Payee",
    "PerPoint",
    "PoolShare",
    "RuleOutcome",
    "ThresholdBonus",
    "TieredBonus",
]

COMPOSITE_SCORE = "composite_score"
"""The weight name that stands for the scorecard's composite score (0–100)."""

_REACHED, _NOT_REACHED = "reached", "not_reached"


@attrs.frozen
class Payee:
    """One agent to pay, and the assessment group that holds their numbers."""

    agent_id: str
    key: Mapping[str, Any]


@attrs.frozen
class RuleOutcome:
    """What a rule pays: one (amount, explanation) per payee, and what it keeps."""

    paid: tuple[tuple[Decimal, str], ...]
    unallocated: tuple[tuple[Decimal, str], ...] = ()


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


def _check_direction(
    rule: str, policy: TierPolicy, assessment: Assessment, subject: str
) -> None:
    metric = assessment.measurements.metric(policy.metric)
    if metric.higher_is_better != policy.higher_is_better:
        bound = "at_least" if policy.higher_is_better else "at_most"
        way = "higher" if metric.higher_is_better else "lower"
        why = f"uses {bound} on {policy.metric}, where {way} is better"
        raise PolicyError(f"{subject} {rule!r}", bound, policy.tiers[0].bound, why)


def _classify(
    policy: TierPolicy, assessment: Assessment, payee: Payee
) -> tuple[str, str]:
    measured = assessment.measurements.get(policy.metric, **payee.key)
    return policy.classify(
        measured.value,
        n=measured.n,
        low=measured.low,
        high=measured.high,
        unit=measured.unit,
    )


@attrs.frozen(kw_only=True)
class ThresholdBonus:
    """Reach the bar, get the whole amount (达标就拿); never rank-based.

    Below the bar, or with fewer than ``min_sample`` observations, the bonus
    is 0 and the explanation says why. Give exactly one of ``at_least``
    (higher is better) or ``at_most`` (lower is better); the bar itself
    passes.

    Attributes:
        name: Rule name, shown on every payout line.
        metric: Name of a measured metric.
        amount: Paid when the bar is reached (Decimal, int or decimal string).
        at_least: The bar for a higher-is-better metric.
        at_most: The bar for a lower-is-better metric.
        min_sample: Fewest observations for the bar to be judged (default 30).
        cap: Optional ceiling on the amount.

    Raises:
        PolicyError: for a blank name or metric, both or neither bound, a
            float amount, or a bound outside the metric's range.
    """

    name: str
    metric: str
    amount: Decimal = attrs.field(converter=_amount)
    at_least: float | None = None
    at_most: float | None = None
    min_sample: int = 30
    cap: Decimal | None = attrs.field(default=None, converter=_optional_cap)

    def __attrs_post_init__(self) -> None:
        v.text("ThresholdBonus", "name", self.name, error=PolicyError)
        if (self.at_least is None) == (self.at_most is None):
            rule = "give exactly one of at_least, at_most"
            raise PolicyError("ThresholdBonus", "at_least", self.at_least, rule)
        self.bar  # noqa: B018  # validates the bound and min_sample

    @property
    def bar(self) -> TierPolicy:
        """The bar as a two-tier policy: ``reached`` and ``not_reached``."""
        return TierPolicy(
            self.metric,
            (
                Tier(_REACHED, at_least=self.at_least, at_most=self.at_most),
                Tier(_NOT_REACHED),
            ),
            min_sample=self.min_sample,
        )

    def metrics_read(
        self,
        assessment: Assessment,  # noqa: ARG002
        key: Mapping[str, Any],  # noqa: ARG002
    ) -> tuple[str, ...]:
        """The metric the bar judges."""
        return (self.metric,)

    def check(self, currency: Currency, *, allow_negative: bool) -> None:
        """Refuse amounts the plan's currency or sign rule cannot pay."""
        _check_amount(
            self.name, "amount", self.amount, currency, allow_negative=allow_negative
        )
        _check_amount(self.name, "cap", self.cap, currency, allow_negative=False)

    def pay(
        self, assessment: Assessment, payees: Sequence[Payee], currency: Currency
    ) -> RuleOutcome:
        """Amount and explanation for each payee."""
        bar = self.bar
        _check_direction(self.name, bar, assessment, "ThresholdBonus")
        paid = []
        for payee in payees:
            tier, reason = _classify(bar, assessment, payee)
            amount = self.amount if tier == _REACHED else Decimal(0)
            paid.append(
                _capped(
                    currency.round(amount),
                    self.cap,
                    currency,
                    f"{reason} ⇒ {currency.format(currency.round(amount))}",
                )
            )
        return RuleOutcome(tuple(paid))


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

    ``tiers`` is either a :class:`~servicequality.policy.TierPolicy` that
    this rule applies itself, or a metric name whose tier is read from the
    assessment (judged by the policy in force for that group).
    :data:`~servicequality.policy.INSUFFICIENT_DATA` always pays 0.

    Attributes:
        name: Rule name.
        tiers: A tier policy, or the name of a metric the assessment tiers.
        amounts: Amount of every tier, e.g. ``{"excellent": "800", "good": "300",
            "warning": "0"}``.
        cap: Optional ceiling on the amount.

    Raises:
        PolicyError: for a float amount, a missing or unknown tier, or a
            better tier paying less than a worse one.
    """

    name: str
    tiers: TierPolicy | str
    amounts: Mapping[str, Decimal] = attrs.field(converter=_tier_amounts)
    cap: Decimal | None = attrs.field(default=None, converter=_optional_cap)

    def __attrs_post_init__(self) -> None:
        v.text("TieredBonus", "name", self.name, error=PolicyError)
        if isinstance(self.tiers, TierPolicy):
            _check_tiers(self.name, self.tiers, self.amounts)
        elif not isinstance(self.tiers, str):
            v.wrong_type("TieredBonus", "tiers", self.tiers, "a TierPolicy or a name")
        else:
            v.text("TieredBonus", "tiers", self.tiers, error=PolicyError)

    def metrics_read(
        self,
        assessment: Assessment,  # noqa: ARG002
        key: Mapping[str, Any],  # noqa: ARG002
    ) -> tuple[str, ...]:
        """The tiered metric."""
        return (
            self.tiers.metric if isinstance(self.tiers, TierPolicy) else self.tiers,
        )

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

    def pay(
        self, assessment: Assessment, payees: Sequence[Payee], currency: Currency
    ) -> RuleOutcome:
        """Amount and explanation for each payee."""
        paid = []
        checked: set[int] = set()
        for payee in payees:
            if isinstance(self.tiers, TierPolicy):
                policy = self.tiers
                if not checked:
                    _check_direction(self.name, policy, assessment, "TieredBonus")
                    checked.add(id(policy))
                tier, reason = _classify(policy, assessment, payee)
            else:
                policy = assessment.policy(self.tiers, **payee.key)
                if id(policy) not in checked:
                    _check_tiers(self.name, policy, self.amounts)
                    checked.add(id(policy))
                judgement = assessment.get(self.tiers, **payee.key)
                tier, reason = judgement.tier, judgement.reason
            amount = currency.round(self.amounts.get(tier, Decimal(0)))
            paid.append(
                _capped(
                    amount, self.cap, currency, f"{reason} ⇒ {currency.format(amount)}"
                )
            )
        return RuleOutcome(tuple(paid))


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

    def __attrs_post_init__(self) -> None:
        v.text("PerPoint", "name", self.name, error=PolicyError)
        v.text("PerPoint", "metric", self.metric, error=PolicyError)

    def metrics_read(
        self,
        assessment: Assessment,  # noqa: ARG002
        key: Mapping[str, Any],  # noqa: ARG002
    ) -> tuple[str, ...]:
        """The metric the points come from."""
        return (self.metric,)

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
        paid = []
        for payee in payees:
            points = _points(
                assessment.measurements.get(self.metric, **payee.key).value
            )
            amount = currency.round(self.rate * points)
            explanation = (
                f"{self.metric} {points:f} {unit} × {currency.code} {self.rate} "
                f"= {currency.format(amount)}"
            )
            paid.append(_capped(amount, self.cap, currency, explanation))
        return RuleOutcome(tuple(paid))


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

    def __attrs_post_init__(self) -> None:
        v.text("PoolShare", "name", self.name, error=PolicyError)
        if self.pool < 0:
            raise PolicyError("PoolShare", "pool", self.pool, "must not be negative")

    def metrics_read(
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
            nothing = currency.format(Decimal(0) * currency.quantum)
            return RuleOutcome(
                tuple(
                    (Decimal(0) * currency.quantum, f"weight 0 ({r}) ⇒ {nothing}")
                    for r in reasons
                ),
                ((pool, "every weight is 0, so nobody earned a share"),)
                if pool
                else (),
            )
        shares = allocate(pool, weights, currency=currency)
        paid, kept = [], []
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
                kept.append((share - amount, f"{payee.agent_id}'s share above the cap"))
            paid.append((amount, explanation))
        return RuleOutcome(tuple(paid), tuple(kept))
