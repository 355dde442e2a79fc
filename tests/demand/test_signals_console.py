"""The console's Demand page: a merchandiser uploads a trend file in the browser, reads the
row-by-row report and the trend finding it reveals; a bad file shows the refused row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

TODAY = datetime.now(UTC).date()
RECENT = (TODAY - timedelta(days=2)).isoformat()
PREVIOUS = (TODAY - timedelta(days=40)).isoformat()
HEADER = "date,market,sku,category,kind,count,query"

pytestmark = pytest.mark.browser


def _upload(page, name: str, *rows: str) -> None:
    content = "\n".join([HEADER, *rows]).encode()
    page.locator("input[name=file]").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_role("button", name="Import").click()


def test_a_merchandiser_uploads_signals_and_sees_the_report_and_a_finding(console, world):
    page = console("merchandiser")
    page.get_by_role("link", name="Demand").click()
    assert "No rising demand" in page.get_by_test_id("findings").inner_text()

    _upload(
        page,
        "steamers.csv",
        f"{PREVIOUS},US,,home.kitchen,search,10,bamboo steamer",
        f"{RECENT},US,,home.kitchen,search,45,bamboo steamer",
        f"{RECENT},US,,home.kitchen,search,45,bamboo steamer",
    )

    summary = page.get_by_test_id("import-summary").inner_text()
    assert summary == "steamers.csv: 2 signals imported from 3 rows, 1 duplicate row counted once"
    report = page.get_by_test_id("import-report").inner_text()
    assert "repeats row 3; counted once" in report
    findings = page.get_by_test_id("findings").inner_text()
    assert "bamboo steamer" in findings and "×4.50" in findings
    assert "Searches for 'bamboo steamer' in home.kitchen in US rose from 10 to 45" in findings
    assert "bamboo steamer" in page.get_by_test_id("searches").inner_text()


def test_a_bad_row_is_shown_and_nothing_is_imported(console, world):
    page = console("merchandiser")
    page.goto("/demand")
    _upload(page, "bad.csv", f"{RECENT},US,NO-SUCH-SKU,,order,3,")
    assert page.get_by_test_id("import-summary").inner_text() == (
        "bad.csv: 1 of 1 row refused; nothing was imported"
    )
    assert "sku: unknown SKU 'NO-SUCH-SKU'" in page.get_by_test_id("import-report").inner_text()
    assert "No searches recorded yet." in page.get_by_test_id("searches").inner_text()
