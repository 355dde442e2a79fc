"""Replenishment: the (s, S) arithmetic by hand, ABC/XYZ classes, proposals from a hand-made
forecast, bulk approval into stock-up orders and transfers, and each refusal."""

from __future__ import annotations

import math
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from chuhai.catalog import listing
from chuhai.core.errors import Forbidden, ValidationFailed
from chuhai.demand import forecasting
from chuhai.demand import replenishment as rp
from chuhai.demand.replenishment_tables import ReplenishmentRunRow
from chuhai.inventory import stockup, transfers

sys.path.insert(0, str(Path(__file__).parents[1] / "inventory"))
from stock_helpers import START  # noqa: E402

pytest_plugins = ["stock_fixtures"]


def _forecast(uid: str, mean: float, sigma: float, days: int = 30) -> pd.DataFrame:
    """A flat forecast whose 95% interval is mean ± 1.96·sigma."""
    half = rp.Z95 * sigma
    ds = pd.date_range(START.date() + timedelta(days=1), periods=days, freq="D")
    return pd.DataFrame(
        {
            "unique_id": uid,
            "ds": ds,
            "mean": mean,
            "lo-80": mean - 1.2816 * sigma,
            "hi-80": mean + 1.2816 * sigma,
            "lo-95": mean - half,
            "hi-95": mean + half,
        }
    )


def _one_pair(**changes: Any) -> pd.DataFrame:
    pair = dict(lead_days=20, service=0.95, position=50, moq=300, carton=24, cap=1000)
    pair.update(changes)
    pairs = pd.DataFrame([pair])
    feeds = pd.DataFrame([(0, "sku@US", 1.0)], columns=["pair", "unique_id", "share"])
    return rp.propose(pairs, feeds, _forecast("sku@US", 10.0, 3.0))


def test_the_policy_by_hand():
    row = _one_pair().iloc[0]
    # 20 days of 10 a day; sigma 3 a day, independent days: sqrt(20 · 9)
    assert row["mu"] == pytest.approx(200)
    assert row["sigma"] == pytest.approx(math.sqrt(180))
    assert row["safety"] == pytest.approx(1.6448536 * math.sqrt(180))  # z(0.95) = 1.645
    assert row["s"] == 223  # ceil(200 + 22.07)
    assert row["S"] == 293  # s + 7 days of 10
    assert row["raw"] == 243  # S − position 50
    assert row["at_moq"] == 300  # raised to the MOQ
    assert row["in_cartons"] == 312  # 13 cartons of 24
    assert row["quantity"] == 312


def test_capacity_caps_in_whole_cartons_and_below_the_moq_nothing_is_proposed():
    assert _one_pair(moq=100).iloc[0]["quantity"] == 264  # 11 cartons
    assert _one_pair(moq=100, cap=250).iloc[0]["quantity"] == 240  # 10 cartons fit
    assert _one_pair(cap=310).iloc[0]["quantity"] == 0  # 288 < MOQ 300


def test_no_order_above_the_reorder_point_and_a_carton_of_one_by_default():
    assert _one_pair(position=224).iloc[0]["quantity"] == 0
    row = _one_pair(position=223, moq=0, carton=1).iloc[0]
    assert row["quantity"] == 70  # exactly S − s when at s


def test_lead_times_beyond_the_horizon_extend_at_the_average_day():
    means = np.array([[1.0, 2.0, 3.0]])
    sigmas = np.array([[1.0, 1.0, 1.0]])
    mu, var = rp.lead_time_demand(means, sigmas, np.array([0, 0]), np.array([2, 5]))
    assert list(mu) == [3.0, 6.0 + 2 * 2.0]
    assert list(var) == [2.0, 5.0]


def test_a_pair_without_forecast_orders_nothing():
    pairs = pd.DataFrame([dict(lead_days=5, service=0.9, position=0, moq=0, carton=1, cap=99)])
    feeds = pd.DataFrame([(0, "other@US", 1.0)], columns=["pair", "unique_id", "share"])
    out = rp.propose(pairs, feeds, _forecast("sku@US", 10.0, 3.0)).iloc[0]
    assert (bool(out["has_forecast"]), int(out["quantity"])) == (False, 0)


def test_abc_by_value_and_xyz_by_variation():
    days = pd.date_range("2026-01-01", periods=10, freq="D")
    rows = []
    steady = [10.0] * 10
    lumpy = [0.0] * 9 + [30.0]
    wobbly = [1.0, 5.0] * 5  # CV 2/3
    for sku, series in (("a", steady), ("b", lumpy), ("c", wobbly), ("d", steady)):
        rows += [(f"{sku}@US", d, y) for d, y in zip(days, series, strict=True)]
    history = pd.DataFrame(rows, columns=["unique_id", "ds", "y"])
    # value: a 100·10 = 1000, b 30·20 = 600, d 100·1 = 100, c 30·1 = 30
    classes = rp.abc_xyz(history, {"a": 10, "b": 20, "c": 1, "d": 1})
    # of 1730, ranked above: a 0% → A, b 58% → A, d 92% → B, c 98% → C
    assert classes == {"a": "AX", "b": "AZ", "d": "BX", "c": "CY"}
    assert rp.SERVICE_LEVELS["AX"] > rp.SERVICE_LEVELS["CZ"]


def test_the_fallback_forecast_is_the_trailing_mean_with_its_empirical_range():
    days = pd.date_range("2026-01-01", periods=40, freq="D")
    y = [100.0] * 12 + [float(i % 4) for i in range(28)]
    history = pd.DataFrame({"unique_id": "s@US", "ds": days, "y": y})
    frame = forecasting.trailing_forecast(history, horizon=5)
    assert len(frame) == 5 and frame["ds"].iloc[0] == days[-1] + pd.Timedelta(days=1)
    assert frame["mean"].iloc[0] == pytest.approx(1.5)  # the last 28 days only
    assert frame["hi-95"].iloc[0] <= 3.0 and frame["lo-95"].iloc[0] >= 0.0


# --- with the database ---------------------------------------------------------------------------


def _compute(at: Any, world: Any, frame: pd.DataFrame, actor: str = "merchandiser") -> Any:
    with at(world[actor]) as ctx:
        result = rp.compute(ctx, frame)
        return result.run.id, [(p.id, p.kind, p.warehouse_id, p.quantity) for p in result.proposals]


def _demand(stocked: Any) -> pd.DataFrame:
    return pd.concat(
        [
            _forecast(f"{stocked.white}@US", 30.0, 5.0, days=60),
            _forecast(f"{stocked.white}@DE", 10.0, 3.0, days=60),
        ]
    )


def test_proposals_carry_their_evidence_and_skip_skus_without_forecast(at, world, stocked):
    run_id, proposals = _compute(at, world, _demand(stocked))
    kinds = {(kind, warehouse) for _, kind, warehouse, _ in proposals}
    # bought into CN-GZ, where the white mugs are (one hub, not half an order at each);
    # CN-GZ's 100 go to US-LAX, the lane furthest below its reorder point
    assert kinds == {("stock_up", "CN-GZ"), ("transfer", "US-LAX")}
    with at(world["logistics"]) as ctx:
        rows = rp.list_proposals(ctx).items
        lax = next(r for r in rows if r.warehouse_id == "US-LAX")
        e = lax.evidence
        # sea to the US 18 days + 2 put-away; all US demand goes to LAX
        assert e["lead_days"] == 20 and e["mean_demand_lead_time"] == pytest.approx(600)
        assert e["s"] == math.ceil(600 + e["safety_stock"] - 1e-9)
        assert e["position"] == 0 and lax.from_warehouse_id == "CN-GZ"
        assert lax.quantity == min(e["S"], 100)  # CN-GZ holds only 100 white mugs
        gz = next(r for r in rows if r.warehouse_id == "CN-GZ")
        assert gz.evidence["position"] == 100 and gz.quantity >= gz.evidence["moq"] == 200
        run = rp.latest_run(ctx)
        assert run is not None and run.id == run_id
        reasons = {(s["sku_id"], s["warehouse_id"]): s["reason"] for s in run.skipped}
        assert reasons[(stocked.black, "")] == "no forecast"
        assert reasons[(stocked.white, "DE-FRA")] == "no stock at a consolidation warehouse"


def test_bulk_approval_makes_stock_up_orders_and_transfers(at, world, stocked):
    _, proposals = _compute(at, world, _demand(stocked))
    with at(world["logistics"]) as ctx:
        made = rp.approve(ctx, [p[0] for p in proposals])
        # CN-GZ's 100 white mugs go to the most urgent lane only; none are promised twice
        assert len(made.stock_up_order_ids) == 1 and len(made.transfer_ids) == 1
        order = stockup.visible_order(ctx, made.stock_up_order_ids[0])
        assert order.state == "issued" and order.kind == "planned"
        lines = stockup.lines_of(ctx.session, order.id)
        assert [line.sku_id for line in lines] == [stocked.white]
        transfer = transfers.visible_transfer(ctx, made.transfer_ids[0])
        assert transfer.state == "planned" and transfer.from_warehouse_id == "CN-GZ"
        assert {r.state for r in rp.list_proposals(ctx, state=None).items} == {"approved"}
    with at(world["logistics"]) as ctx, pytest.raises(ValidationFailed) as refused:
        rp.approve(ctx, [proposals[0][0]])
    assert "is approved" in str(refused.value)


def test_a_bad_proposal_refuses_the_whole_batch_naming_it(at, world, stocked):
    _, proposals = _compute(at, world, _demand(stocked))
    ids = [p[0] for p in proposals]
    with at(world["logistics"]) as ctx, pytest.raises(ValidationFailed) as refused:
        rp.approve(ctx, [*ids, "rpp_nope"])
    assert refused.value.errors[0].field == f"ids[{len(ids)}]"
    with at(world["logistics"]) as ctx:
        assert {r.state for r in rp.list_proposals(ctx, state=None).items} == {"proposed"}
        assert stockup.list_orders(ctx).total == 1  # only the fixture's own order
    with at(world["logistics"]) as ctx, pytest.raises(ValidationFailed):
        rp.approve(ctx, [])


def test_a_delisted_product_is_refused_and_then_not_proposed(at, world, stocked):
    _, proposals = _compute(at, world, _demand(stocked))
    with at(world["merchandiser"]) as ctx:
        listing.delist(ctx, stocked.product_id, "quality complaints")
    with at(world["logistics"]) as ctx, pytest.raises(ValidationFailed) as refused:
        rp.approve(ctx, [proposals[0][0]])
    assert f"proposal {proposals[0][0]}: its product is delisted" in str(refused.value)
    _, again = _compute(at, world, _demand(stocked))
    assert again == []


def test_a_new_run_supersedes_open_proposals_and_readers_only_read(at, world, stocked):
    _compute(at, world, _demand(stocked))
    _compute(at, world, _demand(stocked))
    with at(world["logistics"]) as ctx:
        states = [r.state for r in rp.list_proposals(ctx, state=None).items]
        assert states.count("superseded") == 2 and states.count("proposed") == 2
    with at(world["finance"]) as ctx, pytest.raises(Forbidden):
        rp.compute(ctx, _demand(stocked))


def test_what_is_on_order_or_planned_is_not_proposed_again(at, world, stocked):
    _, proposals = _compute(at, world, _demand(stocked))
    with at(world["merchandiser"]) as ctx:  # merchandisers plan transfers too
        made = rp.approve(ctx, [p[0] for p in proposals])
        ordered = {
            stockup.visible_order(ctx, order_id).warehouse_id: line.quantity
            for order_id in made.stock_up_order_ids
            for line in stockup.lines_of(ctx.session, order_id)
        }
    run_id, again = _compute(at, world, _demand(stocked))
    # CN-GZ's 100 white mugs are all promised to the planned transfer: no second transfer
    assert [kind for _, kind, _, _ in again] == ["stock_up"] * len(again)
    with at(world["logistics"]) as ctx:
        run = ctx.session.get(ReplenishmentRunRow, run_id)
        reasons = {(s["sku_id"], s["warehouse_id"]): s["reason"] for s in run.skipped}
        assert reasons[(stocked.white, "US-LAX")] == "no stock at a consolidation warehouse"
        for row in rp.list_proposals(ctx).items:
            # on order: the approved stock-up order, less what the transfer takes from CN-GZ
            leaving = 100 if row.warehouse_id == "CN-GZ" else 0
            assert row.evidence["on_order"] == ordered[row.warehouse_id] - leaving


def test_a_full_warehouse_is_shared_by_urgency_and_says_so(at, world, stocked):
    from chuhai.inventory.warehouses import update_warehouse

    with at(world["logistics"]) as ctx:
        update_warehouse(ctx, "CN-GZ", {"capacity_m3": 5})
    busy = pd.concat(
        [_forecast(f"{sku}@US", 300.0, 30.0, days=60) for sku in (stocked.white, stocked.black)]
    )
    run_id, _ = _compute(at, world, busy)
    mug = 0.120 * 0.090 * 0.100
    with at(world["logistics"]) as ctx:
        gz = [r for r in rp.list_proposals(ctx).items if r.warehouse_id == "CN-GZ"]
        run = ctx.session.get(ReplenishmentRunRow, run_id)
    full = [s for s in run.skipped if s["reason"] == "CN-GZ is full"]
    cut = [r for r in gz if r.quantity < r.evidence["after_cartons"]]
    assert cut or full  # the demand needs far more than 5 m³
    assert sum(r.quantity for r in gz) * mug <= 5 - 100 * mug  # the white mugs on the shelf


def test_a_sku_is_bought_into_the_hub_holding_or_expecting_most_of_it():
    from types import SimpleNamespace as Row

    hubs = [Row(id="CN-GZ"), Row(id="CN-YW")]
    shelf = {
        ("s", "CN-GZ"): Row(on_hand=5, receiving=0),
        ("s", "CN-YW"): Row(on_hand=2, receiving=0),
    }
    assert rp._home_hub("s", hubs, shelf, {}) == "CN-GZ"
    assert rp._home_hub("s", hubs, shelf, {("s", "CN-YW"): 10}) == "CN-YW"  # a run coming
    assert rp._home_hub("new", hubs, shelf, {}) == "CN-GZ"  # nothing anywhere: the first
    assert rp._home_hub("s", [], shelf, {}) is None
