"""The console's Ledger page: the trial balance per currency and in CNY, statements, entries
with their lines and documents, the IOSS return; finance only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest

from chuhai.finance import ledger
from chuhai.finance.ledger import Line

from helpers import import_fx

PASSWORD = "correct-horse-battery"


@pytest.fixture
def sale(unit, world):  # type: ignore[no-untyped-def]
    today = datetime.now(UTC).date()
    import_fx(unit, world, today.isoformat(), {"EUR": "0.125"})
    with unit() as ctx:
        return ledger.post(
            ctx,
            [
                Line("1100-DE", 11900, "EUR"),
                Line("4000-DE", -10000, "EUR"),
                Line("2200-DE-IOSS", -1900, "EUR", "VAT"),
            ],
            description="payment captured for order TEST1",
            document_type="order",
            document_id="ord_test1",
            event="payment.captured",
            market_code="DE",
        )


@contextmanager
def _signed_in(live_server: str, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=30) as http:
        answer = http.post("/login", data={"username": username, "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        yield http


def test_only_finance_and_admin_see_the_ledger(live_server, world):
    with _signed_in(live_server, "merchandiser") as http:
        assert http.get("/ledger").status_code == 403
        assert 'href="/ledger"' not in http.get("/").text


def test_without_a_rate_into_cny_the_page_says_so_and_shows_each_currency(live_server, world, unit):
    with unit() as ctx:
        ledger.post(
            ctx,
            [Line("1100-US", 500, "USD"), Line("4000-US", -500, "USD")],
            description="sale",
            document_type="order",
            document_id="o1",
            event="test",
        )
    with _signed_in(live_server, "finance") as http:
        page = http.get("/ledger").text
    assert "no USD→CNY rate" in page
    assert 'data-account="1100-US"' in page


def test_finance_reads_the_trial_balance_a_statement_an_entry_and_the_ioss_return(console, sale):
    page = console("finance")
    page.get_by_role("link", name="Ledger").click()
    assert "balanced" in page.get_by_test_id("balanced").inner_text()
    row = page.locator("tr[data-account='1100-DE']").inner_text()
    assert "€119.00" in row and "CN¥952.00" in row

    page.locator("tr[data-account='1100-DE']").get_by_role("link").click()
    assert "€119.00" in page.get_by_test_id("closing").inner_text()
    page.get_by_role("link", name=sale.id).click()
    lines = page.get_by_test_id("lines").inner_text()
    assert "2200-DE-IOSS" in lines and "€19.00" in lines

    page.get_by_role("link", name="Ledger").first.click()
    page.get_by_role("link", name="VAT payable — DE (IOSS)").first.click()
    assert "€19.00" in page.get_by_test_id("net").inner_text()


def test_finance_reads_the_balance_sheet_and_the_income_statement(console, sale):
    page = console("finance")
    page.get_by_role("link", name="Ledger").click()
    page.get_by_test_id("statements-link").click()
    assert "balances in every currency" in page.get_by_test_id("sheet-balanced").inner_text()
    assets = page.get_by_test_id("sheet-assets").inner_text()
    assert "1100-DE" in assets and "CN¥952.00" in assets
    assert "2200-DE-IOSS" in page.get_by_test_id("sheet-liabilities").inner_text()
    assert "Profit: CN¥800.00" in page.get_by_test_id("profit").inner_text()
    page.locator("input[name=start]").fill("2099-01-01")
    page.get_by_role("button", name="Show").click()
    assert "on or before" in page.get_by_test_id("refusal").inner_text()
