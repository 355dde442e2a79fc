"""Exchange rates as a finance team uses them: which rate applies on a day, and how an amount
is converted with it. Pure: no database, no clock; the service hands in the stored rates.

Invariants:
- A rate is an exact `Decimal`, never a float: "1 unit of `base` buys `rate` units of `quote`".
- The rate for a day is the newest one published on or before it, and never one older than
  the age limit: a missing or stale rate is refused (`FxRateMissing`) with the pair, the day,
  the limit and the newest date on record, so nobody silently prices with last month's rate.
- A rate that is not stored for the pair itself is derived, and the derivation is recorded
  in `FxRate.derived_via`: the inverse of the opposite pair, or a cross through a pivot
  currency (EUR, whose rates the ECB publishes, then CNY, which Chinese banks quote against).
- A conversion rounds exactly once, to the quote currency's minor unit, half up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, InvalidOperation

from chuhai.core.errors import Conflict, ValidationFailed
from chuhai.core.money import Money, currency_exponent

ECB = "ECB"
# the pseudo-source of the rate between a currency and itself
IDENTITY = "identity"
# cross rates go through these, in this order of preference: the ECB publishes every rate
# against EUR; Chinese banks (Bank of China, SAFE's central parity) quote against CNY
PIVOTS: tuple[str, ...] = ("EUR", "CNY")

MAX_RATE_DIGITS = 20  # significant digits a stored rate may have
MAX_RATE_DECIMALS = 12  # decimal places a stored rate may have
MAX_RATE_WHOLE_DIGITS = 12  # digits before the decimal point (1 EUR is about 50,000 IRR)
# Derived rates (1/r, r1/r2) are kept to 20 significant digits: a relative error under
# 5e-21, so even an amount of 10^18 minor units moves by less than 0.005 of a minor unit
# before the conversion's own rounding. The rate is not money, so its own rounding is
# half-even (no bias), unlike the one rounding of an amount.
_DERIVED = Context(prec=MAX_RATE_DIGITS, rounding=ROUND_HALF_EVEN)
_SOURCE = re.compile(r"^[A-Z][A-Z0-9_-]{0,15}$")


class FxRateMissing(Conflict):
    """No usable rate for a pair on a day: none on record, or only older than the limit."""

    code = "fx-rate-missing"
    title = "No exchange rate for the day"

    def __init__(
        self, base: str, quote: str, on: date, max_age_days: int, newest: date | None
    ) -> None:
        seen = f"newest: {newest.isoformat()}" if newest else "none on record"
        super().__init__(
            f"no {base}→{quote} rate on or before {on.isoformat()} "
            f"within {_days(max_age_days)} ({seen})",
            pair=f"{base}/{quote}",
            base=base,
            quote=quote,
            on=on.isoformat(),
            max_age_days=max_age_days,
            newest=newest.isoformat() if newest else None,
        )
        self.base = base
        self.quote = quote
        self.on = on
        self.max_age_days = max_age_days
        self.newest = newest


@dataclass(frozen=True)
class FxRate:
    """One unit of `base` buys `rate` units of `quote`, as published (or derived) for `on`.

    `source` names the publisher ("ECB", or the source an import gave, e.g. "BOC"); a cross
    of two sources names both ("ECB+BOC"). `derived_via` says how a rate not stored for this
    pair was computed, with the stored rates and dates it came from; None for a stored rate.
    """

    base: str
    quote: str
    rate: Decimal
    on: date
    source: str
    derived_via: str | None = None

    @property
    def pair(self) -> str:
        return f"{self.base}→{self.quote}"

    def age_days(self, today: date) -> int:
        return (today - self.on).days

    def describe(self) -> str:
        """The stored rate as one line of its derivation: "EUR→CNY 7.4326 (ECB 2026-10-30)"."""
        return f"{self.pair} {rate_text(self.rate)} ({self.source} {self.on.isoformat()})"

    def inverse(self) -> FxRate:
        return FxRate(
            base=self.quote,
            quote=self.base,
            rate=_DERIVED.divide(Decimal(1), self.rate),
            on=self.on,
            source=self.source,
            derived_via=f"1 / {self.describe()}",
        )


@dataclass(frozen=True)
class Conversion:
    """An amount converted at a rate, with what it was converted at (for the record)."""

    money: Money  # the converted amount, in the quote currency
    original: Money  # the amount given, in the base currency
    rate: Decimal
    on: date  # the rate's date, not the day asked for
    source: str
    derived_via: str | None = None


def convert(amount: Money, quote: str, rate: FxRate) -> Conversion:
    """`amount` (in `rate.base`) in `quote`, rounded once to `quote`'s minor unit.

    Raises:
        ValidationFailed: the rate is not for `amount.currency` → `quote`.
    """
    if amount.currency != rate.base or quote != rate.quote:
        raise ValidationFailed.one(
            "currency",
            f"a {rate.pair} rate cannot convert {amount.currency} to {quote}",
        )
    shift = currency_exponent(quote) - currency_exponent(amount.currency)
    minor = Decimal(amount.amount_minor)
    # exact arithmetic: enough digits that the product is never rounded before the one
    # rounding below (the default context's 28 digits could round a large amount silently)
    exact = Context(prec=len(minor.as_tuple().digits) + MAX_RATE_DIGITS + abs(shift) + 2)
    value = exact.multiply(minor, rate.rate).scaleb(shift, exact)
    # The one rounding: half up (ties away from zero), as banks, invoices and the euro
    # conversion rules (Council Regulation (EC) No 1103/97, art. 5) round an amount, and as a
    # person checking it by hand would. Half-even would be unbiased over many amounts but
    # surprises on a single one; ties away from zero also make a refund convert to exactly
    # the negative of its charge.
    converted = int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return Conversion(
        money=Money(converted, quote),
        original=amount,
        rate=rate.rate,
        on=rate.on,
        source=rate.source,
        derived_via=rate.derived_via,
    )


def parse_rate(text: str, field: str = "rate") -> Decimal:
    """A positive exact decimal rate from text ("7.4326"); refuses floats' rounding errors.

    Raises:
        ValidationFailed: not a number, not positive, or more digits than a rate may have.
    """
    raw = text.strip() if isinstance(text, str) else ""
    if not raw:
        raise ValidationFailed.one(field, "give the rate")
    if "," in raw:
        raise ValidationFailed.one(
            field, f"{raw!r} has a comma; write the rate with a decimal point, e.g. 7.1234"
        )
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationFailed.one(field, f"{raw!r} is not a number") from None
    if not value.is_finite():
        raise ValidationFailed.one(field, f"{raw!r} is not a number")
    if value <= 0:
        raise ValidationFailed.one(field, f"must be greater than zero, got {raw}")
    shape = value.normalize().as_tuple()
    exponent = int(shape.exponent)
    if -exponent > MAX_RATE_DECIMALS:
        raise ValidationFailed.one(field, f"at most {MAX_RATE_DECIMALS} decimal places, got {raw}")
    if len(shape.digits) > MAX_RATE_DIGITS:
        raise ValidationFailed.one(field, f"at most {MAX_RATE_DIGITS} digits, got {raw}")
    if len(shape.digits) + exponent > MAX_RATE_WHOLE_DIGITS:
        raise ValidationFailed.one(
            field, f"at most {MAX_RATE_WHOLE_DIGITS} digits before the decimal point, got {raw}"
        )
    return value


def rate_text(rate: Decimal) -> str:
    """The rate as plain decimal text, without trailing zeros or an exponent: "7.4326", "136"."""
    return format(rate.normalize(), "f")


def check_source(source: str, field: str = "source") -> str:
    if not isinstance(source, str) or not _SOURCE.match(source):
        raise ValidationFailed.one(
            field, "a source is 1-16 upper-case letters, digits, '-' or '_', e.g. BOC"
        )
    return source


def best_rate(
    base: str,
    quote: str,
    on: date,
    known: Iterable[FxRate],
    max_age_days: int | None,
) -> FxRate | None:
    """The rate that applies to `base`→`quote` on `on`, from the stored rates in `known`.

    Only rates dated on or before `on`, and no more than `max_age_days` before it (any age
    when None), count. Routes, in order of preference when their dates tie: the stored pair,
    the inverse of the opposite pair, a cross through each of `PIVOTS`. The newest route
    wins; a cross is as old as its older leg. For one pair and date, a rate a person imported
    (any source but ECB) wins over the ECB's reference rate, and sources tie-break by name.
    Returns None when no route is left.
    """
    if base == quote:
        return FxRate(base, quote, Decimal(1), on, IDENTITY)
    newest = _newest_per_pair(known, on, max_age_days)
    routes: list[tuple[date, int, FxRate]] = []
    for rank, route in enumerate(_routes(base, quote, newest)):
        if route is not None:
            routes.append((route.on, -rank, route))
    if not routes:
        return None
    return max(routes, key=lambda found: found[:2])[2]


def _routes(base: str, quote: str, newest: dict[tuple[str, str], FxRate]) -> list[FxRate | None]:
    routes = [_one_way(base, quote, newest)]
    for pivot in PIVOTS:
        if pivot in (base, quote):
            continue
        to_base = _one_way(pivot, base, newest)
        to_quote = _one_way(pivot, quote, newest)
        if to_base is None or to_quote is None:
            routes.append(None)
            continue
        sources = dict.fromkeys((to_quote.source, to_base.source))
        routes.append(
            FxRate(
                base=base,
                quote=quote,
                rate=_DERIVED.divide(to_quote.rate, to_base.rate),
                on=min(to_base.on, to_quote.on),
                source="+".join(sources),
                derived_via=f"{_leg(to_quote)} / {_leg(to_base)}",
            )
        )
    return routes


def _one_way(base: str, quote: str, newest: dict[tuple[str, str], FxRate]) -> FxRate | None:
    """The stored base→quote rate, or the inverse of quote→base, whichever is newer."""
    direct = newest.get((base, quote))
    opposite = newest.get((quote, base))
    if opposite is not None and (direct is None or opposite.on > direct.on):
        return opposite.inverse()
    return direct


def _leg(rate: FxRate) -> str:
    return f"({rate.derived_via})" if rate.derived_via else rate.describe()


def _newest_per_pair(
    known: Iterable[FxRate], on: date, max_age_days: int | None
) -> dict[tuple[str, str], FxRate]:
    usable: dict[tuple[str, str], list[FxRate]] = {}
    for rate in known:
        age = (on - rate.on).days
        if age >= 0 and (max_age_days is None or age <= max_age_days):
            usable.setdefault((rate.base, rate.quote), []).append(rate)
    return {pair: min(rates, key=_preference) for pair, rates in usable.items()}


def _preference(rate: FxRate) -> tuple[int, bool, str]:
    """Sorts first the rate to use: the newest; on one date an imported rate before the
    ECB's (finance imported it to be used); then by source name, so the choice is stable."""
    return -rate.on.toordinal(), rate.source == ECB, rate.source


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"
