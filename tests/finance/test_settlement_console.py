"""The console's Settlement pages: finance runs a week, approves it and confirms the
payouts in the browser; the supplier sees its statement, payout and pending payable."""

from __future__ import annotations

from chuhai.core import events

CYCLE = "2099-W01"  # a week after every line the test posts


def test_finance_pays_a_week_and_the_supplier_sees_its_statement(console, unit, world):
    with unit() as ctx:
        events.publish(
            ctx,
            "stock_up.received",
            order_id="su_1",
            supplier_id=world.supplier_a,
            warehouse_id="CN-GZ",
            currency="CNY",
            amount=250_000,
            accepted=100,
        )
    page = console("finance")
    page.get_by_role("link", name="Settlement").click()
    page.locator("input[name=cycle]").fill(CYCLE)
    page.get_by_role("button", name="Run").click()
    assert page.get_by_test_id("state").inner_text() == "draft"
    assert "CN¥2,500.00" in page.get_by_test_id("statements").inner_text()
    page.get_by_test_id("approve").click()
    assert page.get_by_test_id("state").inner_text() == "approved"
    page.get_by_test_id("confirm").click()
    assert page.get_by_test_id("state").inner_text() == "paid"

    supplier = console("supplier-a")
    supplier.get_by_role("link", name="Settlement").click()
    assert "CN¥0.00" in supplier.get_by_test_id("pending").inner_text()
    assert "confirmed" in supplier.get_by_test_id("payouts").inner_text()
    supplier.get_by_test_id("statements").get_by_role("link").first.click()
    assert "CN¥2,500.00" in supplier.get_by_test_id("net").inner_text()
    assert "su_1" in supplier.get_by_test_id("lines").inner_text()


def test_finance_retries_a_refused_payout_once_the_account_is_fixed(console, unit, world):
    from chuhai.parties import service as parties

    with unit() as ctx:
        events.publish(
            ctx,
            "stock_up.received",
            order_id="su_2",
            supplier_id=world.supplier_b,
            warehouse_id="CN-GZ",
            currency="CNY",
            amount=120_000,
            accepted=10,
        )
    with unit(world["admin"]) as ctx:  # a closed account: the sandbox bank refuses it
        parties.update_supplier(ctx, world.supplier_b, {"bank_account_number": "6222021000999000"})
        parties.verify_supplier(ctx, world.supplier_b, approve=True)
    page = console("finance")
    page.get_by_role("link", name="Settlement").click()
    page.locator("input[name=cycle]").fill(CYCLE)
    page.get_by_role("button", name="Run").click()
    page.get_by_test_id("approve").click()
    assert "closed" in page.get_by_test_id("statements").inner_text()
    with unit(world["admin"]) as ctx:
        parties.update_supplier(ctx, world.supplier_b, {"bank_account_number": "6222021000999111"})
        parties.verify_supplier(ctx, world.supplier_b, approve=True)
    page.get_by_role("button", name="Retry payout").click()
    assert "closed" in page.get_by_test_id("refusals").inner_text()
    page.get_by_test_id("confirm").click()
    assert page.get_by_test_id("state").inner_text() == "paid"
