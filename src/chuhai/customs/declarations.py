"""Export declarations by customs supervision mode, without I/O: what a declaration is, the
rules it must meet, three-document matching, 9610 consolidation and the state machine.

Modes (China customs supervision modes for cross-border e-commerce exports):

- **9610** B2C direct mail. Each order is a *parcel* declaration (清单) carrying the order,
  payment and logistics records, which must agree (三单对碰). Cleared parcels of a month are
  then summed into one *consolidated* declaration (汇总申报), the basis of the export rebate.
- **9710** B2B direct export: one *consignment* to an overseas business buyer, under a contract.
- **9810** B2B export to an overseas warehouse: one consignment of the platform's own stock.
- **1210** bonded: goods *entering* a bonded warehouse (export is deemed on entry) or *leaving*
  it for abroad against an earlier, cleared entry.

Invariants kept here, for the service and the sandbox authority alike (one set of rules):
money is integer minor units of the declaration's currency; every line's value is exactly
quantity × unit price; the declaration's total is exactly the sum of its lines; the net
weight of the goods never exceeds the gross weight. `declaration_errors` returns every
broken rule as a `FieldError` naming the field, so a caller can refuse once with all of them.

The state machine: draft → submitted → cleared | held | rejected; held → submitted again
(after inspection, with the broker's answer); rejected → draft (revise); a draft, held or
rejected declaration may be cancelled (a cancelled 9610 consolidation frees its parcels).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pycountry
from stdnum.cn import uscc

from chuhai.core.errors import FieldError, ValidationFailed
from chuhai.core.money import Money, is_known_currency
from chuhai.core.statemachine import StateMachine, Transition

# --- modes, kinds, codes ------------------------------------------------------------------------


@dataclass(frozen=True)
class ModeInfo:
    code: str
    name: str
    name_zh: str
    kinds: tuple[str, ...]
    summary: str


class Kind:
    PARCEL = "parcel"  # 9610 list declaration for one B2C order (清单)
    CONSOLIDATED = "consolidated"  # 9610 periodic summary of cleared parcels (汇总申报)
    CONSIGNMENT = "consignment"  # one shipment (9710, 9810, 1210)


MODES: dict[str, ModeInfo] = {
    "9610": ModeInfo(
        "9610",
        "B2C direct mail",
        "跨境电子商务零售出口",
        (Kind.PARCEL, Kind.CONSOLIDATED),
        "a parcel declaration per B2C order with order, payment and logistics records that "
        "must agree; cleared parcels are consolidated per month",
    ),
    "9710": ModeInfo(
        "9710",
        "B2B direct export",
        "跨境电子商务企业对企业直接出口",
        (Kind.CONSIGNMENT,),
        "a consignment sold to an overseas business buyer under a contract",
    ),
    "9810": ModeInfo(
        "9810",
        "B2B export to an overseas warehouse",
        "跨境电子商务出口海外仓",
        (Kind.CONSIGNMENT,),
        "the platform's own stock shipped to its overseas warehouse",
    ),
    "1210": ModeInfo(
        "1210",
        "Bonded",
        "保税跨境贸易电子商务",
        (Kind.CONSIGNMENT,),
        "goods entering a bonded warehouse (deemed exported) or leaving it for abroad",
    ),
}

# China customs transport-mode codes (运输方式代码)
TRANSPORT_MODES: dict[str, str] = {
    "sea": "2",
    "rail": "3",
    "road": "4",
    "air": "5",
    "post": "6",
    "other": "9",
}

# units of quantity, with China customs unit-of-measure codes (计量单位代码)
UNITS: dict[str, tuple[str, str]] = {
    "PCS": ("011", "件"),
    "EA": ("007", "个"),
    "SET": ("006", "套"),
    "PR": ("025", "双"),
    "UNIT": ("001", "台"),
    "KG": ("035", "千克"),
    "M": ("030", "米"),
    "M2": ("032", "平方米"),
}

BONDED_DIRECTIONS = ("entry", "exit")
EXPORTER_KINDS = ("supplier", "platform")
# customs periods (9610 consolidation) run on China Standard Time
CHINA_TIME = ZoneInfo("Asia/Shanghai")

_CUSTOMS_CODE = re.compile(r"^[0-9A-Z]{10}$")  # 海关注册编码: 10 characters
_PORT = re.compile(r"^[0-9]{4}$")  # 关区代码: the customs district of exit
_HS = re.compile(r"^[0-9]{6}([0-9]{2}){0,2}$")  # 6, 8 or 10 digits
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")  # order, payment, waybill numbers
_WAREHOUSE = re.compile(r"^[A-Z0-9][A-Z0-9-]{3,19}$")
MAX_QUANTITY = 100_000_000
MAX_WEIGHT_G = 1_000_000_000  # a thousand tonnes in one declaration is surely a typo
MAX_AMOUNT_MINOR = 10**14  # a trillion in major units (two decimals): a typo, and past BIGINT soon


# --- the declaration, parsed ---------------------------------------------------------------------


@dataclass(frozen=True)
class Exporter:
    """The exporter of record: a supplier exporting in its own name, or the platform's export
    entity. Its particulars are copied into the declaration as they were when it was made."""

    kind: str  # supplier | platform
    name: str
    name_en: str
    credit_code: str  # unified social credit code (统一社会信用代码), 18 characters
    customs_code: str  # customs registration code (海关注册编码), 10 characters
    address: str
    supplier_id: str | None = None


@dataclass(frozen=True)
class GoodsLine:
    line_no: int
    description: str  # as on the commercial invoice (English)
    hs_code: str
    quantity: int
    unit: str
    unit_price_minor: int
    value_minor: int
    currency: str
    origin_country: str
    net_weight_g: int
    description_zh: str = ""  # declared name (申报品名)
    sku_id: str | None = None
    # what the platform paid the factory for these goods, VAT included, in fen (for the rebate)
    purchase_value_cny_minor: int | None = None
    vat_invoiced: bool = True  # the factory issued a special VAT invoice (增值税专用发票)


@dataclass(frozen=True)
class OrderLine:
    description: str
    quantity: int
    unit_price_minor: int
    sku_id: str | None = None
    hs_code: str = ""


@dataclass(frozen=True)
class OrderRecord:
    order_no: str
    buyer_name: str
    lines: tuple[OrderLine, ...]
    total_minor: int
    currency: str
    buyer_id_hash: str = ""  # sha256 of the buyer's ID number; the number itself is never kept


@dataclass(frozen=True)
class PaymentRecord:
    payment_no: str
    order_no: str
    payer_name: str
    amount_minor: int
    currency: str
    paid_at: datetime
    payer_id_hash: str = ""


@dataclass(frozen=True)
class LogisticsRecord:
    waybill_no: str
    order_no: str
    consignee_name: str
    address: str
    country: str
    weight_g: int


@dataclass(frozen=True)
class ThreeDocuments:
    order: OrderRecord
    payment: PaymentRecord
    logistics: LogisticsRecord


@dataclass(frozen=True)
class Buyer:
    """9710: the overseas business buyer and the contract the goods are sold under."""

    name: str
    country: str
    contract_no: str


@dataclass(frozen=True)
class OverseasWarehouse:
    """9810: the platform's overseas warehouse the stock goes to."""

    code: str
    name: str
    country: str


@dataclass(frozen=True)
class Bonded:
    """1210: the bonded warehouse, which way the goods move, and (leaving) the entry they
    entered under."""

    warehouse_code: str
    direction: str  # entry | exit
    entry_number: str = ""


@dataclass(frozen=True)
class ParcelRecord:
    """A 9610 parcel as a consolidated declaration sees it."""

    number: str
    state: str
    period: str | None  # YYYY-MM of its clearance, China time
    exporter_credit_code: str
    destination_country: str
    transport_mode: str
    currency: str
    lines: tuple[GoodsLine, ...]
    consolidated_into: str | None = None  # the number of the consolidation holding it


@dataclass(frozen=True)
class Declaration:
    number: str
    mode: str
    kind: str
    exporter: Exporter | None
    currency: str
    destination_country: str
    transport_mode: str
    port_of_exit: str
    gross_weight_g: int
    packages: int
    lines: tuple[GoodsLine, ...]
    total_value_minor: int
    documents: ThreeDocuments | None = None
    buyer: Buyer | None = None
    overseas_warehouse: OverseasWarehouse | None = None
    bonded: Bonded | None = None
    period: str | None = None
    parcels: tuple[ParcelRecord, ...] = ()

    @property
    def lines_total_minor(self) -> int:
        return sum(line.value_minor for line in self.lines)

    @property
    def net_weight_g(self) -> int:
        return sum(line.net_weight_g for line in self.lines)


# --- the draft a declarant sends (money as decimal strings) ---------------------------------------


@dataclass
class ExporterDraft:
    """`kind="supplier"` with `supplier_id` (its name, credit code and address come from the
    supplier's verified record), or `kind="platform"` with every particular given."""

    kind: str
    customs_code: str
    supplier_id: str | None = None
    name: str = ""
    name_en: str = ""
    credit_code: str = ""
    address: str = ""


@dataclass
class LineDraft:
    """A goods line. With `sku_id`, the HS code, descriptions, origin, net weight and purchase
    value default to the SKU's; without, give the HS code and description."""

    quantity: int
    unit_price: str
    currency: str
    unit: str = "PCS"
    sku_id: str | None = None
    hs_code: str = ""
    description: str = ""
    description_zh: str = ""
    value: str | None = None  # optional: a stated value is checked against quantity × price
    origin_country: str = ""
    net_weight_g: int | None = None
    purchase_value_cny: str | None = None
    vat_invoiced: bool = True


@dataclass
class OrderLineDraft:
    quantity: int
    unit_price: str
    description: str = ""
    sku_id: str | None = None
    hs_code: str = ""


@dataclass
class OrderDraft:
    order_no: str
    buyer_name: str
    lines: list[OrderLineDraft]
    total: str
    currency: str
    buyer_id_number: str = ""


@dataclass
class PaymentDraft:
    payment_no: str
    order_no: str
    payer_name: str
    amount: str
    currency: str
    paid_at: datetime
    payer_id_number: str = ""


@dataclass
class LogisticsDraft:
    waybill_no: str
    order_no: str
    consignee_name: str
    address: str
    country: str
    weight_g: int


@dataclass
class DeclarationDraft:
    mode: str
    exporter: ExporterDraft | None
    currency: str
    destination_country: str
    transport_mode: str
    port_of_exit: str
    lines: list[LineDraft]
    gross_weight_g: int | None = None  # 9610 parcels: the waybill's weight when not given
    packages: int = 1
    total_value: str | None = None  # optional: a stated total is checked against the lines
    order: OrderDraft | None = None
    payment: PaymentDraft | None = None
    logistics: LogisticsDraft | None = None
    buyer: Buyer | None = None
    overseas_warehouse: OverseasWarehouse | None = None
    bonded: Bonded | None = None


# --- parsing drafts -----------------------------------------------------------------------------


class _Collector:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def bad(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))

    def has(self, name: str) -> bool:
        return any(e.field == name for e in self.errors)

    def money(self, name: str, text: object, currency: str) -> int:
        """Minor units of a decimal string in `currency`; 0 (and an error) when unreadable."""
        if not is_known_currency(currency):
            return 0  # the currency field reports itself
        if isinstance(text, float) or not isinstance(text, str | int | Decimal):
            self.bad(name, 'give money as a decimal string, e.g. "12.50"')
            return 0
        try:
            amount = Money.parse(text, currency, name).amount_minor
        except ValidationFailed as exc:
            self.bad(name, exc.errors[0].message)
            return 0
        if abs(amount) > MAX_AMOUNT_MINOR:
            self.bad(name, "is implausibly large")
            return 0
        return amount

    def whole(self, name: str, value: object, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.bad(name, "must be a whole number")
            return 0
        if not low <= value <= high:
            if low == 1 and value <= 0:
                self.bad(name, f"must be greater than zero, got {value}")
            else:
                self.bad(name, f"must be between {low} and {high}, got {value}")
        return value

    def currency(self, name: str, code: str) -> str:
        if not is_known_currency(code or ""):
            self.bad(name, f"unknown ISO 4217 currency code {code!r}")
        return code or ""

    def country(self, name: str, code: str) -> str:
        if not code:
            self.bad(name, "is required (an ISO 3166 country code, e.g. CN)")
        elif pycountry.countries.get(alpha_2=code) is None or len(code) != 2:
            self.bad(name, f"unknown ISO 3166 country code {code!r}")
        return code or ""

    def text(self, name: str, value: str, limit: int = 300, required: bool = True) -> str:
        cleaned = (value or "").strip()
        if required and not cleaned:
            self.bad(name, "is required")
        elif len(cleaned) > limit:
            self.bad(name, f"at most {limit} characters")
        return cleaned

    def ref(self, name: str, value: str) -> str:
        cleaned = (value or "").strip()
        if not _REF.match(cleaned):
            self.bad(name, "1-64 letters, digits, '.', '_', '/' or '-'")
        return cleaned


def id_hash(number: str) -> str:
    """The hash kept in place of a personal ID number (normalised: no spaces, upper case)."""
    normalised = re.sub(r"\s+", "", number or "").upper()
    return hashlib.sha256(normalised.encode()).hexdigest() if normalised else ""


def parse_lines(c: _Collector, drafts: list[LineDraft]) -> tuple[GoodsLine, ...]:
    lines = []
    for index, d in enumerate(drafts):
        p = f"lines[{index}]."
        currency = c.currency(f"{p}currency", d.currency)
        quantity = c.whole(f"{p}quantity", d.quantity, 1, MAX_QUANTITY)
        unit_price = c.money(f"{p}unit_price", d.unit_price, currency)
        if unit_price <= 0 and is_known_currency(currency) and not c.has(f"{p}unit_price"):
            c.bad(f"{p}unit_price", "must be greater than zero")
        value = quantity * unit_price
        if value > MAX_AMOUNT_MINOR:
            c.bad(f"{p}value", "quantity × unit price is implausibly large")
            value = 0
        if d.value is not None:
            stated = c.money(f"{p}value", d.value, currency)
            if stated != value and not any(e.field.startswith(p) for e in c.errors):
                c.bad(
                    f"{p}value",
                    f"line {index + 1}: {quantity} × {_fmt(unit_price, currency)} is "
                    f"{_fmt(value, currency)}, not {_fmt(stated, currency)}",
                )
        if d.unit not in UNITS:
            c.bad(f"{p}unit", f"one of {', '.join(UNITS)}, got {d.unit!r}")
        origin = c.country(f"{p}origin_country", d.origin_country)
        weight = (
            c.whole(f"{p}net_weight_g", d.net_weight_g, 1, MAX_WEIGHT_G)
            if d.net_weight_g is not None
            else 0
        )
        if d.net_weight_g is None:
            c.bad(f"{p}net_weight_g", "is required (grams)")
        purchase = None
        if d.purchase_value_cny is not None:
            purchase = c.money(f"{p}purchase_value_cny", d.purchase_value_cny, "CNY")
            if purchase < 0:
                c.bad(f"{p}purchase_value_cny", "must not be negative")
        lines.append(
            GoodsLine(
                line_no=index + 1,
                description=c.text(f"{p}description", d.description),
                description_zh=c.text(f"{p}description_zh", d.description_zh, required=False),
                hs_code=(d.hs_code or "").strip().replace(".", ""),
                quantity=quantity,
                unit=d.unit,
                unit_price_minor=unit_price,
                value_minor=value,
                currency=currency,
                origin_country=origin,
                net_weight_g=weight,
                sku_id=d.sku_id,
                purchase_value_cny_minor=purchase,
                vat_invoiced=bool(d.vat_invoiced),
            )
        )
    return tuple(lines)


def _parse_documents(c: _Collector, draft: DeclarationDraft) -> ThreeDocuments | None:
    if draft.order is None or draft.payment is None or draft.logistics is None:
        for name in ("order", "payment", "logistics"):
            if getattr(draft, name) is None:
                c.bad(name, f"a 9610 parcel declaration needs the {name} record")
        return None
    o, pay, log = draft.order, draft.payment, draft.logistics
    currency = c.currency("order.currency", o.currency)
    order_lines = []
    for index, line in enumerate(o.lines):
        p = f"order.lines[{index}]."
        order_lines.append(
            OrderLine(
                description=(line.description or "").strip(),
                quantity=c.whole(f"{p}quantity", line.quantity, 1, MAX_QUANTITY),
                unit_price_minor=c.money(f"{p}unit_price", line.unit_price, currency),
                sku_id=line.sku_id,
                hs_code=(line.hs_code or "").strip().replace(".", ""),
            )
        )
    if not order_lines:
        c.bad("order.lines", "the order has no goods")
    order = OrderRecord(
        order_no=c.ref("order.order_no", o.order_no),
        buyer_name=c.text("order.buyer_name", o.buyer_name, 200),
        lines=tuple(order_lines),
        total_minor=c.money("order.total", o.total, currency),
        currency=currency,
        buyer_id_hash=id_hash(o.buyer_id_number),
    )
    pay_currency = c.currency("payment.currency", pay.currency)
    if not isinstance(pay.paid_at, datetime) or pay.paid_at.tzinfo is None:
        c.bad("payment.paid_at", "a date and time with its time zone")
        paid_at = datetime(1970, 1, 1, tzinfo=UTC)
    else:
        paid_at = pay.paid_at.astimezone(UTC)
    payment = PaymentRecord(
        payment_no=c.ref("payment.payment_no", pay.payment_no),
        order_no=(pay.order_no or "").strip(),
        payer_name=c.text("payment.payer_name", pay.payer_name, 200),
        amount_minor=c.money("payment.amount", pay.amount, pay_currency),
        currency=pay_currency,
        paid_at=paid_at,
        payer_id_hash=id_hash(pay.payer_id_number),
    )
    logistics = LogisticsRecord(
        waybill_no=c.ref("logistics.waybill_no", log.waybill_no),
        order_no=(log.order_no or "").strip(),
        consignee_name=c.text("logistics.consignee_name", log.consignee_name, 200),
        address=c.text("logistics.address", log.address, 300),
        country=c.country("logistics.country", log.country),
        weight_g=c.whole("logistics.weight_g", log.weight_g, 1, MAX_WEIGHT_G),
    )
    return ThreeDocuments(order, payment, logistics)


def parse_declaration(
    draft: DeclarationDraft, number: str, exporter: Exporter | None
) -> tuple[Declaration, list[FieldError]]:
    """Read a draft into a declaration (money in minor units). Returns the declaration and
    the input errors (unreadable amounts, unknown codes, missing particulars); the business
    rules are `declaration_errors`'s."""
    c = _Collector()
    if draft.mode not in MODES:
        c.bad("mode", f"unknown customs mode {draft.mode!r}; one of {', '.join(MODES)}")
    kind = Kind.PARCEL if draft.mode == "9610" else Kind.CONSIGNMENT
    currency = c.currency("currency", draft.currency)
    lines = parse_lines(c, draft.lines)
    documents = _parse_documents(c, draft) if draft.mode == "9610" else None
    stated_total = None
    if draft.total_value is not None:
        stated_total = c.money("total_value", draft.total_value, currency)
    if sum(line.value_minor for line in lines) > MAX_AMOUNT_MINOR:
        c.bad("total_value", "the lines add up to an implausibly large value")
    gross = draft.gross_weight_g
    if gross is None and documents is not None:
        gross = documents.logistics.weight_g
    if gross is None:
        c.bad("gross_weight_g", "is required (grams)")
        gross = 0
    else:
        gross = c.whole("gross_weight_g", gross, 1, MAX_WEIGHT_G)
    declaration = Declaration(
        number=number,
        mode=draft.mode,
        kind=kind,
        exporter=exporter,
        currency=currency,
        destination_country=c.country("destination_country", draft.destination_country),
        transport_mode=draft.transport_mode,
        port_of_exit=(draft.port_of_exit or "").strip(),
        gross_weight_g=gross,
        packages=c.whole("packages", draft.packages, 1, 1_000_000),
        lines=lines,
        total_value_minor=stated_total
        if stated_total is not None
        else sum(line.value_minor for line in lines),
        documents=documents,
        buyer=draft.buyer if draft.mode == "9710" else None,
        overseas_warehouse=draft.overseas_warehouse if draft.mode == "9810" else None,
        bonded=draft.bonded if draft.mode == "1210" else None,
    )
    for name, given, mode in (
        ("buyer", draft.buyer, "9710"),
        ("overseas_warehouse", draft.overseas_warehouse, "9810"),
        ("bonded", draft.bonded, "1210"),
    ):
        if given is not None and draft.mode in MODES and draft.mode != mode:
            c.bad(name, f"only a {mode} declaration has {name.replace('_', ' ')} particulars")
    if draft.mode in MODES and draft.mode != "9610":
        for name in ("order", "payment", "logistics"):
            if getattr(draft, name) is not None:
                c.bad(name, "only a 9610 parcel declaration carries order, payment and logistics")
    return declaration, c.errors


# --- the rules ----------------------------------------------------------------------------------


def merge_errors(*groups: list[FieldError]) -> list[FieldError]:
    """Errors of several checks; a field an earlier check reported (itself, or a part of it:
    `exporter.supplier_id` covers `exporter`) is not reported again by a later one."""
    merged: list[FieldError] = []
    for group in groups:
        seen = {e.field for e in merged}

        def reported(name: str, seen: set[str] = seen) -> bool:
            return any(f == name or f.startswith((f"{name}.", f"{name}[")) for f in seen)

        merged.extend(e for e in group if not reported(e.field))
    return merged


def _fmt(minor: int, currency: str) -> str:
    try:
        return str(Money(minor, currency))
    except (ValidationFailed, TypeError):
        return f"{minor} (minor units) {currency}"


def _same_name(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return " ".join((s or "").split()).casefold()

    return norm(a) == norm(b)


@dataclass(frozen=True)
class Mismatch:
    """One field on which the three documents (or the documents and the declaration) differ."""

    field: str
    message: str
    expected: str
    found: str

    def as_error(self) -> FieldError:
        return FieldError(self.field, self.message)

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "message": self.message,
            "expected": self.expected,
            "found": self.found,
        }


def match_three_documents(declaration: Declaration) -> list[Mismatch]:
    """Three-document matching (三单对碰) of a 9610 parcel: the order, the payment and the
    waybill must name the same order and person and agree on the money, and the declared goods
    must be the order's goods. Each field that differs is named; none means they match."""
    docs = declaration.documents
    if docs is None:
        return []
    order, pay, log = docs.order, docs.payment, docs.logistics
    found: list[Mismatch] = []

    def differs(field: str, message: str, expected: object, actual: object) -> None:
        found.append(Mismatch(field, message, str(expected), str(actual)))

    if pay.order_no != order.order_no:
        differs(
            "payment.order_no",
            f"the payment is for order {pay.order_no!r}, not {order.order_no!r}",
            order.order_no,
            pay.order_no,
        )
    if log.order_no != order.order_no:
        differs(
            "logistics.order_no",
            f"the waybill is for order {log.order_no!r}, not {order.order_no!r}",
            order.order_no,
            log.order_no,
        )
    if pay.currency != order.currency or pay.amount_minor != order.total_minor:
        field = "payment.currency" if pay.currency != order.currency else "payment.amount"
        differs(
            field,
            f"paid {_fmt(pay.amount_minor, pay.currency)}, "
            f"the order total is {_fmt(order.total_minor, order.currency)}",
            _fmt(order.total_minor, order.currency),
            _fmt(pay.amount_minor, pay.currency),
        )
    if not _same_name(pay.payer_name, order.buyer_name):
        differs(
            "payment.payer_name",
            f"the payer {pay.payer_name!r} is not the buyer {order.buyer_name!r}",
            order.buyer_name,
            pay.payer_name,
        )
    if order.buyer_id_hash and pay.payer_id_hash and order.buyer_id_hash != pay.payer_id_hash:
        differs(
            "payment.payer_id_number",
            "the payer's ID number is not the buyer's",
            "the buyer's ID number",
            "another ID number",
        )
    if not _same_name(log.consignee_name, order.buyer_name):
        differs(
            "logistics.consignee_name",
            f"the consignee {log.consignee_name!r} is not the buyer {order.buyer_name!r}",
            order.buyer_name,
            log.consignee_name,
        )
    if log.country != declaration.destination_country:
        differs(
            "logistics.country",
            f"the waybill goes to {log.country}, the declaration to "
            f"{declaration.destination_country}",
            declaration.destination_country,
            log.country,
        )
    lines_total = sum(line.quantity * line.unit_price_minor for line in order.lines)
    if lines_total != order.total_minor:
        differs(
            "order.total",
            f"the order's lines add up to {_fmt(lines_total, order.currency)}, "
            f"its total says {_fmt(order.total_minor, order.currency)}",
            _fmt(lines_total, order.currency),
            _fmt(order.total_minor, order.currency),
        )
    if order.currency != declaration.currency:
        differs(
            "order.currency",
            f"the order is in {order.currency}, the declaration in {declaration.currency}",
            declaration.currency,
            order.currency,
        )
    elif order.total_minor != declaration.total_value_minor:
        differs(
            "total_value",
            f"declared {_fmt(declaration.total_value_minor, declaration.currency)}, "
            f"the order total is {_fmt(order.total_minor, order.currency)}",
            _fmt(order.total_minor, order.currency),
            _fmt(declaration.total_value_minor, declaration.currency),
        )
    found.extend(_goods_mismatches(declaration.lines, order.lines, order.currency))
    return found


# the checks of three-document matching, as a report shows them (a field, or a field prefix)
MATCH_CHECKS: tuple[tuple[str, str], ...] = (
    ("payment.order_no", "the payment is for this order"),
    ("logistics.order_no", "the waybill is for this order"),
    ("payment.amount", "the amount paid is the order total"),
    ("payment.currency", "the payment is in the order's currency"),
    ("payment.payer_name", "the payer is the buyer"),
    ("payment.payer_id_number", "the payer's ID number is the buyer's"),
    ("logistics.consignee_name", "the consignee is the buyer"),
    ("logistics.country", "the waybill goes to the declared destination"),
    ("order.total", "the order's lines add up to its total"),
    ("order.currency", "the order is in the declaration's currency"),
    ("total_value", "the declared value is the order total"),
    ("order.lines", "the declared goods are the order's goods"),
)


def matching_report(declaration: Declaration) -> list[dict[str, object]]:
    """Each matching check with its outcome and, where it failed, what differs."""
    mismatches = match_three_documents(declaration)
    report: list[dict[str, object]] = []
    for check, label in MATCH_CHECKS:
        failed = [m for m in mismatches if m.field == check or m.field.startswith(check + "[")]
        report.append(
            {
                "check": check,
                "label": label,
                "ok": not failed,
                "mismatches": [m.as_dict() for m in failed],
            }
        )
    return report


def _goods_mismatches(
    lines: tuple[GoodsLine, ...], ordered: tuple[OrderLine, ...], currency: str
) -> list[Mismatch]:
    found: list[Mismatch] = []
    if len(lines) != len(ordered):
        found.append(
            Mismatch(
                "order.lines",
                f"the order has {len(ordered)} line(s), the declaration {len(lines)}",
                str(len(lines)),
                str(len(ordered)),
            )
        )
        return found
    for index, (line, item) in enumerate(zip(lines, ordered, strict=True)):
        p = f"order.lines[{index}]."
        if item.sku_id and line.sku_id and item.sku_id != line.sku_id:
            found.append(
                Mismatch(
                    f"{p}sku_id",
                    f"ordered SKU {item.sku_id}, declared SKU {line.sku_id}",
                    str(line.sku_id),
                    item.sku_id,
                )
            )
        if item.hs_code and item.hs_code != line.hs_code:
            found.append(
                Mismatch(
                    f"{p}hs_code",
                    f"ordered goods under HS {item.hs_code}, declared under {line.hs_code}",
                    line.hs_code,
                    item.hs_code,
                )
            )
        if item.quantity != line.quantity:
            found.append(
                Mismatch(
                    f"{p}quantity",
                    f"ordered {item.quantity}, declared {line.quantity}",
                    str(line.quantity),
                    str(item.quantity),
                )
            )
        if item.unit_price_minor != line.unit_price_minor:
            found.append(
                Mismatch(
                    f"{p}unit_price",
                    f"ordered at {_fmt(item.unit_price_minor, currency)}, "
                    f"declared at {_fmt(line.unit_price_minor, line.currency)}",
                    _fmt(line.unit_price_minor, line.currency),
                    _fmt(item.unit_price_minor, currency),
                )
            )
    return found


HsKnown = Callable[[str], bool]


def exporter_errors(exporter: Exporter | None) -> list[FieldError]:
    if exporter is None:
        return [
            FieldError(
                "exporter",
                "name the exporter of record: a supplier, or the platform's export entity",
            )
        ]
    found = []
    if exporter.kind not in EXPORTER_KINDS:
        found.append(FieldError("exporter.kind", f"one of {', '.join(EXPORTER_KINDS)}"))
    if not exporter.name.strip():
        found.append(FieldError("exporter.name", "is required"))
    if not uscc.is_valid(exporter.credit_code or ""):
        found.append(
            FieldError(
                "exporter.credit_code",
                f"{exporter.credit_code!r} is not a valid unified social credit code",
            )
        )
    if not _CUSTOMS_CODE.match(exporter.customs_code or ""):
        found.append(
            FieldError(
                "exporter.customs_code",
                "the customs registration code is 10 capital letters or digits",
            )
        )
    if not exporter.address.strip():
        found.append(FieldError("exporter.address", "is required"))
    return found


def line_errors(
    lines: tuple[GoodsLine, ...], currency: str, hs_known: HsKnown, *, priced: bool = True
) -> list[FieldError]:
    """Each line: an existing HS subheading, a positive quantity in a known unit, a positive
    price in the declaration's currency, and a value of exactly quantity × unit price."""
    if not lines:
        return [FieldError("lines", "a declaration needs at least one goods line")]
    found = []
    for index, line in enumerate(lines):
        p = f"lines[{index}]."
        if not line.hs_code:
            found.append(
                FieldError(
                    f"{p}hs_code",
                    "is required: give the HS code, or a SKU whose HS code is confirmed",
                )
            )
        elif not _HS.match(line.hs_code):
            found.append(FieldError(f"{p}hs_code", f"{line.hs_code!r}: 6, 8 or 10 digits"))
        elif not hs_known(line.hs_code[:6]):
            found.append(
                FieldError(
                    f"{p}hs_code",
                    f"{line.hs_code} does not exist: {line.hs_code[:6]} is not an HS 2022 "
                    "subheading",
                )
            )
        if line.quantity <= 0:
            found.append(
                FieldError(f"{p}quantity", f"must be greater than zero, got {line.quantity}")
            )
        if line.unit not in UNITS:
            found.append(FieldError(f"{p}unit", f"one of {', '.join(UNITS)}"))
        if line.currency != currency:
            found.append(
                FieldError(
                    f"{p}currency",
                    f"line {line.line_no} is in {line.currency}; every line must be in the "
                    f"declaration's currency, {currency}",
                )
            )
        if priced and line.unit_price_minor <= 0:
            found.append(FieldError(f"{p}unit_price", "must be greater than zero"))
        if priced and line.value_minor != line.quantity * line.unit_price_minor:
            found.append(
                FieldError(
                    f"{p}value",
                    f"line {line.line_no}: {line.quantity} × "
                    f"{_fmt(line.unit_price_minor, line.currency)} is "
                    f"{_fmt(line.quantity * line.unit_price_minor, line.currency)}, not "
                    f"{_fmt(line.value_minor, line.currency)}",
                )
            )
        if line.net_weight_g <= 0:
            found.append(FieldError(f"{p}net_weight_g", "must be greater than zero"))
        if not line.description.strip():
            found.append(FieldError(f"{p}description", "is required"))
        if pycountry.countries.get(alpha_2=line.origin_country or "") is None:
            found.append(FieldError(f"{p}origin_country", "unknown ISO 3166 country code"))
    return found


def declaration_errors(declaration: Declaration, hs_known: HsKnown) -> list[FieldError]:
    """Every rule the declaration breaks, each naming its field; empty when it may be filed."""
    d = declaration
    found: list[FieldError] = []
    if d.mode not in MODES:
        return [FieldError("mode", f"unknown customs mode {d.mode!r}; one of {', '.join(MODES)}")]
    if d.kind not in MODES[d.mode].kinds:
        found.append(FieldError("kind", f"a {d.mode} declaration cannot be a {d.kind}"))
    found += exporter_errors(d.exporter)
    if not is_known_currency(d.currency or ""):
        found.append(FieldError("currency", f"unknown ISO 4217 currency code {d.currency!r}"))
    if d.transport_mode not in TRANSPORT_MODES:
        found.append(
            FieldError(
                "transport_mode", f"one of {', '.join(TRANSPORT_MODES)}, got {d.transport_mode!r}"
            )
        )
    if not _PORT.match(d.port_of_exit or ""):
        found.append(
            FieldError("port_of_exit", "the customs district of exit (关区代码) is 4 digits")
        )
    found += _destination_errors(d)
    found += line_errors(d.lines, d.currency, hs_known)
    if d.lines and d.total_value_minor != d.lines_total_minor:
        found.append(
            FieldError(
                "total_value",
                f"the declaration states {_fmt(d.total_value_minor, d.currency)} but its lines "
                f"add up to {_fmt(d.lines_total_minor, d.currency)}",
            )
        )
    if d.gross_weight_g <= 0:
        found.append(FieldError("gross_weight_g", "must be greater than zero"))
    elif d.net_weight_g > d.gross_weight_g:
        found.append(
            FieldError(
                "gross_weight_g",
                f"the goods weigh {d.net_weight_g} g net, more than the {d.gross_weight_g} g "
                "gross weight",
            )
        )
    if d.packages < 1:
        found.append(FieldError("packages", "at least one package"))
    found += _mode_errors(d)
    return found


def _destination_errors(d: Declaration) -> list[FieldError]:
    country = d.destination_country
    if pycountry.countries.get(alpha_2=country or "") is None:
        return [FieldError("destination_country", f"unknown ISO 3166 country code {country!r}")]
    if d.mode == "1210" and (d.bonded is None or d.bonded.direction not in BONDED_DIRECTIONS):
        return []  # which way the goods go is not known: the bonded particulars say so
    into_bonded = d.mode == "1210" and d.bonded is not None and d.bonded.direction == "entry"
    if into_bonded and country != "CN":
        return [
            FieldError(
                "destination_country",
                "goods entering a bonded warehouse stay in China: the destination is CN",
            )
        ]
    if not into_bonded and country == "CN":
        return [FieldError("destination_country", "an export goes to a country other than CN")]
    return []


def _mode_errors(d: Declaration) -> list[FieldError]:
    found: list[FieldError] = []
    if d.mode == "9610" and d.kind == Kind.PARCEL:
        if d.documents is None:
            found.append(
                FieldError("order", "a 9610 parcel needs its order, payment and logistics records")
            )
        else:
            found += [m.as_error() for m in match_three_documents(d)]
    elif d.mode == "9610" and d.kind == Kind.CONSOLIDATED:
        found += consolidation_errors(d)
    elif d.mode == "9710":
        b = d.buyer
        if b is None:
            found.append(FieldError("buyer", "a 9710 export names the overseas business buyer"))
        else:
            if not b.name.strip():
                found.append(FieldError("buyer.name", "is required"))
            if pycountry.countries.get(alpha_2=b.country or "") is None:
                found.append(FieldError("buyer.country", "unknown ISO 3166 country code"))
            elif b.country == "CN":
                found.append(FieldError("buyer.country", "the buyer of an export is abroad"))
            if not _REF.match(b.contract_no or ""):
                found.append(
                    FieldError(
                        "buyer.contract_no", "the contract or order number (1-64 characters)"
                    )
                )
    elif d.mode == "9810":
        w = d.overseas_warehouse
        if w is None:
            found.append(
                FieldError("overseas_warehouse", "a 9810 export names the overseas warehouse")
            )
        else:
            if not _WAREHOUSE.match(w.code or ""):
                found.append(
                    FieldError("overseas_warehouse.code", "4-20 capital letters, digits or '-'")
                )
            if not w.name.strip():
                found.append(FieldError("overseas_warehouse.name", "is required"))
            if w.country != d.destination_country:
                found.append(
                    FieldError(
                        "destination_country",
                        f"the goods go to warehouse {w.code} in {w.country}, not to "
                        f"{d.destination_country}",
                    )
                )
    elif d.mode == "1210":
        found += _bonded_errors(d.bonded)
    return found


def _bonded_errors(b: Bonded | None) -> list[FieldError]:
    if b is None or not (b.warehouse_code or "").strip():
        return [
            FieldError("bonded.warehouse_code", "a 1210 declaration names the bonded warehouse")
        ]
    found = []
    if not _WAREHOUSE.match(b.warehouse_code):
        found.append(FieldError("bonded.warehouse_code", "4-20 capital letters, digits or '-'"))
    if b.direction not in BONDED_DIRECTIONS:
        found.append(
            FieldError(
                "bonded.direction", f"one of {', '.join(BONDED_DIRECTIONS)}, got {b.direction!r}"
            )
        )
    if b.direction == "exit" and not (b.entry_number or "").strip():
        found.append(
            FieldError(
                "bonded.entry_number",
                "goods leave a bonded warehouse against the cleared entry they came in under",
            )
        )
    return found


# --- 9610 consolidation -------------------------------------------------------------------------


def period_of(moment: datetime) -> str:
    """The customs period (YYYY-MM, China time) a moment falls in."""
    return moment.astimezone(CHINA_TIME).strftime("%Y-%m")


def period_error(period: str) -> str | None:
    return None if _PERIOD.match(period or "") else "a month as YYYY-MM, e.g. 2026-03"


def consolidated_lines(parcels: Iterable[ParcelRecord]) -> tuple[GoodsLine, ...]:
    """The parcels' goods summed: lines alike in everything but quantity become one line
    (quantity, value, weight and purchase value added), in the order first seen."""
    merged: dict[tuple[object, ...], GoodsLine] = {}
    for parcel in parcels:
        for line in parcel.lines:
            key = (
                line.hs_code,
                line.description,
                line.description_zh,
                line.unit,
                line.unit_price_minor,
                line.currency,
                line.origin_country,
                line.sku_id,
                line.vat_invoiced,
            )
            seen = merged.get(key)
            if seen is None:
                merged[key] = replace(line, line_no=len(merged) + 1)
                continue
            purchase = (
                None
                if seen.purchase_value_cny_minor is None or line.purchase_value_cny_minor is None
                else seen.purchase_value_cny_minor + line.purchase_value_cny_minor
            )
            merged[key] = replace(
                seen,
                quantity=seen.quantity + line.quantity,
                value_minor=seen.value_minor + line.value_minor,
                net_weight_g=seen.net_weight_g + line.net_weight_g,
                purchase_value_cny_minor=purchase,
            )
    return tuple(merged.values())


def parcel_errors(
    period: str, parcels: Iterable[ParcelRecord], consolidation_number: str | None = None
) -> list[FieldError]:
    """A consolidation covers cleared 9610 parcels of one period, exporter, destination,
    transport mode and currency, none already in another consolidation."""
    parcels = list(parcels)
    if not parcels:
        return [FieldError("parcel_ids", "choose at least one cleared parcel")]
    first = parcels[0]
    found = []
    for index, p in enumerate(parcels):
        f = f"parcels[{index}]"
        if p.state != "cleared":
            found.append(FieldError(f, f"parcel {p.number} is {p.state}, not cleared"))
        elif p.period != period:
            found.append(
                FieldError(f, f"parcel {p.number} was cleared in {p.period}, not in {period}")
            )
        if p.consolidated_into and p.consolidated_into != consolidation_number:
            found.append(
                FieldError(f, f"parcel {p.number} is already consolidated in {p.consolidated_into}")
            )
        for attr, label in (
            ("exporter_credit_code", "exporter"),
            ("destination_country", "destination"),
            ("transport_mode", "transport mode"),
            ("currency", "currency"),
        ):
            if getattr(p, attr) != getattr(first, attr):
                found.append(
                    FieldError(
                        f,
                        f"parcel {p.number} has another {label} ({getattr(p, attr)}) than "
                        f"parcel {first.number} ({getattr(first, attr)})",
                    )
                )
    numbers = [p.number for p in parcels]
    for number in sorted({n for n in numbers if numbers.count(n) > 1}):
        found.append(FieldError("parcel_ids", f"parcel {number} is listed twice"))
    return found


def consolidation_errors(d: Declaration) -> list[FieldError]:
    found = []
    if (problem := period_error(d.period or "")) is not None:
        return [FieldError("period", problem)]
    found += parcel_errors(d.period or "", d.parcels, d.number)
    if d.parcels:
        first = d.parcels[0]
        if d.exporter is not None and d.exporter.credit_code != first.exporter_credit_code:
            found.append(FieldError("exporter", "the exporter is not the parcels' exporter"))
        if first.destination_country != d.destination_country:
            found.append(FieldError("destination_country", "is not the parcels' destination"))
        expected = consolidated_lines(d.parcels)
        if _line_sums(expected) != _line_sums(d.lines):
            found.append(
                FieldError(
                    "lines",
                    "the consolidated lines do not add up to the parcels' goods "
                    f"({_fmt(sum(x.value_minor for x in expected), d.currency)} in "
                    f"{len(d.parcels)} parcel(s))",
                )
            )
    return found


def _line_sums(lines: Iterable[GoodsLine]) -> list[tuple[object, ...]]:
    return sorted(
        (line.hs_code, line.unit, line.unit_price_minor, line.quantity, line.value_minor)
        for line in lines
    )


# --- the state machine --------------------------------------------------------------------------


class State:
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CLEARED = "cleared"
    HELD = "held"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


ALL_STATES = (
    State.DRAFT,
    State.SUBMITTED,
    State.CLEARED,
    State.HELD,
    State.REJECTED,
    State.CANCELLED,
)


def _t(action: str, sources: set[str], target: str, permission: str) -> Transition:
    return Transition(action, frozenset(sources), target, permission)


# the authority's answers (clear, hold, reject) are recorded as the authority's own moves
DECLARATION = StateMachine(
    "declaration",
    [
        _t("submit", {State.DRAFT}, State.SUBMITTED, "customs.declare"),
        _t("resubmit", {State.HELD}, State.SUBMITTED, "customs.declare"),
        _t("clear", {State.SUBMITTED}, State.CLEARED, "customs.declare"),
        _t("hold", {State.SUBMITTED}, State.HELD, "customs.declare"),
        _t("reject", {State.SUBMITTED}, State.REJECTED, "customs.declare"),
        _t("revise", {State.REJECTED}, State.DRAFT, "customs.declare"),
        _t("cancel", {State.DRAFT, State.HELD, State.REJECTED}, State.CANCELLED, "customs.declare"),
    ],
)
# the moves a person makes; the rest are the authority's answers
DECLARANT_ACTIONS = ("submit", "resubmit", "revise", "cancel")
AUTHORITY_OUTCOMES = {"cleared": "clear", "held": "hold", "rejected": "reject"}


def declaration_number(mode: str, at: datetime, suffix: str) -> str:
    """The platform's number for a declaration, e.g. 9610-20261128-7K3QZX (China date)."""
    return f"{mode}-{at.astimezone(CHINA_TIME):%Y%m%d}-{suffix.upper()}"


def today_in_china(moment: datetime) -> date:
    return moment.astimezone(CHINA_TIME).date()


__all__ = [
    "ALL_STATES",
    "DECLARATION",
    "MODES",
    "TRANSPORT_MODES",
    "UNITS",
    "Bonded",
    "Buyer",
    "Declaration",
    "DeclarationDraft",
    "Exporter",
    "ExporterDraft",
    "GoodsLine",
    "Kind",
    "LineDraft",
    "LogisticsDraft",
    "LogisticsRecord",
    "Mismatch",
    "OrderDraft",
    "OrderLine",
    "OrderLineDraft",
    "OrderRecord",
    "OverseasWarehouse",
    "ParcelRecord",
    "PaymentDraft",
    "PaymentRecord",
    "State",
    "ThreeDocuments",
    "consolidated_lines",
    "declaration_errors",
    "declaration_number",
    "match_three_documents",
    "parse_declaration",
    "period_of",
]
