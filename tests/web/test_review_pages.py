"""The console's review pages: the review queue and a product's page, with its actions, as
operators and suppliers use them (in a browser where it matters, plain HTTP otherwise)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import httpx
import pytest

from chuhai.catalog import listing, registry, service

from helpers import draft, png_bytes

PASSWORD = "correct-horse-battery"
SHOTS = os.environ.get("CHUHAI_SCREENSHOTS")  # a folder: browser tests save screenshots there


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


# --- building products in each state through the services ---------------------------------------


def submitted(unit, world, ref: str = "MUG-350", **changes) -> str:  # type: ignore[no-untyped-def]
    with unit(world["supplier_a"]) as ctx:
        product = service.create_product(ctx, draft(ref, **changes))
        service.add_image(ctx, product.id, png_bytes(), "mug.png")
        listing.submit(ctx, product.id)
    return product.id


def in_negotiation(unit, world, ref: str = "MUG-350") -> str:  # type: ignore[no-untyped-def]
    product_id = submitted(unit, world, ref)
    with unit(world["compliance"]) as ctx:
        listing.start_compliance_review(ctx, product_id)
        listing.pass_compliance(ctx, product_id)
        listing.pass_ip(ctx, product_id)
    return product_id


def sku_ids(unit, world, product_id: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with unit(world["admin"]) as ctx:
        return {s.sku_code: s.id for s in service.skus_of(ctx.session, product_id)}


def in_sample_qc(unit, world, ref: str = "MUG-350") -> str:  # type: ignore[no-untyped-def]
    product_id = in_negotiation(unit, world, ref)
    with unit(world["merchandiser"]) as ctx:
        listing.accept_offer(ctx, product_id)
    return product_id


def approved(unit, world, ref: str = "MUG-350") -> str:  # type: ignore[no-untyped-def]
    product_id = in_sample_qc(unit, world, ref)
    with unit(world["logistics"]) as ctx:
        listing.receive_sample(ctx, product_id)
        listing.record_check(ctx, product_id, name="glaze", passed=True)
        listing.pass_qc(ctx, product_id)
    return product_id


# --- plain HTTP ---------------------------------------------------------------------------------


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

    def post(self, url: str, data: dict | None = None, **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
        return self.http.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


@pytest.fixture
def sign_in(live_server, world) -> Iterator:  # type: ignore[no-untyped-def]
    opened: list[Console] = []

    def open_as(username: str) -> Console:
        console = Console(live_server, username)
        console.get("/tokens")  # any page carries the session's CSRF token
        opened.append(console)
        return console

    yield open_as
    for console in opened:
        console.http.close()


def test_the_queue_shows_products_waiting_on_the_platform_oldest_first(unit, world, sign_in):
    first = submitted(unit, world, "MUG-1")
    second = in_negotiation(unit, world, "MUG-2")
    with unit(world["supplier_a"]) as ctx:
        service.create_product(ctx, draft("DRAFT-1", title_en="Still a draft"))

    page = sign_in("compliance").get("/review")

    assert page.status_code == 200
    assert page.text.index(f"/products/{first}") < page.text.index(f"/products/{second}")
    assert "SUP-A" in page.text and "Still a draft" not in page.text
    filtered = sign_in("merchandiser").get("/review?state=price_negotiation")
    assert f"/products/{second}" in filtered.text and f"/products/{first}" not in filtered.text
    assert "your turn" in filtered.text  # the merchandiser opens the negotiation


def test_a_supplier_cannot_open_the_review_queue(world, sign_in):
    page = sign_in("supplier-a").get("/review")

    assert page.status_code == 403
    assert "review queue is for platform staff" in page.text


def test_an_action_posted_without_the_csrf_token_is_refused(unit, world, sign_in):
    product_id = submitted(unit, world)
    console = sign_in("compliance")

    answer = console.http.post(f"/products/{product_id}/actions/start-compliance-review")

    assert answer.status_code == 403
    assert "form has expired" in answer.text
    with unit(world["admin"]) as ctx:
        assert service.visible_product(ctx, product_id).state == "submitted"


def test_an_action_on_another_suppliers_product_answers_not_found(unit, world, sign_in):
    product_id = submitted(unit, world)

    answer = sign_in("supplier-b").post(
        f"/products/{product_id}/actions/withdraw", {"reason": "not mine"}
    )

    assert answer.status_code == 404


def test_compliance_findings_that_block_are_shown_and_passing_is_refused(unit, world, sign_in):
    product_id = submitted(
        unit,
        world,
        "EARBUDS",
        category_code="electronics.audio",
        title_en="Wireless earbuds",
        target_markets=["DE"],
    )
    console = sign_in("compliance")
    console.post(f"/products/{product_id}/actions/start-compliance-review")

    answer = console.post(f"/products/{product_id}/actions/pass-compliance", {"note": "ok"})
    page = console.get(answer.headers["location"])

    assert answer.status_code == 303 and "error=" in answer.headers["location"]
    assert 'class="finding blocking"' in page.text
    assert "DE-CE-ELECTRONICS" in page.text
    assert 'role="alert">compliance findings block this product' in page.text
    assert 'data-state="compliance_review"' in page.text


def test_a_bad_offer_is_shown_again_with_what_was_typed(unit, world, sign_in):
    product_id = in_negotiation(unit, world)
    skus = sku_ids(unit, world, product_id)

    answer = sign_in("merchandiser").post(
        f"/products/{product_id}/actions/offer",
        {f"price_{skus['MUG-350-WHT']}": "11.005", f"price_{skus['MUG-350-BLK']}": "12.00"},
    )

    assert answer.status_code == 422
    assert "at most 2 decimal places" in answer.text
    assert 'value="11.005"' in answer.text


def test_the_supplier_counter_offers_and_the_merchandiser_sees_what_to_accept(unit, world, sign_in):
    product_id = in_negotiation(unit, world)
    skus = sku_ids(unit, world, product_id)
    white, black = skus["MUG-350-WHT"], skus["MUG-350-BLK"]
    with unit(world["merchandiser"]) as ctx:
        listing.make_offer(ctx, product_id, {white: "11.00", black: "12.00"})
    supplier = sign_in("supplier-a")
    page = supplier.get(f"/products/{product_id}")
    assert f'name="price_{white}"' in page.text and 'value="11.00"' in page.text  # prefilled

    supplier.post(
        f"/products/{product_id}/actions/offer",
        {f"price_{white}": "11.80", f"price_{black}": "12.60", "note": "glaze costs"},
    )
    page = sign_in("merchandiser").get(f"/products/{product_id}")

    accept = page.text[page.text.index('data-testid="accept-form"') :]
    assert "The supplier offers:" in accept and "CN¥11.80" in accept and "CN¥12.60" in accept
    assert "Accept offer" in accept and "Send counter-offer" in page.text
    assert "glaze costs" in page.text


def test_logistics_changes_the_sample_request_before_it_arrives(unit, world, sign_in):
    product_id = in_sample_qc(unit, world)
    console = sign_in("logistics")

    refused = console.post(
        f"/products/{product_id}/actions/sample", {"quantity": "0", "ship_to": "Dock 4"}
    )
    done = console.post(
        f"/products/{product_id}/actions/sample", {"quantity": "5", "ship_to": "Dock 4"}
    )
    page = console.get(done.headers["location"])

    assert refused.status_code == 422 and "between 1 and 100" in refused.text
    assert 'data-testid="sample-quantity">5<' in page.text
    assert 'data-testid="sample-ship-to">Dock 4<' in page.text


def test_the_merchandiser_lists_an_approved_product_in_markets(unit, world, sign_in):
    product_id = approved(unit, world)
    console = sign_in("merchandiser")
    page = console.get(f"/products/{product_id}")
    assert re.search(r'value="US"\s+checked', page.text)  # target markets come pre-ticked

    answer = console.post(
        f"/products/{product_id}/actions/list", {"markets": ["US", "GB"], "note": "launch"}
    )
    page = console.get(answer.headers["location"])

    assert "Listed in US, GB." in page.text
    assert 'data-state="listed"' in page.text
    with unit(world["admin"]) as ctx:
        markets = {m.market_code: m.status for m in service.product_view(ctx, product_id).markets}
    assert markets == {"GB": "listed", "US": "listed"}


def test_the_merchandiser_delists_a_product_from_one_market(unit, world, sign_in):
    product_id = approved(unit, world)
    with unit(world["merchandiser"]) as ctx:
        listing.list_in_markets(ctx, product_id, ["US", "DE"])
    console = sign_in("merchandiser")

    stale = console.post(
        f"/products/{product_id}/actions/delist", {"markets": ["FR"], "reason": "recall"}
    )
    done = console.post(
        f"/products/{product_id}/actions/delist", {"markets": ["DE"], "reason": "recall in DE"}
    )
    page = console.get(done.headers["location"])

    assert stale.status_code == 303 and "not+listed+in%3A+FR" in stale.headers["location"]
    assert "Delisted from DE." in page.text and 'data-state="listed"' in page.text
    assert "Delisted from some markets" in page.text and "recall in DE" in page.text


def test_a_rejected_product_shows_the_reason_and_the_way_back_to_its_supplier(unit, world, sign_in):
    product_id = submitted(unit, world)
    sign_in("compliance").post(
        f"/products/{product_id}/actions/reject", {"reason": "Photos show another brand's logo"}
    )

    page = sign_in("supplier-a").get(f"/products/{product_id}")

    assert 'data-testid="rejection-reason">Photos show another brand&#39;s logo' in page.text
    assert f'href="/products/{product_id}/edit"' in page.text
    assert "Resubmit for review" in page.text


def test_a_reject_without_a_reason_is_refused_with_the_reason_why(unit, world, sign_in):
    product_id = submitted(unit, world)
    console = sign_in("compliance")

    answer = console.post(f"/products/{product_id}/actions/reject", {"reason": " "})

    assert "say+why" in answer.headers["location"]
    with unit(world["admin"]) as ctx:
        assert service.visible_product(ctx, product_id).state == "submitted"


# --- in the browser -----------------------------------------------------------------------------


@pytest.mark.browser
def test_compliance_takes_a_product_through_compliance_and_ip_review(unit, world, console):
    with unit(world["compliance"]) as ctx:
        registry.create_brand(ctx, name="Nike", aliases=["耐克"], owner="Nike, Inc.")
    product_id = submitted(unit, world, title_en="350 ml ceramic mug, Nike style")
    page = console("compliance")
    page.goto(f"/products/{product_id}")

    page.get_by_role("button", name="Start compliance review").click()
    assert page.get_by_test_id("state").inner_text() == "compliance review"
    page.get_by_role("button", name="Pass compliance").click()
    assert page.get_by_test_id("state").inner_text() == "ip review"
    matches = page.get_by_test_id("brand-matches")
    assert "Nike" in matches.inner_text() and "title_en" in matches.inner_text()
    shot(page, "ip-review")
    page.get_by_label("Note").fill("A style description, not the brand; cleared by legal")
    page.get_by_role("button", name="Clear IP review").click()

    assert page.get_by_test_id("state").inner_text() == "price negotiation"
    history = page.get_by_test_id("history").inner_text()
    assert "IP review cleared" in history and "cleared by legal" in history
    assert "Compliance passed" in history and "Compliance review started" in history


@pytest.mark.browser
def test_the_supplier_accepts_the_merchandisers_counter_offer_in_its_own_browser(
    unit, world, console
):
    product_id = in_negotiation(unit, world)
    merchandiser = console("merchandiser")
    merchandiser.goto(f"/products/{product_id}")
    merchandiser.get_by_label("MUG-350-WHT").fill("11.00")
    merchandiser.get_by_label("MUG-350-BLK").fill("12.00")
    merchandiser.get_by_role("button", name="Send offer").click()
    assert "Offer sent" in merchandiser.get_by_role("status").inner_text()

    supplier = console("supplier-a")
    supplier.goto(f"/products/{product_id}")
    offer = supplier.get_by_test_id("accept-form").inner_text()
    assert "The platform offers" in offer and "CN¥11.00" in offer and "CN¥12.00" in offer
    shot(supplier, "supplier-offer")
    supplier.get_by_role("button", name="Accept offer").click()

    assert supplier.get_by_test_id("state").inner_text() == "sample qc"
    assert supplier.get_by_test_id("supply-price-MUG-350-WHT").inner_text() == "CN¥11.00"
    assert "Please send" in supplier.get_by_test_id("panel").inner_text()


@pytest.mark.browser
def test_logistics_records_a_check_with_a_photo_and_passes_qc(unit, world, console):
    product_id = in_sample_qc(unit, world)
    page = console("logistics")
    page.goto(f"/products/{product_id}")

    page.get_by_role("button", name="Record receipt").click()
    page.get_by_label("Check name").fill("glaze")
    page.get_by_label("Notes").fill("even, no crazing")
    page.get_by_label("Photos").set_input_files(
        [{"name": "glaze.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    page.get_by_role("button", name="Record check").click()

    checks = page.get_by_test_id("checks")
    assert "glaze" in checks.inner_text() and "passed" in checks.inner_text()
    assert checks.locator("img").count() == 1
    shot(page, "sample-qc")
    page.get_by_role("button", name="Pass QC").click()
    assert page.get_by_test_id("state").inner_text() == "approved"


@pytest.mark.browser
def test_another_supplier_gets_a_not_found_page_for_the_product(unit, world, console):
    product_id = submitted(unit, world)
    page = console("supplier-b")

    answer = page.goto(f"/products/{product_id}")

    assert answer.status == 404
    assert "no such product" in page.get_by_role("alert").inner_text()
