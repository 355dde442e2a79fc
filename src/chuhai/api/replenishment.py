"""Replenishment over HTTP: the open proposals with their evidence, a run computed from the
order history's forecast (or one the caller sends), and bulk approval into stock-up orders
and transfers."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import Strict
from chuhai.core.context import Context
from chuhai.demand import replenishment

if TYPE_CHECKING:
    from chuhai.demand.replenishment_tables import ReplenishmentProposalRow

router = APIRouter(prefix="/replenishment", tags=["replenishment"])


class ForecastRowIn(Strict):
    unique_id: str = Field(max_length=100, description='"<sku id>@<market>"')
    ds: date
    mean: float = Field(ge=0)
    lo_95: float = Field(alias="lo-95", ge=0)
    hi_95: float = Field(alias="hi-95", ge=0)


class ComputeIn(Strict):
    horizon: int = Field(90, ge=7, le=366, description="days forecast when none is sent")
    forecast: list[ForecastRowIn] | None = Field(None, max_length=200_000)


class ApproveIn(Strict):
    ids: list[str] = Field(min_length=1, max_length=replenishment.MAX_APPROVE)


class ProposalOut(BaseModel):
    id: str
    run_id: str
    kind: str  # stock_up | transfer
    state: str  # proposed | approved | superseded
    sku_id: str
    warehouse_id: str
    from_warehouse_id: str | None
    supplier_id: str
    quantity: int
    sku_class: str
    evidence: dict[str, Any]
    document_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: ReplenishmentProposalRow) -> ProposalOut:
        return cls(
            id=row.id,
            run_id=row.run_id,
            kind=row.kind,
            state=row.state,
            sku_id=row.sku_id,
            warehouse_id=row.warehouse_id,
            from_warehouse_id=row.from_warehouse_id,
            supplier_id=row.supplier_id,
            quantity=row.quantity,
            sku_class=row.sku_class,
            evidence=row.evidence,
            document_id=row.document_id,
            created_at=row.created_at,
        )


class RunOut(BaseModel):
    id: str
    forecast_source: str
    proposal_count: int
    skipped: list[dict[str, str]]
    proposals: list[ProposalOut]


class ApprovalOut(BaseModel):
    stock_up_order_ids: list[str]
    transfer_ids: list[str]


@router.get("/proposals", response_model=list[ProposalOut])
def list_proposals(
    state: str | None = "proposed",
    limit: int = 200,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> list[ProposalOut]:
    page = replenishment.list_proposals(
        ctx, state=state or None, limit=max(1, min(limit, 200)), offset=max(offset, 0)
    )
    return [ProposalOut.of(row) for row in page.items]


@router.post("/compute", status_code=201, response_model=RunOut)
def compute(
    body: ComputeIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Compute proposals; earlier open ones are superseded."""
    ctx.actor.require("replenishment.approve")
    return run_idempotent(ctx, request, idempotency_key, body, lambda: _compute(ctx, body))


def _compute(ctx: Context, body: ComputeIn) -> dict[str, Any]:
    frame = None
    if body.forecast is not None:
        import pandas as pd

        frame = pd.DataFrame(
            [
                {
                    "unique_id": r.unique_id,
                    "ds": pd.Timestamp(r.ds),
                    "mean": r.mean,
                    "lo-95": r.lo_95,
                    "hi-95": r.hi_95,
                }
                for r in body.forecast
            ],
            columns=["unique_id", "ds", "mean", "lo-95", "hi-95"],
        )
    result = replenishment.compute(ctx, frame, horizon=body.horizon)
    out = RunOut(
        id=result.run.id,
        forecast_source=result.run.forecast_source,
        proposal_count=result.run.proposal_count,
        skipped=result.run.skipped,
        proposals=[ProposalOut.of(row) for row in result.proposals],
    )
    return out.model_dump(mode="json")


@router.post("/approve", status_code=201, response_model=ApprovalOut)
def approve(
    body: ApproveIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Approve proposals in bulk: all become orders and transfers, or none (422 naming each
    bad proposal)."""
    ctx.actor.require("replenishment.approve")
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: ApprovalOut(**vars(replenishment.approve(ctx, body.ids))).model_dump(),
    )
