"""The console's Forecasts pages: the stored forecast runs, a run's series (the largest
first) with the next 7 and 28 days' totals and their 95% ranges, and one series drawn as a
chart: its last 12 weeks of units ordered and the forecast with its 80% and 95% bands."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, Response

from chuhai.catalog import service as catalog
from chuhai.core.errors import ValidationFailed
from chuhai.demand import forecasting, signals
from chuhai.web.console import Page, form_page, page_context, redirect, render

router = APIRouter(include_in_schema=False)

HISTORY_DAYS = 84
CHART_W, CHART_H, PAD = 720, 240, 36


@router.get("/forecasts", response_class=HTMLResponse)
def forecasts_home(
    page: Page = Depends(page_context), run: str = "", market: str = "", offset: int = 0
) -> HTMLResponse:
    ctx = page.ctx
    runs = forecasting.list_runs(ctx)
    chosen = next((r for r in runs if r.id == run), runs[0] if runs else None)
    rows: list[dict[str, Any]] = []
    total = 0
    if chosen is not None:
        found = forecasting.series_page(
            ctx, chosen.id, market_code=market or None, limit=50, offset=max(offset, 0)
        )
        codes = catalog.sku_codes(ctx.session, [s.sku_id for s in found.items])
        rows = [_row(s, codes.get(s.sku_id, s.sku_id)) for s in found.items]
        total = found.total
    return render(
        page,
        "demand/forecasts.html",
        runs=runs,
        chosen=chosen,
        rows=rows,
        total=total,
        market=market,
        offset=max(offset, 0),
        can_run=ctx.actor.can("forecasts.run"),
        max_horizon=forecasting.MAX_HORIZON,
    )


@router.post("/forecasts")
def run_forecast(page: Page = Depends(form_page), horizon: str = Form("90")) -> Response:
    try:
        days = int(horizon.strip())
    except ValueError:
        return redirect("/forecasts", error="horizon: a whole number of days")
    try:
        run, _ = forecasting.run(page.ctx, days)
    except ValidationFailed as error:
        page.ctx.session.rollback()
        return redirect(
            "/forecasts", error="; ".join(f"{e.field}: {e.message}" for e in error.errors)
        )
    page.ctx.session.commit()
    return redirect(
        f"/forecasts?run={run.id}", notice=f"Forecast {run.series} series ({run.method})."
    )


@router.get("/forecasts/{run_id}/{sku_id}/{market_code}", response_class=HTMLResponse)
def forecast_series(
    run_id: str, sku_id: str, market_code: str, page: Page = Depends(page_context)
) -> HTMLResponse:
    ctx = page.ctx
    run = forecasting.get_run(ctx, run_id)
    series = forecasting.one_series(ctx, run_id, sku_id, market_code)
    start = run.first_day - timedelta(days=HISTORY_DAYS)
    history = signals.history_frame(
        ctx.session,
        end=run.first_day - timedelta(days=1),
        sku_ids=[sku_id],
        market_codes=[series.market_code],
    )
    past = [
        (d.date(), float(y))
        for d, y in zip(history["ds"], history["y"], strict=True)
        if d.date() >= start
    ]
    code = catalog.sku_codes(ctx.session, [sku_id]).get(sku_id, sku_id)
    return render(
        page,
        "demand/forecast.html",
        run=run,
        series=series,
        code=code,
        row=_row(series, code),
        chart=_chart(past, series, run.first_day),
    )


def _row(series: forecasting.ForecastSeriesRow, code: str) -> dict[str, Any]:
    return {
        "sku_id": series.sku_id,
        "code": code,
        "market": series.market_code,
        "week": forecasting.window_total(series, 7),
        "month": forecasting.window_total(series, 28),
        "total": series.total,
        "days": len(series.mean),
    }


def _chart(
    past: list[tuple[Any, float]], series: forecasting.ForecastSeriesRow, first_day: Any
) -> dict[str, Any]:
    """History as bars, the forecast as a line inside its 95% and 80% bands; one x step a day."""
    days = len(past) + len(series.mean)
    top = max([y for _, y in past] + list(series.hi_95) + [1.0])
    step = (CHART_W - 2 * PAD) / max(days, 1)

    def x(i: int) -> float:
        return round(PAD + i * step, 1)

    def y(v: float) -> float:
        return round(CHART_H - PAD - v / top * (CHART_H - 2 * PAD), 1)

    bars = [
        {"x": x(i), "y": y(v), "h": round(y(0) - y(v), 1), "day": d.isoformat(), "v": v}
        for i, (d, v) in enumerate(past)
    ]
    offset = len(past)

    def band(lo: list[float], hi: list[float]) -> str:
        upper = [f"{x(offset + i)},{y(v)}" for i, v in enumerate(hi)]
        lower = [f"{x(offset + i)},{y(v)}" for i, v in reversed(list(enumerate(lo)))]
        return " ".join(upper + lower)

    return {
        "width": CHART_W,
        "height": CHART_H,
        "pad": PAD,
        "bar_w": round(max(step - 1, 1), 1),
        "bars": bars,
        "band95": band(series.lo_95, series.hi_95),
        "band80": band(series.lo_80, series.hi_80),
        "line": " ".join(f"{x(offset + i)},{y(v)}" for i, v in enumerate(series.mean)),
        "split_x": x(offset),
        "top": round(top, 1),
        "base_y": y(0),
        "first_day": first_day.isoformat(),
    }
