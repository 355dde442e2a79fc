"""The landed-cost engine run backwards: the highest supply price whose retail price stays
at or under a target, exact to the fen."""

from __future__ import annotations

import pytest

from chuhai.pricing.landed_cost import Haul, Inputs, Regime
from chuhai.sourcing.supply_band import max_supply_for, retail_price


def us_direct_mail(**changes: object) -> Inputs:
    values: dict[str, object] = dict(
        route="9610",
        supply_fen=0,
        weight_g=400,
        volume_mm3=120 * 90 * 100,
        fx_micro=140_000,  # 0.14 USD per CNY: 0.14 cents per fen, × 10^6
        first_mile_per_kg_fen=300,
        haul=Haul(basis="kg", rate_fen=4500, volumetric_divisor=6000),
        last_mile=0,
        handling=0,
        regime=Regime(duty_bp=2500, vat_bp=0),
        margin_bp=2500,
        returns_bp=300,
        payment_fee_bp=290,
        payment_fee_fixed=30,
        fx_buffer_bp=200,
        tax_inclusive=False,
        rounding="charm99",
        exponent=2,
    )
    values.update(changes)
    return Inputs(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "target", [999, 1999, 3999, 12_999], ids=["$9.99", "$19.99", "$39.99", "$129.99"]
)
def test_the_answer_prices_at_or_under_the_target_and_one_fen_more_prices_over_it(target):
    inputs = us_direct_mail()
    supply = max_supply_for(inputs, target)
    assert supply is not None
    assert retail_price(inputs, supply) <= target < retail_price(inputs, supply + 1)


def test_a_target_a_free_unit_cannot_meet_has_no_supply_price():
    inputs = us_direct_mail()
    floor = retail_price(inputs, 0)
    assert max_supply_for(inputs, floor - 1) is None
    assert max_supply_for(inputs, floor) is not None


def test_a_higher_retail_target_never_allows_a_lower_supply_price():
    inputs = us_direct_mail()
    answers = [max_supply_for(inputs, target) for target in range(1999, 6000, 250)]
    assert answers == sorted(answers)  # type: ignore[type-var]


def test_the_answer_for_whole_yen_prices_in_japan_is_exact_too():
    inputs = us_direct_mail(
        fx_micro=210_000, exponent=0, rounding="whole", tax_inclusive=True
    )  # 21 JPY/CNY
    supply = max_supply_for(inputs, 4980)
    assert supply is not None
    assert retail_price(inputs, supply) <= 4980 < retail_price(inputs, supply + 1)
