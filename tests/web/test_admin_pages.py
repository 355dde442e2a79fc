"""The console's registry and settings pages: brands, compliance rules, markets, suppliers and
API tokens (in a browser where it matters, plain HTTP otherwise)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import httpx
import pytest

from chuhai.catalog import registry
from chuhai.markets import service as markets
from chuhai.parties import service as parties

PASSWORD = "correct-horse-battery"
SHOTS = os.environ.get("CHUHAI_SCREENSHOTS")  # a folder: browser tests save screenshots there


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

    def post(self, url: str, data: dict | None = None) -> httpx.Response:
        return self.http.post(url, data={"csrf_token": self.csrf, **(data or {})})


@pytest.fixture
def sign_in(live_server, world) -> Iterator:  # type: ignore[no-untyped-def]
    opened: list[Console] = []

    def open_as(username: str) -> Console:
        opened.append(Console(live_server, username))
        return opened[-1]

    yield open_as
    for console in opened:
        console.http.close()


# --- brands -------------------------------------------------------------------------------------


def test_a_supplier_cannot_open_the_brand_registry(sign_in):
    page = sign_in("supplier-a").get("/brands")

    assert page.status_code == 403
    assert "brands.read" in page.text


def test_operators_outside_compliance_read_the_registry_without_forms(unit, world, sign_in):
    with unit(world["compliance"]) as ctx:
        registry.create_brand(ctx, name="Nike", aliases=["耐克"])

    page = sign_in("merchandiser").get("/brands?q=nik")

    assert "Nike" in page.text and "耐克" in page.text
    assert "Add brand" not in page.text and "Read-only" in page.text


def test_a_brand_registered_twice_is_refused_with_the_typed_values_kept(unit, world, sign_in):
    with unit(world["compliance"]) as ctx:
        registry.create_brand(ctx, name="Nike")

    answer = sign_in("compliance").post("/brands", {"name": "Nike", "aliases": "NK, 耐克"})

    assert answer.status_code == 409
    assert "already registered" in answer.text
    assert 'value="NK, 耐克"' in answer.text


def test_compliance_edits_a_brands_aliases_and_deletes_it(unit, world, sign_in):
    with unit(world["compliance"]) as ctx:
        brand = registry.create_brand(ctx, name="Adidas")
    console = sign_in("compliance")

    console.post(f"/brands/{brand.id}", {"aliases": "阿迪达斯, Adi", "owner": "adidas AG"})
    with unit(world["compliance"]) as ctx:
        assert registry.get_brand(ctx, brand.id).aliases == ["阿迪达斯", "Adi"]
    answer = console.post(f"/brands/{brand.id}/delete")

    assert "removed+from+the+registry" in answer.headers["location"]
    with unit(world["compliance"]) as ctx:
        assert registry.list_brands(ctx).total == 0


@pytest.mark.browser
def test_compliance_adds_a_brand_on_the_registry_page(world, console):
    page = console("compliance")
    page.goto("/brands")

    form = page.get_by_test_id("add-brand")
    form.get_by_label("Name").fill("Louis Vuitton")
    form.get_by_label("Aliases").fill("LV, 路易威登")
    form.get_by_label("Owner").fill("Louis Vuitton Malletier")
    form.get_by_role("button", name="Add brand").click()

    assert "Brand 'Louis Vuitton' added" in page.get_by_role("status").inner_text()
    row = page.locator("tr[data-brand='Louis Vuitton']").inner_text()
    assert "LV" in row and "路易威登" in row and "Louis Vuitton Malletier" in row
    shot(page, "brands")


# --- compliance rules ---------------------------------------------------------------------------


def test_an_overlapping_rule_is_refused_naming_the_rule_it_overlaps(sign_in):
    rule = {
        "market_code": "DE",
        "category_prefix": "electronics",
        "kind": "certificate",
        "certificate_type": "CE",
        "description": "CE marking",
        "source": "Directive 2014/35/EU",
        "effective_from": "2024-01-01",
    }

    answer = sign_in("compliance").post("/rules", rule)

    assert answer.status_code == 409
    assert "overlaps rule DE-CE-ELECTRONICS" in answer.text
    assert 'data-testid="rule-error"' in answer.text
    assert 'data-rule="DE-CE-ELECTRONICS" class="highlight"' in answer.text
    assert 'value="Directive 2014/35/EU"' in answer.text


def test_compliance_ends_a_rule_and_then_adds_its_successor(unit, world, sign_in):
    console = sign_in("compliance")

    console.post("/rules/DE-CE-ELECTRONICS/end", {"effective_to": "2030-12-31"})
    answer = console.post(
        "/rules",
        {
            "market_code": "DE",
            "category_prefix": "electronics",
            "kind": "certificate",
            "certificate_type": "ce",
            "description": "CE marking under the new regulation",
            "source": "a future regulation",
            "effective_from": "2031-01-01",
        },
    )

    assert answer.status_code == 303
    page = console.get("/rules?market=DE")
    assert "2030-12-31" in page.text and "CE marking under the new regulation" in page.text
    assert "upcoming" in page.text
    assert "GB-UKCA-ELECTRONICS" not in page.text


def test_operators_outside_compliance_see_the_rules_without_forms(sign_in):
    page = sign_in("merchandiser").get("/rules")

    assert page.status_code == 200 and "DE-CE-ELECTRONICS" in page.text
    assert "Add a rule" not in page.text and "End rule" not in page.text


# --- markets ------------------------------------------------------------------------------------


def test_the_merchandiser_adds_a_market_and_a_bad_time_zone_is_named(unit, world, sign_in):
    console = sign_in("merchandiser")
    market = {
        "code": "ca",
        "name": "Canada",
        "country_code": "CA",
        "region": "North America",
        "currency": "CAD",
        "languages": "en_CA, fr_CA",
        "time_zone": "America/Nowhere",
        "customs": "on",
        "active": "on",
    }

    refused = console.post("/markets", market)
    added = console.post("/markets", {**market, "time_zone": "America/Toronto"})

    assert refused.status_code == 422 and "unknown IANA time zone" in refused.text
    assert added.status_code == 303
    with unit(world["merchandiser"]) as ctx:
        row = markets.get_market(ctx, "CA")
    assert (row.languages, row.tax_inclusive, row.customs) == ("en_CA,fr_CA", False, True)


def test_only_the_merchandiser_may_edit_markets(sign_in):
    page = sign_in("compliance").get("/markets/US")

    assert page.status_code == 200 and "Save market" not in page.text
    answer = sign_in("compliance").post("/markets/US", {"name": "USA"})
    assert answer.status_code == 403


@pytest.mark.browser
def test_the_merchandiser_edits_a_market(unit, world, console):
    page = console("merchandiser")
    page.goto("/markets")
    page.locator("tr[data-market='JP']").get_by_role("link", name="Edit").click()

    page.get_by_label("Name").fill("Japan (Rakuten)")
    page.get_by_label("Languages").fill("ja_JP")
    page.get_by_label("Active").uncheck()
    shot(page, "market-edit")
    page.get_by_role("button", name="Save market").click()

    assert "Market JP saved." in page.get_by_role("status").inner_text()
    row = page.locator("tr[data-market='JP']").inner_text()
    assert "Japan (Rakuten)" in row and "inactive" in row
    with unit(world["merchandiser"]) as ctx:
        market = markets.get_market(ctx, "JP")
    assert (market.languages, market.active, market.tax_inclusive) == ("ja_JP", False, True)


# --- suppliers ----------------------------------------------------------------------------------


def test_operators_filter_suppliers_by_status(unit, world, sign_in):
    with unit(world["compliance"]) as ctx:
        parties.verify_supplier(ctx, world.supplier_b, approve=False, note="licence expired")
    console = sign_in("merchandiser")

    suspended = console.get("/suppliers?status=suspended")

    assert 'data-supplier="SUP-B"' in suspended.text
    assert 'data-supplier="SUP-A"' not in suspended.text


def test_a_supplier_sees_only_its_own_profile(world, sign_in):
    console = sign_in("supplier-a")

    own = console.http.get("/suppliers")
    other = console.get(f"/suppliers/{world.supplier_b}")

    assert own.headers["location"] == f"/suppliers/{world.supplier_a}"
    assert other.status_code == 404 and "no such supplier" in other.text


def test_a_supplier_edits_its_contact_and_a_bank_change_needs_verifying_again(unit, world, sign_in):
    console = sign_in("supplier-a")
    console.get(f"/suppliers/{world.supplier_a}")

    console.post(f"/suppliers/{world.supplier_a}", {"contact_phone": "+86 579 8512 9999"})
    with unit(world["supplier_a"]) as ctx:
        assert parties.visible_supplier(ctx, world.supplier_a).status == "verified"
    answer = console.post(
        f"/suppliers/{world.supplier_a}", {"bank_account_number": "6222020000000001"}
    )
    page = console.get(answer.headers["location"])

    assert "verifies+the+profile+again" in answer.headers["location"]
    assert 'data-testid="supplier-status">pending' in page.text
    assert "+86 579 8512 9999" in page.text


def test_another_suppliers_profile_cannot_be_edited(world, sign_in):
    answer = sign_in("supplier-b").post(
        f"/suppliers/{world.supplier_a}", {"contact_phone": "+86 1"}
    )

    assert answer.status_code == 404


def test_compliance_suspends_a_supplier_only_with_a_note(unit, world, sign_in):
    console = sign_in("compliance")

    refused = console.post(f"/suppliers/{world.supplier_a}/verify", {"decision": "suspend"})
    done = console.post(
        f"/suppliers/{world.supplier_a}/verify",
        {"decision": "suspend", "note": "export licence lapsed"},
    )

    assert "say+why" in refused.headers["location"]
    assert "Supplier+suspended" in done.headers["location"]
    with unit(world["compliance"]) as ctx:
        supplier = parties.visible_supplier(ctx, world.supplier_a)
    assert (supplier.status, supplier.verification_note) == ("suspended", "export licence lapsed")


# --- API tokens ---------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_token_secret_is_shown_once_and_the_token_can_be_revoked(live_server, console):
    page = console("finance")
    page.goto("/tokens")

    page.get_by_label("Name").fill("ERP sync")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("token-secret").input_value()
    assert secret.startswith("chk_")
    assert "shown only this once" in page.get_by_test_id("new-token").inner_text()
    shot(page, "tokens")
    me = httpx.get(f"{live_server}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200

    page.goto("/tokens")
    assert page.get_by_test_id("token-secret").count() == 0
    assert secret not in page.content()
    page.locator("tr[data-token='ERP sync']").get_by_role("button", name="Revoke").click()

    assert "revoked" in page.locator("tr[data-token='ERP sync']").inner_text()
    me = httpx.get(f"{live_server}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 401


def test_a_token_of_another_user_cannot_be_revoked(unit, world, sign_in):
    with unit(world["finance"]) as ctx:
        token, _ = parties.create_token(ctx, "finance script")

    answer = sign_in("customs").post(f"/tokens/{token.id}/revoke")

    assert answer.status_code == 404
    with unit(world["finance"]) as ctx:
        assert parties.list_tokens(ctx)[0].revoked_at is None
