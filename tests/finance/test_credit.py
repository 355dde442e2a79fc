"""B2B receivables under export credit insurance: limits hold invoices for approval, payments
and claims post balanced entries (the claim's two debits equal the outstanding), overdue
invoices are found by the clock, and every bad input is refused naming its field with
nothing written."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from chuhai.core.auth import SYSTEM, Actor
from chuhai.core.clock import FixedClock
from chuhai.core.context import Context
from chuhai.core.db import Database
from chuhai.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from chuhai.core.money import Money
from chuhai.core.settings import Settings
from chuhai.demo.books import insure_a_b2b_buyer
from chuhai.finance import credit, ledger
from chuhai.finance.credit import InvoiceLine, WaitingPeriodNotOver
from chuhai.finance.credit_tables import (
    CreditBuyerRow,
    CreditInvoiceLineRow,
    CreditInvoiceRow,
    CreditPolicyRow,
)
from chuhai.finance.tables import JournalEntryRow

from helpers import import_fx

TODAY = date(2026, 11, 2)
runner = CliRunner()


@dataclass
class At:
    """`with at(actor) as ctx:` — a committed unit of work on the test's fixed clock."""

    db: Database
    settings: Settings
    clock: FixedClock

    @contextmanager
    def __call__(self, actor: Actor = SYSTEM) -> Iterator[Context]:
        with self.db.unit_of_work() as uow:
            yield Context(uow.session, actor, self.clock, self.settings)
            uow.commit()

    def move_to(self, day: date) -> None:
        self.clock.advance(datetime(day.year, day.month, day.day, 9, tzinfo=UTC) - self.clock.now())


@pytest.fixture
def at(db, settings) -> At:
    return At(db, settings, FixedClock(datetime(2026, 11, 2, 9, tzinfo=UTC)))


@dataclass
class Book:
    buyer_id: str
    policy_id: str


def _book(at: At, world, limit: str = "150000.00", insured: str = "90") -> Book:
    with at(world["finance"]) as ctx:
        buyer = credit.create_buyer(
            ctx,
            name="Acme Imports LLC",
            country_code="US",
            registration_id="US-EIN-12-3456789",
            currency="USD",
            contact_email="ap@acme.example",
        )
        policy = credit.create_policy(
            ctx,
            insurer="Sinosure",
            policy_number="SINO-2026-001",
            insured_percent=insured,
            max_credit_days=90,
            waiting_days=30,
            valid_from=date(2026, 1, 1),
            valid_to=date(2026, 12, 31),
        )
        credit.set_limit(ctx, policy.id, buyer.id, limit, "USD")
    return Book(buyer.id, policy.id)


def _invoice(at: At, world, book: Book, dollars: int, terms: int = 60, **changes):
    lines = changes.pop("lines", [InvoiceLine(dollars, 100, "MUG-350-WHT", "mug")])
    with at(world["finance"]) as ctx:
        return credit.create_invoice(ctx, book.buyer_id, lines, terms_days=terms, **changes)


def _balances(at: At) -> dict[str, int]:
    with at() as ctx:
        return ledger.balances(ctx.session)


def _counts(at: At) -> tuple[int, ...]:
    with at() as ctx:
        return tuple(
            int(ctx.session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (
                CreditBuyerRow,
                CreditPolicyRow,
                CreditInvoiceRow,
                CreditInvoiceLineRow,
                JournalEntryRow,
            )
        )


# --- the happy paths ------------------------------------------------------------------------


def test_an_invoice_within_the_limit_is_issued_and_booked(at, world):
    book = _book(at, world)
    invoice = _invoice(at, world, book, 100_000)  # 100,000.00 USD
    assert invoice.state == "issued"
    assert invoice.due_on == TODAY + timedelta(days=60)
    assert invoice.total == 10_000_000
    assert _balances(at) == {"1200-USD": 10_000_000, "4100-USD": -10_000_000}
    with at(world["finance"]) as ctx:
        assert credit.exposure(ctx, book.buyer_id) == 10_000_000
        [position] = credit.positions(ctx)
        assert position.headroom == 5_000_000
        assert [h.to_state for h in credit.history_of(ctx, invoice.id)] == ["issued"]


def test_an_invoice_beyond_the_limit_is_held_with_the_reason_then_approved(at, world):
    book = _book(at, world)
    _invoice(at, world, book, 100_000)
    held = _invoice(at, world, book, 82_000)
    assert held.state == "held"
    assert held.hold_reason == (
        "exposure 182,000.00 USD would exceed the limit 150,000.00 USD by 32,000.00 USD"
    )
    assert _balances(at)["1200-USD"] == 10_000_000  # a held invoice is not booked
    with at(world["finance"]) as ctx:
        credit.approve(ctx, held.id, "long-standing buyer, Sinosure raising the limit")
        history = credit.history_of(ctx, held.id)
    assert [(h.from_state, h.to_state) for h in history] == [(None, "held"), ("held", "issued")]
    assert history[1].note == "long-standing buyer, Sinosure raising the limit"
    assert history[1].actor_id == world["finance"].user_id
    assert _balances(at)["1200-USD"] == 18_200_000
    with pytest.raises(InvalidTransition) as twice, at(world["finance"]) as ctx:
        credit.approve(ctx, held.id, "again")
    assert twice.value.status == 409 and twice.value.extra["current_state"] == "issued"


def test_a_rejected_invoice_is_never_booked(at, world):
    book = _book(at, world, limit="1000.00")
    held = _invoice(at, world, book, 2_000)
    with at(world["finance"]) as ctx:
        assert credit.reject(ctx, held.id, "over the limit").state == "rejected"
    assert _balances(at) == {}


def test_a_buyer_without_a_policy_is_held(at, world):
    with at(world["finance"]) as ctx:
        buyer = credit.create_buyer(
            ctx,
            name="Tokyo Trading KK",
            country_code="JP",
            registration_id="JP-1234",
            currency="JPY",
            contact_email="buy@tokyo.example",
        )
        invoice = credit.create_invoice(ctx, buyer.id, [InvoiceLine(10, 5_000, "A")], terms_days=30)
    assert invoice.state == "held"
    assert invoice.hold_reason.startswith("no credit insurance policy with a limit for Tokyo")


def test_payments_in_part_then_in_full(at, world):
    book = _book(at, world)
    invoice = _invoice(at, world, book, 1_000)
    with at(world["finance"]) as ctx:
        credit.record_payment(ctx, invoice.id, Money(40_000, "USD"))
        assert credit.get_invoice(ctx, invoice.id).state == "partly_paid"
        credit.record_payment(ctx, invoice.id, Money(60_000, "USD"))
        assert credit.get_invoice(ctx, invoice.id).state == "paid"
        assert credit.exposure(ctx, book.buyer_id) == 0
    got = _balances(at)
    assert got["1300-USD"] == 100_000 and "1200-USD" not in got


def test_a_payment_settled_in_cny_books_the_realised_fx_result(at, unit, world):
    import_fx(unit, world, "2026-11-02", {"USD": "0.1400"})  # 1 USD = 7.142857 CNY
    import_fx(unit, world, "2026-11-09", {"USD": "0.1410"})  # 7.092199 CNY
    book = _book(at, world)
    invoice = _invoice(at, world, book, 100)
    at.move_to(date(2026, 11, 9))
    with at(world["finance"]) as ctx:
        payment = credit.record_payment(ctx, invoice.id, Money(10_000, "USD"), settle_in_cny=True)
        assert payment.received_in == "CNY"
        assert ledger.check(ctx.session) == []
        assert credit.check(ctx.session) == []
    got = _balances(at)
    assert got["1300-CNY"] == 70_922
    assert got["4950-CNY"] == 507  # realised loss: booked at 714.29 CNY
    assert "1200-USD" not in got


def test_overdue_by_the_clock_then_claimed_and_paid_by_the_insurer(at, world):
    book = _book(at, world, insured="87.5")
    invoice = _invoice(at, world, book, 1, terms=30, lines=[InvoiceLine(3, 333_333, "X")])
    with at(world["finance"]) as ctx:
        credit.record_payment(ctx, invoice.id, Money(1, "USD"))  # outstanding 9,999.98
    at.move_to(TODAY + timedelta(days=30))
    with at(world["finance"]) as ctx:
        assert credit.mark_overdue(ctx) == []  # due today: not overdue yet
    at.move_to(TODAY + timedelta(days=31))
    with at(world["finance"]) as ctx:
        assert [i.id for i in credit.mark_overdue(ctx)] == [invoice.id]
    with pytest.raises(WaitingPeriodNotOver) as early, at(world["finance"]) as ctx:
        credit.claim(ctx, invoice.id)
    assert early.value.status == 409 and early.value.field == "waiting_days"
    assert early.value.extra["claim_opens_on"] == "2027-01-01"
    at.move_to(date(2027, 1, 1))
    with at(world["finance"]) as ctx:
        claimed = credit.claim(ctx, invoice.id, "insolvency filed")
        # 87.5 % of 999,998 cents = 874,998.25, rounded half up to 874,998; the rest is lost
        assert (claimed.insured_claim, claimed.credit_loss) == (874_998, 125_000)
        assert claimed.insured_claim + claimed.credit_loss == 999_998
        entry = ctx.session.scalar(
            select(JournalEntryRow).where(JournalEntryRow.event_key == f"credit.claim:{invoice.id}")
        )
        lines = {line.account_code: line.amount for line in ledger.lines_of(ctx.session, entry.id)}
    assert lines == {"1250-USD": 874_998, "5400-USD": 125_000, "1200-USD": -999_998}
    with pytest.raises(InvalidTransition) as again, at(world["finance"]) as ctx:
        credit.claim(ctx, invoice.id)
    assert again.value.extra["current_state"] == "claimed"
    with at(world["finance"]) as ctx:
        assert credit.settle_claim(ctx, invoice.id).state == "claim_paid"
        states = [h.to_state for h in credit.history_of(ctx, invoice.id)]
        assert ledger.check(ctx.session) == []
        assert credit.check(ctx.session) == []
    assert states == ["issued", "partly_paid", "overdue", "claimed", "claim_paid"]
    got = _balances(at)
    assert got["1300-USD"] == 1 + 874_998 and got["5400-USD"] == 125_000
    assert "1250-USD" not in got and "1200-USD" not in got


@pytest.mark.parametrize(
    ("outstanding", "basis_points", "insured"),
    [
        pytest.param(999_998, 8750, 874_998, id="quarter rounds down"),
        pytest.param(3, 5000, 2, id="half rounds up"),
        pytest.param(1_000, 10000, 1_000, id="fully insured"),
        pytest.param(7, 1, 0, id="a sliver rounds to nothing"),
    ],
)
def test_a_claim_splits_exactly(outstanding, basis_points, insured):
    assert credit.split_claim(outstanding, basis_points) == (insured, outstanding - insured)


def test_mark_overdue_from_the_cli(at, world, monkeypatch, settings):
    from chuhai.cli import app

    book = _book(at, world)
    invoice = _invoice(at, world, book, 10, terms=0, issued_on=date(2026, 1, 5))
    monkeypatch.setenv("CHUHAI_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CHUHAI_DATA_DIR", str(settings.data_dir))
    result = runner.invoke(app, ["credit", "mark-overdue"])
    assert result.exit_code == 0, result.output
    assert invoice.id in result.output
    checked = runner.invoke(app, ["credit", "check"])
    assert checked.exit_code == 0, checked.output
    assert "1 B2B invoice(s) agree with the ledger" in checked.output
    with at(world["finance"]) as ctx:
        assert credit.get_invoice(ctx, invoice.id).state == "overdue"


def test_the_example_book_for_the_demo(at, world):
    with at(world["finance"]) as ctx:
        example = insure_a_b2b_buyer(ctx)
        states = {
            name: credit.get_invoice(ctx, getattr(example, name).id).state
            for name in ("issued", "held", "overdue", "claimed")
        }
        assert ledger.check(ctx.session) == []
    assert states == {
        "issued": "issued",
        "held": "held",
        "overdue": "overdue",
        "claimed": "claimed",
    }
    assert example.held.hold_reason.startswith("exposure 183,000.00 EUR would exceed")
    with at() as ctx:
        assert credit.check(ctx.session) == []


def test_the_check_finds_an_invoice_that_differs_from_the_ledger(at, world, db):
    book = _book(at, world)
    invoice = _invoice(at, world, book, 1_000)
    with at() as ctx:
        assert credit.check(ctx.session) == []
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE credit_invoices SET paid = 100"))
    with at() as ctx:
        [found] = credit.check(ctx.session)
    assert found == credit.Mismatch(invoice.id, "1200-USD: ledger 100000, invoice 99900")


# --- bad input ------------------------------------------------------------------------------


BUYER = dict(
    name="Acme",
    country_code="US",
    registration_id="R-1",
    currency="USD",
    contact_email="a@acme.example",
)
POLICY = dict(
    insurer="Sinosure",
    policy_number="P-1",
    insured_percent="90",
    max_credit_days=90,
    waiting_days=30,
    valid_from=date(2026, 1, 1),
    valid_to=date(2026, 12, 31),
)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"currency": "CHF"}, "currency", id="no trade receivable account"),
        pytest.param({"country_code": "XX"}, "country_code", id="unknown country"),
        pytest.param({"contact_email": "nobody"}, "contact_email", id="not an e-mail"),
        pytest.param({"name": " "}, "name", id="blank name"),
    ],
)
def test_bad_buyers_are_refused(at, world, changes, field):
    before = _counts(at)
    with pytest.raises(ValidationFailed) as refused, at(world["finance"]) as ctx:
        credit.create_buyer(ctx, **{**BUYER, **changes})
    assert refused.value.field == field
    assert _counts(at) == before


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        pytest.param({"insured_percent": "0"}, "insured_percent", "more than 0", id="zero"),
        pytest.param({"insured_percent": "100.01"}, "insured_percent", "at most 100", id="over"),
        pytest.param({"insured_percent": "87.125"}, "insured_percent", "2 decimal", id="decimals"),
        pytest.param({"insured_percent": "lots"}, "insured_percent", "not a number", id="text"),
        pytest.param({"valid_to": date(2025, 12, 31)}, "valid_to", "inverted", id="inverted"),
        pytest.param({"max_credit_days": 0}, "max_credit_days", "1 to", id="no credit days"),
        pytest.param({"waiting_days": -1}, "waiting_days", "0 to", id="negative waiting"),
    ],
)
def test_bad_policies_are_refused(at, world, changes, field, words):
    before = _counts(at)
    with pytest.raises(ValidationFailed) as refused, at(world["finance"]) as ctx:
        credit.create_policy(ctx, **{**POLICY, **changes})
    assert refused.value.field == field and words in refused.value.detail
    assert _counts(at) == before


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        pytest.param("0", "USD", "amount", id="zero"),
        pytest.param("-5", "USD", "amount", id="negative"),
        pytest.param("10.001", "USD", "amount", id="too many decimals"),
        pytest.param("10", "EUR", "currency", id="not the buyer's currency"),
    ],
)
def test_bad_limits_are_refused(at, world, amount, currency, field):
    book = _book(at, world, limit="500.00")
    with pytest.raises(ValidationFailed) as refused, at(world["finance"]) as ctx:
        credit.set_limit(ctx, book.policy_id, book.buyer_id, amount, currency)
    assert refused.value.field == field
    with at(world["finance"]) as ctx:
        assert credit.limit_on(ctx, book.buyer_id, TODAY)[1].amount == 50_000  # unchanged


@pytest.mark.parametrize(
    ("lines", "terms", "field"),
    [
        pytest.param([], 30, "lines", id="no lines"),
        pytest.param([InvoiceLine(0, 100, "A")], 30, "lines[0].quantity", id="zero quantity"),
        pytest.param([InvoiceLine(1, 0, "A")], 30, "lines[0].unit_price", id="zero price"),
        pytest.param([InvoiceLine(1, 100)], 30, "lines[0].description", id="nothing named"),
        pytest.param([InvoiceLine(1, 100, "A")], 91, "terms_days", id="beyond the policy"),
    ],
)
def test_bad_invoices_are_refused_with_nothing_written(at, world, lines, terms, field):
    book = _book(at, world)
    before = _counts(at)
    with pytest.raises(ValidationFailed) as refused, at(world["finance"]) as ctx:
        credit.create_invoice(ctx, book.buyer_id, lines, terms_days=terms)
    assert refused.value.field == field
    assert _counts(at) == before


def test_terms_beyond_the_policy_name_its_maximum(at, world):
    book = _book(at, world)
    with pytest.raises(ValidationFailed) as refused, at(world["finance"]) as ctx:
        credit.create_invoice(ctx, book.buyer_id, [InvoiceLine(1, 100, "A")], terms_days=120)
    assert "maximum credit period of 90 days" in refused.value.detail


@pytest.mark.parametrize(
    ("amount", "field"),
    [
        pytest.param(Money(100_001, "USD"), "amount", id="more than the outstanding"),
        pytest.param(Money(0, "USD"), "amount", id="zero"),
        pytest.param(Money(100, "EUR"), "currency", id="wrong currency"),
        pytest.param(Money(100, "CNY"), "currency", id="CNY without settlement"),
    ],
)
def test_bad_payments_are_refused(at, world, amount, field):
    book = _book(at, world)
    invoice = _invoice(at, world, book, 1_000)
    before = _counts(at)
    with pytest.raises(ValidationFailed) as refused, at(world["finance"]) as ctx:
        credit.record_payment(ctx, invoice.id, amount)
    assert refused.value.field == field
    assert _counts(at) == before


def test_a_payment_dated_before_the_invoice_is_refused(at, world):
    book = _book(at, world)
    invoice = _invoice(at, world, book, 1_000)
    with pytest.raises(ValidationFailed) as refused, at(world["finance"]) as ctx:
        credit.record_payment(
            ctx, invoice.id, Money(100, "USD"), received_on=TODAY - timedelta(days=1)
        )
    assert refused.value.field == "received_on"


def test_payments_on_a_held_invoice_are_refused_naming_the_state(at, world):
    book = _book(at, world, limit="1.00")
    held = _invoice(at, world, book, 1_000)
    with pytest.raises(InvalidTransition) as refused, at(world["finance"]) as ctx:
        credit.record_payment(ctx, held.id, Money(100, "USD"))
    assert refused.value.extra["current_state"] == "held"


def test_claims_on_an_invoice_that_is_not_overdue_are_refused(at, world):
    book = _book(at, world)
    invoice = _invoice(at, world, book, 1_000)
    with pytest.raises(InvalidTransition) as refused, at(world["finance"]) as ctx:
        credit.claim(ctx, invoice.id)
    assert refused.value.extra["current_state"] == "issued"
    assert "cannot claim a B2B invoice that is issued" in refused.value.detail


def test_an_uninsured_overdue_invoice_cannot_be_claimed(at, world):
    with at(world["finance"]) as ctx:
        buyer = credit.create_buyer(ctx, **BUYER)
        invoice = credit.create_invoice(
            ctx, buyer.id, [InvoiceLine(1, 100, "A")], terms_days=0, issued_on=date(2026, 1, 1)
        )
        credit.approve(ctx, invoice.id, "prepaid deposit held")
        credit.mark_overdue(ctx)
    with pytest.raises(Conflict) as refused, at(world["finance"]) as ctx:
        credit.claim(ctx, invoice.id)
    assert refused.value.field == "policy_id"


def test_only_finance_manages_credit(at, world):
    with pytest.raises(Forbidden), at(world["merchandiser"]) as ctx:
        credit.create_buyer(ctx, **BUYER)
    with pytest.raises(Forbidden), at(world["supplier_a"]) as ctx:
        credit.list_invoices(ctx)
    with at(world["admin"]) as ctx:
        assert credit.list_invoices(ctx) == []


# --- races ----------------------------------------------------------------------------------


def _race(count: int, work) -> list[str]:
    outcomes: list[str] = []
    barrier = threading.Barrier(count)

    def run() -> None:
        barrier.wait()
        try:
            outcomes.append(work())
        except ValidationFailed as refused:
            outcomes.append(f"refused {refused.field}")

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_racing_invoices_never_share_the_same_headroom(at, world):
    book = _book(at, world)  # 150,000.00 USD

    def invoice() -> str:
        return _invoice(at, world, book, 40_000).state

    assert _race(6, invoice) == ["held"] * 3 + ["issued"] * 3


def test_racing_payments_never_exceed_the_outstanding(at, world):
    book = _book(at, world)
    invoice = _invoice(at, world, book, 100_000)

    def pay() -> str:
        with at(world["finance"]) as ctx:
            return credit.record_payment(ctx, invoice.id, Money(3_000_000, "USD")).currency

    assert _race(5, pay) == ["USD"] * 3 + ["refused amount"] * 2
    with at(world["finance"]) as ctx:
        assert credit.get_invoice(ctx, invoice.id).paid == 9_000_000
