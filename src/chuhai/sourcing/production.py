"""Production orders to factories, and what their sell-through proposes next.

    issued → accepted → materials_in → in_production → qc → shipped → received
    issued → declined                      the factory says no
    issued | accepted | materials_in → cancelled      the platform withdraws it

The first run of a new product is small: between `first_run_min` and `first_run_max` units
(settings; 100–200 by default) unless the merchandiser gives a reason to go outside it. No
order goes under the SKU's MOQ or over what the factory can make within its lead time
(daily capacity × lead time days). Receipt at the consolidation warehouse books the units
into stock through the inventory ledger (`receipt` then `put_away`, as a stock-up receipt
does).

Sell-through is heard from checkout's `payment.captured` event (units sold per market of
SKUs made to order), less what `return.received` brings back and what `order.cancelled`
takes back before shipping, and compared with the units
received; it proposes reorder (how many, to which warehouses), hold or stop, with the
numbers in one sentence. A studio on royalty terms is owed its share of each received
run's supply price (`studio.owed`, posted by finance). A merchandiser approves a reorder
proposal into a production order (the quantity may be changed within the factory's
limits) or dismisses it with a reason;
when that run is received, its overseas share is planned on as line-haul transfers, so the
units go where they sold. Runs not yet received count as on order in replenishment.

Factories see and move only their own orders: another's id answers 404 before any
permission check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chuhai.catalog import service as catalog
from chuhai.catalog.model import State as ProductState
from chuhai.core import events
from chuhai.core.context import Context
from chuhai.core.errors import Conflict, NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.money import Money
from chuhai.core.pagination import Page, paginate
from chuhai.demand import replenishment
from chuhai.inventory import ledger, transfers
from chuhai.inventory.ledger import Move
from chuhai.inventory.warehouses import get_warehouse, list_warehouses
from chuhai.sourcing import designs
from chuhai.sourcing.history import history_of, move, record
from chuhai.sourcing.model import (
    FACTORY_ACTIONS,
    PRODUCTION,
    PRODUCTION_STATES,
    VOID_STATES,
    MarketSales,
    Recommendation,
    recommend,
)
from chuhai.sourcing.tables import (
    DesignRow,
    ProductionOrderRow,
    ProductSaleRow,
    SourcingEventRow,
    SourcingProposalRow,
)

DOCUMENT = "production"
NOT_ORDERABLE = frozenset({ProductState.DELISTED, ProductState.REJECTED})
MAX_QUANTITY = 1_000_000


# --- reading ---------------------------------------------------------------------------------


def visible_order(ctx: Context, order_id: str) -> ProductionOrderRow:
    row = ctx.session.get(ProductionOrderRow, order_id)
    if row is None or (not ctx.actor.is_operator and row.supplier_id != ctx.actor.supplier_id):
        raise NotFound("no such production order", field="production_order_id")
    ctx.actor.require("production.read")
    return row


def list_orders(
    ctx: Context,
    state: str | None = None,
    product_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[ProductionOrderRow]:
    ctx.actor.require("production.read")
    if state and state not in PRODUCTION_STATES:
        raise ValidationFailed.one("state", f"one of {', '.join(PRODUCTION_STATES)}")
    query = select(ProductionOrderRow).order_by(
        ProductionOrderRow.created_at.desc(), ProductionOrderRow.id
    )
    if not ctx.actor.is_operator:
        query = query.where(ProductionOrderRow.supplier_id == ctx.actor.supplier_id)
    if state:
        query = query.where(ProductionOrderRow.state == state)
    if product_id:
        query = query.where(ProductionOrderRow.product_id == product_id)
    return paginate(ctx.session, query, limit, offset)


def order_history(ctx: Context, order_id: str) -> list[SourcingEventRow]:
    return history_of(ctx.session, visible_order(ctx, order_id).id)


def available_actions(ctx: Context, row: ProductionOrderRow) -> list[str]:
    return [t.action for t in PRODUCTION.actions_from(row.state) if ctx.actor.can(t.permission)]


# --- issuing ---------------------------------------------------------------------------------


def issue(
    ctx: Context,
    product_id: str,
    quantity: int,
    *,
    override_reason: str = "",
    warehouse_id: str = "CN-GZ",
    destinations: dict[str, int] | None = None,
) -> ProductionOrderRow:
    """Order `quantity` units of a product's SKU from the factory that makes it."""
    ctx.actor.require("production.manage")
    product = catalog.visible_product(ctx, product_id)
    if product.state in NOT_ORDERABLE:
        raise Conflict(
            f"a {product.state} product cannot be ordered",
            current_state=product.state,
            field="product_id",
        )
    sku = catalog.skus_of(ctx.session, product.id)[0]
    warehouse = get_warehouse(ctx, warehouse_id)
    if warehouse.kind != "consolidation":
        raise ValidationFailed.one(
            "warehouse_id", f"{warehouse.id} is not a consolidation warehouse"
        )
    first_run = not _has_runs(ctx, product.id)
    reason = (override_reason or "").strip()
    _check_quantity(ctx, quantity, sku, first_run, reason)
    design = designs.design_of_product(ctx, product.id)
    now = ctx.now()
    row = ProductionOrderRow(
        id=new_id("pro"),
        supplier_id=product.supplier_id,
        product_id=product.id,
        sku_id=sku.id,
        design_id=design.id if design else None,
        warehouse_id=warehouse.id,
        quantity=quantity,
        unit_price=sku.supply_price_amount,
        first_run=first_run,
        override_reason=reason,
        received=0,
        received_at=None,
        destinations=dict(destinations or {}),
        state="issued",
        created_by=ctx.actor.user_id,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(row)
    record(ctx, DOCUMENT, row.id, "issue", None, "issued", reason)
    ctx.session.flush()
    return row


def _has_runs(ctx: Context, product_id: str) -> bool:
    query = select(func.count()).where(
        ProductionOrderRow.product_id == product_id,
        ProductionOrderRow.state.not_in(VOID_STATES),
    )
    return bool(ctx.session.scalar(query))


def _check_quantity(ctx: Context, quantity: Any, sku: Any, first_run: bool, reason: str) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not quantity > 0:
        raise ValidationFailed.one("quantity", "a whole number of units, more than zero")
    if quantity > MAX_QUANTITY:
        raise ValidationFailed.one("quantity", f"at most {MAX_QUANTITY}")
    low, high = ctx.settings.first_run_min, ctx.settings.first_run_max
    if first_run and not low <= quantity <= high and not reason:
        raise ValidationFailed.one(
            "quantity",
            f"a first run is {low}-{high} units; give override_reason to order {quantity}",
        )
    if quantity < sku.moq:
        raise ValidationFailed.one(
            "quantity", f"{quantity} is under the factory's MOQ (moq = {sku.moq})"
        )
    capacity = sku.daily_capacity * max(sku.lead_time_days, 1)
    if quantity > capacity:
        raise ValidationFailed.one(
            "quantity",
            f"{quantity} is over the factory's declared capacity (daily_capacity "
            f"{sku.daily_capacity} × lead_time_days {max(sku.lead_time_days, 1)} = {capacity})",
        )


# --- progress --------------------------------------------------------------------------------


def act(ctx: Context, order_id: str, action: str, note: str = "") -> ProductionOrderRow:
    """A factory's progress (accept, decline, materials_in, start, qc, ship) or the
    platform's cancel. Declining and cancelling need a reason."""
    row = visible_order(ctx, order_id)
    if action not in (*FACTORY_ACTIONS, "cancel"):
        raise ValidationFailed.one("action", f"one of {', '.join((*FACTORY_ACTIONS, 'cancel'))}")
    ctx.actor.require(PRODUCTION.transition(row.state, action).permission)
    if action in ("decline", "cancel") and not (note or "").strip():
        raise ValidationFailed.one("reason", f"say why the order is {action}d")
    move(ctx, PRODUCTION, DOCUMENT, row, action, note)
    return row


def receive(
    ctx: Context, order_id: str, received: int | None = None, note: str = ""
) -> ProductionOrderRow:
    """Count the delivery in at the consolidation warehouse and book it into stock. The
    count defaults to the quantity ordered; more than ordered is refused."""
    row = visible_order(ctx, order_id)
    ctx.actor.require(PRODUCTION.transition(row.state, "receive").permission)
    units = row.quantity if received is None else received
    if isinstance(units, bool) or not isinstance(units, int) or not 0 < units <= row.quantity:
        raise ValidationFailed.one("received", f"a whole number from 1 to {row.quantity}")
    ledger.post(
        ctx,
        [
            Move("receipt", row.sku_id, row.warehouse_id, units),
            Move("put_away", row.sku_id, row.warehouse_id, units),
        ],
        document_type="production_order",
        document_id=row.id,
        reason=f"received {row.id}",
    )
    row.received, row.received_at = units, ctx.now()
    move(ctx, PRODUCTION, DOCUMENT, row, "receive", note or f"{units} of {row.quantity} received")
    _owe_royalty(ctx, row, units)
    _send_on(ctx, row, units)
    events.publish(
        ctx,
        "production_order.received",
        order_id=row.id,
        supplier_id=row.supplier_id,
        product_id=row.product_id,
        warehouse_id=row.warehouse_id,
        accepted=units,
        currency="CNY",
        amount=units * row.unit_price,
    )
    return row


def _owe_royalty(ctx: Context, row: ProductionOrderRow, units: int) -> None:
    """A studio on royalty terms is owed its share of the supply price of the units
    received, rounded half up to the fen once per run."""
    design = ctx.session.get(DesignRow, row.design_id) if row.design_id else None
    if design is None or design.terms_kind != "royalty" or not design.royalty_bp:
        return
    value = Decimal(units * row.unit_price) * design.royalty_bp / 10_000
    amount = int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    events.publish(
        ctx,
        "studio.owed",
        studio_id=design.studio_id,
        amount=amount,
        memo=(
            f"royalty {Decimal(design.royalty_bp) / 100}% on {units} units of run {row.id} "
            f"at {Money(row.unit_price, 'CNY')} (design {design.id})"
        ),
        document_type="production_order",
        document_id=row.id,
    )


def _send_on(ctx: Context, row: ProductionOrderRow, units: int) -> None:
    """Plan the transfers a reorder's split asks for, scaled to the units received; a lane
    that cannot be planned is said in the order's history, and the units wait in China."""
    carton = catalog.carton_quantity(catalog.visible_product(ctx, row.product_id))
    for warehouse_id, wanted in sorted(row.destinations.items()):
        share = math.floor(int(wanted) * units / row.quantity)
        warehouse = get_warehouse(ctx, warehouse_id)
        lane = transfers.preferred_lane(warehouse.country_code)
        if warehouse.kind != "overseas" or share <= 0:
            continue
        if lane is None:
            record(
                ctx, DOCUMENT, row.id, "send_on", row.state, row.state, f"no lane to {warehouse_id}"
            )
            continue
        draft = transfers.TransferDraft(
            from_warehouse_id=row.warehouse_id,
            to_warehouse_id=warehouse_id,
            mode=lane[0],
            cartons=max(1, math.ceil(share / carton)),
            lines=[transfers.TransferLineDraft(row.sku_id, share)],
            note=f"reorder {row.id}: {share} units to where they sold",
        )
        transfer = transfers.plan(ctx, draft)
        record(ctx, DOCUMENT, row.id, "send_on", row.state, row.state, f"{transfer.id} {share}")


def _coming(session: Session) -> dict[tuple[str, str], int]:
    """Replenishment's on-order units: runs issued and not yet received or void."""
    query = (
        select(
            ProductionOrderRow.sku_id,
            ProductionOrderRow.warehouse_id,
            func.sum(ProductionOrderRow.quantity),
        )
        .where(ProductionOrderRow.state.not_in((*VOID_STATES, "received")))
        .group_by(ProductionOrderRow.sku_id, ProductionOrderRow.warehouse_id)
    )
    return {(sku, warehouse): int(units) for sku, warehouse, units in session.execute(query)}


replenishment.register_on_order(_coming)


# --- sell-through ----------------------------------------------------------------------------


def _on_payment_captured(ctx: Context, payload: dict[str, Any]) -> None:
    """Keep the units sold of SKUs made to order, per order and market."""
    items = {str(i["sku_id"]): int(i["quantity"]) for i in payload.get("items", ())}
    if not items:
        return
    made = set(
        ctx.session.scalars(
            select(ProductionOrderRow.sku_id).where(ProductionOrderRow.sku_id.in_(list(items)))
        )
    )
    for sku_id in sorted(made):
        ctx.session.add(
            ProductSaleRow(
                order_id=str(payload["order_id"]),
                sku_id=sku_id,
                market_code=str(payload["market"]),
                quantity=items[sku_id],
                at=ctx.now(),
            )
        )


def _on_taken_back(ctx: Context, payload: dict[str, Any]) -> None:
    """Units of SKUs made to order that came back, or whose order was cancelled, are not
    sold (`return.received` and `order.cancelled` carry the order's lines alike)."""
    for line in payload.get("lines", ()):
        sale = ctx.session.scalars(
            select(ProductSaleRow).where(
                ProductSaleRow.order_id == str(payload["order_id"]),
                ProductSaleRow.sku_id == str(line["sku_id"]),
            )
        ).first()
        if sale is not None:
            sale.taken_back = min(sale.quantity, sale.taken_back + int(line["quantity"]))


events.subscribe("payment.captured", _on_payment_captured)
events.subscribe("return.received", _on_taken_back)
events.subscribe("order.cancelled", _on_taken_back)


@dataclass(frozen=True)
class SellThrough:
    product_id: str
    product_state: str
    received: int
    sales: list[MarketSales]
    days_on_sale: int
    recommendation: Recommendation
    warehouses: dict[str, int]  # where a reorder would go: warehouse id -> units


def sell_through(ctx: Context, product_id: str) -> SellThrough:
    product = catalog.visible_product(ctx, product_id)  # another's product: 404 first
    ctx.actor.require("production.manage")
    runs = [
        r for r in list_orders(ctx, product_id=product.id, limit=200).items if r.state == "received"
    ]
    received = sum(r.received for r in runs)
    first_receipt = min((r.received_at for r in runs if r.received_at), default=None)
    days = (ctx.now() - first_receipt).days + 1 if first_receipt else 0
    sku = catalog.skus_of(ctx.session, product.id)[0]
    sales = _sales(ctx, sku.id)
    found = recommend(received, sales, days, sku.lead_time_days, sku.moq)
    return SellThrough(
        product.id, product.state, received, sales, days, found, _destinations(ctx, found)
    )


def _sales(ctx: Context, sku_id: str) -> list[MarketSales]:
    query = (
        select(
            ProductSaleRow.market_code,
            func.sum(ProductSaleRow.quantity - ProductSaleRow.taken_back),
        )
        .where(ProductSaleRow.sku_id == sku_id)
        .group_by(ProductSaleRow.market_code)
        .order_by(ProductSaleRow.market_code)
    )
    sold = ctx.session.execute(query)
    return [MarketSales(code, int(units)) for code, units in sold if units]  # all taken back: none


def _destinations(ctx: Context, found: Recommendation) -> dict[str, int]:
    """Each market's share of a reorder goes to the overseas warehouse serving it (the first
    by id), or to the consolidation warehouse where none does (China, direct mail)."""
    placed: dict[str, int] = {}
    for market, units in found.split.items():
        serving = list_warehouses(ctx, kind="overseas", market=market) or list_warehouses(
            ctx, kind="consolidation", market=market
        )
        if serving:
            placed[serving[0].id] = placed.get(serving[0].id, 0) + units
    return placed


def propose(ctx: Context, product_id: str) -> SourcingProposalRow:
    """Store the current proposal for a product. A reorder of a delisted product is refused
    (409): nobody can buy it."""
    found = sell_through(ctx, product_id)
    if found.recommendation.decision == "reorder" and found.product_state == ProductState.DELISTED:
        raise Conflict(
            "a delisted product cannot be reordered; list it again first",
            current_state=found.product_state,
            field="product_id",
        )
    if not found.received:
        raise Conflict("nothing of this product has been received yet", field="product_id")
    for older in ctx.session.scalars(
        select(SourcingProposalRow).where(
            SourcingProposalRow.product_id == found.product_id,
            SourcingProposalRow.state == "proposed",
        )
    ):
        older.state = "superseded"
    row = SourcingProposalRow(
        id=new_id("spp"),
        product_id=found.product_id,
        decision=found.recommendation.decision,
        quantity=found.recommendation.quantity,
        warehouses=found.warehouses,
        evidence=found.recommendation.evidence,
        received=found.received,
        sold=sum(s.sold for s in found.sales),
        created_by=ctx.actor.user_id,
        created_at=ctx.now(),
        state="proposed",
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def open_proposals(ctx: Context, product_ids: list[str]) -> dict[str, SourcingProposalRow]:
    """Product id -> its proposal waiting for a decision."""
    ctx.actor.require("production.manage")
    query = select(SourcingProposalRow).where(
        SourcingProposalRow.product_id.in_(product_ids), SourcingProposalRow.state == "proposed"
    )
    return {row.product_id: row for row in ctx.session.scalars(query)}


def _open_proposal(ctx: Context, proposal_id: str) -> SourcingProposalRow:
    row = ctx.session.get(SourcingProposalRow, proposal_id)
    if row is None:
        raise NotFound(f"no proposal {proposal_id!r}")
    catalog.visible_product(ctx, row.product_id)  # another's product: 404 first
    ctx.actor.require("production.manage")
    if row.state != "proposed":
        raise Conflict(f"the proposal is {row.state}", current_state=row.state, field="state")
    return row


def approve_proposal(
    ctx: Context, proposal_id: str, quantity: int | None = None, note: str = ""
) -> ProductionOrderRow:
    """A reorder proposal into a production order of its quantity (or `quantity`, the split
    scaled to it), the overseas share to be sent on when it is received."""
    row = _open_proposal(ctx, proposal_id)
    if row.decision != "reorder":
        raise Conflict(
            f"only a reorder can be approved; this proposal says {row.decision}",
            current_state=row.decision,
            field="decision",
        )
    units = row.quantity if quantity is None else quantity
    scale = units / row.quantity if isinstance(units, int) and row.quantity else 1
    split = {w: math.floor(int(n) * scale) for w, n in row.warehouses.items()}
    order = issue(ctx, row.product_id, units, destinations=split)
    row.state, row.production_order_id = "approved", order.id
    row.decided_by, row.decided_at = ctx.actor.user_id, ctx.now()
    row.decision_note = (note or "").strip()[:2_000]
    ctx.session.flush()
    return order


def dismiss_proposal(ctx: Context, proposal_id: str, reason: str) -> SourcingProposalRow:
    row = _open_proposal(ctx, proposal_id)
    if not (reason or "").strip():
        raise ValidationFailed.one("reason", "say why the proposal is dismissed")
    row.state, row.decided_by, row.decided_at = "dismissed", ctx.actor.user_id, ctx.now()
    row.decision_note = reason.strip()[:2_000]
    ctx.session.flush()
    return row


def proposals_of(ctx: Context, product_id: str) -> list[SourcingProposalRow]:
    product = catalog.visible_product(ctx, product_id)
    ctx.actor.require("production.manage")
    query = (
        select(SourcingProposalRow)
        .where(SourcingProposalRow.product_id == product.id)
        .order_by(SourcingProposalRow.created_at.desc(), SourcingProposalRow.id)
    )
    return list(ctx.session.scalars(query))
