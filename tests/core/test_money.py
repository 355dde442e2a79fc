"""Money is integer minor units plus a currency whose exponent comes from CLDR."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chuhai.core.errors import ValidationFailed
from chuhai.core.money import Money, currency_exponent, decimal_string


@pytest.mark.parametrize(("code", "exponent"), [("CNY", 2), ("USD", 2), ("JPY", 0), ("KWD", 3)])
def test_exponents_come_from_cldr(code, exponent):
    assert currency_exponent(code) == exponent


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("12.50", "CNY", 1250), ("1,000", "JPY", 1000), ("0.125", "KWD", 125), ("7", "USD", 700)],
)
def test_decimal_text_becomes_exact_minor_units(text, currency, minor):
    assert Money.parse(text, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("12.345", "CNY", "at most 2 decimal places"),
        ("1.5", "JPY", "at most 0 decimal places"),
        ("abc", "CNY", "not a number"),
        ("NaN", "CNY", "not a number"),
        ("1.00", "XYZ", "unknown ISO 4217 currency"),
    ],
)
def test_bad_amounts_are_refused_not_rounded(text, currency, message):
    with pytest.raises(ValidationFailed) as caught:
        Money.parse(text, currency)
    assert message in caught.value.errors[0].message


def test_floats_never_become_money():
    with pytest.raises(TypeError):
        Money(12.5, "CNY")  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed):
        Money.parse(12.5, "CNY")  # type: ignore[arg-type]


def test_formatting_follows_the_locale():
    assert Money(123456, "EUR").format("de_DE") == "1.234,56\xa0€"
    assert Money(1500, "JPY").format("ja_JP") == "￥1,500"
    assert str(Money(1250, "CNY")) == "12.50 CNY"


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["CNY", "JPY", "KWD"]))
def test_the_wire_format_round_trips(minor, currency):
    assert Money.parse(decimal_string(minor, currency), currency).amount_minor == minor
    assert Money(minor, currency).to_decimal() == Decimal(decimal_string(minor, currency))
