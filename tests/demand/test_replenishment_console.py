"""The console's Replenishment page: a planner ticks two proposals and approves them; they
become a stock-up order and a transfer, and the rest stay open."""

from __future__ import annotations

import sys
from pathlib import Path

from test_replenishment import _compute, _demand

from chuhai.demand import replenishment as rp

sys.path.insert(0, str(Path(__file__).parents[1] / "inventory"))
pytest_plugins = ["stock_fixtures"]


def test_a_planner_approves_the_selected_proposals(console, at, world, stocked):
    _, proposals = _compute(at, world, _demand(stocked))
    chosen = [
        next(p[0] for p in proposals if p[2] == "CN-GZ"),
        next(p[0] for p in proposals if p[2] == "US-LAX"),
    ]
    page = console("logistics")
    page.get_by_role("link", name="Replenishment").click()
    table = page.get_by_test_id("proposals")
    assert "US-LAX" in table.inner_text() and "MOQ" in table.inner_text()
    for proposal_id in chosen:
        page.get_by_test_id(f"pick-{proposal_id}").check()
    page.get_by_role("button", name="Approve selected").click()
    assert "1 stock-up orders, 1 transfers" in page.content()
    assert all(f"pick-{pid}" not in page.content() for pid in chosen)
    with at(world["logistics"]) as ctx:
        states = {r.id: r.state for r in rp.list_proposals(ctx, state=None).items}
    assert [states[pid] for pid in chosen] == ["approved", "approved"]
    assert sorted(states.values()) == ["approved", "approved"]
