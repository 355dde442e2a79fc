"""The full-custody listing flow in a real browser, as the people who do it: a factory
submits a product; compliance, IP review, a two-round price negotiation and sample QC take
it to listed; a second factory cannot see it."""

from __future__ import annotations

import re

from helpers import png_bytes

PRODUCT_URL = re.compile(r"/products/(prd_\w+)")


def _state(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("[data-testid=state]").first.inner_text().strip()


def _press(page, button: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()


def test_a_product_goes_from_a_factory_to_listed_through_every_review(console):  # type: ignore[no-untyped-def]
    # the factory creates the product with one SKU, adds a photo and submits it
    factory = console("supplier-a")
    factory.goto("/products/new")
    factory.get_by_label("Reference (货号)").fill("LAMP-01")
    factory.select_option("select[name=category_code]", "home.decor")
    factory.get_by_label("Title (中文)").fill("藤编台灯")
    factory.get_by_label("Title (English)").fill("Rattan table lamp shade")
    factory.check("input[name=target_markets][value=US]")
    factory.check("input[name=target_markets][value=JP]")
    for name, value in {
        "sku_code": "LAMP-01-NAT",
        "supply_price": "58.00",
        "weight_g": "900",
        "length_mm": "300",
        "width_mm": "300",
        "height_mm": "420",
        "moq": "50",
        "lead_time_days": "20",
        "daily_capacity": "300",
    }.items():
        factory.fill(f'input[name="skus[0].{name}"]', value)
    _press(factory, "Save")
    factory.set_input_files(
        "input[name=image]",
        files=[
            {"name": "lamp.png", "mimeType": "image/png", "buffer": png_bytes((120, 120), "tan")}
        ],
    )
    _press(factory, "Upload image")
    _press(factory, "Submit for review")
    product_id = PRODUCT_URL.search(factory.url).group(1)
    assert _state(factory) == "submitted"

    # compliance: start the review, pass it, clear IP
    compliance = console("compliance")
    compliance.goto("/review")
    compliance.get_by_role("link", name=re.compile("Rattan table lamp")).first.click()
    _press(compliance, "Start compliance review")
    assert _state(compliance) == "compliance review"
    _press(compliance, "Pass compliance")
    assert _state(compliance) == "ip review"
    _press(compliance, "Clear IP review")
    assert _state(compliance) == "price negotiation"

    # negotiation: the platform offers, the factory counters, the platform accepts
    merchandiser = console("merchandiser")
    merchandiser.goto(f"/products/{product_id}")
    merchandiser.get_by_label(re.compile("LAMP-01-NAT")).fill("52.00")
    _press(merchandiser, "Send offer")
    factory.goto(f"/products/{product_id}")
    factory.get_by_label(re.compile("LAMP-01-NAT")).fill("55.00")
    _press(factory, "Send counter-offer")
    merchandiser.goto(f"/products/{product_id}")
    _press(merchandiser, "Accept offer")
    assert _state(merchandiser) == "sample qc"
    assert "55.00" in merchandiser.locator("[data-testid=supply-price-LAMP-01-NAT]").inner_text()

    # sample QC: receipt, one passing check with a photo, pass
    logistics = console("logistics")
    logistics.goto(f"/products/{product_id}")
    _press(logistics, "Record receipt")
    logistics.get_by_label("Check name").fill("weave and finish")
    logistics.set_input_files(
        "input[name=photos]",
        files=[{"name": "weave.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    _press(logistics, "Record check")
    _press(logistics, "Pass QC")
    assert _state(logistics) == "approved"

    # the merchandiser lists it where it was meant to sell
    merchandiser.goto(f"/products/{product_id}")
    _press(merchandiser, "List in markets")
    assert _state(merchandiser) == "listed"
    history = merchandiser.locator("[data-testid=history]").inner_text()
    for step in (
        "submitted",
        "compliance review",
        "ip review",
        "price negotiation",
        "sample qc",
        "approved",
        "listed",
    ):
        assert step in history.lower().replace("_", " ")

    # the factory sees its product listed; another factory gets a 404 for it
    factory.goto("/products")
    assert (
        "listed"
        in factory.locator("[data-testid=product-row]", has_text="Rattan table lamp").inner_text()
    )
    other = console("supplier-b")
    answer = other.goto(f"/products/{product_id}")
    assert answer.status == 404
    other.goto("/products")
    assert "Rattan table lamp" not in other.content()
