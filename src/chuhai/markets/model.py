"""What a market is, checked against ISO and CLDR data (pycountry, babel, zoneinfo)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from babel import Locale, UnknownLocaleError

from chuhai.core.errors import FieldError
from chuhai.core.money import is_known_currency

_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")


@dataclass(frozen=True)
class MarketSpec:
    code: str
    name: str
    region: str
    currency: str
    languages: list[str]
    tax_inclusive: bool
    time_zone: str
    country_code: str | None = None
    customs: bool = True
    active: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    def errors(self) -> list[FieldError]:
        found: list[FieldError] = []
        if not _CODE.match(self.code):
            found.append(FieldError("code", "2-8 upper-case letters or digits"))
        if not self.name.strip():
            found.append(FieldError("name", "is required"))
        if not self.region.strip():
            found.append(FieldError("region", "is required"))
        if (
            self.country_code is not None
            and pycountry.countries.get(alpha_2=self.country_code) is None
        ):
            found.append(
                FieldError("country_code", f"unknown ISO 3166 country {self.country_code!r}")
            )
        if not is_known_currency(self.currency):
            found.append(
                FieldError("currency", f"unknown ISO 4217 currency code {self.currency!r}")
            )
        if not self.languages:
            found.append(FieldError("languages", "give at least one language"))
        for language in self.languages:
            try:
                Locale.parse(language)
            except (UnknownLocaleError, ValueError):
                found.append(FieldError("languages", f"unknown locale {language!r}"))
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            found.append(FieldError("time_zone", f"unknown IANA time zone {self.time_zone!r}"))
        return found
