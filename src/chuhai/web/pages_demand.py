"""The console's Demand page: per market the SKUs whose orders moved most, the latest
searches, stockouts (demand those days is censored), trend findings with their evidence,
and the upload of external signal files with its row-by-row report."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from chuhai.core.errors import ChuhaiError
from chuhai.demand import service as demand
from chuhai.demand.signal_import import COLUMNS
from chuhai.web.console import Page, error_message, form_page, page_context, render

router = APIRouter(include_in_schema=False)


async def _form(request: Request) -> FormData:
    return await request.form()


def _render(page: Page, status_code: int = 200, **data: Any) -> HTMLResponse:
    ctx = page.ctx
    ctx.actor.require("demand.read")
    on = _day(page.request.query_params.get("on")) or ctx.now().date()
    values: dict[str, Any] = {
        "on": on,
        "movers": demand.top_movers(ctx, on),
        "searches": demand.category_signals(ctx, demand.SignalFilter(kind="search"), 20).items,
        "stockouts": demand.stockouts(ctx, limit=20).items,
        "findings": demand.trends(ctx, on),
        "can_import": ctx.actor.can("demand.manage"),
        "columns": COLUMNS,
        "report": None,
        "filename": "",
        "error_text": None,
    }
    values.update(data)
    return render(page, "demand/index.html", status_code=status_code, **values)


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/demand", response_class=HTMLResponse)
def demand_home(page: Page = Depends(page_context)) -> HTMLResponse:
    return _render(page)


@router.post("/demand/imports", response_class=HTMLResponse)
def import_signals(page: Page = Depends(form_page), data: FormData = Depends(_form)) -> Response:
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _render(page, 422, error_text="Choose a .csv file of signals to import.")
    filename = upload.filename
    try:
        report = demand.import_signals(page.ctx, filename, upload.file.read())
    except ChuhaiError as exc:
        page.ctx.session.rollback()
        return _render(page, 422, error_text=error_message(exc))
    if not report.ok:
        page.ctx.session.rollback()
        return _render(page, 422, report=report, filename=filename)
    page.ctx.session.commit()
    return _render(page, report=report, filename=filename)
