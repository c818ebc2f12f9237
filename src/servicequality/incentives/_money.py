"""Money: currencies, exact amounts and the one pool allocator."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs

from servicequality._errors import PolicyError, UnknownKeyError, WrongTypeError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["MINOR_UNITS", "Currency", "allocate", "as_money"]

MINOR_UNITS: dict[str, int] = {
    "AUD": 2,
    "BHD": 3,
    "BRL": 2,
    "CAD": 2,
    "CHF": 2,
    "CNY": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "IDR": 2,
    "INR": 2,
    "JPY": 0,
    "KRW": 0,
    "KWD": 3,
    "MOP": 2,
    "MXN": 2,
    "MYR": 2,
    "PHP": 2,
    "SGD": 2,
    "THB": 2,
    "TWD": 2,
    "USD": 2,
    "VND": 0,
}
"""ISO 4217 minor units (decimal places) of the currencies known by code."""


def as_money(owner: str, key: str, value: object) -> Decimal:
    """``value`` as an exact, finite :class:`~decimal.Decimal`.

    Accepts ``Decimal``, ``int`` and decimal strings such as ``"199.90"``;
    a ``float`` is refused because binary fractions are not exact money.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        rule = (
            "money must be a Decimal, an int or a decimal string such as "
            "'199.90' (never a float)"
        )
        raise WrongTypeError(owner, key, value, rule)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise PolicyError(owner, key, value, "is not a decimal number") from None
    if not amount.is_finite():
        raise PolicyError(owner, key, value, "must be finite")
    return amount


@attrs.frozen
class Currency:
    """A currency and the number of decimal places its amounts keep.

    Attributes:
        code: ISO 4217 code, e.g. ``"CNY"``.
        minor_unit: Decimal places (CNY and USD 2, JPY 0, KWD 3).

    Raises:
        PolicyError: for a code that is not three upper-case letters or a
            ``minor_unit`` outside 0..4.
    """

    code: str
    minor_unit: int

    def __attrs_post_init__(self) -> None:
        code, minor_unit = self.code, self.minor_unit
        if not (isinstance(code, str) and len(code) == 3 and code.isupper()):
            rule = "must be three upper-case letters"
            raise PolicyError("Currency", "code", code, rule)
        if (
            isinstance(minor_unit, bool)
            or not isinstance(minor_unit, int)
            or not 0 <= minor_unit <= 4
        ):
            rule = "must be a whole number 0..4"
            raise PolicyError("Currency", "minor_unit", minor_unit, rule)

    @classmethod
    def of(cls, code: str) -> Currency:
        """The currency with ISO code ``code`` from :data:`MINOR_UNITS`.

        Raises:
            PolicyError: for a code not in the table; build
                ``Currency(code, minor_unit)`` yourself for it.
        """
        if code not in MINOR_UNITS:
            rule = f"is not in MINOR_UNITS; use Currency({code!r}, minor_unit)"
            raise UnknownKeyError("Currency", "code", code, rule)
        return cls(code, MINOR_UNITS[code])

    @property
    def quantum(self) -> Decimal:
        """The smallest amount, e.g. ``Decimal("0.01")``."""
        return Decimal(1).scaleb(-self.minor_unit)

    def exact(self, owner: str, key: str, value: object) -> Decimal:
        """``value`` as money in this currency, refusing fractions of a minor unit.

        Raises:
            PolicyError: for a float, a non-number, or e.g. ``"0.005"`` in CNY.
        """
        amount = as_money(owner, key, value)
        if amount % self.quantum != 0:
            rule = f"{self.code} amounts are whole multiples of {self.quantum}"
            raise PolicyError(owner, key, value, rule)
        return amount.quantize(self.quantum)

    def round(self, amount: Decimal) -> Decimal:
        """``amount`` rounded half up to the minor unit (¥0.005 → ¥0.01)."""
        return amount.quantize(self.quantum, rounding=ROUND_HALF_UP)

    def format(self, amount: Decimal) -> str:
        """``amount`` with its code and thousands separators: ``CNY 1,234.50``."""
        return f"{self.code} {amount:,.{self.minor_unit}f}"


def _weight(index: int, value: object) -> Fraction:
    if isinstance(value, bool) or not isinstance(
        value, int | float | Decimal | Fraction
    ):
        raise WrongTypeError("allocate", f"weights[{index}]", value, "must be a number")
    if isinstance(value, float | Decimal) and not math.isfinite(value):
        raise PolicyError("allocate", f"weights[{index}]", value, "must be finite")
    exact = Fraction(value)
    if exact < 0:
        rule = "must not be negative"
        raise PolicyError("allocate", f"weights[{index}]", value, rule)
    return exact


def allocate(
    pool: Decimal, weights: Sequence[float | Decimal | Fraction], *, currency: Currency
) -> tuple[Decimal, ...]:
    """Split ``pool`` in proportion to ``weights``, exactly, by largest remainder.

    Each share starts as ``pool × weight / Σ weights`` rounded down to the
    minor unit; the minor units left over go one each to the largest
    remainders. Ties go to the larger weight, then to the earlier position.
    The shares add up to ``pool`` exactly. Weights are read exactly (a float
    as its binary value), so scaling every weight by the same factor
    changes nothing when the scaling is exact.

    Args:
        pool: A non-negative amount, a whole number of minor units.
        weights: Non-negative finite numbers, not all zero.
        currency: The currency whose minor unit the shares keep.

    Raises:
        PolicyError: for a bad pool or weight, no weights, or all weights 0.
    """
    total = currency.exact("allocate", "pool", pool)
    if total < 0:
        raise PolicyError("allocate", "pool", pool, "must not be negative")
    exact = [_weight(i, w) for i, w in enumerate(weights)]
    weight_sum = sum(exact, Fraction(0))
    if weight_sum == 0:
        rule = "must not all be 0 (or none): nothing to split by"
        raise PolicyError("allocate", "weights", weights, rule)
    units = int(total / currency.quantum)
    quotas = [units * w / weight_sum for w in exact]
    floors = [math.floor(q) for q in quotas]
    left = units - sum(floors)
    order = sorted(
        range(len(exact)), key=lambda i: (-(quotas[i] - floors[i]), -exact[i], i)
    )
    for i in order[:left]:
        floors[i] += 1
    return tuple(currency.quantum * f for f in floors)
