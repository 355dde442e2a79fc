"""Money: an integer count of minor units plus an ISO 4217 code. No floats, ever.

Exponents come from babel's CLDR data (JPY 0, CNY 2, KWD 3), never hard-coded. Parsing
is strict: a price with more decimals than its currency allows is refused, not rounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

import pycountry
from babel.numbers import format_currency, get_currency_precision

from chuhai.core.errors import ValidationFailed


@cache
def is_known_currency(code: str) -> bool:
    return len(code) == 3 and code.isupper() and pycountry.currencies.get(alpha_3=code) is not None


def check_currency(code: str, field: str = "currency") -> str:
    if not isinstance(code, str) or not is_known_currency(code):
        raise ValidationFailed.one(field, f"unknown ISO 4217 currency code {code!r}")
    return code


@cache
def currency_exponent(code: str) -> int:
    return int(get_currency_precision(check_currency(code)))


@dataclass(frozen=True, slots=True, order=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount_minor, int) or isinstance(self.amount_minor, bool):
            raise TypeError("Money.amount_minor must be an int count of minor units")
        check_currency(self.currency)

    @classmethod
    def parse(cls, text: str | int | Decimal, currency: str, field: str = "price") -> Money:
        """Read a decimal amount in major units ("12.50") into minor units, exactly."""
        exponent = currency_exponent(check_currency(currency, f"{field}_currency"))
        if isinstance(text, float):
            raise ValidationFailed.one(field, "give money as a decimal string, not a float")
        try:
            value = Decimal(str(text).strip().replace(",", ""))
        except InvalidOperation:
            raise ValidationFailed.one(field, f"{text!r} is not a number") from None
        if not value.is_finite():
            raise ValidationFailed.one(field, f"{text!r} is not a number")
        scaled = value.scaleb(exponent)
        if scaled != scaled.to_integral_value():
            raise ValidationFailed.one(
                field, f"{currency} allows at most {exponent} decimal places, got {text}"
            )
        return cls(int(scaled), currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount_minor).scaleb(-currency_exponent(self.currency))

    def format(self, locale: str = "en") -> str:
        return format_currency(self.to_decimal(), self.currency, locale=locale)

    def __str__(self) -> str:
        return f"{self.to_decimal():.{currency_exponent(self.currency)}f} {self.currency}"


def format_minor(amount_minor: int, currency: str, locale: str = "en") -> str:
    return Money(amount_minor, currency).format(locale)


def decimal_string(amount_minor: int, currency: str) -> str:
    """Minor units as a plain decimal string ("12.50"), the API's wire format for money."""
    exponent = currency_exponent(currency)
    return f"{Decimal(amount_minor).scaleb(-exponent):.{exponent}f}"
