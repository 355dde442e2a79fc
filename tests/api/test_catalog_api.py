"""The catalog over real HTTP: creating products, the workflow, idempotency, and bad input
answered with problem+json that names the field — with nothing written."""

from __future__ import annotations

import concurrent.futures
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from chuhai.catalog.tables import ProductRow, SkuRow
from chuhai.core.tables import StoredFileRow
from chuhai.parties.tables import SupplierRow

from helpers import png_bytes, product_json


def count(unit, table) -> int:
    with unit() as ctx:
        return int(ctx.session.scalar(select(func.count()).select_from(table)))


def _problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    if field is not None:
        assert body["field"] == field, body
    return body


def _with_image(api, body) -> str:
    created = api.post("/products", json=body)
    assert created.status_code == 201, created.text
    product_id = created.json()["id"]
    upload = api.post(
        f"/products/{product_id}/images", files={"image": ("mug.png", png_bytes(), "image/png")}
    )
    assert upload.status_code == 201, upload.text
    return product_id


def test_a_product_is_listed_through_the_api_after_two_negotiation_rounds(client):
    names = ("supplier_a", "compliance", "merchandiser", "logistics")
    supplier, compliance, merch, logistics = (client(n) for n in names)
    product_id = _with_image(supplier, product_json())
    assert supplier.post(f"/products/{product_id}/submit", json={}).json()["state"] == "submitted"
    assert compliance.post(f"/products/{product_id}/compliance-review").status_code == 200
    assert (
        compliance.post(
            f"/products/{product_id}/compliance-review/pass",
            json={"note": "kitchenware, no certificate rule"},
        ).status_code
        == 200
    )
    product = compliance.post(f"/products/{product_id}/ip-review/pass", json={}).json()
    assert product["state"] == "price_negotiation"
    skus = {s["sku_code"]: s["id"] for s in product["skus"]}
    prices = {skus["MUG-350-WHT"]: "11.00", skus["MUG-350-BLK"]: "12.00"}
    offer = merch.post(f"/products/{product_id}/negotiation/offers", json={"prices": prices})
    assert offer.status_code == 201, offer.text
    counter = supplier.post(
        f"/products/{product_id}/negotiation/offers",
        json={
            "prices": {skus["MUG-350-WHT"]: "11.60", skus["MUG-350-BLK"]: "12.50"},
            "note": "glaze cost",
        },
    )
    assert counter.json()["round_no"] == 2
    product = merch.post(f"/products/{product_id}/negotiation/accept", json={}).json()
    assert product["state"] == "sample_qc"
    assert {s["sku_code"]: s["supply_price"] for s in product["skus"]} == {
        "MUG-350-BLK": {"amount": "12.50", "currency": "CNY"},
        "MUG-350-WHT": {"amount": "11.60", "currency": "CNY"},
    }
    assert logistics.post(f"/products/{product_id}/sample/receive").status_code == 200
    check = logistics.post(
        f"/products/{product_id}/sample/checks",
        data={"name": "drop test", "passed": "true"},
        files={"photos": ("p.png", png_bytes(), "image/png")},
    )
    assert check.status_code == 201, check.text
    passed = logistics.post(f"/products/{product_id}/sample/pass", json={}).json()
    assert passed["state"] == "approved"
    listed = merch.post(f"/products/{product_id}/list", json={"markets": ["US", "GB"]}).json()
    assert listed["state"] == "listed"
    assert [m["market_code"] for m in listed["markets"]] == ["GB", "US"]
    history = supplier.get(f"/products/{product_id}/transitions").json()
    assert [h["to_state"] for h in history] == [
        "submitted",
        "compliance_review",
        "ip_review",
        "price_negotiation",
        "sample_qc",
        "approved",
        "listed",
    ]
    prices = supplier.get(f"/skus/{skus['MUG-350-WHT']}/price-history").json()
    assert [(p["source"], p["amount"]) for p in prices] == [
        ("declared", "12.50"),
        ("negotiated", "11.60"),
    ]


def test_an_illegal_transition_is_409_naming_the_current_state(client):
    supplier = client("supplier_a")
    product_id = supplier.post("/products", json=product_json()).json()["id"]
    body = _problem(
        client("compliance").post(f"/products/{product_id}/compliance-review/pass", json={}), 409
    )
    assert body["current_state"] == "draft"
    assert "draft" in body["detail"]


def test_a_role_without_permission_gets_403(client):
    supplier = client("supplier_a")
    product_id = _with_image(supplier, product_json())
    supplier.post(f"/products/{product_id}/submit", json={})
    body = _problem(client("finance").post(f"/products/{product_id}/compliance-review"), 403)
    assert body["permission"] == "review.compliance"
    _problem(supplier.post("/brands", json={"name": "Nike"}), 403)
    _problem(
        client("logistics").post(
            "/markets",
            json={
                "code": "NL",
                "name": "Netherlands",
                "region": "Europe",
                "currency": "EUR",
                "languages": ["nl_NL"],
                "tax_inclusive": True,
                "time_zone": "Europe/Amsterdam",
            },
        ),
        403,
    )


@pytest.mark.parametrize(
    ("sku_change", "field", "message"),
    [
        ({"supply_price": "-3.00"}, "skus[0].supply_price", "greater than zero"),
        ({"supply_price": "0"}, "skus[0].supply_price", "greater than zero"),
        ({"supply_price": "12.345"}, "skus[0].supply_price", "at most 2 decimal places"),
        ({"supply_price": "twelve"}, "skus[0].supply_price", "not a number"),
        ({"supply_price": 12.5}, "skus.0.supply_price", "not a number"),
        ({"supply_price_currency": "XXY"}, "skus[0].supply_price_currency", "CNY"),
        ({"origin_country": "XX"}, "skus[0].origin_country", "unknown ISO 3166 country"),
        ({"barcode": "6901234567890"}, "skus[0].barcode", "check digit"),
        ({"weight_g": 0}, "skus[0].weight_g", "between 1 and"),
    ],
    ids=[
        "negative",
        "zero",
        "too-many-decimals",
        "not-a-number",
        "float",
        "currency",
        "country",
        "barcode",
        "weight",
    ],
)
def test_a_bad_sku_is_refused_naming_the_field_and_nothing_is_written(
    client, unit, sku_change, field, message
):
    body = product_json()
    body["skus"][0].update(sku_change)
    problem = _problem(client("supplier_a").post("/products", json=body), 422)
    assert any(e["field"] == field and message in e["message"] for e in problem["errors"]), problem
    assert count(unit, ProductRow) == 0
    assert count(unit, SkuRow) == 0


def test_an_unknown_market_is_refused(client):
    problem = _problem(
        client("supplier_a").post("/products", json=product_json(target_markets=["US", "ZZ"])),
        422,
        "target_markets",
    )
    assert "ZZ" in problem["detail"]


def test_an_invalid_social_credit_code_is_refused_naming_the_field(client, unit):
    from conftest import credit_code

    good = credit_code(77)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    body = {
        "code": "NEW-1",
        "legal_name": "宁波新工厂有限公司",
        "credit_code": bad,
        "address": "宁波",
        "contact_name": "李",
        "contact_phone": "1",
        "contact_email": "a@b.cn",
        "export_qualification": "备案",
        "bank_name": "工行",
        "bank_account_name": "宁波新工厂",
        "bank_account_number": "1234567890123",
    }
    before = count(unit, SupplierRow)
    problem = _problem(client("merchandiser").post("/suppliers", json=body), 422, "credit_code")
    assert "check character" in problem["detail"]
    assert count(unit, SupplierRow) == before
    ok = client("merchandiser").post("/suppliers", json={**body, "credit_code": good})
    assert ok.status_code == 201, ok.text
    assert ok.json()["status"] == "pending"


def test_images_over_the_limit_or_not_images_are_refused(client, unit, settings):
    api = client("supplier_a")
    product_id = api.post("/products", json=product_json()).json()["id"]
    too_big = png_bytes((1, 1)) + b"\0" * (settings.max_image_bytes + 1)
    problem = _problem(
        api.post(
            f"/products/{product_id}/images", files={"image": ("big.png", too_big, "image/png")}
        ),
        422,
        "image",
    )
    assert "limit" in problem["detail"]
    problem = _problem(
        api.post(
            f"/products/{product_id}/images",
            files={"image": ("x.png", b"%PDF-1.4 not an image", "image/png")},
        ),
        422,
        "image",
    )
    assert "not a readable image" in problem["detail"]
    assert count(unit, StoredFileRow) == 0


def test_a_replayed_idempotency_key_returns_the_first_answer_and_writes_once(client, unit):
    api = client("supplier_a")
    headers = {"Idempotency-Key": "create-mug-1"}
    first = api.post("/products", json=product_json(), headers=headers)
    second = api.post("/products", json=product_json(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert count(unit, ProductRow) == 1


def test_the_same_idempotency_key_with_a_different_body_is_422(client, unit):
    api = client("supplier_a")
    headers = {"Idempotency-Key": "create-mug-2"}
    api.post("/products", json=product_json(), headers=headers)
    problem = _problem(
        api.post("/products", json=product_json(title_en="Other mug"), headers=headers),
        422,
        "Idempotency-Key",
    )
    assert "different request" in problem["detail"]
    assert count(unit, ProductRow) == 1


def test_concurrent_retries_with_one_key_create_one_product(client, unit):
    api = client("supplier_a")
    headers = {"Idempotency-Key": "create-mug-3"}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda _: api.post("/products", json=product_json(), headers=headers), range(8)
            )
        )
    assert {a.status_code for a in answers} <= {201, 409}
    assert len({a.json()["id"] for a in answers if a.status_code == 201}) == 1
    assert count(unit, ProductRow) == 1


def test_a_csv_with_one_bad_row_imports_nothing_and_reports_the_row(client, unit):
    csv_text = (
        "product_ref,category,title_zh,title_en,sku_code,weight_g,length_mm,width_mm,height_mm,"
        "supply_price_cny,moq,lead_time_days,daily_capacity\n"
        "P1,home.kitchen,杯子,Cup,P1-A,300,100,80,90,8.50,100,5,1000\n"
        "P2,home.kitchen,碗,Bowl,P2-A,300,100,80,90,-1,100,5,1000\n"
    )
    answer = client("supplier_a").post(
        "/imports", files={"file": ("c.csv", csv_text.encode("gbk"), "text/csv")}
    )
    body = _problem(answer, 422, "file")
    assert body["ok"] is False
    assert body["errors"] == [
        {
            "row": 3,
            "field": "supply_price_cny",
            "message": "supply_price_cny must be greater than zero",
        }
    ]
    assert "nothing was imported" in body["summary"]
    assert count(unit, ProductRow) == 0


def test_an_xlsx_catalog_is_imported(client, unit):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        [
            "product_ref",
            "category",
            "title_zh",
            "title_en",
            "sku_code",
            "weight_g",
            "length_mm",
            "width_mm",
            "height_mm",
            "supply_price_cny",
            "moq",
            "lead_time_days",
            "daily_capacity",
            "target_markets",
        ]
    )
    sheet.append(
        [
            "T1",
            "apparel.women",
            "连衣裙",
            "Dress",
            "T1-S",
            250,
            300,
            200,
            30,
            "45.00",
            100,
            15,
            500,
            "US;DE",
        ]
    )
    sheet.append(["T1", None, None, None, "T1-M", 260, 300, 200, 30, "45.00", 100, 15, 500, None])
    buffer = io.BytesIO()
    book.save(buffer)
    answer = client("supplier_a").post("/imports", files={"file": ("c.xlsx", buffer.getvalue())})
    assert answer.status_code == 201, answer.text
    assert answer.json()["summary"] == "2 rows, 1 product, 2 SKUs, no errors"
    assert count(unit, SkuRow) == 2


def test_a_truncated_xlsx_is_refused_as_a_whole(client, unit):
    book = openpyxl.Workbook()
    buffer = io.BytesIO()
    book.save(buffer)
    answer = client("supplier_a").post(
        "/imports", files={"file": ("c.xlsx", buffer.getvalue()[:300])}
    )
    body = _problem(answer, 422, "file")
    assert "not a valid XLSX workbook" in body["summary"]


def test_list_endpoints_paginate(client):
    api = client("supplier_a")
    for n in range(3):
        api.post("/products", json=product_json(f"P-{n}"))
    page = api.get("/products", params={"limit": 2, "offset": 0}).json()
    rest = api.get("/products", params={"limit": 2, "offset": 2}).json()
    assert (page["total"], len(page["items"]), len(rest["items"])) == (3, 2, 1)
    _problem(api.get("/products", params={"limit": 0}), 422, "limit")


def test_request_validation_errors_are_problem_json_naming_the_field(client):
    problem = _problem(client("supplier_a").post("/products", json={"ref": "X"}), 422)
    assert {"title_zh", "skus"} <= {e["field"] for e in problem["errors"]}
