"""HS classification assist over real HTTP: suggest for texts and for a product, confirm a
SKU's code once per Idempotency-Key, list confirmations, look a code up; bad input answered
with problem+json naming the field, and nothing written."""

from __future__ import annotations

import pytest

from chuhai.catalog import service as catalog

from helpers import draft


def _problem(response, status: int, field: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    if field is not None:
        assert body["field"] == field, body
    return body


@pytest.fixture
def mug(unit, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with unit(world["supplier_a"]) as ctx:
        product = catalog.create_product(ctx, draft("MUG-350"))
        skus = {s.sku_code: s.id for s in catalog.skus_of(ctx.session, product.id)}
    return {"product": product.id, **skus}


def test_suggestions_for_texts_come_best_first_with_their_subheading(client):
    answer = client("customs").post(
        "/customs/hs/suggestions",
        json={
            "products": [
                {"title": "350 ml ceramic mug", "material": "ceramic"},
                {"title": "Bluetooth wireless headphones", "description": "over-ear, foldable"},
            ],
            "top": 3,
        },
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["edition"] == "HS 2022"
    mug, headphones = body["results"]
    assert [len(mug), len(headphones)] == [3, 3]
    assert (mug[0]["code"], mug[0]["dotted"]) == ("691200", "6912.00")
    assert mug[0]["description"].startswith("Ceramic tableware, kitchenware")
    assert mug[0]["chapter"] == "Ceramic products"
    assert mug[0]["examples"]  # the labelled mugs that voted for it
    assert headphones[0]["code"] == "851830"
    assert [s["score"] for s in mug] == sorted((s["score"] for s in mug), reverse=True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"products": []}, "products"),
        ({"products": [{"title": ""}]}, "title"),
        ({"products": [{"title": "mug", "colour": "red"}]}, "products.0.colour"),
        ({"products": [{"title": "mug"}], "top": 0}, "top"),
        ({"products": [{"title": 12}]}, "products.0.title"),
    ],
    ids=["none", "blank-title", "unknown-field", "top", "not-text"],
)
def test_a_bad_request_for_suggestions_names_the_field(client, body, field):
    _problem(client("compliance").post("/customs/hs/suggestions", json=body), 422, field)


def test_suppliers_get_no_suggestions(client, mug):
    supplier = client("supplier_a")

    _problem(supplier.post("/customs/hs/suggestions", json={"products": [{"title": "mug"}]}), 403)
    _problem(supplier.get(f"/customs/hs/products/{mug['product']}"), 403)


def test_a_confirmation_is_made_once_per_key_and_the_product_shows_it(client, mug):
    api = client("customs")
    product = api.get(f"/customs/hs/products/{mug['product']}")
    assert product.status_code == 200, product.text
    assert [(s["sku_code"], s["hs_code"]) for s in product.json()["skus"]] == [
        ("MUG-350-BLK", None),
        ("MUG-350-WHT", None),
    ]
    assert product.json()["suggestions"][0]["code"] == "691200"

    url = f"/customs/hs/skus/{mug['MUG-350-WHT']}/confirmations"
    headers = {"Idempotency-Key": "hs-mug-white"}
    first = api.post(url, json={"code": "6912.00", "note": "stoneware"}, headers=headers)
    again = api.post(url, json={"code": "6912.00", "note": "stoneware"}, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    confirmed = first.json()
    assert (confirmed["code"], confirmed["dotted"], confirmed["suggested_rank"]) == (
        "691200",
        "6912.00",
        1,
    )
    assert (confirmed["confirmed_by_name"], confirmed["note"]) == ("Customs", "stoneware")
    listed = api.get("/customs/hs/confirmations", params={"product_id": mug["product"]}).json()
    assert listed["total"] == 1
    skus = api.get(f"/customs/hs/products/{mug['product']}").json()["skus"]
    white = next(s for s in skus if s["sku_code"] == "MUG-350-WHT")
    assert white["hs_code"] == "691200"
    assert white["last_confirmation"]["id"] == confirmed["id"]


def test_a_code_that_does_not_exist_is_refused_naming_the_field_and_nothing_is_written(client, mug):
    api = client("customs")
    url = f"/customs/hs/skus/{mug['MUG-350-WHT']}/confirmations"

    body = _problem(api.post(url, json={"code": "6912.99"}), 422, "hs_code")

    assert body["errors"] == [
        {
            "field": "hs_code",
            "message": "6912.99 is not an HS 2022 subheading; heading 6912 has 6912.00",
        }
    ]
    assert api.get("/customs/hs/confirmations").json()["total"] == 0
    skus = api.get(f"/customs/hs/products/{mug['product']}").json()["skus"]
    assert {s["hs_code"] for s in skus} == {None}


def test_confirming_is_for_customs_and_compliance_and_needs_a_real_sku(client, mug):
    url = f"/customs/hs/skus/{mug['MUG-350-WHT']}/confirmations"

    _problem(client("merchandiser").post(url, json={"code": "691200"}), 403)
    _problem(client("supplier_a").post(url, json={"code": "691200"}), 403)
    _problem(
        client("customs").post("/customs/hs/skus/sku_nope/confirmations", json={"code": "691200"}),
        404,
        "sku_id",
    )
    assert client("compliance").post(url, json={"code": "691200"}).status_code == 201


def test_a_code_is_looked_up_and_one_that_does_not_exist_is_404_naming_it(client):
    api = client("logistics")

    found = api.get("/customs/hs/codes/6912.00")
    assert found.status_code == 200, found.text
    assert [(e["code"], e["level"]) for e in found.json()["path"]] == [
        ("69", 2),
        ("6912", 4),
        ("691200", 6),
    ]
    _problem(api.get("/customs/hs/codes/691299"), 404, "code")
