"""The bonus-rule protocol: what a rule reads, and what it must return."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from servicequality import _validators as v
from servicequality._model import Role
from servicequality.policy._assess import Judgement

if TYPE_CHECKING:
    from collections.abc import Sequence

    from servicequality.incentives._eligibility import Eligibility
    from servicequality.incentives._money import Currency
    from servicequality.policy._assess import Assessment
    from servicequality.policy._tiers import TierPolicy

__all__ = ["Exclusion", "Payee", "PayoutLine", "Rule", "RuleOutcome", "Unallocated"]


@attrs.frozen(kw_only=True)
class Payee:
    """One agent a rule may pay, and the assessment group holding their numbers.

    Attributes:
        agent_id: The agent.
        role: Their role.
        key: Their group in the assessment, e.g. ``{"agent": "a01",
            "period": ...}``; pass it to :meth:`Assessment.get
            <servicequality.policy.Assessment.get>` as ``**payee.key``.
    """

    agent_id: str = attrs.field(validator=v.identifier)
    role: Role = attrs.field(validator=v.member_of(Role))
    key: Mapping[str, Any] = attrs.field(validator=v.of_type(Mapping))


def _judgements(value: Sequence[Judgement]) -> tuple[Judgement, ...]:
    quoted = v.sequence("PayoutLine", "judgements", value, "a sequence of Judgement")
    for judgement in quoted:
        v.instance_of("PayoutLine", "judgements", judgement, Judgement)
    return quoted


def _probability(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, float):
        v.wrong_type("PayoutLine", attribute.name, value, "a float or None")
    if not 0.0 <= value <= 1.0:
        v.fail(instance, attribute.name, value, "must be a probability in 0..1")


@attrs.frozen(kw_only=True)
class PayoutLine:
    """What one rule pays one agent, and why.

    Attributes:
        agent_id: The agent paid.
        rule: The rule's name.
        amount: Exact amount in the statement's currency (quantized to it).
        explanation: The values and bars used, in one sentence.
        key: The assessment group the line was paid from.
        metrics: The metrics the rule read for it (see
            :meth:`PayoutStatement.rows`).
        judgements: The judgements of the assessment the line was paid on,
            exactly as the assessment shows them (not compared, like ``key``:
            both come from the assessment).
        confidence: For a line decided by the tier of a rate (a threshold or
            tiered bonus on ``satisfaction_rate``, say): the probability that
            the agent's true rate lies in the tier paid, given the counts
            (Beta posterior, Jeffreys prior). Near 0.5, noise decided the
            bonus. ``None`` for other lines.
    """

    agent_id: str = attrs.field(validator=v.identifier)
    rule: str = attrs.field(validator=v.identifier)
    amount: Decimal = attrs.field(validator=v.of_type(Decimal))
    explanation: str = attrs.field(validator=v.identifier)
    key: Mapping[str, Any] = attrs.field(factory=dict, eq=False)
    metrics: tuple[str, ...] = ()
    judgements: tuple[Judgement, ...] = attrs.field(
        default=(), converter=_judgements, eq=False
    )
    confidence: float | None = attrs.field(default=None, validator=_probability)


@attrs.frozen(kw_only=True)
class Unallocated:
    """Money a rule set aside but paid to nobody, and why.

    Attributes:
        rule: The rule's name.
        amount: Exact amount.
        reason: Why nobody was paid it (all weights 0, a cap…).
    """

    rule: str
    amount: Decimal
    reason: str


@attrs.frozen(kw_only=True)
class Exclusion:
    """An agent in the assessment whom the plan, or one of its rules, does not pay.

    Attributes:
        agent_id: The agent.
        role: Their role.
        reason: Why (bots are never paid; supervisors only when eligible; a
            rule's eligibility gate, with the judgement it read).
        rule: The rule that excluded them, or ``None`` when the plan did
            (by role).
    """

    agent_id: str = attrs.field(validator=v.identifier)
    role: Role = attrs.field(validator=v.member_of(Role))
    reason: str = attrs.field(validator=v.identifier)
    rule: str | None = attrs.field(default=None, validator=v.optional_identifier)


@attrs.frozen(kw_only=True)
class RuleOutcome:
    """What a rule returns for the payees it was given.

    Every payee gets exactly one line from the rule (possibly of 0), or one
    exclusion saying why not; the plan refuses an outcome that drops a payee.

    Attributes:
        lines: One explained line per paid payee, in payee order.
        unallocated: Money the rule set aside but paid to nobody.
        excluded: Payees the rule itself declined, with the reason.
    """

    lines: tuple[PayoutLine, ...]
    unallocated: tuple[Unallocated, ...] = ()
    excluded: tuple[Exclusion, ...] = ()


@runtime_checkable
class Rule(Protocol):
    """A bonus rule: judgements and measurements in, explained lines out.

    The four built-in rules follow it; so can your own (see the how-to
    "Write your own bonus rule"). A rule reads only the public
    :class:`~servicequality.policy.Assessment`: the judgements of its
    groups, the measurements behind them and the payees the plan hands it.
    It never classifies: tiers come from
    :func:`~servicequality.policy.classify`, and the tier policies a rule
    needs are declared in :attr:`tier_policies` so the plan can list them
    (:attr:`IncentivePlan.tier_policies`).

    The plan applies :attr:`eligible` before calling :meth:`pay`: a rule only
    sees eligible payees; the others are listed in the statement's
    ``excluded`` with the reason.
    """

    @property
    def name(self) -> str:
        """The rule's name, shown on every line; unique within a plan."""
        ...

    @property
    def eligible(self) -> Eligibility | None:
        """Who the rule may pay (``None``: every payee the plan hands it)."""
        ...

    @property
    def tier_policies(self) -> tuple[TierPolicy, ...]:
        """Tier policies the assessment must have been classified with."""
        ...

    def check(self, currency: Currency, *, allow_negative: bool) -> None:
        """Refuse, when the plan is built, amounts the plan cannot pay.

        Raises:
            PolicyError: for an amount that is not whole minor units of
                ``currency``, or a negative one without ``allow_negative``.
        """
        ...

    def pay(
        self, assessment: Assessment, payees: Sequence[Payee], currency: Currency
    ) -> RuleOutcome:
        """One line (or one exclusion) per payee, amounts in ``currency``."""
        ...
