"""Console pages for the catalog: dashboard, products, product form, import."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from chuhai.catalog import service
from chuhai.web.console import Page, page_context, render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(page: Page = Depends(page_context)) -> HTMLResponse:
    counts = service.state_counts(page.ctx)
    return render(page, "dashboard.html", counts=counts)
