"""The job queue: work queued with the change that calls for it, run once, failures kept."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from chuhai.core import jobs
from chuhai.core.clock import SystemClock
from chuhai.core.jobs import JobRow, run_pending
from chuhai.pricing import service as pricing
from chuhai.pricing.tables import PriceRow

from helpers import draft, import_fx, list_product, sku

RATES = {"EUR": "0.1300", "GBP": "0.1100", "USD": "0.1400", "AUD": "0.2150", "JPY": "21.00"}


def queued(unit) -> list[JobRow]:  # type: ignore[no-untyped-def]
    with unit() as ctx:
        return list(ctx.session.scalars(select(JobRow).where(JobRow.status == "queued")))


def test_equal_jobs_waiting_in_the_queue_merge_into_one(unit):
    with unit() as ctx:
        now = ctx.now()
        assert jobs.enqueue(ctx.session, "test.kind", {"n": 1}, now, coalesce_key="k") is not None
        assert jobs.enqueue(ctx.session, "test.kind", {"n": 2}, now, coalesce_key="k") is None
    assert [j.payload for j in queued(unit)] == [{"n": 1}]


def test_a_failing_job_is_recorded_with_its_error(unit, db, settings):
    def broken(ctx, payload):  # type: ignore[no-untyped-def]
        raise ValueError(f"cannot do {payload['what']}")

    jobs.register("test.broken", broken)
    with unit() as ctx:
        jobs.enqueue(ctx.session, "test.broken", {"what": "that"}, ctx.now())
    (job,) = run_pending(db, settings, SystemClock())
    assert job.status == "failed" and "ValueError: cannot do that" in job.error
    assert run_pending(db, settings, SystemClock()) == []  # not run twice


def test_listing_a_product_and_importing_rates_queue_one_repricing_that_prices_it(
    unit, world, db, settings
):
    product = draft(
        "BOWL-1",
        category_code="home.kitchen",
        target_markets=["DE"],
        skus=[sku("BOWL-1-BLU", "9.80")],
    )
    list_product(unit, world, product, ["DE"])
    import_fx(unit, world, date.today().isoformat(), RATES)
    assert [j.kind for j in queued(unit)] == [pricing.REPRICE]
    (job,) = run_pending(db, settings, SystemClock())
    assert job.status == "done", job.error
    assert "2 prices set" in job.result
    with unit() as ctx:
        rows = list(ctx.session.scalars(select(PriceRow)))
    assert {(r.market_code, r.route, r.status) for r in rows} == {
        ("DE", "9610", "active"),
        ("DE", "9810", "active"),
    }


def test_a_new_rule_queues_a_repricing(unit, world):
    with unit(world["customs"]) as ctx:
        pricing.add_rule(
            ctx,
            kind="duty",
            effective_from=date(2027, 1, 1),
            source="example",
            data={
                "tariff_area": "US",
                "hs_prefix": "94",
                "origin": "CN",
                "layer": "additional",
                "rate_bp": 1000,
                "program": "Example",
            },
        )
    assert [j.payload["reason"] for j in queued(unit)] == [
        "rule duty:US|94|CN|additional|Example:2027-01-01 added"
    ]
