"""Classifying measurements: tiers and composite scores, group by group."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import attrs

from servicequality import _display, _results
from servicequality import _validators as v
from servicequality._columns import ReadOnly, fill_slots
from servicequality._engine._measure import Measurements
from servicequality._errors import PolicyError, UnknownKeyError
from servicequality.policy._scorecard import Scorecard, ScoreLine
from servicequality.policy._tiers import TierPolicy

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from datetime import datetime

    from servicequality._engine._measure import CellRows
    from servicequality._periods import Period
    from servicequality.metrics._base import Part

__all__ = ["Assessment", "Judgement", "PolicySchedule", "PolicyVersion", "classify"]


@attrs.frozen(kw_only=True)
class Judgement:
    """The tier of one metric for one group, and why.

    Attributes:
        metric: Metric name.
        key: The group, as ``{key name: label}``.
        tier: The tier name, or ``"insufficient_data"``.
        value: The measured value.
        n: Observations it rests on.
        low: Lower bound of its confidence interval.
        high: Upper bound of its confidence interval.
        basis: ``"value"`` or ``"interval"``: what was compared.
        reason: One sentence, e.g. ``satisfaction_rate 0.912 ≥ 0.9 → excellent
            (n = 213, 95 % CI 0.870–0.940)``.
    """

    metric: str
    key: Mapping[str, Any]
    tier: str
    value: float
    n: int
    low: float
    high: float
    basis: str
    reason: str


def _check_policies(
    policies: Sequence[TierPolicy], owner: str = "PolicyVersion"
) -> tuple[TierPolicy, ...]:
    chosen = v.sequence(owner, "policies", policies, "a sequence of TierPolicy")
    for policy in chosen:
        v.instance_of(owner, "policies", policy, TierPolicy)
    metrics = [p.metric for p in chosen]
    if len(set(metrics)) != len(metrics):
        repeated = next(m for m in metrics if metrics.count(m) > 1)
        raise PolicyError(owner, "policies", repeated, "has two tier policies")
    return chosen


def _effective_from(value: object) -> datetime:
    return v.instant("PolicyVersion", "effective_from", value, error=PolicyError)


@attrs.frozen(kw_only=True)
class PolicyVersion:
    """The tier policies (and scorecard) in force from one moment on.

    Attributes:
        effective_from: First instant the version applies to (timezone-aware).
        policies: Tier policies, one per metric.
        scorecard: The scorecard, if any.
    """

    effective_from: datetime = attrs.field(converter=_effective_from)
    policies: tuple[TierPolicy, ...] = attrs.field(converter=_check_policies)
    scorecard: Scorecard | None = None

    def __attrs_post_init__(self) -> None:
        if self.scorecard is not None:
            v.instance_of("PolicyVersion", "scorecard", self.scorecard, Scorecard)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, accepted by :meth:`from_dict` (no ``scorecard`` if none)."""
        data: dict[str, Any] = {
            "effective_from": self.effective_from.isoformat(),
            "policies": [p.to_dict() for p in self.policies],
        }
        if self.scorecard is not None:
            data["scorecard"] = self.scorecard.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: object) -> PolicyVersion:
        """Read :meth:`to_dict` output (``scorecard`` optional).

        Raises:
            PolicyError: naming the key and the rule for any bad entry.
        """
        plain = v.mapping(
            "PolicyVersion",
            data,
            ("effective_from", "policies"),
            ("scorecard",),
            error=PolicyError,
        )
        policies = v.sequence("PolicyVersion", "policies", plain["policies"])
        scorecard = plain.get("scorecard")
        return cls(
            effective_from=plain["effective_from"],
            policies=tuple(TierPolicy.from_dict(p) for p in policies),
            scorecard=None if scorecard is None else Scorecard.from_dict(scorecard),
        )


def _ordered_versions(versions: Sequence[PolicyVersion]) -> tuple[PolicyVersion, ...]:
    owner = "PolicySchedule"
    chosen = v.sequence(owner, "versions", versions, "a sequence of PolicyVersion")
    for version in chosen:
        v.instance_of(owner, "versions", version, PolicyVersion)
    if not chosen:
        raise PolicyError(owner, "versions", (), "must hold at least one version")
    starts = [version.effective_from for version in chosen]
    if any(b <= a for a, b in itertools.pairwise(starts)):
        rule = "must have strictly increasing effective_from"
        raise PolicyError(owner, "versions", starts, rule)
    return chosen


@attrs.frozen(kw_only=True)
class PolicySchedule:
    """Policy versions over time, so every period is judged by its own rules.

    A quarterly revision applies from its ``effective_from`` on; history keeps
    the version that was in force then. A period is judged by the version in
    force at its start.

    Attributes:
        versions: In strictly increasing ``effective_from`` order.
    """

    versions: tuple[PolicyVersion, ...] = attrs.field(converter=_ordered_versions)

    def in_force(self, at: datetime) -> PolicyVersion:
        """The version in force at ``at`` (timezone-aware).

        Raises:
            UnknownKeyError: if ``at`` is before the first version.
        """
        moment = v.instant("PolicySchedule", "at", at, error=PolicyError)
        chosen = [x for x in self.versions if x.effective_from <= moment]
        if not chosen:
            first = self.versions[0].effective_from.isoformat()
            rule = f"is before the first policy version ({first})"
            raise UnknownKeyError("PolicySchedule", "at", moment, rule)
        return chosen[-1]

    def to_dict(self) -> dict[str, Any]:
        """Plain data, accepted by :meth:`from_dict`."""
        return {"versions": [v.to_dict() for v in self.versions]}

    @classmethod
    def from_dict(cls, data: object) -> PolicySchedule:
        """Read :meth:`to_dict` output.

        Raises:
            PolicyError: naming the key and the rule for any bad entry.
        """
        plain = v.mapping("PolicySchedule", data, ("versions",), error=PolicyError)
        versions = v.sequence("PolicySchedule", "versions", plain["versions"])
        return cls(versions=tuple(PolicyVersion.from_dict(x) for x in versions))


class Assessment(ReadOnly):
    """Tiers (and composite scores) for every group of some measurements."""

    __slots__ = (
        "_index",
        "_judgements",
        "_key_names",
        "_keys",
        "_measurements",
        "_metrics",
        "_policies",
        "_scores",
    )
    _index: dict[tuple[Any, ...], int]
    _judgements: dict[tuple[int, str], Judgement]
    _key_names: tuple[str, ...]
    _keys: tuple[tuple[Any, ...], ...]
    _measurements: Measurements
    _metrics: tuple[str, ...]
    _policies: tuple[Mapping[str, TierPolicy], ...]
    _scores: tuple[ScoreLine | None, ...]

    def __init__(
        self,
        *,
        measurements: Measurements,
        metrics: tuple[str, ...],
        policies: Sequence[Mapping[str, TierPolicy]],
        judgements: Mapping[tuple[int, str], Judgement],
        scores: Sequence[ScoreLine | None],
    ) -> None:
        """Hold the results of :func:`classify` (one policy mapping per group)."""
        keys = measurements.keys
        fill_slots(
            self,
            _measurements=measurements,
            _key_names=measurements.key_names,
            _keys=keys,
            _policies=tuple(policies),
            _metrics=metrics,
            _judgements=dict(judgements),
            _scores=tuple(scores),
            _index={k: i for i, k in enumerate(keys)},
        )

    def __eq__(self, other: object) -> bool:
        """Equal inputs: the same measurements, metrics and policies per group.

        Judgements and scores follow from them (and may hold NaN bounds,
        which never compare equal), so they are not compared again.
        """
        if not isinstance(other, Assessment):
            return NotImplemented
        return (
            self._metrics == other._metrics
            and self._policies == other._policies
            and self._measurements == other._measurements
        )

    __hash__ = None  # type: ignore[assignment]  # equal by content, not hashable

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        fill_slots(self, **state)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[Judgement]:
        for row in range(len(self._keys)):
            for metric in self._metrics:
                judgement = self._judgements.get((row, metric))
                if judgement is not None:
                    yield judgement

    def __repr__(self) -> str:
        return (
            f"<Assessment: {len(self)} groups by ({', '.join(self._key_names)}), "
            f"tiers for {', '.join(self._metrics)}>"
        )

    def _repr_html_(self) -> str:
        """A table for notebooks: one row per group, a coloured tier per metric.

        Best tiers are green, the worst red, those between amber and
        ``insufficient_data`` grey; hover a cell for its reason. Long
        results are cut with a count of the rest.
        """
        measured = self._measurements
        scored = any(s is not None for s in self._scores)
        rows = []
        for row, key in enumerate(self._keys[: _display.MAX_ROWS]):
            cells: list[_display.Cell] = [_display.label(k) for k in key]
            for metric in self._metrics:
                judgement = self._judgements.get((row, metric))
                if judgement is None:
                    cells.append("")
                    continue
                names = [t.name for t in self._policies[row][metric].tiers]
                position = (
                    names.index(judgement.tier) if judgement.tier in names else -1
                )
                unit = measured.metric(metric).unit
                cells.append(
                    (
                        f"{judgement.tier} · {_display.number(judgement.value, unit)}",
                        _display.tier_colour(position, len(names)),
                        judgement.reason,
                    )
                )
            if scored:
                line = self._scores[row]
                cells.append(
                    ""
                    if line is None
                    else (_display.number(line.composite, "points"), "", line.reason)
                )
            rows.append(cells)
        width = len(self._key_names)
        headers = [*self._key_names, *self._metrics, *(["composite"] if scored else [])]
        return _display.table(
            headers,
            rows,
            caption=f"{len(self)} group(s) judged on {len(self._metrics)} metric(s)",
            right=range(width, len(headers)),
            total=len(self._keys),
        )

    @property
    def key_names(self) -> tuple[str, ...]:
        """Names of the group keys."""
        return self._key_names

    @property
    def keys(self) -> tuple[tuple[Any, ...], ...]:
        """One tuple of labels per group, as in the measurements."""
        return self._keys

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Metrics that have a tier policy."""
        return self._metrics

    @property
    def measurements(self) -> Measurements:
        """The measurements that were judged (every metric, not only tiered ones)."""
        return self._measurements

    def _row(self, key: Mapping[str, Any]) -> int:
        if set(key) != set(self._key_names):
            rule = f"must name exactly the keys {', '.join(self._key_names)}"
            raise UnknownKeyError("Assessment", "key", dict(key), rule)
        wanted = tuple(key[name] for name in self._key_names)
        try:
            return self._index[wanted]
        except (KeyError, TypeError):
            rule = "is not a group of this assessment"
            raise UnknownKeyError("Assessment", "key", dict(key), rule) from None

    def rows(self, metric: str, *, part: Part = "denominator", **key: Any) -> CellRows:
        """The conversations behind ``metric`` for the group ``key``.

        The same as :meth:`Measurements.rows <servicequality.Measurements.rows>`
        on the measurements judged.
        """
        return self._measurements.rows(metric, part=part, **key)

    def get(self, metric: str, **key: Any) -> Judgement:
        """The judgement of ``metric`` for the group ``key``.

        Raises:
            UnknownKeyError: for an unknown metric or group.
        """
        row = self._row(key)
        if (row, metric) not in self._judgements:
            rule = f"has no tier policy here; policies: {', '.join(self._metrics)}"
            raise UnknownKeyError("Assessment", "metric", metric, rule)
        return self._judgements[(row, metric)]

    def policy(self, metric: str, **key: Any) -> TierPolicy:
        """The tier policy that judged ``metric`` for the group ``key``.

        Raises:
            UnknownKeyError: for an unknown metric or group.
        """
        return self._policies[self._row(key)][self.get(metric, **key).metric]

    def tier(self, metric: str, **key: Any) -> str:
        """The tier name of ``metric`` for the group ``key``."""
        return self.get(metric, **key).tier

    def score(self, **key: Any) -> ScoreLine:
        """The composite score of the group ``key``.

        Raises:
            UnknownKeyError: for an unknown group, or one no scorecard applied to.
        """
        line = self._scores[self._row(key)]
        if line is None:
            rule = "has no composite score: no scorecard applied to it"
            raise UnknownKeyError("Assessment", "key", dict(key), rule)
        return line

    @property
    def scores(self) -> tuple[ScoreLine | None, ...]:
        """The composite score of each group (``None`` without a scorecard)."""
        return self._scores

    def to_pandas(self, *, period_labels: bool = False) -> Any:
        """:meth:`to_records` as a pandas DataFrame (the ``pandas`` extra).

        ``n`` is an integer column; with ``period_labels`` a ``period`` key
        holds short labels (``2025-11``) instead of :class:`Period` values.
        """
        return _results.frame(
            self.to_records(),
            [*self._key_names, "metric", "tier", "value", "n", "low", "high", "reason"],
            period_labels=period_labels,
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per group and metric: keys, metric, tier, numbers, reason."""
        return [
            {
                **j.key,
                "metric": j.metric,
                "tier": j.tier,
                "value": j.value,
                "n": j.n,
                "low": j.low,
                "high": j.high,
                "reason": j.reason,
            }
            for j in self
        ]


def _judge(
    measurements: Measurements, policies: Sequence[TierPolicy], rows: Sequence[int]
) -> dict[tuple[int, str], Judgement]:
    judgements = {}
    for policy in policies:
        if policy.metric not in measurements.metric_names:
            rule = (
                "has a tier policy but was not measured; measured: "
                f"{', '.join(measurements.metric_names)}"
            )
            raise UnknownKeyError("classify", "policies", policy.metric, rule)
        metric = measurements.metric(policy.metric)
        unit = metric.unit
        policy.check_metric(unit=unit, higher_is_better=metric.higher_is_better)
        confidence = metric.confidence
        columns = {
            f: measurements.column(policy.metric, f).tolist()
            for f in ("value", "n", "low", "high")
        }
        for row in rows:
            value, n = columns["value"][row], int(columns["n"][row])
            low, high = columns["low"][row], columns["high"][row]
            tier, reason = policy.classify(
                value, n=n, low=low, high=high, unit=unit, confidence=confidence
            )
            judgements[(row, policy.metric)] = Judgement(
                metric=policy.metric,
                key=dict(
                    zip(measurements.key_names, measurements.keys[row], strict=True)
                ),
                tier=tier,
                value=value,
                n=n,
                low=low,
                high=high,
                basis=policy.basis,
                reason=reason,
            )
    return judgements


def classify(
    measurements: Measurements,
    policies: Sequence[TierPolicy] | PolicySchedule,
    *,
    scorecard: Scorecard | None = None,
) -> Assessment:
    """Judge every group of ``measurements`` by ``policies`` (and ``scorecard``).

    Args:
        measurements: From :func:`servicequality.measure`.
        policies: Tier policies, one per metric, or a :class:`PolicySchedule`;
            a schedule needs measurements grouped by a calendar (key
            ``period``) and judges each period by the version in force at its
            start, with that version's scorecard.
        scorecard: A scorecard for all groups (not with a schedule).

    Raises:
        WrongTypeError: for measurements, policies or a scorecard of the wrong
            type.
        UnknownKeyError: for a policy of an unmeasured metric, or a period
            before the schedule.
        PolicyError: for two policies of one metric, or a schedule without
            periods.
    """
    v.instance_of("classify", "measurements", measurements, Measurements)
    if scorecard is not None:
        v.instance_of("classify", "scorecard", scorecard, Scorecard)
    rows = range(len(measurements))
    if isinstance(policies, PolicySchedule):
        if scorecard is not None:
            rule = "must be None with a PolicySchedule (each version has its own)"
            raise PolicyError("classify", "scorecard", scorecard, rule)
        if "period" not in measurements.key_names:
            rule = "must be grouped by a calendar (a 'period' key) for a schedule"
            raise PolicyError("classify", "measurements", measurements.key_names, rule)
        periods: Sequence[Period] = measurements.key_column("period")
        versions = [policies.in_force(p.start) for p in periods]
        judgements: dict[tuple[int, str], Judgement] = {}
        lines: list[ScoreLine | None] = [None] * len(measurements)
        for version in dict.fromkeys(versions):
            chosen = [row for row in rows if versions[row] is version]
            judgements.update(_judge(measurements, version.policies, chosen))
            if version.scorecard is not None:
                scored = version.scorecard.score(measurements)
                for row in chosen:
                    lines[row] = scored[row]
        by_version = {
            id(v): {p.metric: p for p in v.policies} for v in dict.fromkeys(versions)
        }
        return Assessment(
            measurements=measurements,
            metrics=tuple(dict.fromkeys(m for p in by_version.values() for m in p)),
            policies=[by_version[id(v)] for v in versions],
            judgements=judgements,
            scores=lines,
        )
    chosen_policies = _check_policies(policies, "classify")
    scores: Sequence[ScoreLine | None] = (
        scorecard.score(measurements)
        if scorecard is not None
        else [None] * len(measurements)
    )
    in_force = {p.metric: p for p in chosen_policies}
    return Assessment(
        measurements=measurements,
        metrics=tuple(in_force),
        policies=[in_force] * len(measurements),
        judgements=_judge(measurements, chosen_policies, rows),
        scores=scores,
    )
