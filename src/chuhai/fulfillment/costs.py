"""What a shipment costs the platform, in CNY, for the ledger: the carrier's charge and the
warehouse's handling.

The carrier's charge comes from the pricing rule book the quotes already use, so the books
and the landed cost agree: a parcel from China to a market abroad pays the 9610 express
rate card (per kg of actual weight, rounded half up to the fen, plus the per-parcel charge;
a shipment records no dimensions, so no volumetric weight); a parcel from a warehouse in
its market (an overseas warehouse, or a domestic one in China) pays the last-mile band of
the destination for its weight. The warehouse's handling cost is its cost per unit x the
units. Both are converted into CNY at the shipment day's rate (`finance.service.convert_on`).

A missing or stale rate, or a destination no tariff covers, refuses the shipment (409,
naming what is missing) before the label is bought: the books would otherwise lose the cost
without anyone noticing. Load the day's rates (or add the tariff) and ship again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chuhai.core.context import Context
from chuhai.core.errors import Conflict
from chuhai.core.money import Money
from chuhai.finance import service as finance
from chuhai.finance.fx import rate_text
from chuhai.pricing import service as pricing
from chuhai.pricing.rules import RuleBook, RuleMissing

CNY = "CNY"
EXPORT_ROUTE = "9610"  # a parcel from China to a buyer abroad


@dataclass(frozen=True)
class CostInCny:
    """One cost: as charged, and in CNY with the rate used (None when charged in CNY)."""

    original: Money
    fen: int
    rate: str | None = None
    rate_on: date | None = None
    rate_source: str | None = None

    def as_event(self) -> dict[str, object]:
        """Plain data for the ledger's event."""
        return {
            "amount": self.fen,
            "original_amount": self.original.amount_minor,
            "original_currency": self.original.currency,
            "rate": self.rate,
            "rate_on": self.rate_on,
            "rate_source": self.rate_source,
        }


def carrier_charge(book: RuleBook, origin: str, destination: str, weight_g: int) -> Money:
    """The carrier's charge for one parcel, in the tariff's currency.

    Raises:
        RuleMissing: no rate card or last-mile band covers the route and weight.
    """
    if origin == "CN" and destination != "CN":
        card = book.rate_card(EXPORT_ROUTE, destination).data
        per_kg, per_parcel = int(card["rate"]), int(card["per_shipment"])
        # half up, once: the kernel's rounding (pricing.landed_cost)
        return Money((per_kg * weight_g + 500) // 1000 + per_parcel, card["currency"])
    bands = sorted(
        (r.data for r in book.by_kind["last_mile"] if r.data["market_code"] == destination),
        key=lambda band: band["max_weight_g"],
    )
    for band in bands:
        if weight_g <= band["max_weight_g"]:
            return Money(int(band["price"]), band["currency"])
    raise RuleMissing(f"no last-mile band for {weight_g:,} g to {destination} on {book.on}")


def in_cny(ctx: Context, amount: Money, on: date) -> CostInCny:
    """`amount` in CNY at the rate for `on`; FxRateMissing (409) when there is none."""
    if amount.currency == CNY:
        return CostInCny(amount, amount.amount_minor)
    conversion = finance.convert_on(ctx, amount, CNY, on)
    return CostInCny(
        amount,
        conversion.money.amount_minor,
        rate_text(conversion.rate),
        conversion.on,
        (conversion.derived_via or conversion.source)[:40],
    )


def shipment_costs(
    ctx: Context,
    *,
    origin: str,
    destination: str,
    weight_g: int,
    handling_per_unit: Money,
    units: int,
) -> tuple[CostInCny, CostInCny]:
    """(carrier, handling) of one shipment in CNY, at today's rules and rates.

    Raises:
        Conflict: no tariff covers the route (field "ship_to.country_code").
        FxRateMissing: no usable rate for a currency on the day (409).
    """
    on = ctx.now().date()
    try:
        charge = carrier_charge(pricing.rule_book(ctx.session, on), origin, destination, weight_g)
    except RuleMissing as missing:
        raise Conflict(
            f"{missing}: the carrier cost cannot be booked; add the tariff to the pricing rules",
            field="ship_to.country_code",
        ) from None
    handling = Money(handling_per_unit.amount_minor * units, handling_per_unit.currency)
    return in_cny(ctx, charge, on), in_cny(ctx, handling, on)
