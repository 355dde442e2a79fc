"""The demo world: operators, factories from real Chinese manufacturing clusters, design
studios, customers abroad and at home, a brand registry, and a catalog of about a hundred
products whose listings stand at every stage of the full-custody workflow.

Everything goes through the service layer, acted by the role that would do it in real life
(the merchandiser onboards factories, the compliance officer verifies them and reviews
listings, the factory's own user creates its products...), on a clock that starts sixty days
ago and moves forward hours at a time, so histories read like a real one.

The world is the same every time: names, codes and numbers come from the data files next to
this module and from ``random.Random(2026)``. Seeding is idempotent: when the first demo
supplier exists, nothing is created and the summary still lists the logins.
"""

from __future__ import annotations

import colorsys
import io
import json
import random
import re
import textwrap
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib import resources
from itertools import product as cartesian
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum import ean
from stdnum.cn import uscc

from chuhai.catalog import listing
from chuhai.catalog.compliance import evaluate_compliance
from chuhai.catalog.model import ProductDraft, SkuDraft, State
from chuhai.catalog.registry import compliance_rules, create_brand
from chuhai.catalog.service import (
    add_certificate,
    add_image,
    certificate_types,
    create_product,
    set_hs_code,
)
from chuhai.catalog.tables import BrandRow, ProductRow, SkuRow
from chuhai.core.auth import STOREFRONT, SYSTEM, Actor, Role
from chuhai.core.clock import Clock, FixedClock, SystemClock
from chuhai.core.context import Context
from chuhai.core.db import Database
from chuhai.core.settings import Settings
from chuhai.customs.hs import validate_subheading
from chuhai.demo.books import demo_operator, keep_the_books
from chuhai.demo.loop import run_the_demand_loop
from chuhai.parties.model import SupplierProfile
from chuhai.parties.service import (
    actor_for,
    create_customer,
    create_studio,
    create_user,
    find_supplier,
    find_user,
    onboard_supplier,
    party_counts,
    verify_supplier,
)

if TYPE_CHECKING:
    from chuhai.parties.tables import SupplierRow

DEMO_PASSWORD = "chuhai-demo"
SEED = 2026
MARKER_SUPPLIER = "YW-STARLIGHT"  # the first demo supplier: when it exists, the world does
DAYS_OF_HISTORY = 60

# --- who signs in ------------------------------------------------------------------------------

OPERATORS = [
    # username, role, display name, what the login is for
    ("admin", Role.ADMIN, "林浩 Lin Hao", "Platform administrator (operator, every permission)"),
    (
        "merchandiser",
        Role.MERCHANDISER,
        "陈静 Chen Jing",
        "Merchandiser (operator): suppliers, negotiation, listing",
    ),
    (
        "compliance",
        Role.COMPLIANCE,
        "王芳 Wang Fang",
        "Compliance officer (operator): verification, compliance and IP review",
    ),
    ("logistics", Role.LOGISTICS, "刘洋 Liu Yang", "Logistics coordinator (operator): sample QC"),
    ("customs", Role.CUSTOMS, "赵磊 Zhao Lei", "Customs broker (operator)"),
    ("finance", Role.FINANCE, "孙丽 Sun Li", "Finance officer (operator)"),
]
EASY_SUPPLIER_LOGINS = {"YW-STARLIGHT": "supplier", "SZ-SOUNDWAVE": "supplier2"}

STUDIOS = [
    # code, name, city, specialties, e-mail, username
    (
        "SH-LINEA",
        "上海线条服装设计工作室 Linea Design Studio",
        "Shanghai",
        "womenswear and knitwear for the EU and Japan; trend forecasting",
        "hello@linea-sh.example.cn",
        "studio",
    ),
    (
        "HZ-WUYU",
        "杭州物语产品设计工作室 Wuyu Product Design",
        "Hangzhou",
        "small appliances and kitchenware; colour, material and finish (CMF)",
        "studio@wuyu-design.example.cn",
        "studio-hangzhou",
    ),
    (
        "GZ-BAIHUI",
        "广州百绘服饰设计工作室 Baihui Apparel Design",
        "Guangzhou",
        "fast-fashion apparel; tech packs for small-batch quick-response runs (小单快反)",
        "design@baihui-gz.example.cn",
        "studio-guangzhou",
    ),
]

CUSTOMERS = [
    # name, e-mail, country, market, kind
    ("Emily Carter", "emily.carter@example.com", "US", "US", "b2c"),
    ("Lone Star Home Goods LLC", "purchasing@lonestarhome.example.com", "US", "US", "b2b"),
    ("Oliver Bennett", "oliver.bennett@example.co.uk", "GB", "GB", "b2c"),
    ("Brightside Retail Ltd", "buying@brightside-retail.example.co.uk", "GB", "GB", "b2b"),
    ("Lena Fischer", "lena.fischer@example.de", "DE", "DE", "b2c"),
    ("Kaufhaus Lindner GmbH", "einkauf@kaufhaus-lindner.example.de", "DE", "DE", "b2b"),
    ("Lukas Huber", "lukas.huber@example.at", "AT", "DE", "b2c"),
    ("Camille Laurent", "camille.laurent@example.fr", "FR", "FR", "b2c"),
    ("佐藤 結衣 Sato Yui", "yui.sato@example.jp", "JP", "JP", "b2c"),
    ("Mia Thompson", "mia.thompson@example.com.au", "AU", "AU", "b2c"),
    ("张雨桐 Zhang Yutong", "zhang.yutong@example.cn", "CN", "CN", "b2c"),
]

# --- when things happen (days after the start of the history) ----------------------------------

STAGE_WINDOWS = {
    State.LISTED: (5.0, 38.0),
    State.DELISTED: (5.0, 22.0),
    State.REJECTED: (8.0, 44.0),
    State.APPROVED: (26.0, 40.0),
    State.SAMPLE_QC: (34.0, 44.0),
    State.PRICE_NEGOTIATION: (42.0, 50.0),
    State.IP_REVIEW: (47.0, 52.0),
    State.COMPLIANCE_REVIEW: (48.0, 54.0),
    State.SUBMITTED: (52.0, 56.0),
    State.DRAFT: (50.0, 57.0),
}
SUSPENSION_DAY = 52.0

# --- certificates --------------------------------------------------------------------------------

CERT_ISSUERS = {
    "CE": [
        ("TÜV SÜD Certification and Testing (China) Co., Ltd. Shenzhen Branch", "SHES"),
        ("SGS-CSTC Standards Technical Services Co., Ltd. Shenzhen Branch", "SZEM"),
        ("Intertek Testing Services Shenzhen Ltd.", "SZIT"),
    ],
    "UKCA": [("UL International (UK) Ltd", "UKUL"), ("SGS United Kingdom Ltd", "UKSG")],
    "FCC": [("Bay Area Compliance Laboratories Corp. (Shenzhen), FCC TCB", "FCC")],
    "CPC": [
        ("Bureau Veritas Consumer Products Services (Shenzhen) Co., Ltd. (CPSC lab 1036)", "CPC")
    ],
    "PSE": [("JET Japan Electrical Safety & Environment Technology Laboratories", "JET")],
    "RCM": [("SAA Approvals Pty Ltd (EESS registration)", "SAA")],
    "CCC": [("中国质量认证中心 China Quality Certification Centre (CQC)", "CCC")],
}
CERT_TITLES = {
    "CE": "EU Declaration of Conformity (CE)",
    "UKCA": "UK Declaration of Conformity (UKCA)",
    "FCC": "FCC Grant of Equipment Authorization",
    "CPC": "Children's Product Certificate (CPSIA)",
    "PSE": "PSE Certificate of Conformity (DENAN)",
    "RCM": "RCM Certificate of Suitability (EESS)",
    "CCC": "China Compulsory Certification (CCC)",
}

QC_CHECKS = [
    # category prefix -> checks (first match wins)
    (
        "apparel",
        [
            "Fabric composition vs care label",
            "Stitching and seams",
            "Size chart measurements (±1 cm)",
        ],
    ),
    ("shoes", ["Sole bonding flex test", "Sizing against the EU last", "Odour and materials"]),
    (
        "electronics",
        [
            "Plug, voltage and rating label",
            "Function test, 2 h burn-in",
            "Drop test 1 m onto concrete",
        ],
    ),
    (
        "home.appliances",
        ["Plug, voltage and rating label", "Function test, 2 h burn-in", "Thermal cut-off"],
    ),
    (
        "toys",
        [
            "Small parts cylinder (choking hazard)",
            "Sharp edges and points",
            "Age grading and warnings on the box",
        ],
    ),
    ("baby", ["Small parts cylinder (choking hazard)", "Zip and snap pull test"]),
    ("furniture", ["Assembly with the included instructions", "Load test", "Finish and edges"]),
    (
        "home.kitchen",
        ["Food-contact materials declaration", "Dimensions and capacity", "Carton drop test"],
    ),
    (
        "",
        [
            "Appearance and workmanship",
            "Dimensions against specification",
            "Packaging and labelling",
        ],
    ),
]
QC_FAILURES = {
    "MH-BK04": (
        "Load test",
        "Shelf 3 bowed 12 mm under 15 kg and the side joints loosened after 20 load cycles.",
    ),
    "LY-BUB": (
        "Leak test",
        "Bubble solution leaks from the reservoir when the machine is tilted "
        "30 degrees; battery compartment gets wet.",
    ),
}

COLOURS = {
    "black": (38, 38, 42),
    "white": (236, 236, 232),
    "ivory": (240, 233, 214),
    "cream": (238, 226, 198),
    "grey": (150, 152, 156),
    "gray": (150, 152, 156),
    "charcoal": (70, 72, 76),
    "graphite": (68, 70, 76),
    "silver": (192, 194, 198),
    "navy": (34, 48, 92),
    "blue": (62, 112, 190),
    "red": (196, 52, 52),
    "burgundy": (120, 30, 48),
    "green": (70, 140, 80),
    "sage": (156, 175, 136),
    "olive": (112, 118, 64),
    "forest": (40, 90, 60),
    "moss": (100, 116, 70),
    "mint": (170, 224, 200),
    "pink": (236, 160, 180),
    "rose": (214, 150, 150),
    "blush": (240, 196, 196),
    "coral": (240, 120, 100),
    "terracotta": (196, 104, 72),
    "rust": (170, 80, 50),
    "orange": (236, 130, 50),
    "yellow": (244, 204, 64),
    "lemon": (246, 226, 110),
    "gold": (212, 170, 80),
    "champagne": (232, 212, 170),
    "camel": (190, 148, 100),
    "khaki": (190, 176, 130),
    "stone": (196, 188, 170),
    "sand": (214, 196, 160),
    "oat": (220, 206, 178),
    "oatmeal": (220, 206, 178),
    "natural": (216, 196, 160),
    "tan": (200, 160, 110),
    "brown": (110, 74, 50),
    "cognac": (150, 84, 40),
    "walnut": (100, 70, 50),
    "oak": (196, 160, 110),
    "tortoise": (120, 80, 40),
    "tortoiseshell": (120, 80, 40),
    "havana": (110, 70, 40),
    "honey": (214, 160, 70),
    "lilac": (190, 170, 220),
    "lavender": (190, 170, 220),
    "teal": (40, 120, 120),
    "clear": (220, 228, 232),
    "crystal": (210, 220, 228),
    "purple": (120, 80, 160),
}

_FONT_CACHE: dict[int, Any] = {}


# --- the summary --------------------------------------------------------------------------------


@dataclass
class DemoSummary:
    created: bool
    logins: list[tuple[str, str]]
    suppliers: int = 0
    products: int = 0
    skus: int = 0
    listed: int = 0
    brands: int = 0
    studios: int = 0
    customers: int = 0
    users: int = 0
    states: dict[str, int] = field(default_factory=dict)
    pricing: str = ""

    def describe(self) -> str:
        counts = (
            f"{self.suppliers} suppliers, {self.products} products with {self.skus} SKUs "
            f"({self.listed} listed), {self.brands} protected brands, {self.studios} design "
            f"studios, {self.customers} customers, {self.users} users"
        )
        if self.created:
            text = (
                f"Created the demo world: {counts}.\nEvery other supplier has a user "
                f"sup-<supplier code in lower case>, all with the same password."
            )
        else:
            text = f"The demo world already exists ({counts}); nothing was created."
        return f"{text}\n{self.pricing}" if self.pricing else text


def _logins() -> list[tuple[str, str]]:
    logins = [(username, who) for username, _, _, who in OPERATORS]
    logins.append(("supplier", "Factory user of Yiwu Starlight Daily Necessities (YW-STARLIGHT)"))
    logins.append(("supplier2", "Factory user of Shenzhen Soundwave Technology (SZ-SOUNDWAVE)"))
    logins.append(("studio", "Design studio user of Linea Design Studio, Shanghai (SH-LINEA)"))
    logins.append(
        ("studio-hangzhou", "Design studio user of Wuyu Product Design (HZ-WUYU): the bowls")
    )
    logins.append(("sup-dh-baiyu", "Factory user of Dehua Baiyu Ceramics (DH-BAIYU): its runs"))
    return logins


def _count(session: Session, table: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def _summary(session: Session, created: bool) -> DemoSummary:
    states = {
        s: int(n)
        for s, n in session.execute(
            select(ProductRow.state, func.count()).group_by(ProductRow.state)
        )
    }
    parties = party_counts(session)
    return DemoSummary(
        created=created,
        logins=_logins(),
        suppliers=parties["suppliers"],
        products=_count(session, ProductRow),
        skus=_count(session, SkuRow),
        listed=states.get(State.LISTED, 0),
        brands=_count(session, BrandRow),
        studios=parties["studios"],
        customers=parties["customers"],
        users=parties["users"],
        states=states,
    )


# --- entry point --------------------------------------------------------------------------------


def seed_demo(db: Database, settings: Settings, clock: Clock | None = None) -> DemoSummary:
    """Create the demo world unless it exists, and price its catalog for today; return what
    the database now holds."""
    now = (clock or SystemClock()).now()
    with db.unit_of_work() as uow:
        session = uow.session
        created = find_supplier(session, MARKER_SUPPLIER) is None
        if created:
            _World(session, settings, now).build()
            uow.commit()
    pricing = price_the_catalog(db, settings, now)
    stock_the_warehouses(db, settings, now)
    sell_to_demo_shoppers(db, settings, now)
    keep_the_books(db, settings, now)
    run_the_demand_loop(db, settings, now)
    with db.unit_of_work() as uow:
        summary = _summary(uow.session, created=created)
    summary.pricing = pricing
    return summary


DEMO_SOURCE = "DEMO"
CARRY_DAYS = 30


def price_the_catalog(db: Database, settings: Settings, now: datetime) -> str:
    """Load the ECB history, carry its newest rates forward as DEMO rates to every day since
    (at most the last CARRY_DAYS, which the demand loop's past weeks need) and to today (the
    bundled ECB file ends at its package's release; a real platform imports the day's rates),
    and rebuild the price book. Runs on every `chuhai demo`, so the prices are today's."""
    from chuhai.finance import service as finance
    from chuhai.markets.service import active_market_currencies
    from chuhai.pricing.service import rebuild_price_book

    today = now.date()
    with db.unit_of_work() as uow:
        ctx = Context(uow.session, demo_operator(uow.session, "finance"), FixedClock(now), settings)
        finance.load_ecb_rates(
            uow.session, since=today - timedelta(days=730), clock=FixedClock(now)
        )
        newest = finance.ecb_history().last_day
        lines = ["date,base,quote,rate,source"]
        first = max(newest + timedelta(days=1), today - timedelta(days=CARRY_DAYS))
        days = [first + timedelta(days=n) for n in range((today - first).days)] + [today]
        for currency in sorted(active_market_currencies(uow.session) - {"CNY"}):
            rate = finance.rate_on(uow.session, "CNY", currency, min(newest, today), 3650)
            carried = rate.rate.quantize(Decimal("1e-10"))  # imports take 12 decimals at most
            lines += [f"{day},CNY,{currency},{carried},{DEMO_SOURCE}" for day in days]
        report = finance.import_rates_csv(ctx, "demo-rates.csv", "\n".join(lines).encode())
        if not report.ok:
            raise RuntimeError(f"demo rates refused: {report.errors[:3]}")
        ctx.actor = demo_operator(uow.session, "merchandiser")
        rebuilt = rebuild_price_book(ctx, today)
        uow.commit()
    return (
        f"Prices for {today}: {rebuilt.summary()} (FX: the ECB's rates of {newest} carried "
        f"forward as '{DEMO_SOURCE}' rates to today)."
    )


def stock_the_warehouses(db: Database, settings: Settings, now: datetime) -> None:
    """Give the demo world stock, through the inventory services, unless it has some: every
    supplier with listed products got a stock-up order six weeks ago, delivered to CN-GZ (one
    late, one short, one with QC failures: penalties), line-haul transfers took part of it to
    US-LAX and DE-FRA (arrived) and to GB-CVT (at sea now); the two easy supplier logins
    each have an order to answer or to ship."""
    from chuhai.catalog.service import list_products, listed_sku_markets, skus_of
    from chuhai.inventory import stockup, transfers
    from chuhai.inventory.ledger import available
    from chuhai.parties.service import supplier_of

    rng = random.Random(SEED + 4)
    with db.unit_of_work() as uow:
        session = uow.session
        clock = FixedClock(now - timedelta(days=45))

        def ctx(username: str) -> Context:
            return Context(session, demo_operator(session, username), clock, settings)

        if stockup.list_orders(ctx("merchandiser")).total:
            return
        listed = list_products(ctx("merchandiser"), state=State.LISTED, limit=200).items
        by_supplier: dict[str, list[str]] = {}
        for product in listed:
            if supplier_of(session, product.supplier_id).status != "verified":
                continue
            by_supplier.setdefault(product.supplier_id, []).extend(
                sku.id for sku in skus_of(session, product.id)
            )
        codes = {sid: supplier_of(session, sid).code for sid in by_supplier}
        logins = {c: EASY_SUPPLIER_LOGINS.get(c, "sup-" + c.lower()) for c in codes.values()}

        def order(supplier_id: str, quantity: int, **kind: Any) -> str:
            lines = [
                stockup.LineDraft(sku, quantity + 10 * rng.randint(0, 12))
                for sku in by_supplier[supplier_id][:5]
            ]
            draft = stockup.StockUpDraft(supplier_id, "CN-GZ", lines=lines, **kind)
            return stockup.issue(ctx("merchandiser"), draft).id

        def to(moment: datetime) -> None:
            clock.advance(max(moment - clock.now(), timedelta(0)))

        shipped = []
        for index, supplier_id in enumerate(sorted(by_supplier, key=lambda sid: codes[sid])):
            to(now - timedelta(days=45, hours=-index))  # an hour apart
            order_id = order(supplier_id, 120, kind="jit", jit_hours=48 if index == 0 else 96)
            supplier = ctx(logins[codes[supplier_id]])
            stockup.confirm(supplier, order_id, "Confirmed; production slot booked.")
            short = 10 if index == 1 else 0  # the second supplier ships ten short a line
            cartons = []
            for line in stockup.lines_of(session, order_id):  # 50 a carton, the rest in one
                units = line.quantity - short
                cartons += [stockup.CartonDraft(line.sku_id, 50)] * (units // 50)
                cartons += [stockup.CartonDraft(line.sku_id, units % 50)] if units % 50 else []
            stockup.ship(supplier, order_id, cartons, carrier="Deppon Logistics")
            shipped.append(order_id)
        for index, order_id in enumerate(shipped):  # the first arrives late, the third fails QC
            to(now - timedelta(days=45, hours=-index - (60 if index == 0 else 30)))
            counts = [
                stockup.LineCount(line.sku_id, line.shipped, 20, 3 if index == 2 and n == 0 else 0)
                for n, line in enumerate(stockup.lines_of(session, order_id))
            ]
            stockup.receive(ctx("logistics"), order_id, counts)
            if index > 2:
                stockup.close(ctx("merchandiser"), order_id, "Received as ordered.")
        markets = listed_sku_markets(session)

        def consignment(warehouse: str, market: str, mode: str, share: float) -> str | None:
            skus = sorted({sku for sku, m in markets if m == market})
            stock = available(session, skus)
            lines = [
                transfers.TransferLineDraft(sku, int(stock[(sku, "CN-GZ")] * share))
                for sku in skus
                if int(stock.get((sku, "CN-GZ"), 0) * share) > 0
            ][:40]
            if not lines:
                return None
            cartons = max(1, sum(line.quantity for line in lines) // 40)
            draft = transfers.TransferDraft("CN-GZ", warehouse, mode, cartons, lines)
            transfer_id = transfers.plan(ctx("logistics"), draft).id
            transfers.depart(ctx("logistics"), transfer_id, f"{mode} line-haul to {warehouse}")
            return transfer_id

        to(now - timedelta(days=30))
        arriving = [
            consignment("US-LAX", "US", "sea", 0.4),
            consignment("DE-FRA", "DE", "rail", 0.4),
        ]
        to(now - timedelta(days=11))
        for transfer_id in arriving:
            if transfer_id:
                transfers.arrive(ctx("logistics"), transfer_id)
        to(now - timedelta(days=8))
        consignment("GB-CVT", "GB", "sea", 0.3)
        to(now - timedelta(days=1))
        for supplier_id, code in codes.items():
            if code not in EASY_SUPPLIER_LOGINS:
                continue
            # a planned order left issued (to confirm or decline), a JIT one confirmed (to ship)
            order(supplier_id, 200, kind="planned", due_on=(now + timedelta(days=10)).date())
            jit = order(supplier_id, 60, kind="jit", jit_hours=72)
            stockup.confirm(ctx(EASY_SUPPLIER_LOGINS[code]), jit, "We ship tomorrow.")
        uow.commit()


DEMO_SHOPPERS = {
    "US": ("Sam Lee", "1100 Congress Ave", "Austin", "TX", "78701"),
    "DE": ("Anna Schmidt", "Invalidenstraße 117", "Berlin", "", "10115"),
    "GB": ("Oliver Brown", "10 Downing Street", "London", "", "SW1A 2AA"),
    "FR": ("Camille Martin", "5 rue de Rivoli", "Paris", "", "75001"),
    "JP": ("Sato Yui", "1-1 Chiyoda", "Chiyoda-ku", "Tokyo", "100-0001"),
    "AU": ("Jack Wilson", "1 Martin Place", "Sydney", "NSW", "2000"),
}


def sell_to_demo_shoppers(db: Database, settings: Settings, now: datetime) -> None:
    """A few storefront orders per market, unless there are some: most allocated and waiting
    for the warehouse, some picked, some shipped (labels bought, tracking started), one
    cancelled. Later tracking events come from the sandbox carrier (`chuhai carrier push`)."""
    from chuhai.orders import service as orders

    rng = random.Random(SEED + 5)
    with db.unit_of_work() as uow:
        session = uow.session
        clock = FixedClock(now)
        shop = Context(session, STOREFRONT, clock, settings)
        logistics = Context(session, demo_operator(session, "logistics"), clock, settings)
        if orders.list_orders(logistics, limit=1).total:
            return
        placed = []
        for market, (name, line1, city, region, postal_code) in DEMO_SHOPPERS.items():
            in_stock = [
                sku.sku_id
                for product in orders.shop_products(shop, market, limit=60).items
                for sku in product.skus
                if sku.available
            ]
            address = orders.Address(name, line1, city, postal_code, market, region=region)
            for n in range(min(3, len(in_stock))):
                items = [(sku, rng.randint(1, 2)) for sku in rng.sample(in_stock, 1 + n % 2)]
                email = f"{name.split()[0].lower()}{n}@example.com"
                card = orders.Card("4242424242424242", 12, now.year + 2, "123")
                placed.append(
                    orders.checkout(
                        shop,
                        market_code=market,
                        items=items,
                        email=email,
                        address=address,
                        card=card,
                    ).id
                )
        for index, order_id in enumerate(placed):
            if index % 3 == 1:
                orders.pick_order(logistics, order_id)
            elif index % 3 == 2:
                orders.pick_order(logistics, order_id)
                orders.ship_order(logistics, order_id)
        if placed:
            merchandiser = Context(session, demo_operator(session, "merchandiser"), clock, settings)
            orders.cancel_order(merchandiser, placed[0], "The buyer changed their mind.")
        uow.commit()


def _data(name: str) -> Any:
    return json.loads(resources.files("chuhai.demo").joinpath(name).read_text("utf-8"))


# --- generated identifiers ----------------------------------------------------------------------

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z


def _org_code_check(body: str) -> str:
    """The check character of a GB 11714 organisation code (8 characters + 1)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, region: str) -> str:
    """A valid unified social credit code for a company (91) registered in `region`."""
    if rng.random() < 0.7:  # registered since 2015: organisation code MA...
        body = "MA" + "".join(rng.choice(_USCC_CHARS) for _ in range(6))
    else:  # an older company keeps its all-digit organisation code
        body = str(rng.choice((5, 6, 7))) + "".join(rng.choice("0123456789") for _ in range(7))
    first17 = "91" + region + body + _org_code_check(body)
    return first17 + uscc.calc_check_digit(first17)


def bank_account(rng: random.Random, bank: str) -> str:
    prefixes = [
        ("工商银行", "1208", 19),
        ("农业银行", "1910", 19),
        ("建设银行", "4405", 19),
        ("中国银行", "3561", 16),
        ("招商银行", "7559", 16),
    ]
    prefix, length = next(((p, n) for key, p, n in prefixes if key in bank), ("2010", 18))
    return prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))


def export_qualification(rng: random.Random, customs_area: str) -> str:
    customs = (
        customs_area
        + "96"
        + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(4))
    )
    filing = "".join(rng.choice("0123456789") for _ in range(8))
    return f"海关备案编号 {customs}；对外贸易经营者备案登记 {filing}"


def barcode(company_prefix: str, item: int) -> str:
    first12 = f"{company_prefix}{item:05d}"
    return first12 + ean.calc_check_digit(first12)


def option_code(value: str) -> str:
    code = re.sub(r"[^A-Z0-9]", "", value.upper().replace("+", "P"))
    return code[:8] or "X"


# --- generated files ----------------------------------------------------------------------------


def _font(size: int) -> Any:
    if size not in _FONT_CACHE:
        _FONT_CACHE[size] = ImageFont.load_default(size=size)
    return _FONT_CACHE[size]


def colour_of(name: str) -> tuple[int, int, int]:
    words = re.findall(r"[a-z]+", name.lower())
    for word in reversed(words):
        if word in COLOURS:
            return COLOURS[word]
    hue = zlib.crc32(name.encode()) % 360
    r, g, b = colorsys.hls_to_rgb(hue / 360, 0.55, 0.45)
    return int(r * 255), int(g * 255), int(b * 255)


def _tint(rgb: tuple[int, int, int], towards_white: float) -> tuple[int, int, int]:
    r, g, b = rgb
    w = towards_white
    return (int(r + (255 - r) * w), int(g + (255 - g) * w), int(b + (255 - b) * w))


def _ink(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = rgb
    return (20, 20, 24) if (r * 299 + g * 587 + b * 114) / 1000 > 140 else (250, 250, 250)


def product_png(
    title: str, caption: str, category: str, rgb: tuple[int, int, int], size: int = 480
) -> bytes:
    """A small flat picture: a tinted background, a shape for the category, the title."""
    image = Image.new("RGB", (size, size), _tint(rgb, 0.78))
    draw = ImageDraw.Draw(image)
    top = category.split(".")[0]
    box = (140, 60, 340, 260)
    if top in ("electronics", "batteries"):
        draw.rounded_rectangle(box, radius=36, fill=rgb, outline=_ink(_tint(rgb, 0.78)), width=4)
        draw.ellipse((215, 135, 265, 185), fill=_tint(rgb, 0.5))
    elif top in ("apparel", "shoes", "bags"):
        draw.polygon(
            [
                (170, 70),
                (310, 70),
                (360, 130),
                (320, 150),
                (320, 260),
                (160, 260),
                (160, 150),
                (120, 130),
            ],
            fill=rgb,
        )
    elif top in ("toys", "baby", "sports", "festive"):
        draw.polygon([(240, 50), (350, 250), (130, 250)], fill=rgb)
        draw.ellipse((215, 160, 265, 210), fill=_tint(rgb, 0.6))
    elif top == "furniture":
        draw.rectangle((140, 110, 340, 150), fill=rgb)
        draw.rectangle((155, 150, 175, 260), fill=rgb)
        draw.rectangle((305, 150, 325, 260), fill=rgb)
    elif top == "jewelry":
        draw.polygon([(240, 60), (330, 160), (240, 260), (150, 160)], fill=rgb)
    else:
        draw.ellipse(box, fill=rgb)
        draw.ellipse((190, 110, 290, 210), fill=_tint(rgb, 0.45))
    ink = _ink(_tint(rgb, 0.78))
    lines = textwrap.wrap(title, width=26)[:4]
    font = _font(26)
    y = 290
    for line in lines:
        width = draw.textlength(line, font=font)
        draw.text(((size - width) / 2, y), line, fill=ink, font=font)
        y += 34
    small = _font(18)
    width = draw.textlength(caption, font=small)
    draw.text(((size - width) / 2, size - 36), caption, fill=ink, font=small)
    buffer = io.BytesIO()
    image.quantize(colors=32, method=Image.Quantize.FASTOCTREE).save(buffer, format="PNG")
    return buffer.getvalue()


def _pdf_text(text: str) -> str:
    safe = text.encode("latin-1", "replace").decode("latin-1")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def certificate_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with the given lines of text (Helvetica), as small as a PDF gets."""
    stream = ["BT", "/F1 16 Tf", "72 760 Td", f"({_pdf_text(lines[0])}) Tj", "/F1 11 Tf"]
    for line in lines[1:]:
        stream += ["0 -22 Td", f"({_pdf_text(line)}) Tj"]
    stream.append("ET")
    content = "\n".join(stream).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


# --- the builder --------------------------------------------------------------------------------


@dataclass
class _Product:
    spec: dict[str, Any]
    row: ProductRow
    supplier: SupplierRow
    skus: list[SkuRow]


class _World:
    def __init__(self, session: Session, settings: Settings, now: datetime) -> None:
        self.session = session
        self.settings = settings
        self.rng = random.Random(SEED)
        self.end = now.astimezone(UTC)
        start = self.end - timedelta(days=DAYS_OF_HISTORY)
        # 09:30 in China on the first day
        self.start = start.replace(hour=1, minute=30, second=0, microsecond=0)
        self.clock = FixedClock(self.start)
        self.actors: dict[str, Actor] = {}
        self.supplier_actors: dict[str, Actor] = {}
        self.suppliers: dict[str, SupplierRow] = {}
        self.supplier_specs: dict[str, dict[str, Any]] = {}
        self.barcode_prefix: dict[str, str] = {}
        self.barcode_next: dict[str, int] = {}
        self.to_delist_on_suspension: list[_Product] = []

    # time and actors

    def at_day(self, day: float) -> None:
        self.clock = FixedClock(self.start + timedelta(minutes=round(day * 24 * 60)))

    def later(self, low_hours: float, high_hours: float) -> None:
        minutes = self.rng.randint(int(low_hours * 60), int(high_hours * 60))
        self.clock.advance(timedelta(minutes=minutes))

    def ctx(self, who: str | Actor) -> Context:
        actor = who if isinstance(who, Actor) else self.actors[who]
        return Context(self.session, actor, self.clock, self.settings)

    def today(self) -> date:
        return self.clock.now().date()

    # the whole world

    def build(self) -> None:
        self.make_operators()
        self.make_brands()
        self.make_studios_and_customers()
        self.make_suppliers()
        self.make_catalog()
        self.suspend_suppliers()
        if self.clock.now() > self.end:  # pragma: no cover - a guard on the timeline data
            raise RuntimeError("the demo timeline runs past the present")

    def make_operators(self) -> None:
        system = self.ctx(SYSTEM)
        for username, role, display_name, _ in OPERATORS:
            row = find_user(self.session, username)
            if row is None:
                row = create_user(
                    system,
                    username=username,
                    password=DEMO_PASSWORD,
                    roles=[role],
                    display_name=display_name,
                )
            self.actors[str(role)] = actor_for(row)
            self.clock.advance(timedelta(minutes=7))

    def make_brands(self) -> None:
        self.later(1, 2)
        existing = set(self.session.scalars(select(BrandRow.name)))
        for brand in _data("brands.json")["brands"]:
            if brand["name"] in existing:
                continue
            create_brand(
                self.ctx(Role.COMPLIANCE),
                name=brand["name"],
                aliases=brand["aliases"],
                owner=brand["owner"],
                notes=brand.get("notes", ""),
            )
            self.clock.advance(timedelta(minutes=3))

    def make_studios_and_customers(self) -> None:
        self.later(2, 4)
        for code, name, city, specialties, email, username in STUDIOS:
            create_studio(
                self.ctx(Role.MERCHANDISER),
                code=code,
                name=name,
                city=city,
                specialties=specialties,
                contact_email=email,
            )
            create_user(
                self.ctx(SYSTEM),
                username=username,
                password=DEMO_PASSWORD,
                roles=[Role.STUDIO],
                display_name=name,
                studio_code=code,
            )
            self.later(0.2, 1)
        for name, email, country, market, kind in CUSTOMERS:
            create_customer(
                self.ctx(Role.MERCHANDISER),
                name=name,
                email=email,
                country_code=country,
                market_code=market,
                kind=kind,
            )
            self.later(0.1, 0.5)

    def make_suppliers(self) -> None:
        specs = _data("suppliers.json")["suppliers"]
        pending_day = 40.0
        for index, spec in enumerate(specs):
            day = pending_day if spec["status"] == "pending" else 0.3 + index * 0.18
            if spec["status"] == "pending":
                pending_day += 2.5
            self.at_day(day)
            self.later(0, 2)
            profile = SupplierProfile(
                code=spec["code"],
                legal_name=spec["legal_name"],
                legal_name_en=spec["legal_name_en"],
                credit_code=credit_code(self.rng, spec["region"]),
                address=spec["address"],
                province=spec["province"],
                city=spec["city"],
                cluster=spec["cluster"],
                contact_name=spec["contact_name"],
                contact_phone=spec["contact_phone"],
                contact_email=spec["contact_email"],
                export_qualification=export_qualification(self.rng, spec["customs_area"]),
                bank_name=spec["bank_name"],
                bank_account_name=spec["legal_name"],
                bank_account_number=bank_account(self.rng, spec["bank_name"]),
            )
            supplier = onboard_supplier(self.ctx(Role.MERCHANDISER), profile)
            self.suppliers[spec["code"]] = supplier
            self.supplier_specs[spec["code"]] = spec
            self.barcode_prefix[spec["code"]] = "69" + str(self.rng.randint(10000, 99999))
            self.barcode_next[spec["code"]] = self.rng.randint(100, 900) * 10
            self.clock.advance(timedelta(minutes=25))
            username = EASY_SUPPLIER_LOGINS.get(spec["code"], "sup-" + spec["code"].lower())
            user = create_user(
                self.ctx(SYSTEM),
                username=username,
                password=DEMO_PASSWORD,
                roles=[Role.SUPPLIER],
                supplier_code=spec["code"],
                display_name=f"{spec['contact_name']} ({spec['legal_name_en']})",
            )
            self.supplier_actors[spec["code"]] = actor_for(user)
            if spec["status"] != "pending":
                self.later(20, 44)
                verify_supplier(
                    self.ctx(Role.COMPLIANCE),
                    supplier.id,
                    approve=True,
                    note="Business licence, customs registration and the CNY "
                    "account (in the company's own name) checked; video site "
                    "audit done.",
                )

    def suspend_suppliers(self) -> None:
        self.at_day(SUSPENSION_DAY)
        for code, spec in self.supplier_specs.items():
            if spec["status"] != "suspended":
                continue
            verify_supplier(
                self.ctx(Role.COMPLIANCE), self.suppliers[code].id, approve=False, note=spec["note"]
            )
        for item in self.to_delist_on_suspension:
            self.later(0.5, 2)
            listing.delist(self.ctx(Role.MERCHANDISER), item.row.id, item.spec["flow"]["reason"])

    # the catalog

    def make_catalog(self) -> None:
        specs = _data("products.json")["products"]
        by_stage: dict[str, list[dict[str, Any]]] = {}
        for spec in specs:
            by_stage.setdefault(spec["stage"], []).append(spec)
        rules = compliance_rules(self.session)
        for stage, group in by_stage.items():
            low, high = STAGE_WINDOWS[stage]
            for index, spec in enumerate(group):
                self.at_day(low + (high - low) * index / max(1, len(group)))
                self.later(0, 6)
                self.make_product(spec, rules)

    def _skus(self, spec: dict[str, Any]) -> list[SkuDraft]:
        axes = list(spec["options"].items())
        surcharge = spec.get("surcharge", {})
        extra = spec.get("extra_g", {})
        drafts = []
        used: set[str] = set()
        length, width, height = spec["dims"]
        for values in cartesian(*(vals for _, vals in axes)):
            options = {name: value for (name, _), value in zip(axes, values, strict=True)}
            code = "-".join([spec["ref"], *(option_code(v) for v in values)])
            if code in used:
                code = f"{code}-{len(used) + 1}"
            used.add(code)
            price = Decimal(spec["price"]) + sum(
                (Decimal(surcharge[v]) for v in values if v in surcharge), Decimal("0")
            )
            weight = spec["weight_g"] + sum(extra.get(v, 0) for v in values)
            supplier = spec["supplier"]
            item = self.barcode_next[supplier]
            self.barcode_next[supplier] = item + 1
            drafts.append(
                SkuDraft(
                    sku_code=code,
                    supply_price=f"{price:.2f}",
                    weight_g=weight,
                    length_mm=length,
                    width_mm=width,
                    height_mm=height,
                    moq=spec["moq"],
                    lead_time_days=spec["lead"],
                    daily_capacity=spec["capacity"],
                    barcode=barcode(self.barcode_prefix[supplier], item),
                    options=options,
                    materials=spec["materials"],
                )
            )
        return drafts

    def make_product(self, spec: dict[str, Any], rules: list[Any]) -> None:
        code = spec["supplier"]
        supplier_actor = self.supplier_actors[code]
        flow = spec.get("flow", {})
        draft = ProductDraft(
            ref=spec["ref"],
            category_code=spec["category"],
            title_zh=spec["zh"],
            title_en=spec["en"],
            description_zh=spec["desc_zh"],
            description_en=spec["desc_en"],
            attributes=spec["attrs"],
            target_markets=spec["markets"],
            skus=self._skus(spec),
        )
        row = create_product(self.ctx(supplier_actor), draft)
        skus = list(
            self.session.scalars(
                select(SkuRow).where(SkuRow.product_id == row.id).order_by(SkuRow.sku_code)
            )
        )
        item = _Product(spec, row, self.suppliers[code], skus)
        self.add_images(item)
        held_back = {flow.get("missing"), flow.get("resubmitted")} - {None}
        self.add_certificates(item, rules, held_back, expired=flow.get("expired"))
        if spec["stage"] == State.DRAFT:
            return
        self.run_flow(item)

    def add_images(self, item: _Product) -> None:
        spec = item.spec
        ctx = self.ctx(self.supplier_actors[spec["supplier"]])
        colours = next(
            (
                vals
                for name, vals in spec["options"].items()
                if name in ("colour", "colourway", "finish", "glaze", "handle")
            ),
            None,
        )
        main = colours[0] if colours else spec["en"]
        self.clock.advance(timedelta(minutes=self.rng.randint(5, 40)))
        add_image(
            ctx,
            item.row.id,
            product_png(spec["en"], spec["ref"], spec["category"], colour_of(main)),
            f"{spec['ref']}-main.png",
        )
        for colour in (colours or [])[1:3]:
            sku = next(s for s in item.skus if colour in s.options.values())
            picture = product_png(
                spec["en"], f"{spec['ref']} · {colour}", spec["category"], colour_of(colour)
            )
            add_image(
                ctx,
                item.row.id,
                picture,
                f"{spec['ref']}-{option_code(colour).lower()}.png",
                sku_id=sku.id,
            )

    def add_certificates(
        self, item: _Product, rules: list[Any], held_back: set[str], expired: str | None
    ) -> None:
        """Upload a certificate for every one the target markets need, except `held_back`."""
        spec = item.spec
        findings = evaluate_compliance(spec["category"], spec["markets"], rules, [], self.today())
        needed = list(
            dict.fromkeys(f.certificate_type for f in findings if f.blocking and f.certificate_type)
        )
        uploadable = set(certificate_types(self.session))
        for cert_type in needed:
            if cert_type in held_back or cert_type not in uploadable:
                continue
            self.upload_certificate(item, cert_type, expired=cert_type == expired)

    def upload_certificate(self, item: _Product, cert_type: str, expired: bool = False) -> None:
        spec = item.spec
        issuers = CERT_ISSUERS.get(cert_type) or [
            ("SGS-CSTC Standards Technical Services Co., Ltd.", cert_type.replace(".", ""))
        ]
        issuer, prefix = self.rng.choice(issuers)
        today = self.today()
        if expired:
            issued = today - timedelta(days=5 * 365 + self.rng.randint(40, 200))
            expires = today - timedelta(days=self.rng.randint(20, 60))
        else:
            issued = today - timedelta(days=self.rng.randint(90, 700))
            expires = issued + timedelta(days=365 * self.rng.choice((3, 4, 5)))
        number = self.certificate_number(cert_type, prefix, issued, spec)
        supplier_spec = self.supplier_specs[spec["supplier"]]
        content = certificate_pdf(
            [
                CERT_TITLES.get(cert_type, f"{cert_type} certificate"),
                f"Certificate no. {number}",
                f"Product: {spec['en']}",
                f"Model / reference: {spec['ref']}",
                f"Manufacturer: {supplier_spec['legal_name_en']}",
                f"Issued by: {issuer}",
                f"Issued on: {issued.isoformat()}    Valid until: {expires.isoformat()}",
                "Demo document generated by chuhai; not a real certificate.",
            ]
        )
        self.clock.advance(timedelta(minutes=self.rng.randint(3, 20)))
        add_certificate(
            self.ctx(self.supplier_actors[spec["supplier"]]),
            item.row.id,
            cert_type=cert_type,
            number=number,
            issuer=issuer,
            issued_on=issued,
            expires_on=expires,
            content=content,
            filename=f"{spec['ref']}-{cert_type}.pdf",
        )

    def certificate_number(
        self, cert_type: str, prefix: str, issued: date, spec: dict[str, Any]
    ) -> str:
        digits = "".join(self.rng.choice("0123456789") for _ in range(6))
        if cert_type == "FCC":
            grantee = "2A" + "".join(self.rng.choice("BCDFGHJKLMNPQRSTVWXZ") for _ in range(3))
            return f"{grantee}-{spec['ref'].replace('-', '')}"
        if cert_type == "CCC":
            return f"{issued:%Y}0107{digits}{self.rng.randint(10, 99)}"
        if cert_type == "RCM":
            return f"SAA-{issued:%y}{digits}-EA"
        return f"{prefix}{issued:%y%m}{digits}"

    # the listing workflow

    def run_flow(self, item: _Product) -> None:
        spec, stage = item.spec, item.spec["stage"]
        flow = spec.get("flow", {})
        pid = item.row.id
        supplier = self.supplier_actors[spec["supplier"]]
        self.later(2, 20)
        listing.submit(self.ctx(supplier), pid)
        if stage == State.SUBMITTED:
            return
        if flow.get("reject_at") == "withdrawn":
            self.later(6, 30)
            listing.withdraw(self.ctx(supplier), pid, flow["reason"])
            return
        self.later(3, 26)
        listing.start_compliance_review(self.ctx(Role.COMPLIANCE), pid)
        if flow.get("reject_at") == "compliance":
            self.later(1, 6)
            listing.reject(self.ctx(Role.COMPLIANCE), pid, flow["reason"])
            return
        if "resubmitted" in flow:
            self.resubmit_with(item, flow["resubmitted"])
        if stage == State.COMPLIANCE_REVIEW:
            return
        self.later(1, 8)
        listing.pass_compliance(self.ctx(Role.COMPLIANCE), pid, self.compliance_note(item))
        if stage == State.IP_REVIEW:
            return
        self.later(2, 24)
        if flow.get("reject_at") == "ip":
            listing.reject(self.ctx(Role.COMPLIANCE), pid, flow["reason"])
            return
        listing.pass_ip(self.ctx(Role.COMPLIANCE), pid, flow.get("ip_note", ""))
        self.classify(item)
        if not self.negotiate(item):
            return
        if not self.sample_qc(item):
            return
        if stage == State.APPROVED:
            return
        self.publish(item)

    def classify(self, item: _Product) -> None:
        """The customs broker confirms the product's HS subheading for each of its SKUs."""
        code = validate_subheading(item.spec["hs"], field="hs")
        for sku in item.skus:
            set_hs_code(self.ctx(Role.CUSTOMS), sku.id, code)

    def resubmit_with(self, item: _Product, cert_type: str) -> None:
        pid = item.row.id
        supplier = self.supplier_actors[item.spec["supplier"]]
        self.later(1, 5)
        markets = ", ".join(
            sorted(
                f.market_code
                for f in listing.compliance_findings(self.ctx(Role.COMPLIANCE), item.row)
                if f.blocking
            )
        )
        listing.reject(
            self.ctx(Role.COMPLIANCE),
            pid,
            f"No {cert_type} certificate for {markets}. Upload the declaration of "
            "conformity and resubmit.",
        )
        self.later(20, 60)
        self.upload_certificate(item, cert_type)
        self.later(0.5, 3)
        listing.submit(self.ctx(supplier), pid, f"{cert_type} declaration of conformity uploaded.")
        self.later(3, 20)
        listing.start_compliance_review(self.ctx(Role.COMPLIANCE), pid)

    def compliance_note(self, item: _Product) -> str:
        findings = listing.compliance_findings(self.ctx(Role.COMPLIANCE), item.row)
        if not findings:
            return "No market rule applies to this category; labels and materials checked."
        met = sorted({f.certificate_type for f in findings if f.certificate_type})
        return f"Certificates verified with the issuers: {', '.join(met)}."

    def _prices(self, item: _Product, factor: Decimal) -> dict[str, str]:
        prices = {}
        for sku in item.skus:
            amount = Decimal(sku.supply_price_amount) / 100 * factor
            prices[sku.id] = f"{amount.quantize(Decimal('0.1')):.2f}"
        return prices

    def negotiate(self, item: _Product) -> bool:
        """Run the supply-price negotiation; True when the price was agreed."""
        spec = item.spec
        flow = spec.get("flow", {})
        pid = item.row.id
        supplier = self.supplier_actors[spec["supplier"]]
        if spec["stage"] == State.PRICE_NEGOTIATION:
            rounds = flow.get("rounds", 0)
        elif flow.get("reject_at") == "negotiation":
            rounds = 2
        else:
            rounds = self.rng.choice((0, 1, 1, 2))
        platform_offer = Decimal(self.rng.choice(("0.88", "0.90", "0.92", "0.94")))
        if rounds >= 1:
            self.later(4, 30)
            listing.make_offer(
                self.ctx(Role.MERCHANDISER),
                pid,
                self._prices(item, platform_offer),
                "Offer based on the landed cost of comparable listings.",
            )
        if rounds >= 2:
            self.later(6, 40)
            counter = (platform_offer + 1) / 2
            listing.make_offer(
                self.ctx(supplier),
                pid,
                self._prices(item, counter),
                "Our material and packaging costs went up this quarter; we can meet you halfway.",
            )
        if spec["stage"] == State.PRICE_NEGOTIATION:
            return False
        self.later(3, 30)
        if flow.get("reject_at") == "negotiation":
            listing.decline_offer(self.ctx(Role.MERCHANDISER), pid, flow["reason"])
            return False
        if rounds == 1:
            listing.accept_offer(self.ctx(supplier), pid, "Accepted for a first order.")
        else:
            listing.accept_offer(self.ctx(Role.MERCHANDISER), pid, "Agreed.")
        return True

    def checks_for(self, category: str) -> list[str]:
        for prefix, checks in QC_CHECKS:
            if category == prefix or category.startswith(prefix):
                return checks
        return QC_CHECKS[-1][1]

    def sample_qc(self, item: _Product) -> bool:
        """Receive and check the sample; True when it passed."""
        spec = item.spec
        flow = spec.get("flow", {})
        pid = item.row.id
        qc = flow.get("qc", "passed")
        if spec["stage"] == State.SAMPLE_QC and qc == "requested":
            return False
        self.later(48, 110)  # the sample travels to the consolidation warehouse
        listing.receive_sample(self.ctx(Role.LOGISTICS), pid)
        if qc == "received":
            return False
        checks = self.checks_for(spec["category"])
        failure = (
            QC_FAILURES.get(spec["ref"])
            if qc == "failed_check" or flow.get("reject_at") == "qc"
            else None
        )
        if spec["stage"] == State.SAMPLE_QC and qc == "checks":
            checks = checks[:2]
        for index, name in enumerate(checks):
            self.later(0.3, 3)
            photos = None
            if index == 0 and self.rng.random() < 0.4:
                photos = [
                    (
                        f"{spec['ref']}-qc.png",
                        product_png(
                            f"QC sample: {spec['en']}", name, spec["category"], (150, 150, 150)
                        ),
                    )
                ]
            listing.record_check(
                self.ctx(Role.LOGISTICS),
                pid,
                name=name,
                passed=True,
                notes="Within specification.",
                photos=photos,
            )
        if failure:
            name, notes = failure
            self.later(0.3, 3)
            photo = product_png(f"QC failure: {name}", spec["ref"], spec["category"], (200, 70, 60))
            listing.record_check(
                self.ctx(Role.LOGISTICS),
                pid,
                name=name,
                passed=False,
                notes=notes,
                photos=[(f"{spec['ref']}-qc-fail.png", photo)],
            )
        if spec["stage"] == State.SAMPLE_QC:
            return False
        self.later(1, 6)
        if flow.get("reject_at") == "qc":
            listing.fail_qc(self.ctx(Role.LOGISTICS), pid)
            return False
        listing.pass_qc(self.ctx(Role.LOGISTICS), pid, "Sample matches the specification.")
        return True

    def publish(self, item: _Product) -> None:
        spec = item.spec
        flow = spec.get("flow", {})
        pid = item.row.id
        markets = list(spec["markets"])
        self.later(4, 48)
        first = markets if len(markets) < 4 or self.rng.random() < 0.6 else markets[:-2]
        listing.list_in_markets(self.ctx(Role.MERCHANDISER), pid, first, "Launch listing.")
        rest = [m for m in markets if m not in first]
        if rest:
            self.later(48, 150)
            listing.list_in_markets(
                self.ctx(Role.MERCHANDISER),
                pid,
                rest,
                "Extended to more markets after a good first week.",
            )
        if flow.get("partial_delist"):
            self.later(72, 200)
            listing.delist(
                self.ctx(Role.MERCHANDISER), pid, flow["partial_reason"], flow["partial_delist"]
            )
        if spec["stage"] == State.DELISTED:
            if self.supplier_specs[spec["supplier"]]["status"] == "suspended":
                self.to_delist_on_suspension.append(item)
                return
            self.later(240, 500)
            listing.delist(self.ctx(Role.MERCHANDISER), pid, flow["reason"])
