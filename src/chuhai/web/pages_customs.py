"""Console pages for export declarations: the list (filtered by mode and state), a
declaration's page (lines, three-document matching, the authority's answers, the rebate
estimate, the history, the documents to download) with the actions its state allows, and
the 9610 consolidation of a month's cleared parcels.

Actions are POST forms that call one use case of `customs.declaration_service`, commit, and
redirect back with a notice (POST, redirect, GET); a refusal comes back as the error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm.exc import StaleDataError
from starlette.datastructures import FormData

from chuhai.core.errors import ChuhaiError, NotFound
from chuhai.customs import declaration_service as customs
from chuhai.customs.declarations import ALL_STATES, MODES, TRANSPORT_MODES, UNITS, period_of
from chuhai.customs.documents import DOCUMENT_KINDS
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render
from chuhai.web.pages_review import submitted_form

router = APIRouter(include_in_schema=False)

# how each state is shown (the console's badge colours)
STATE_BADGE = {
    "draft": "draft",
    "submitted": "submitted",
    "cleared": "passed",
    "held": "pending",
    "rejected": "rejected",
    "cancelled": "",
}
ACTION_LABELS = {
    "create": "Created",
    "edit": "Edited",
    "submit": "Submitted to customs",
    "resubmit": "Resubmitted after the hold",
    "clear": "Cleared by customs",
    "hold": "Held for inspection",
    "reject": "Rejected by customs",
    "revise": "Taken back to draft to correct",
    "cancel": "Cancelled",
}
NEXT_STEP = {
    "draft": "A customs broker checks it and submits it to customs.",
    "submitted": "Waiting for the customs authority's answer.",
    "cleared": "Cleared: the goods may leave.",
    "held": "Held for inspection: answer the hold and resubmit, or cancel.",
    "rejected": "Rejected: take it back to draft, correct it and submit again, or cancel.",
    "cancelled": "Withdrawn.",
}


def _list_url(mode: str | None, state: str | None) -> str:
    query = urlencode({k: v for k, v in (("mode", mode), ("state", state)) if v})
    return "/customs/declarations" + (f"?{query}" if query else "")


@router.get("/customs/declarations", response_class=HTMLResponse)
def declarations(
    mode: str | None = None,
    state: str | None = None,
    q: str | None = None,
    offset: int = 0,
    page: Page = Depends(page_context),
) -> HTMLResponse:
    chosen_mode = mode if mode in MODES else None
    chosen_state = state if state in ALL_STATES else None
    found = customs.list_declarations(
        page.ctx, mode=chosen_mode, state=chosen_state, search=q, limit=50, offset=max(offset, 0)
    )
    query = urlencode(
        {k: v for k, v in (("mode", chosen_mode), ("state", chosen_state), ("q", q)) if v}
    )
    return render(
        page,
        "customs/declarations.html",
        found=found,
        declarations=found.items,
        modes=MODES,
        states=ALL_STATES,
        counts=customs.state_counts(page.ctx, chosen_mode),
        chosen_mode=chosen_mode,
        chosen_state=chosen_state,
        q=q or "",
        query=f"{query}&" if query else "",
        list_url=_list_url,
        badge=STATE_BADGE,
        can_declare=page.actor.can("customs.declare"),
    )


@router.get("/customs/declarations/{declaration_id}", response_class=HTMLResponse)
def declaration_page(declaration_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    view = customs.declaration_view(page.ctx, declaration_id)
    return render(
        page,
        "customs/declaration.html",
        view=view,
        row=view.row,
        mode=MODES[view.row.mode],
        badge=STATE_BADGE,
        action_labels=ACTION_LABELS,
        next_step=NEXT_STEP.get(view.row.state, ""),
        transport_codes=TRANSPORT_MODES,
        units=UNITS,
        document_kinds=DOCUMENT_KINDS,
    )


@router.get("/customs/declarations/{declaration_id}/documents/{name}")
def document(declaration_id: str, name: str, page: Page = Depends(page_context)) -> Response:
    kind, _, ext = name.rpartition(".")
    if kind not in DOCUMENT_KINDS or ext not in ("json", "pdf"):
        raise NotFound(f"no document {name!r}", field="name")
    if ext == "pdf":
        filename, content = customs.document_pdf(page.ctx, declaration_id, kind)
        return Response(
            content,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    body = customs.document_json(page.ctx, declaration_id, kind)
    number = body["invoice_no"] if kind == "commercial-invoice" else body["packing_list_no"]
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{number}.json"'},
    )


# --- actions ------------------------------------------------------------------------------------


def _act(
    page: Page, declaration_id: str, change: Callable[[], object], notice: str | Callable[[], str]
) -> Response:
    url = f"/customs/declarations/{declaration_id}"
    try:
        change()
        page.ctx.session.commit()
    except NotFound as exc:
        page.ctx.session.rollback()
        if exc.field in (None, "declaration_id"):
            raise
        return redirect(url, error=error_message(exc))
    except (ChuhaiError, StaleDataError) as exc:
        page.ctx.session.rollback()
        message = (
            error_message(exc)
            if isinstance(exc, ChuhaiError)
            else "someone else changed this declaration at the same time; reload and try again"
        )
        return redirect(url, error=message)
    return redirect(url, notice=notice if isinstance(notice, str) else notice())


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _outcome_notice(page: Page, declaration_id: str) -> str:
    row = customs.visible_declaration(page.ctx, declaration_id)
    return {
        "cleared": f"Cleared by customs ({row.authority_reference}).",
        "held": "Held for inspection: see the authority's reasons below.",
        "rejected": "Rejected by customs: see the reasons below.",
    }.get(row.state, f"The declaration is {row.state}.")


@router.post("/customs/declarations/{declaration_id}/actions/submit")
def submit(
    declaration_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _act(
        page,
        declaration_id,
        lambda: customs.submit(page.ctx, declaration_id, _text(form, "note")),
        lambda: _outcome_notice(page, declaration_id),
    )


@router.post("/customs/declarations/{declaration_id}/actions/resubmit")
def resubmit(
    declaration_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _act(
        page,
        declaration_id,
        lambda: customs.resubmit(page.ctx, declaration_id, _text(form, "response")),
        lambda: _outcome_notice(page, declaration_id),
    )


@router.post("/customs/declarations/{declaration_id}/actions/revise")
def revise(
    declaration_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _act(
        page,
        declaration_id,
        lambda: customs.revise(page.ctx, declaration_id, _text(form, "note")),
        "Back to draft: correct it through the API or the CLI, then submit again.",
    )


@router.post("/customs/declarations/{declaration_id}/actions/cancel")
def cancel(
    declaration_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _act(
        page,
        declaration_id,
        lambda: customs.cancel(page.ctx, declaration_id, _text(form, "reason")),
        "Declaration cancelled.",
    )


# --- 9610 consolidation -------------------------------------------------------------------------


@router.get("/customs/consolidate", response_class=HTMLResponse)
def consolidate_form(period: str | None = None, page: Page = Depends(page_context)) -> HTMLResponse:
    parcels = customs.eligible_parcels(page.ctx, period or None)
    periods = sorted({p.period for p in customs.eligible_parcels(page.ctx) if p.period})
    return render(
        page,
        "customs/consolidate.html",
        parcels=parcels,
        periods=periods,
        chosen=period or "",
        current=period_of(page.ctx.now()),
        can_declare=page.actor.can("customs.declare"),
    )


@router.post("/customs/consolidate")
def consolidate(
    page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    period = _text(form, "period")
    ids = [v for v in form.getlist("parcel_ids") if isinstance(v, str) and v]
    try:
        row = customs.consolidate(page.ctx, period=period, parcel_ids=ids)
        page.ctx.session.commit()
    except ChuhaiError as exc:
        page.ctx.session.rollback()
        back = "/customs/consolidate" + (f"?{urlencode({'period': period})}" if period else "")
        return redirect(back, error=error_message(exc))
    return redirect(
        f"/customs/declarations/{row.id}",
        notice=f"Consolidated {len(ids)} parcel(s) of {period} into {row.number}.",
    )
