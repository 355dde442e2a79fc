"""The array kernel gives exactly the scalar kernel's breakdown, row for row."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chuhai.pricing.landed_cost import Haul, Inputs, Regime, landed_cost
from chuhai.pricing.price_book import price_many

regimes = st.builds(
    Regime,
    duty_bp=st.integers(0, 6000),
    vat_bp=st.sampled_from([0, 500, 1000, 1900, 2000]),
    low_value_threshold=st.one_of(st.none(), st.sampled_from([10000, 13500, 15000, 100000])),
    duty_relief=st.booleans(),
    flat_duty_per_item=st.sampled_from([0, 300]),
    vat_at_sale=st.booleans(),
    tax_free=st.booleans(),
    cif=st.booleans(),
    vat_base_adds_freight=st.booleans(),
)
hauls = st.one_of(
    st.builds(
        Haul,
        basis=st.just("kg"),
        rate_fen=st.integers(0, 9000),
        per_shipment_fen=st.integers(0, 5000),
        shipment_units=st.integers(1, 3),
        volumetric_divisor=st.sampled_from([None, 5000, 6000, 8000]),
    ),
    st.builds(
        Haul,
        basis=st.just("cbm"),
        rate_fen=st.integers(0, 300000),
        per_shipment_fen=st.integers(0, 500000),
        shipment_units=st.integers(1, 3000),
    ),
    st.just(Haul(basis="none")),
)
rows = st.builds(
    Inputs,
    route=st.sampled_from(["9610", "9810", "9710", "domestic"]),
    supply_fen=st.integers(1, 2_000_000),
    weight_g=st.integers(1, 30_000),
    volume_mm3=st.integers(1, 200_000_000),
    fx_micro=st.sampled_from([130000, 110000, 140000, 215000, 21000000, 1000000]),
    first_mile_per_kg_fen=st.integers(0, 200),
    haul=hauls,
    last_mile=st.integers(0, 5000),
    handling=st.integers(0, 300),
    regime=regimes,
    margin_bp=st.integers(0, 4000),
    returns_bp=st.integers(0, 800),
    payment_fee_bp=st.integers(0, 400),
    payment_fee_fixed=st.integers(0, 50),
    fx_buffer_bp=st.integers(0, 300),
    tax_inclusive=st.booleans(),
    rounding=st.sampled_from(["charm99", "whole", "none"]),
    exponent=st.sampled_from([0, 2]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(rows, min_size=1, max_size=20))
def test_the_array_kernel_agrees_with_the_scalar_kernel(batch):
    assert price_many(batch) == [landed_cost(row) for row in batch]
