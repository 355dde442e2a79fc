"""Console pages of sourcing. Merchandisers write design briefs and publish them, review
studios' designs (feedback, reject, accept with terms and factories), issue production
orders and read each product's sell-through; studios read published briefs and submit and
revise their designs; factories move their own production orders along; logistics
receives them at the consolidation warehouse."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import HTMLResponse, Response

from chuhai.catalog import service as catalog
from chuhai.core.errors import ChuhaiError, ValidationFailed
from chuhai.core.money import Money
from chuhai.sourcing import briefs, designs, production
from chuhai.sourcing.model import parse_terms
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render

router = APIRouter(include_in_schema=False)


def _attempt(page: Page, back: str, change: Callable[[], Any]) -> Response:
    """Run one change and commit it, then go to the page it names (a str) or back; on a
    refusal roll back and show why on the page it came from."""
    try:
        outcome = change()
    except ChuhaiError as error:
        page.ctx.session.rollback()
        return redirect(back, error=error_message(error))
    page.ctx.session.commit()
    return redirect(outcome if isinstance(outcome, str) else back, notice="Saved.")


# --- briefs ----------------------------------------------------------------------------------


def _bands(text: str) -> dict[str, tuple[str, str]]:
    """Lines of "US 19.99 39.99": a market code, the low and the high retail price."""
    bands = {}
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3:
            raise ValidationFailed.one(
                "price_bands", f"line {number}: a market, a low and a high price"
            )
        bands[parts[0].upper()] = (parts[1], parts[2])
    return bands


def _whole(value: str, field: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ValidationFailed.one(field, "a whole number") from None


def _brief_draft(
    title: str,
    category_code: str,
    markets: str,
    price_bands: str,
    volume: str,
    volume_low: str,
    volume_high: str,
    keywords: str,
    weight_g: str,
) -> briefs.BriefDraft:
    codes = [c.strip().upper() for c in markets.split(",") if c.strip()]
    return briefs.BriefDraft(
        title=title,
        category_code=category_code,
        markets=codes,
        bands=_bands(price_bands),
        volume=_whole(volume, "volume"),
        volume_low=_whole(volume_low, "volume"),
        volume_high=_whole(volume_high, "volume"),
        keywords=[k.strip() for k in keywords.split(",") if k.strip()],
        weight_g=_whole(weight_g or "500", "weight_g"),
    )


@router.get("/briefs", response_class=HTMLResponse)
def briefs_home(page: Page = Depends(page_context)) -> HTMLResponse:
    ctx = page.ctx
    manager = ctx.actor.can("briefs.manage")
    return render(
        page,
        "sourcing/briefs.html",
        briefs=briefs.list_briefs(ctx, limit=200).items,
        manager=manager,
        categories=catalog.list_categories(ctx.session) if manager else [],
    )


@router.post("/briefs")
def create_brief(
    page: Page = Depends(form_page),
    title: str = Form(""),
    category_code: str = Form(""),
    markets: str = Form(""),
    price_bands: str = Form(""),
    volume: str = Form(""),
    volume_low: str = Form(""),
    volume_high: str = Form(""),
    keywords: str = Form(""),
    weight_g: str = Form("500"),
) -> Response:
    def create() -> str:
        draft = _brief_draft(
            title,
            category_code,
            markets,
            price_bands,
            volume,
            volume_low,
            volume_high,
            keywords,
            weight_g,
        )
        return f"/briefs/{briefs.create_brief(page.ctx, draft).id}"

    return _attempt(page, "/briefs", create)


@router.get("/briefs/{brief_id}", response_class=HTMLResponse)
def brief_page(brief_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    ctx = page.ctx
    brief = briefs.visible_brief(ctx, brief_id)
    return render(
        page,
        "sourcing/brief.html",
        brief=brief,
        history=briefs.brief_history(ctx, brief.id),
        manager=ctx.actor.can("briefs.manage"),
        studio=ctx.actor.can("designs.submit"),
        designs=designs.list_designs(ctx, brief_id=brief.id, limit=200).items,
        bands_text="\n".join(
            f"{code} {Money(band['retail_low'], band['currency']).to_decimal()} "
            f"{Money(band['retail_high'], band['currency']).to_decimal()}"
            for code, band in brief.price_bands.items()
        ),
    )


@router.post("/briefs/{brief_id}/edit")
def edit_brief(
    brief_id: str,
    page: Page = Depends(form_page),
    title: str = Form(""),
    category_code: str = Form(""),
    markets: str = Form(""),
    price_bands: str = Form(""),
    volume: str = Form(""),
    volume_low: str = Form(""),
    volume_high: str = Form(""),
    keywords: str = Form(""),
    weight_g: str = Form("500"),
) -> Response:
    url = f"/briefs/{brief_id}"

    def edit() -> str:
        draft = _brief_draft(
            title,
            category_code,
            markets,
            price_bands,
            volume,
            volume_low,
            volume_high,
            keywords,
            weight_g,
        )
        briefs.update_brief(page.ctx, brief_id, draft)
        return url

    return _attempt(page, url, edit)


@router.post("/briefs/{brief_id}/publish")
def publish_brief(brief_id: str, page: Page = Depends(form_page)) -> Response:
    url = f"/briefs/{brief_id}"
    return _attempt(page, url, lambda: briefs.publish(page.ctx, brief_id))


@router.post("/briefs/{brief_id}/close")
def close_brief(brief_id: str, page: Page = Depends(form_page), reason: str = Form("")) -> Response:
    url = f"/briefs/{brief_id}"
    return _attempt(page, url, lambda: briefs.close(page.ctx, brief_id, reason))


# --- designs ---------------------------------------------------------------------------------


def _bom(text: str) -> list[dict[str, str]]:
    """Lines of "material; quantity; unit; unit cost (CNY)"."""
    lines = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")] + ["", "", "", ""]
        lines.append(
            {"material": parts[0], "quantity": parts[1], "unit": parts[2], "unit_cost": parts[3]}
        )
    return lines


def _design_draft(title: str, specification: str, bom: str, target_cost: str) -> Any:
    return designs.DesignDraft(
        title=title, specification=specification, bom=_bom(bom), target_cost=target_cost
    )


@router.post("/briefs/{brief_id}/designs")
def submit_design(
    brief_id: str,
    page: Page = Depends(form_page),
    title: str = Form(""),
    specification: str = Form(""),
    bom: str = Form(""),
    target_cost: str = Form(""),
) -> Response:
    def submit() -> str:
        draft = _design_draft(title, specification, bom, target_cost)
        return f"/designs/{designs.submit(page.ctx, brief_id, draft).id}"

    return _attempt(page, f"/briefs/{brief_id}", submit)


@router.get("/designs", response_class=HTMLResponse)
def designs_home(page: Page = Depends(page_context)) -> HTMLResponse:
    return render(
        page, "sourcing/designs.html", designs=designs.list_designs(page.ctx, limit=200).items
    )


@router.get("/designs/{design_id}", response_class=HTMLResponse)
def design_page(design_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    ctx = page.ctx
    design = designs.visible_design(ctx, design_id)
    reviewer = ctx.actor.can("designs.review")
    return render(
        page,
        "sourcing/design.html",
        design=design,
        history=designs.design_history(ctx, design.id),
        reviewer=reviewer,
        studio=ctx.actor.can("designs.submit"),
        matches=designs.factory_matches(ctx, design.id) if reviewer else [],
        bom_text="\n".join(
            f"{line['material']}; {line['quantity']}; {line['unit']}; "
            f"{int(line['unit_cost_fen']) / 100:.2f}"
            for line in design.bom
        ),
    )


@router.post("/designs/{design_id}/images")
def add_design_image(
    design_id: str, page: Page = Depends(form_page), image: UploadFile = File(...)
) -> Response:
    content = image.file.read()
    url = f"/designs/{design_id}"
    return _attempt(
        page, url, lambda: designs.add_image(page.ctx, design_id, content, image.filename or "")
    )


@router.get("/designs/{design_id}/images/{file_id}")
def design_image(design_id: str, file_id: str, page: Page = Depends(page_context)) -> Response:
    content_type, content = designs.design_image(page.ctx, design_id, file_id)
    return Response(content, media_type=content_type)


@router.post("/designs/{design_id}/resubmit")
def resubmit_design(
    design_id: str,
    page: Page = Depends(form_page),
    title: str = Form(""),
    specification: str = Form(""),
    bom: str = Form(""),
    target_cost: str = Form(""),
    note: str = Form(""),
) -> Response:
    url = f"/designs/{design_id}"
    draft = _design_draft(title, specification, bom, target_cost)
    return _attempt(page, url, lambda: designs.resubmit(page.ctx, design_id, draft, note))


@router.post("/designs/{design_id}/request-changes")
def request_changes(
    design_id: str, page: Page = Depends(form_page), feedback: str = Form("")
) -> Response:
    url = f"/designs/{design_id}"
    return _attempt(page, url, lambda: designs.request_changes(page.ctx, design_id, feedback))


@router.post("/designs/{design_id}/reject")
def reject_design(
    design_id: str, page: Page = Depends(form_page), reason: str = Form("")
) -> Response:
    url = f"/designs/{design_id}"
    return _attempt(page, url, lambda: designs.reject(page.ctx, design_id, reason))


@router.post("/designs/{design_id}/accept")
def accept_design(
    design_id: str,
    page: Page = Depends(form_page),
    terms: str = Form(""),
    fee: str = Form(""),
    royalty_percent: str = Form(""),
    factories: list[str] = Form([]),
) -> Response:
    url = f"/designs/{design_id}"

    def accept() -> str:
        chosen = parse_terms(terms, fee, royalty_percent)
        designs.accept(page.ctx, design_id, chosen, factories)
        return url

    return _attempt(page, url, accept)


# --- production ------------------------------------------------------------------------------


@router.get("/production", response_class=HTMLResponse)
def production_home(page: Page = Depends(page_context)) -> HTMLResponse:
    ctx = page.ctx
    orders = production.list_orders(ctx, limit=200).items
    manager = ctx.actor.can("production.manage")
    received = sorted({o.product_id for o in orders if o.state == "received"})
    return render(
        page,
        "sourcing/production.html",
        orders=orders,
        actions={o.id: production.available_actions(ctx, o) for o in orders},
        manager=manager,
        sell_through=[production.sell_through(ctx, p) for p in received] if manager else [],
        proposals=production.open_proposals(ctx, received) if manager else {},
    )


@router.post("/production")
def issue_order(
    page: Page = Depends(form_page),
    product_id: str = Form(""),
    quantity: str = Form(""),
    override_reason: str = Form(""),
) -> Response:
    def issue() -> str:
        units = _whole(quantity, "quantity")
        production.issue(page.ctx, product_id.strip(), units, override_reason=override_reason)
        return "/production"

    return _attempt(page, "/production", issue)


@router.get("/production/{production_order_id}", response_class=HTMLResponse)
def production_order_page(
    production_order_id: str, page: Page = Depends(page_context)
) -> HTMLResponse:
    ctx = page.ctx
    order = production.visible_order(ctx, production_order_id)
    return render(
        page,
        "sourcing/production_order.html",
        order=order,
        actions=production.available_actions(ctx, order),
        history=production.order_history(ctx, order.id),
    )


@router.post("/production/{production_order_id}/progress")
def progress(
    production_order_id: str,
    page: Page = Depends(form_page),
    action: str = Form(""),
    note: str = Form(""),
) -> Response:
    def act() -> str:
        if action == "receive":
            production.receive(page.ctx, production_order_id, note=note)
        else:
            production.act(page.ctx, production_order_id, action, note)
        return "/production"

    return _attempt(page, "/production", act)


@router.post("/production/products/{product_id}/propose")
def propose(product_id: str, page: Page = Depends(form_page)) -> Response:
    return _attempt(page, "/production", lambda: production.propose(page.ctx, product_id))


@router.post("/production/proposals/{proposal_id}/approve")
def approve_proposal(
    proposal_id: str, page: Page = Depends(form_page), quantity: str = Form("")
) -> Response:
    def approve() -> str:
        units = _whole(quantity, "quantity") if quantity.strip() else None
        order = production.approve_proposal(page.ctx, proposal_id, units)
        return f"/production/{order.id}"

    return _attempt(page, "/production", approve)


@router.post("/production/proposals/{proposal_id}/dismiss")
def dismiss_proposal(
    proposal_id: str, page: Page = Depends(form_page), reason: str = Form("")
) -> Response:
    return _attempt(
        page, "/production", lambda: production.dismiss_proposal(page.ctx, proposal_id, reason)
    )
