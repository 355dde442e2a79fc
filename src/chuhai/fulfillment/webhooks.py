"""Tracking events over signed, replay-safe webhooks, and the sandbox carrier's push.

A carrier POSTs a JSON list of events to /api/v1/carriers/{carrier}/events:

    [{"event_id", "tracking_number", "status", "occurred_at", "location", "description"}]

with two headers: `X-Carrier-Timestamp` (Unix seconds when it signed) and
`X-Carrier-Signature: sha256=<hex>`, the HMAC-SHA256 of "<timestamp>.<body>" under the
installation's shared secret (`CHUHAI_CARRIER_WEBHOOK_SECRET`; when unset, one is
generated once and kept in <data dir>/carrier-webhook-secret so every process of the
installation agrees). A missing or wrong signature, or a timestamp more than five minutes
from our clock (a replay), is refused with 401 before the body is read as JSON.

A malformed body is a 422 naming the field, nothing stored. A well-formed batch is
accepted event by event (see `service.apply_carrier_events`): an event for a tracking
number we do not know is *rejected* and reported in the results with its field
(events[i].tracking_number) while the others are stored, so one stray parcel never blocks a
carrier's deliveries; only when every event of a batch is rejected is the answer 422.
Duplicates (the same carrier event id) are acknowledged and change nothing.

`push_sandbox_events` plays the sandbox carrier: for every open shipment it computes the
events due by a moment, signs the ones not received yet and delivers them through this
same path (or over real HTTP when `CHUHAI_CARRIER_WEBHOOK_URL` names a server).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chuhai.core import jobs
from chuhai.core.auth import Actor
from chuhai.core.context import Context
from chuhai.core.errors import FieldError, NotFound, Unauthorized, ValidationFailed
from chuhai.core.settings import Settings
from chuhai.fulfillment import carriers, service
from chuhai.fulfillment.model import EVENT_STATUSES, Batch, TrackingEvent
from chuhai.fulfillment.tables import ShipmentRow, TrackingEventRow

TIMESTAMP_HEADER = "X-Carrier-Timestamp"
SIGNATURE_HEADER = "X-Carrier-Signature"
REPLAY_WINDOW = timedelta(minutes=5)
MAX_BODY_BYTES = 1024 * 1024
MAX_EVENTS = 1000
SECRET_FILE = "carrier-webhook-secret"
CARRIER_PUSH = "fulfillment.carrier_push"
_LIMITS = {
    "event_id": TrackingEventRow.__table__.c.event_id.type.length,  # type: ignore[attr-defined]
    "tracking_number": 60,
    "location": TrackingEventRow.__table__.c.location.type.length,  # type: ignore[attr-defined]
    "description": 2000,
}


# --- the shared secret and signatures -----------------------------------------------------------


def webhook_secret(settings: Settings) -> str:
    """The configured secret, or the installation's generated one (made once, atomically:
    two processes starting together end up with the same secret)."""
    if settings.carrier_webhook_secret:
        return settings.carrier_webhook_secret
    path = settings.data_dir / SECRET_FILE
    if not path.exists():
        _create_secret(path)
    return path.read_text("utf-8").strip()


def _create_secret(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f"{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    draft.write_text(secrets.token_urlsafe(32), "utf-8")
    draft.chmod(0o600)
    try:
        os.link(draft, path)  # fails if another process published its secret first
    except FileExistsError:
        pass
    finally:
        draft.unlink()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def signed_headers(secret: str, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


def verify(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: datetime
) -> None:
    """Refuse (401) a delivery without a valid signature or signed outside the window."""
    if not timestamp or not signature:
        raise Unauthorized(
            f"sign the delivery: send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}",
            field=SIGNATURE_HEADER if timestamp else TIMESTAMP_HEADER,
        )
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise Unauthorized(
            f"{TIMESTAMP_HEADER} must be Unix seconds", field=TIMESTAMP_HEADER
        ) from None
    if not hmac.compare_digest(sign(secret, signed_at, body), signature.strip()):
        raise Unauthorized("the signature does not match the body", field=SIGNATURE_HEADER)
    if abs(now.timestamp() - signed_at) > REPLAY_WINDOW.total_seconds():
        raise Unauthorized(
            "the delivery was signed more than 5 minutes from now: a replay, or a clock "
            "that is off",
            field=TIMESTAMP_HEADER,
        )


# --- the body -----------------------------------------------------------------------------------


def parse_events(body: bytes) -> list[TrackingEvent]:
    """The events of a delivery; a 422 naming every bad field, nothing half-read."""
    if len(body) > MAX_BODY_BYTES:
        raise ValidationFailed.one("body", f"at most {MAX_BODY_BYTES:,} bytes per delivery")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed.one("body", "not JSON: send a list of events") from None
    if not isinstance(data, list):
        raise ValidationFailed.one("body", "a JSON list of events")
    if len(data) > MAX_EVENTS:
        raise ValidationFailed.one("body", f"at most {MAX_EVENTS} events per delivery")
    errors: list[FieldError] = []
    parsed = [_event(item, f"events[{i}]", errors) for i, item in enumerate(data)]
    if errors:
        raise ValidationFailed(errors)
    return [event for event in parsed if event is not None]


def _event(item: Any, where: str, errors: list[FieldError]) -> TrackingEvent | None:
    if not isinstance(item, dict):
        errors.append(FieldError(where, "an event object"))
        return None
    before = len(errors)
    for name in sorted(set(item) - {*_LIMITS, "status", "occurred_at"}):
        errors.append(FieldError(f"{where}.{name}", "not an event field"))
    text = {name: _text(item, name, where, errors) for name in _LIMITS}
    status = item.get("status")
    if status not in EVENT_STATUSES:
        errors.append(FieldError(f"{where}.status", f"one of {', '.join(EVENT_STATUSES)}"))
    occurred_at = _moment(item.get("occurred_at"), f"{where}.occurred_at", errors)
    if len(errors) > before or occurred_at is None:
        return None
    return TrackingEvent(
        event_id=text["event_id"],
        tracking_number=text["tracking_number"],
        status=str(status),
        occurred_at=occurred_at,
        location=text["location"],
        description=text["description"],
    )


def _text(item: dict[str, Any], name: str, where: str, errors: list[FieldError]) -> str:
    value = item.get(name, "")
    required = name in ("event_id", "tracking_number")
    if not isinstance(value, str):
        errors.append(FieldError(f"{where}.{name}", "must be text"))
        return ""
    value = value.strip()
    if required and not value:
        errors.append(FieldError(f"{where}.{name}", "required"))
    elif len(value) > _LIMITS[name]:
        errors.append(FieldError(f"{where}.{name}", f"at most {_LIMITS[name]} characters"))
    return value


def _moment(value: Any, where: str, errors: list[FieldError]) -> datetime | None:
    if not isinstance(value, str):
        errors.append(FieldError(where, "an ISO 8601 time with its offset"))
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        errors.append(FieldError(where, "an ISO 8601 time with its offset, e.g. 2026-03-02T09:00Z"))
        return None
    if moment.tzinfo is None:
        errors.append(FieldError(where, "give the time's offset (Z for UTC)"))
        return None
    return moment


# --- receiving ----------------------------------------------------------------------------------


def carrier_actor(carrier: str) -> Actor:
    """Who a carrier's events act as: no role, so it can do nothing but report."""
    return Actor(user_id=f"carrier:{carrier}", username=carrier, roles=frozenset())


def receive(
    ctx: Context,
    carrier: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
) -> Batch:
    """Verify, read and apply one delivery from `carrier`. The caller commits."""
    verify(webhook_secret(ctx.settings), timestamp, signature, body, ctx.now())
    if not carriers.is_known_carrier(carrier):
        raise NotFound(f"no carrier {carrier!r}", field="carrier")
    events = parse_events(body)
    acting = ctx.actor
    ctx.actor = carrier_actor(carrier)  # what the events cause is recorded as the carrier's
    try:
        batch = service.apply_carrier_events(ctx, carrier, events)
    finally:
        ctx.actor = acting
    if batch.all_rejected:
        errors = [FieldError(r.field or "events", r.reason) for r in batch.results]
        raise ValidationFailed(errors, detail="no event of this delivery names a known shipment")
    return batch


def batch_json(batch: Batch) -> dict[str, Any]:
    return {
        "received": len(batch.results),
        "applied": batch.count("applied"),
        "stored": batch.count("stored"),
        "duplicates": batch.count("duplicate"),
        "rejected": batch.count("rejected"),
        "results": [r.as_json() for r in batch.results],
    }


# --- the sandbox carrier's push -----------------------------------------------------------------


@dataclass
class PushReport:
    until: datetime
    shipments: int = 0  # open shipments looked at
    sent: int = 0  # events delivered
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    deliveries: int = 0

    def describe(self) -> str:
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.outcomes.items()))
        return (
            f"pushed {self.sent} event(s) due by {self.until.isoformat()} for "
            f"{self.shipments} open shipment(s) in {self.deliveries} delivery(ies)"
            + (f": {counts}" if counts else "")
        )


def due_events(
    ctx: Context, rows: list[ShipmentRow], until: datetime
) -> dict[str, list[TrackingEvent]]:
    """Per carrier, the sandbox events of `rows` due by `until` not received yet."""
    due: dict[str, list[TrackingEvent]] = defaultdict(list)
    for row in rows:
        carrier = carriers.carrier_for(row.carrier, lambda number: False)
        received = service.received_event_ids(ctx.session, row.id)
        for event in carrier.tracking_events(service.carrier_shipment(ctx, row), until):
            if event.event_id not in received:
                due[row.carrier].append(event)
    return due


def push_sandbox_events(ctx: Context, until: datetime | None = None) -> PushReport:
    """Deliver every sandbox event due by `until` (default: now), signed, through the same
    verification as HTTP; over HTTP when a webhook URL is configured. The caller commits."""
    until = until or ctx.now()
    rows = service.open_shipments(ctx.session)
    report = PushReport(until=until, shipments=len(rows))
    secret = webhook_secret(ctx.settings)
    for carrier, pending in sorted(due_events(ctx, rows, until).items()):
        for start in range(0, len(pending), MAX_EVENTS):
            chunk = pending[start : start + MAX_EVENTS]
            body = json.dumps([event.as_json() for event in chunk]).encode()
            headers = signed_headers(secret, body, ctx.now())
            results = _deliver(ctx, carrier, headers, body)
            report.deliveries += 1
            report.sent += len(chunk)
            for result in results:
                report.outcomes[str(result["outcome"])] += 1
    return report


def _deliver(
    ctx: Context, carrier: str, headers: dict[str, str], body: bytes
) -> list[dict[str, Any]]:
    url = ctx.settings.carrier_webhook_url
    if not url:
        batch = receive(ctx, carrier, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body)
        return [r.as_json() for r in batch.results]
    target = f"{url.rstrip('/')}/api/v1/carriers/{carrier}/events"
    request = urllib.request.Request(target, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (configured URL)
        answer: dict[str, Any] = json.loads(response.read())
    return list(answer["results"])


# --- the job the embedded worker runs -----------------------------------------------------------


def _push_job(ctx: Context, payload: dict[str, Any]) -> str:
    until = datetime.fromisoformat(payload["until"]) if payload.get("until") else None
    return push_sandbox_events(ctx, until).describe()


jobs.register(CARRIER_PUSH, _push_job)


def schedule_sandbox_push(session: Session, settings: Settings, now: datetime) -> bool:
    """Queue a push when shipments are open and none was queued in the last
    `sandbox_carrier_push_s` seconds (0 turns the sandbox's own pushes off)."""
    if settings.sandbox_carrier_push_s <= 0 or not service.has_open_shipments(session):
        return False
    latest = session.scalar(
        select(func.max(jobs.JobRow.created_at)).where(jobs.JobRow.kind == CARRIER_PUSH)
    )
    if latest is not None and now - latest < timedelta(seconds=settings.sandbox_carrier_push_s):
        return False
    return jobs.enqueue(session, CARRIER_PUSH, {}, now, coalesce_key=CARRIER_PUSH) is not None
