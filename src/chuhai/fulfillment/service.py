"""Use cases of shipments: create one (pick the carrier and service by rule, buy the label),
read them, and apply the carrier's tracking events.

A shipment is created by logistics staff (`shipments.manage`), usually through the orders
capability when an order ships: the route rule (data/fulfillment/carriers.json) picks the
carrier and service from the warehouse's country, the destination and the weight; the
carrier issues the tracking number and the label (a PDF kept with core/files). Every change
of state is stored in `shipment_history` with who, when and why, and announced as the
event "shipment.status_changed" (shipment_id, order_id, status, at) in the same
transaction, label_created included; the orders capability listens for "delivered". A new
shipment is also announced as "shipment.created" with what it costs in CNY (the carrier's
charge and the warehouse's handling, see `fulfillment.costs`), which the ledger books.

Tracking events come from the carrier (signed webhooks, see `fulfillment.webhooks`) and are
applied by `apply_carrier_events`: each event id is stored once per carrier, and the rule
in `fulfillment.model.decide` moves the shipment only forward.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from chuhai.catalog import service as catalog
from chuhai.core import events
from chuhai.core import files as stored_files
from chuhai.core.context import Context
from chuhai.core.errors import FieldError, NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.money import Money
from chuhai.core.pagination import Page, paginate
from chuhai.fulfillment import carriers, costs
from chuhai.fulfillment.model import (
    EVENT_STATES,
    FINAL_STATES,
    OPEN_STATES,
    PROGRESS,
    STATES,
    Batch,
    EventResult,
    Origin,
    Shipment,
    State,
    TrackingEvent,
    clean_ship_to,
    decide,
    ship_to_errors,
)
from chuhai.fulfillment.tables import ShipmentHistoryRow, ShipmentRow, TrackingEventRow
from chuhai.inventory import warehouses

if TYPE_CHECKING:
    from chuhai.fulfillment.webhooks import PushReport

STATUS_CHANGED = "shipment.status_changed"
CREATED = "shipment.created"  # with its carrier and handling costs in CNY, for the ledger
MAX_LINES = 200
MAX_UNITS_PER_LINE = 100_000
MAX_WEIGHT_G = 70_000  # no parcel service takes more; the route's service may take less


# --- creating -----------------------------------------------------------------------------------


def create_shipment(
    ctx: Context,
    *,
    order_id: str,
    warehouse_id: str,
    ship_to: dict[str, Any],
    lines: Sequence[tuple[str, int]],
    weight_g: int,
) -> ShipmentRow:
    """One parcel from a warehouse to an address, on the carrier and service the route rule
    picks, with its label bought. Refuses (422, every field named, nothing written) an
    unknown warehouse or SKU, an address missing a line, a weight no service takes, or a
    destination no route reaches from that warehouse."""
    ctx.actor.require("shipments.manage")
    origin = _checked_request(ctx, order_id, warehouse_id, ship_to, lines, weight_g)
    address = clean_ship_to(ship_to)
    book = carriers.carrier_book()
    route = book.route_for(origin.country_code, address["country_code"], weight_g)
    if route is None:
        raise _no_route(book, origin, address["country_code"], weight_g)
    codes = catalog.sku_codes(ctx.session, [sku_id for sku_id, _ in lines])
    warehouse = warehouses.get_warehouse(ctx, origin.warehouse_id)
    # before the label is bought: a cost the books cannot take refuses the shipment
    carrier_cost, handling_cost = costs.shipment_costs(
        ctx,
        origin=origin.country_code,
        destination=address["country_code"],
        weight_g=weight_g,
        handling_per_unit=Money(warehouse.handling_cost, warehouse.handling_currency),
        units=sum(units for _, units in lines),
    )
    now = ctx.now()
    parcel = Shipment(
        id=new_id("shp"),
        carrier=route.carrier,
        service=route.service,
        origin=origin,
        ship_to=address,
        weight_g=weight_g,
        items=tuple((codes[sku_id], units) for sku_id, units in lines),
        created_at=now,
        order_ref=order_id,
    )
    carrier = carriers.carrier_for(route.carrier, lambda number: _number_taken(ctx.session, number))
    number, pdf = carrier.buy_label(parcel)
    label = stored_files.store_file(
        ctx, stored_files.CheckedFile(pdf, "application/pdf"), f"label-{number}.pdf", None
    )
    row = ShipmentRow(
        id=parcel.id,
        order_id=order_id,
        warehouse_id=origin.warehouse_id,
        carrier=route.carrier,
        service=route.service,
        tracking_number=number,
        state=State.LABEL_CREATED,
        ship_to=address,
        parcels=[{"weight_g": weight_g, "items": [[sku, units] for sku, units in lines]}],
        lines=[{"sku_id": sku_id, "quantity": units} for sku_id, units in lines],
        label_file_id=label.id,
        last_event_at=None,
        delivered_at=None,
        created_by=ctx.actor.user_id,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    service = book.service(route.carrier, route.service)
    reason = f"label bought: {service.carrier_name} {service.name}, {route.transit_days} days"
    who = (ctx.actor.user_id, ctx.actor.display_name or ctx.actor.username)
    _record(ctx, row, None, State.LABEL_CREATED, who, reason, None, now)
    events.publish(
        ctx,
        CREATED,
        shipment_id=row.id,
        order_id=order_id,
        warehouse_id=origin.warehouse_id,
        carrier=f"{route.carrier} {route.service}",
        units=sum(units for _, units in lines),
        carrier_cost=carrier_cost.as_event(),
        handling_cost=handling_cost.as_event(),
    )
    return row


def _no_route(
    book: carriers.CarrierBook, origin: Origin, destination: str, weight_g: int
) -> ValidationFailed:
    heaviest = book.heaviest_parcel(origin.country_code, destination)
    if heaviest:
        return ValidationFailed.one(
            "weight_g",
            f"{weight_g:,} g is more than any service from {origin.warehouse_id} to "
            f"{destination} takes (at most {heaviest:,} g): split it into several shipments",
        )
    return ValidationFailed.one(
        "ship_to.country_code",
        f"no carrier route from {origin.warehouse_id} ({origin.country_code}) to {destination}",
    )


def _checked_request(
    ctx: Context,
    order_id: Any,
    warehouse_id: Any,
    ship_to: Any,
    lines: Any,
    weight_g: Any,
) -> Origin:
    errors: list[FieldError] = []
    if not isinstance(order_id, str) or not order_id.strip():
        errors.append(FieldError("order_id", "required"))
    elif len(order_id) > 40:
        errors.append(FieldError("order_id", "at most 40 characters"))
    origin = _origin(ctx, warehouse_id, errors)
    errors += ship_to_errors(ship_to)
    errors += _line_errors(ctx.session, lines)
    if isinstance(weight_g, bool) or not isinstance(weight_g, int):
        errors.append(FieldError("weight_g", "a whole number of grams"))
    elif not 1 <= weight_g <= MAX_WEIGHT_G:
        errors.append(FieldError("weight_g", f"between 1 and {MAX_WEIGHT_G:,} g"))
    if errors or origin is None:
        raise ValidationFailed(errors)
    return origin


def _origin(ctx: Context, warehouse_id: Any, errors: list[FieldError]) -> Origin | None:
    if not isinstance(warehouse_id, str) or not warehouse_id.strip():
        errors.append(FieldError("warehouse_id", "required"))
        return None
    try:
        warehouse = warehouses.get_warehouse(ctx, warehouse_id)
    except NotFound:
        errors.append(FieldError("warehouse_id", f"no warehouse {warehouse_id!r}"))
        return None
    if not warehouse.active:
        errors.append(FieldError("warehouse_id", f"warehouse {warehouse_id} is not active"))
        return None
    return Origin(warehouse.id, warehouse.name, warehouse.city, warehouse.country_code)


def _line_errors(session: Session, lines: Any) -> list[FieldError]:
    if not isinstance(lines, list | tuple) or not lines:
        return [FieldError("lines", "at least one line: (sku_id, quantity)")]
    if len(lines) > MAX_LINES:
        return [FieldError("lines", f"at most {MAX_LINES} lines in one parcel")]
    errors: list[FieldError] = []
    wellformed = [line for line in lines if isinstance(line, list | tuple) and len(line) == 2]
    known = catalog.sku_codes(session, [str(line[0]) for line in wellformed])
    seen: set[str] = set()
    for i, line in enumerate(lines):
        if not isinstance(line, list | tuple) or len(line) != 2:
            errors.append(FieldError(f"lines[{i}]", "a pair: (sku_id, quantity)"))
            continue
        sku_id, units = line
        if sku_id not in known:
            errors.append(FieldError(f"lines[{i}].sku_id", f"no SKU {sku_id!r}"))
        elif sku_id in seen:
            errors.append(FieldError(f"lines[{i}].sku_id", "the SKU is on an earlier line"))
        seen.add(sku_id)
        if isinstance(units, bool) or not isinstance(units, int):
            errors.append(FieldError(f"lines[{i}].quantity", "a whole number of units"))
        elif not 1 <= units <= MAX_UNITS_PER_LINE:
            errors.append(
                FieldError(f"lines[{i}].quantity", f"between 1 and {MAX_UNITS_PER_LINE:,}")
            )
    return errors


def _number_taken(session: Session, number: str) -> bool:
    query = select(ShipmentRow.id).where(ShipmentRow.tracking_number == number)
    return session.scalar(query) is not None


# --- reading ------------------------------------------------------------------------------------


def shipments_of_order(session: Session, order_id: str) -> list[ShipmentRow]:
    """The shipments of an order, oldest first (the orders capability has checked who asks)."""
    query = (
        select(ShipmentRow)
        .where(ShipmentRow.order_id == order_id)
        .order_by(ShipmentRow.created_at, ShipmentRow.id)
    )
    return list(session.scalars(query))


def visible_shipment(ctx: Context, shipment_id: str) -> ShipmentRow:
    ctx.actor.require("shipments.read")
    row = ctx.session.get(ShipmentRow, shipment_id)
    if row is None:
        raise NotFound("no such shipment", field="shipment_id")
    return row


def list_shipments(
    ctx: Context,
    *,
    state: str | None = None,
    order_id: str | None = None,
    carrier: str | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[ShipmentRow]:
    """Shipments, newest first, filtered by state, order, carrier or a tracking number."""
    ctx.actor.require("shipments.read")
    if state and state not in STATES:
        raise ValidationFailed.one("state", f"one of {', '.join(STATES)}")
    if carrier and not carriers.is_known_carrier(carrier):
        known = ", ".join(sorted(carriers.carrier_book().carriers))
        raise ValidationFailed.one("carrier", f"one of {known}")
    query = select(ShipmentRow).order_by(ShipmentRow.created_at.desc(), ShipmentRow.id.desc())
    if state:
        query = query.where(ShipmentRow.state == state)
    if order_id:
        query = query.where(ShipmentRow.order_id == order_id)
    if carrier:
        query = query.where(ShipmentRow.carrier == carrier)
    if search and search.strip():
        pattern = f"%{search.strip()}%"
        query = query.where(
            or_(ShipmentRow.tracking_number.ilike(pattern), ShipmentRow.order_id.ilike(pattern))
        )
    return paginate(ctx.session, query, limit, offset)


def state_counts(ctx: Context) -> dict[str, int]:
    ctx.actor.require("shipments.read")
    query = select(ShipmentRow.state, func.count()).group_by(ShipmentRow.state)
    return {state: int(count) for state, count in ctx.session.execute(query)}


def events_of(ctx: Context, shipment_id: str) -> list[TrackingEventRow]:
    """The carrier's events for a shipment as received (applied or not), by when they happened."""
    row = visible_shipment(ctx, shipment_id)
    query = (
        select(TrackingEventRow)
        .where(TrackingEventRow.shipment_id == row.id)
        .order_by(TrackingEventRow.occurred_at, TrackingEventRow.event_id)
    )
    return list(ctx.session.scalars(query))


def history_of(ctx: Context, shipment_id: str) -> list[ShipmentHistoryRow]:
    row = visible_shipment(ctx, shipment_id)
    query = (
        select(ShipmentHistoryRow)
        .where(ShipmentHistoryRow.shipment_id == row.id)
        .order_by(ShipmentHistoryRow.at, ShipmentHistoryRow.id)
    )
    return list(ctx.session.scalars(query))


def label_pdf(ctx: Context, shipment_id: str) -> tuple[str, bytes]:
    """The label as bought: its file name and bytes."""
    row = visible_shipment(ctx, shipment_id)
    stored = stored_files.file_row(ctx.session, row.label_file_id or "")
    if stored is None:
        raise NotFound("this shipment has no label", field="shipment_id")
    return f"label-{row.tracking_number}.pdf", stored_files.file_content(
        ctx.settings.files_dir, stored
    )


@dataclass(frozen=True)
class ShipmentView:
    row: ShipmentRow
    carrier_name: str
    service_name: str
    transit_days: int | None
    customs: bool
    events: list[TrackingEventRow]
    history: list[ShipmentHistoryRow]
    sku_codes: dict[str, str] = field(default_factory=dict)


def shipment_view(ctx: Context, shipment_id: str) -> ShipmentView:
    row = visible_shipment(ctx, shipment_id)
    book = carriers.carrier_book()
    service = book.service(row.carrier, row.service)
    route = book.route_of(carrier_shipment(ctx, row))
    return ShipmentView(
        row=row,
        carrier_name=service.carrier_name,
        service_name=service.name,
        transit_days=route.transit_days if route else None,
        customs=route.customs if route else False,
        events=events_of(ctx, row.id),
        history=history_of(ctx, row.id),
        sku_codes=catalog.sku_codes(ctx.session, [line["sku_id"] for line in row.lines]),
    )


def carrier_shipment(ctx: Context, row: ShipmentRow) -> Shipment:
    """The shipment as its carrier sees it."""
    warehouse = warehouses.get_warehouse(ctx, row.warehouse_id)
    codes = catalog.sku_codes(ctx.session, [line["sku_id"] for line in row.lines])
    return Shipment(
        id=row.id,
        carrier=row.carrier,
        service=row.service,
        origin=Origin(warehouse.id, warehouse.name, warehouse.city, warehouse.country_code),
        ship_to=dict(row.ship_to),
        weight_g=sum(int(p["weight_g"]) for p in row.parcels),
        items=tuple(
            (codes.get(line["sku_id"], line["sku_id"]), int(line["quantity"])) for line in row.lines
        ),
        created_at=row.created_at,
        order_ref=row.order_id,
        tracking_number=row.tracking_number,
    )


def open_shipments(session: Session, carrier: str | None = None) -> list[ShipmentRow]:
    """Shipments a carrier still has events for (not delivered), oldest first."""
    query = (
        select(ShipmentRow)
        .where(ShipmentRow.state.in_(OPEN_STATES))
        .order_by(ShipmentRow.created_at, ShipmentRow.id)
    )
    if carrier:
        query = query.where(ShipmentRow.carrier == carrier)
    return list(session.scalars(query))


def has_open_shipments(session: Session) -> bool:
    query = select(ShipmentRow.id).where(ShipmentRow.state.in_(OPEN_STATES)).limit(1)
    return session.scalar(query) is not None


def received_event_ids(session: Session, shipment_id: str) -> set[str]:
    query = select(TrackingEventRow.event_id).where(TrackingEventRow.shipment_id == shipment_id)
    return set(session.scalars(query))


# --- applying the carrier's events --------------------------------------------------------------


def apply_carrier_events(ctx: Context, carrier: str, batch: Sequence[TrackingEvent]) -> Batch:
    """Store and apply events the carrier sent. Only call this with events whose sender was
    verified (`fulfillment.webhooks`): the carrier's signature is their authority.

    Events are applied in the order they happened, whatever order they came in; each gets
    one result: applied (it moved or confirmed the state), stored (kept, but too late to
    change anything), duplicate (that event id was received before) or rejected (no
    shipment of this carrier has that tracking number)."""
    results: dict[int, EventResult] = {}
    order = sorted(range(len(batch)), key=lambda i: (batch[i].occurred_at, batch[i].event_id))
    for index in order:
        results[index] = _apply_one(ctx, carrier, batch[index], index)
    return Batch([results[i] for i in range(len(batch))])


def _result(event: TrackingEvent, outcome: str, state: str | None, reason: str) -> EventResult:
    return EventResult(event.event_id, event.tracking_number, outcome, state, reason)


def _apply_one(ctx: Context, carrier: str, event: TrackingEvent, index: int) -> EventResult:
    shipment = ctx.session.scalar(
        select(ShipmentRow).where(
            ShipmentRow.tracking_number == event.tracking_number, ShipmentRow.carrier == carrier
        )
    )
    if shipment is None:
        return EventResult(
            event.event_id,
            event.tracking_number,
            "rejected",
            None,
            f"no {carrier} shipment has tracking number {event.tracking_number!r}",
            f"events[{index}].tracking_number",
        )
    if _already_received(ctx.session, carrier, event.event_id):
        return _result(event, "duplicate", shipment.state, "this event was received before")
    decision = decide(
        shipment.state,
        _progress(ctx.session, shipment),
        shipment.last_event_at,
        event.status,
        event.occurred_at,
    )
    stored = _store_event(ctx, carrier, shipment, event, decision.applied)
    if stored is None:  # the same event, delivered twice at the same moment, got in first
        return _result(event, "duplicate", shipment.state, "this event was received before")
    if not decision.applied:
        return _result(event, "stored", shipment.state, decision.reason)
    shipment.last_event_at = event.occurred_at
    shipment.updated_at = ctx.now()
    if decision.new_state is not None:
        reason = f"{event.description or event.status} ({event.location})".strip()
        _record(
            ctx,
            shipment,
            shipment.state,
            decision.new_state,
            (f"carrier:{carrier}", f"{carriers.carrier_book().carriers[carrier]} (carrier)"),
            reason,
            stored.id,
            event.occurred_at,
        )
    return _result(event, "applied", shipment.state, decision.reason)


def _already_received(session: Session, carrier: str, event_id: str) -> bool:
    query = select(TrackingEventRow.id).where(
        TrackingEventRow.carrier == carrier, TrackingEventRow.event_id == event_id
    )
    return session.scalar(query) is not None


def _progress(session: Session, shipment: ShipmentRow) -> int:
    """How far the shipment got: its state's rank, or under an exception, the furthest
    state an applied event took it to."""
    if shipment.state != State.EXCEPTION:
        return PROGRESS[shipment.state]
    statuses = session.scalars(
        select(TrackingEventRow.status).where(
            TrackingEventRow.shipment_id == shipment.id, TrackingEventRow.applied.is_(True)
        )
    )
    ranks = [PROGRESS[EVENT_STATES[s]] for s in statuses if EVENT_STATES[s] in PROGRESS]
    return max(ranks, default=0)


def _store_event(
    ctx: Context, carrier: str, shipment: ShipmentRow, event: TrackingEvent, applied: bool
) -> TrackingEventRow | None:
    """Insert the event; None when a concurrent delivery of the same event id won the race
    on the unique (carrier, event_id) index."""
    values = dict(
        id=new_id("tev"),
        shipment_id=shipment.id,
        carrier=carrier,
        event_id=event.event_id,
        status=event.status,
        occurred_at=event.occurred_at,
        location=event.location,
        description=event.description,
        applied=applied,
        received_at=ctx.now(),
    )
    ctx.session.flush()
    insert = sqlite_insert if ctx.session.get_bind().dialect.name == "sqlite" else pg_insert
    statement = (
        insert(TrackingEventRow)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["carrier", "event_id"])
        .returning(TrackingEventRow.id)
    )
    if ctx.session.execute(statement).scalar() is None:
        return None
    return ctx.session.get_one(TrackingEventRow, values["id"])


def _record(
    ctx: Context,
    shipment: ShipmentRow,
    from_state: str | None,
    to_state: str,
    actor: tuple[str, str],
    reason: str,
    tracking_event_id: str | None,
    at: datetime,
) -> None:
    actor_id, actor_name = actor
    shipment.state = to_state
    if to_state in FINAL_STATES:
        shipment.delivered_at = at
    ctx.session.add(
        ShipmentHistoryRow(
            id=new_id("shh"),
            shipment_id=shipment.id,
            from_state=from_state,
            to_state=to_state,
            actor_id=actor_id,
            actor_name=actor_name,
            reason=reason[:2000],
            tracking_event_id=tracking_event_id,
            at=at,
        )
    )
    ctx.session.flush()
    events.publish(
        ctx,
        STATUS_CHANGED,
        shipment_id=shipment.id,
        order_id=shipment.order_id,
        status=to_state,
        at=at,
    )


def push_sandbox_events(ctx: Context, until: datetime | None = None) -> PushReport:
    """The sandbox carrier delivers its events due by `until` (default: now), signed,
    through the webhook path; see `fulfillment.webhooks.push_sandbox_events`. The caller
    commits."""
    from chuhai.fulfillment import webhooks  # webhooks builds on this module

    return webhooks.push_sandbox_events(ctx, until)
