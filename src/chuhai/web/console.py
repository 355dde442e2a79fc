"""The console's plumbing: sign-in with cookie sessions, CSRF protection, rendering.

Pages live in `pages_*.py` modules; each route takes a `Page` (the signed-in context plus
its CSRF token) and renders a template through `render`. State-changing requests are POSTs
that carry the session's CSRF token (a form field or the `X-CSRF-Token` header that
`base.html` makes HTMX send); anything else is refused.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Header, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from chuhai.core.auth import Actor, Role
from chuhai.core.context import Context
from chuhai.core.errors import ChuhaiError, Forbidden, Unauthorized
from chuhai.core.money import format_minor
from chuhai.core.runtime import runtime
from chuhai.parties import service as parties

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "chuhai_session"
templates = Jinja2Templates(directory=str(HERE / "templates"))


class LoginRequired(Exception):
    """Raised when a console page is asked for without a live session."""


@dataclass
class Page:
    """What a console route works with: the Context of the signed-in user and the CSRF token."""

    ctx: Context
    csrf_token: str
    request: Request

    @property
    def actor(self) -> Actor:
        return self.ctx.actor


def _nav(actor: Actor) -> list[tuple[str, str]]:
    items = [("/", "Dashboard")]
    if actor.can("catalog.read"):
        items.append(("/products", "Products"))
    if actor.supplier_id and actor.can("catalog.edit"):
        items.append(("/products/new", "New product"))
        items.append(("/imports", "Import catalog"))
    if actor.is_operator:
        items.append(("/review", "Review queue"))
        items.append(("/suppliers", "Suppliers"))
    elif actor.supplier_id:
        items.append((f"/suppliers/{actor.supplier_id}", "Company profile"))
    if actor.can("brands.read"):
        items.append(("/brands", "Brand registry"))
    if actor.can("rules.manage") or actor.is_operator:
        items.append(("/rules", "Compliance rules"))
    if actor.can("markets.read"):
        items.append(("/markets", "Markets"))
    if actor.can("pricing.read"):
        items.append(("/pricing", "Pricing"))
    if actor.can("fx.read"):
        items.append(("/fx", "FX rates"))
    if actor.can("ledger.read"):
        items.append(("/ledger", "Ledger"))
    if actor.can("settlement.read"):
        items.append(("/settlements", "Settlement"))
    if actor.can("credit.read"):
        items.append(("/credit", "B2B credit"))
    if actor.can("treasury.read"):
        items.append(("/treasury", "Treasury"))
    if actor.can("customs.read"):
        items.append(("/customs/declarations", "Customs"))
    if actor.is_operator:
        items.append(("/warehouses", "Warehouses"))
    if actor.can("stock.read"):
        items.append(("/stock", "Stock"))
    if actor.can("stockup.read"):
        items.append(("/stock-up-orders", "Stock-up orders"))
    if actor.can("transfers.read"):
        items.append(("/transfers", "Transfers"))
    if actor.can("replenishment.read"):
        items.append(("/replenishment", "Replenishment"))
    if actor.can("shipments.read"):
        items.append(("/shipments", "Shipments"))
    if actor.can("network.read"):
        items.append(("/network", "Warehouse network"))
    if actor.can("orders.read"):
        items.append(("/orders", "Orders"))
    if actor.can("demand.read"):
        items.append(("/demand", "Demand"))
    if actor.can("forecasts.read"):
        items.append(("/forecasts", "Forecasts"))
    if actor.can("briefs.read"):
        items.append(("/briefs", "Design briefs"))
    if actor.can("designs.read"):
        items.append(("/designs", "Designs"))
    if actor.can("production.read"):
        items.append(("/production", "Production orders"))
    items.append(("/tokens", "API tokens"))
    return items


def _open_page(request: Request, sent_csrf: str | None) -> Iterator[Page]:
    rt = runtime(request)
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise LoginRequired()
    with rt.db.unit_of_work() as uow:
        try:
            actor, csrf = parties.web_session(uow.session, rt.clock, secret)
        except Unauthorized:
            raise LoginRequired() from None
        if request.method != "GET" and not hmac.compare_digest(sent_csrf or "", csrf):
            raise Forbidden("the form has expired or did not come from this page; reload it")
        yield Page(Context(uow.session, actor, rt.clock, rt.settings), csrf, request)


def page_context(request: Request) -> Iterator[Page]:
    """For pages that only read (GET)."""
    yield from _open_page(request, None)


def form_page(
    request: Request,
    csrf_token: str | None = Form(None),
    x_csrf_token: str | None = Header(None),
) -> Iterator[Page]:
    """For POSTs: the CSRF token comes as a form field or the X-CSRF-Token header (HTMX)."""
    yield from _open_page(request, x_csrf_token or csrf_token)


def render(page: Page, template: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    request = page.request
    context = {
        "actor": page.actor,
        "csrf_token": page.csrf_token,
        "nav": _nav(page.actor),
        "path": request.url.path,
        "notice": request.query_params.get("notice"),
        "error": request.query_params.get("error"),
        "Role": Role,
        **data,
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def redirect(url: str, *, notice: str | None = None, error: str | None = None) -> Response:
    query = {k: v for k, v in (("notice", notice), ("error", error)) if v}
    target = url + (("&" if "?" in url else "?") + urlencode(query) if query else "")
    return RedirectResponse(target, status_code=303)


def error_message(exc: ChuhaiError) -> str:
    return exc.detail


def _fmt_dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _state_label(state: str) -> str:
    return state.replace("_", " ")


templates.env.globals["money"] = format_minor
templates.env.filters["dt"] = _fmt_dt
templates.env.filters["state_label"] = _state_label


# --- sign in and out ---------------------------------------------------------------------------

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/", error: str | None = None) -> HTMLResponse:
    return templates.TemplateResponse(request, "login.html", {"next": next, "error": error})


@router.post("/login")
def login(
    request: Request, username: str = Form(...), password: str = Form(...), next: str = Form("/")
) -> Response:
    rt = runtime(request)
    with rt.db.unit_of_work() as uow:
        try:
            user = parties.authenticate(uow.session, username, password)
        except Unauthorized as exc:
            return templates.TemplateResponse(
                request,
                "login.html",
                {"next": next, "error": exc.detail, "username": username},
                status_code=401,
            )
        secret = parties.start_web_session(uow.session, rt.clock, user, rt.settings.session_hours)
        uow.commit()
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=rt.settings.session_hours * 3600,
    )
    return response


@router.post("/logout")
def logout(page: Page = Depends(form_page)) -> Response:
    secret = page.request.cookies.get(SESSION_COOKIE, "")
    parties.end_web_session(page.ctx.session, page.ctx.clock, secret)
    page.ctx.session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _error_page(request: Request, exc: ChuhaiError) -> Response:
    if request.headers.get("HX-Request"):
        # HTMX swaps this fragment into the page's error slot
        return HTMLResponse(
            f'<div class="flash error" role="alert">{escape(error_message(exc))}</div>',
            status_code=exc.status,
            headers={"HX-Retarget": "#errors", "HX-Reswap": "innerHTML"},
        )
    return templates.TemplateResponse(
        request,
        "error.html",
        {"title": exc.title, "detail": error_message(exc)},
        status_code=exc.status,
    )


def mount_console(app: FastAPI) -> None:
    from chuhai.web import (
        pages_admin,
        pages_catalog,
        pages_credit,
        pages_customs,
        pages_demand,
        pages_finance,
        pages_forecasts,
        pages_inventory,
        pages_ledger,
        pages_network,
        pages_orders,
        pages_pricing,
        pages_replenishment,
        pages_review,
        pages_settlement,
        pages_shipments,
        pages_sourcing,
        pages_treasury,
        storefront,
    )

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(router)
    for module in (
        pages_catalog,
        pages_review,
        pages_admin,
        pages_finance,
        pages_customs,
        pages_pricing,
        pages_shipments,
        pages_inventory,
        pages_orders,
        pages_ledger,
        pages_settlement,
        pages_credit,
        pages_treasury,
        pages_demand,
        pages_forecasts,
        pages_replenishment,
        pages_sourcing,
        pages_network,
        storefront,
    ):
        app.include_router(module.router)

    app.state.console_error_page = _error_page

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
