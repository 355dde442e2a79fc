"""The console's FX rates page: today's rates from CNY, lookups, the newest rates with stale
ones flagged, and finance's CSV import and ECB load (in a browser where it matters)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from chuhai.finance.service import ecb_history

PASSWORD = "correct-horse-battery"
SHOTS = os.environ.get("CHUHAI_SCREENSHOTS")  # a folder: browser tests save screenshots there
BOC_CSV = b"date,base,quote,rate,source\n2025-01-31,CNY,USD,0.1375,BOC\n"


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


class Console:
    """A signed-in console session over plain HTTP."""

    def __init__(self, base_url: str, username: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        answer = self.http.post("/login", data={"username": username, "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        self.csrf = ""
        self.get("/tokens")  # any page carries the session's CSRF token

    def get(self, url: str) -> httpx.Response:
        answer = self.http.get(url)
        found = re.search(r'name="csrf_token" value="([^"]+)"', answer.text)
        if found:
            self.csrf = found.group(1)
        return answer

    def post(self, url: str, data: dict | None = None, files: dict | None = None) -> httpx.Response:
        return self.http.post(url, data={"csrf_token": self.csrf, **(data or {})}, files=files)


@pytest.fixture
def sign_in(live_server, world) -> Iterator:  # type: ignore[no-untyped-def]
    opened: list[Console] = []

    def open_as(username: str) -> Console:
        opened.append(Console(live_server, username))
        return opened[-1]

    yield open_as
    for console in opened:
        console.http.close()


def test_suppliers_do_not_see_fx_rates(sign_in):
    console = sign_in("supplier-a")

    assert "/fx" not in console.get("/").text
    assert console.get("/fx").status_code == 403


def test_operators_read_rates_but_only_finance_sees_the_import_and_load_forms(sign_in):
    merchandiser = sign_in("merchandiser").get("/fx")
    finance = sign_in("finance").get("/fx")

    assert merchandiser.status_code == 200 and 'href="/fx"' in merchandiser.text
    assert 'data-testid="import-form"' not in merchandiser.text
    assert 'data-testid="import-form"' in finance.text and 'data-testid="ecb-load"' in finance.text


def test_todays_rates_from_cny_are_refused_when_the_newest_is_stale(sign_in):
    finance = sign_in("finance")
    finance.post("/fx/imports", files={"file": ("boc.csv", BOC_CSV, "text/csv")})
    today = datetime.now(UTC).date()

    page = finance.get("/fx").text

    market_rates = page.split('data-testid="market-rates"')[1].split("</table>")[0]
    assert (
        f"no CNY→USD rate on or before {today.isoformat()} within 7 days (newest: 2025-01-31)"
        in (market_rates)
    )
    assert "none on record" in market_rates  # GBP, JPY, AUD: nothing stored at all


def test_a_rates_file_with_a_bad_row_is_shown_again_with_every_problem(sign_in):
    finance = sign_in("finance")

    answer = finance.post(
        "/fx/imports",
        files={"file": ("boc.csv", BOC_CSV + b"2025-01-31,CNY,XYZ,1,BOC\n", "text/csv")},
    )

    assert answer.status_code == 422
    assert "Nothing was imported." in answer.text
    assert "unknown ISO 4217 currency code &#39;XYZ&#39;" in answer.text
    assert "No rates stored yet." in answer.text


def test_finance_loads_the_ecb_rates_from_the_page(sign_in):
    finance = sign_in("finance")
    since = ecb_history().last_day - timedelta(days=3)

    answer = finance.post("/fx/ecb-loads", {"since": since.isoformat()})

    assert answer.status_code == 303
    notice = finance.get(answer.headers["location"]).text
    assert "Stored " in notice and "(EUR to AUD, CNY, GBP, JPY, USD)" in notice
    bad = finance.post("/fx/ecb-loads", {"since": "next week"})
    assert "is+not+a+date" in bad.headers["location"]


@pytest.mark.browser
def test_finance_imports_a_banks_rates_and_looks_one_up(world, console, tmp_path):
    rates = tmp_path / "boc.csv"
    rates.write_bytes(BOC_CSV)
    page = console("finance")
    page.get_by_role("link", name="FX rates").click()

    page.get_by_test_id("import-form").get_by_label("Rates file, CSV").set_input_files(rates)
    page.get_by_test_id("import").click()

    assert "1 row, 1 rate added, no errors" in page.get_by_test_id("import-ok").inner_text()
    newest = page.locator("tr[data-pair='CNYUSD'][data-source='BOC']").inner_text()
    assert "0.1375" in newest and "2025-01-31" in newest and "stale" in newest

    lookup = page.get_by_test_id("lookup")
    lookup.get_by_label("To").fill("usd")
    lookup.get_by_label("On").fill("2025-02-02")
    lookup.get_by_role("button", name="Look up").click()
    result = page.get_by_test_id("lookup-result").inner_text()
    assert "1 CNY = 0.1375 USD" in result and "2025-01-31" in result and "BOC" in result

    lookup = page.get_by_test_id("lookup")
    lookup.get_by_label("On").fill("2025-02-10")
    lookup.get_by_role("button", name="Look up").click()
    assert page.get_by_test_id("lookup-refused").inner_text() == (
        "no CNY→USD rate on or before 2025-02-10 within 7 days (newest: 2025-01-31)"
    )
    shot(page, "fx-rates")
