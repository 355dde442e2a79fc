"""Export declarations over HTTP: create per mode, consolidate 9610 parcels, submit to the
customs authority, resubmit after a hold, revise, cancel; the commercial invoice and packing
list as JSON and PDF; export VAT rebate estimates and the rebate rates.

Money travels as decimal strings with its currency; every POST that creates something takes
an Idempotency-Key.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, BeforeValidator, Field

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import MoneyOut, Note, PageOut, Reason, Strict, TransitionOut
from chuhai.core.context import Context
from chuhai.core.errors import NotFound
from chuhai.customs import declaration_service as service
from chuhai.customs.declarations import (
    MODES,
    Bonded,
    Buyer,
    DeclarationDraft,
    ExporterDraft,
    LineDraft,
    LogisticsDraft,
    OrderDraft,
    OrderLineDraft,
    OverseasWarehouse,
    PaymentDraft,
)
from chuhai.customs.documents import DOCUMENT_KINDS
from chuhai.customs.rebates import LineRebate, RebateEstimate

router = APIRouter(prefix="/customs", tags=["customs declarations"])


def _no_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError('give money as a decimal string such as "12.50", not a number')
    return value


MoneyText = Annotated[str, BeforeValidator(_no_float)]


# --- request shapes ------------------------------------------------------------------------------


class ExporterIn(Strict):
    kind: str = Field(description="supplier (with supplier_id) or platform (every particular)")
    customs_code: str = Field(description="customs registration code (海关注册编码), 10 characters")
    supplier_id: str | None = None
    name: str = ""
    name_en: str = ""
    credit_code: str = ""
    address: str = ""


class LineIn(Strict):
    quantity: int
    unit_price: MoneyText
    currency: str
    unit: str = "PCS"
    sku_id: str | None = None
    hs_code: str = ""
    description: str = ""
    description_zh: str = ""
    value: MoneyText | None = Field(None, description="optional; checked against quantity × price")
    origin_country: str = ""
    net_weight_g: int | None = None
    purchase_value_cny: MoneyText | None = Field(
        None,
        description="what the platform paid, VAT included (defaults to the SKU's supply price)",
    )
    vat_invoiced: bool = True


class OrderLineIn(Strict):
    quantity: int
    unit_price: MoneyText
    description: str = ""
    sku_id: str | None = None
    hs_code: str = ""


class OrderIn(Strict):
    order_no: str
    buyer_name: str
    lines: list[OrderLineIn]
    total: MoneyText
    currency: str
    buyer_id_number: str = Field("", description="hashed on arrival; never stored or returned")


class PaymentIn(Strict):
    payment_no: str
    order_no: str
    payer_name: str
    amount: MoneyText
    currency: str
    paid_at: datetime
    payer_id_number: str = Field("", description="hashed on arrival; never stored or returned")


class LogisticsIn(Strict):
    waybill_no: str
    order_no: str
    consignee_name: str
    address: str
    country: str
    weight_g: int


class BuyerIn(Strict):
    name: str
    country: str
    contract_no: str


class OverseasWarehouseIn(Strict):
    code: str
    name: str
    country: str


class BondedIn(Strict):
    warehouse_code: str
    direction: str = Field(description="entry (into the bonded warehouse) or exit")
    entry_number: str = Field("", description="exit: the number of the cleared entry declaration")


class DeclarationIn(Strict):
    mode: str = Field(description=", ".join(f"{m.code} {m.name}" for m in MODES.values()))
    exporter: ExporterIn | None = None
    currency: str
    destination_country: str
    transport_mode: str
    port_of_exit: str = Field(description="customs district of exit (关区代码), 4 digits")
    lines: list[LineIn]
    gross_weight_g: int | None = None
    packages: int = 1
    total_value: MoneyText | None = None
    order: OrderIn | None = None
    payment: PaymentIn | None = None
    logistics: LogisticsIn | None = None
    buyer: BuyerIn | None = None
    overseas_warehouse: OverseasWarehouseIn | None = None
    bonded: BondedIn | None = None


class ConsolidateIn(Strict):
    period: str = Field(description="the month the parcels were cleared in, YYYY-MM (China time)")
    parcel_ids: list[str]
    port_of_exit: str | None = None


class ResubmitIn(Strict):
    response: str = Field(description="the answer to the hold: the inspection's outcome")


class RebateRateIn(Strict):
    hs_prefix: str
    rate: str = Field(description="a fraction, e.g. 0.13")
    effective_from: date
    effective_to: date | None = None
    description: str
    source: str


def draft_of(body: DeclarationIn) -> DeclarationDraft:
    """The service's draft from the request body."""
    order = body.order
    return DeclarationDraft(
        mode=body.mode,
        exporter=ExporterDraft(**body.exporter.model_dump()) if body.exporter else None,
        currency=body.currency,
        destination_country=body.destination_country,
        transport_mode=body.transport_mode,
        port_of_exit=body.port_of_exit,
        lines=[LineDraft(**line.model_dump()) for line in body.lines],
        gross_weight_g=body.gross_weight_g,
        packages=body.packages,
        total_value=body.total_value,
        order=OrderDraft(
            order_no=order.order_no,
            buyer_name=order.buyer_name,
            lines=[OrderLineDraft(**line.model_dump()) for line in order.lines],
            total=order.total,
            currency=order.currency,
            buyer_id_number=order.buyer_id_number,
        )
        if order
        else None,
        payment=PaymentDraft(**body.payment.model_dump()) if body.payment else None,
        logistics=LogisticsDraft(**body.logistics.model_dump()) if body.logistics else None,
        buyer=Buyer(**body.buyer.model_dump()) if body.buyer else None,
        overseas_warehouse=OverseasWarehouse(**body.overseas_warehouse.model_dump())
        if body.overseas_warehouse
        else None,
        bonded=Bonded(**body.bonded.model_dump()) if body.bonded else None,
    )


# --- response shapes -----------------------------------------------------------------------------


class DeclarationSummaryOut(BaseModel):
    id: str
    number: str
    mode: str
    kind: str
    state: str
    exporter_name: str
    total_value: MoneyOut
    destination_country: str
    transport_mode: str
    order_no: str | None
    period: str | None
    authority_reference: str | None
    created_at: datetime
    updated_at: datetime


class ExporterOut(BaseModel):
    kind: str
    supplier_id: str | None
    name: str
    name_en: str
    credit_code: str
    customs_code: str
    address: str


class LineOut(BaseModel):
    line_no: int
    sku_id: str | None
    hs_code: str
    description: str
    description_zh: str
    quantity: int
    unit: str
    unit_price: MoneyOut
    value: MoneyOut
    origin_country: str
    net_weight_g: int
    purchase_value_cny: MoneyOut | None
    vat_invoiced: bool


class ResponseOut(BaseModel):
    attempt: int
    authority: str
    outcome: str
    reference: str
    reasons: list[dict[str, str]]
    response_to_hold: str
    submitted_at: datetime
    answered_at: datetime


class RebateLineOut(BaseModel):
    line_no: int
    hs_code: str
    sku_id: str | None
    purchase_value_cny: MoneyOut | None
    rate: str | None
    rate_id: str | None
    rate_source: str | None
    vat_rate: str
    rebate: MoneyOut | None
    note: str


class RebateOut(BaseModel):
    on: date
    vat_rate: str
    lines: list[RebateLineOut]
    total: MoneyOut
    complete: bool
    eligible: bool
    note: str


class DeclarationOut(DeclarationSummaryOut):
    exporter: ExporterOut
    port_of_exit: str
    gross_weight_g: int
    net_weight_g: int
    packages: int
    lines: list[LineOut]
    documents: dict[str, Any] | None = Field(
        description="9610 parcels: the order, payment and logistics records as received"
    )
    matching: list[dict[str, Any]] | None
    buyer: dict[str, str] | None
    overseas_warehouse: dict[str, str] | None
    bonded: dict[str, str] | None
    parcels: list[DeclarationSummaryOut]
    consolidated_into: DeclarationSummaryOut | None
    responses: list[ResponseOut]
    rebate: RebateOut
    actions: list[str]
    document_urls: dict[str, str]
    submitted_at: datetime | None
    cleared_at: datetime | None


class RebateRateOut(BaseModel):
    id: str
    hs_prefix: str
    rate: str
    effective_from: date
    effective_to: date | None
    description: str
    source: str


def summary_out(row: Any) -> DeclarationSummaryOut:
    return DeclarationSummaryOut(
        id=row.id,
        number=row.number,
        mode=row.mode,
        kind=row.kind,
        state=row.state,
        exporter_name=row.exporter_name,
        total_value=MoneyOut.of(row.total_value_minor, row.currency),
        destination_country=row.destination_country,
        transport_mode=row.transport_mode,
        order_no=row.order_no,
        period=row.period,
        authority_reference=row.authority_reference,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _rebate_line_out(line: LineRebate) -> RebateLineOut:
    return RebateLineOut(
        line_no=line.line_no,
        hs_code=line.hs_code,
        sku_id=line.sku_id,
        purchase_value_cny=MoneyOut.of(line.purchase_value_cny_minor, "CNY")
        if line.purchase_value_cny_minor is not None
        else None,
        rate=str(line.rate.rate) if line.rate else None,
        rate_id=line.rate.id if line.rate else None,
        rate_source=line.rate.source if line.rate else None,
        vat_rate=str(line.vat_rate),
        rebate=MoneyOut.of(line.rebate_cny_minor, "CNY")
        if line.rebate_cny_minor is not None
        else None,
        note=line.note,
    )


def rebate_out(estimate: RebateEstimate) -> RebateOut:
    return RebateOut(
        on=estimate.on,
        vat_rate=str(estimate.vat_rate),
        lines=[_rebate_line_out(line) for line in estimate.lines],
        total=MoneyOut.of(estimate.total_cny_minor, "CNY"),
        complete=estimate.complete,
        eligible=estimate.eligible,
        note=estimate.note,
    )


def _public_documents(stored: dict[str, Any]) -> dict[str, Any] | None:
    """The three documents without the internal minor-unit copies of the amounts, and without
    the ID-number hashes (kept for matching, not handed out)."""
    if not stored:
        return None

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if not k.endswith(("_minor", "_hash"))}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return clean(stored)  # type: ignore[no-any-return]


def declaration_out(ctx: Context, declaration_id: str) -> DeclarationOut:
    view = service.declaration_view(ctx, declaration_id)
    row, d = view.row, view.declaration
    base = f"/api/v1/customs/declarations/{row.id}/documents"
    return DeclarationOut(
        **summary_out(row).model_dump(),
        exporter=ExporterOut(
            kind=row.exporter_kind,
            supplier_id=row.exporter_supplier_id,
            name=row.exporter_name,
            name_en=row.exporter_name_en,
            credit_code=row.exporter_credit_code,
            customs_code=row.exporter_customs_code,
            address=row.exporter_address,
        ),
        port_of_exit=row.port_of_exit,
        gross_weight_g=row.gross_weight_g,
        net_weight_g=d.net_weight_g,
        packages=row.packages,
        lines=[
            LineOut(
                line_no=line.line_no,
                sku_id=line.sku_id,
                hs_code=line.hs_code,
                description=line.description,
                description_zh=line.description_zh,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=MoneyOut.of(line.unit_price_minor, line.currency),
                value=MoneyOut.of(line.value_minor, line.currency),
                origin_country=line.origin_country,
                net_weight_g=line.net_weight_g,
                purchase_value_cny=MoneyOut.of(line.purchase_value_cny_minor, "CNY")
                if line.purchase_value_cny_minor is not None
                else None,
                vat_invoiced=line.vat_invoiced,
            )
            for line in view.lines
        ],
        documents=_public_documents(row.documents),
        matching=view.matching,
        buyer={"name": row.buyer_name, "country": row.buyer_country, "contract_no": row.contract_no}
        if row.mode == "9710"
        else None,
        overseas_warehouse={
            "code": row.overseas_warehouse_code,
            "name": row.overseas_warehouse_name,
            "country": row.overseas_warehouse_country,
        }
        if row.mode == "9810"
        else None,
        bonded={
            "warehouse_code": row.bonded_warehouse_code,
            "direction": row.bonded_direction,
            "entry_number": view.bonded_entry.number if view.bonded_entry else "",
        }
        if row.mode == "1210"
        else None,
        parcels=[summary_out(p) for p in view.parcels],
        consolidated_into=summary_out(view.consolidated_into) if view.consolidated_into else None,
        responses=[ResponseOut.model_validate(r, from_attributes=True) for r in view.responses],
        rebate=rebate_out(view.rebate),
        actions=view.actions,
        document_urls={
            f"{kind}.{ext}": f"{base}/{kind}.{ext}"
            for kind in DOCUMENT_KINDS
            for ext in ("json", "pdf")
        },
        submitted_at=row.submitted_at,
        cleared_at=row.cleared_at,
    )


def _answer(ctx: Context, declaration_id: str) -> DeclarationOut:
    ctx.session.commit()
    return declaration_out(ctx, declaration_id)


# --- routes --------------------------------------------------------------------------------------


@router.get("/declarations", response_model=PageOut[DeclarationSummaryOut])
def list_declarations(
    mode: str | None = None,
    state: str | None = None,
    kind: str | None = None,
    period: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> PageOut[DeclarationSummaryOut]:
    page = service.list_declarations(
        ctx, mode=mode, state=state, kind=kind, period=period, search=q, limit=limit, offset=offset
    )
    return PageOut(
        items=[summary_out(r) for r in page.items], total=page.total, limit=limit, offset=offset
    )


@router.post("/declarations", status_code=201, response_model=DeclarationOut)
def create_declaration(
    body: DeclarationIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    def create() -> DeclarationOut:
        row = service.create_declaration(ctx, draft_of(body))
        return declaration_out(ctx, row.id)

    return run_idempotent(ctx, request, idempotency_key, body, create)


@router.post("/consolidations", status_code=201, response_model=DeclarationOut)
def consolidate(
    body: ConsolidateIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """The 9610 consolidated declaration of a month's cleared parcels."""

    def create() -> DeclarationOut:
        row = service.consolidate(
            ctx, period=body.period, parcel_ids=body.parcel_ids, port_of_exit=body.port_of_exit
        )
        return declaration_out(ctx, row.id)

    return run_idempotent(ctx, request, idempotency_key, body, create)


@router.get("/eligible-parcels", response_model=list[DeclarationSummaryOut])
def eligible_parcels(
    period: str | None = None, ctx: Context = Depends(api_context)
) -> list[DeclarationSummaryOut]:
    """Cleared 9610 parcels not yet consolidated."""
    return [summary_out(r) for r in service.eligible_parcels(ctx, period)]


@router.get("/declarations/{declaration_id}", response_model=DeclarationOut)
def get_declaration(declaration_id: str, ctx: Context = Depends(api_context)) -> DeclarationOut:
    return declaration_out(ctx, declaration_id)


@router.put("/declarations/{declaration_id}", response_model=DeclarationOut)
def update_declaration(
    declaration_id: str, body: DeclarationIn, ctx: Context = Depends(api_context)
) -> DeclarationOut:
    service.update_declaration(ctx, declaration_id, draft_of(body))
    return _answer(ctx, declaration_id)


@router.get("/declarations/{declaration_id}/transitions", response_model=list[TransitionOut])
def transitions(declaration_id: str, ctx: Context = Depends(api_context)) -> list[TransitionOut]:
    return [TransitionOut.model_validate(t) for t in service.transitions_of(ctx, declaration_id)]


@router.post("/declarations/{declaration_id}/submit", response_model=DeclarationOut)
def submit(declaration_id: str, body: Note, ctx: Context = Depends(api_context)) -> DeclarationOut:
    service.submit(ctx, declaration_id, body.note)
    return _answer(ctx, declaration_id)


@router.post("/declarations/{declaration_id}/resubmit", response_model=DeclarationOut)
def resubmit(
    declaration_id: str, body: ResubmitIn, ctx: Context = Depends(api_context)
) -> DeclarationOut:
    service.resubmit(ctx, declaration_id, body.response)
    return _answer(ctx, declaration_id)


@router.post("/declarations/{declaration_id}/revise", response_model=DeclarationOut)
def revise(declaration_id: str, body: Note, ctx: Context = Depends(api_context)) -> DeclarationOut:
    service.revise(ctx, declaration_id, body.note)
    return _answer(ctx, declaration_id)


@router.post("/declarations/{declaration_id}/cancel", response_model=DeclarationOut)
def cancel(
    declaration_id: str, body: Reason, ctx: Context = Depends(api_context)
) -> DeclarationOut:
    service.cancel(ctx, declaration_id, body.reason)
    return _answer(ctx, declaration_id)


@router.get("/declarations/{declaration_id}/rebate", response_model=RebateOut)
def declaration_rebate(declaration_id: str, ctx: Context = Depends(api_context)) -> RebateOut:
    return rebate_out(service.declaration_rebate(ctx, declaration_id))


@router.get(
    "/declarations/{declaration_id}/documents/{document}",
    responses={200: {"content": {"application/pdf": {}, "application/json": {}}}},
)
def document(declaration_id: str, document: str, ctx: Context = Depends(api_context)) -> Response:
    """commercial-invoice.json|.pdf or packing-list.json|.pdf."""
    kind, _, ext = document.rpartition(".")
    if kind not in DOCUMENT_KINDS or ext not in ("json", "pdf"):
        raise NotFound(
            f"no document {document!r}; one of "
            + ", ".join(f"{k}.{e}" for k in DOCUMENT_KINDS for e in ("json", "pdf")),
            field="document",
        )
    if ext == "json":
        return JSONResponse(service.document_json(ctx, declaration_id, kind))
    filename, content = service.document_pdf(ctx, declaration_id, kind)
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/skus/{sku_id}/rebate", response_model=RebateLineOut)
def sku_rebate(
    sku_id: str, quantity: int = 1, on: date | None = None, ctx: Context = Depends(api_context)
) -> RebateLineOut:
    """The export VAT rebate on `quantity` units of a SKU bought at its supply price."""
    return _rebate_line_out(service.sku_rebate(ctx, sku_id, quantity, on))


@router.get("/rebate-rates", response_model=list[RebateRateOut])
def list_rebate_rates(
    hs_code: str | None = None, on: date | None = None, ctx: Context = Depends(api_context)
) -> list[RebateRateOut]:
    return [
        RebateRateOut.model_validate(r, from_attributes=True)
        for r in service.list_rebate_rates(ctx, hs_code, on)
    ]


@router.post("/rebate-rates", status_code=201, response_model=RebateRateOut)
def add_rebate_rate(
    body: RebateRateIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: RebateRateOut.model_validate(
            service.add_rebate_rate(ctx, **body.model_dump()), from_attributes=True
        ),
    )
