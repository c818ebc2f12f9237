"""Difficulty coefficients (难度系数): how much one conversation weighs."""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np

from servicequality import _validators as v
from servicequality._model import Difficulty

__all__ = ["DifficultyCoefficients"]


def _coefficient(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    v.finite_real(instance, attribute, value)
    if value <= 0 or not math.isfinite(value):
        v.fail(instance, attribute.name, value, "must be a positive, finite weight")


@attrs.frozen(kw_only=True)
class DifficultyCoefficients:
    """Points one conversation earns by difficulty (S4 §3.1: 1, 1.5, 2, 3).

    Attributes:
        basic: Weight of a basic question (基础咨询), default 1.
        complex: Weight of a complex question (复杂咨询), default 1.5.
        complaint: Weight of a complaint (投诉处理), default 2.
        crisis: Weight of a crisis (危机公关), default 3.

    Raises:
        ValidationError: for a weight that is not a positive finite number.
    """

    basic: float = attrs.field(default=1.0, validator=_coefficient)
    complex: float = attrs.field(default=1.5, validator=_coefficient)
    complaint: float = attrs.field(default=2.0, validator=_coefficient)
    crisis: float = attrs.field(default=3.0, validator=_coefficient)

    def of(self, difficulty: Difficulty) -> float:
        """The weight of one conversation of ``difficulty``."""
        return float(getattr(self, difficulty.name.lower()))

    def to_dict(self) -> dict[str, float]:
        """Plain data: ``{"basic": 1.0, "complex": 1.5, ...}``."""
        return {d.name.lower(): self.of(d) for d in Difficulty}

    @classmethod
    def from_dict(cls, data: object) -> DifficultyCoefficients:
        """Read :meth:`to_dict` output; a difficulty left out keeps its default.

        Raises:
            ValidationError: for an unknown key or a bad weight.
            WrongTypeError: for data that is not a mapping.
        """
        names = [d.name.lower() for d in Difficulty]
        return cls(**v.mapping("DifficultyCoefficients", data, (), names))

    def by_code(self) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Weights indexed by ``Difficulty.code`` (for vectorised look-up)."""
        return np.array([self.of(d) for d in Difficulty], dtype=np.float64)
