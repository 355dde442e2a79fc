"""Demand signals over HTTP: daily counts per SKU and per search, stockouts, trend findings,
the import of external signal files (CSV), and stored forecasts (run, list, read).
Merchandisers and admins read; merchandisers import. A file with any bad row is refused
whole (422, with the row-by-row report)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from fastapi import APIRouter, Depends, File, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import PageOut, Strict
from chuhai.core.context import Context
from chuhai.core.errors import ChuhaiError
from chuhai.demand import forecasting, service
from chuhai.demand.signal_import import SignalReport

router = APIRouter(prefix="/demand", tags=["demand"])
MAX_OFFSET = 1_000_000_000


class SkuSignalOut(BaseModel):
    day: date
    market_code: str
    sku_id: str
    kind: str
    source: str
    count: int


class CategorySignalOut(BaseModel):
    day: date
    market_code: str
    category_code: str
    kind: str
    query: str
    source: str
    count: int


class StockoutOut(BaseModel):
    id: str
    sku_id: str
    market_code: str
    started_at: datetime
    ended_at: datetime | None
    source: str


class FindingOut(BaseModel):
    market: str
    category: str
    keywords: list[str]
    growth: str  # a decimal ratio, recent window / previous window
    recent_units: int
    listed_products: int
    sold_out_skus: int
    evidence: str


class RowOutcomeOut(BaseModel):
    row: int
    status: str  # imported | duplicate | refused
    message: str


class RowErrorOut(BaseModel):
    row: int
    field: str
    message: str


class ImportOut(BaseModel):
    ok: bool
    summary: str
    rows: int
    source: str
    outcomes: list[RowOutcomeOut]
    errors: list[RowErrorOut]

    @classmethod
    def of(cls, report: SignalReport, source: str) -> ImportOut:
        return cls(
            ok=report.ok,
            summary=report.summary(),
            rows=report.rows,
            source=source,
            outcomes=[
                RowOutcomeOut(row=o.row, status=o.status, message=o.message)
                for o in report.outcomes
            ],
            errors=[
                RowErrorOut(row=e.row, field=e.field, message=e.message) for e in report.errors
            ],
        )


class ImportRefused(ChuhaiError):
    status = 422
    code = "import-refused"
    title = "Import refused"


def _filter(
    market: str | None, sku_id: str | None, kind: str | None, start: date | None, end: date | None
) -> service.SignalFilter:
    return service.SignalFilter(market=market, sku_id=sku_id, kind=kind, start=start, end=end)


@router.get("/signals", response_model=PageOut[SkuSignalOut])
def sku_signals(
    market: str | None = None,
    sku_id: str | None = None,
    kind: str | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ctx: Context = Depends(api_context),
) -> PageOut[SkuSignalOut]:
    """Daily counts per SKU × market (views, add-to-carts, units ordered and returned)."""
    page = service.sku_signals(ctx, _filter(market, sku_id, kind, start, end), limit, offset)
    return PageOut(
        items=[SkuSignalOut.model_validate(row, from_attributes=True) for row in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/searches", response_model=PageOut[CategorySignalOut])
def category_signals(
    market: str | None = None,
    kind: str | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ctx: Context = Depends(api_context),
) -> PageOut[CategorySignalOut]:
    """Daily searches (with their text) and category-level counts per market."""
    page = service.category_signals(ctx, _filter(market, None, kind, start, end), limit, offset)
    return PageOut(
        items=[CategorySignalOut.model_validate(row, from_attributes=True) for row in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/stockouts", response_model=PageOut[StockoutOut])
def stockouts(
    market: str | None = None,
    sku_id: str | None = None,
    open_only: bool = False,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ctx: Context = Depends(api_context),
) -> PageOut[StockoutOut]:
    """When SKUs were unavailable in a market (demand those days is censored)."""
    page = service.stockouts(
        ctx, market=market, sku_id=sku_id, open_only=open_only, limit=limit, offset=offset
    )
    return PageOut(
        items=[StockoutOut.model_validate(row, from_attributes=True) for row in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/trends", response_model=list[FindingOut])
def trends(
    on: date | None = None,
    window_days: int = Query(28, ge=1, le=366),
    ctx: Context = Depends(api_context),
) -> list[FindingOut]:
    """Rising searches and categories with few or no matching listed products, or selling out."""
    return [
        FindingOut(
            market=f.market,
            category=f.category,
            keywords=list(f.keywords),
            growth=str(f.growth),
            recent_units=f.recent_units,
            listed_products=f.listed_products,
            sold_out_skus=f.sold_out_skus,
            evidence=f.evidence,
        )
        for f in service.trends(ctx, on, window_days)
    ]


@router.post("/imports", status_code=201, response_model=ImportOut)
def import_signals(
    request: Request,
    file: UploadFile = File(...),
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Import a CSV of signals (date, market, sku or category, kind, count[, query]). Any bad
    row means nothing is written: 422 with the report, each bad row and field named."""
    content = file.file.read()
    name = file.filename or "upload.csv"
    source = service.source_of(name)

    def create() -> ImportOut:
        report = service.import_signals(ctx, name, content)
        body = ImportOut.of(report, source)
        if not report.ok:
            raise ImportRefused(report.summary(), field="file", **body.model_dump())
        return body

    payload = {"sha256": hashlib.sha256(content).hexdigest(), "source": source}
    return run_idempotent(ctx, request, idempotency_key, payload, create)


# --- stored forecasts ------------------------------------------------------------------------


class ForecastRunOut(BaseModel):
    id: str
    method: str
    first_day: date
    horizon: int
    series: int
    created_by: str
    created_at: datetime


class ForecastSeriesOut(BaseModel):
    sku_id: str
    market_code: str
    total: float
    mean: list[float]
    lo_80: list[float]
    hi_80: list[float]
    lo_95: list[float]
    hi_95: list[float]


class ForecastIn(Strict):
    horizon: int = Field(90, description=f"days, 1 to {forecasting.MAX_HORIZON}")


@router.post("/forecasts", status_code=201, response_model=ForecastRunOut)
def run_forecast(body: ForecastIn, ctx: Context = Depends(api_context)) -> ForecastRunOut:
    """Forecast every SKU × market with order history, store the run and return it."""
    run, _ = forecasting.run(ctx, body.horizon)
    out = ForecastRunOut.model_validate(run, from_attributes=True)
    ctx.session.commit()
    return out


@router.get("/forecasts", response_model=list[ForecastRunOut])
def forecast_runs(
    limit: int = Query(20, ge=1, le=200), ctx: Context = Depends(api_context)
) -> list[ForecastRunOut]:
    """Stored forecast runs, the newest first."""
    return [
        ForecastRunOut.model_validate(r, from_attributes=True)
        for r in forecasting.list_runs(ctx, limit)
    ]


@router.get("/forecasts/{run_id}/series", response_model=PageOut[ForecastSeriesOut])
def forecast_series(
    run_id: str,
    sku_id: str | None = None,
    market: str | None = None,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ctx: Context = Depends(api_context),
) -> PageOut[ForecastSeriesOut]:
    """A run's daily forecasts per SKU × market, the largest first: the mean and the 80% and
    95% intervals, one value a day from the run's first day."""
    page = forecasting.series_page(
        ctx, run_id, sku_id=sku_id, market_code=market, limit=limit, offset=offset
    )
    return PageOut(
        items=[ForecastSeriesOut.model_validate(r, from_attributes=True) for r in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )
