"""Hand-checkable landed costs: each case recomputes, from the packaged rule data and with
plain decimal arithmetic, every line of the breakdown the kernel gives.

One pair of shoes throughout (HS 6403.99, made in China): supply price 60.00 CNY (or a
dearer pair at 900.00 CNY to cross the low-value thresholds), 600 g, 300 × 200 × 100 mm.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import pytest

from chuhai.pricing.landed_cost import Inputs, fx_micro_of, landed_cost, round_price
from chuhai.pricing.rules import RuleBook, packaged_market_pricing, packaged_rules

ON = date(2026, 11, 28)
RATES = {"EUR": "0.1300", "GBP": "0.1100", "USD": "0.1400", "AUD": "0.2150", "JPY": "21.00"}
CURRENCY = {"DE": "EUR", "GB": "GBP", "US": "USD", "AU": "AUD", "JP": "JPY"}
EXPONENT = {"EUR": 2, "GBP": 2, "USD": 2, "AUD": 2, "JPY": 0}
WEIGHT_G, VOLUME_MM3 = 600, 300 * 200 * 100


def book(on: date = ON) -> RuleBook:
    rules, areas = packaged_rules()
    return RuleBook(rules, on, areas)


def settings(market: str) -> dict:
    return next(m for m in packaged_market_pricing() if m["market_code"] == market)


def inputs(market: str, route: str, supply_fen: int, on: date = ON) -> Inputs:
    rules = book(on)
    regime, _ = rules.import_regime(market, "CN", "640399", "shoes")
    s = settings(market)
    currency = CURRENCY[market]
    return Inputs(
        route=route,
        supply_fen=supply_fen,
        weight_g=WEIGHT_G,
        volume_mm3=VOLUME_MM3,
        fx_micro=fx_micro_of(RATES[currency], EXPONENT[currency]),
        first_mile_per_kg_fen=rules.haul("first_mile", market).rate_fen,
        haul=rules.haul(route, market),
        last_mile=rules.last_mile(market, WEIGHT_G),
        handling=s["handling"],
        regime=regime,
        margin_bp=s["margin_bp"],
        returns_bp=s["returns_bp"],
        payment_fee_bp=s["payment_fee_bp"],
        payment_fee_fixed=s["payment_fee_fixed"],
        fx_buffer_bp=s["fx_buffer_bp"],
        tax_inclusive=market != "US",
        rounding=s["rounding"],
        exponent=EXPONENT[currency],
    )


# --- the same arithmetic, by hand, in decimals --------------------------------------------------


def half_up(x: Decimal) -> int:
    return int(x.to_integral_value(rounding=ROUND_HALF_UP))


def up(x: Decimal) -> int:
    return int(x.to_integral_value(rounding=ROUND_CEILING))


def by_hand(
    market: str,
    route: str,
    supply_fen: int,
    *,
    duty: str,
    vat: str,
    flat_duty: int = 0,
    low_value: bool,
    cif: bool = True,
) -> dict[str, int]:
    """Every line of the model in the module docstring of pricing.landed_cost."""
    currency = CURRENCY[market]
    s = settings(market)
    to_minor = Decimal(RATES[currency]) * Decimal(10) ** (EXPONENT[currency] - 2)  # per fen
    rules = book()
    first_mile_fen = half_up(Decimal(rules.haul("first_mile", market).rate_fen) * WEIGHT_G / 1000)
    card = rules.rate_card(route, market).data
    if card["basis"] == "kg":
        chargeable_g = max(WEIGHT_G, up(Decimal(VOLUME_MM3) / card["volumetric_divisor"]))
        haul_fen = half_up(Decimal(card["rate"]) * chargeable_g / 1000)
    else:
        chargeable_cbm = Decimal(max(VOLUME_MM3, WEIGHT_G * 1000)) / 10**9
        haul_fen = half_up(Decimal(card["rate"]) * chargeable_cbm)
    haul_fen += half_up(Decimal(card["per_shipment"]) / card["shipment_units"])
    supply = half_up(supply_fen * to_minor)
    first_mile = half_up(first_mile_fen * to_minor)
    haul = half_up(haul_fen * to_minor)
    last_mile = rules.last_mile(market, WEIGHT_G) if route == "9810" else 0
    handling = s["handling"] if route == "9810" else 0
    fx_buffer = half_up(Decimal(supply + first_mile + haul) * s["fx_buffer_bp"] / 10000)
    d, v = Decimal(duty), Decimal(vat)
    fixed_duty = flat_duty
    if route == "9810":
        fixed_duty = half_up((supply + first_mile + (haul if cif else 0)) * d)
        d = Decimal(0)
    m, r, f = (Decimal(s[k]) / 10000 for k in ("margin_bp", "returns_bp", "payment_fee_bp"))
    a = supply + first_mile + haul + last_mile + handling + fx_buffer + fixed_duty
    net = up((a + s["payment_fee_fixed"]) / (1 - m - r - f * (1 + d) * (1 + v)))
    shown = up(net * (1 + d) * (1 + v))
    price = round_price(shown, s["rounding"], EXPONENT[currency])
    net = half_up(price / ((1 + d) * (1 + v)))
    duty_amount = half_up(net * d)
    vat_amount = price - net - duty_amount
    fee = half_up(price * f) + s["payment_fee_fixed"]
    returns = half_up(net * r)
    landed = (
        supply
        + first_mile
        + haul
        + last_mile
        + handling
        + fx_buffer
        + fixed_duty
        + duty_amount
        + vat_amount
        + fee
        + returns
    )
    return {
        "supply": supply,
        "first_mile": first_mile,
        "line_haul": haul,
        "last_mile": last_mile,
        "handling": handling,
        "fx_buffer": fx_buffer,
        "duty": duty_amount + fixed_duty,
        "vat": vat_amount,
        "payment_fee": fee,
        "returns_allowance": returns,
        "landed_cost": landed,
        "margin": price - landed,
        "net_price": net,
        "price": price,
        "low_value": low_value,
    }


def lines(b) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {
        "supply": b.supply,
        "first_mile": b.first_mile,
        "line_haul": b.line_haul,
        "last_mile": b.last_mile,
        "handling": b.handling,
        "fx_buffer": b.fx_buffer,
        "duty": b.duty,
        "vat": b.import_vat + b.sales_vat,
        "payment_fee": b.payment_fee,
        "returns_allowance": b.returns_allowance,
        "landed_cost": b.landed_cost,
        "margin": b.margin,
        "net_price": b.net_price,
        "price": b.price,
        "low_value": b.regime.startswith("low value"),
    }


# --- the rule data the cases rest on --------------------------------------------------------------


def test_the_rules_the_cases_use_say_what_the_law_says():
    rules = book()
    assert rules.duty("DE", "640399", "CN").rate_bp == 800  # EU CCT 6403: 8%
    assert rules.vat_bp("DE", "shoes") == 1900 and rules.vat_bp("GB", "shoes") == 2000
    assert rules.vat_bp("AU", "shoes") == 1000
    de = rules.regime("DE", "CN").data
    assert (de["vat_at_sale_threshold"], de["flat_duty_per_subheading"]) == (15000, 300)
    assert book(date(2026, 6, 30)).regime("DE", "CN").data["duty_free_threshold"] == 15000
    assert rules.regime("GB", "CN").data["vat_at_sale_threshold"] == 13500
    assert rules.regime("US", "CN").data["duty_free_threshold"] is None  # suspended
    assert rules.regime("AU", "CN").data["vat_at_sale_threshold"] == 100000
    assert rules.duty("AU", "640399", "CN").rate_bp == 0  # ChAFTA
    us = rules.duty("US", "640399", "CN")
    assert us.rate_bp == 1000 + 750 + 1000 + 1000  # MFN + 301 (List 4A) + IEEPA ×2


# --- the cases ----------------------------------------------------------------------------------

CASES = [
    # market, route, supply fen, duty, vat, flat duty, low value
    ("DE", "9610", 6000, "0", "0.19", 300, True),  # IOSS: VAT at sale, 3 EUR flat duty (2026-07)
    ("DE", "9610", 90000, "0.08", "0.19", 0, False),  # over 150 EUR: duty + import VAT
    ("GB", "9610", 6000, "0", "0.20", 0, True),  # ≤ 135 GBP: UK VAT at sale, duty relief
    ("GB", "9610", 90000, "0.08", "0.20", 0, False),  # over 135 GBP: duty and VAT at import
    ("US", "9610", 6000, "0.375", "0", 0, False),  # no de minimis: duty on every parcel
    ("AU", "9610", 6000, "0", "0.10", 0, True),  # GST at sale up to 1,000 AUD
    ("US", "9810", 6000, "0.375", "0", 0, False),  # container to a US warehouse: duty at import
]


@pytest.mark.parametrize(
    ("market", "route", "supply", "duty", "vat", "flat", "low"),
    CASES,
    ids=[
        "DE-under-150",
        "DE-over-150",
        "GB-under-135",
        "GB-over-135",
        "US-parcel",
        "AU-parcel",
        "US-9810-container",
    ],
)
def test_every_line_of_the_breakdown_matches_the_hand_computation(
    market, route, supply, duty, vat, flat, low
):
    computed = landed_cost(inputs(market, route, supply))
    cif = market != "US"
    assert lines(computed) == by_hand(
        market, route, supply, duty=duty, vat=vat, flat_duty=flat, low_value=low, cif=cif
    )
    assert computed.margin >= 0 and computed.price >= computed.landed_cost


def test_the_de_parcel_in_numbers():
    """The first case written out: 60.00 CNY of shoes sold in Germany on 2026-11-28."""
    b = landed_cost(inputs("DE", "9610", 6000))
    # 60.00 CNY × 0.13; 0.80 CNY/kg × 0.6 kg = 0.48 CNY; (17.00 + 58.00 × 0.75 kg) CNY × 0.13
    assert (b.supply, b.first_mile, b.line_haul) == (780, 6, 787)
    assert b.duty == 300  # the flat 3 EUR per subheading from 2026-07-01
    assert b.regime == "low value: VAT collected at checkout, flat duty per item"
    assert b.price % 100 == 99  # x.99
    assert b.sales_vat == b.price - b.net_price  # IOSS: the VAT is in the shown price


def test_before_july_2026_the_same_parcel_pays_no_duty():
    b = landed_cost(inputs("DE", "9610", 6000, on=date(2026, 6, 30)))
    assert b.duty == 0
    assert b.regime == "low value: VAT collected at checkout"


def test_the_us_price_is_shown_before_sales_tax_and_includes_duty():
    b = landed_cost(inputs("US", "9610", 6000))
    assert b.import_vat == b.sales_vat == 0
    assert b.price == b.net_price + b.duty


@pytest.mark.parametrize(
    ("amount", "rule", "exponent", "rounded"),
    [
        (2312, "charm99", 2, 2399),
        (2399, "charm99", 2, 2399),
        (2400, "charm99", 2, 2499),
        (1234, "whole", 0, 1234),
        (1201, "whole", 2, 1300),
    ],
)
def test_market_price_endings_round_upwards(amount, rule, exponent, rounded):
    assert round_price(amount, rule, exponent) == rounded
