"""Penalty arithmetic by the packaged rules, and the penalties a receipt records."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from stock_helpers import order_of

from chuhai.inventory import penalties, stockup
from chuhai.inventory.penalties import DeliveredLine, PenaltyRule
from chuhai.inventory.stockup import CartonDraft, LineCount

# the fixtures `at`, `skus` and `stocked`
pytest_plugins = ["stock_fixtures"]

DUE = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # 10:00 China time
RULES = penalties.packaged_rules()
# 100 × CNY 12.50 + 50 × CNY 13.20 = CNY 1,910.00
FULL = [DeliveredLine("WHT", 100, 1250, 100, 0), DeliveredLine("BLK", 50, 1320, 50, 0)]


def _assess(
    received_at: datetime, lines: list[DeliveredLine] = FULL
) -> dict[str, penalties.Assessed]:
    found = penalties.assess(due_at=DUE, received_at=received_at, lines=lines, rules=RULES)
    return {p.kind: p for p in found}


def test_on_time_and_complete_costs_nothing():
    assert _assess(DUE) == {}
    assert _assess(DUE + timedelta(hours=2)) == {}  # within the two hours' grace


def test_late_is_a_share_of_the_order_value_per_started_day():
    late = _assess(DUE + timedelta(hours=26))["late"]
    # 26 h late: 2 started days × 1% = 2% of CNY 1,910.00
    assert late.amount == 3820
    assert late.rule_id == "late-2025"
    assert late.basis == (
        "received 2026-03-05 12:00 China time, 26.0 h after the due time 2026-03-04 10:00: "
        "2 started day(s) × 1.00% = 2.00% (cap 10.00%); 2.00% of the order value 1910.00 CNY "
        "= 38.20 CNY"
    )


def test_late_is_capped():
    late = _assess(DUE + timedelta(days=15))["late"]
    assert late.amount == 19100  # 10% of CNY 1,910.00, not 15%
    assert "15 started day(s) × 1.00% = 15.00%, capped at 10.00%" in late.basis


def test_short_is_charged_per_missing_unit():
    lines = [DeliveredLine("WHT", 100, 1250, 90, 0), DeliveredLine("BLK", 50, 1320, 49, 0)]
    short = _assess(DUE, lines)["short"]
    # 10 × 12.50 × 20% = 25.00; 1 × 13.20 × 20% = 2.64
    assert short.amount == 2500 + 264
    assert short.basis == (
        "WHT: 10 of 100 units missing × 12.50 CNY × 20.00% = 25.00 CNY; "
        "BLK: 1 of 50 units missing × 13.20 CNY × 20.00% = 2.64 CNY; total 27.64 CNY"
    )


def test_failed_qc_is_charged_per_unit_plus_the_inspection():
    lines = [DeliveredLine("WHT", 100, 1250, 100, 3), DeliveredLine("BLK", 50, 1320, 50, 0)]
    qc = _assess(DUE, lines)["qc_failed"]
    assert qc.amount == 1125 + 20000  # 3 × 12.50 × 30% + CNY 200 inspection
    assert qc.basis.endswith("inspection fee 200.00 CNY; total 211.25 CNY")


def test_each_line_rounds_half_up_to_the_fen_once():
    lines = [DeliveredLine("ODD", 10, 1333, 9, 0), DeliveredLine("ODD2", 10, 1332, 9, 0)]
    # 1333 × 20% = 266.6 → 267; 1332 × 20% = 266.4 → 266
    assert _assess(DUE, lines)["short"].amount == 267 + 266


def test_the_rule_in_force_on_the_receipt_date_applies():
    old = PenaltyRule(
        "late-old",
        "late",
        date(2020, 1, 1),
        date(2025, 12, 31),
        {"per_started_day_bp": 500, "cap_bp": 5000},
        "old terms",
    )
    new = PenaltyRule(
        "late-new",
        "late",
        date(2026, 1, 1),
        None,
        {"per_started_day_bp": 100, "cap_bp": 1000},
        "new terms",
    )
    late = DUE + timedelta(hours=5)
    [found] = penalties.assess(due_at=DUE, received_at=late, lines=FULL, rules=(old, new))
    assert (found.rule_id, found.amount) == ("late-new", 1910)
    assert (
        penalties.assess(
            due_at=DUE, received_at=datetime(2019, 6, 1, tzinfo=UTC), lines=FULL, rules=(old, new)
        )
        == []
    )


def test_a_late_short_failed_delivery_records_one_penalty_of_each_kind(at, world, skus):
    order_id = order_of(at, world, skus, white=100, black=50)  # due in 48 h
    with at(world["supplier_a"]) as ctx:
        stockup.confirm(ctx, order_id)
        stockup.ship(ctx, order_id, [CartonDraft(skus.white, 95), CartonDraft(skus.black, 50)])
    at.advance(hours=48 + 30)  # 30 hours late: 2 started days
    with at(world["logistics"]) as ctx:
        stockup.receive(
            ctx,
            order_id,
            [LineCount(skus.white, 95, 10, 2), LineCount(skus.black, 50, 5, 0)],
        )
    with at(world["finance"]) as ctx:
        found = {p.kind: p for p in penalties.penalties_of(ctx, supplier_id=world.supplier_a)}
    assert {k: p.amount for k, p in found.items()} == {
        "late": 3820,  # 2% of CNY 1,910.00
        "short": 1250,  # 5 × 12.50 × 20%
        "qc_failed": 750 + 20000,  # 2 × 12.50 × 30% + inspection
    }
    assert all(p.currency == "CNY" and p.settlement_id is None for p in found.values())
    assert found["short"].stock_up_order_id == order_id
    with at(world["supplier_b"]) as ctx:
        assert penalties.penalties_of(ctx) == []  # another supplier's are not shown
    with at(world["supplier_a"]) as ctx:
        assert len(penalties.penalties_of(ctx)) == 3


def test_settled_penalties_drop_out_of_the_unsettled_list(at, world, skus):
    order_id = order_of(at, world, skus, white=10, black=10)
    with at(world["supplier_a"]) as ctx:
        stockup.confirm(ctx, order_id)
        stockup.ship(ctx, order_id, [CartonDraft(skus.white, 5), CartonDraft(skus.black, 10)])
    with at(world["logistics"]) as ctx:
        stockup.receive(ctx, order_id, [LineCount(skus.white, 5), LineCount(skus.black, 10)])
    with at(world["finance"]) as ctx:
        [short] = penalties.penalties_of(ctx)
        short.settlement_id = "stl_test"  # what finance's settlement run will do
    with at(world["finance"]) as ctx:
        assert penalties.penalties_of(ctx) == []
        assert len(penalties.penalties_of(ctx, unsettled=False)) == 1


@pytest.mark.parametrize("kind", ["late", "short", "qc_failed"])
def test_every_packaged_rule_is_dated_and_sourced(kind):
    rule = penalties.rule_for(kind, date(2026, 6, 1), RULES)
    assert rule is not None and rule.source and rule.effective_from <= date(2026, 6, 1)
