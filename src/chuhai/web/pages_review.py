"""Console pages for the listing workflow: the review queue and a product's page with the
actions its current state allows (compliance, IP, supply-price negotiation, sample QC,
listing in markets).

Every action is a POST form to `/products/{id}/actions/<action>` that calls one use case of
`catalog.listing`, commits, and redirects back to the product page with a notice (POST,
redirect, GET). A refused action comes back as an error on the same page; forms with typed
values (an offer, a QC check) are shown again with what was typed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm.exc import StaleDataError
from starlette.datastructures import FormData, UploadFile

from chuhai.catalog import listing
from chuhai.catalog import service as catalog
from chuhai.catalog.model import State
from chuhai.core.errors import ChuhaiError, Conflict, NotFound, ValidationFailed
from chuhai.core.money import decimal_string
from chuhai.customs import hs_service
from chuhai.markets import service as markets
from chuhai.parties import service as parties
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render

router = APIRouter(include_in_schema=False)

QUEUE_STATES = (
    State.SUBMITTED,
    State.COMPLIANCE_REVIEW,
    State.IP_REVIEW,
    State.PRICE_NEGOTIATION,
    State.SAMPLE_QC,
    State.APPROVED,
)

# the happy path, as the stepper at the top of a product page shows it
STEPS = (
    (State.SUBMITTED, "Submitted"),
    (State.COMPLIANCE_REVIEW, "Compliance"),
    (State.IP_REVIEW, "IP review"),
    (State.PRICE_NEGOTIATION, "Price"),
    (State.SAMPLE_QC, "Sample QC"),
    (State.APPROVED, "Approved"),
    (State.LISTED, "Listed"),
)

ACTION_LABELS = {
    "submit": "Submitted for review",
    "resubmit": "Resubmitted",
    "start_compliance_review": "Compliance review started",
    "pass_compliance": "Compliance passed",
    "pass_ip": "IP review cleared",
    "agree_price": "Supply price agreed",
    "pass_qc": "Sample QC passed",
    "list": "Listed in markets",
    "delist_markets": "Delisted from some markets",
    "delist": "Delisted",
    "reject": "Rejected",
    "withdraw": "Withdrawn by the supplier",
}

# who moves a product on from each state (shown in the queue and on the product page)
NEXT_STEP = {
    State.DRAFT: "The supplier completes the product and submits it.",
    State.SUBMITTED: "Compliance starts the review.",
    State.COMPLIANCE_REVIEW: "Compliance checks the rules and certificates, then passes it.",
    State.IP_REVIEW: "Compliance clears the brand screening.",
    State.PRICE_NEGOTIATION: "The merchandiser and the supplier agree the supply price.",
    State.SAMPLE_QC: "Logistics receives and checks the sample, then passes QC.",
    State.APPROVED: "The merchandiser lists it in markets.",
    State.LISTED: "On sale.",
    State.DELISTED: "Off sale; the merchandiser can list it again.",
    State.REJECTED: "The supplier edits the product and resubmits it.",
}


async def submitted_form(request: Request) -> FormData:
    """The posted form (parsed once; FastAPI keeps it on the request)."""
    return await request.form()


# --- the review queue ---------------------------------------------------------------------------


@router.get("/review", response_class=HTMLResponse)
def review_queue(state: str | None = None, page: Page = Depends(page_context)) -> HTMLResponse:
    waiting = listing.review_queue(page.ctx)
    counts = Counter(p.state for p in waiting)
    chosen = state if state in QUEUE_STATES else None
    products = [p for p in waiting if chosen is None or p.state == chosen]
    suppliers = {
        sid: parties.visible_supplier(page.ctx, sid) for sid in {p.supplier_id for p in products}
    }
    categories = {c.code: c.name_en for c in catalog.list_categories(page.ctx.session)}
    return render(
        page,
        "review/queue.html",
        products=products,
        groups=[(s, [p for p in products if p.state == s]) for s in QUEUE_STATES],
        counts=counts,
        total=len(waiting),
        states=QUEUE_STATES,
        chosen=chosen,
        suppliers=suppliers,
        categories=categories,
        waiting_on={p.id: _waiting_on(page, p) for p in products},
    )


def _waiting_on(page: Page, product: Any) -> tuple[str, bool]:
    """Who moves the product on next, and whether that is the viewer."""
    actor = page.actor
    if product.state in (State.SUBMITTED, State.COMPLIANCE_REVIEW, State.IP_REVIEW):
        return "Compliance", actor.can("review.compliance")
    if product.state == State.PRICE_NEGOTIATION:
        offers = [r for r in listing.negotiation_rounds(page.ctx, product.id) if r.move == "offer"]
        if offers and offers[-1].party == "platform":
            return "Supplier", False
        return "Merchandiser", actor.can("negotiation.platform")
    if product.state == State.SAMPLE_QC:
        sample = listing.current_sample(page.ctx, product.id)
        if sample is not None and sample.received_at is None:
            return "Supplier ships sample · logistics receives", actor.can("qc.manage")
        return "Logistics (QC)", actor.can("qc.manage")
    return "Merchandiser", actor.can("listing.publish")


# --- the product page ---------------------------------------------------------------------------


def _party(page: Page) -> str | None:
    """Which side of a negotiation the viewer speaks for (mirrors catalog.listing)."""
    actor = page.actor
    if actor.is_operator and actor.can("negotiation.platform"):
        return "platform"
    if not actor.is_operator and actor.can("negotiation.supplier"):
        return "supplier"
    return None


def _negotiation(page: Page, view: catalog.ProductView) -> dict[str, Any]:
    rounds = listing.negotiation_rounds(page.ctx, view.product.id)
    offers = [r for r in rounds if r.move == "offer"]
    last = offers[-1] if offers else None
    party = _party(page)
    in_state = view.product.state == State.PRICE_NEGOTIATION
    if party == "platform":
        my_turn = in_state and (last is None or last.party == "supplier")
        can_accept = my_turn
    elif party == "supplier":
        my_turn = in_state and last is not None and last.party == "platform"
        can_accept = my_turn
    else:
        my_turn = can_accept = False
    base = last.prices if last else {s.id: s.supply_price_amount for s in view.skus}
    prefill = {
        sku.id: decimal_string(int(base.get(sku.id, sku.supply_price_amount)), "CNY")
        for sku in view.skus
    }
    if not in_state:
        waiting = ""
    elif last is None:
        waiting = "The merchandiser makes the first offer (or accepts the declared prices)."
    elif last.party == "platform":
        waiting = "Waiting for the supplier to answer the platform's offer."
    else:
        waiting = "Waiting for the merchandiser to answer the supplier's offer."
    return {
        "rounds": rounds,
        "last_offer": last,
        "party": party,
        "my_turn": my_turn,
        "can_offer": my_turn,
        "can_accept": can_accept,
        "can_decline": in_state and party is not None,
        "prefill": prefill,
        "waiting": waiting,
    }


def _product_page(
    page: Page, product_id: str, status_code: int = 200, **overrides: Any
) -> HTMLResponse:
    ctx = page.ctx
    view = catalog.product_view(ctx, product_id)
    product = view.product
    all_findings = listing.findings(ctx, product_id)
    sample = listing.current_sample(ctx, product_id)
    checks = listing.qc_checks(ctx, sample.id) if sample else []
    active_markets = markets.list_markets(ctx, active_only=True)
    categories = {c.code: c for c in catalog.list_categories(ctx.session)}
    rejections = [t for t in view.transitions if t.to_state == State.REJECTED]
    listed = [m.market_code for m in view.markets if m.status == "listed"]
    data: dict[str, Any] = {
        "view": view,
        "product": product,
        "actions": listing.available_actions(ctx, product),
        "compliance_findings": [f for f in all_findings if f.review == "compliance"],
        "ip_findings": [f for f in all_findings if f.review == "ip"],
        "price_history": {s.id: catalog.supply_price_history(ctx, s.id) for s in view.skus},
        "sku_codes": {s.id: s.sku_code for s in view.skus},
        "sample": sample,
        "checks": checks,
        "active_markets": active_markets,
        "category": categories.get(product.category_code),
        "last_rejection": rejections[-1] if rejections else None,
        "listed_codes": listed,
        "steps": STEPS,
        "step_index": _step_index(product.state),
        "next_step": NEXT_STEP.get(product.state, ""),
        "action_labels": ACTION_LABELS,
        "owner": not page.actor.is_operator and page.actor.supplier_id == product.supplier_id,
        "form": {},
        # the HS classification panel: operators see the suggestions, customs and
        # compliance confirm a code per SKU
        "hs": hs_service.classify_product(ctx, product_id)
        if page.actor.can("hs.suggest")
        else None,
        "can_confirm_hs": page.actor.can("hs.confirm"),
        **_negotiation(page, view),
    }
    data.update(overrides)
    return render(page, "review/product.html", status_code=status_code, **data)


def _step_index(state: str) -> int:
    codes = [code for code, _ in STEPS]
    if state == State.DELISTED:
        return len(codes) - 1
    return codes.index(state) if state in codes else -1


@router.get("/products/{product_id}", response_class=HTMLResponse)
def product_page(product_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    return _product_page(page, product_id)


# --- actions ------------------------------------------------------------------------------------


def _url(product_id: str) -> str:
    return f"/products/{product_id}"


def _act(
    page: Page,
    product_id: str,
    change: Callable[[], object],
    notice: str,
    *,
    again: dict[str, Any] | None = None,
) -> Response:
    """Run one use case, commit and go back to the product page with a notice; on a refusal,
    go back with the reason (or show the page again with the typed values kept)."""
    try:
        change()
        page.ctx.session.commit()
    except NotFound as exc:
        page.ctx.session.rollback()
        if exc.field in (None, "product_id"):
            raise  # the product is not there (or not the viewer's): the 404 page
        return redirect(_url(product_id), error=error_message(exc))
    except (ChuhaiError, StaleDataError) as exc:
        page.ctx.session.rollback()
        error = (
            error_message(exc)
            if isinstance(exc, ChuhaiError)
            else "someone else changed this product at the same time; reload and try again"
        )
        if again is not None:
            status = exc.status if isinstance(exc, ChuhaiError) else Conflict.status
            return _product_page(page, product_id, status, error=error, form=again)
        return redirect(_url(product_id), error=error)
    return redirect(_url(product_id), notice=notice)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.post("/products/{product_id}/actions/start-compliance-review")
def start_compliance_review(product_id: str, page: Page = Depends(form_page)) -> Response:
    return _act(
        page,
        product_id,
        lambda: listing.start_compliance_review(page.ctx, product_id),
        "Compliance review started; the findings are below.",
    )


@router.post("/products/{product_id}/actions/rerun-compliance")
def rerun_compliance(product_id: str, page: Page = Depends(form_page)) -> Response:
    return _act(
        page,
        product_id,
        lambda: listing.rerun_compliance(page.ctx, product_id),
        "Compliance checks run again.",
    )


@router.post("/products/{product_id}/actions/pass-compliance")
def pass_compliance(
    product_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _act(
        page,
        product_id,
        lambda: listing.pass_compliance(page.ctx, product_id, _text(form, "note")),
        "Compliance passed; the product is in IP review.",
    )


@router.post("/products/{product_id}/actions/pass-ip")
def pass_ip(
    product_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _act(
        page,
        product_id,
        lambda: listing.pass_ip(page.ctx, product_id, _text(form, "note")),
        "IP review cleared; the supply price is up for negotiation.",
        again={"ip_note": _text(form, "note")},
    )


@router.post("/products/{product_id}/actions/reject")
def reject(
    product_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _act(
        page,
        product_id,
        lambda: listing.reject(page.ctx, product_id, _text(form, "reason")),
        "Product rejected; the supplier sees the reason.",
    )


@router.post("/products/{product_id}/actions/withdraw")
def withdraw(
    product_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _act(
        page,
        product_id,
        lambda: listing.withdraw(page.ctx, product_id, _text(form, "reason")),
        "Product withdrawn from review.",
    )


def _prices(form: FormData) -> dict[str, str]:
    return {
        key.removeprefix("price_"): value.strip()
        for key, value in form.multi_items()
        if key.startswith("price_") and isinstance(value, str)
    }


@router.post("/products/{product_id}/actions/offer")
def make_offer(
    product_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    prices = _prices(form)
    return _act(
        page,
        product_id,
        lambda: listing.make_offer(page.ctx, product_id, prices, _text(form, "note")),
        "Offer sent; waiting for the other side's answer.",
        again={"prices": prices, "offer_note": _text(form, "note")},
    )


@router.post("/products/{product_id}/actions/accept")
def accept_offer(
    product_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _act(
        page,
        product_id,
        lambda: listing.accept_offer(page.ctx, product_id, _text(form, "note")),
        "Price agreed; a sample has been requested for QC.",
    )


@router.post("/products/{product_id}/actions/decline")
def decline_offer(
    product_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _act(
        page,
        product_id,
        lambda: listing.decline_offer(page.ctx, product_id, _text(form, "reason")),
        "Negotiation ended without agreement.",
    )


@router.post("/products/{product_id}/actions/sample")
def update_sample(
    product_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    raw = _text(form, "quantity").strip()

    def change() -> object:
        try:
            quantity = int(raw)
        except ValueError:
            raise ValidationFailed.one("quantity", "a whole number of samples") from None
        return listing.update_sample_request(
            page.ctx, product_id, quantity=quantity, ship_to=_text(form, "ship_to")
        )

    return _act(
        page,
        product_id,
        change,
        "Sample request updated.",
        again={"quantity": raw, "ship_to": _text(form, "ship_to")},
    )


@router.post("/products/{product_id}/actions/receive-sample")
def receive_sample(product_id: str, page: Page = Depends(form_page)) -> Response:
    return _act(
        page,
        product_id,
        lambda: listing.receive_sample(page.ctx, product_id),
        "Sample receipt recorded; record the checks next.",
    )


@router.post("/products/{product_id}/actions/checks")
def record_check(
    product_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    photos = [
        (upload.filename or "photo", upload.file.read())
        for upload in form.getlist("photos")
        if isinstance(upload, UploadFile) and upload.filename
    ]
    photos = [(name, content) for name, content in photos if content]
    passed = _text(form, "passed")
    name = _text(form, "name")
    return _act(
        page,
        product_id,
        lambda: listing.record_check(
            page.ctx,
            product_id,
            name=name,
            passed=passed == "yes",
            notes=_text(form, "notes"),
            photos=photos,
        ),
        f"Check {name.strip()!r} recorded.",
        again={"check_name": name, "check_passed": passed, "check_notes": _text(form, "notes")},
    )


@router.post("/products/{product_id}/actions/pass-qc")
def pass_qc(
    product_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _act(
        page,
        product_id,
        lambda: listing.pass_qc(page.ctx, product_id, _text(form, "note")),
        "Sample QC passed; the product is approved for listing.",
    )


@router.post("/products/{product_id}/actions/fail-qc")
def fail_qc(
    product_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _act(
        page,
        product_id,
        lambda: listing.fail_qc(page.ctx, product_id, _text(form, "reason")),
        "Sample QC failed; the product is rejected.",
    )


def _codes(form: FormData) -> list[str]:
    return [v for v in form.getlist("markets") if isinstance(v, str) and v]


@router.post("/products/{product_id}/actions/list")
def list_in_markets(
    product_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    codes = _codes(form)
    return _act(
        page,
        product_id,
        lambda: listing.list_in_markets(page.ctx, product_id, codes, _text(form, "note")),
        f"Listed in {', '.join(codes)}.",
    )


@router.post("/products/{product_id}/actions/delist")
def delist(
    product_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    codes = _codes(form)
    return _act(
        page,
        product_id,
        lambda: listing.delist(page.ctx, product_id, _text(form, "reason"), codes or None),
        f"Delisted from {', '.join(codes)}." if codes else "Delisted from every market.",
    )


@router.post("/products/{product_id}/actions/confirm-hs")
def confirm_hs_code(
    product_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    """Confirm a SKU's HS subheading: the one picked among the suggestions, or another typed in."""
    sku_id = _text(form, "sku_id")
    other = _text(form, "other_code").strip()
    code = other or _text(form, "code")
    note = _text(form, "note")

    def change() -> object:
        sku = catalog.visible_sku(page.ctx, sku_id)
        if sku.product_id != product_id:
            raise NotFound("no such SKU on this product", field="sku_id")
        return hs_service.confirm_hs_code(page.ctx, sku_id, code, note)

    return _act(
        page,
        product_id,
        change,
        "HS code confirmed; later suggestions learn from it.",
        again={"hs_sku": sku_id, "hs_other_code": other, "hs_note": note},
    )
