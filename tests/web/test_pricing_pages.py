"""The console's pricing pages: the price book with its rebuild and held prices, a SKU's
landed-cost waterfall, the pricing rules and the market policies (in a browser where it
matters, plain HTTP otherwise)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from chuhai.catalog import service as catalog
from chuhai.catalog.tables import SkuRow
from chuhai.core.money import format_minor
from chuhai.pricing import service as pricing
from chuhai.pricing.landed_cost import Breakdown
from chuhai.web.pages_pricing import RULE_EXAMPLES, rule_scope, rule_value, waterfall

from helpers import draft, import_fx, list_product, sku

PASSWORD = "correct-horse-battery"
SHOTS = os.environ.get("CHUHAI_SCREENSHOTS")  # a folder: browser tests save screenshots there
TODAY = datetime.now(UTC).date()  # the console prices for the clock's today
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()
RATES = {"EUR": "0.1300", "USD": "0.1400"}
HIKE = {
    "tariff_area": "US",
    "hs_prefix": "",
    "origin": "CN",
    "layer": "additional",
    "rate_bp": 1500,
    "program": "Section 122",
}


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

    def get(self, url: str) -> httpx.Response:
        answer = self.http.get(url)
        found = re.search(r'name="csrf_token" value="([^"]+)"', answer.text)
        if found:
            self.csrf = found.group(1)
        return answer

    def post(self, url: str, data: dict | None = None) -> httpx.Response:  # type: ignore[type-arg]
        return self.http.post(url, data={"csrf_token": self.csrf, **(data or {})})


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


@pytest.fixture
def mug(unit, world) -> str:  # type: ignore[no-untyped-def]
    """The id of the one SKU of a mug listed in DE and US."""
    product = draft("MUG-9", skus=[sku("MUG-9-WHT")], target_markets=["DE", "US"])
    product_id = list_product(unit, world, product, ["DE", "US"])
    with unit(world["merchandiser"]) as ctx:
        return catalog.skus_of(ctx.session, product_id)[0].id


def book_row(unit, world, sku_id: str, market: str, route: str):  # type: ignore[no-untyped-def]
    with unit(world["merchandiser"]) as ctx:
        rows = pricing.price_book(ctx, market_code=market, limit=200).items
        return next(r for r in rows if (r.sku_id, r.route) == (sku_id, route))


# --- the waterfall ------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_waterfall_of_a_listed_sku_labels_its_landed_cost_and_price(unit, world, console, mug):
    import_fx(unit, world, YESTERDAY, RATES)
    with unit(world["merchandiser"]) as ctx:
        expected = pricing.price_sku(ctx, mug, "DE", "9610", TODAY).breakdown
    page = console("merchandiser")

    page.goto(f"/skus/{mug}/pricing?market=DE&route=9610")

    chart = page.locator("svg[data-testid=waterfall]")
    assert chart.is_visible()
    landed = format_minor(expected.landed_cost, "EUR")
    price = format_minor(expected.price, "EUR")
    assert chart.get_by_test_id("label-landed_cost").text_content() == landed
    assert chart.get_by_test_id("label-price").text_content() == price
    assert chart.get_by_test_id("label-supply").text_content() == "+" + format_minor(
        expected.supply, "EUR"
    )
    assert chart.locator("rect").count() >= 6  # supply, freight, duty, fees, landed, margin, price
    regime = expected.regime
    assert page.get_by_test_id("regime").inner_text() == regime[0].upper() + regime[1:] + "."
    assert "0.13 EUR" in page.get_by_text("1 CNY =").inner_text()
    assert page.locator("[data-testid=breakdown] tr[data-line=price]").inner_text().endswith("100%")
    assert page.get_by_test_id("route-tabs").get_by_role("link").all_inner_texts() == [
        "9610 direct mail",
        "9810 overseas warehouse",
    ]
    shot(page, "pricing-waterfall")

    page.get_by_test_id("market-tabs").get_by_role("link", name="US").click()
    page.get_by_test_id("route-tabs").get_by_role("link", name="9810 overseas warehouse").click()
    with unit(world["merchandiser"]) as ctx:
        us = pricing.price_sku(ctx, mug, "US", "9810", TODAY).breakdown
    assert page.get_by_test_id("label-price").text_content() == format_minor(us.price, "USD")
    shot(page, "pricing-waterfall-us-9810")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "pricing-waterfall-phone")


def test_without_a_rate_for_the_day_the_page_names_the_missing_pair(world, sign_in, mug):
    page = sign_in("merchandiser").get(f"/skus/{mug}/pricing?market=DE")

    assert page.status_code == 200
    assert re.search(
        r'role="alert" data-testid="pricing-error">no CNY→EUR rate on or before', page.text
    )
    assert 'data-testid="waterfall"' not in page.text
    assert 'href="/fx"' in page.text  # where to go to import one
    assert "No price yet in DE" in page.text


def test_an_unlisted_market_is_priced_as_if_listed_and_a_bad_date_is_named(
    unit, world, sign_in, mug
):
    import_fx(unit, world, YESTERDAY, {"JPY": "21.00"})

    page = sign_in("compliance").get(f"/skus/{mug}/pricing?market=JP&on=28.11.2026")

    assert page.status_code == 200
    assert "not listed" in page.text and 'data-testid="waterfall"' in page.text
    assert "&#39;28.11.2026&#39; is not a date like 2026-01-31" in page.text


def test_the_waterfall_adds_up_to_the_landed_cost_then_the_margin_to_the_price():
    b = Breakdown(
        supply=1000,
        first_mile=40,
        line_haul=300,
        last_mile=0,
        handling=0,
        fx_buffer=27,
        duty=50,
        import_vat=0,
        sales_vat=380,
        payment_fee=90,
        returns_allowance=60,
        landed_cost=1567,
        margin=432,
        net_price=1620,
        price=1999,
        due_on_import=0,
        regime="delivered duty paid",
    )

    taxed_out = waterfall(b, "USD", tax_inclusive=False)  # sales tax is added at checkout
    taxed_in = waterfall(b, "EUR", tax_inclusive=True)

    keys = [bar.key for bar in taxed_out.bars]
    assert keys == [
        "supply",
        "first_mile",
        "line_haul",
        "fx_buffer",
        "duty",
        "payment_fee",
        "returns_allowance",
        "landed_cost",
        "margin",
        "price",
    ]
    bars = {bar.key: bar for bar in taxed_out.bars}
    right = bars["returns_allowance"].x + bars["returns_allowance"].width
    assert right == pytest.approx(bars["landed_cost"].x + bars["landed_cost"].width)
    assert bars["margin"].x == pytest.approx(right)
    assert bars["price"].text == "$19.99" and bars["margin"].text == "+$4.32"
    inside = {bar.key: bar for bar in taxed_in.bars}
    assert "sales_vat" in inside and inside["other"].amount == -380  # lines that do not add up
    assert taxed_out.ticks[0].text == "$0.00" and len(taxed_out.ticks) <= 8


# --- the price book -----------------------------------------------------------------------------


@pytest.mark.browser
def test_the_price_book_lists_the_sku_after_a_rebuild(unit, world, console, mug):
    import_fx(unit, world, YESTERDAY, RATES)
    page = console("merchandiser")
    page.goto("/pricing")
    assert "The price book is empty" in page.get_by_test_id("empty-book").inner_text()

    page.get_by_role("button", name="Rebuild price book").click()

    assert "4 prices set, 0 unchanged" in page.get_by_role("status").inner_text()
    row = page.locator("tr[data-sku='MUG-9-WHT'][data-market='DE'][data-route='9610']")
    expected = book_row(unit, world, mug, "DE", "9610")
    text = row.inner_text()
    assert format_minor(expected.price, "EUR") in text and "active" in text
    assert format_minor(expected.landed_cost, "EUR") in text
    assert "350 ml ceramic mug" in text and "9610 direct mail" in text
    shot(page, "pricing-book")

    page.get_by_label("Market").select_option("US")
    page.wait_for_url(lambda url: "market=US" in url)
    assert page.locator("[data-testid=price-book] tbody tr").count() == 2
    page.locator("tr[data-route='9810']").get_by_role("link", name="MUG-9-WHT").click()
    assert page.get_by_test_id("history").locator("tbody tr").count() == 2  # both routes


@pytest.mark.browser
def test_a_price_held_for_jumping_over_the_daily_limit_is_approved(unit, world, console, mug):
    import_fx(unit, world, YESTERDAY, RATES)
    with unit(world["merchandiser"]) as ctx:
        pricing.rebuild_price_book(ctx, TODAY)
    with unit() as ctx:  # the negotiated supply price doubles
        ctx.session.execute(update(SkuRow).where(SkuRow.id == mug).values(supply_price_amount=2500))
    with unit(world["merchandiser"]) as ctx:
        assert pricing.rebuild_price_book(ctx, TODAY).held == 4
    before = book_row(unit, world, mug, "DE", "9610")
    page = console("merchandiser")

    page.goto("/pricing?status=held")
    row = page.locator("tr[data-market='DE'][data-route='9610']")
    assert "exceeds the daily limit of 15.0%" in row.inner_text()
    assert row.get_by_test_id("proposed").inner_text() == "→ " + format_minor(
        before.proposed_price, "EUR"
    )
    shot(page, "pricing-held")
    row.get_by_role("button", name="Approve").click()

    assert (
        "MUG-9-WHT in DE (9610 direct mail) now sells at" in page.get_by_role("status").inner_text()
    )
    assert page.locator("[data-testid=price-book] tbody tr").count() == 3  # still held
    after = book_row(unit, world, mug, "DE", "9610")
    assert (after.status, after.price) == ("active", before.proposed_price)


def test_operators_outside_pricing_read_the_book_without_buttons(unit, world, sign_in, mug):
    import_fx(unit, world, YESTERDAY, RATES)
    with unit(world["merchandiser"]) as ctx:
        pricing.rebuild_price_book(ctx, TODAY)

    console = sign_in("compliance")
    page = console.get("/pricing?market=de&status=active")

    assert page.status_code == 200 and page.text.count('data-sku="MUG-9-WHT"') == 2
    assert "Rebuild price book" not in page.text and 'action="/pricing/approve"' not in page.text
    assert re.search(r'<a href="/pricing" class="active">Pricing</a>', page.text)  # the nav
    refused = console.post("/pricing/rebuild")
    assert "your+role+may+not+do+this" in refused.headers["location"]


def test_a_supplier_is_refused_the_pricing_pages(world, sign_in, mug):
    supplier = sign_in("supplier-a")

    for url in ("/pricing", f"/skus/{mug}/pricing", "/pricing/rules", "/pricing/markets"):
        page = supplier.get(url)
        assert page.status_code == 403, url
        assert "pricing.read" in page.text
    assert 'href="/pricing"' not in supplier.get("/").text


# --- rules --------------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_rule_is_added_and_an_overlapping_one_refused_naming_it(unit, world, console):
    page = console("customs")
    page.goto("/pricing/rules?kind=duty")
    shot(page, "pricing-rules")
    form = page.get_by_test_id("add-rule")

    form.get_by_label("Kind").select_option("duty")
    form.locator("textarea[name=data]").fill(json.dumps(HIKE))
    form.get_by_label("Source").fill("Presidential proclamation (example)")
    form.get_by_label("Effective from").fill("2026-12-01")
    form.get_by_role("button", name="Add rule").click()

    rule_id = "duty:US||CN|additional|Section 122:2026-12-01"
    assert f"Rule {rule_id} added." in page.get_by_role("status").inner_text()
    row = page.locator(f"tr[data-rule='{rule_id}']")
    assert "US · all HS codes · from CN · additional · Section 122" in row.inner_text()
    assert "15%" in row.inner_text() and "upcoming" in row.inner_text()

    form = page.get_by_test_id("add-rule")
    form.locator("textarea[name=data]").fill(json.dumps(HIKE))
    form.get_by_label("Source").fill("a second one for the same scope")
    form.get_by_label("Effective from").fill("2027-06-01")
    form.get_by_role("button", name="Add rule").click()

    assert f"overlaps rule {rule_id} (2026-12-01 to open)" in page.get_by_role("alert").inner_text()
    assert page.get_by_test_id("clash").locator(f"tr[data-rule='{rule_id}']").count() == 1
    assert page.locator("textarea[name=data]").input_value() == json.dumps(HIKE)  # kept
    shot(page, "pricing-rules-overlap")
    with unit(world["customs"]) as ctx:
        assert (
            len(pricing.list_rules(ctx, "duty", date(2027, 7, 1)))
            == len(pricing.list_rules(ctx, "duty", TODAY)) + 1
        )


def test_a_rule_is_ended_and_the_filters_show_what_is_in_force(unit, world, sign_in):
    with unit(world["customs"]) as ctx:
        pricing.add_rule(
            ctx,
            kind="duty",
            data=HIKE,
            effective_from=date(2026, 12, 1),
            source="Presidential proclamation (example)",
        )
    console = sign_in("customs")
    rule_id = "duty:US||CN|additional|Section 122:2026-12-01"
    console.get("/pricing/rules")

    answer = console.post(
        "/pricing/rules/end",
        {"rule_id": rule_id, "effective_to": "2027-01-31", "back": "/pricing/rules?kind=duty"},
    )

    assert answer.headers["location"].startswith("/pricing/rules?kind=duty&notice=")
    in_force = console.get("/pricing/rules?kind=duty&on=2027-01-15&q=section+122").text
    ended = console.get("/pricing/rules?kind=duty&on=2027-02-01&q=section+122").text
    assert rule_id in in_force and rule_id not in ended
    assert "2026-12-01 → 2027-01-31" in in_force


def test_a_rule_with_bad_json_or_missing_fields_is_refused_with_the_reason(sign_in):
    console = sign_in("finance")
    console.get("/pricing/rules")
    rule = {"kind": "tax", "source": "x", "effective_from": "2027-01-01"}

    bad_json = console.post("/pricing/rules", {**rule, "data": "{'country': 'DE'}"})
    missing = console.post("/pricing/rules", {**rule, "data": '{"country": "DE"}'})

    assert bad_json.status_code == 422 and "data: not valid JSON" in bad_json.text
    assert missing.status_code == 422
    assert "data.kind: required (str); data.rate_bp: required (int)" in missing.text
    assert "{&#39;country&#39;: &#39;DE&#39;}" in bad_json.text  # what was typed stays


@pytest.mark.parametrize("kind", sorted(RULE_EXAMPLES))
def test_each_rule_example_has_what_the_service_requires(kind):
    example = RULE_EXAMPLES[kind]

    for key, expected in pricing.REQUIRED[kind].items():
        assert isinstance(example[key], expected), key
    assert rule_scope(kind, example) and (kind == "category_tax" or rule_value(kind, example))


def test_rules_read_in_a_few_words():
    assert rule_value("rate_card", RULE_EXAMPLES["rate_card"]) == (
        "CN¥58.00 per kg + CN¥15.00 per shipment of 1 (volumetric ÷8000)"
    )
    assert rule_value("regime", RULE_EXAMPLES["regime"]) == (
        "CIF valuation; VAT at sale up to €150.00; flat duty per subheading €3.00"
    )
    assert rule_scope("last_mile", RULE_EXAMPLES["last_mile"]) == "DE · up to 1000 g"


# --- market policies ----------------------------------------------------------------------------


@pytest.mark.browser
def test_the_merchandiser_edits_a_markets_pricing_policy(unit, world, console):
    page = console("merchandiser")
    page.goto("/pricing/markets")
    card = page.locator("#market-DE")

    card.locator("summary").click()
    card.locator("input[name=margin_bp]").fill("30")
    card.locator("input[name=handling]").fill("1.25")
    card.get_by_label("Rounding").select_option("whole")
    shot(page, "pricing-markets")
    card.get_by_role("button", name="Save DE policy").click()

    assert "Pricing policy of DE saved" in page.get_by_role("status").inner_text()
    row = page.locator("tr[data-market='DE']")
    assert row.locator("td[data-field=margin_bp]").inner_text() == "30%"
    assert row.locator("td[data-field=handling]").inner_text() == "€1.25"
    with unit(world["merchandiser"]) as ctx:
        policy = pricing.market_pricing(ctx.session, "DE")
    assert (policy.margin_bp, policy.handling, policy.rounding) == (3000, 125, "whole")


def test_a_policy_that_leaves_no_room_for_costs_is_refused_with_the_typed_values(sign_in):
    console = sign_in("finance")
    page = console.get("/pricing/markets")
    assert 'name="margin_bp" required value="25"' in page.text

    form = {
        "margin_bp": "88",
        "returns_bp": "3",
        "payment_fee_bp": "2.5",
        "payment_fee_fixed": "0.25",
        "fx_buffer_bp": "2",
        "max_daily_change_bp": "15",
        "handling": "1.10",
        "rounding": "charm99",
    }
    too_much = console.post("/pricing/markets/DE", form)
    too_fine = console.post("/pricing/markets/DE", {**form, "margin_bp": "25.125", "handling": "x"})

    assert too_much.status_code == 422
    assert "Margin: margin, returns and fees must leave room for costs" in too_much.text
    assert 'name="margin_bp" required value="88"' in too_much.text
    assert "Margin: at most two decimals" in too_fine.text
    assert "Handling: &#39;x&#39; is not a number" in too_fine.text
    assert console.post("/pricing/markets/XX", form).status_code == 404


def test_only_pricing_roles_see_the_policy_forms(sign_in):
    page = sign_in("logistics").get("/pricing/markets")

    assert page.status_code == 200 and 'data-market="JP"' in page.text
    assert "Save JP policy" not in page.text


def test_the_product_page_links_each_sku_to_its_landed_cost_for_pricing_staff(
    unit, world, sign_in, mug
):
    with unit(world["merchandiser"]) as ctx:
        product_id = catalog.visible_sku(ctx, mug).product_id
    page = sign_in("merchandiser").get(f"/products/{product_id}")
    assert f'href="/skus/{mug}/pricing?market=DE" data-testid="landed-cost-MUG-9-WHT"' in page.text
    assert 'class="active">Products' not in page.text
    own = sign_in("supplier-a").get(f"/products/{product_id}")
    assert "landed-cost-MUG-9-WHT" not in own.text  # the margin is the platform's


def test_sub_pages_highlight_their_section_in_the_navigation(sign_in):
    page = sign_in("merchandiser").get("/pricing/rules")
    assert re.search(r'<a href="/pricing" class="active">Pricing</a>', page.text)
