"""Plain-data helpers shared by the pay-cycle records (periods, money, instants)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from servicequality import _validators as v
from servicequality._periods import Period
from servicequality.incentives._money import MINOR_UNITS, Currency, as_money

if TYPE_CHECKING:
    from datetime import datetime
    from decimal import Decimal


def period_to_dict(period: Period) -> dict[str, str]:
    """A period as ``{"start", "end"}`` ISO 8601 strings (offsets kept)."""
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def period_from_dict(owner: str, field: str, data: object) -> Period:
    """Read :func:`period_to_dict` output."""
    plain = v.mapping(owner, data, ("start", "end"))
    return Period(
        start=v.instant(owner, f"{field}.start", plain["start"]),
        end=v.instant(owner, f"{field}.end", plain["end"]),
    )


def currency_to_dict(currency: Currency) -> str | dict[str, Any]:
    """A currency as its code, or ``{"code", "minor_unit"}`` for an unlisted one."""
    if MINOR_UNITS.get(currency.code) == currency.minor_unit:
        return currency.code
    return {"code": currency.code, "minor_unit": currency.minor_unit}


def currency_from_dict(owner: str, data: object) -> Currency:
    """Read :func:`currency_to_dict` output."""
    if isinstance(data, str):
        return Currency.of(data)
    plain = v.mapping(owner, data, ("code", "minor_unit"))
    return Currency(code=plain["code"], minor_unit=plain["minor_unit"])


def money_from_dict(owner: str, field: str, value: object) -> Decimal:
    """A decimal string (or int) read back as an exact amount."""
    return as_money(owner, field, value)


def instant_from_dict(owner: str, field: str, value: object) -> datetime:
    """An ISO 8601 string with an offset read back as an aware datetime."""
    return v.instant(owner, field, value)


def ids(owner: str, field: str, value: object) -> tuple[str, ...]:
    """A list of non-blank string ids."""
    return tuple(v.text(owner, field, x) for x in v.sequence(owner, field, value))
