"""Tiers and tier policies: a value, its sample and interval, to a named tier."""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any, Literal

import attrs

from servicequality import _validators as v
from servicequality._errors import PolicyError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["INSUFFICIENT_DATA", "Tier", "TierPolicy"]

INSUFFICIENT_DATA = "insufficient_data"
"""The tier of a value resting on fewer observations than the policy asks."""

Basis = Literal["value", "interval"]


@attrs.frozen(kw_only=True)
class Tier:
    """A named band of a metric, bounded below (``at_least``) or above (``at_most``).

    Bounds are inclusive: a satisfaction rate of exactly 0.90 reaches
    ``Tier(name="excellent", at_least=0.90)``. A tier with neither bound is the
    catch-all for everything below (or above) the other tiers.

    Raises:
        PolicyError: for a blank or reserved name, a non-finite bound, or both
            bounds at once.
    """

    name: str
    at_least: float | None = None
    at_most: float | None = None

    def __attrs_post_init__(self) -> None:
        v.text("Tier", "name", self.name, error=PolicyError)
        if self.name == INSUFFICIENT_DATA:
            rule = "is reserved for too-small samples"
            raise PolicyError("Tier", "name", self.name, rule)
        v.optional_number("Tier", "at_least", self.at_least, error=PolicyError)
        v.optional_number("Tier", "at_most", self.at_most, error=PolicyError)
        if self.at_least is not None and self.at_most is not None:
            rule = "give at_least or at_most, not both"
            raise PolicyError("Tier", "at_most", self.at_most, rule)

    @property
    def bound(self) -> float | None:
        """The tier's threshold, whichever side it is on."""
        return self.at_least if self.at_least is not None else self.at_most

    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``{"name": ..., "at_least": ...}`` (absent bounds left out)."""
        data: dict[str, Any] = {"name": self.name}
        if self.at_least is not None:
            data["at_least"] = self.at_least
        if self.at_most is not None:
            data["at_most"] = self.at_most
        return data

    @classmethod
    def from_dict(cls, data: object) -> Tier:
        """Read :meth:`to_dict` output.

        Raises:
            PolicyError: for unknown or missing keys and bad values.
        """
        plain = v.mapping(
            "Tier", data, ("name",), ("at_least", "at_most"), error=PolicyError
        )
        return cls(
            name=plain["name"],
            at_least=plain.get("at_least"),
            at_most=plain.get("at_most"),
        )


def _level(confidence: float | None) -> str:
    return "" if confidence is None else f"{confidence * 100:.4g} % "


def _as_tiers(value: Iterable[Tier]) -> tuple[Tier, ...]:
    return v.sequence("TierPolicy", "tiers", value, "a sequence of Tier")


def _format(value: float, unit: str | None) -> str:
    if unit in ("seconds", "count", "points"):
        return f"{value:,.1f}"
    return f"{value:.3f}"


@attrs.frozen(kw_only=True)
class TierPolicy:
    """How one metric is judged: tiers from best to worst, a sample floor, a basis.

    Higher-is-better metrics use ``at_least`` bounds, lower-is-better ones
    ``at_most``; the direction is read from the tiers. The last tier is the
    unbounded catch-all.

    ``basis="value"`` classifies the point value. ``basis="interval"``
    classifies the conservative end of the confidence interval (the lower
    bound when higher is better), so a tier is only claimed when the data
    supports it; use it where a tier carries money or consequences and
    samples are small.

    Attributes:
        metric: Name of the measured metric.
        tiers: Best to worst; bounds strictly ordered; the last unbounded.
        min_sample: Fewest observations for a real tier (default 30); fewer
            gives :data:`INSUFFICIENT_DATA`.
        basis: ``"value"`` or ``"interval"``.

    Raises:
        PolicyError: for duplicate names, mixed directions, unordered or
            overlapping bounds, a bounded last tier, an unbounded tier before
            it, or a bad ``min_sample`` or ``basis``. Bounds the metric's unit
            cannot reach are refused by :meth:`check_metric` when classified.
    """

    metric: str
    tiers: tuple[Tier, ...] = attrs.field(converter=_as_tiers)
    min_sample: int = 30
    basis: Basis = "value"

    def __attrs_post_init__(self) -> None:
        owner = "TierPolicy"
        v.text(owner, "metric", self.metric, error=PolicyError)
        for tier in self.tiers:
            v.instance_of(owner, "tiers", tier, Tier)
        if not self.tiers:
            raise PolicyError(owner, "tiers", (), "must hold at least one tier")
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            repeated = next(n for n in names if names.count(n) > 1)
            raise PolicyError(owner, "tiers", repeated, "names a tier twice")
        *bounded, last = self.tiers
        if last.bound is not None:
            rule = "the last tier must be unbounded (the catch-all)"
            raise PolicyError(owner, "tiers", last.name, rule)
        for tier in bounded:
            if tier.bound is None:
                rule = "only the last tier may be unbounded"
                raise PolicyError(owner, "tiers", tier.name, rule)
        if bounded and len({t.at_least is not None for t in bounded}) > 1:
            rule = "tiers mix at_least and at_most; use one direction"
            raise PolicyError(owner, "tiers", names, rule)
        bounds = [t.bound for t in bounded]
        step = [b - a for a, b in itertools.pairwise(bounds)]  # type: ignore[operator]
        ordered = (
            all(s < 0 for s in step)
            if self.higher_is_better
            else all(s > 0 for s in step)
        )
        if not ordered:
            way = (
                "decreasing at_least" if self.higher_is_better else "increasing at_most"
            )
            rule = f"must go from best to worst with strictly {way}"
            raise PolicyError(owner, "tiers", bounds, rule)
        v.whole(owner, "min_sample", self.min_sample, minimum=1, error=PolicyError)
        if not isinstance(self.basis, str) or self.basis not in ("value", "interval"):
            rule = "must be 'value' or 'interval'"
            raise PolicyError(owner, "basis", self.basis, rule)

    def check_metric(self, *, unit: str, higher_is_better: bool) -> None:
        """Refuse bounds that do not fit the metric's declared unit and direction.

        :func:`~servicequality.policy.classify` calls it with what the
        measured metric declares, so custom and SLA metrics are checked like
        catalogue ones.

        Raises:
            PolicyError: for ``at_least`` bounds on a lower-is-better metric
                (or ``at_most`` on a higher-is-better one), a share bound
                outside 0..1, or a negative bound in seconds, counts or points.
        """
        if len(self.tiers) > 1 and higher_is_better != self.higher_is_better:
            side = "at_least" if self.higher_is_better else "at_most"
            way = "higher" if higher_is_better else "lower"
            rule = f"uses {side} on {self.metric}, where {way} is better"
            raise PolicyError("TierPolicy", "tiers", self.tiers[0].bound, rule)
        for tier in self.tiers[:-1]:
            bound = tier.bound
            assert bound is not None  # only the last tier is unbounded
            if unit == "share" and not 0 <= bound <= 1:
                rule = f"tier {tier.name!r}: a share bound must be in 0..1"
                raise PolicyError("TierPolicy", "tiers", bound, rule)
            if unit in ("seconds", "count", "points") and bound < 0:
                rule = f"tier {tier.name!r}: a bound in {unit} must not be negative"
                raise PolicyError("TierPolicy", "tiers", bound, rule)

    @property
    def higher_is_better(self) -> bool:
        """Whether the tiers reward larger values (``at_least`` bounds)."""
        return self.tiers[0].at_most is None

    @property
    def tier_names(self) -> tuple[str, ...]:
        """Tier names from best to worst, then :data:`INSUFFICIENT_DATA`."""
        return (*(t.name for t in self.tiers), INSUFFICIENT_DATA)

    def classify(
        self,
        value: float,
        *,
        n: int,
        low: float = math.nan,
        high: float = math.nan,
        unit: str | None = None,
        confidence: float | None = None,
    ) -> tuple[str, str]:
        """The tier of one measurement and the sentence that explains it.

        Args:
            value: The point value (NaN when undefined).
            n: Observations it rests on.
            low: Lower bound of its confidence interval.
            high: Upper bound of its confidence interval.
            unit: Unit, to format numbers (``"share"``, ``"seconds"``…).
            confidence: Confidence level of the interval, shown in the reason
                (``0.9`` → ``90 % CI``); ``None`` shows ``CI`` alone.
        """
        shown_unit = unit
        interval = (
            f"{_level(confidence)}CI {_format(low, shown_unit)}–"
            f"{_format(high, shown_unit)}"
            if not (math.isnan(low) or math.isnan(high))
            else "no interval"
        )
        if n < self.min_sample:
            more = self.min_sample - n
            return INSUFFICIENT_DATA, (
                f"{self.metric}: n = {n} < {self.min_sample} observations → "
                f"{INSUFFICIENT_DATA} ({more} more needed)"
            )
        if self.basis == "interval":
            judged, label = (
                (low, "lower bound") if self.higher_is_better else (high, "upper bound")
            )
        else:
            judged, label = value, ""
        if math.isnan(judged):
            what = "interval" if self.basis == "interval" else "value"
            return (
                INSUFFICIENT_DATA,
                f"{self.metric}: no {what} → {INSUFFICIENT_DATA} (n = {n})",
            )
        subject = (
            f"{self.metric} {label + ' ' if label else ''}{_format(judged, shown_unit)}"
        )
        context = (
            f"n = {n}, {interval}"
            if not label
            else f"value {_format(value, shown_unit)}, n = {n}, {interval}"
        )
        for tier in self.tiers[:-1]:
            bound = tier.bound
            assert bound is not None
            reached = judged >= bound if self.higher_is_better else judged <= bound
            if reached:
                sign = "≥" if self.higher_is_better else "≤"
                return (
                    tier.name,
                    f"{subject} {sign} {bound:g} → {tier.name} ({context})",
                )
        last = self.tiers[-1]
        if len(self.tiers) == 1:
            return last.name, f"{subject} → {last.name} ({context})"
        nearest = self.tiers[-2].bound
        sign = "<" if self.higher_is_better else ">"
        return last.name, f"{subject} {sign} {nearest:g} → {last.name} ({context})"

    def to_dict(self) -> dict[str, Any]:
        """Plain data, accepted by :meth:`from_dict`."""
        return {
            "metric": self.metric,
            "tiers": [t.to_dict() for t in self.tiers],
            "min_sample": self.min_sample,
            "basis": self.basis,
        }

    @classmethod
    def from_dict(cls, data: object) -> TierPolicy:
        """Read :meth:`to_dict` output (``min_sample`` and ``basis`` optional).

        Raises:
            PolicyError: naming the key and the rule for any bad entry.
        """
        plain = v.mapping(
            "TierPolicy",
            data,
            ("metric", "tiers"),
            ("min_sample", "basis"),
            error=PolicyError,
        )
        tiers = v.sequence("TierPolicy", "tiers", plain["tiers"], "a list of tiers")
        return cls(
            metric=plain["metric"],
            tiers=tuple(Tier.from_dict(t) for t in tiers),
            min_sample=plain.get("min_sample", 30),
            basis=plain.get("basis", "value"),
        )
