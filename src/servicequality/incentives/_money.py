"""Money: currencies, exact amounts and the one pool allocator.

All decimal arithmetic runs in the library's own :data:`decimal.Context`
(:func:`money_context`), so the caller's context (a precision of 6, traps)
never changes an amount.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Iterable
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_DOWN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import attrs
import numpy as np

from servicequality._errors import PolicyError, UnknownKeyError, WrongTypeError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from contextlib import AbstractContextManager

__all__ = [
    "MAX_AMOUNT",
    "MINOR_UNITS",
    "Currency",
    "allocate",
    "as_money",
    "in_money_context",
    "money_context",
    "policy_error",
]

P = ParamSpec("P")
R = TypeVar("R")

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

MAX_AMOUNT = Decimal("1E+26")
"""Every amount of money is smaller than this in absolute value (10**26)."""

_CONTEXT = Context(
    prec=80,
    rounding=ROUND_HALF_UP,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)


def money_context() -> AbstractContextManager[Context]:
    """The library's decimal context, whatever the caller's is.

    80 significant digits, half-up rounding, traps for invalid operations,
    division by zero and overflow: with amounts below :data:`MAX_AMOUNT`
    and at most 4 decimal places, sums and products of a plan stay exact.
    """
    return localcontext(_CONTEXT)


def in_money_context(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` run in :func:`money_context`, whatever the caller's context."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with money_context():
            return function(*args, **kwargs)

    return run


def policy_error(owner: str, field: str, value: object, rule: str) -> PolicyError:
    """A :class:`PolicyError` carrying owner, field, value and rule."""
    error = PolicyError.__new__(PolicyError)
    super(PolicyError, error).__init__(owner, field, value, rule)
    return error


def as_money(owner: str, key: str, value: object) -> Decimal:
    """``value`` as an exact, finite :class:`~decimal.Decimal`.

    Accepts ``Decimal``, ``int`` and decimal strings such as ``"199.90"``;
    a ``float`` is refused because binary fractions are not exact money.

    Raises:
        WrongTypeError: for any other type (a float, a bool, None).
        PolicyError: for a string that is not a decimal number, a NaN or an
            infinity, or an amount of :data:`MAX_AMOUNT` or more.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise WrongTypeError(
            owner,
            key,
            value,
            "money must be a Decimal, an int or a decimal string such as "
            "'199.90' (never a float)",
        )
    try:
        amount = (
            _CONTEXT.create_decimal(value) if not isinstance(value, Decimal) else value
        )
    except (InvalidOperation, ValueError):
        raise policy_error(owner, key, value, "not a decimal number") from None
    if not amount.is_finite():
        raise policy_error(owner, key, value, "must be finite")
    if amount.copy_abs() >= MAX_AMOUNT:
        raise policy_error(owner, key, value, f"must be smaller than {MAX_AMOUNT}")
    return amount


def _code(value: object) -> str:
    if not isinstance(value, str):
        raise WrongTypeError("Currency", "code", value, "must be a str")
    if not (len(value) == 3 and value.isascii() and value.isupper()):
        raise policy_error(
            "Currency", "code", value, "must be three upper-case letters"
        )
    return value


def _minor_unit(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise WrongTypeError(
            "Currency", "minor_unit", value, "must be a whole number 0..4"
        )
    if not 0 <= value <= 4:
        raise policy_error(
            "Currency", "minor_unit", value, "must be a whole number 0..4"
        )
    return value


@attrs.frozen(kw_only=True)
class Currency:
    """A currency and the number of decimal places its amounts keep.

    Attributes:
        code: ISO 4217 code, e.g. ``"CNY"``.
        minor_unit: Decimal places (CNY and USD 2, JPY 0, KWD 3).

    Raises:
        WrongTypeError: for a code that is not a ``str`` or a ``minor_unit``
            that is not an ``int``.
        PolicyError: for a code that is not three upper-case letters or a
            ``minor_unit`` outside 0..4.
    """

    code: str = attrs.field(validator=lambda _i, _a, v: _code(v))
    minor_unit: int = attrs.field(validator=lambda _i, _a, v: _minor_unit(v))

    @classmethod
    def of(cls, code: str) -> Currency:
        """The currency with ISO code ``code`` from :data:`MINOR_UNITS`.

        Raises:
            WrongTypeError: for a code that is not a ``str``.
            UnknownKeyError: for a code not in the table; build
                ``Currency(code=..., minor_unit=...)`` yourself for it.
        """
        if not isinstance(code, str):
            raise WrongTypeError("Currency", "code", code, "must be a str")
        if code not in MINOR_UNITS:
            raise UnknownKeyError(
                "Currency",
                "code",
                code,
                f"is not in MINOR_UNITS; use Currency(code={code!r}, minor_unit=...)",
            )
        return cls(code=code, minor_unit=MINOR_UNITS[code])

    @classmethod
    def coerce(cls, value: object) -> Currency:
        """``value`` if it is a :class:`Currency`, else :meth:`of` its code.

        Raises:
            WrongTypeError: for anything but a ``Currency`` or a ``str``.
            PolicyError: for a code not in :data:`MINOR_UNITS`.
        """
        if isinstance(value, Currency):
            return value
        if not isinstance(value, str):
            raise WrongTypeError(
                "Currency",
                "code",
                value,
                f"must be a Currency or an ISO code, not {type(value).__name__}",
            )
        return cls.of(value)

    @property
    def quantum(self) -> Decimal:
        """The smallest amount, e.g. ``Decimal("0.01")``."""
        return Decimal(1).scaleb(-self.minor_unit, context=_CONTEXT)

    def exact(self, owner: str, key: str, value: object) -> Decimal:
        """``value`` as money in this currency, refusing fractions of a minor unit.

        Raises:
            PolicyError: for a float or another type that is not money, a
                non-number, an amount of :data:`MAX_AMOUNT` or
                more, or e.g. ``"0.005"`` in CNY.
        """
        amount = as_money(owner, key, value)
        rounded = amount.quantize(self.quantum, rounding=ROUND_DOWN, context=_CONTEXT)
        if _CONTEXT.compare(rounded, amount) != 0:
            raise policy_error(
                owner,
                key,
                value,
                f"{self.code} amounts are whole multiples of {self.quantum}",
            )
        return rounded

    def round(self, amount: Decimal) -> Decimal:
        """``amount`` rounded half up to the minor unit (¥0.005 → ¥0.01)."""
        return amount.quantize(self.quantum, rounding=ROUND_HALF_UP, context=_CONTEXT)

    def format(self, amount: Decimal) -> str:
        """``amount`` with its code and thousands separators: ``CNY 1,234.50``."""
        with money_context():
            return f"{self.code} {self.round(amount):,.{self.minor_unit}f}"


def _refused(index: int, value: object, rule: str) -> PolicyError:
    return policy_error("allocate", f"weights[{index}]", value, rule)


def _ratio(index: int, value: object) -> tuple[int, int]:
    """An exact ``(numerator, denominator)`` of a non-negative finite weight."""
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, numbers.Real | Decimal
    ):
        raise WrongTypeError(
            "allocate",
            f"weights[{index}]",
            value,
            "must be a real number (int, float, Decimal, Fraction or numpy)",
        )
    if isinstance(value, numbers.Rational):
        ratio = (int(value.numerator), int(value.denominator))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise _refused(index, value, "must be finite")
        ratio = value.as_integer_ratio()
    else:
        try:
            ratio = _float_ratio(value)
        except (OverflowError, ValueError):
            raise _refused(index, value, "must be finite") from None
    if ratio[0] < 0:
        raise _refused(index, value, "must not be negative")
    return ratio


def _float_ratio(value: Any) -> tuple[int, int]:
    """Exact ratio of a float-like real; other reals are read as their float."""
    if isinstance(value, np.floating) and not isinstance(value, np.longdouble):
        value = float(value)
    exact = getattr(value, "as_integer_ratio", None)
    numerator, denominator = exact() if exact else float(value).as_integer_ratio()
    return int(numerator), int(denominator)


def _scaled(weights: object) -> list[int]:
    """Integers proportional to ``weights``, exactly."""
    if isinstance(weights, np.ndarray) and weights.ndim == 1:
        if weights.dtype.kind in "iu":
            if weights.dtype.kind == "i" and len(weights) and weights.min() < 0:
                at = int(np.argmax(weights < 0))
                raise _refused(at, weights[at].item(), "must not be negative")
            return [int(w) for w in weights.tolist()]
        if weights.dtype.kind == "f" and weights.dtype.itemsize <= 8:
            return _scaled_floats(weights.astype(np.float64))
        weights = list(weights)  # scalars keep their exact value (longdouble)
    if isinstance(weights, str | bytes) or not isinstance(weights, Iterable):
        raise WrongTypeError(
            "allocate", "weights", weights, "must be a sequence of real numbers"
        )
    listed = list(weights)
    kinds = {type(w) for w in listed}
    if kinds == {float}:
        return _scaled_floats(np.array(listed, dtype=np.float64))
    if kinds == {int} and min(listed) >= 0:
        return listed
    ratios = [_ratio(i, w) for i, w in enumerate(listed)]
    denominators = {d for _, d in ratios}
    if denominators <= {1}:
        return [n for n, _ in ratios]
    common = math.lcm(*denominators)
    return [n * (common // d) for n, d in ratios]


def _scaled_floats(weights: np.ndarray[Any, np.dtype[np.float64]]) -> list[int]:
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        at = int(np.argmax(bad))
        value = float(weights[at])
        rule = "must not be negative" if value < 0 else "must be finite"
        raise _refused(at, value, rule)
    mantissa, exponent = np.frexp(weights)
    whole = (mantissa * 2.0**53).astype(np.int64)
    exponent = exponent.astype(np.int64) - 53
    exponent[whole == 0] = exponent.max(initial=0)
    lowest = int(exponent.min(initial=0))
    shifts = (exponent - lowest).tolist()
    return [m << s for m, s in zip(whole.tolist(), shifts, strict=True)]


def allocate(
    pool: Decimal,
    weights: Sequence[object] | np.ndarray[Any, Any],
    *,
    currency: Currency | str,
) -> tuple[Decimal, ...]:
    """Split ``pool`` in proportion to ``weights``, exactly, by largest remainder.

    Each share starts as ``pool × weight / Σ weights`` rounded down to the
    minor unit; the minor units left over go one each to the largest
    remainders. Ties go to the larger weight, then to the earlier position.
    The shares add up to ``pool`` exactly and each keeps the currency's
    decimal places. Weights are read exactly (a float as its binary value),
    so scaling every weight by the same factor changes nothing when the
    scaling is exact. The caller's decimal context plays no part.

    Args:
        pool: A non-negative amount, a whole number of minor units, below
            :data:`MAX_AMOUNT`.
        weights: Non-negative finite real numbers, not all zero: ``int``,
            ``float``, ``Decimal``, ``Fraction``, numpy scalars or a numpy
            array of integers or floats.
        currency: The currency whose minor unit the shares keep, or its
            ISO code from :data:`MINOR_UNITS`.

    Raises:
        WrongTypeError: for a weight that is not a real number (a bool, a
            string) or a currency that is neither a ``Currency`` nor a code.
        PolicyError: for a bad pool or weight (negative, NaN, signalling
            NaN, infinite), no weights, or all weights 0.
    """
    money = Currency.coerce(currency)
    total = money.exact("allocate", "pool", pool)
    if total < 0:
        raise policy_error("allocate", "pool", pool, "must not be negative")
    scaled = _scaled(weights)
    weight_sum = sum(scaled)
    if weight_sum == 0:
        raise policy_error(
            "allocate",
            "weights",
            weights,
            "must not all be 0 (or none): nothing to split by",
        )
    units = int(total.scaleb(money.minor_unit, context=_CONTEXT))
    if max(units, 1) * weight_sum < _INT64:
        floors = _small(units, np.array(scaled, dtype=np.int64), weight_sum)
    else:
        floors = _large(units, scaled, weight_sum)
    suffix = f"E-{money.minor_unit}"
    return tuple(Decimal(f"{f}{suffix}") for f in floors)


_INT64 = 2**63


def _small(
    units: int, scaled: np.ndarray[Any, np.dtype[np.int64]], total: int
) -> list[int]:
    """Largest remainder in int64: ``units × Σ weights`` fits."""
    product = scaled * units
    floors, remainders = np.divmod(product, total)
    left = units - int(floors.sum())
    if left:
        order = np.lexsort((np.arange(len(scaled)), -scaled, -remainders))
        floors[order[:left]] += 1
    return [int(f) for f in floors.tolist()]


def _large(units: int, scaled: list[int], total: int) -> list[int]:
    """Largest remainder in Python integers, for any size."""
    pairs = [divmod(units * w, total) for w in scaled]
    floors = [q for q, _ in pairs]
    left = units - sum(floors)
    for i in _largest([r for _, r in pairs], scaled, total, left):
        floors[i] += 1
    return floors


def _largest(
    remainders: list[int], scaled: list[int], total: int, count: int
) -> list[int]:
    """Positions of the ``count`` largest remainders; ties: larger weight, earlier.

    Floats of ``remainder / total`` (correctly rounded, so never out of
    order) pick the clear winners; only the float tie at the boundary is
    ranked exactly.
    """
    if count <= 0:
        return []
    near = np.array([r / total for r in remainders])
    order = np.argsort(-near, kind="stable")
    boundary = near[order[count - 1]]
    clear = np.flatnonzero(near > boundary)
    tied = np.flatnonzero(near == boundary).tolist()
    want = count - len(clear)
    exact_rank = {v: k for k, v in enumerate(sorted({remainders[i] for i in tied}))}
    weight_rank = {v: k for k, v in enumerate(sorted({scaled[i] for i in tied}))}
    tied_order = np.lexsort(
        (
            np.array(tied, dtype=np.int64),
            -np.array([weight_rank[scaled[i]] for i in tied], dtype=np.int64),
            -np.array([exact_rank[remainders[i]] for i in tied], dtype=np.int64),
        )
    )
    chosen = [tied[k] for k in tied_order[:want].tolist()]
    return [*clear.tolist(), *chosen]
