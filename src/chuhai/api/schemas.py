"""Request and response shapes at the HTTP edge. Money travels as decimal strings with its
currency ("12.50", "CNY"), never as floats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chuhai.core.money import decimal_string

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class MoneyOut(BaseModel):
    amount: str
    currency: str

    @classmethod
    def of(cls, minor: int, currency: str) -> MoneyOut:
        return cls(amount=decimal_string(minor, currency), currency=currency)


# --- auth --------------------------------------------------------------------------------------


class SignIn(Strict):
    username: str
    password: str
    token_name: str = "api"


class TokenCreate(Strict):
    name: str = Field(min_length=1, max_length=100)


class TokenOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The secret; shown only once.")


class MeOut(BaseModel):
    id: str
    username: str
    display_name: str
    roles: list[str]
    supplier_id: str | None
    studio_id: str | None


class UserCreate(Strict):
    username: str
    password: str
    roles: list[str]
    display_name: str = ""
    supplier_code: str | None = None
    studio_code: str | None = None


class UserOut(BaseModel):
    id: str
    username: str
    display_name: str
    roles: list[str]
    supplier_id: str | None
    studio_id: str | None
    active: bool


# --- parties -----------------------------------------------------------------------------------


class SupplierCreate(Strict):
    code: str
    legal_name: str
    credit_code: str
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str
    export_qualification: str
    bank_name: str
    bank_account_name: str
    bank_account_number: str
    legal_name_en: str = ""
    province: str = ""
    city: str = ""
    cluster: str = ""


class SupplierUpdate(Strict):
    legal_name: str | None = None
    legal_name_en: str | None = None
    address: str | None = None
    province: str | None = None
    city: str | None = None
    cluster: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    export_qualification: str | None = None
    bank_name: str | None = None
    bank_account_name: str | None = None
    bank_account_number: str | None = None


class SupplierVerify(Strict):
    approve: bool
    note: str = ""


class SupplierAgreement(Strict):
    payable_on: str = Field(description='when the supplier is owed: "receipt" or "sale"')


class SupplierOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    code: str
    legal_name: str
    legal_name_en: str
    credit_code: str
    province: str
    city: str
    address: str
    cluster: str
    contact_name: str
    contact_phone: str
    contact_email: str
    export_qualification: str
    bank_name: str
    bank_account_name: str
    bank_account_number: str
    status: str
    verified_at: datetime | None
    verification_note: str
    payable_on: str
    created_at: datetime


class StudioCreate(Strict):
    code: str
    name: str
    city: str = ""
    specialties: str = ""
    contact_email: str = ""


class StudioOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    code: str
    name: str
    city: str
    specialties: str
    contact_email: str


class CustomerCreate(Strict):
    name: str
    email: str
    country_code: str
    market_code: str | None = None
    kind: str = "b2c"


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    email: str
    country_code: str
    market_code: str | None
    kind: str


# --- markets -----------------------------------------------------------------------------------


class MarketIn(Strict):
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


class MarketUpdate(Strict):
    name: str | None = None
    region: str | None = None
    currency: str | None = None
    languages: list[str] | None = None
    tax_inclusive: bool | None = None
    time_zone: str | None = None
    country_code: str | None = None
    customs: bool | None = None
    active: bool | None = None


class MarketOut(BaseModel):
    code: str
    name: str
    country_code: str | None
    region: str
    currency: str
    languages: list[str]
    tax_inclusive: bool
    time_zone: str
    customs: bool
    active: bool


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name_en: str
    name_zh: str


# --- catalog -----------------------------------------------------------------------------------


class SkuIn(Strict):
    sku_code: str
    supply_price: str = Field(description="CNY, decimal string, e.g. '12.50'")
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    moq: int
    lead_time_days: int
    daily_capacity: int
    barcode: str = ""
    options: dict[str, str] = {}
    materials: str = ""
    origin_country: str = "CN"
    supply_price_currency: str = "CNY"

    @field_validator("supply_price", mode="before")
    @classmethod
    def no_float_money(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError('give money as a decimal string such as "12.50", not a number')
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class ProductIn(Strict):
    ref: str
    category_code: str
    title_zh: str
    title_en: str
    skus: list[SkuIn]
    description_zh: str = ""
    description_en: str = ""
    brand: str = ""
    attributes: dict[str, str] = {}
    target_markets: list[str] = []
    supplier_id: str | None = Field(None, description="Operators only: the owning supplier")


class SkuOut(BaseModel):
    id: str
    product_id: str
    sku_code: str
    barcode: str
    options: dict[str, Any]
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    materials: str
    origin_country: str
    supply_price: MoneyOut
    moq: int
    lead_time_days: int
    daily_capacity: int


class ImageOut(BaseModel):
    id: str
    file_id: str
    sku_id: str | None
    url: str


class CertificateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    cert_type: str
    number: str
    issuer: str
    issued_on: date
    expires_on: date | None
    file_id: str


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    action: str
    from_state: str
    to_state: str
    actor_id: str
    actor_name: str
    reason: str
    details: dict[str, Any]
    at: datetime


class ProductMarketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    market_code: str
    status: str
    listed_at: datetime
    delisted_at: datetime | None


class ProductSummaryOut(BaseModel):
    id: str
    supplier_id: str
    ref: str
    category_code: str
    brand: str
    title_zh: str
    title_en: str
    state: str
    target_markets: list[str]
    updated_at: datetime


class ProductOut(ProductSummaryOut):
    description_zh: str
    description_en: str
    attributes: dict[str, Any]
    skus: list[SkuOut]
    images: list[ImageOut]
    certificates: list[CertificateOut]
    markets: list[ProductMarketOut]
    actions: list[str] = Field(description="What the caller may do next in the workflow")


class PriceChangeOut(BaseModel):
    amount: str
    currency: str
    source: str
    negotiation_round_id: str | None
    changed_by: str
    changed_at: datetime


class FindingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    review: str
    blocking: bool
    message: str
    details: dict[str, Any]
    created_at: datetime


class Note(Strict):
    note: str = ""


class Reason(Strict):
    reason: str


class OfferIn(Strict):
    prices: dict[str, str] = Field(description="sku id -> CNY decimal string")
    note: str = ""

    @field_validator("prices", mode="before")
    @classmethod
    def no_float_money(cls, value: Any) -> Any:
        if isinstance(value, dict) and any(isinstance(v, float) for v in value.values()):
            raise ValueError('give money as decimal strings such as "12.50", not numbers')
        return value


class RoundOut(BaseModel):
    id: str
    round_no: int
    party: str
    move: str
    prices: dict[str, MoneyOut]
    note: str
    at: datetime


class SampleUpdate(Strict):
    quantity: int
    ship_to: str


class QcCheckOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    passed: bool
    notes: str
    photo_file_ids: list[str]
    checked_at: datetime


class SampleOut(BaseModel):
    id: str
    quantity: int
    ship_to: str
    requested_at: datetime
    received_at: datetime | None
    result: str | None
    checks: list[QcCheckOut]


class ListIn(Strict):
    markets: list[str]
    note: str = ""


class DelistIn(Strict):
    reason: str
    markets: list[str] | None = None


class ImportRowErrorOut(BaseModel):
    row: int
    field: str
    message: str


class ImportOut(BaseModel):
    ok: bool
    summary: str
    rows: int
    file_format: str
    encoding: str | None
    errors: list[ImportRowErrorOut]
    created_product_ids: list[str]


# --- registries --------------------------------------------------------------------------------


class BrandIn(Strict):
    name: str
    aliases: list[str] = []
    owner: str = ""
    notes: str = ""


class BrandUpdate(Strict):
    aliases: list[str] | None = None
    owner: str | None = None
    notes: str | None = None


class BrandOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    aliases: list[str]
    owner: str
    notes: str


class RuleIn(Strict):
    market_code: str
    category_prefix: str
    kind: str
    certificate_type: str | None = None
    description: str
    source: str
    effective_from: date
    effective_to: date | None = None


class RuleEnd(Strict):
    effective_to: date


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    market_code: str
    category_prefix: str
    kind: str
    certificate_type: str | None
    description: str
    source: str
    effective_from: date
    effective_to: date | None
