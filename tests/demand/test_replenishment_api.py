"""Replenishment over HTTP: compute from a forecast the caller sends, list, approve in bulk,
each refusal as problem+json naming the field, and idempotent retries."""

from __future__ import annotations

import sys
from pathlib import Path

from test_replenishment import _demand

sys.path.insert(0, str(Path(__file__).parents[1] / "inventory"))
pytest_plugins = ["stock_fixtures"]


def _body(stocked) -> dict:  # type: ignore[no-untyped-def]
    frame = _demand(stocked)
    rows = [
        {
            "unique_id": r.unique_id,
            "ds": r.ds.date().isoformat(),
            "mean": r.mean,
            "lo-95": max(r.lo95, 0.0),
            "hi-95": r.hi95,
        }
        for r in frame.rename(columns={"lo-95": "lo95", "hi-95": "hi95"}).itertuples()
    ]
    return {"forecast": rows}


def test_compute_list_and_approve(client, stocked):  # type: ignore[no-untyped-def]
    api = client("logistics")
    made = api.post(
        "/replenishment/compute",
        json=_body(stocked),
        headers={"Idempotency-Key": "rp-1"},
    )
    assert made.status_code == 201, made.text
    run = made.json()
    # CN-GZ's stock-up, and its 100 white mugs to US-LAX (DE-FRA would need the same)
    assert run["forecast_source"] == "given" and run["proposal_count"] == 2
    again = api.post(
        "/replenishment/compute",
        json=_body(stocked),
        headers={"Idempotency-Key": "rp-1"},
    )
    assert again.json()["id"] == run["id"]
    listed = api.get("/replenishment/proposals").json()
    assert {p["id"] for p in listed} == {p["id"] for p in run["proposals"]}
    bad = api.post(
        "/replenishment/approve",
        json={"ids": [listed[0]["id"], "rpp_nope"]},
        headers={"Idempotency-Key": "rp-2"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "ids[1]"
    ok = api.post(
        "/replenishment/approve",
        json={"ids": [p["id"] for p in listed]},
        headers={"Idempotency-Key": "rp-3"},
    )
    assert ok.status_code == 201, ok.text
    assert len(ok.json()["stock_up_order_ids"]) == 1 and len(ok.json()["transfer_ids"]) == 1


def test_a_reader_without_the_permission_is_refused(client):  # type: ignore[no-untyped-def]
    response = client("finance").get("/replenishment/proposals")
    assert response.status_code == 403
