"""The landed-cost kernel: what one unit of a SKU costs until it is in the buyer's hands in
one market by one fulfilment route, and the retail price that covers it.

Plain integers in, plain integers out; no database. Money is in minor units, rates in basis
points (1 bp = 0.01%), the exchange rate in micro-units (destination minor units per CNY are
derived from it). Every rounding is explicit: half-up for each cost line, up (ceiling) for
the price that must cover the costs, and the market's rule (x.99, whole units) once at the
end. `price_book.py` computes the same arithmetic over arrays; both must agree to the unit.

The price model (all routes):

    A  = costs that do not depend on the price (goods, freight, delivery, handling, FX
         buffer, duty fixed in advance) + the payment fee's fixed part
    P  = the net price of the goods (customs value of a B2C parcel; excludes VAT and duty)
    T  = P × (1 + d) × (1 + v): what the buyer pays, d = duty due on P, v = VAT/GST due on
         P + duty (at import, or at sale in the low-value schemes)
    P  = A + (margin + returns) × P + fee × T   →   P = A / (1 − margin − returns − fee(1+d)(1+v))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

BP = 10_000
MICRO = 1_000_000
MM3_PER_CBM = 1_000_000_000

ROUTES = ("9610", "9810", "9710", "domestic")


def div_half_up(numerator: int, denominator: int) -> int:
    """Round-half-up integer division for non-negative numerators."""
    return (2 * numerator + denominator) // (2 * denominator)


def div_up(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


@dataclass(frozen=True)
class Haul:
    """One rate card line: a charge per kg (with a volumetric divisor) or per cubic metre,
    plus a per-shipment charge shared by the units travelling together. CNY fen."""

    basis: str  # "kg" | "cbm" | "none"
    rate_fen: int = 0
    per_shipment_fen: int = 0
    shipment_units: int = 1
    volumetric_divisor: int | None = None  # cm³ per kg, e.g. 6000


@dataclass(frozen=True)
class Regime:
    """What a destination charges on the parcel (see pricing.rules for where each comes from)."""

    duty_bp: int = 0  # ad-valorem duty when duty is due (base + additional layers)
    vat_bp: int = 0  # import VAT/GST or sales VAT rate
    low_value_threshold: int | None = None  # intrinsic value at or under which relief applies
    duty_relief: bool = False  # low value: no ad-valorem duty
    flat_duty_per_item: int = 0  # low value: a flat duty per tariff subheading (EU from 2026-07)
    vat_at_sale: bool = False  # low value: VAT collected at checkout (IOSS, UK, AU)
    tax_free: bool = False  # low value: no VAT at all (JP small-amount exemption)
    cif: bool = False  # customs value includes the international freight
    vat_base_adds_freight: bool = False  # FOB countries that tax the freight too (AU)


@dataclass(frozen=True)
class Inputs:
    route: str
    supply_fen: int
    weight_g: int
    volume_mm3: int
    fx_micro: int  # destination minor units per 1 CNY fen, × 10^6 (see `fx_micro_of`)
    first_mile_per_kg_fen: int
    haul: Haul
    last_mile: int  # destination minor units (9810 and domestic)
    handling: int  # destination minor units per unit (overseas warehouse pick and pack)
    regime: Regime
    margin_bp: int
    returns_bp: int
    payment_fee_bp: int
    payment_fee_fixed: int
    fx_buffer_bp: int
    tax_inclusive: bool
    rounding: str  # "charm99" | "whole" | "none"
    exponent: int  # the destination currency's decimals


@dataclass(frozen=True)
class Breakdown:
    """One unit's landed cost and price, every line in destination minor units."""

    supply: int
    first_mile: int
    line_haul: int
    last_mile: int
    handling: int
    fx_buffer: int
    duty: int
    import_vat: int
    sales_vat: int
    payment_fee: int
    returns_allowance: int
    landed_cost: int
    margin: int
    net_price: int
    price: int  # what the buyer is shown and pays at checkout
    due_on_import: int  # DAP (9710): duty and import VAT the buyer pays at the border
    regime: str
    notes: tuple[str, ...] = field(default_factory=tuple)


def fx_micro_of(cny_to_destination: str | int | Decimal, exponent: int) -> int:
    """Destination minor units per CNY fen, × 10^6, from a rate in major units per CNY.

    Rates arrive as exact decimal strings; the product with 10^(exponent − 2) keeps JPY
    (0 decimals) and KWD (3) exact to a millionth of a minor unit."""
    value = Decimal(str(cny_to_destination)) * (Decimal(10) ** (exponent - 2)) * MICRO
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def convert(fen: int, fx_micro: int) -> int:
    return div_half_up(fen * fx_micro, MICRO)


def first_mile_fen(inputs: Inputs) -> int:
    return div_half_up(inputs.first_mile_per_kg_fen * inputs.weight_g, 1000)


def line_haul_fen(inputs: Inputs) -> int:
    haul = inputs.haul
    if haul.basis == "none":
        return 0
    shared = div_half_up(haul.per_shipment_fen, max(haul.shipment_units, 1))
    if haul.basis == "kg":
        chargeable_g = inputs.weight_g
        if haul.volumetric_divisor:
            # volumetric grams = cm³ / divisor × 1000 = mm³ / divisor
            chargeable_g = max(chargeable_g, div_up(inputs.volume_mm3, haul.volumetric_divisor))
        return div_half_up(haul.rate_fen * chargeable_g, 1000) + shared
    # sea and rail: weight or measure, one tonne counting as one cubic metre
    chargeable_mm3 = max(inputs.volume_mm3, inputs.weight_g * 1000)
    return div_half_up(haul.rate_fen * chargeable_mm3, MM3_PER_CBM) + shared


def round_price(amount: int, rule: str, exponent: int) -> int:
    """The market's price ending, always upwards so the price still covers its costs."""
    if rule == "none":
        return amount
    unit = 10**exponent
    if rule == "whole" or exponent == 0:
        return div_up(amount, unit) * unit
    if rule == "charm99":
        return div_up(amount + 1, unit) * unit - 1  # the next x.99 at or above the amount
    raise ValueError(f"unknown price rounding rule {rule!r}")


def landed_cost(inputs: Inputs) -> Breakdown:
    """The breakdown for one unit; the low-value regime when the price stays under its
    threshold, the full import regime otherwise."""
    regime = inputs.regime
    if inputs.route == "9610" and regime.low_value_threshold is not None:
        low = _priced(inputs, low_value=True)
        if low.net_price <= regime.low_value_threshold:
            return low
        return _priced(
            inputs,
            low_value=False,
            note=f"over the low-value threshold ({regime.low_value_threshold})",
        )
    return _priced(inputs, low_value=False)


def price_at(inputs: Inputs, *, low_value: bool, note: str = "") -> Breakdown:
    """The breakdown under a regime chosen by the caller (a basket decides it on its total)."""
    return _priced(inputs, low_value=low_value, note=note)


def _priced(inputs: Inputs, *, low_value: bool, note: str = "") -> Breakdown:
    regime, route = inputs.regime, inputs.route
    supply = convert(inputs.supply_fen, inputs.fx_micro)
    first_mile = convert(first_mile_fen(inputs), inputs.fx_micro)
    haul = convert(line_haul_fen(inputs), inputs.fx_micro)
    last_mile = inputs.last_mile if route in ("9810", "domestic") else 0
    handling = inputs.handling if route == "9810" else 0
    fx_buffer = div_half_up((supply + first_mile + haul) * inputs.fx_buffer_bp, BP)
    goods_value = supply + first_mile + (haul if regime.cif else 0)

    duty_on_price_bp, vat_bp, fixed_duty, name = _charges(inputs, low_value, goods_value)
    base = supply + first_mile + haul + last_mile + handling + fx_buffer + fixed_duty
    price_factor = (BP + duty_on_price_bp) * (BP + vat_bp)  # scale BP²
    k = (inputs.margin_bp + inputs.returns_bp) * BP * BP + inputs.payment_fee_bp * price_factor
    scale = BP**3
    if k >= scale:
        raise ValueError("margin, returns and fees take the whole price")
    net = div_up((base + inputs.payment_fee_fixed) * scale, scale - k)

    if inputs.tax_inclusive or vat_bp == 0:
        shown = div_up(net * price_factor, BP * BP)
    else:  # a tax-exclusive market shows the price with duty but before VAT
        shown = div_up(net * (BP + duty_on_price_bp), BP)
    price = round_price(shown, inputs.rounding, inputs.exponent)
    # back out the net price from the rounded shown price, so the lines add up exactly
    if inputs.tax_inclusive or vat_bp == 0:
        net = div_half_up(price * BP * BP, price_factor)
        duty = div_half_up(net * duty_on_price_bp, BP)
        vat = price - net - duty
        vat_in_price = vat
    else:  # VAT or sales tax is added on top at checkout: not the platform's cost
        net = div_half_up(price * BP, BP + duty_on_price_bp)
        duty = price - net
        vat = div_half_up((net + duty) * vat_bp, BP)
        vat_in_price = 0
    payment_fee = div_half_up(price * inputs.payment_fee_bp, BP) + inputs.payment_fee_fixed
    returns = div_half_up(net * inputs.returns_bp, BP)
    import_vat, sales_vat = (0, vat) if _vat_at_sale(inputs, low_value) else (vat, 0)
    due_on_import = 0
    if route == "9710":
        due_on_import = _dap_charges(inputs, goods_value, haul)
    landed = (
        supply
        + first_mile
        + haul
        + last_mile
        + handling
        + fx_buffer
        + fixed_duty
        + duty
        + vat_in_price
        + payment_fee
        + returns
    )
    return Breakdown(
        supply=supply,
        first_mile=first_mile,
        line_haul=haul,
        last_mile=last_mile,
        handling=handling,
        fx_buffer=fx_buffer,
        duty=duty + fixed_duty,
        import_vat=import_vat,
        sales_vat=sales_vat,
        payment_fee=payment_fee,
        returns_allowance=returns,
        landed_cost=landed,
        margin=price - landed,
        net_price=net,
        price=price,
        due_on_import=due_on_import,
        regime=name,
        notes=(note,) if note else (),
    )


def regime_name(inputs: Inputs, *, low_value: bool) -> str:
    return _charges(inputs, low_value, 0)[3]


def _vat_at_sale(inputs: Inputs, low_value: bool) -> bool:
    if inputs.route in ("9810", "domestic"):
        return True  # sold from stock already in the country: VAT on the sale
    return low_value and inputs.regime.vat_at_sale


def _charges(inputs: Inputs, low_value: bool, goods_value: int) -> tuple[int, int, int, str]:
    """(duty bp on the price, VAT bp on price + duty, duty fixed in advance, regime name)."""
    regime, route = inputs.regime, inputs.route
    if route == "domestic":
        return 0, regime.vat_bp, 0, "domestic sale: VAT in the price"
    if route == "9710":
        return 0, 0, 0, "B2B direct export, DAP: the buyer pays duty and import VAT"
    if route == "9810":
        duty = div_half_up(goods_value * regime.duty_bp, BP)
        return (
            0,
            regime.vat_bp,
            duty,
            "stock imported to an overseas warehouse: duty at import, VAT on the sale",
        )
    if low_value:
        duty_bp = 0 if (regime.duty_relief or regime.flat_duty_per_item) else regime.duty_bp
        vat_bp = 0 if regime.tax_free else regime.vat_bp
        if regime.tax_free:
            name = "low value: duty and tax exempt"
        elif regime.vat_at_sale:
            name = "low value: VAT collected at checkout"
        else:
            name = "low value: duty relief, VAT at import"
        if regime.flat_duty_per_item:
            name += ", flat duty per item"
        return duty_bp, vat_bp, regime.flat_duty_per_item, name
    return (
        regime.duty_bp,
        regime.vat_bp,
        0,
        "delivered duty paid: duty and VAT collected at checkout",
    )


def _dap_charges(inputs: Inputs, goods_value: int, haul: int) -> int:
    regime = inputs.regime
    duty = div_half_up(goods_value * regime.duty_bp, BP)
    vat_base = goods_value + duty + (haul if regime.vat_base_adds_freight and not regime.cif else 0)
    return duty + div_half_up(vat_base * regime.vat_bp, BP)
