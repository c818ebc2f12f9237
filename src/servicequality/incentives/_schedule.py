"""Effective-dated plans: the plan in force at a period's start."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import attrs

from servicequality import _validators as v
from servicequality._errors import PolicyError, UnknownKeyError
from servicequality._periods import Period
from servicequality.incentives._plan import IncentivePlan

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from datetime import datetime

    from servicequality._model import Agent
    from servicequality.incentives._plan import PayoutStatement
    from servicequality.incentives._protocol import Rule
    from servicequality.policy._assess import Assessment

__all__ = ["PlanSchedule", "PlanVersion"]


def _effective_from(value: object) -> datetime:
    return v.instant("PlanVersion", "effective_from", value, error=PolicyError)


@attrs.frozen(kw_only=True)
class PlanVersion:
    """An incentive plan in force from one instant on.

    Attributes:
        effective_from: The first instant it applies to (timezone-aware).
        plan: The plan.
    """

    effective_from: datetime = attrs.field(converter=_effective_from)
    plan: IncentivePlan = attrs.field(validator=v.of_type(IncentivePlan))

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the instant in ISO 8601 and the plan as plain data."""
        return {
            "effective_from": self.effective_from.isoformat(),
            "plan": self.plan.to_dict(),
        }

    @classmethod
    def from_dict(
        cls,
        data: object,
        *,
        kinds: Mapping[str, Callable[[Mapping[str, Any]], Rule]] | None = None,
    ) -> PlanVersion:
        """Read :meth:`to_dict` output (``kinds`` as for the plan).

        Raises:
            PolicyError: for unknown or missing keys and bad values.
        """
        plain = v.mapping(
            "PlanVersion", data, ("effective_from", "plan"), error=PolicyError
        )
        return cls(
            effective_from=plain["effective_from"],
            plan=IncentivePlan.from_dict(plain["plan"], kinds=kinds),
        )


def _versions(value: object) -> tuple[PlanVersion, ...]:
    versions = v.sequence("PlanSchedule", "versions", value, "PlanVersion values")
    if not versions:
        raise PolicyError("PlanSchedule", "versions", versions, "must hold a version")
    for version in versions:
        v.instance_of("PlanSchedule", "versions", version, PlanVersion)
    for before, after in itertools.pairwise(versions):
        if after.effective_from <= before.effective_from:
            rule = "must be in strictly increasing effective_from order"
            raise PolicyError(
                "PlanSchedule", "versions", after.effective_from.isoformat(), rule
            )
        if after.plan.currency != before.plan.currency:
            rule = f"must all pay in {before.plan.currency.code}"
            raise PolicyError(
                "PlanSchedule", "versions", after.plan.currency.code, rule
            )
    return versions


@attrs.frozen(kw_only=True)
class PlanSchedule:
    """Plans over time, like :class:`~servicequality.policy.PolicySchedule`.

    A period is paid by the version in force at its start, so a plan
    changed mid-month applies from the next month on; a locked period is
    re-run with the plan that paid it.

    Attributes:
        versions: In strictly increasing ``effective_from`` order, one
            currency for all.

    Raises:
        PolicyError: for no versions, versions out of order, or two
            currencies.
    """

    versions: tuple[PlanVersion, ...] = attrs.field(converter=_versions)

    def in_force(self, period: Period) -> IncentivePlan:
        """The plan in force at the start of ``period``.

        Raises:
            UnknownKeyError: for a period starting before the first version.
        """
        v.instance_of("PlanSchedule", "period", period, Period)
        chosen = [x for x in self.versions if x.effective_from <= period.start]
        if not chosen:
            first = self.versions[0].effective_from.isoformat()
            rule = f"starts before the first plan version ({first})"
            raise UnknownKeyError("PlanSchedule", "period", period.label, rule)
        return chosen[-1].plan

    def apply(
        self, assessment: Assessment, period: Period, *, roster: Iterable[Agent] = ()
    ) -> PayoutStatement:
        """:meth:`IncentivePlan.apply` with the plan in force at the period's start."""
        return self.in_force(period).apply(assessment, period, roster=roster)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, accepted by :meth:`from_dict`."""
        return {"versions": [x.to_dict() for x in self.versions]}

    @classmethod
    def from_dict(
        cls,
        data: object,
        *,
        kinds: Mapping[str, Callable[[Mapping[str, Any]], Rule]] | None = None,
    ) -> PlanSchedule:
        """Read :meth:`to_dict` output.

        Raises:
            PolicyError: for unknown or missing keys and bad values.
        """
        plain = v.mapping("PlanSchedule", data, ("versions",), error=PolicyError)
        return cls(
            versions=tuple(
                PlanVersion.from_dict(x, kinds=kinds)
                for x in v.sequence("PlanSchedule", "versions", plain["versions"])
            )
        )
