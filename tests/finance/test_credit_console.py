"""The console's B2B credit page: finance approves an invoice held beyond the buyer's limit,
marks an old invoice overdue and claims it from the insurer, in the browser."""

from __future__ import annotations

from datetime import date, timedelta

from chuhai.finance import credit
from chuhai.finance.credit import InvoiceLine


def test_finance_approves_a_held_invoice_and_claims_an_overdue_one(console, unit, world):
    today = date.today()
    with unit(world["finance"]) as ctx:
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
            insured_percent="90",
            max_credit_days=90,
            waiting_days=0,
            valid_from=today - timedelta(days=400),
            valid_to=today + timedelta(days=400),
        )
        credit.set_limit(ctx, policy.id, buyer.id, "150000.00", "USD")
        late = credit.create_invoice(
            ctx,
            buyer.id,
            [InvoiceLine(1_000, 1_000, "MUG-350-WHT")],  # 10,000.00 USD, due 30 days ago
            terms_days=60,
            issued_on=today - timedelta(days=90),
        )
        held = credit.create_invoice(
            ctx, buyer.id, [InvoiceLine(1_000, 15_000, "MUG-350-BLK")], terms_days=60
        )
    assert held.state == "held"

    page = console("finance")
    page.get_by_role("link", name="B2B credit").click()
    row = page.get_by_test_id("held").locator(f"tr[data-invoice='{held.id}']")
    assert "would exceed the limit 150,000.00 USD by 10,000.00 USD" in row.inner_text()
    row.locator("input[name=reason]").fill("Sinosure agreed a higher limit by phone")
    row.get_by_role("button", name="Approve").click()
    assert "Nothing held." in page.get_by_test_id("held").inner_text()
    assert held.id in page.get_by_test_id("open").inner_text()
    assert "$160,000.00" in page.get_by_test_id("buyers").inner_text()  # exposure

    page.get_by_test_id("open").get_by_role("link", name=held.id).click()
    assert "Sinosure agreed a higher limit by phone" in page.get_by_test_id("history").inner_text()
    assert "(Finance)" in page.get_by_test_id("history").inner_text()
    page.locator("input[name=amount]").fill("50000.00")
    page.get_by_role("button", name="Record payment").click()
    assert page.get_by_test_id("state").inner_text() == "partly_paid"
    assert page.get_by_test_id("outstanding").inner_text() == "$100,000.00"
    page.get_by_role("link", name="Back to B2B credit").click()
    assert "$110,000.00" in page.get_by_test_id("buyers").inner_text()  # exposure now

    page.get_by_test_id("mark-overdue").click()
    overdue = page.get_by_test_id("overdue").locator(f"tr[data-invoice='{late.id}']")
    overdue.get_by_role("button", name="Claim").click()
    claims = page.get_by_test_id("claims").inner_text()
    assert "$9,000.00" in claims and "$1,000.00" in claims
    page.get_by_role("button", name="Insurer paid").click()
    assert "claim_paid" in page.get_by_test_id("claims").inner_text()
    with unit(world["finance"]) as ctx:
        history = credit.history_of(ctx, held.id)
    assert [(h.to_state, h.note) for h in history] == [
        ("held", held.hold_reason),
        ("issued", "Sinosure agreed a higher limit by phone"),
        ("partly_paid", "received 50,000.00 USD"),
    ]
