"""Scorecards: a weighted composite score from a few core metrics (0 to 100)."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import attrs

from servicequality._errors import PolicyError
from servicequality.policy._plain import expect_keys, number, text

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
        owner = f"ScorecardComponent {self.metric!r}"
        text("ScorecardComponent", "metric", self.metric)
        weight = number(owner, "weight", self.weight)
        if not 0 < weight <= 1:
            msg = f"{owner}: weight = {weight} must be in (0, 1]"
            raise PolicyError(msg)
        if not isinstance(self.dimension, Dimension):
            msg = f"{owner}: dimension = {self.dimension!r} must be a Dimension"
            raise PolicyError(msg)
        if number(owner, "worst", self.worst) == number(owner, "best", self.best):
            msg = f"{owner}: worst and best must differ"
            raise PolicyError(msg)

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
        plain = expect_keys("ScorecardComponent", data, keys)
        try:
            dimension = Dimension(plain["dimension"])
        except ValueError:
            known = ", ".join(d.value for d in Dimension)
            shown = plain["dimension"]
            msg = f"ScorecardComponent.dimension = {shown!r}: must be one of {known}"
            raise PolicyError(msg) from None
        return cls(
            metric=text("ScorecardComponent", "metric", plain["metric"]),
            weight=number("ScorecardComponent", "weight", plain["weight"]),
            dimension=dimension,
            worst=number("ScorecardComponent", "worst", plain["worst"]),
            best=number("ScorecardComponent", "best", plain["best"]),
        )


def _component(
    metric: str, weight: float, dimension: Dimension, worst: float, best: float
) -> ScorecardComponent:
    return ScorecardComponent(
        metric=metric, weight=weight, dimension=dimension, worst=worst, best=best
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
    return tuple(value)


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
        owner = f"Scorecard {self.name!r}"
        text("Scorecard", "name", self.name)
        if not self.components or not all(
            isinstance(c, ScorecardComponent) for c in self.components
        ):
            msg = f"{owner}: components must be a non-empty sequence of components"
            raise PolicyError(msg)
        metrics = [c.metric for c in self.components]
        if len(set(metrics)) != len(metrics):
            msg = f"{owner}: a metric appears twice among the components"
            raise PolicyError(msg)
        if (
            isinstance(self.max_core, bool)
            or not isinstance(self.max_core, int)
            or self.max_core < 1
        ):
            msg = f"{owner}: max_core = {self.max_core!r} must be a whole number >= 1"
            raise PolicyError(msg)
        if len(self.components) > self.max_core:
            msg = (
                f"{owner}: {len(self.components)} core metrics exceed max_core = "
                f"{self.max_core} (too many metrics dilute the assessment; raise "
                "max_core on purpose)"
            )
            raise PolicyError(msg)
        total = math.fsum(c.weight for c in self.components)
        if abs(total - 1) > WEIGHT_TOLERANCE:
            msg = f"{owner}: weights sum to {total}, not 1"
            raise PolicyError(msg)

    @property
    def metrics(self) -> tuple[str, ...]:
        """The component metrics, in order."""
        return tuple(c.metric for c in self.components)

    def score(self, measurements: Measurements) -> tuple[ScoreLine, ...]:
        """A :class:`ScoreLine` for every group of ``measurements``.

        Raises:
            PolicyError: if a component metric was not measured.
        """
        missing = [m for m in self.metrics if m not in measurements.metric_names]
        if missing:
            msg = f"Scorecard {self.name!r}: not measured: {', '.join(missing)}"
            raise PolicyError(msg)
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

    @classmethod
    def growth_stage(cls) -> Scorecard:
        """For a shop that is starting out: response speed weighs most (S4 §4)."""
        return cls(
            name="growth_stage",
            components=(
                ScorecardComponent(
                    metric="responded_within",
                    weight=0.35,
                    dimension=Dimension.RESPONSIVENESS,
                    worst=0.5,
                    best=0.95,
                ),
                ScorecardComponent(
                    metric="first_response_time",
                    weight=0.2,
                    dimension=Dimension.RESPONSIVENESS,
                    worst=600.0,
                    best=30.0,
                ),
                ScorecardComponent(
                    metric="satisfaction_rate",
                    weight=0.2,
                    dimension=Dimension.SATISFACTION,
                    worst=0.6,
                    best=0.95,
                ),
                ScorecardComponent(
                    metric="first_contact_resolution",
                    weight=0.15,
                    dimension=Dimension.RESOLUTION_QUALITY,
                    worst=0.5,
                    best=0.9,
                ),
                ScorecardComponent(
                    metric="escalation_rate",
                    weight=0.1,
                    dimension=Dimension.RESOLUTION_QUALITY,
                    worst=0.2,
                    best=0.0,
                ),
            ),
        )

    @classmethod
    def mature_stage(cls) -> Scorecard:
        """For an established shop: resolution and satisfaction weigh most (S4 §4)."""
        return cls(
            name="mature_stage",
            components=(
                ScorecardComponent(
                    metric="first_contact_resolution",
                    weight=0.3,
                    dimension=Dimension.RESOLUTION_QUALITY,
                    worst=0.6,
                    best=0.9,
                ),
                ScorecardComponent(
                    metric="satisfaction_rate",
                    weight=0.3,
                    dimension=Dimension.SATISFACTION,
                    worst=0.7,
                    best=0.95,
                ),
                ScorecardComponent(
                    metric="repeat_inquiry_rate",
                    weight=0.15,
                    dimension=Dimension.RESOLUTION_QUALITY,
                    worst=0.3,
                    best=0.05,
                ),
                ScorecardComponent(
                    metric="emotion_conversion",
                    weight=0.15,
                    dimension=Dimension.EMOTIONAL_STABILITY,
                    worst=0.4,
                    best=0.9,
                ),
                ScorecardComponent(
                    metric="responded_within",
                    weight=0.1,
                    dimension=Dimension.RESPONSIVENESS,
                    worst=0.7,
                    best=0.98,
                ),
            ),
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
        plain = expect_keys("Scorecard", data, ("name", "components"), ("max_core",))
        components = plain["components"]
        if not isinstance(components, list):
            msg = f"Scorecard.components = {components!r}: must be a list"
            raise PolicyError(msg)
        return cls(
            name=text("Scorecard", "name", plain["name"]),
            components=tuple(ScorecardComponent.from_dict(c) for c in components),
            max_core=plain.get("max_core", 5),
        )
