"""The console's catalog pages: dashboard, product list, product form, images, certificates,
submission, import and stored files. Browser tests drive Chromium; the rest use httpx with a
signed-in cookie session."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from chuhai.catalog import listing, service
from chuhai.catalog.importer import template_csv
from chuhai.catalog.tables import ProductImageRow, ProductRow, SkuRow
from chuhai.parties import service as parties

from conftest import PASSWORD
from helpers import draft, png_bytes

# --- helpers -------------------------------------------------------------------------------------


class Console:
    """An httpx client signed in to the console with a cookie, like a browser."""

    def __init__(self, base_url: str, username: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        response = self.http.post(
            "/login", data={"username": username, "password": PASSWORD, "next": "/"}
        )
        assert response.status_code == 303, response.text

    def csrf(self) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.http.get("/").text)
        assert match
        return match.group(1)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return self.http.post(url, data={"csrf_token": self.csrf(), **(data or {})}, **kwargs)


@pytest.fixture
def signed_in(live_server: str, world) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    opened: list[Console] = []

    def open_as(username: str) -> Console:
        console = Console(live_server, username)
        opened.append(console)
        return console

    yield open_as
    for console in opened:
        console.http.close()


def product_form(ref: str = "FLASK-500", **changes: Any) -> dict[str, Any]:
    """The product form as a browser posts it, with two SKUs."""
    form: dict[str, Any] = {
        "ref": ref,
        "category_code": "home.kitchen",
        "brand": "",
        "title_zh": "不锈钢保温杯 500毫升",
        "title_en": "Stainless steel vacuum flask 500 ml",
        "description_zh": "",
        "description_en": "Keeps drinks hot for 12 hours.",
        "attributes": "material=stainless steel\ncapacity_ml=500",
        "target_markets": ["US", "DE"],
    }
    for index, (code, price, colour) in enumerate(
        ((f"{ref}-BLK", "12.50", "black"), (f"{ref}-RED", "12.80", "red"))
    ):
        values = {
            "sku_code": code,
            "options": f"colour={colour};size=M",
            "barcode": "",
            "weight_g": "350",
            "length_mm": "75",
            "width_mm": "75",
            "height_mm": "250",
            "materials": "304 stainless steel",
            "origin_country": "CN",
            "supply_price": price,
            "moq": "100",
            "lead_time_days": "15",
            "daily_capacity": "2000",
        }
        form.update({f"skus[{index}].{name}": value for name, value in values.items()})
    form.update(changes)
    return form


def product_count(unit, actor) -> int:  # type: ignore[no-untyped-def]
    with unit(actor) as ctx:
        return int(ctx.session.scalar(select(func.count()).select_from(ProductRow)) or 0)


def make_product(unit, actor, ref: str = "MUG-350", image: bool = False) -> str:  # type: ignore[no-untyped-def]
    with unit(actor) as ctx:
        product = service.create_product(ctx, draft(ref))
        if image:
            service.add_image(ctx, product.id, png_bytes(), "mug.png")
        return product.id


# --- browser tests -------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_supplier_creates_a_product_with_two_skus_adds_an_image_and_submits_it(
    console, unit, world
):  # type: ignore[no-untyped-def]
    page = console("supplier-a")
    page.goto("/products/new")
    page.get_by_label("Reference (货号)").fill("FLASK-500")
    page.select_option("select[name=category_code]", "home.kitchen")
    page.get_by_label("Title (中文)").fill("不锈钢保温杯")
    page.get_by_label("Title (English)").fill("Vacuum flask 500 ml")
    page.fill("textarea[name=attributes]", "material=steel\ncapacity_ml=500")
    page.check("input[name=target_markets][value=US]")
    page.check("input[name=target_markets][value=DE]")
    rows = [
        ("FLASK-500-BLK", "colour=black", "12.50"),
        ("FLASK-500-RED", "colour=red;size=M", "13.20"),
    ]
    for index, (code, options, price) in enumerate(rows):
        if index:
            page.get_by_role("button", name="Add SKU").click()
        values = {
            "sku_code": code,
            "options": options,
            "supply_price": price,
            "weight_g": "350",
            "length_mm": "75",
            "width_mm": "75",
            "height_mm": "250",
            "moq": "100",
            "lead_time_days": "15",
            "daily_capacity": "2000",
        }
        for name, value in values.items():
            page.fill(f'input[name="skus[{index}].{name}"]', value)
    assert page.locator("[data-testid=sku-row]").count() == 2
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/products/prd_\w+/edit"))
    assert "saved as a draft" in page.locator(".flash.notice").inner_text()
    assert page.locator("[data-testid=state]").inner_text() == "draft"

    page.set_input_files(
        "input[name=image]",
        files=[{"name": "flask.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    page.get_by_role("button", name="Upload image").click()
    page.wait_for_selector("[data-testid=image] img")
    # the thumbnail really loads through the console's /files route (wait for it: the
    # element exists before its bytes arrive, and a busy machine makes that visible)
    page.wait_for_function(
        "document.querySelector('[data-testid=image] img').complete"
        " && document.querySelector('[data-testid=image] img').naturalWidth > 0"
    )
    assert page.eval_on_selector("[data-testid=image] img", "img => img.naturalWidth") == 64

    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(re.compile(r"/products/prd_\w+(\?|$)"))
    page.goto("/products")
    row = page.locator("[data-testid=product-row]", has_text="Vacuum flask 500 ml")
    assert row.locator("[data-testid=state]").inner_text() == "submitted"

    with unit(world["supplier_a"]) as ctx:
        product = ctx.session.scalar(select(ProductRow))
        assert product.state == "submitted"
        skus = {s.sku_code: s for s in service.skus_of(ctx.session, product.id)}
        assert skus["FLASK-500-RED"].supply_price_amount == 1320
        assert skus["FLASK-500-RED"].options == {"colour": "red", "size": "M"}
        assert product.attributes == {"material": "steel", "capacity_ml": "500"}
        assert sorted(product.target_markets) == ["DE", "US"]


@pytest.mark.browser
def test_a_price_with_three_decimals_is_shown_next_to_the_field_and_nothing_is_written(
    console, unit, world
):  # type: ignore[no-untyped-def]
    page = console("supplier-a")
    page.goto("/products/new")
    form = product_form()
    page.fill("input[name=ref]", form["ref"])
    page.select_option("select[name=category_code]", form["category_code"])
    page.fill("input[name=title_zh]", form["title_zh"])
    page.fill("input[name=title_en]", form["title_en"])
    for name in ("sku_code", "weight_g", "length_mm", "width_mm", "height_mm", "moq"):
        page.fill(f'input[name="skus[0].{name}"]', form[f"skus[0].{name}"])
    page.fill('input[name="skus[0].lead_time_days"]', "15")
    page.fill('input[name="skus[0].daily_capacity"]', "2000")
    page.fill('input[name="skus[0].supply_price"]', "12.345")
    page.get_by_role("button", name="Save").click()

    error = page.locator('[data-testid="error-skus[0].supply_price"]')
    assert "at most 2 decimal places" in error.inner_text()
    # the message sits inside the price field's own label, next to its input
    label = page.locator("label", has=page.locator('input[name="skus[0].supply_price"]'))
    assert "at most 2 decimal places" in label.inner_text()
    assert "Nothing was saved" in page.locator("[data-testid=form-errors]").inner_text()
    # what was typed is still there
    assert page.input_value('input[name="skus[0].supply_price"]') == "12.345"
    assert page.input_value("input[name=title_zh]") == form["title_zh"]
    assert product_count(unit, world["admin"]) == 0


@pytest.mark.browser
def test_importing_a_bad_csv_lists_the_row_errors_and_imports_nothing(console, unit, world):  # type: ignore[no-untyped-def]
    bad = template_csv().decode("utf-8-sig").replace("12.50", "twelve").replace(",350,", ",-1,")
    page = console("supplier-a")
    page.goto("/imports")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "catalog.csv", "mimeType": "text/csv", "buffer": bad.encode("utf-8")}],
    )
    page.get_by_role("button", name="Import").click()
    banner = page.locator("[data-testid=import-failed]")
    assert "Nothing was imported" in banner.inner_text()
    errors = page.locator("[data-testid=import-error]")
    assert errors.count() == 2
    text = page.locator("[data-testid=import-errors]").inner_text()
    assert "supply_price_cny" in text and "weight_g" in text
    assert errors.first.locator("td").first.inner_text() == "2"
    assert product_count(unit, world["admin"]) == 0


@pytest.mark.browser
def test_another_supplier_gets_a_404_page_for_the_edit_page_and_the_image(console, unit, world):  # type: ignore[no-untyped-def]
    product_id = make_product(unit, world["supplier_a"], image=True)
    with unit(world["supplier_a"]) as ctx:
        file_id = ctx.session.scalar(select(ProductImageRow.file_id))
    page = console("supplier-b")
    response = page.goto(f"/products/{product_id}/edit")
    assert response.status == 404
    assert "no such product" in page.locator("[role=alert]").inner_text()
    response = page.goto(f"/files/{file_id}")
    assert response.status == 404
    assert "Not found" in page.content()
    owner = console("supplier-a")
    response = owner.goto(f"/files/{file_id}")
    assert response.status == 200
    assert response.headers["content-type"] == "image/png"


# --- plain HTTP ----------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused(signed_in, unit, world):  # type: ignore[no-untyped-def]
    console = signed_in("supplier-a")
    response = console.http.post("/products/new", data=product_form())
    assert response.status_code == 403
    assert "reload" in response.text
    response = console.http.post("/products/new", data={**product_form(), "csrf_token": "forged"})
    assert response.status_code == 403
    assert product_count(unit, world["admin"]) == 0


def test_pages_need_a_session(live_server):  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=live_server) as http:
        response = http.get("/products?state=draft")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/products%3Fstate%3Ddraft"


def test_the_form_creates_a_product_and_reports_non_whole_numbers_without_writing(
    signed_in, unit, world
):  # type: ignore[no-untyped-def]
    console = signed_in("supplier-a")
    response = console.post(
        "/products/new",
        product_form(**{"skus[1].weight_g": "350.5", "skus[0].moq": "", "title_en": ""}),
    )
    assert response.status_code == 422
    html = response.text
    assert re.search(r'data-testid="error-skus\[1\].weight_g"[^>]*>must be a whole number<', html)
    assert re.search(r'data-testid="error-skus\[0\].moq"[^>]*>is required<', html)
    assert re.search(r'data-testid="error-title_en"[^>]*>is required<', html)
    assert 'value="350.5"' in html
    assert product_count(unit, world["admin"]) == 0
    no_skus = {k: v for k, v in product_form().items() if not k.startswith("skus[")}
    response = console.post("/products/new", no_skus)
    assert response.status_code == 422
    assert re.search(
        r'data-testid="error-skus"[^>]*>a product needs at least one SKU<', response.text
    )
    assert 'name="skus[0].sku_code"' in response.text  # a blank row to start again from

    response = console.post("/products/new", product_form())
    assert response.status_code == 303
    assert re.fullmatch(r"/products/prd_\w+/edit\?notice=.+", response.headers["location"])
    with unit(world["supplier_a"]) as ctx:
        product = ctx.session.scalar(select(ProductRow))
        assert product.supplier_id == world.supplier_a
        assert [s.sku_code for s in service.skus_of(ctx.session, product.id)] == [
            "FLASK-500-BLK",
            "FLASK-500-RED",
        ]


def test_a_service_error_is_shown_next_to_its_field(signed_in, unit, world):  # type: ignore[no-untyped-def]
    make_product(unit, world["supplier_a"], ref="FLASK-500")
    console = signed_in("supplier-a")
    response = console.post("/products/new", product_form(**{"skus[0].barcode": "6901234567890"}))
    assert response.status_code == 422
    assert "not a valid EAN-13" in response.text
    response = console.post("/products/new", product_form())
    assert response.status_code == 422
    assert re.search(r'data-testid="error-ref"[^>]*>you already have a product', response.text)
    assert product_count(unit, world["admin"]) == 1


def test_editing_replaces_fields_and_adds_skus(signed_in, unit, world):  # type: ignore[no-untyped-def]
    product_id = make_product(unit, world["supplier_a"])
    console = signed_in("supplier-a")
    page = console.get(f"/products/{product_id}/edit").text
    assert 'value="MUG-350-WHT"' in page and 'value="12.50"' in page
    assert "capacity_ml=350" in page
    form = product_form("MUG-350", title_en="Mug, renamed")
    form.update({"skus[0].sku_code": "MUG-350-WHT", "skus[1].sku_code": "MUG-350-BLK"})
    form.update({f"skus[7].{k[8:]}": v for k, v in form.items() if k.startswith("skus[1].")})
    form["skus[7].sku_code"] = "MUG-350-RED"  # rows may come with gaps in their numbers
    response = console.post(f"/products/{product_id}/edit", form)
    assert response.status_code == 303, response.text
    with unit(world["supplier_a"]) as ctx:
        view = service.product_view(ctx, product_id)
        assert view.product.title_en == "Mug, renamed"
        assert [s.sku_code for s in view.skus] == ["MUG-350-BLK", "MUG-350-RED", "MUG-350-WHT"]


def test_editing_removes_a_sku(signed_in, unit, world):  # type: ignore[no-untyped-def]
    product_id = make_product(unit, world["supplier_a"])
    console = signed_in("supplier-a")
    form = product_form("MUG-350")
    form = {k: v for k, v in form.items() if not k.startswith("skus[1].")}
    form["skus[0].sku_code"] = "MUG-350-BLK"
    response = console.post(f"/products/{product_id}/edit", form)
    assert response.status_code == 303, response.text
    with unit(world["supplier_a"]) as ctx:
        assert [s.sku_code for s in service.skus_of(ctx.session, product_id)] == ["MUG-350-BLK"]


def test_an_operator_creates_a_product_for_a_chosen_supplier(signed_in, unit, world):  # type: ignore[no-untyped-def]
    console = signed_in("merchandiser")
    page = console.get("/products/new").text
    assert 'name="supplier_id"' in page and "SUP-B" in page
    response = console.post("/products/new", product_form())
    assert response.status_code == 422
    assert re.search(r'data-testid="error-supplier_id"', response.text)
    response = console.post("/products/new", product_form(supplier_id=world.supplier_b))
    assert response.status_code == 303
    with unit(world["admin"]) as ctx:
        assert ctx.session.scalar(select(ProductRow.supplier_id)) == world.supplier_b
    # compliance staff read the catalog but may not edit it
    assert signed_in("compliance").get("/products/new").status_code == 403


def test_a_submitted_product_is_not_editable_here(signed_in, unit, world):  # type: ignore[no-untyped-def]
    product_id = make_product(unit, world["supplier_a"], image=True)
    with unit(world["supplier_a"]) as ctx:
        listing.submit(ctx, product_id)
    console = signed_in("supplier-a")
    page = console.get(f"/products/{product_id}/edit").text
    assert 'data-testid="not-editable"' in page
    assert 'data-testid="product-form"' not in page and "Submit for review" not in page
    response = console.post(f"/products/{product_id}/edit", product_form("MUG-350"))
    assert response.status_code == 422
    assert "cannot be edited" in response.text


def test_submitting_without_an_image_says_why(signed_in, unit, world):  # type: ignore[no-untyped-def]
    product_id = make_product(unit, world["supplier_a"])
    console = signed_in("supplier-a")
    page = console.get(f"/products/{product_id}/edit").text
    assert "upload at least one product image" in page  # the checklist, before trying
    response = console.post(f"/products/{product_id}/submit")
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"/products/{product_id}/edit?error=")
    page = console.get(location).text
    assert "cannot be submitted yet" in page and "add at least one product image" in page
    with unit(world["supplier_a"]) as ctx:
        assert service.visible_product(ctx, product_id).state == "draft"


def test_images_upload_show_and_remove(signed_in, unit, world):  # type: ignore[no-untyped-def]
    product_id = make_product(unit, world["supplier_a"])
    console = signed_in("supplier-a")
    response = console.post(
        f"/products/{product_id}/images",
        files={"image": ("notes.png", b"not an image", "image/png")},
    )
    assert response.status_code == 422
    assert re.search(
        r'data-testid="error-image"[^>]*>the file is not a readable image<', response.text
    )
    assert "The image notes.png was not uploaded" in response.text
    big = bytes(600 * 1024)  # over the 512 KiB limit the tests run with
    response = console.post(
        f"/products/{product_id}/images", files={"image": ("big.png", big, "image/png")}
    )
    assert response.status_code == 422 and "the limit is" in response.text

    response = console.post(
        f"/products/{product_id}/images", files={"image": ("mug.png", png_bytes(), "image/png")}
    )
    assert response.status_code == 303
    with unit(world["supplier_a"]) as ctx:
        image = ctx.session.scalar(select(ProductImageRow))
    page = console.get(f"/products/{product_id}/edit").text
    assert f'src="/files/{image.file_id}"' in page
    picture = console.get(f"/files/{image.file_id}")
    assert picture.headers["content-type"] == "image/png" and picture.content == png_bytes()
    response = console.post(f"/products/{product_id}/images/{image.id}/delete")
    assert response.status_code == 303
    with unit(world["supplier_a"]) as ctx:
        assert ctx.session.scalar(select(func.count()).select_from(ProductImageRow)) == 0


def test_certificates_upload_with_field_errors(signed_in, unit, world):  # type: ignore[no-untyped-def]
    product_id = make_product(unit, world["supplier_a"])
    console = signed_in("supplier-a")
    fields = {"cert_type": "CE", "number": "CE-2024-001", "issuer": "TÜV Rheinland"}
    pdf = ("ce.pdf", b"%PDF-1.4\n%fake\n", "application/pdf")
    response = console.post(
        f"/products/{product_id}/certificates",
        {**fields, "issued_on": "2024-13-01", "expires_on": ""},
        files={"file": pdf},
    )
    assert response.status_code == 422
    assert re.search(
        r'data-testid="error-issued_on"[^>]*>give a date as YYYY-MM-DD<', response.text
    )
    assert 'value="CE-2024-001"' in response.text  # typed values kept
    response = console.post(
        f"/products/{product_id}/certificates",
        {**fields, "issued_on": "2024-03-01", "expires_on": "2023-01-01"},
        files={"file": pdf},
    )
    assert response.status_code == 422
    assert "must be after the issue date" in response.text
    response = console.post(
        f"/products/{product_id}/certificates",
        {**fields, "issued_on": "2024-03-01", "expires_on": "2029-03-01"},
        files={"file": pdf},
    )
    assert response.status_code == 303
    page = console.get(f"/products/{product_id}/edit").text
    assert "CE-2024-001" in page and "TÜV Rheinland" in page


def test_the_product_list_filters_and_pages(signed_in, unit, world):  # type: ignore[no-untyped-def]
    with unit(world["supplier_a"]) as ctx:
        for n in range(30):
            service.create_product(ctx, draft(f"CUP-{n:02d}", title_en=f"Cup number {n:02d}"))
    make_product(unit, world["supplier_b"], ref="B-ONLY")
    console = signed_in("supplier-a")
    page = console.get("/products").text
    assert "1–25 of 30" in page
    assert page.count('data-testid="product-row"') == 25
    assert "B-ONLY" not in page and 'name="supplier_id"' not in page
    page = console.get("/products?offset=25").text
    assert "26–30 of 30" in page and 'rel="prev"' in page and 'rel="next"' not in page
    page = console.get("/products?offset=200&state=bogus").text
    assert "0 of 30" in page and 'rel="prev"' in page
    page = console.get("/products?q=number+07").text
    assert "1–1 of 1" in page and "Cup number 07" in page
    page = console.get("/products?state=submitted").text
    assert "0 of 0" in page and "No products match" in page

    operator = signed_in("merchandiser")
    page = operator.get("/products").text
    assert "1–25 of 31" in page and 'name="supplier_id"' in page
    page = operator.get(f"/products?supplier_id={world.supplier_b}").text
    assert "1–1 of 1" in page and "SUP-B" in page


def test_the_supplier_dashboard_shows_what_needs_action(signed_in, unit, world):  # type: ignore[no-untyped-def]
    rejected = make_product(unit, world["supplier_a"], ref="REJ-1", image=True)
    offered = make_product(unit, world["supplier_a"], ref="NEG-1", image=True)
    with unit(world["supplier_a"]) as ctx:
        listing.submit(ctx, rejected)
        listing.submit(ctx, offered)
    with unit(world["compliance"]) as ctx:
        listing.reject(ctx, rejected, "The photos show another company's logo")
        listing.start_compliance_review(ctx, offered)
        listing.pass_compliance(ctx, offered)
        listing.pass_ip(ctx, offered)
    with unit(world["merchandiser"]) as ctx:
        prices = {s.id: "11.00" for s in service.skus_of(ctx.session, offered)}
        listing.make_offer(ctx, offered, prices, "volume pricing for Q3")
    page = signed_in("supplier-a").get("/").text
    assert "The photos show another company&#39;s logo" in page
    assert f'href="/products/{rejected}/edit"' in page
    assert "volume pricing for Q3" in page and f'href="/products/{offered}"' in page
    assert re.search(r'data-testid="count-rejected">\s*<b>1</b>', page)
    assert re.search(r'data-testid="count-price_negotiation">\s*<b>1</b>', page)
    assert 'data-testid="verification-warning"' not in page

    with unit(world["compliance"]) as ctx:
        parties.verify_supplier(ctx, world.supplier_a, approve=False, note="licence expired")
    page = signed_in("supplier-a").get("/").text
    assert 'data-testid="verification-warning"' in page and "licence expired" in page

    page = signed_in("compliance").get("/").text
    assert 'href="/review"' in page
    assert re.search(r'data-testid="waiting-on-platform">1<', page)


def test_importing_a_good_file_lists_the_created_products(signed_in, unit, world):  # type: ignore[no-untyped-def]
    console = signed_in("supplier-a")
    csv_template = console.get("/imports/template.csv")
    assert csv_template.headers["content-type"].startswith("text/csv")
    assert csv_template.content.startswith(b"\xef\xbb\xbfproduct_ref,")
    xlsx = console.get("/imports/template.xlsx")
    assert xlsx.content.startswith(b"PK")
    response = console.post(
        "/imports", files={"file": ("catalog.xlsx", xlsx.content, "application/octet-stream")}
    )
    assert response.status_code == 200
    assert 'data-testid="import-ok"' in response.text
    with unit(world["supplier_a"]) as ctx:
        product = ctx.session.scalar(select(ProductRow))
        assert ctx.session.scalar(select(func.count()).select_from(SkuRow)) == 1
    assert f'href="/products/{product.id}"' in response.text
    # the same file again: every SKU is taken, nothing more is written
    response = console.post(
        "/imports", files={"file": ("catalog.csv", csv_template.content, "text/csv")}
    )
    assert response.status_code == 422 and "Nothing was imported" in response.text
    assert product_count(unit, world["admin"]) == 1


def test_an_operator_import_needs_a_supplier(signed_in, unit, world):  # type: ignore[no-untyped-def]
    console = signed_in("merchandiser")
    files = {"file": ("catalog.csv", template_csv(), "text/csv")}
    response = console.post("/imports", files=files)
    assert response.status_code == 422
    assert "say which supplier" in response.text
    response = console.post("/imports", {"supplier_id": world.supplier_b}, files=files)
    assert response.status_code == 200
    with unit(world["admin"]) as ctx:
        assert ctx.session.scalar(select(ProductRow.supplier_id)) == world.supplier_b
