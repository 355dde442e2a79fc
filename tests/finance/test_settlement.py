"""Supplier settlement: weekly runs read what suppliers are owed from the ledger, statements
reconcile to it to the fen, payouts go through the sandbox bank and settle the penalties."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from chuhai.cli import app
from chuhai.core import events
from chuhai.core.clock import FixedClock
from chuhai.core.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from chuhai.finance import ledger, settlement
from chuhai.finance import statement_documents as documents
from chuhai.finance.bank import SandboxBank
from chuhai.finance.tables import SettlementLineRow
from chuhai.inventory import penalties
from chuhai.parties import service as parties

sys.path.insert(0, str(Path(__file__).parents[1] / "inventory"))

from stock_helpers import START, Skus, Timed, order_of  # noqa: E402

from chuhai.catalog import service as catalog  # noqa: E402
from chuhai.inventory import stockup  # noqa: E402
from chuhai.inventory.stockup import CartonDraft, LineCount  # noqa: E402

from helpers import draft, list_product  # noqa: E402

runner = CliRunner()
WEEK = "2026-W10"  # START, 2026-03-02, is its Monday


@pytest.fixture
def at(db, settings):
    return Timed(db, settings, FixedClock(START))


def _receive_with_penalties(at, unit, world) -> tuple[str, int, int]:
    """Supplier A ships short and some units fail QC: (order id, owed fen, penalties fen)."""
    product_id = list_product(unit, world, draft(), ["US", "DE"])
    with unit() as ctx:
        found = {s.sku_code: s.id for s in catalog.skus_of(ctx.session, product_id)}
    skus = Skus(found["MUG-350-WHT"], found["MUG-350-BLK"], product_id)
    order_id = order_of(at, world, skus, white=100, black=50)
    with at(world["supplier_a"]) as ctx:
        stockup.confirm(ctx, order_id)
        stockup.ship(ctx, order_id, [CartonDraft(skus.white, 90), CartonDraft(skus.black, 50)])
    with at(world["logistics"]) as ctx:
        stockup.receive(
            ctx,
            order_id,
            [LineCount(skus.white, 90, qc_sampled=10, qc_failed=2), LineCount(skus.black, 50)],
        )
        lines = stockup.lines_of(ctx.session, order_id)
        owed = sum(line.accepted * line.unit_price for line in lines)
        fines = sum(p.amount for p in penalties.penalties_of(ctx, stock_up_order_id=order_id))
    return order_id, owed, fines


def _owe(at, supplier_id: str, amount: int, order_id: str, days: int = 0) -> None:
    """A stock-up receipt as the ledger hears of it (the event the dock publishes)."""
    at.clock.advance(START + timedelta(days=days) - at.clock.now())
    with at() as ctx:
        events.publish(
            ctx,
            "stock_up.received",
            order_id=order_id,
            supplier_id=supplier_id,
            warehouse_id="CN-GZ",
            currency="CNY",
            amount=amount,
            accepted=1,
        )


def _fine(at, supplier_id: str, amount: int, penalty_id: str) -> None:
    with at() as ctx:
        events.publish(
            ctx,
            "penalty.created",
            penalty_id=penalty_id,
            supplier_id=supplier_id,
            stock_up_order_id="su_x",
            kind="late",
            amount=amount,
            currency="CNY",
        )


def _supplier_payable(ctx, supplier_id: str) -> int:
    return settlement.pending_for(ctx, supplier_id).payable


def test_a_week_is_settled_from_receipt_to_payout_and_reconciles_to_the_fen(at, unit, world):
    order_id, owed, fines = _receive_with_penalties(at, unit, world)
    assert fines > 0
    with at(world["finance"]) as ctx:
        run = settlement.run_cycle(ctx, WEEK)
        [statement] = settlement.statements_of(ctx.session, run.id)
        assert (statement.supplier_id, statement.owed, statement.deductions) == (
            world.supplier_a,
            owed,
            fines,
        )
        assert statement.net == owed - fines
        view = settlement.get_statement(ctx, statement.id)
        kinds = sorted((line.kind, line.document_id) for line in view.lines)
        assert kinds[-1] == ("receipt", order_id)
        assert {k for k, _ in kinds} == {"penalty", "receipt"}
        assert settlement.check(ctx.session) == []
        run = settlement.approve(ctx, run.id)
        [payout] = settlement.payouts_of(ctx.session, run.id)
        assert (run.state, payout.state, payout.amount) == ("approved", "sent", statement.net)
        assert payout.bank_reference == SandboxBank().reference_for(payout.key)
        assert _supplier_payable(ctx, world.supplier_a) == owed - fines  # not paid yet
    with at(world["finance"]) as ctx:
        [done] = settlement.confirm_payouts(ctx, run.id)
        assert settlement.get_run(ctx, run.id).state == "paid"
        assert _supplier_payable(ctx, world.supplier_a) == 0
        assert ledger.check(ctx.session) == []
        assert penalties.penalties_of(ctx, supplier_id=world.supplier_a) == []  # all settled
        settled = penalties.penalties_of(ctx, supplier_id=world.supplier_a, unsettled=False)
        assert {p.settlement_id for p in settled} == {statement.id}
        states = [(h.from_state, h.to_state) for h in settlement.history_of(ctx.session, run.id)]
        assert states == [(None, "draft"), ("draft", "approved"), ("approved", "paid")]
        assert done.journal_entry_id is not None
    with at(world["finance"]) as ctx, pytest.raises(settlement.CyclePaid) as refused:
        settlement.run_cycle(ctx, WEEK)
    assert refused.value.status == 409
    assert refused.value.extra["cycle"] == WEEK and WEEK in refused.value.detail


def test_running_a_cycle_again_returns_its_run_unchanged(at, world):
    _owe(at, world.supplier_a, 10_000, "su_1")
    with at(world["finance"]) as ctx:
        first = settlement.run_cycle(ctx, WEEK)
    _owe(at, world.supplier_a, 5_000, "su_2", days=1)  # arrives after the run, same week
    with at(world["finance"]) as ctx:
        again = settlement.run_cycle(ctx, " 2026-w10 ")
        assert again.id == first.id
        [statement] = settlement.statements_of(ctx.session, first.id)
        assert (statement.net, statement.line_count) == (10_000, 1)
        # the next week takes what this one did not, and nothing twice
        following = settlement.run_cycle(ctx, "2026-W11")
        [later] = settlement.statements_of(ctx.session, following.id)
        assert (later.net, later.line_count) == (5_000, 1)
        assert settlement.run_cycle(ctx, "2026-W12").id != following.id
        assert settlement.statements_of(ctx.session, settlement.run_cycle(ctx, "2026-W12").id) == []
        assert settlement.check(ctx.session) == []


@pytest.mark.parametrize("cycle", ["2026-48", "2026-W00", "2025-W53", "W48", "", "2026-11-01"])
def test_a_cycle_that_is_not_an_iso_week_is_refused(at, world, cycle):
    with at(world["finance"]) as ctx, pytest.raises(ValidationFailed) as refused:
        settlement.run_cycle(ctx, cycle)
    assert refused.value.field == "cycle"


def test_approving_twice_is_refused(at, world):
    _owe(at, world.supplier_a, 10_000, "su_1")
    with at(world["finance"]) as ctx:
        run = settlement.approve(ctx, settlement.run_cycle(ctx, WEEK).id)
    with at(world["finance"]) as ctx, pytest.raises(InvalidTransition) as refused:
        settlement.approve(ctx, run.id)
    assert refused.value.status == 409
    with at(world["finance"]) as ctx:
        assert len(settlement.payouts_of(ctx.session, run.id)) == 1


def test_a_supplier_without_a_verified_bank_account_is_not_paid(at, world):
    _owe(at, world.supplier_a, 10_000, "su_1")
    _owe(at, world.supplier_b, 20_000, "su_2")
    with at(world["admin"]) as ctx:  # new bank details send the supplier back to review
        b = parties.update_supplier(ctx, world.supplier_b, {"bank_account_number": "62220210"})
        b_code = b.code
    with at(world["finance"]) as ctx:
        run = settlement.run_cycle(ctx, WEEK)
    with at(world["finance"]) as ctx, pytest.raises(settlement.NoVerifiedBankAccount) as refused:
        settlement.approve(ctx, run.id)
    assert refused.value.field == "supplier_id" and b_code in refused.value.detail
    assert refused.value.status == 409
    with at(world["finance"]) as ctx:
        assert settlement.get_run(ctx, run.id).state == "draft"  # nothing was sent
        assert settlement.payouts_of(ctx.session, run.id) == []


def test_a_payment_the_bank_refuses_keeps_the_run_open(at, world):
    _owe(at, world.supplier_a, 10_000, "su_1")
    _owe(at, world.supplier_b, 20_000, "su_2")
    with at(world["admin"]) as ctx:
        parties.update_supplier(ctx, world.supplier_b, {"bank_account_number": "6222021000"})
        parties.update_supplier(
            ctx, world.supplier_b, {"bank_account_number": "622202100099990000"}
        )
        parties.verify_supplier(ctx, world.supplier_b, approve=True)
    with at(world["finance"]) as ctx:
        run = settlement.approve(ctx, settlement.run_cycle(ctx, WEEK).id)
        by_supplier = {p.supplier_id: p for p in settlement.payouts_of(ctx.session, run.id)}
        assert by_supplier[world.supplier_b].state == "refused"
        assert "closed" in by_supplier[world.supplier_b].refusal
        settlement.confirm_payouts(ctx, run.id)
        assert by_supplier[world.supplier_a].state == "confirmed"
        assert settlement.get_run(ctx, run.id).state == "approved"
        assert _supplier_payable(ctx, world.supplier_b) == 20_000


def test_the_sandbox_bank_is_idempotent_by_key_and_checks_accounts():
    from chuhai.finance.bank import PaymentInstruction

    bank = SandboxBank()
    pay = PaymentInstruction("k1", 100, "CNY", "ICBC", "Yiwu Mugs", "1208 0000 0000 0001")
    assert bank.submit(pay) == bank.submit(pay)
    other = PaymentInstruction("k2", 100, "CNY", "ICBC", "Yiwu Mugs", "1208000000000001")
    assert bank.submit(other).reference != bank.submit(pay).reference
    assert bank.confirmed(bank.submit(pay).reference or "")
    assert not bank.submit(PaymentInstruction("k3", 100, "CNY", "ICBC", "Yiwu", "12ab")).accepted
    assert not bank.submit(PaymentInstruction("k4", 100, "USD", "ICBC", "Yiwu", "1" * 16)).accepted
    assert not bank.submit(PaymentInstruction("k5", 0, "CNY", "ICBC", "Yiwu", "1" * 16)).accepted


def test_deductions_beyond_what_is_owed_carry_forward(at, world):
    _owe(at, world.supplier_a, 1_000, "su_1")
    _fine(at, world.supplier_a, 1_500, "pen_1")
    with at(world["finance"]) as ctx:
        run = settlement.run_cycle(ctx, WEEK)
        assert settlement.statements_of(ctx.session, run.id) == []
    _owe(at, world.supplier_a, 4_000, "su_2", days=7)
    with at(world["finance"]) as ctx:
        [statement] = settlement.statements_of(
            ctx.session, settlement.run_cycle(ctx, "2026-W11").id
        )
        assert (statement.owed, statement.deductions, statement.net) == (5_000, 1_500, 3_500)


def test_a_supplier_sees_only_its_own_statements(at, world):
    _owe(at, world.supplier_a, 10_000, "su_1")
    with at(world["finance"]) as ctx:
        [statement] = settlement.statements_of(ctx.session, settlement.run_cycle(ctx, WEEK).id)
    with at(world["supplier_a"]) as ctx:
        assert settlement.get_statement(ctx, statement.id).statement.net == 10_000
        assert [s.id for s, _ in settlement.statements_for(ctx)] == [statement.id]
        assert settlement.pending_for(ctx, world.supplier_a).payable == 10_000
    with at(world["supplier_b"]) as ctx:
        with pytest.raises(NotFound):
            settlement.get_statement(ctx, statement.id)
        assert settlement.statements_for(ctx) == []
        with pytest.raises(NotFound):
            settlement.pending_for(ctx, world.supplier_a)
    with at(world["supplier_a"]) as ctx, pytest.raises(Forbidden):
        settlement.run_cycle(ctx, WEEK)  # suppliers do not run settlements (403)


def test_the_check_finds_a_statement_that_differs_from_the_ledger(at, world):
    _owe(at, world.supplier_a, 10_000, "su_1")
    _owe(at, world.supplier_a, 2_345, "su_2")
    with at(world["finance"]) as ctx:
        run = settlement.run_cycle(ctx, WEEK)
        [statement] = settlement.statements_of(ctx.session, run.id)
        assert statement.net == 12_345
        assert settlement.check(ctx.session) == []
        line = ctx.session.query(SettlementLineRow).first()
        line.amount += 1  # a fen off
        ctx.session.flush()
        [mismatch] = settlement.check(ctx.session)
        assert mismatch.statement_id == statement.id and mismatch.cycle == WEEK
        assert "1 lines differ" in mismatch.detail


def test_statements_print_as_csv_and_pdf(at, world):
    _owe(at, world.supplier_a, 10_000, "su_1")
    _fine(at, world.supplier_a, 250, "pen_1")
    with at(world["finance"]) as ctx:
        [statement] = settlement.statements_of(ctx.session, settlement.run_cycle(ctx, WEEK).id)
        view = settlement.get_statement(ctx, statement.id)
    text = documents.statement_csv(view)
    assert "receipt,stock_up_order,su_1,100.00" in text
    assert "penalty,penalty,pen_1,-2.50" in text
    assert text.rstrip().endswith("net payable,,,97.50,")
    pdf = documents.statement_pdf(view)
    assert pdf.startswith(b"%PDF") and b"Net payable: CNY 97.50" in pdf
    assert documents.statement_pdf(view) == pdf  # the same statement, the same bytes


@pytest.fixture
def env(settings):  # type: ignore[no-untyped-def]
    return {"CHUHAI_DATA_DIR": str(settings.data_dir), "CHUHAI_DATABASE_URL": settings.database_url}


def test_settlement_check_exits_1_on_a_statement_off_by_a_fen(at, world, db, env):
    _owe(at, world.supplier_a, 10_000, "su_1")
    with at(world["finance"]) as ctx:
        settlement.run_cycle(ctx, WEEK)
    ok = runner.invoke(app, ["settlement", "check"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "reconciles to the ledger (1 checked)" in ok.stdout
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE settlement_statements SET net = net + 1"))
    bad = runner.invoke(app, ["settlement", "check", "--json"], env=env)
    assert bad.exit_code == 1
    body = json.loads(bad.stdout)
    assert body["ok"] is False and body["mismatches"][0]["cycle"] == WEEK


def test_a_receipt_reversed_after_it_was_paid_is_deducted_from_the_next_statement(at, world):
    _owe(at, world.supplier_a, 10_000, "su_1")
    with at(world["finance"]) as ctx:
        run = settlement.approve(ctx, settlement.run_cycle(ctx, WEEK).id)
        settlement.confirm_payouts(ctx, run.id)
        [receipt] = ctx.session.scalars(ledger.entries_query(document_id="su_1"))
    _owe(at, world.supplier_a, 4_000, "su_2", days=7)
    with at(world["finance"]) as ctx:
        ledger.reverse_entry(ctx, receipt.id, "the delivery was counted twice")
        run = settlement.run_cycle(ctx, "2026-W11")
        # what is owed (4,000) does not cover the reversal (10,000): no statement; both lines
        # carry forward and the supplier owes the platform the difference
        assert settlement.statements_of(ctx.session, run.id) == []
        assert settlement.pending_for(ctx, world.supplier_a).unsettled == -6_000
        assert _supplier_payable(ctx, world.supplier_a) == -6_000


def test_a_reversal_carries_into_the_next_statement_that_can_take_it(at, world):
    _owe(at, world.supplier_a, 10_000, "su_1")
    with at(world["finance"]) as ctx:
        run = settlement.approve(ctx, settlement.run_cycle(ctx, WEEK).id)
        settlement.confirm_payouts(ctx, run.id)
        [receipt] = ctx.session.scalars(ledger.entries_query(document_id="su_1"))
        ledger.reverse_entry(ctx, receipt.id, "the delivery was counted twice")
    _owe(at, world.supplier_a, 25_000, "su_2", days=7)
    with at(world["finance"]) as ctx:
        [statement] = settlement.statements_of(
            ctx.session, settlement.run_cycle(ctx, "2026-W11").id
        )
        assert (statement.owed, statement.deductions, statement.net) == (25_000, 10_000, 15_000)
        kinds = sorted(line.kind for line in settlement.get_statement(ctx, statement.id).lines)
        assert kinds == ["receipt", "reversal"]
        assert settlement.check(ctx.session) == []
        assert _supplier_payable(ctx, world.supplier_a) == 15_000


def test_a_refused_payout_is_retried_after_the_account_is_fixed(at, world):
    _owe(at, world.supplier_a, 10_000, "su_1")
    _owe(at, world.supplier_b, 20_000, "su_2")
    with at(world["admin"]) as ctx:
        parties.update_supplier(
            ctx, world.supplier_b, {"bank_account_number": "622202100099990000"}
        )
        parties.verify_supplier(ctx, world.supplier_b, approve=True)
    with at(world["finance"]) as ctx:
        run = settlement.approve(ctx, settlement.run_cycle(ctx, WEEK).id)
        settlement.confirm_payouts(ctx, run.id)
        refused = next(
            p for p in settlement.payouts_of(ctx.session, run.id) if p.state == "refused"
        )
        statement_id = refused.statement_id
    with at(world["finance"]) as ctx, pytest.raises(settlement.NoVerifiedBankAccount):
        # still the closed account: the bank would refuse it again
        with at(world["admin"]) as admin:
            parties.update_supplier(admin, world.supplier_b, {"bank_account_number": "62220210"})
        settlement.retry_payout(ctx, statement_id)
    with at(world["admin"]) as ctx:
        parties.update_supplier(ctx, world.supplier_b, {"bank_account_number": "6222021000999911"})
        parties.verify_supplier(ctx, world.supplier_b, approve=True)
    with at(world["finance"]) as ctx:
        payout = settlement.retry_payout(ctx, statement_id)
        assert (payout.state, payout.account_number) == ("sent", "6222021000999911")
        [kept] = settlement.refusals_of(ctx.session, run.id)
        assert "closed" in kept.refusal and kept.account_number == "622202100099990000"
        assert settlement.get_run(ctx, run.id).state == "approved"
        settlement.confirm_payouts(ctx, run.id)
        assert settlement.get_run(ctx, run.id).state == "paid"
        assert _supplier_payable(ctx, world.supplier_b) == 0
        with pytest.raises(InvalidTransition):
            settlement.retry_payout(ctx, statement_id)  # confirmed: nothing to retry


def test_only_finance_retries_and_another_suppliers_statement_is_not_found(at, world):
    _owe(at, world.supplier_b, 20_000, "su_2")
    with at(world["finance"]) as ctx:
        [statement] = settlement.statements_of(ctx.session, settlement.run_cycle(ctx, WEEK).id)
    with at(world["supplier_a"]) as ctx, pytest.raises(NotFound):
        settlement.retry_payout(ctx, statement.id)
    with at(world["supplier_b"]) as ctx, pytest.raises(Forbidden):
        settlement.retry_payout(ctx, statement.id)
    with at(world["finance"]) as ctx, pytest.raises(InvalidTransition):
        settlement.retry_payout(ctx, statement.id)  # a draft: nothing sent yet


def test_a_production_run_received_is_owed_and_settled_like_a_stock_up_order(at, world):
    with at() as ctx:
        events.publish(
            ctx,
            "production_order.received",
            order_id="po_1",
            supplier_id=world.supplier_a,
            product_id="prd_1",
            warehouse_id="CN-GZ",
            accepted=150,
            currency="CNY",
            amount=150 * 1_800,
        )
    with at(world["finance"]) as ctx:
        assert _supplier_payable(ctx, world.supplier_a) == 270_000
        run = settlement.run_cycle(ctx, WEEK)
        [statement] = settlement.statements_of(ctx.session, run.id)
        assert statement.net == 270_000
        lines = ctx.session.scalars(
            select(SettlementLineRow).where(SettlementLineRow.statement_id == statement.id)
        ).all()
        assert [(line.kind, line.document_id) for line in lines] == [("receipt", "po_1")]
