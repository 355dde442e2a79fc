"""Shipments and carriers over HTTP: shipments (list, one, its label as PDF, its tracking
events), the carriers' signed tracking webhook, and the sandbox carrier's push.

Shipments are created by the orders capability when an order ships (POST
/orders/{order_id}/ship), so there is no create route here. The webhook is public but
signed (see `chuhai.fulfillment.webhooks`): it answers 401 with
`WWW-Authenticate: HMAC-SHA256` to a delivery without a valid, fresh signature; it needs no
Idempotency-Key, since each event carries the carrier's own id and a repeat changes nothing.
Two deliveries that move the same shipment at the same moment: one answers 409, and the
carrier's retry (every carrier retries a non-2xx) applies it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from chuhai.api.deps import api_context, public_context
from chuhai.api.errors import problem_response
from chuhai.api.schemas import PageOut, Strict
from chuhai.core.context import Context
from chuhai.core.errors import Unauthorized, ValidationFailed
from chuhai.fulfillment import service, webhooks
from chuhai.fulfillment.carriers import carrier_book
from chuhai.fulfillment.model import EVENT_STATUSES

router = APIRouter(tags=["shipments"])
BASE = "/api/v1/shipments"


# --- response shapes ----------------------------------------------------------------------------


class ShipmentLineOut(BaseModel):
    sku_id: str
    quantity: int


class ShipmentOut(BaseModel):
    id: str
    order_id: str
    warehouse_id: str
    carrier: str
    carrier_name: str
    service: str
    service_name: str
    tracking_number: str
    state: str
    ship_to: dict[str, str]
    lines: list[ShipmentLineOut]
    weight_g: int
    label_url: str
    events_url: str
    last_event_at: datetime | None
    delivered_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    event_id: str
    status: str
    occurred_at: datetime
    location: str
    description: str
    applied: bool = Field(description="false: stored, but too late to move the shipment")
    received_at: datetime


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    from_state: str | None
    to_state: str
    actor_id: str
    actor_name: str
    reason: str
    at: datetime


class ShipmentDetailOut(ShipmentOut):
    transit_days: int | None
    customs: bool = Field(description="whether the route clears import customs")
    events: list[EventOut]
    history: list[HistoryOut]


class EventResultOut(BaseModel):
    event_id: str
    tracking_number: str
    outcome: str = Field(description="applied | stored | duplicate | rejected")
    state: str | None = Field(description="the shipment's state afterwards")
    reason: str
    field: str | None = None


class DeliveryOut(BaseModel):
    received: int
    applied: int
    stored: int
    duplicates: int
    rejected: int
    results: list[EventResultOut]


class PushIn(Strict):
    until: datetime | None = Field(
        None, description="deliver the events due by this moment (default: now); with offset"
    )


class PushOut(BaseModel):
    until: datetime
    shipments: int
    sent: int
    deliveries: int
    outcomes: dict[str, int]


def shipment_out(row: Any) -> ShipmentOut:
    service_info = carrier_book().service(row.carrier, row.service)
    return ShipmentOut(
        id=row.id,
        order_id=row.order_id,
        warehouse_id=row.warehouse_id,
        carrier=row.carrier,
        carrier_name=service_info.carrier_name,
        service=row.service,
        service_name=service_info.name,
        tracking_number=row.tracking_number,
        state=row.state,
        ship_to=row.ship_to,
        lines=[ShipmentLineOut(**line) for line in row.lines],
        weight_g=sum(int(p["weight_g"]) for p in row.parcels),
        label_url=f"{BASE}/{row.id}/label",
        events_url=f"{BASE}/{row.id}/events",
        last_event_at=row.last_event_at,
        delivered_at=row.delivered_at,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


# --- shipments ----------------------------------------------------------------------------------


@router.get("/shipments", response_model=PageOut[ShipmentOut])
def list_shipments(
    state: str | None = None,
    order_id: str | None = None,
    carrier: str | None = None,
    search: str | None = Query(None, description="a tracking number or order id, or part of it"),
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> PageOut[ShipmentOut]:
    page = service.list_shipments(
        ctx,
        state=state,
        order_id=order_id,
        carrier=carrier,
        search=search,
        limit=limit,
        offset=offset,
    )
    return PageOut(
        items=[shipment_out(r) for r in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/shipments/{shipment_id}", response_model=ShipmentDetailOut)
def get_shipment(shipment_id: str, ctx: Context = Depends(api_context)) -> ShipmentDetailOut:
    view = service.shipment_view(ctx, shipment_id)
    return ShipmentDetailOut(
        **shipment_out(view.row).model_dump(),
        transit_days=view.transit_days,
        customs=view.customs,
        events=[EventOut.model_validate(e) for e in view.events],
        history=[HistoryOut.model_validate(h) for h in view.history],
    )


@router.get(
    "/shipments/{shipment_id}/label",
    responses={200: {"content": {"application/pdf": {}}}},
    response_class=Response,
)
def shipment_label(shipment_id: str, ctx: Context = Depends(api_context)) -> Response:
    """The shipping label (4 × 6 inch PDF) with the tracking number as a Code 39 barcode."""
    filename, content = service.label_pdf(ctx, shipment_id)
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get("/shipments/{shipment_id}/events", response_model=list[EventOut])
def shipment_events(shipment_id: str, ctx: Context = Depends(api_context)) -> list[EventOut]:
    """The carrier's events as received, by when they happened; `applied` false for those
    that came too late to move the shipment."""
    return [EventOut.model_validate(e) for e in service.events_of(ctx, shipment_id)]


# --- carriers -----------------------------------------------------------------------------------

_EVENT_SCHEMA: dict[str, Any] = {
    "type": "array",
    "maxItems": webhooks.MAX_EVENTS,
    "items": {
        "type": "object",
        "required": ["event_id", "tracking_number", "status", "occurred_at"],
        "additionalProperties": False,
        "properties": {
            "event_id": {"type": "string"},
            "tracking_number": {"type": "string"},
            "status": {"type": "string", "enum": list(EVENT_STATUSES)},
            "occurred_at": {"type": "string", "format": "date-time"},
            "location": {"type": "string"},
            "description": {"type": "string"},
        },
    },
}


async def _raw_body(request: Request) -> bytes:
    """The body exactly as sent: the signature covers these bytes. A body announced as
    larger than a delivery may be is refused before it is read."""
    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > webhooks.MAX_BODY_BYTES:
        raise ValidationFailed.one(
            "body", f"at most {webhooks.MAX_BODY_BYTES:,} bytes per delivery"
        )
    return await request.body()


SIGNATURE_CHALLENGE = 'HMAC-SHA256 realm="carrier-webhooks"'


@router.post(
    "/carriers/{carrier}/events",
    response_model=DeliveryOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _EVENT_SCHEMA}},
        }
    },
    responses={401: {"description": "missing, wrong or stale signature"}},
)
def carrier_events(
    carrier: str,
    request: Request,
    body: bytes = Depends(_raw_body),
    x_carrier_timestamp: str | None = Header(None, description="Unix seconds when signed"),
    x_carrier_signature: str | None = Header(
        None, description='"sha256=" + hex HMAC-SHA256 of "<timestamp>.<body>"'
    ),
    ctx: Context = Depends(public_context),
) -> Response:
    """A carrier's tracking events, signed. Each event gets an outcome: applied, stored
    (too late to move the shipment), duplicate, or rejected (unknown tracking number); 422
    only when every event is rejected or the body is malformed."""
    try:
        batch = webhooks.receive(ctx, carrier, x_carrier_timestamp, x_carrier_signature, body)
    except Unauthorized as error:
        answer = problem_response(error, request)
        answer.headers["WWW-Authenticate"] = SIGNATURE_CHALLENGE
        return answer
    ctx.session.commit()
    return JSONResponse(webhooks.batch_json(batch))


@router.post("/carriers/sandbox/push", response_model=PushOut)
def sandbox_push(body: PushIn | None = None, ctx: Context = Depends(api_context)) -> PushOut:
    """Advance the sandbox carrier: deliver every event due by `until` (default now) for
    the open shipments, through the signed webhook path."""
    ctx.actor.require("shipments.manage")
    until = body.until if body else None
    if until is not None and until.tzinfo is None:
        raise ValidationFailed.one("until", "give the time's offset (Z for UTC)")
    report = webhooks.push_sandbox_events(ctx, until)
    ctx.session.commit()
    return PushOut(
        until=report.until,
        shipments=report.shipments,
        sent=report.sent,
        deliveries=report.deliveries,
        outcomes=dict(report.outcomes),
    )
