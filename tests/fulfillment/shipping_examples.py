"""Addresses and the moment the fulfillment tests start at."""

from __future__ import annotations

from datetime import UTC, datetime

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

ADDRESSES: dict[str, dict[str, str]] = {
    "US": {
        "name": "Jordan Miller",
        "line1": "1600 Amphitheatre Pkwy",
        "city": "Mountain View",
        "region": "CA",
        "postal_code": "94043",
        "country_code": "US",
        "phone": "+1 650 555 0100",
    },
    "DE": {
        "name": "Lena Schäfer",
        "line1": "Friedrichstraße 43",
        "city": "Berlin",
        "postal_code": "10117",
        "country_code": "DE",
    },
}
