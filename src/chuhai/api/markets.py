"""Markets and categories over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import CategoryOut, MarketIn, MarketOut, MarketUpdate
from chuhai.catalog.service import list_categories
from chuhai.core.context import Context
from chuhai.markets import service
from chuhai.markets.model import MarketSpec
from chuhai.markets.tables import MarketRow

router = APIRouter(tags=["markets"])


def market_out(row: MarketRow) -> MarketOut:
    return MarketOut(
        code=row.code,
        name=row.name,
        country_code=row.country_code,
        region=row.region,
        currency=row.currency,
        languages=row.languages.split(","),
        tax_inclusive=row.tax_inclusive,
        time_zone=row.time_zone,
        customs=row.customs,
        active=row.active,
    )


@router.get("/markets", response_model=list[MarketOut])
def list_markets(active_only: bool = False, ctx: Context = Depends(api_context)) -> list[MarketOut]:
    return [market_out(m) for m in service.list_markets(ctx, active_only=active_only)]


@router.post("/markets", status_code=201, response_model=MarketOut)
def create_market(
    body: MarketIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: market_out(service.create_market(ctx, MarketSpec(**body.model_dump()))),
    )


@router.get("/markets/{market_code}", response_model=MarketOut)
def get_market(market_code: str, ctx: Context = Depends(api_context)) -> MarketOut:
    return market_out(service.get_market(ctx, market_code))


@router.patch("/markets/{market_code}", response_model=MarketOut)
def update_market(
    market_code: str, body: MarketUpdate, ctx: Context = Depends(api_context)
) -> MarketOut:
    row = service.update_market(ctx, market_code, body.model_dump(exclude_none=True))
    ctx.session.commit()
    return market_out(row)


@router.get("/categories", response_model=list[CategoryOut])
def categories(ctx: Context = Depends(api_context)) -> list[CategoryOut]:
    return [CategoryOut.model_validate(c) for c in list_categories(ctx.session)]
