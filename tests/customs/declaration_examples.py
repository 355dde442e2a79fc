"""Hand-checkable export declarations, one per mode, as the API's JSON bodies (the service
and CLI tests read the same bodies through `draft`).

The numbers, worked once here so the tests can assert them exactly:

- 9610 parcel: 2 mugs × 12.99 USD = 25.98 + 1 tote × 8.50 = 34.48 USD; nets 760 g + 200 g
  = 960 g in a 1,250 g parcel; the order, the payment and the waybill all say 34.48 USD and
  Emily Carter.
- 9710: 500 mugs (SKU, supply price 12.50 CNY, 380 g) × 2.10 USD = 1,050.00 USD; purchase
  value 500 × 12.50 = 6,250.00 CNY incl. VAT; rebate 6,250.00 ÷ 1.13 × 13% = 719.0265… →
  719.03 CNY; net 500 × 380 g = 190,000 g.
- 9810: 1,000 totes × 3.20 EUR = 3,200.00 EUR to warehouse DE-FRA-01 in Germany.
- 1210 entry: 400 mugs (SKU) × 2.10 USD = 840.00 USD into bonded warehouse SZQH-B01.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from chuhai.api.customs_declarations import DeclarationIn, draft_of
from chuhai.customs.declarations import DeclarationDraft

PLATFORM_CREDIT_CODE = "91440300MA5G8QWX3B"  # a valid unified social credit code (check digit B)
PLATFORM = {
    "kind": "platform",
    "name": "出海供应链（深圳）有限公司",
    "name_en": "Chuhai Supply Chain (Shenzhen) Co., Ltd.",
    "credit_code": PLATFORM_CREDIT_CODE,
    "customs_code": "4403960ABC",
    "address": "Nanshan District, Shenzhen, Guangdong",
}
PAID_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def parcel_body(order_no: str = "SO-1001", **changes: Any) -> dict[str, Any]:
    """A 9610 parcel: two mugs and a tote bag to Emily Carter in the US."""
    body: dict[str, Any] = {
        "mode": "9610",
        "exporter": dict(PLATFORM),
        "currency": "USD",
        "destination_country": "US",
        "transport_mode": "air",
        "port_of_exit": "5141",
        "lines": [
            {
                "hs_code": "691200",
                "description": "350 ml stoneware mug",
                "description_zh": "陶瓷马克杯",
                "quantity": 2,
                "unit": "PCS",
                "unit_price": "12.99",
                "currency": "USD",
                "origin_country": "CN",
                "net_weight_g": 760,
                "purchase_value_cny": "25.00",
            },
            {
                "hs_code": "420222",
                "description": "Canvas tote bag",
                "quantity": 1,
                "unit": "PCS",
                "unit_price": "8.50",
                "currency": "USD",
                "origin_country": "CN",
                "net_weight_g": 200,
                "purchase_value_cny": "11.30",
            },
        ],
        "total_value": "34.48",
        "order": {
            "order_no": order_no,
            "buyer_name": "Emily Carter",
            "buyer_id_number": "123-45-6789",
            "lines": [
                {"description": "350 ml stoneware mug", "quantity": 2, "unit_price": "12.99"},
                {"description": "Canvas tote bag", "quantity": 1, "unit_price": "8.50"},
            ],
            "total": "34.48",
            "currency": "USD",
        },
        "payment": {
            "payment_no": f"PAY-{order_no}",
            "order_no": order_no,
            "payer_name": "Emily Carter",
            "payer_id_number": "123-45-6789",
            "amount": "34.48",
            "currency": "USD",
            "paid_at": PAID_AT.isoformat(),
        },
        "logistics": {
            "waybill_no": f"WB{order_no.replace('-', '')}",
            "order_no": order_no,
            "consignee_name": "Emily Carter",
            "address": "12 Elm Street, Springfield, IL 62701",
            "country": "US",
            "weight_g": 1250,
        },
    }
    return _changed(body, changes)


def b2b_body(sku_id: str, supplier_id: str, quantity: int = 500, **changes: Any) -> dict[str, Any]:
    """9710: mugs of supplier A's SKU sold to a UK homewares company, the supplier exporting."""
    body: dict[str, Any] = {
        "mode": "9710",
        "exporter": {"kind": "supplier", "supplier_id": supplier_id, "customs_code": "3318960001"},
        "currency": "USD",
        "destination_country": "GB",
        "transport_mode": "sea",
        "port_of_exit": "3100",
        "gross_weight_g": 210_000,
        "packages": 20,
        "lines": [
            {"sku_id": sku_id, "quantity": quantity, "unit_price": "2.10", "currency": "USD"}
        ],
        "buyer": {
            "name": "Brightside Homewares Ltd",
            "country": "GB",
            "contract_no": "BH-2026-031",
        },
    }
    return _changed(body, changes)


def warehouse_body(**changes: Any) -> dict[str, Any]:
    """9810: a thousand tote bags to the platform's Frankfurt warehouse."""
    body: dict[str, Any] = {
        "mode": "9810",
        "exporter": dict(PLATFORM),
        "currency": "EUR",
        "destination_country": "DE",
        "transport_mode": "rail",
        "port_of_exit": "4601",
        "gross_weight_g": 230_000,
        "packages": 10,
        "lines": [
            {
                "hs_code": "420222",
                "description": "Canvas tote bag",
                "quantity": 1000,
                "unit_price": "3.20",
                "currency": "EUR",
                "origin_country": "CN",
                "net_weight_g": 200_000,
                "purchase_value_cny": "11300.00",
            }
        ],
        "overseas_warehouse": {"code": "DE-FRA-01", "name": "chuhai Frankfurt", "country": "DE"},
    }
    return _changed(body, changes)


def bonded_body(sku_id: str, quantity: int = 400, **changes: Any) -> dict[str, Any]:
    """1210 entry: mugs into the Qianhai bonded warehouse."""
    body: dict[str, Any] = {
        "mode": "1210",
        "exporter": dict(PLATFORM),
        "currency": "USD",
        "destination_country": "CN",
        "transport_mode": "road",
        "port_of_exit": "5349",
        "gross_weight_g": 160_000,
        "packages": 8,
        "lines": [
            {"sku_id": sku_id, "quantity": quantity, "unit_price": "2.10", "currency": "USD"}
        ],
        "bonded": {"warehouse_code": "SZQH-B01", "direction": "entry"},
    }
    return _changed(body, changes)


def _changed(body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(body)
    body.update(changes)
    return body


def draft(body: dict[str, Any]) -> DeclarationDraft:
    """The service's draft, read from a JSON body exactly as the API reads it."""
    return draft_of(DeclarationIn.model_validate(body))
