"""The console's sourcing pages in a browser: a merchandiser publishes a brief, a studio
submits a design, the merchandiser accepts it for a factory and orders a first run of 150,
the factory moves it to shipped and logistics receives it."""

from __future__ import annotations

from helpers import png_bytes
from sourcing_world import factory_skus, rates_for_today, studios


def test_the_loop_from_brief_to_received_first_run(console, unit, world):
    rates_for_today(unit, world)
    factory_skus(unit, world, "supplier_a", "MUG-A", "12.00", moq=100)
    studios(unit, world)

    merch = console("merchandiser")
    merch.get_by_role("link", name="Design briefs").click()
    form = merch.get_by_test_id("brief-form")
    form.locator("input[name=title]").fill("Stackable stoneware mugs")
    form.locator("select[name=category_code]").select_option("home.kitchen")
    form.locator("input[name=markets]").fill("US")
    form.locator("textarea[name=price_bands]").fill("US 19.99 39.99")
    form.locator("input[name=volume]").fill("1000")
    form.locator("input[name=volume_low]").fill("600")
    form.locator("input[name=volume_high]").fill("1400")
    form.get_by_role("button", name="Save draft").click()
    assert merch.get_by_test_id("state").inner_text() == "draft"
    assert "CN¥" in merch.get_by_test_id("supply-band").inner_text()
    edit = merch.get_by_test_id("edit-form")
    edit.locator("textarea[name=price_bands]").fill("US 39.99 19.99")
    edit.get_by_test_id("save-edit").click()
    assert "inverted" in merch.get_by_role("alert").inner_text()
    edit.locator("input[name=title]").fill("Stackable stoneware mugs")
    edit.locator("textarea[name=price_bands]").fill("US 19.99 39.99")
    edit.get_by_test_id("save-edit").click()
    merch.get_by_test_id("publish").click()
    assert merch.get_by_test_id("state").inner_text() == "published"
    brief_url = merch.url

    studio = console("studio-a")
    studio.get_by_role("link", name="Design briefs").click()
    studio.get_by_test_id("briefs").get_by_role("link", name="Stackable stoneware mugs").click()
    design = studio.get_by_test_id("design-form")
    design.locator("input[name=title]").fill("Nesting mug")
    design.locator("textarea[name=specification]").fill("350 ml stoneware, nests four high.")
    design.locator("textarea[name=bom]").fill("stoneware clay; 0.45; kg; 6.00")
    design.locator("input[name=target_cost]").fill("14.00")
    design.get_by_role("button", name="Submit design").click()
    assert studio.get_by_test_id("state").inner_text() == "submitted"
    studio.get_by_test_id("image-form").locator("input[name=image]").set_input_files(
        {"name": "mug.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    studio.get_by_test_id("image-form").get_by_role("button", name="Upload image").click()
    assert studio.get_by_test_id("images").locator("img").count() == 1

    merch.goto(brief_url)
    merch.get_by_test_id("designs").get_by_role("link", name="Nesting mug").click()
    merch.locator("input[name=fee]").fill("3000")
    merch.get_by_test_id("factory-SUP-A").check()
    merch.get_by_test_id("accept").click()
    assert merch.get_by_test_id("state").inner_text() == "accepted"
    product_id = merch.get_by_test_id("product-link").first.inner_text()

    merch.get_by_role("link", name="Production orders").click()
    issue = merch.get_by_test_id("issue-form")
    issue.locator("input[name=product_id]").fill(product_id)
    issue.locator("input[name=quantity]").fill("150")
    issue.get_by_role("button", name="Issue").click()
    order_id = (
        merch.get_by_test_id("orders").locator("tr[data-order]").first.get_attribute("data-order")
    )

    factory = console("supplier-a")
    factory.get_by_role("link", name="Production orders").click()
    for action in ("accept", "materials_in", "start", "qc", "ship"):
        factory.get_by_test_id(f"{action}-{order_id}").click()
    assert factory.get_by_test_id(f"state-{order_id}").inner_text() == "shipped"

    dock = console("logistics")
    dock.get_by_role("link", name="Production orders").click()
    dock.get_by_test_id(f"receive-{order_id}").click()
    assert dock.get_by_test_id(f"state-{order_id}").inner_text() == "received"
    dock.get_by_role("link", name=order_id).click()
    assert dock.get_by_test_id("history").locator("li").count() == 7
    assert console("supplier-b").goto(f"/production/{order_id}").status == 404
    merch.reload()
    assert "hold" in merch.get_by_test_id("sell-through").inner_text()
    assert "0 of 150 units received sold" in merch.get_by_test_id("sell-through").inner_text()
