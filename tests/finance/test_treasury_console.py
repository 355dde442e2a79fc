"""The console's Treasury page: finance books a forward in the form, sees it in the hedge
book with its MTM, and the exposure table shows the net after the hedge; a bad forward is
refused with the field named; the forward is cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chuhai.finance import ledger
from chuhai.finance.ledger import Line

from helpers import import_fx

TODAY = datetime.now(UTC).date()


def test_finance_books_a_forward_and_sees_the_net_after_hedges(console, unit, world):
    import_fx(unit, world, TODAY.isoformat(), {"USD": "0.125"})  # USD→CNY 8
    with unit() as ctx:
        ledger.post(
            ctx,
            [Line("1100-US", 100_000, "USD"), Line("4000-US", -100_000, "USD")],
            description="sale",
            document_type="order",
            document_id="o1",
            event="test",
        )
    page = console("finance")
    page.get_by_role("link", name="Treasury").click()
    assert "$1,000.00" in page.get_by_test_id("net-USD").inner_text()
    form = page.get_by_test_id("forward-form")
    form.locator("input[name=counterparty]").fill("Bank of China Yiwu")
    form.locator("input[name=notional]").fill("600.00")
    form.locator("input[name=contract_rate]").fill("8.1")
    form.locator("input[name=value_date]").fill((TODAY - timedelta(days=1)).isoformat())
    form.get_by_role("button", name="Book forward").click()
    assert "value_date" in page.content() or "in the past" in page.content()
    assert "No forwards yet" in page.get_by_test_id("hedges").inner_text()

    form = page.get_by_test_id("forward-form")
    form.locator("input[name=counterparty]").fill("Bank of China Yiwu")
    form.locator("input[name=notional]").fill("600.00")
    form.locator("input[name=contract_rate]").fill("8.1")
    form.locator("input[name=value_date]").fill((TODAY + timedelta(days=30)).isoformat())
    form.get_by_role("button", name="Book forward").click()
    book = page.get_by_test_id("hedges").inner_text()
    assert "Bank of China Yiwu" in book and "open" in book
    assert "CN¥60.00" in page.get_by_test_id("mtm").inner_text()  # 600 × (8.1 − 8)
    assert "$400.00" in page.get_by_test_id("net-USD").inner_text()  # 1,000 − 600 sold forward
    assert "CN¥3,200.00" in page.get_by_test_id("exposure").inner_text()  # 400 × 8
    assert "USD" in page.get_by_test_id("no-history").inner_text()

    row = page.get_by_test_id("hedges").locator("tr[data-forward]")
    row.locator("input[name=reason]").fill("deal off")
    row.get_by_role("button", name="Cancel").click()
    assert "cancelled" in page.get_by_test_id("hedges").inner_text()
    assert "$1,000.00" in page.get_by_test_id("net-USD").inner_text()
