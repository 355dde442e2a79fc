"""The signed webhook path and the sandbox carrier's push: signatures good, bad and missing,
the replay window, malformed bodies, the installation's secret, pushing the events due by
a moment (from the service, the job queue and `chuhai carrier push --until`)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from chuhai.cli import app
from chuhai.core import events, jobs
from chuhai.core.errors import NotFound, Unauthorized, ValidationFailed
from chuhai.fulfillment import service, webhooks
from chuhai.fulfillment.tables import TrackingEventRow
from fulfillment.shipping_examples import START


def body_of(*items: dict) -> bytes:
    return json.dumps(list(items)).encode()


def item(number: str, seq: int = 1, status: str = "accepted", hours: float = 4, **changes) -> dict:
    values = {
        "event_id": f"{number}-{seq:02d}",
        "tracking_number": number,
        "status": status,
        "occurred_at": (START + timedelta(hours=hours)).isoformat(),
        "location": "Ontario, US",
        "description": "Accepted at the origin facility",
    }
    values.update(changes)
    return values


@pytest.fixture
def deliver(at, world, settings, clock):
    """Receive a body as the webhook route does; `signed_at` and `secret` can be forged."""

    def receive(body: bytes, carrier: str = "usps", signed_at=None, secret=None, **headers):
        secret = secret or webhooks.webhook_secret(settings)
        signed = webhooks.signed_headers(secret, body, signed_at or clock.now())
        signed.update(headers)
        with at(world["admin"]) as ctx:
            return webhooks.receive(
                ctx,
                carrier,
                signed.get(webhooks.TIMESTAMP_HEADER),
                signed.get(webhooks.SIGNATURE_HEADER),
                body,
            )

    return receive


def stored_events(db) -> int:
    with db.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(TrackingEventRow)) or 0


# --- signatures ---------------------------------------------------------------------------------


def test_a_signed_delivery_is_applied(ship, deliver):
    _, number = ship()
    batch = deliver(body_of(item(number)))
    assert [(r.outcome, r.state) for r in batch.results] == [("applied", "in_transit")]
    assert webhooks.batch_json(batch)["applied"] == 1


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body():
    import hashlib
    import hmac

    expected = hmac.new(b"s3cret", b"1767225600.[]", hashlib.sha256).hexdigest()
    assert webhooks.sign("s3cret", 1767225600, b"[]") == f"sha256={expected}"


@pytest.mark.parametrize(
    ("forge", "field"),
    [
        ({"secret": "not-the-installations-secret"}, "X-Carrier-Signature"),
        ({"X-Carrier-Signature": ""}, "X-Carrier-Signature"),
        ({"X-Carrier-Timestamp": ""}, "X-Carrier-Timestamp"),
        ({"X-Carrier-Timestamp": "yesterday"}, "X-Carrier-Timestamp"),
        ({"X-Carrier-Signature": "sha256=00"}, "X-Carrier-Signature"),
    ],
)
def test_a_bad_or_missing_signature_is_refused_and_nothing_stored(ship, deliver, db, forge, field):
    _, number = ship()
    with pytest.raises(Unauthorized) as refused:
        deliver(body_of(item(number)), **forge)
    assert refused.value.field == field
    assert stored_events(db) == 0


def test_a_body_changed_after_signing_is_refused(ship, at, world, settings, clock, db):
    _, number = ship()
    signed = webhooks.signed_headers(
        webhooks.webhook_secret(settings), body_of(item(number)), clock.now()
    )
    tampered = body_of(item(number, status="delivered"))
    with at(world["admin"]) as ctx, pytest.raises(Unauthorized) as refused:
        webhooks.receive(
            ctx,
            "usps",
            signed[webhooks.TIMESTAMP_HEADER],
            signed[webhooks.SIGNATURE_HEADER],
            tampered,
        )
    assert "does not match" in refused.value.detail
    assert stored_events(db) == 0


@pytest.mark.parametrize("minutes", [-6, 6])
def test_a_delivery_signed_outside_five_minutes_is_a_replay(ship, deliver, clock, db, minutes):
    _, number = ship()
    with pytest.raises(Unauthorized) as refused:
        deliver(body_of(item(number)), signed_at=clock.now() + timedelta(minutes=minutes))
    assert "replay" in refused.value.detail
    assert stored_events(db) == 0
    deliver(body_of(item(number)), signed_at=clock.now() - timedelta(minutes=4, seconds=59))
    assert stored_events(db) == 1


# --- bodies -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (b'{"event_id": "x"}', "body"),
        (body_of("an event"), "events[0]"),
        (body_of(item("LX1", status="lost")), "events[0].status"),
        (body_of(item("LX1", occurred_at="2026-03-02T10:00:00")), "events[0].occurred_at"),
        (body_of(item("LX1", occurred_at="tuesday")), "events[0].occurred_at"),
        (body_of(item("LX1", event_id="")), "events[0].event_id"),
        (body_of(item("LX1", event_id="e" * 101)), "events[0].event_id"),
        (body_of(item("LX1", tracking_number=7)), "events[0].tracking_number"),
        (body_of(item("LX1", weather="rain")), "events[0].weather"),
    ],
)
def test_a_malformed_delivery_is_a_422_naming_the_field(ship, deliver, db, body, field):
    _, number = ship()
    with pytest.raises(ValidationFailed) as refused:
        deliver(body.replace(b"LX1", number.encode()))
    assert field in {e.field for e in refused.value.errors}
    assert stored_events(db) == 0


def test_a_delivery_whose_events_are_all_unknown_is_a_422_and_a_mixed_one_is_accepted(
    ship, deliver, db
):
    _, number = ship()
    with pytest.raises(ValidationFailed) as refused:
        deliver(body_of(item("9400100000000000000000"), item("9400100000000000000001")))
    assert [e.field for e in refused.value.errors] == [
        "events[0].tracking_number",
        "events[1].tracking_number",
    ]
    batch = deliver(body_of(item("9400100000000000000000"), item(number)))
    assert [r.outcome for r in batch.results] == ["rejected", "applied"]
    assert stored_events(db) == 1


def test_an_unknown_carrier_is_not_found(deliver):
    with pytest.raises(NotFound) as missing:
        deliver(body_of(), carrier="pigeon-post")
    assert missing.value.field == "carrier"


# --- the secret ---------------------------------------------------------------------------------


def test_the_secret_is_generated_once_per_installation_unless_configured(tmp_path, settings):
    mine = replace(settings, data_dir=tmp_path / "install")
    first = webhooks.webhook_secret(mine)
    assert len(first) >= 40 and webhooks.webhook_secret(mine) == first
    assert (tmp_path / "install" / webhooks.SECRET_FILE).stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in (tmp_path / "install").iterdir()) == [webhooks.SECRET_FILE]
    other = replace(settings, data_dir=tmp_path / "elsewhere")
    assert webhooks.webhook_secret(other) != first
    configured = replace(mine, carrier_webhook_secret="from-the-environment")
    assert webhooks.webhook_secret(configured) == "from-the-environment"


# --- the sandbox carrier's push -----------------------------------------------------------------


@pytest.fixture
def delivered_orders():
    seen: list[str] = []

    def handler(ctx, payload):
        if payload["status"] == "delivered":
            seen.append(payload["order_id"])

    events.subscribe(service.STATUS_CHANGED, handler)
    yield seen
    events._subscribers[service.STATUS_CHANGED].remove(handler)


def test_the_push_delivers_what_is_due_by_the_moment_and_nothing_twice(
    ship, at, world, clock, delivered_orders
):
    us, _ = ship(order_id="ord_us")
    de, _ = ship("DE", "CN-GZ", order_id="ord_de")
    with at(world["admin"]) as ctx:
        assert webhooks.push_sandbox_events(ctx).sent == 0  # nothing has happened yet
    clock.advance(timedelta(days=1))
    with at(world["admin"]) as ctx:
        first = webhooks.push_sandbox_events(ctx)
        assert first.sent == 2 and first.outcomes == {"applied": 2}  # both accepted
        assert first.shipments == 2 and first.deliveries == 2  # one per carrier
        assert webhooks.push_sandbox_events(ctx).sent == 0
    clock.advance(timedelta(days=4))  # day 5: LA's 3 days are over, China's 8 are not
    with at(world["admin"]) as ctx:
        webhooks.push_sandbox_events(ctx)
        assert service.visible_shipment(ctx, us).state == "delivered"
        assert service.visible_shipment(ctx, de).state == "customs"
    assert delivered_orders == ["ord_us"]
    with at(world["admin"]) as ctx:
        final = webhooks.push_sandbox_events(ctx, clock.now() + timedelta(days=30))
        assert final.shipments == 1
        assert service.visible_shipment(ctx, de).state == "delivered"
        assert webhooks.push_sandbox_events(ctx, clock.now() + timedelta(days=60)).shipments == 0
    assert delivered_orders == ["ord_us", "ord_de"]


def test_a_failed_attempt_shows_as_an_exception_until_the_next_day(ship, at, world, clock):
    shipment_id, _ = ship(postal_code="94099")
    with at(world["admin"]) as ctx:
        row = service.visible_shipment(ctx, shipment_id)
        from chuhai.fulfillment import carriers

        timeline = carriers.SandboxCarrier("usps", lambda n: False).timeline(
            service.carrier_shipment(ctx, row)
        )
        failed = next(e for e in timeline if e.status == "exception")
        webhooks.push_sandbox_events(ctx, failed.occurred_at)
        assert row.state == "exception"
        service.push_sandbox_events(ctx, timeline[-1].occurred_at)  # the service's door to it
        assert row.state == "delivered"
        states = [h.to_state for h in service.history_of(ctx, shipment_id)]
    assert states == [
        "label_created",
        "in_transit",
        "out_for_delivery",
        "exception",
        "out_for_delivery",
        "delivered",
    ]


def test_the_worker_queues_a_push_now_and_then_and_runs_it(ship, db, settings, clock, at, world):
    ship()
    every_minute = replace(settings, sandbox_carrier_push_s=60)
    with db.unit_of_work() as uow:
        assert webhooks.schedule_sandbox_push(uow.session, every_minute, clock.now())
        uow.commit()
    with db.unit_of_work() as uow:
        assert not webhooks.schedule_sandbox_push(uow.session, every_minute, clock.now())
        off = replace(settings, sandbox_carrier_push_s=0)
        assert not webhooks.schedule_sandbox_push(uow.session, off, clock.now())
    clock.advance(timedelta(days=5))
    [job] = jobs.run_pending(db, settings, clock)
    assert job.status == "done", job.error
    assert "pushed 5 event(s)" in job.result
    with db.unit_of_work() as uow:
        later = clock.now() + timedelta(minutes=2)
        assert not webhooks.schedule_sandbox_push(uow.session, every_minute, later)  # all delivered


def test_chuhai_carrier_push_until_a_moment(ship, settings, at, world):
    shipment_id, _ = ship()
    runner = CliRunner()
    env = {
        "CHUHAI_DATA_DIR": str(settings.data_dir),
        "CHUHAI_DATABASE_URL": settings.database_url,
    }
    early = runner.invoke(app, ["carrier", "push", "--until", "2026-03-02T15:00:00Z"], env=env)
    assert early.exit_code == 0, early.output
    assert "pushed 1 event(s)" in early.stdout and "1 applied" in early.stdout
    late = runner.invoke(app, ["carrier", "push", "--until", "2026-03-20T00:00:00"], env=env)
    assert late.exit_code == 0, late.output
    assert "pushed 4 event(s)" in late.stdout
    with at(world["logistics"]) as ctx:
        assert service.visible_shipment(ctx, shipment_id).state == "delivered"
    bad = runner.invoke(app, ["carrier", "push", "--until", "next week"], env=env)
    assert bad.exit_code == 1
    assert "--until" in bad.stderr
