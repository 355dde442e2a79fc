"""The catalog's rules without I/O: what a product and its SKUs must be, and the listing
workflow's state machine.

The listing workflow (full custody, step one):

    draft → submitted → compliance_review → ip_review → price_negotiation → sample_qc
          → approved → listed ⇄ delisted
    any review state → rejected → (supplier edits) → submitted again
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pycountry
from stdnum import ean

from chuhai.core.errors import FieldError
from chuhai.core.money import Money
from chuhai.core.statemachine import StateMachine, Transition


class State:
    DRAFT = "draft"
    SUBMITTED = "submitted"
    COMPLIANCE_REVIEW = "compliance_review"
    IP_REVIEW = "ip_review"
    PRICE_NEGOTIATION = "price_negotiation"
    SAMPLE_QC = "sample_qc"
    APPROVED = "approved"
    LISTED = "listed"
    DELISTED = "delisted"
    REJECTED = "rejected"


REVIEW_STATES = frozenset(
    {
        State.SUBMITTED,
        State.COMPLIANCE_REVIEW,
        State.IP_REVIEW,
        State.PRICE_NEGOTIATION,
        State.SAMPLE_QC,
    }
)
EDITABLE_STATES = frozenset({State.DRAFT, State.REJECTED})
ALL_STATES = (
    State.DRAFT,
    State.SUBMITTED,
    State.COMPLIANCE_REVIEW,
    State.IP_REVIEW,
    State.PRICE_NEGOTIATION,
    State.SAMPLE_QC,
    State.APPROVED,
    State.LISTED,
    State.DELISTED,
    State.REJECTED,
)


def _t(action: str, sources: set[str] | frozenset[str], target: str, permission: str) -> Transition:
    return Transition(action, frozenset(sources), target, permission)


LISTING = StateMachine(
    "product",
    [
        _t("submit", {State.DRAFT}, State.SUBMITTED, "catalog.submit"),
        _t("resubmit", {State.REJECTED}, State.SUBMITTED, "catalog.submit"),
        _t(
            "start_compliance_review",
            {State.SUBMITTED},
            State.COMPLIANCE_REVIEW,
            "review.compliance",
        ),
        _t("pass_compliance", {State.COMPLIANCE_REVIEW}, State.IP_REVIEW, "review.compliance"),
        _t("pass_ip", {State.IP_REVIEW}, State.PRICE_NEGOTIATION, "review.ip"),
        # negotiation moves are stored as rounds; agreement moves the product on
        _t("agree_price", {State.PRICE_NEGOTIATION}, State.SAMPLE_QC, "negotiation.agree"),
        _t("pass_qc", {State.SAMPLE_QC}, State.APPROVED, "qc.manage"),
        _t("list", {State.APPROVED, State.DELISTED, State.LISTED}, State.LISTED, "listing.publish"),
        _t("delist_markets", {State.LISTED}, State.LISTED, "listing.publish"),
        _t("delist", {State.LISTED}, State.DELISTED, "listing.publish"),
        # the reviewer of the current stage rejects (REJECT_PERMISSION); the supplier may withdraw
        _t("reject", REVIEW_STATES, State.REJECTED, "review.compliance"),
        _t("withdraw", REVIEW_STATES, State.REJECTED, "catalog.submit"),
    ],
)

# who may reject at each stage (the reviewer responsible for it)
REJECT_PERMISSION = {
    State.SUBMITTED: "review.compliance",
    State.COMPLIANCE_REVIEW: "review.compliance",
    State.IP_REVIEW: "review.ip",
    State.PRICE_NEGOTIATION: "negotiation.platform",
    State.SAMPLE_QC: "qc.manage",
}

_SKU_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
MAX_DIMENSION_MM = 5000
MAX_WEIGHT_G = 1_000_000
MAX_SUPPLY_PRICE_FEN = 100_000_000_00  # 100 million yuan per unit is surely a typo


@dataclass
class SkuDraft:
    sku_code: str
    supply_price: str  # decimal string in CNY, e.g. "12.50"
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    moq: int
    lead_time_days: int
    daily_capacity: int
    barcode: str = ""
    options: dict[str, str] = field(default_factory=dict)
    materials: str = ""
    origin_country: str = "CN"
    supply_price_currency: str = "CNY"

    def errors(self, prefix: str = "") -> list[FieldError]:
        found: list[FieldError] = []

        def bad(name: str, message: str) -> None:
            found.append(FieldError(f"{prefix}{name}", message))

        if not _SKU_CODE.match(self.sku_code or ""):
            bad("sku_code", "1-64 letters, digits, '.', '_', '/' or '-'")
        if self.barcode and not ean.is_valid(self.barcode):
            bad("barcode", f"{self.barcode!r} is not a valid EAN-13/UPC/EAN-8 (check digit)")
        if self.supply_price_currency != "CNY":
            bad("supply_price_currency", "supply prices are declared in CNY")
        price = self.supply_price_fen(bad)
        if price is not None and price <= 0:
            bad("supply_price", "must be greater than zero")
        elif price is not None and price > MAX_SUPPLY_PRICE_FEN:
            bad("supply_price", "is implausibly large")
        _check_int(bad, "weight_g", self.weight_g, 1, MAX_WEIGHT_G)
        for name in ("length_mm", "width_mm", "height_mm"):
            _check_int(bad, name, getattr(self, name), 1, MAX_DIMENSION_MM)
        _check_int(bad, "moq", self.moq, 1, 10_000_000)
        _check_int(bad, "lead_time_days", self.lead_time_days, 0, 365)
        _check_int(bad, "daily_capacity", self.daily_capacity, 1, 100_000_000)
        if pycountry.countries.get(alpha_2=self.origin_country or "") is None:
            bad("origin_country", f"unknown ISO 3166 country {self.origin_country!r}")
        if not all(
            isinstance(k, str) and isinstance(v, str) and k and v for k, v in self.options.items()
        ):
            bad("options", "each option is a name and a value, e.g. colour=red")
        return found

    def supply_price_fen(self, bad: Any = None) -> int | None:
        from chuhai.core.errors import ValidationFailed

        if isinstance(self.supply_price, float):
            if bad:
                bad("supply_price", "give the price as a decimal string, not a float")
            return None
        try:
            return Money.parse(str(self.supply_price), "CNY", "supply_price").amount_minor
        except ValidationFailed as exc:
            if bad:
                bad("supply_price", exc.errors[0].message)
            return None


def _check_int(bad: Any, name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        bad(name, "must be a whole number")
    elif not low <= value <= high:
        bad(name, f"must be between {low} and {high}")


@dataclass
class ProductDraft:
    ref: str
    category_code: str
    title_zh: str
    title_en: str
    skus: list[SkuDraft]
    description_zh: str = ""
    description_en: str = ""
    brand: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    target_markets: list[str] = field(default_factory=list)

    def errors(self, categories: set[str], markets: set[str]) -> list[FieldError]:
        found: list[FieldError] = []
        if not _REF.match(self.ref or ""):
            found.append(FieldError("ref", "1-64 letters, digits, '.', '_', '/' or '-'"))
        if self.category_code not in categories:
            found.append(FieldError("category_code", f"unknown category {self.category_code!r}"))
        if not self.title_zh.strip():
            found.append(FieldError("title_zh", "a Chinese title is required"))
        if not self.title_en.strip():
            found.append(FieldError("title_en", "an English title is required"))
        for name in ("title_zh", "title_en"):
            if len(getattr(self, name)) > 300:
                found.append(FieldError(name, "at most 300 characters"))
        for code in self.target_markets:
            if code not in markets:
                found.append(FieldError("target_markets", f"unknown market {code!r}"))
        if not self.skus:
            found.append(FieldError("skus", "a product needs at least one SKU"))
        seen: set[str] = set()
        for index, sku in enumerate(self.skus):
            found.extend(sku.errors(prefix=f"skus[{index}]."))
            if sku.sku_code in seen:
                found.append(
                    FieldError(f"skus[{index}].sku_code", f"{sku.sku_code!r} appears twice")
                )
            seen.add(sku.sku_code)
        return found


def yuan(fen: int) -> Decimal:
    return Money(fen, "CNY").to_decimal()
