"""Sourcing over HTTP: design briefs (merchandisers write and publish, studios read the
published ones), studios' designs and their review, production orders to factories with the
factory's progress, and sell-through proposals. A studio sees only its own designs and a
factory only its own production orders; another tenant's id answers 404."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, File, Header, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import MoneyOut, PageOut, Strict
from chuhai.core.context import Context
from chuhai.sourcing import briefs, designs, production
from chuhai.sourcing.model import parse_terms

if TYPE_CHECKING:
    from chuhai.sourcing.tables import (
        DesignBriefRow,
        DesignRow,
        ProductionOrderRow,
        SourcingEventRow,
        SourcingProposalRow,
    )

router = APIRouter(tags=["sourcing"])


class HistoryOut(BaseModel):
    action: str
    from_state: str | None
    to_state: str
    actor_name: str
    reason: str
    at: datetime

    @classmethod
    def of(cls, row: SourcingEventRow) -> HistoryOut:
        return cls(
            action=row.action,
            from_state=row.from_state,
            to_state=row.to_state,
            actor_name=row.actor_name,
            reason=row.reason,
            at=row.at,
        )


# --- briefs ----------------------------------------------------------------------------------


class BandIn(Strict):
    low: str = Field(max_length=20, description="retail price, the market's currency")
    high: str = Field(max_length=20)


class BriefIn(Strict):
    title: str = Field(max_length=200)
    category_code: str = Field(max_length=80)
    markets: list[str] = Field(max_length=12)
    price_bands: dict[str, BandIn]
    volume: int
    volume_low: int
    volume_high: int
    keywords: list[str] = Field(default_factory=list, max_length=30)
    attributes: dict[str, str] = Field(default_factory=dict)
    weight_g: int = 500
    length_mm: int = 300
    width_mm: int = 200
    height_mm: int = 100
    evidence: str = Field("", max_length=2000)

    def draft(self) -> briefs.BriefDraft:
        return briefs.BriefDraft(
            title=self.title,
            category_code=self.category_code,
            markets=self.markets,
            bands={code: (band.low, band.high) for code, band in self.price_bands.items()},
            volume=self.volume,
            volume_low=self.volume_low,
            volume_high=self.volume_high,
            keywords=self.keywords,
            attributes=self.attributes,
            weight_g=self.weight_g,
            length_mm=self.length_mm,
            width_mm=self.width_mm,
            height_mm=self.height_mm,
            evidence=self.evidence,
        )


class BandOut(BaseModel):
    route: str
    retail_low: MoneyOut
    retail_high: MoneyOut
    supply_low: MoneyOut
    supply_high: MoneyOut


class BriefOut(BaseModel):
    id: str
    title: str
    state: str
    category_code: str
    markets: list[str]
    keywords: list[str]
    attributes: dict[str, Any]
    price_bands: dict[str, BandOut]
    supply_low: MoneyOut
    supply_high: MoneyOut
    volume: int
    volume_low: int
    volume_high: int
    volume_source: str
    evidence: str
    factory_note: str
    published_at: datetime | None
    history: list[HistoryOut]


def _brief_out(ctx: Context, row: DesignBriefRow) -> BriefOut:
    return BriefOut(
        id=row.id,
        title=row.title,
        state=row.state,
        category_code=row.category_code,
        markets=list(row.markets),
        keywords=list(row.keywords),
        attributes=dict(row.attributes),
        price_bands={
            code: BandOut(
                route=band["route"],
                retail_low=MoneyOut.of(band["retail_low"], band["currency"]),
                retail_high=MoneyOut.of(band["retail_high"], band["currency"]),
                supply_low=MoneyOut.of(band["supply_low"], "CNY"),
                supply_high=MoneyOut.of(band["supply_high"], "CNY"),
            )
            for code, band in row.price_bands.items()
        },
        supply_low=MoneyOut.of(row.supply_low, "CNY"),
        supply_high=MoneyOut.of(row.supply_high, "CNY"),
        volume=row.volume,
        volume_low=row.volume_low,
        volume_high=row.volume_high,
        volume_source=row.volume_source,
        evidence=row.evidence,
        factory_note=row.factory_note,
        published_at=row.published_at,
        history=[HistoryOut.of(h) for h in briefs.brief_history(ctx, row.id)],
    )


class ReasonIn(Strict):
    reason: str = Field("", max_length=2000)


@router.get("/briefs", response_model=PageOut[BriefOut])
def list_briefs(
    state: str | None = None, limit: int = 50, offset: int = 0, ctx: Context = Depends(api_context)
) -> PageOut[BriefOut]:
    page = briefs.list_briefs(ctx, state, min(max(limit, 1), 200), max(offset, 0))
    return PageOut(
        items=[_brief_out(ctx, row) for row in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/briefs", status_code=201, response_model=BriefOut)
def create_brief(
    body: BriefIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """A draft brief; its supply band is computed from each market's retail band."""
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: _brief_out(ctx, briefs.create_brief(ctx, body.draft())),
    )


@router.get("/briefs/{brief_id}", response_model=BriefOut)
def get_brief(brief_id: str, ctx: Context = Depends(api_context)) -> BriefOut:
    return _brief_out(ctx, briefs.visible_brief(ctx, brief_id))


@router.put("/briefs/{brief_id}", response_model=BriefOut)
def update_brief(brief_id: str, body: BriefIn, ctx: Context = Depends(api_context)) -> BriefOut:
    out = _brief_out(ctx, briefs.update_brief(ctx, brief_id, body.draft()))
    ctx.session.commit()
    return out


@router.post("/briefs/{brief_id}/publish", response_model=BriefOut)
def publish_brief(brief_id: str, ctx: Context = Depends(api_context)) -> BriefOut:
    out = _brief_out(ctx, briefs.publish(ctx, brief_id))
    ctx.session.commit()
    return out


@router.post("/briefs/{brief_id}/close", response_model=BriefOut)
def close_brief(brief_id: str, body: ReasonIn, ctx: Context = Depends(api_context)) -> BriefOut:
    out = _brief_out(ctx, briefs.close(ctx, brief_id, body.reason))
    ctx.session.commit()
    return out


# --- designs ---------------------------------------------------------------------------------


class BomLineIn(Strict):
    material: str = Field(max_length=200)
    quantity: str = Field(max_length=20, description="per finished unit, a decimal")
    unit: str = Field(max_length=20)
    unit_cost: str = Field(max_length=20, description="CNY per unit of material")


class DesignIn(Strict):
    title: str = Field(max_length=200)
    specification: str = Field(max_length=20_000)
    bom: list[BomLineIn] = Field(max_length=100)
    target_cost: str = Field(max_length=20, description="CNY per finished unit")
    note: str = Field("", max_length=2000)

    def draft(self) -> designs.DesignDraft:
        return designs.DesignDraft(
            title=self.title,
            specification=self.specification,
            bom=[line.model_dump() for line in self.bom],
            target_cost=self.target_cost,
        )


class BomLineOut(BaseModel):
    material: str
    quantity: str
    unit: str
    unit_cost: MoneyOut


class DesignOut(BaseModel):
    id: str
    brief_id: str
    studio_id: str
    title: str
    specification: str
    bom: list[BomLineOut]
    bom_cost: MoneyOut
    target_cost: MoneyOut
    state: str
    revision: int
    feedback: str
    terms: str | None
    fee: MoneyOut | None
    royalty_percent: str | None
    product_ids: list[str]
    image_urls: list[str]
    history: list[HistoryOut]


def _design_out(ctx: Context, row: DesignRow) -> DesignOut:
    return DesignOut(
        id=row.id,
        brief_id=row.brief_id,
        studio_id=row.studio_id,
        title=row.title,
        specification=row.specification,
        bom=[
            BomLineOut(
                material=str(line["material"]),
                quantity=str(line["quantity"]),
                unit=str(line["unit"]),
                unit_cost=MoneyOut.of(int(line["unit_cost_fen"]), "CNY"),
            )
            for line in row.bom
        ],
        bom_cost=MoneyOut.of(row.bom_cost, "CNY"),
        target_cost=MoneyOut.of(row.target_cost, "CNY"),
        state=row.state,
        revision=row.revision,
        feedback=row.feedback,
        terms=row.terms_kind,
        fee=MoneyOut.of(row.fee, "CNY") if row.terms_kind == "fee" and row.fee else None,
        royalty_percent=(
            f"{row.royalty_bp / 100:.2f}"
            if row.terms_kind == "royalty" and row.royalty_bp
            else None
        ),
        product_ids=list(row.product_ids),
        image_urls=[f"/api/v1/designs/{row.id}/images/{f}" for f in row.image_file_ids],
        history=[HistoryOut.of(h) for h in designs.design_history(ctx, row.id)],
    )


class FeedbackIn(Strict):
    feedback: str = Field(max_length=2000)


class AcceptIn(Strict):
    terms: str = Field(max_length=10, description="fee | royalty")
    fee: str = Field("", max_length=20, description="CNY, for a fixed fee")
    royalty_percent: str = Field("", max_length=10, description="% of the supply price")
    factories: list[str] = Field(max_length=5, description="supplier ids")


class FactoryMatchOut(BaseModel):
    supplier_id: str
    code: str
    name: str
    fits: bool
    reasons: list[str]
    lowest_supply: MoneyOut
    moq: int
    daily_capacity: int
    lead_time_days: int
    penalties: int


@router.get("/designs", response_model=PageOut[DesignOut])
def list_designs(
    brief_id: str | None = None,
    state: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> PageOut[DesignOut]:
    page = designs.list_designs(ctx, brief_id, state, min(max(limit, 1), 200), max(offset, 0))
    return PageOut(
        items=[_design_out(ctx, row) for row in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/briefs/{brief_id}/designs", status_code=201, response_model=DesignOut)
def submit_design(
    brief_id: str,
    body: DesignIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """A studio's design for a published brief."""
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: _design_out(ctx, designs.submit(ctx, brief_id, body.draft())),
    )


@router.get("/designs/{design_id}", response_model=DesignOut)
def get_design(design_id: str, ctx: Context = Depends(api_context)) -> DesignOut:
    return _design_out(ctx, designs.visible_design(ctx, design_id))


@router.post("/designs/{design_id}/images", status_code=201, response_model=DesignOut)
def add_design_image(
    design_id: str,
    request: Request,
    image: UploadFile = File(...),
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """An image of the design (JPEG, PNG or WebP), checked as product images are."""
    content = image.file.read()
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        {"sha256": hashlib.sha256(content).hexdigest()},
        lambda: _design_out(
            ctx, designs.add_image(ctx, design_id, content, image.filename or "image")
        ),
    )


@router.get("/designs/{design_id}/images/{file_id}")
def design_image(design_id: str, file_id: str, ctx: Context = Depends(api_context)) -> Response:
    content_type, content = designs.design_image(ctx, design_id, file_id)
    return Response(content, media_type=content_type)


@router.post("/designs/{design_id}/resubmit", response_model=DesignOut)
def resubmit_design(
    design_id: str, body: DesignIn, ctx: Context = Depends(api_context)
) -> DesignOut:
    out = _design_out(ctx, designs.resubmit(ctx, design_id, body.draft(), body.note))
    ctx.session.commit()
    return out


@router.post("/designs/{design_id}/request-changes", response_model=DesignOut)
def request_changes(
    design_id: str, body: FeedbackIn, ctx: Context = Depends(api_context)
) -> DesignOut:
    out = _design_out(ctx, designs.request_changes(ctx, design_id, body.feedback))
    ctx.session.commit()
    return out


@router.post("/designs/{design_id}/reject", response_model=DesignOut)
def reject_design(design_id: str, body: ReasonIn, ctx: Context = Depends(api_context)) -> DesignOut:
    out = _design_out(ctx, designs.reject(ctx, design_id, body.reason))
    ctx.session.commit()
    return out


@router.get("/designs/{design_id}/factories", response_model=list[FactoryMatchOut])
def factory_matches(design_id: str, ctx: Context = Depends(api_context)) -> list[FactoryMatchOut]:
    """Verified factories of the brief's category, best first for this design's first run."""
    return [
        FactoryMatchOut(
            supplier_id=m.profile.supplier_id,
            code=m.profile.code,
            name=m.profile.name,
            fits=m.fits,
            reasons=list(m.reasons),
            lowest_supply=MoneyOut.of(m.profile.lowest_supply, "CNY"),
            moq=m.profile.moq,
            daily_capacity=m.profile.daily_capacity,
            lead_time_days=m.profile.lead_time_days,
            penalties=m.profile.penalties,
        )
        for m in designs.factory_matches(ctx, design_id)
    ]


@router.post("/designs/{design_id}/accept", response_model=DesignOut)
def accept_design(design_id: str, body: AcceptIn, ctx: Context = Depends(api_context)) -> DesignOut:
    """Accept with the studio's terms; a product draft is made for each chosen factory."""
    designs.visible_design(ctx, design_id)  # another studio's design: 404 before the terms
    terms = parse_terms(body.terms, body.fee, body.royalty_percent)
    out = _design_out(ctx, designs.accept(ctx, design_id, terms, body.factories))
    ctx.session.commit()
    return out


# --- production orders -----------------------------------------------------------------------


class ProductionOrderIn(Strict):
    product_id: str = Field(max_length=40)
    quantity: int
    override_reason: str = Field("", max_length=2000)
    warehouse_id: str = Field("CN-GZ", max_length=20)


class ProgressIn(Strict):
    action: str = Field(
        max_length=20, description="accept | decline | materials_in | start | qc | ship | cancel"
    )
    note: str = Field("", max_length=2000)


class ReceiveIn(Strict):
    received: int | None = None
    note: str = Field("", max_length=2000)


class ProductionOrderOut(BaseModel):
    id: str
    supplier_id: str
    product_id: str
    sku_id: str
    design_id: str | None
    warehouse_id: str
    quantity: int
    unit_price: MoneyOut
    first_run: bool
    override_reason: str
    state: str
    received: int
    actions: list[str]
    history: list[HistoryOut]


def _order_out(ctx: Context, row: ProductionOrderRow) -> ProductionOrderOut:
    return ProductionOrderOut(
        id=row.id,
        supplier_id=row.supplier_id,
        product_id=row.product_id,
        sku_id=row.sku_id,
        design_id=row.design_id,
        warehouse_id=row.warehouse_id,
        quantity=row.quantity,
        unit_price=MoneyOut.of(row.unit_price, "CNY"),
        first_run=row.first_run,
        override_reason=row.override_reason,
        state=row.state,
        received=row.received,
        actions=production.available_actions(ctx, row),
        history=[HistoryOut.of(h) for h in production.order_history(ctx, row.id)],
    )


@router.get("/production-orders", response_model=PageOut[ProductionOrderOut])
def list_production_orders(
    state: str | None = None,
    product_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> PageOut[ProductionOrderOut]:
    page = production.list_orders(ctx, state, product_id, min(max(limit, 1), 200), max(offset, 0))
    return PageOut(
        items=[_order_out(ctx, row) for row in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/production-orders", status_code=201, response_model=ProductionOrderOut)
def issue_production_order(
    body: ProductionOrderIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Order units from the factory that makes the product (a first run is small)."""
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: _order_out(
            ctx,
            production.issue(
                ctx,
                body.product_id,
                body.quantity,
                override_reason=body.override_reason,
                warehouse_id=body.warehouse_id,
            ),
        ),
    )


@router.get("/production-orders/{production_order_id}", response_model=ProductionOrderOut)
def get_production_order(
    production_order_id: str, ctx: Context = Depends(api_context)
) -> ProductionOrderOut:
    return _order_out(ctx, production.visible_order(ctx, production_order_id))


@router.post("/production-orders/{production_order_id}/progress", response_model=ProductionOrderOut)
def progress(
    production_order_id: str, body: ProgressIn, ctx: Context = Depends(api_context)
) -> ProductionOrderOut:
    """The factory's next step (or the platform's cancel); 409 naming the state when the step
    does not follow from it."""
    out = _order_out(ctx, production.act(ctx, production_order_id, body.action, body.note))
    ctx.session.commit()
    return out


@router.post("/production-orders/{production_order_id}/receive", response_model=ProductionOrderOut)
def receive(
    production_order_id: str, body: ReceiveIn, ctx: Context = Depends(api_context)
) -> ProductionOrderOut:
    """Count the delivery in at the consolidation warehouse; the units go into stock."""
    row = production.receive(ctx, production_order_id, body.received, body.note)
    out = _order_out(ctx, row)
    ctx.session.commit()
    return out


# --- sell-through ----------------------------------------------------------------------------


class MarketSalesOut(BaseModel):
    market_code: str
    sold: int


class SellThroughOut(BaseModel):
    product_id: str
    received: int
    sold: int
    days_on_sale: int
    sales: list[MarketSalesOut]
    decision: str
    quantity: int
    warehouses: dict[str, int]
    evidence: str


class ProposalOut(BaseModel):
    id: str
    product_id: str
    decision: str
    quantity: int
    warehouses: dict[str, int]
    evidence: str
    received: int
    sold: int
    created_at: datetime
    state: str
    production_order_id: str | None
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str

    @classmethod
    def of(cls, row: SourcingProposalRow) -> ProposalOut:
        return cls(
            id=row.id,
            product_id=row.product_id,
            decision=row.decision,
            quantity=row.quantity,
            warehouses=dict(row.warehouses),
            evidence=row.evidence,
            received=row.received,
            sold=row.sold,
            created_at=row.created_at,
            state=row.state,
            production_order_id=row.production_order_id,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            decision_note=row.decision_note,
        )


@router.get("/sourcing/products/{product_id}/sell-through", response_model=SellThroughOut)
def sell_through(product_id: str, ctx: Context = Depends(api_context)) -> SellThroughOut:
    found = production.sell_through(ctx, product_id)
    return SellThroughOut(
        product_id=found.product_id,
        received=found.received,
        sold=sum(s.sold for s in found.sales),
        days_on_sale=found.days_on_sale,
        sales=[MarketSalesOut(market_code=s.market_code, sold=s.sold) for s in found.sales],
        decision=found.recommendation.decision,
        quantity=found.recommendation.quantity,
        warehouses=found.warehouses,
        evidence=found.recommendation.evidence,
    )


@router.get("/sourcing/products/{product_id}/proposals", response_model=list[ProposalOut])
def proposals(product_id: str, ctx: Context = Depends(api_context)) -> list[ProposalOut]:
    return [ProposalOut.of(row) for row in production.proposals_of(ctx, product_id)]


@router.post(
    "/sourcing/products/{product_id}/proposals", status_code=201, response_model=ProposalOut
)
def propose(
    product_id: str,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Store today's reorder, hold or stop proposal; a reorder of a delisted product is 409."""
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        {"product_id": product_id},
        lambda: ProposalOut.of(production.propose(ctx, product_id)),
    )


class ApproveProposalIn(Strict):
    quantity: int | None = Field(None, description="units to order; the proposal's by default")
    note: str = Field("", max_length=2000)


class DismissProposalIn(Strict):
    reason: str = Field(max_length=2000)


@router.post(
    "/sourcing/proposals/{proposal_id}/approve",
    status_code=201,
    response_model=ProductionOrderOut,
)
def approve_proposal(
    proposal_id: str, body: ApproveProposalIn, ctx: Context = Depends(api_context)
) -> ProductionOrderOut:
    """A reorder proposal into a production order to the factory; its overseas share is
    planned on as transfers when the run is received. 409 unless it is an open reorder."""
    order = production.approve_proposal(ctx, proposal_id, body.quantity, body.note)
    out = _order_out(ctx, order)
    ctx.session.commit()
    return out


@router.post("/sourcing/proposals/{proposal_id}/dismiss", response_model=ProposalOut)
def dismiss_proposal(
    proposal_id: str, body: DismissProposalIn, ctx: Context = Depends(api_context)
) -> ProposalOut:
    out = ProposalOut.of(production.dismiss_proposal(ctx, proposal_id, body.reason))
    ctx.session.commit()
    return out
