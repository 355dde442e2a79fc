"""Console pages for the registries and settings operators keep: the brand registry, the
compliance rules, the markets, the suppliers' profiles, and each user's own API tokens.

Reading is open to whoever the services let read; the forms to change things are shown only to
the roles that may use them (the services check again). A change commits and redirects with a
notice; a refused change shows the page again with the reason and what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from chuhai.catalog import registry
from chuhai.catalog import service as catalog
from chuhai.core.errors import ChuhaiError, NotFound, ValidationFailed
from chuhai.markets import service as markets
from chuhai.markets.model import MarketSpec
from chuhai.parties import service as parties
from chuhai.parties.model import SUPPLIER_STATUSES
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25


async def submitted_form(request: Request) -> FormData:
    """The posted form (parsed once; FastAPI keeps it on the request)."""
    return await request.form()


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _values(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _save(
    page: Page,
    change: Callable[[], object],
    done: Callable[[], Response],
    again: Callable[[ChuhaiError], Response],
) -> Response:
    """Run a change and commit; on a refusal roll back and show the form again."""
    try:
        change()
        page.ctx.session.commit()
    except NotFound:
        page.ctx.session.rollback()
        raise
    except ChuhaiError as exc:
        page.ctx.session.rollback()
        return again(exc)
    return done()


def _date(text: str, field: str) -> date:
    if not text:
        raise ValidationFailed.one(field, "give a date")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.one(field, f"{text!r} is not a date like 2026-01-31") from None


def _optional_date(text: str, field: str) -> date | None:
    return _date(text, field) if text else None


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]


# --- brand registry -----------------------------------------------------------------------------


def _brands_page(
    page: Page, q: str = "", offset: int = 0, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    found = registry.list_brands(page.ctx, search=q or None, limit=PAGE_SIZE, offset=offset)
    return render(
        page,
        "admin/brands.html",
        status_code=status_code,
        brands=found,
        q=q,
        can_manage=page.actor.can("brands.manage"),
        form=extra.pop("form", {}),
        **extra,
    )


@router.get("/brands", response_class=HTMLResponse)
def brands(q: str = "", offset: int = 0, page: Page = Depends(page_context)) -> HTMLResponse:
    return _brands_page(page, q.strip(), max(offset, 0))


@router.post("/brands")
def add_brand(
    page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    name = _text(form, "name")
    return _save(
        page,
        lambda: registry.create_brand(
            page.ctx,
            name=name,
            aliases=_split(_text(form, "aliases")),
            owner=_text(form, "owner"),
            notes=_text(form, "notes"),
        ),
        lambda: redirect(
            f"/brands?q={quote(name)}", notice=f"Brand {name!r} added to the registry."
        ),
        lambda exc: _brands_page(
            page, status_code=exc.status, error=error_message(exc), form=_values(form)
        ),
    )


@router.post("/brands/{brand_id}")
def edit_brand(
    brand_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    back = _text(form, "back") or "/brands"
    back = back if back.startswith("/brands") else "/brands"
    return _save(
        page,
        lambda: registry.update_brand(
            page.ctx,
            brand_id,
            aliases=_split(_text(form, "aliases")),
            owner=_text(form, "owner"),
            notes=_text(form, "notes"),
        ),
        lambda: redirect(back, notice="Brand updated."),
        lambda exc: redirect(back, error=error_message(exc)),
    )


@router.post("/brands/{brand_id}/delete")
def delete_brand(brand_id: str, page: Page = Depends(form_page)) -> Response:
    name = registry.get_brand(page.ctx, brand_id).name
    return _save(
        page,
        lambda: registry.delete_brand(page.ctx, brand_id),
        lambda: redirect("/brands", notice=f"Brand {name!r} removed from the registry."),
        lambda exc: redirect("/brands", error=error_message(exc)),
    )


# --- compliance rules ---------------------------------------------------------------------------


def _rules_page(page: Page, market: str = "", status_code: int = 200, **extra: Any) -> HTMLResponse:
    ctx = page.ctx
    rules = registry.list_rules(ctx)
    if market:
        rules = [r for r in rules if r.market_code in (market, "*")]
    today = ctx.now().date()
    return render(
        page,
        "admin/rules.html",
        status_code=status_code,
        rules=rules,
        market=market,
        markets=markets.list_markets(ctx),
        categories=catalog.list_categories(ctx.session),
        certificate_types=catalog.certificate_types(ctx.session),
        kinds=registry.RULE_KINDS,
        today=today,
        can_manage=page.actor.can("rules.manage"),
        form=extra.pop("form", {}),
        **extra,
    )


@router.get("/rules", response_class=HTMLResponse)
def rules(market: str = "", page: Page = Depends(page_context)) -> HTMLResponse:
    return _rules_page(page, market.strip())


@router.post("/rules")
def add_rule(page: Page = Depends(form_page), form: FormData = Depends(submitted_form)) -> Response:
    def change() -> object:
        kind = _text(form, "kind")
        return registry.add_rule(
            page.ctx,
            market_code=_text(form, "market_code"),
            category_prefix=_text(form, "category_prefix"),
            kind=kind,
            certificate_type=_text(form, "certificate_type").upper() or None,
            description=_text(form, "description"),
            source=_text(form, "source"),
            effective_from=_date(_text(form, "effective_from"), "effective_from"),
            effective_to=_optional_date(_text(form, "effective_to"), "effective_to"),
        )

    return _save(
        page,
        change,
        lambda: redirect("/rules", notice="Rule added."),
        lambda exc: _rules_page(
            page,
            status_code=exc.status,
            error=error_message(exc),
            form=_values(form),
            clash=exc.extra.get("overlaps"),
        ),
    )


@router.post("/rules/{rule_id}/end")
def end_rule(
    rule_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    when = _text(form, "effective_to")
    return _save(
        page,
        lambda: registry.end_rule(page.ctx, rule_id, _date(when, "effective_to")),
        lambda: redirect("/rules", notice=f"Rule {rule_id} ends on {when}."),
        lambda exc: redirect("/rules", error=f"{rule_id}: {error_message(exc)}"),
    )


# --- markets ------------------------------------------------------------------------------------


def _market_fields(form: FormData) -> dict[str, Any]:
    return {
        "name": _text(form, "name"),
        "country_code": _text(form, "country_code").upper() or None,
        "region": _text(form, "region"),
        "currency": _text(form, "currency").upper(),
        "languages": _split(_text(form, "languages")),
        "tax_inclusive": form.get("tax_inclusive") == "on",
        "time_zone": _text(form, "time_zone"),
        "customs": form.get("customs") == "on",
        "active": form.get("active") == "on",
    }


def _markets_page(page: Page, status_code: int = 200, **extra: Any) -> HTMLResponse:
    return render(
        page,
        "admin/markets.html",
        status_code=status_code,
        markets=markets.list_markets(page.ctx),
        can_manage=page.actor.can("markets.manage"),
        form=extra.pop("form", {}),
        **extra,
    )


@router.get("/markets", response_class=HTMLResponse)
def markets_list(page: Page = Depends(page_context)) -> HTMLResponse:
    return _markets_page(page)


@router.post("/markets")
def add_market(
    page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    code = _text(form, "code").upper()
    return _save(
        page,
        lambda: markets.create_market(page.ctx, MarketSpec(code=code, **_market_fields(form))),
        lambda: redirect("/markets", notice=f"Market {code} added."),
        lambda exc: _markets_page(
            page,
            status_code=exc.status,
            error=error_message(exc),
            form={**_values(form), "submitted": True},
            open_add=True,
        ),
    )


def _market_page(page: Page, code: str, status_code: int = 200, **extra: Any) -> HTMLResponse:
    market = markets.get_market(page.ctx, code)
    return render(
        page,
        "admin/market.html",
        status_code=status_code,
        market=market,
        can_manage=page.actor.can("markets.manage"),
        form=extra.pop("form", {}),
        **extra,
    )


@router.get("/markets/{code}", response_class=HTMLResponse)
def market_page(code: str, page: Page = Depends(page_context)) -> HTMLResponse:
    return _market_page(page, code)


@router.post("/markets/{code}")
def edit_market(
    code: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _save(
        page,
        lambda: markets.update_market(page.ctx, code, _market_fields(form)),
        lambda: redirect("/markets", notice=f"Market {code} saved."),
        lambda exc: _market_page(
            page,
            code,
            status_code=exc.status,
            error=error_message(exc),
            form={**_values(form), "submitted": True},
        ),
    )


# --- suppliers ----------------------------------------------------------------------------------

# the profile fields a supplier keeps up to date itself (papers change through onboarding)
CONTACT_FIELDS = (
    ("contact_name", "Contact name"),
    ("contact_phone", "Contact phone"),
    ("contact_email", "Contact e-mail"),
)
ADDRESS_FIELDS = (("address", "Address"), ("province", "Province"), ("city", "City"))
BANK_FIELDS = (
    ("bank_name", "Bank"),
    ("bank_account_name", "Account name"),
    ("bank_account_number", "Account number"),
)


@router.get("/suppliers", response_class=HTMLResponse)
def suppliers(status: str = "", offset: int = 0, page: Page = Depends(page_context)) -> Response:
    if not page.actor.is_operator and page.actor.supplier_id:
        return redirect(f"/suppliers/{page.actor.supplier_id}")
    chosen = status if status in SUPPLIER_STATUSES else ""
    found = parties.list_suppliers(
        page.ctx, status=chosen or None, limit=PAGE_SIZE, offset=max(offset, 0)
    )
    return render(
        page, "admin/suppliers.html", suppliers=found, status=chosen, statuses=SUPPLIER_STATUSES
    )


def _supplier_page(
    page: Page, supplier_id: str, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    supplier = parties.visible_supplier(page.ctx, supplier_id)
    return render(
        page,
        "admin/supplier.html",
        status_code=status_code,
        supplier=supplier,
        contact_fields=CONTACT_FIELDS,
        address_fields=ADDRESS_FIELDS,
        bank_fields=BANK_FIELDS,
        can_edit=page.actor.can("suppliers.edit"),
        can_verify=page.actor.can("suppliers.verify"),
        can_agree=page.actor.can("suppliers.agreement"),
        payable_bases=parties.PAYABLE_BASES,
        form=extra.pop("form", {}),
        **extra,
    )


@router.get("/suppliers/{supplier_id}", response_class=HTMLResponse)
def supplier_page(supplier_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    return _supplier_page(page, supplier_id)


@router.post("/suppliers/{supplier_id}")
def edit_supplier(
    supplier_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    supplier = parties.visible_supplier(page.ctx, supplier_id)
    names = [name for name, _ in CONTACT_FIELDS + ADDRESS_FIELDS + BANK_FIELDS]
    changes = {
        name: _text(form, name)
        for name in names
        if name in form and _text(form, name) != (getattr(supplier, name) or "")
    }
    bank_changed = any(name in changes for name, _ in BANK_FIELDS)

    def done() -> Response:
        if not changes:
            return redirect(f"/suppliers/{supplier_id}", notice="Nothing changed.")
        notice = "Profile saved."
        if bank_changed:
            notice += " Bank details changed: the platform verifies the profile again."
        return redirect(f"/suppliers/{supplier_id}", notice=notice)

    return _save(
        page,
        lambda: parties.update_supplier(page.ctx, supplier_id, changes) if changes else None,
        done,
        lambda exc: _supplier_page(
            page, supplier_id, exc.status, error=error_message(exc), form=_values(form)
        ),
    )


@router.post("/suppliers/{supplier_id}/verify")
def verify_supplier(
    supplier_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    approve = _text(form, "decision") == "verify"
    return _save(
        page,
        lambda: parties.verify_supplier(
            page.ctx, supplier_id, approve=approve, note=_text(form, "note")
        ),
        lambda: redirect(
            f"/suppliers/{supplier_id}",
            notice="Supplier verified." if approve else "Supplier suspended.",
        ),
        lambda exc: redirect(f"/suppliers/{supplier_id}", error=error_message(exc)),
    )


@router.post("/suppliers/{supplier_id}/agreement")
def set_supplier_agreement(
    supplier_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _save(
        page,
        lambda: parties.set_payable_basis(page.ctx, supplier_id, _text(form, "payable_on")),
        lambda: redirect(f"/suppliers/{supplier_id}", notice="Payment agreement saved."),
        lambda exc: redirect(f"/suppliers/{supplier_id}", error=error_message(exc)),
    )


# --- API tokens ---------------------------------------------------------------------------------


def _tokens_page(page: Page, status_code: int = 200, **extra: Any) -> HTMLResponse:
    return render(
        page,
        "admin/tokens.html",
        status_code=status_code,
        tokens=parties.list_tokens(page.ctx),
        **extra,
    )


@router.get("/tokens", response_class=HTMLResponse)
def tokens(page: Page = Depends(page_context)) -> HTMLResponse:
    return _tokens_page(page)


@router.post("/tokens")
def create_token(
    page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    name = _text(form, "name")
    try:
        row, secret = parties.create_token(page.ctx, name)
        page.ctx.session.commit()
    except ChuhaiError as exc:
        page.ctx.session.rollback()
        return _tokens_page(page, exc.status, error=error_message(exc), name=name)
    # the secret is shown in this one answer only: it is never stored and never put in a URL
    response = _tokens_page(page, 201, new_token=row, new_secret=secret)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: str, page: Page = Depends(form_page)) -> Response:
    return _save(
        page,
        lambda: parties.revoke_token(page.ctx, token_id),
        lambda: redirect("/tokens", notice="Token revoked; it no longer opens the API."),
        lambda exc: redirect("/tokens", error=error_message(exc)),
    )
