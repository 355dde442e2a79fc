"""The HS suggestion panel on a product's page in the console: operators see the top-5,
customs and compliance confirm a code per SKU; a code that does not exist is refused with
what was typed kept, and nothing written."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from chuhai.catalog import listing
from chuhai.catalog import service as catalog
from chuhai.customs.tables import HsConfirmationRow

from helpers import draft, png_bytes

PASSWORD = "correct-horse-battery"
SHOTS = os.environ.get("CHUHAI_SCREENSHOTS")  # a folder: the browser test saves screenshots


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

    def post(self, url: str, data: dict[str, str]) -> httpx.Response:
        return self.http.post(url, data={"csrf_token": self.csrf, **data})


@pytest.fixture
def sign_in(live_server, world) -> Iterator:  # type: ignore[no-untyped-def]
    opened: list[Console] = []

    def open_as(username: str) -> Console:
        console = Console(live_server, username)
        opened.append(console)
        return console

    yield open_as
    for console in opened:
        console.http.close()


@pytest.fixture
def mug(unit, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Supplier A's ceramic mug, submitted for review."""
    with unit(world["supplier_a"]) as ctx:
        product = catalog.create_product(ctx, draft("MUG-350"))
        catalog.add_image(ctx, product.id, png_bytes(), "mug.png")
        listing.submit(ctx, product.id)
        skus = {s.sku_code: s.id for s in catalog.skus_of(ctx.session, product.id)}
    return {"product": product.id, **skus}


def hs_rows(unit) -> int:  # type: ignore[no-untyped-def]
    with unit() as ctx:
        return int(ctx.session.scalar(select(func.count()).select_from(HsConfirmationRow)))


def test_compliance_sees_the_top_five_and_a_confirm_form_per_sku(sign_in, mug):
    page = sign_in("compliance").get(f"/products/{mug['product']}")

    assert page.status_code == 200
    panel = page.text[page.text.index('data-testid="hs-panel"') :]
    assert panel.count('<tr data-code="') == 5
    assert panel.index('data-code="691200"') < panel.index('data-code="691490"')
    assert "<b>6912.00</b>" in panel
    assert 'data-testid="confirm-hs-MUG-350-WHT"' in panel
    assert 'data-testid="confirm-hs-MUG-350-BLK"' in panel
    assert "not confirmed" in panel


def test_the_merchandiser_sees_suggestions_but_no_confirm_form(sign_in, mug):
    page = sign_in("merchandiser").get(f"/products/{mug['product']}")

    assert 'data-testid="hs-panel"' in page.text
    assert "confirm-hs-" not in page.text


def test_the_supplier_sees_no_panel(sign_in, mug):
    page = sign_in("supplier-a").get(f"/products/{mug['product']}")

    assert page.status_code == 200
    assert 'data-testid="hs-panel"' not in page.text


def test_customs_confirms_the_picked_code_and_the_sku_shows_who_confirmed_it(sign_in, mug, unit):
    console = sign_in("customs")
    console.get(f"/products/{mug['product']}")

    answer = console.post(
        f"/products/{mug['product']}/actions/confirm-hs",
        {"sku_id": mug["MUG-350-WHT"], "code": "691200", "other_code": "", "note": "stoneware"},
    )

    assert answer.status_code == 303
    assert "notice=HS+code+confirmed" in answer.headers["location"]
    page = console.get(f"/products/{mug['product']}").text
    cell = page[page.index('data-testid="hs-code-MUG-350-WHT"') :][:400]
    assert "6912.00" in cell and "by Customs" in cell and "stoneware" in cell
    assert hs_rows(unit) == 1


def test_a_typed_code_wins_over_the_picked_one(sign_in, mug, unit):
    console = sign_in("compliance")
    console.get(f"/products/{mug['product']}")

    console.post(
        f"/products/{mug['product']}/actions/confirm-hs",
        {"sku_id": mug["MUG-350-BLK"], "code": "691200", "other_code": "6911.10", "note": ""},
    )

    with unit() as ctx:
        assert catalog.visible_sku(ctx, mug["MUG-350-BLK"]).hs_code == "691110"


def test_a_code_that_does_not_exist_is_refused_with_what_was_typed_kept(sign_in, mug, unit):
    console = sign_in("customs")
    console.get(f"/products/{mug['product']}")

    answer = console.post(
        f"/products/{mug['product']}/actions/confirm-hs",
        {"sku_id": mug["MUG-350-WHT"], "code": "691200", "other_code": "6912.99", "note": "why"},
    )

    assert answer.status_code == 422
    assert "hs_code: 6912.99 is not an HS 2022 subheading; heading 6912 has 6912.00" in answer.text
    assert 'value="6912.99"' in answer.text and 'value="why"' in answer.text
    assert hs_rows(unit) == 0
    with unit() as ctx:
        assert catalog.visible_sku(ctx, mug["MUG-350-WHT"]).hs_code is None


def test_a_sku_of_another_product_is_refused(sign_in, mug, unit, world):
    with unit(world["supplier_b"]) as ctx:
        other = catalog.create_product(ctx, draft("CUP-1"))
        other_sku = catalog.skus_of(ctx.session, other.id)[0].id
    console = sign_in("customs")
    console.get(f"/products/{mug['product']}")

    answer = console.post(
        f"/products/{mug['product']}/actions/confirm-hs",
        {"sku_id": other_sku, "code": "691200", "other_code": "", "note": ""},
    )

    assert answer.status_code == 303
    assert "error=no+such+SKU+on+this+product" in answer.headers["location"]
    assert hs_rows(unit) == 0


@pytest.mark.browser
def test_customs_confirms_a_suggestion_in_the_browser(console, mug):
    page = console("customs")
    page.goto(f"/products/{mug['product']}")

    suggestions = page.get_by_test_id("hs-suggestions").inner_text()
    assert "6912.00" in suggestions
    if SHOTS:
        page.get_by_test_id("hs-panel").screenshot(path=f"{SHOTS}/hs-panel.png")
    form = page.get_by_test_id("confirm-hs-MUG-350-WHT")
    form.get_by_role("combobox").select_option("691200")
    form.get_by_placeholder("Note (optional)").fill("stoneware body")
    form.get_by_role("button", name="Confirm").click()

    assert "HS code confirmed" in page.get_by_role("status").inner_text()
    cell = page.get_by_test_id("hs-code-MUG-350-WHT").inner_text()
    assert "6912.00" in cell and "stoneware body" in cell
