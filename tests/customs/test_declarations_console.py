"""The console's customs pages: the declaration list (by mode and state), a declaration's page
with its lines, matching, the authority's answers, history and documents, its actions, and
the 9610 consolidation form — in a browser where it matters, plain HTTP otherwise."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from chuhai.customs import declaration_service as customs
from chuhai.customs.declarations import period_of

from declaration_examples import draft, parcel_body, warehouse_body

PASSWORD = "correct-horse-battery"


def made(unit, world, body: dict, *, filed: bool = False) -> str:  # type: ignore[no-untyped-def]
    with unit(world["customs"]) as ctx:
        declaration_id = customs.create_declaration(ctx, draft(body)).id
        if filed:
            customs.submit(ctx, declaration_id)
    return declaration_id


def number_of(unit, declaration_id: str) -> str:  # type: ignore[no-untyped-def]
    with unit() as ctx:
        return customs.visible_declaration(ctx, declaration_id).number


def held_body() -> dict:
    body = warehouse_body()
    body["lines"][0]["quantity"] = 2000  # 6,400.00 EUR: above the sandbox's 4,600.00 EUR
    return body


class Console:
    """A signed-in console session over plain HTTP."""

    def __init__(self, base_url: str, username: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        answer = self.http.post("/login", data={"username": username, "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        self.csrf = ""

    def get(self, url: str) -> httpx.Response:
        answer = self.http.get(url)
        found = re.search(r'name="csrf_token" value="([^"]+)"', answer.text)
        if found:
            self.csrf = found.group(1)
        return answer

    def post(self, url: str, data: dict | None = None) -> httpx.Response:
        return self.http.post(url, data={"csrf_token": self.csrf, **(data or {})})


@pytest.fixture
def sign_in(live_server, world) -> Iterator:  # type: ignore[no-untyped-def]
    opened: list[Console] = []

    def open_as(username: str) -> Console:
        console = Console(live_server, username)
        console.get("/tokens")
        opened.append(console)
        return console

    yield open_as
    for console in opened:
        console.http.close()


# --- plain HTTP ---------------------------------------------------------------------------------


def test_the_list_filters_by_mode_and_state(unit, world, sign_in):
    parcel = made(unit, world, parcel_body(), filed=True)
    consignment = made(unit, world, warehouse_body())
    console = sign_in("finance")

    every = console.get("/customs/declarations")
    assert every.status_code == 200
    assert number_of(unit, parcel) in every.text and number_of(unit, consignment) in every.text
    assert re.search(r'<a href="/customs/declarations" class="active">Customs</a>', every.text)
    by_mode = console.get("/customs/declarations?mode=9810").text
    assert number_of(unit, consignment) in by_mode and number_of(unit, parcel) not in by_mode
    cleared = console.get("/customs/declarations?state=cleared").text
    assert number_of(unit, parcel) in cleared and number_of(unit, consignment) not in cleared
    assert "No declarations in mode 1210" in console.get("/customs/declarations?mode=1210").text


def test_a_supplier_cannot_open_the_customs_pages(world, sign_in):
    page = sign_in("supplier-a").get("/customs/declarations")
    assert page.status_code == 403


def test_a_rejected_declaration_shows_the_authoritys_reasons_and_the_way_back(unit, world, sign_in):
    body = warehouse_body()
    body["lines"][0].update(hs_code="930320", description="Hunting shotgun")
    declaration_id = made(unit, world, body, filed=True)
    console = sign_in("customs")

    page = console.get(f"/customs/declarations/{declaration_id}").text
    assert 'data-state="rejected"' in page
    assert 'data-field="lines[0].hs_code"' in page and "export licence" in page
    assert 'data-testid="revise-form"' in page and 'data-testid="submit-form"' not in page

    back = console.post(f"/customs/declarations/{declaration_id}/actions/revise", {"note": "fix"})
    assert back.status_code == 303
    assert 'data-state="draft"' in console.get(back.headers["location"]).text


def test_someone_who_may_not_declare_sees_no_actions_and_is_refused(unit, world, sign_in):
    declaration_id = made(unit, world, warehouse_body())
    console = sign_in("merchandiser")
    page = console.get(f"/customs/declarations/{declaration_id}").text
    assert 'data-testid="submit-form"' not in page
    refused = console.post(f"/customs/declarations/{declaration_id}/actions/submit")
    assert refused.status_code == 303
    assert "customs.declare" in console.get(refused.headers["location"]).text
    with unit() as ctx:
        assert customs.visible_declaration(ctx, declaration_id).state == "draft"


def test_an_illegal_action_comes_back_naming_the_state(unit, world, sign_in):
    declaration_id = made(unit, world, warehouse_body(), filed=True)
    console = sign_in("customs")
    console.get(f"/customs/declarations/{declaration_id}")
    answer = console.post(f"/customs/declarations/{declaration_id}/actions/cancel", {"reason": "x"})
    assert (
        "cannot cancel a declaration that is cleared"
        in console.get(answer.headers["location"]).text
    )


def test_cleared_parcels_are_consolidated_from_the_console(unit, world, sign_in):
    ids = [made(unit, world, parcel_body(n), filed=True) for n in ("SO-5001", "SO-5002")]
    period = period_of(datetime.now(UTC))
    console = sign_in("customs")
    form = console.get(f"/customs/consolidate?period={period}").text
    assert all(number_of(unit, i) in form for i in ids)

    made_it = console.http.post(
        "/customs/consolidate",
        data={"csrf_token": console.csrf, "period": period, "parcel_ids": ids},
    )
    assert made_it.status_code == 303
    page = console.get(made_it.headers["location"]).text
    assert "Consolidated 2 parcel(s)" in page and "consolidated" in page
    assert all(number_of(unit, i) in page for i in ids)
    assert "No cleared parcel waits" in console.get("/customs/consolidate").text


def test_the_documents_download_from_the_console(unit, world, sign_in):
    declaration_id = made(unit, world, parcel_body())
    console = sign_in("logistics")
    invoice = console.get(
        f"/customs/declarations/{declaration_id}/documents/commercial-invoice.json"
    )
    assert invoice.json()["total"] == "34.48"
    packing = console.get(f"/customs/declarations/{declaration_id}/documents/packing-list.pdf")
    assert packing.headers["content-type"] == "application/pdf"
    assert packing.content.startswith(b"%PDF-")


# --- in the browser -----------------------------------------------------------------------------


@pytest.mark.browser
def test_a_broker_files_a_parcel_and_downloads_its_invoice(unit, world, console, tmp_path: Path):
    declaration_id = made(unit, world, parcel_body())
    number = number_of(unit, declaration_id)
    page = console("customs")
    page.get_by_role("link", name="Customs", exact=True).click()
    page.get_by_test_id("mode-9610").click()
    page.get_by_role("link", name=number).click()

    assert page.get_by_test_id("state").inner_text() == "draft"
    assert page.get_by_test_id("matching-result").inner_text() == "matched"
    lines = page.get_by_test_id("lines").inner_text()
    assert "350 ml stoneware mug" in lines and "691200" in lines and "$25.98" in lines
    page.get_by_role("button", name="Submit to customs").click()

    assert page.get_by_test_id("state").inner_text() == "cleared"
    assert "Cleared by customs" in page.get_by_role("status").inner_text()
    assert "Cleared by customs" in page.get_by_test_id("history").inner_text()
    with page.expect_download() as download:
        page.get_by_test_id("commercial-invoice-pdf").click()
    saved = tmp_path / "invoice.pdf"
    download.value.save_as(saved)
    content = saved.read_bytes()
    assert content.startswith(b"%PDF-") and f"CI-{number}".encode() in content


@pytest.mark.browser
def test_a_held_declaration_is_answered_and_resubmitted(unit, world, console):
    declaration_id = made(unit, world, held_body(), filed=True)
    page = console("customs")
    page.goto(f"/customs/declarations/{declaration_id}")

    assert page.get_by_test_id("state").inner_text() == "held"
    reasons = page.get_by_test_id("authority-reasons").inner_text()
    assert "total_value" in reasons and "6400.00 EUR > 4600.00 EUR" in reasons
    page.get_by_label("Answer to the hold").fill("Inspected 12 March: 2,000 tote bags as declared")
    page.get_by_role("button", name="Resubmit").click()

    assert page.get_by_test_id("state").inner_text() == "cleared"
    answers = page.get_by_test_id("responses").inner_text()
    assert "held" in answers and "cleared" in answers and "2,000 tote bags" in answers
