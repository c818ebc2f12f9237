"""Eligibility gates: who a rule may pay, read from the agent's judgements."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from servicequality import _validators as v
from servicequality._errors import PolicyError, UnknownKeyError
from servicequality.incentives._protocol import Exclusion

if TYPE_CHECKING:
    from collections.abc import Sequence

    from servicequality.incentives._protocol import Payee
    from servicequality.policy._assess import Assessment, Judgement

__all__ = ["Eligibility"]

Predicate = Callable[[Mapping[str, "Judgement"]], bool]


def _accepted(value: Mapping[str, str | Sequence[str]]) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        v.wrong_type("Eligibility", "tiers", value, "a mapping of metric to tiers")
    accepted = {}
    for metric, tiers in value.items():
        names = (
            (tiers,)
            if isinstance(tiers, str)
            else v.sequence("Eligibility", "tiers", tiers, "a tier name or names")
        )
        if not names:
            rule = "must accept at least one tier"
            raise PolicyError("Eligibility", "tiers", metric, rule)
        accepted[v.text("Eligibility", "tiers", metric, error=PolicyError)] = tuple(
            v.text("Eligibility", "tiers", name, error=PolicyError) for name in names
        )
    return accepted


@attrs.frozen(kw_only=True)
class Eligibility:
    """Who a rule may pay: accepted tiers per metric, and/or a predicate.

    A gate reads the judgements the assessment already holds; it never
    filters data, so nobody's measurements or scores change. An agent the
    gate refuses is listed in the statement's ``excluded`` with the rule and
    the judgement that decided it. Give ``tiers``, a ``predicate`` or both
    (all must admit).

    Attributes:
        tiers: Metric → accepted tier name(s), e.g. ``{"satisfaction_rate":
            ("excellent", "good")}``; every metric must have a tier policy in
            the assessment.
        predicate: Called with the agent's judgements by metric name;
            ``True`` admits.
        description: What the predicate asks, in words (needed with a
            predicate): the reason reads ``not <description>``.

    Raises:
        PolicyError: for neither tiers nor predicate, an empty tier list, or
            a predicate without a description.
        WrongTypeError: for a predicate that is not callable.
    """

    tiers: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=dict, converter=_accepted
    )
    predicate: Predicate | None = None
    description: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.tiers and self.predicate is None:
            rule = "give accepted tiers, a predicate, or both"
            raise PolicyError("Eligibility", "tiers", self.tiers, rule)
        if self.predicate is not None:
            if not callable(self.predicate):
                v.wrong_type("Eligibility", "predicate", self.predicate, "callable")
            if self.description is None:
                rule = "is needed with a predicate: it is the reason shown"
                raise PolicyError("Eligibility", "description", None, rule)
            v.text("Eligibility", "description", self.description, error=PolicyError)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``{"tiers": {metric: [tier, ...]}}``.

        Raises:
            PolicyError: for a gate with a predicate (code is not plain data).
        """
        if self.predicate is not None:
            rule = "is code, which plain data cannot hold; gate by tiers instead"
            raise PolicyError("Eligibility", "predicate", self.description, rule)
        return {"tiers": {metric: list(names) for metric, names in self.tiers.items()}}

    @classmethod
    def from_dict(cls, data: object) -> Eligibility:
        """Read :meth:`to_dict` output.

        Raises:
            PolicyError: for unknown or missing keys and bad tier lists.
        """
        plain = v.mapping("Eligibility", data, ("tiers",), error=PolicyError)
        return cls(tiers=plain["tiers"])

    def refusal(self, judgements: Mapping[str, Judgement]) -> str | None:
        """Why an agent with these judgements may not be paid (``None``: they may)."""
        for metric, accepted in self.tiers.items():
            judgement = judgements[metric]
            if judgement.tier not in accepted:
                return (
                    f"not eligible: {metric} is {judgement.tier}, not "
                    f"{' or '.join(accepted)} ({judgement.reason})"
                )
        if self.predicate is not None:
            admitted = self.predicate(judgements)
            if not isinstance(admitted, bool):
                v.wrong_type("Eligibility", "predicate", admitted, "a bool result")
            if not admitted:
                return f"not eligible: not {self.description}"
        return None

    def split(
        self, rule: str, assessment: Assessment, payees: Sequence[Payee]
    ) -> tuple[list[Payee], list[Exclusion]]:
        """The payees the gate admits, and an exclusion for each one it refuses.

        Raises:
            UnknownKeyError: for a gated metric without a tier policy in the
                assessment, or an accepted tier that policy does not have.
        """
        owner = f"Eligibility of {rule!r}"
        for metric, accepted in self.tiers.items():
            if metric not in assessment.metric_names:
                why = "has no tier policy in the assessment; classify with one"
                raise UnknownKeyError(owner, "tiers", metric, why)
            for payee in payees:
                names = assessment.policy(metric, **payee.key).tier_names
                unknown = [t for t in accepted if t not in names]
                if unknown:
                    why = f"is not a tier of {metric}; tiers: {', '.join(names)}"
                    raise UnknownKeyError(owner, "tiers", unknown[0], why)
        admitted: list[Payee] = []
        excluded: list[Exclusion] = []
        for payee in payees:
            judgements = _judgements_of(assessment, payee.key)
            reason = self.refusal(judgements)
            if reason is None:
                admitted.append(payee)
            else:
                excluded.append(
                    Exclusion(
                        agent_id=payee.agent_id,
                        role=payee.role,
                        reason=reason,
                        rule=rule,
                    )
                )
        return admitted, excluded


def _judgements_of(
    assessment: Assessment, key: Mapping[str, Any]
) -> dict[str, Judgement]:
    return {metric: assessment.get(metric, **key) for metric in assessment.metric_names}
