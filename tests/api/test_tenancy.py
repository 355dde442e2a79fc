"""Walk every route in the OpenAPI document: as supplier A against supplier B's records every
route answers 404 (no leak of existence), and without a token every route answers 401."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from chuhai.catalog import registry, service
from chuhai.parties import service as parties

from helpers import draft, png_bytes

# path parameters that name a tenant's record, and those that name platform data
TENANT_PARAMS = {
    "supplier_id",
    "product_id",
    "sku_id",
    "image_id",
    "file_id",
    "token_id",
    "stock_up_order_id",  # a supplier sees its own stock-up orders
    "statement_id",  # a supplier sees its own settlement statements
    "design_id",  # a studio sees its own designs (a supplier none)
    "production_order_id",  # a factory sees its own production orders
    "proposal_id",  # a sell-through proposal is of a product: 404 unless it is visible
}
PLATFORM_PARAMS = {
    "market_code",
    "brand_id",
    "rule_id",
    "route",
    "declaration_id",
    "document",
    "code",  # an HS code: /customs/hs/codes/{code}
    "order_id",  # orders and returns are read by platform staff only
    "return_id",
    "cart_id",  # a storefront cart: its id is the shopper's secret
    "number",  # an order number, with the buyer's email: /storefront/orders/{number}
    "shipment_id",  # shipments are read by platform staff only
    "entry_id",  # journal entries are read by finance staff only
    "carrier",  # a carrier's code: /carriers/{carrier}/events
    "warehouse_id",  # warehouses and transfers are the platform's
    "transfer_id",
    "run_id",  # settlement runs are finance's; forecast runs the planners'
    "brief_id",  # design briefs are the platform's (studios read the published ones)
    "buyer_id",  # B2B buyers, policies and invoices are finance's (credit)
    "policy_id",
    "invoice_id",
    "forward_id",  # FX forwards are finance's (treasury)
    "scenario_id",  # network scenarios and plans are logistics'
    "plan_id",
}
PUBLIC_ROUTES = {("POST", "/api/v1/auth/tokens")}
# the storefront answers anyone: it acts for anonymous shoppers, who may browse and buy only
PUBLIC_PREFIXES = ("/api/v1/storefront/",)
# signed by the sender instead of a token: a missing signature is a 401 with its own challenge
SIGNED_ROUTES = {("POST", "/api/v1/carriers/{carrier}/events"): "HMAC-SHA256"}


def _routes(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
    ]


def _example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The smallest value that passes the schema's shape checks."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    if "anyOf" in schema:
        return _example(schema["anyOf"][0], components)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: _example(schema["properties"][name], components)
            for name in schema.get("required", [])
        }
    if kind == "array":
        return []
    if kind == "integer":
        return 1
    if kind == "boolean":
        return True
    if schema.get("format") == "date":
        return "2026-01-01"
    return "1.00"


def _request_kwargs(operation: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    query = {
        p["name"]: _example(p["schema"], components)
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }
    return {"params": query, **_body(operation, components)}


def _body(operation: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return {"json": _example(content["application/json"]["schema"], components)}
    if "multipart/form-data" in content:
        form = _example(content["multipart/form-data"]["schema"], components)
        files = {
            k: ("x.png", png_bytes(), "image/png") for k in ("image", "file", "photos") if k in form
        }
        data = {k: v for k, v in form.items() if k not in files}
        return {"data": data, "files": files}
    return {}


def _stock_up_order_of_b(unit, world) -> str:  # type: ignore[no-untyped-def]
    """A product of supplier B taken to approved, and a stock-up order for it."""
    from chuhai.catalog import listing
    from chuhai.inventory import stockup

    with unit(world["supplier_b"]) as ctx:
        product = service.create_product(ctx, draft("B-STOCKED"))
        service.add_image(ctx, product.id, png_bytes(), "b.png")
        listing.submit(ctx, product.id)
    with unit(world["compliance"]) as ctx:
        listing.start_compliance_review(ctx, product.id)
        listing.pass_compliance(ctx, product.id)
        listing.pass_ip(ctx, product.id, "cleared")
    with unit(world["merchandiser"]) as ctx:
        listing.accept_offer(ctx, product.id)
    with unit(world["logistics"]) as ctx:
        listing.receive_sample(ctx, product.id)
        listing.record_check(ctx, product.id, name="finish", passed=True)
        listing.pass_qc(ctx, product.id)
    with unit(world["merchandiser"]) as ctx:
        sku = service.skus_of(ctx.session, product.id)[0]
        lines = [stockup.LineDraft(sku.id, 10)]
        draft_order = stockup.StockUpDraft(world.supplier_b, "CN-GZ", "jit", lines, jit_hours=48)
        return stockup.issue(ctx, draft_order).id


def _statement_of_b(unit, world) -> str:  # type: ignore[no-untyped-def]
    """A settlement statement of supplier B: a receipt the ledger heard of, then a run."""
    from chuhai.core import events
    from chuhai.finance import settlement

    with unit() as ctx:
        events.publish(
            ctx,
            "stock_up.received",
            order_id="su_b",
            supplier_id=world.supplier_b,
            warehouse_id="CN-GZ",
            currency="CNY",
            amount=10_000,
            accepted=10,
        )
    with unit(world["finance"]) as ctx:
        run = settlement.run_cycle(ctx, "2099-W01")  # a week after every line posted
        return settlement.statements_of(ctx.session, run.id)[0].id


def _sourcing_of_b(unit, world, product_id: str) -> dict[str, str]:
    """A studio's design for a published brief, and a production order to supplier B."""
    from chuhai.core.auth import SYSTEM
    from chuhai.sourcing import briefs, designs, production

    with unit(world["merchandiser"]) as ctx:
        parties.create_studio(ctx, code="STD-B", name="Studio B")
        brief = briefs.create_brief(
            ctx,
            briefs.BriefDraft(
                title="Mugs",
                category_code="home.kitchen",
                markets=["CN"],  # priced in CNY: no exchange rate needed
                bands={"CN": ("59.00", "99.00")},
                volume=500,
                volume_low=300,
                volume_high=700,
            ),
        )
        briefs.publish(ctx, brief.id)
        order = production.issue(ctx, product_id, 200)
    with unit(SYSTEM) as ctx:
        user = parties.create_user(
            ctx, username="studio-b", password="x" * 12, roles=["studio"], studio_code="STD-B"
        )
    with unit(parties.actor_for(user)) as ctx:
        bom = [{"material": "clay", "quantity": "1", "unit": "kg", "unit_cost": "5.00"}]
        design = designs.submit(ctx, brief.id, designs.DesignDraft("Mug", "A mug.", bom, "20.00"))
    with unit(world["supplier_b"]) as ctx:
        for action in ("accept", "materials_in", "start", "qc", "ship"):
            production.act(ctx, order.id, action)
    with unit(world["logistics"]) as ctx:
        production.receive(ctx, order.id)
    with unit(world["merchandiser"]) as ctx:
        proposal = production.propose(ctx, product_id)
    return {"design_id": design.id, "production_order_id": order.id, "proposal_id": proposal.id}


@pytest.fixture
def records_of_b(unit, world, tokens):
    with unit(world["supplier_b"]) as ctx:
        product = service.create_product(ctx, draft("B-PRODUCT"))
        image = service.add_image(ctx, product.id, png_bytes(), "b.png")
        sku = service.skus_of(ctx.session, product.id)[0]
        token = parties.list_tokens(ctx)[0]
    with unit(world["compliance"]) as ctx:
        brand = registry.create_brand(ctx, name="Adidas")
        rule = registry.list_rules(ctx)[0]
    return {
        "supplier_id": world.supplier_b,
        "product_id": product.id,
        "sku_id": sku.id,
        "image_id": image.id,
        "file_id": image.file_id,
        "token_id": token.id,
        "market_code": "US",
        "brand_id": brand.id,
        "rule_id": rule.id,
        "route": "9610",
        "stock_up_order_id": _stock_up_order_of_b(unit, world),
        "statement_id": _statement_of_b(unit, world),
        **_sourcing_of_b(unit, world, product.id),
    }


def test_every_route_names_only_known_path_parameters(client):
    schema = client().get("/../../openapi.json").json()
    for _, path, _ in _routes(schema):
        unknown = set(re.findall(r"{(\w+)}", path)) - TENANT_PARAMS - PLATFORM_PARAMS
        assert not unknown, f"{path}: classify {unknown} as tenant or platform data in this test"


def test_supplier_a_gets_404_for_every_route_on_supplier_bs_records(client, records_of_b):
    api = client("supplier_a")
    schema = api.get("/../../openapi.json").json()
    components = schema["components"]["schemas"]
    walked = []
    for method, path, operation in _routes(schema):
        params = set(re.findall(r"{(\w+)}", path))
        if not params & TENANT_PARAMS:
            continue
        url = path.removeprefix("/api/v1").format(**records_of_b)
        response = api.request(method, url, **_request_kwargs(operation, components))
        walked.append(f"{method} {path}")
        assert response.status_code == 404, (
            f"{method} {path} answered {response.status_code}: {response.text}"
        )
        assert response.headers["content-type"].startswith("application/problem+json")
    assert len(walked) >= 30, walked


def test_supplier_a_lists_show_nothing_of_supplier_b(client, records_of_b):
    api = client("supplier_a")
    for url in ("/products", "/suppliers", "/tokens", "/settlements/statements"):
        body = api.get(url).text
        for value in (
            records_of_b["product_id"],
            records_of_b["supplier_id"],
            records_of_b["token_id"],
        ):
            assert value not in body, f"{url} leaks {value}"


def test_every_route_without_a_token_answers_401(client):
    anonymous = client()
    schema = anonymous.get("/../../openapi.json").json()
    checked = 0
    for method, path, _ in _routes(schema):
        if (method, path) in PUBLIC_ROUTES or path.startswith(PUBLIC_PREFIXES):
            continue
        url = re.sub(r"{\w+}", "x", path.removeprefix("/api/v1"))
        response = anonymous.request(method, url)
        assert response.status_code == 401, f"{method} {path} answered {response.status_code}"
        challenge = SIGNED_ROUTES.get((method, path), "Bearer")
        assert response.headers["www-authenticate"].split(" ")[0] == challenge
        checked += 1
    assert checked >= 40


def test_a_revoked_token_answers_401(client, tokens):
    api = client("supplier_a")
    token_id = api.get("/tokens").json()[0]["id"]
    assert api.delete(f"/tokens/{token_id}").status_code == 200
    response = api.get("/products")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_wrong_password_gets_no_token(client):
    response = client().post("/auth/tokens", json={"username": "supplier-a", "password": "nope"})
    assert response.status_code == 401
    assert response.json()["detail"] == "wrong username or password"


def test_signing_in_returns_a_working_token(client):
    from conftest import PASSWORD

    answer = client().post(
        "/auth/tokens",
        json={"username": "compliance", "password": PASSWORD, "token_name": "laptop"},
    )
    assert answer.status_code == 201
    me = client().get("/me", headers={"Authorization": f"Bearer {answer.json()['token']}"})
    assert me.json()["roles"] == ["compliance"]
    assert date.today().isoformat()[:4] in answer.json()["created_at"]
