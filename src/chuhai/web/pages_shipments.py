"""Console pages for shipments: the list (by state, searchable by tracking number or order)
and one shipment (where from and to, what is in it, the carrier's tracking timeline, the
history of its states, its label). Logistics staff can let the sandbox carrier report what
has happened up to a moment (the same signed path the carriers' webhook takes).
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from chuhai.core.errors import ChuhaiError, ValidationFailed
from chuhai.fulfillment import service, webhooks
from chuhai.fulfillment.model import STATES
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render
from chuhai.web.pages_review import submitted_form

router = APIRouter(include_in_schema=False)

STATE_BADGE = {
    "label_created": "draft",
    "in_transit": "submitted",
    "customs": "pending",
    "out_for_delivery": "submitted",
    "delivered": "passed",
    "exception": "rejected",
}
NEXT_STEP = {
    "label_created": "Label bought: waiting for the carrier to collect the parcel.",
    "in_transit": "On its way with the carrier.",
    "customs": "With import customs in the destination country.",
    "out_for_delivery": "On the van: delivery expected today.",
    "delivered": "Delivered.",
    "exception": "The carrier reported a problem; it usually tries again the next day.",
}


def _list_url(state: str | None, q: str | None = None) -> str:
    query = urlencode({k: v for k, v in (("state", state), ("q", q)) if v})
    return "/shipments" + (f"?{query}" if query else "")


@router.get("/shipments", response_class=HTMLResponse)
def shipments(
    state: str | None = None,
    q: str | None = None,
    offset: int = 0,
    page: Page = Depends(page_context),
) -> HTMLResponse:
    chosen = state if state in STATES else None
    found = service.list_shipments(
        page.ctx, state=chosen, search=q, limit=50, offset=max(offset, 0)
    )
    query = urlencode({k: v for k, v in (("state", chosen), ("q", q)) if v})
    return render(
        page,
        "shipments/list.html",
        found=found,
        shipments=found.items,
        states=STATES,
        counts=service.state_counts(page.ctx),
        chosen_state=chosen,
        q=q or "",
        query=f"{query}&" if query else "",
        list_url=_list_url,
        badge=STATE_BADGE,
        can_push=page.actor.can("shipments.manage"),
        now=page.ctx.now(),
    )


@router.get("/shipments/{shipment_id}", response_class=HTMLResponse)
def shipment_page(shipment_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    view = service.shipment_view(page.ctx, shipment_id)
    return render(
        page,
        "shipments/shipment.html",
        view=view,
        row=view.row,
        badge=STATE_BADGE,
        next_step=NEXT_STEP.get(view.row.state, ""),
        weight_g=sum(int(p["weight_g"]) for p in view.row.parcels),
    )


@router.get("/shipments/{shipment_id}/label")
def label(shipment_id: str, page: Page = Depends(page_context)) -> Response:
    filename, content = service.label_pdf(page.ctx, shipment_id)
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


def _moment(text: str) -> datetime | None:
    """A datetime-local field's value (the operator's UTC, as the console shows times)."""
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed.one("until", f"{text!r} is not a date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.post("/shipments/sandbox-push")
def sandbox_push(
    page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    until = form.get("until")
    try:
        page.ctx.actor.require("shipments.manage")
        report = webhooks.push_sandbox_events(
            page.ctx, _moment(until if isinstance(until, str) else "")
        )
        page.ctx.session.commit()
    except ChuhaiError as exc:
        page.ctx.session.rollback()
        return redirect("/shipments", error=error_message(exc))
    return redirect("/shipments", notice=f"The sandbox carrier {report.describe()}.")
