"""Inventory over HTTP: warehouses; stock levels, movements, count adjustments, write-offs
and the ledger check; stock-up orders to suppliers with their carton labels (PDF) and
penalties; line-haul transfers to the overseas warehouses.

Every POST that creates something takes an Idempotency-Key; actions on a stock-up order or a
transfer are state changes (a repeat answers 409 naming the state). Money travels as decimal
strings with its currency. A supplier's token reaches only its own stock-up orders (another
supplier's id answers 404).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import MoneyOut, Note, PageOut, Reason, Strict
from chuhai.core.context import Context
from chuhai.core.errors import ValidationFailed
from chuhai.core.money import Money, is_known_currency
from chuhai.inventory import penalties, stockup, transfers, warehouses
from chuhai.inventory import service as stock
from chuhai.inventory.model import BUCKETS

router = APIRouter(tags=["inventory"])


# --- warehouses -----------------------------------------------------------------------------------


class WarehouseIn(Strict):
    id: str = Field(description="upper-case code, e.g. US-LAX")
    name: str
    kind: str = Field(description="consolidation (in China) or overseas")
    country_code: str
    city: str
    latitude: float
    longitude: float
    capacity_m3: int
    handling_cost: str = Field(description="per unit handled, a decimal string, e.g. '0.95'")
    handling_currency: str
    markets: list[str]
    active: bool = True


class WarehouseUpdate(Strict):
    name: str | None = None
    kind: str | None = None
    country_code: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    capacity_m3: int | None = None
    handling_cost: str | None = None
    handling_currency: str | None = None
    markets: list[str] | None = None
    active: bool | None = None


class WarehouseOut(BaseModel):
    id: str
    name: str
    kind: str
    country_code: str
    city: str
    latitude: float
    longitude: float
    capacity_m3: int
    handling_cost: MoneyOut
    markets: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime


def warehouse_out(row: Any) -> WarehouseOut:
    return WarehouseOut(
        id=row.id,
        name=row.name,
        kind=row.kind,
        country_code=row.country_code,
        city=row.city,
        latitude=row.latitude,
        longitude=row.longitude,
        capacity_m3=row.capacity_m3,
        handling_cost=MoneyOut.of(row.handling_cost, row.handling_currency),
        markets=list(row.markets),
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _minor(text: Any, currency: str, field: str) -> int:
    if not is_known_currency(currency or ""):
        raise ValidationFailed.one("handling_currency", "an ISO 4217 currency code")
    if not isinstance(text, str):
        raise ValidationFailed.one(field, 'give money as a decimal string, e.g. "0.95"')
    return Money.parse(text, currency, field).amount_minor


def _spec_fields(body: dict[str, Any], currency: str) -> dict[str, Any]:
    if body.get("handling_cost") is not None:
        body["handling_cost"] = _minor(body["handling_cost"], currency, "handling_cost")
    return body


@router.get("/warehouses", response_model=list[WarehouseOut])
def list_warehouses(
    kind: str | None = None, market: str | None = None, ctx: Context = Depends(api_context)
) -> list[WarehouseOut]:
    return [warehouse_out(r) for r in warehouses.list_warehouses(ctx, kind=kind, market=market)]


@router.get("/warehouses/{warehouse_id}", response_model=WarehouseOut)
def get_warehouse(warehouse_id: str, ctx: Context = Depends(api_context)) -> WarehouseOut:
    return warehouse_out(warehouses.get_warehouse(ctx, warehouse_id))


@router.post("/warehouses", status_code=201, response_model=WarehouseOut)
def create_warehouse(
    body: WarehouseIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    def create() -> WarehouseOut:
        ctx.actor.require("warehouses.manage")
        fields = _spec_fields(body.model_dump(), body.handling_currency)
        return warehouse_out(warehouses.create_warehouse(ctx, warehouses.WarehouseSpec(**fields)))

    return run_idempotent(ctx, request, idempotency_key, body, create)


@router.patch("/warehouses/{warehouse_id}", response_model=WarehouseOut)
def update_warehouse(
    warehouse_id: str, body: WarehouseUpdate, ctx: Context = Depends(api_context)
) -> WarehouseOut:
    row = warehouses.get_warehouse(ctx, warehouse_id)
    ctx.actor.require("warehouses.manage")
    changes = body.model_dump(exclude_unset=True)
    if "handling_cost" in changes and changes["handling_cost"] is None:
        raise ValidationFailed.one("handling_cost", "give a decimal string, e.g. '0.95'")
    currency = changes.get("handling_currency") or row.handling_currency
    changes = {k: v for k, v in _spec_fields(changes, currency).items() if v is not None}
    warehouses.update_warehouse(ctx, warehouse_id, changes)
    ctx.session.commit()
    return warehouse_out(warehouses.get_warehouse(ctx, warehouse_id))


# --- stock --------------------------------------------------------------------------------------


class StockLevelOut(BaseModel):
    sku_id: str
    sku_code: str
    warehouse_id: str
    receiving: int
    on_hand: int
    reserved: int
    available: int
    picked: int
    in_transit: int


class MovementOut(BaseModel):
    id: int
    sku_id: str
    warehouse_id: str
    kind: str
    quantity: int
    changes: dict[str, int] = Field(description="what it did to each stock bucket")
    document_type: str
    document_id: str
    reason: str
    actor_id: str
    at: datetime


class CountIn(Strict):
    sku_id: str
    warehouse_id: str
    counted: int = Field(description="the units a stock count found on the shelf")
    reason: str


class WriteOffIn(Strict):
    sku_id: str
    warehouse_id: str
    quantity: int
    reason: str


class MismatchOut(BaseModel):
    sku_id: str
    warehouse_id: str
    bucket: str
    ledger: int
    balance: int


class CheckOut(BaseModel):
    ok: bool
    balances_checked: int
    mismatches: list[MismatchOut]


def movement_out(row: Any) -> MovementOut:
    return MovementOut(
        id=row.id,
        sku_id=row.sku_id,
        warehouse_id=row.warehouse_id,
        kind=row.kind,
        quantity=row.quantity,
        changes={b: getattr(row, f"d_{b}") for b in BUCKETS if getattr(row, f"d_{b}")},
        document_type=row.document_type,
        document_id=row.document_id,
        reason=row.reason,
        actor_id=row.actor_id,
        at=row.at,
    )


@router.get("/stock", response_model=PageOut[StockLevelOut])
def stock_levels(
    warehouse_id: str | None = None,
    sku_id: str | None = None,
    q: str | None = Query(None, description="part of a SKU code"),
    include_empty: bool = False,
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> PageOut[StockLevelOut]:
    page = stock.stock_levels(
        ctx,
        warehouse_id=warehouse_id,
        sku_id=sku_id,
        search=q,
        include_empty=include_empty,
        limit=limit,
        offset=offset,
    )
    return PageOut(
        items=[
            StockLevelOut(**{k: getattr(s, k) for k in StockLevelOut.model_fields})
            for s in page.items
        ],
        total=page.total,
        limit=limit,
        offset=offset,
    )


@router.get("/stock/movements", response_model=PageOut[MovementOut])
def stock_movements(
    sku_id: str | None = None,
    warehouse_id: str | None = None,
    document_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> PageOut[MovementOut]:
    page = stock.movements(
        ctx,
        sku_id=sku_id,
        warehouse_id=warehouse_id,
        document_id=document_id,
        limit=limit,
        offset=offset,
    )
    return PageOut(
        items=[movement_out(m) for m in page.items], total=page.total, limit=limit, offset=offset
    )


@router.post("/stock/count-adjustments", status_code=201, response_model=MovementOut)
def count_adjustment(
    body: CountIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Set the shelf to what a stock count found; the difference is booked with the reason."""

    def create() -> MovementOut:
        return movement_out(stock.adjust_count(ctx, **body.model_dump()))

    return run_idempotent(ctx, request, idempotency_key, body, create)


@router.post("/stock/write-offs", status_code=201, response_model=MovementOut)
def write_off(
    body: WriteOffIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    def create() -> MovementOut:
        return movement_out(stock.write_off(ctx, **body.model_dump()))

    return run_idempotent(ctx, request, idempotency_key, body, create)


@router.get("/stock/check", response_model=CheckOut)
def stock_check(ctx: Context = Depends(api_context)) -> CheckOut:
    """Every maintained balance against the sum of its ledger rows."""
    ctx.actor.require("stock.read")
    found = stock.check(ctx.session)
    return CheckOut(
        ok=not found,
        balances_checked=stock.balance_count(ctx.session),
        mismatches=[MismatchOut(**vars(m)) for m in found],
    )


# --- history (shared by stock-up orders and transfers) --------------------------------------------


class EventOut(BaseModel):
    model_config = {"from_attributes": True}
    action: str
    from_state: str | None
    to_state: str
    actor_id: str
    actor_name: str
    reason: str
    details: dict[str, Any]
    at: datetime


# --- stock-up orders ----------------------------------------------------------------------------


class StockUpLineIn(Strict):
    sku_id: str
    quantity: int


class StockUpIn(Strict):
    supplier_id: str
    warehouse_id: str = Field(description="the consolidation warehouse to deliver to")
    kind: str = Field(description="jit (with jit_hours) or planned (with due_on)")
    lines: list[StockUpLineIn]
    jit_hours: int | None = None
    due_on: date | None = Field(
        None, description="planned: delivered by the end of this day, China time"
    )
    note: str = ""


class CartonIn(Strict):
    sku_id: str
    units: int
    weight_g: int | None = None


class ShipIn(Strict):
    cartons: list[CartonIn]
    carrier: str = ""
    tracking_number: str = ""
    note: str = ""


class CountLineIn(Strict):
    sku_id: str
    received: int
    qc_sampled: int = 0
    qc_failed: int = 0
    discrepancy: str = ""


class ReceiveIn(Strict):
    lines: list[CountLineIn] = Field(description="one per SKU counted; a line not given counted 0")
    note: str = ""


class StockUpSummaryOut(BaseModel):
    id: str
    supplier_id: str
    warehouse_id: str
    kind: str
    state: str
    jit_hours: int | None
    due_at: datetime
    expires_at: datetime
    shipped_at: datetime | None
    received_at: datetime | None
    created_at: datetime
    updated_at: datetime


class StockUpLineOut(BaseModel):
    sku_id: str
    sku_code: str
    quantity: int
    unit_price: MoneyOut
    shipped: int
    received: int
    qc_sampled: int
    qc_failed: int
    accepted: int
    discrepancy: str


class CartonOut(BaseModel):
    sequence: int
    barcode: str
    sku_id: str
    sku_code: str
    units: int
    weight_g: int | None


class PenaltyOut(BaseModel):
    id: str
    supplier_id: str
    stock_up_order_id: str
    kind: str
    amount: MoneyOut
    basis: str
    rule_id: str
    settlement_id: str | None
    created_at: datetime


class StockUpOut(StockUpSummaryOut):
    supplier_code: str
    supplier_name: str
    note: str
    decline_reason: str
    carrier: str
    tracking_number: str
    value: MoneyOut
    lines: list[StockUpLineOut]
    cartons: list[CartonOut]
    penalties: list[PenaltyOut]
    history: list[EventOut]
    actions: list[str] = Field(description="what the caller may do next")
    labels_url: str | None


def summary_out(row: Any) -> StockUpSummaryOut:
    return StockUpSummaryOut(
        **{name: getattr(row, name) for name in StockUpSummaryOut.model_fields}
    )


def penalty_out(row: Any) -> PenaltyOut:
    return PenaltyOut(
        id=row.id,
        supplier_id=row.supplier_id,
        stock_up_order_id=row.stock_up_order_id,
        kind=row.kind,
        amount=MoneyOut.of(row.amount, row.currency),
        basis=row.basis,
        rule_id=row.rule_id,
        settlement_id=row.settlement_id,
        created_at=row.created_at,
    )


def stock_up_out(ctx: Context, order_id: str) -> StockUpOut:
    view = stockup.order_view(ctx, order_id)
    row, codes = view.order, view.sku_codes
    return StockUpOut(
        **summary_out(row).model_dump(),
        supplier_code=view.supplier.code,
        supplier_name=view.supplier.legal_name,
        note=row.note,
        decline_reason=row.decline_reason,
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        value=MoneyOut.of(view.value, "CNY"),
        lines=[
            StockUpLineOut(
                sku_id=line.sku_id,
                sku_code=codes.get(line.sku_id, line.sku_id),
                quantity=line.quantity,
                unit_price=MoneyOut.of(line.unit_price, "CNY"),
                shipped=line.shipped,
                received=line.received,
                qc_sampled=line.qc_sampled,
                qc_failed=line.qc_failed,
                accepted=line.accepted,
                discrepancy=line.discrepancy,
            )
            for line in view.lines
        ],
        cartons=[
            CartonOut(
                sequence=c.sequence,
                barcode=c.barcode,
                sku_id=c.sku_id,
                sku_code=codes.get(c.sku_id, c.sku_id),
                units=c.units,
                weight_g=c.weight_g,
            )
            for c in view.cartons
        ],
        penalties=[penalty_out(p) for p in view.penalties],
        history=[EventOut.model_validate(h) for h in view.history],
        actions=view.actions,
        labels_url=f"/api/v1/stock-up-orders/{row.id}/labels.pdf" if view.cartons else None,
    )


def _answer(ctx: Context, order_id: str) -> StockUpOut:
    ctx.session.commit()
    return stock_up_out(ctx, order_id)


@router.get("/stock-up-orders", response_model=PageOut[StockUpSummaryOut])
def list_stock_up_orders(
    state: str | None = None,
    supplier_id: str | None = None,
    warehouse_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> PageOut[StockUpSummaryOut]:
    page = stockup.list_orders(
        ctx,
        state=state,
        supplier_id=supplier_id,
        warehouse_id=warehouse_id,
        limit=limit,
        offset=offset,
    )
    return PageOut(
        items=[summary_out(r) for r in page.items], total=page.total, limit=limit, offset=offset
    )


@router.post("/stock-up-orders", status_code=201, response_model=StockUpOut)
def issue_stock_up_order(
    body: StockUpIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    def create() -> StockUpOut:
        draft = stockup.StockUpDraft(
            supplier_id=body.supplier_id,
            warehouse_id=body.warehouse_id,
            kind=body.kind,
            lines=[stockup.LineDraft(line.sku_id, line.quantity) for line in body.lines],
            jit_hours=body.jit_hours,
            due_on=body.due_on,
            note=body.note,
        )
        return stock_up_out(ctx, stockup.issue(ctx, draft).id)

    return run_idempotent(ctx, request, idempotency_key, body, create)


@router.get("/stock-up-orders/{stock_up_order_id}", response_model=StockUpOut)
def get_stock_up_order(stock_up_order_id: str, ctx: Context = Depends(api_context)) -> StockUpOut:
    return stock_up_out(ctx, stock_up_order_id)


@router.post("/stock-up-orders/{stock_up_order_id}/confirm", response_model=StockUpOut)
def confirm(stock_up_order_id: str, body: Note, ctx: Context = Depends(api_context)) -> StockUpOut:
    stockup.confirm(ctx, stock_up_order_id, body.note)
    return _answer(ctx, stock_up_order_id)


@router.post("/stock-up-orders/{stock_up_order_id}/decline", response_model=StockUpOut)
def decline(
    stock_up_order_id: str, body: Reason, ctx: Context = Depends(api_context)
) -> StockUpOut:
    stockup.decline(ctx, stock_up_order_id, body.reason)
    return _answer(ctx, stock_up_order_id)


@router.post("/stock-up-orders/{stock_up_order_id}/ship", response_model=StockUpOut)
def ship(stock_up_order_id: str, body: ShipIn, ctx: Context = Depends(api_context)) -> StockUpOut:
    """The advance shipping notice: the cartons sent, each one SKU and its units."""
    stockup.ship(
        ctx,
        stock_up_order_id,
        [stockup.CartonDraft(c.sku_id, c.units, c.weight_g) for c in body.cartons],
        carrier=body.carrier,
        tracking_number=body.tracking_number,
        note=body.note,
    )
    return _answer(ctx, stock_up_order_id)


@router.post("/stock-up-orders/{stock_up_order_id}/receive", response_model=StockUpOut)
def receive(
    stock_up_order_id: str, body: ReceiveIn, ctx: Context = Depends(api_context)
) -> StockUpOut:
    stockup.receive(
        ctx,
        stock_up_order_id,
        [stockup.LineCount(**line.model_dump()) for line in body.lines],
        body.note,
    )
    return _answer(ctx, stock_up_order_id)


@router.post("/stock-up-orders/{stock_up_order_id}/close", response_model=StockUpOut)
def close(stock_up_order_id: str, body: Note, ctx: Context = Depends(api_context)) -> StockUpOut:
    stockup.close(ctx, stock_up_order_id, body.note)
    return _answer(ctx, stock_up_order_id)


@router.post("/stock-up-orders/{stock_up_order_id}/cancel", response_model=StockUpOut)
def cancel(stock_up_order_id: str, body: Reason, ctx: Context = Depends(api_context)) -> StockUpOut:
    stockup.cancel(ctx, stock_up_order_id, body.reason)
    return _answer(ctx, stock_up_order_id)


@router.get(
    "/stock-up-orders/{stock_up_order_id}/labels.pdf",
    responses={200: {"content": {"application/pdf": {}}}},
)
def carton_labels(stock_up_order_id: str, ctx: Context = Depends(api_context)) -> Response:
    """One 100 × 150 mm label per carton of the booked delivery, with its Code 39 barcode."""
    filename, content = stockup.labels_pdf(ctx, stock_up_order_id)
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get("/penalties", response_model=list[PenaltyOut])
def list_penalties(
    supplier_id: str | None = None,
    unsettled: bool = True,
    ctx: Context = Depends(api_context),
) -> list[PenaltyOut]:
    """Penalties of late, short or failed-QC deliveries (a supplier sees its own)."""
    return [penalty_out(p) for p in penalties.penalties_of(ctx, supplier_id, unsettled)]


# --- transfers ----------------------------------------------------------------------------------


class TransferLineIn(Strict):
    sku_id: str
    quantity: int


class TransferIn(Strict):
    from_warehouse_id: str
    to_warehouse_id: str
    mode: str = Field(description="sea, air or rail")
    cartons: int
    lines: list[TransferLineIn]
    note: str = ""


class ArrivalLineIn(Strict):
    sku_id: str
    received: int


class ArrivalIn(Strict):
    lines: list[ArrivalLineIn] | None = Field(
        None, description="units counted per SKU; a SKU not given arrived in full"
    )
    note: str = ""


class TransferSummaryOut(BaseModel):
    id: str
    from_warehouse_id: str
    to_warehouse_id: str
    mode: str
    state: str
    cartons: int
    departed_at: datetime | None
    eta: date | None
    arrived_at: datetime | None
    declaration_id: str | None
    created_at: datetime
    updated_at: datetime


class TransferLineOut(BaseModel):
    sku_id: str
    sku_code: str
    quantity: int
    received: int


class DeclarationRefOut(BaseModel):
    id: str
    number: str
    state: str
    url: str


class TransferOut(TransferSummaryOut):
    note: str
    declaration_problem: str = Field(description="why the 9810 declaration is not raised yet")
    declaration: DeclarationRefOut | None
    lines: list[TransferLineOut]
    history: list[EventOut]
    actions: list[str]


def transfer_summary_out(row: Any) -> TransferSummaryOut:
    return TransferSummaryOut(
        **{name: getattr(row, name) for name in TransferSummaryOut.model_fields}
    )


def transfer_out(ctx: Context, transfer_id: str) -> TransferOut:
    view = transfers.transfer_view(ctx, transfer_id)
    row, d = view.transfer, view.declaration
    return TransferOut(
        **transfer_summary_out(row).model_dump(),
        note=row.note,
        declaration_problem=row.declaration_problem,
        declaration=DeclarationRefOut(
            id=d.id, number=d.number, state=d.state, url=f"/api/v1/customs/declarations/{d.id}"
        )
        if d is not None
        else None,
        lines=[
            TransferLineOut(
                sku_id=line.sku_id,
                sku_code=view.sku_codes.get(line.sku_id, line.sku_id),
                quantity=line.quantity,
                received=line.received,
            )
            for line in view.lines
        ],
        history=[EventOut.model_validate(h) for h in view.history],
        actions=view.actions,
    )


def _transfer_answer(ctx: Context, transfer_id: str) -> TransferOut:
    ctx.session.commit()
    return transfer_out(ctx, transfer_id)


@router.get("/transfers", response_model=PageOut[TransferSummaryOut])
def list_transfers(
    state: str | None = None,
    to_warehouse_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> PageOut[TransferSummaryOut]:
    page = transfers.list_transfers(
        ctx, state=state, to_warehouse_id=to_warehouse_id, limit=limit, offset=offset
    )
    return PageOut(
        items=[transfer_summary_out(r) for r in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
    )


@router.post("/transfers", status_code=201, response_model=TransferOut)
def plan_transfer(
    body: TransferIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Plan a line-haul; refused, naming the line, when the origin lacks the stock."""

    def create() -> TransferOut:
        draft = transfers.TransferDraft(
            from_warehouse_id=body.from_warehouse_id,
            to_warehouse_id=body.to_warehouse_id,
            mode=body.mode,
            cartons=body.cartons,
            lines=[transfers.TransferLineDraft(x.sku_id, x.quantity) for x in body.lines],
            note=body.note,
        )
        return transfer_out(ctx, transfers.plan(ctx, draft).id)

    return run_idempotent(ctx, request, idempotency_key, body, create)


@router.get("/transfers/{transfer_id}", response_model=TransferOut)
def get_transfer(transfer_id: str, ctx: Context = Depends(api_context)) -> TransferOut:
    return transfer_out(ctx, transfer_id)


@router.post("/transfers/{transfer_id}/depart", response_model=TransferOut)
def depart(transfer_id: str, body: Note, ctx: Context = Depends(api_context)) -> TransferOut:
    """Stock leaves the origin into transit; the ETA is set; the 9810 declaration is drafted."""
    transfers.depart(ctx, transfer_id, body.note)
    return _transfer_answer(ctx, transfer_id)


@router.post("/transfers/{transfer_id}/arrive", response_model=TransferOut)
def arrive(transfer_id: str, body: ArrivalIn, ctx: Context = Depends(api_context)) -> TransferOut:
    counts = [transfers.ArrivalCount(x.sku_id, x.received) for x in body.lines or []]
    transfers.arrive(ctx, transfer_id, counts, body.note)
    return _transfer_answer(ctx, transfer_id)


@router.post("/transfers/{transfer_id}/cancel", response_model=TransferOut)
def cancel_transfer(
    transfer_id: str, body: Reason, ctx: Context = Depends(api_context)
) -> TransferOut:
    transfers.cancel(ctx, transfer_id, body.reason)
    return _transfer_answer(ctx, transfer_id)


@router.post("/transfers/{transfer_id}/declare", response_model=TransferOut)
def declare(transfer_id: str, ctx: Context = Depends(api_context)) -> TransferOut:
    """Raise the 9810 declaration of a transfer that departed without one."""
    transfers.declare(ctx, transfer_id)
    return _transfer_answer(ctx, transfer_id)
