"""Scorecards: a weighted composite score from a few core metrics (0 to 100)."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import attrs

from servicequality import _validators as v
from servicequality._errors import PolicyError, UnknownKeyError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from servicequality._engine._measure import Measurements

__all__ = ["Contribution", "Dimension", "ScoreLine", "Scorecard", "ScorecardComponent"]

WEIGHT_TOLERANCE = 1e-9


class Dimension(StrEnum):
    """The seed's assessment dimensions (考核维度) a component belongs to."""

    RESOLUTION_QUALITY = "resolution_quality"
    """问题解决质量: first-contact resolution, repeats, escalations."""
    COMMUNICATION_PROFESSIONALISM = "communication_professionalism"
    """沟通专业度: reply accuracy, script compliance, knowledge."""
    EMOTIONAL_STABILITY = "emotional_stability"
    """情绪稳定性: emotion conversion, crisis success, empathy."""
    SATISFACTION = "satisfaction"
    """客户满意度: satisfaction and ratings."""
    RESPONSIVENESS = "responsiveness"
    """响应速度: first response time, replies within a limit."""


@attrs.frozen(kw_only=True)
class ScorecardComponent:
    """One metric of a scorecard: its weight and its 0-to-1 scale.

    The component score is ``(value - worst) / (best - worst)`` clamped to
    0..1, so it works for either direction (``best < worst`` for times).

    Attributes:
        metric: Metric name.
        weight: Share of the composite, in (0, 1].
        dimension: The :class:`Dimension` it belongs to.
        worst: Value that scores 0 (or anything worse).
        best: Value that scores 1 (or anything better); differs from ``worst``.
    """

    metric: str
    weight: float
    dimension: Dimension
    worst: float
    best: float

    def __attrs_post_init__(self) -> None:
        owner = "ScorecardComponent"
        v.text(owner, "metric", self.metric, error=PolicyError)
        weight = v.number(owner, "weight", self.weight, error=PolicyError)
        if not 0 < weight <= 1:
            raise PolicyError(owner, "weight", self.weight, "must be in (0, 1]")
        v.instance_of(owner, "dimension", self.dimension, Dimension)
        worst = v.number(owner, "worst", self.worst, error=PolicyError)
        if worst == v.number(owner, "best", self.best, error=PolicyError):
            raise PolicyError(owner, "best", self.best, "must differ from worst")

    def score(self, value: float) -> float:
        """The component score in 0..1 (NaN for a NaN value)."""
        if math.isnan(value):
            return math.nan
        return min(1.0, max(0.0, (value - self.worst) / (self.best - self.worst)))

    def to_dict(self) -> dict[str, Any]:
        """Plain data, accepted by :meth:`from_dict`."""
        return {
            "metric": self.metric,
            "weight": self.weight,
            "dimension": self.dimension.value,
            "worst": self.worst,
            "best": self.best,
        }

    @classmethod
    def from_dict(cls, data: object) -> ScorecardComponent:
        """Read :meth:`to_dict` output.

        Raises:
            PolicyError: naming the key and the rule for any bad entry.
        """
        keys = ("metric", "weight", "dimension", "worst", "best")
        plain = v.mapping("ScorecardComponent", data, keys, error=PolicyError)
        shown = plain["dimension"]
        if not isinstance(shown, str) or shown not in [d.value for d in Dimension]:
            known = ", ".join(d.value for d in Dimension)
            rule = f"must be one of {known}"
            raise PolicyError("ScorecardComponent", "dimension", shown, rule)
        return cls(
            metric=plain["metric"],
            weight=plain["weight"],
            dimension=Dimension(shown),
            worst=plain["worst"],
            best=plain["best"],
        )


@attrs.frozen(kw_only=True)
class Contribution:
    """What one component added to a composite score.

    Attributes:
        metric: Metric name.
        weight: Its weight.
        value: The measured value (NaN if undefined).
        score: Its 0..1 score.
        points: ``100 × weight × score``, its share of the composite.
        insufficient: The value rests on too few observations.
    """

    metric: str
    weight: float
    value: float
    score: float
    points: float
    insufficient: bool


@attrs.frozen(kw_only=True)
class ScoreLine:
    """The composite score of one group, with every component's contribution.

    Attributes:
        key: The group.
        composite: 0 to 100; NaN when a component value is undefined.
        contributions: One per component, in scorecard order.
        insufficient: Some component rests on too few observations.
        reason: One sentence: the sum of points, or what is missing.
    """

    key: Mapping[str, Any]
    composite: float
    contributions: tuple[Contribution, ...]
    insufficient: bool
    reason: str


def _as_components(
    value: Iterable[ScorecardComponent],
) -> tuple[ScorecardComponent, ...]:
    return v.sequence("Scorecard", "components", value, "a sequence of components")


@attrs.frozen(kw_only=True)
class Scorecard:
    """Weighted core metrics combined into a composite score from 0 to 100.

    Weights sum to 1 (within 1e-9). At most ``max_core`` components (5 by
    default): the source warns that many metrics dilute what matters
    (S4 §5); raise ``max_core`` on purpose if you must.

    Attributes:
        name: Name of the scorecard.
        components: The weighted components, each metric once.
        max_core: Largest number of components allowed.

    Raises:
        PolicyError: for no components, a repeated metric, weights that do not
            sum to 1, or more components than ``max_core``.
    """

    name: str
    components: tuple[ScorecardComponent, ...] = attrs.field(converter=_as_components)
    max_core: int = 5

    def __attrs_post_init__(self) -> None:
        owner = "Scorecard"
        v.text(owner, "name", self.name, error=PolicyError)
        for component in self.components:
            v.instance_of(owner, "components", component, ScorecardComponent)
        if not self.components:
            raise PolicyError(owner, "components", (), "must hold at least one")
        metrics = [c.metric for c in self.components]
        if len(set(metrics)) != len(metrics):
            repeated = next(m for m in metrics if metrics.count(m) > 1)
            rule = "names a metric twice among the components"
            raise PolicyError(owner, "components", repeated, rule)
        v.whole(owner, "max_core", self.max_core, minimum=1, error=PolicyError)
        if len(self.components) > self.max_core:
            rule = (
                f"{len(self.components)} core metrics exceed max_core = "
                f"{self.max_core} (too many metrics dilute the assessment; raise "
                "max_core on purpose)"
            )
            raise PolicyError(owner, "components", metrics, rule)
        total = math.fsum(c.weight for c in self.components)
        if abs(total - 1) > WEIGHT_TOLERANCE:
            rule = f"weights must sum to 1, not {total}"
            raise PolicyError(owner, "components", metrics, rule)

    @property
    def metrics(self) -> tuple[str, ...]:
        """The component metrics, in order."""
        return tuple(c.metric for c in self.components)

    def score(self, measurements: Measurements) -> tuple[ScoreLine, ...]:
        """A :class:`ScoreLine` for every group of ``measurements``.

        Raises:
            UnknownKeyError: if a component metric was not measured.
        """
        missing = [m for m in self.metrics if m not in measurements.metric_names]
        if missing:
            rule = f"was not measured; measured: {', '.join(measurements.metric_names)}"
            raise UnknownKeyError("Scorecard", "components", missing[0], rule)
        columns = {
            c.metric: (
                measurements.column(c.metric).tolist(),
                measurements.column(c.metric, "insufficient").tolist(),
            )
            for c in self.components
        }
        lines = []
        for row, key in enumerate(measurements.keys):
            contributions = []
            for component in self.components:
                value = columns[component.metric][0][row]
                score = component.score(value)
                contributions.append(
                    Contribution(
                        metric=component.metric,
                        weight=component.weight,
                        value=value,
                        score=score,
                        points=100 * component.weight * score,
                        insufficient=bool(columns[component.metric][1][row]),
                    )
                )
            lines.append(
                self._line(
                    dict(zip(measurements.key_names, key, strict=True)), contributions
                )
            )
        return tuple(lines)

    def _line(
        self, key: dict[str, Any], contributions: list[Contribution]
    ) -> ScoreLine:
        undefined = [c.metric for c in contributions if math.isnan(c.value)]
        thin = [c.metric for c in contributions if c.insufficient]
        if undefined:
            composite = math.nan
            reason = (
                f"{self.name}: no value for {', '.join(undefined)} → no composite score"
            )
        else:
            composite = math.fsum(c.points for c in contributions)
            parts = " + ".join(f"{c.metric} {c.points:.1f}" for c in contributions)
            reason = f"{self.name}: {parts} = {composite:.1f} of 100"
            if thin:
                reason += f" (few observations: {', '.join(thin)})"
        return ScoreLine(
            key=key,
            composite=composite,
            contributions=tuple(contributions),
            insufficient=bool(undefined or thin),
            reason=reason,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data, accepted by :meth:`from_dict`."""
        return {
            "name": self.name,
            "components": [c.to_dict() for c in self.components],
            "max_core": self.max_core,
        }

    @classmethod
    def from_dict(cls, data: object) -> Scorecard:
        """Read :meth:`to_dict` output (``max_core`` optional).

        Raises:
            PolicyError: naming the key and the rule for any bad entry.
        """
        plain = v.mapping(
            "Scorecard", data, ("name", "components"), ("max_core",), error=PolicyError
        )
        components = v.sequence("Scorecard", "components", plain["components"])
        return cls(
            name=plain["name"],
            components=tuple(ScorecardComponent.from_dict(c) for c in components),
            max_core=plain.get("max_core", 5),
        )
