"""The demo's demand loop, end to end, through the services (issue 6's "done when"):

    searches rising on a marketplace → a trend finding → a design brief → a studio's design
    (changes asked, revised, accepted for a factory) → the product listed → a first run of
    150 units made and received → it sells in the US shop → sell-through proposes a reorder,
    approved into a production order → the forecaster's replenishment proposals approved in
    bulk into stock-up orders and line-haul transfers. The forecaster reads eight weeks of
    marketplace sales (imported like any external signal) beside the shop's orders.

Timeline, counted back from the demo's "now": the search-trend export covers the eight weeks
to 15 days ago; the brief and design happen 15 to 13 days ago, the factory makes the run
over the next week and it is received 4 days ago; shoppers buy it today. Runs once: skipped
when the world already has a production order.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from chuhai.catalog import listing
from chuhai.catalog import service as catalog
from chuhai.catalog.model import ProductDraft, SkuDraft
from chuhai.core.auth import STOREFRONT, Actor
from chuhai.core.clock import FixedClock
from chuhai.core.context import Context
from chuhai.core.db import Database
from chuhai.core.settings import Settings
from chuhai.demand import replenishment
from chuhai.demand import service as demand
from chuhai.demo.books import demo_operator
from chuhai.orders import service as orders
from chuhai.parties.service import find_supplier
from chuhai.pricing.service import rebuild_price_book
from chuhai.sourcing import briefs, designs, production
from chuhai.sourcing.model import parse_terms

SEED = 606
QUERY = "stackable ceramic bowls"
CATEGORY = "home.kitchen"
MARKET = "US"
FACTORY = "DH-BAIYU"  # Dehua porcelain: MOQ 100, so a first run of 150 fits
STUDIO_LOGIN = "studio-hangzhou"  # kitchenware and CMF
FIRST_RUN = 150
SOLD = 96  # of the 150, to 16 shoppers today: well over half, so a reorder
FACTORY_STEPS = (("accept", 12), ("materials_in", 11), ("start", 10), ("qc", 7), ("ship", 6))
SHOPPERS = [
    ("Maya Patel", "221 Pine St", "Seattle", "WA", "98101"),
    ("Lucas Moreno", "500 Brazos St", "Austin", "TX", "78701"),
    ("Grace Kim", "1 Market St", "San Francisco", "CA", "94105"),
    ("Ethan Walsh", "350 5th Ave", "New York", "NY", "10118"),
]
DESIGN = designs.DesignDraft(
    title="Nesting stoneware bowl set, 4 pieces",
    specification=(
        "Four 750 ml bowls that nest 9 cm high; reactive glaze outside in sage, sand, slate "
        "and clay; food-safe gloss inside; microwave and dishwasher safe; lead- and "
        "cadmium-free glaze (FDA 21 CFR 109.16 test to follow with the sample)."
    ),
    bom=[
        {"material": "Dehua stoneware body", "quantity": "1.6", "unit": "kg", "unit_cost": "4.50"},
        {"material": "reactive glaze", "quantity": "0.12", "unit": "kg", "unit_cost": "38.00"},
        {"material": "kiln firing", "quantity": "1", "unit": "set", "unit_cost": "6.00"},
        {"material": "gift box and insert", "quantity": "1", "unit": "set", "unit_cost": "3.20"},
    ],
    target_cost="24.00",
)


def run_the_demand_loop(db: Database, settings: Settings, now: datetime) -> None:
    with db.unit_of_work() as uow:
        loop = _Loop(uow.session, settings, now)
        if production.list_orders(loop.as_("merchandiser"), limit=1).total:
            return
        loop.run()
        uow.commit()


class _Loop:
    def __init__(self, session: Session, settings: Settings, now: datetime) -> None:
        self.session = session
        self.settings = settings
        self.now = now
        self.clock = FixedClock(now - timedelta(days=15))
        self.rng = random.Random(SEED)

    def as_(self, who: str | Actor) -> Context:
        actor = who if isinstance(who, Actor) else demo_operator(self.session, who)
        return Context(self.session, actor, self.clock, self.settings)

    def at(self, days_ago: float) -> None:
        self.clock.advance(
            max(self.now - timedelta(days=days_ago) - self.clock.now(), timedelta(0))
        )

    def run(self) -> None:
        brief_id = self.brief_from_the_trend()
        product_id = self.design_and_list(brief_id)
        self.first_run(product_id)
        self.sell(product_id)
        self.reorder(product_id)
        self.replenish(product_id)

    def brief_from_the_trend(self) -> str:
        merchandiser = self.as_("merchandiser")
        demand.import_signals(merchandiser, "marketplace-trends.csv", search_trend_csv(self.now))
        finding = next(
            f
            for f in demand.trends(merchandiser)
            if f.market == MARKET and f.keywords == tuple(QUERY.split())
        )
        brief = briefs.draft_from_finding(merchandiser, finding)
        briefs.publish(merchandiser, brief.id)
        return brief.id

    def design_and_list(self, brief_id: str) -> str:
        from chuhai.demo.world import product_png

        studio = self.as_(demo_operator(self.session, STUDIO_LOGIN))
        self.at(14.5)
        design = designs.submit(studio, brief_id, DESIGN)
        picture = product_png(DESIGN.title, "stoneware", CATEGORY, (126, 148, 120))
        designs.add_image(studio, design.id, picture, "nesting-bowls.png")
        self.at(14)
        designs.request_changes(
            self.as_("merchandiser"),
            design.id,
            "Bring the target cost to 24 yuan: one glaze outside is enough for a first run.",
        )
        self.at(13.8)
        designs.resubmit(studio, design.id, DESIGN, "One reactive glaze; box insert simplified.")
        self.at(13.5)
        factory = find_supplier(self.session, FACTORY)
        if factory is None:  # pragma: no cover - the demo's suppliers exist by now
            raise RuntimeError(f"the demo factory {FACTORY} is missing")
        accepted = designs.accept(
            self.as_("merchandiser"), design.id, parse_terms("fee", fee="6000.00"), [factory.id]
        )
        product_id = accepted.product_ids[0]
        self.list_it(product_id, demo_operator(self.session, "sup-" + FACTORY.lower()))
        return product_id

    def list_it(self, product_id: str, factory: Actor) -> None:
        self.at(13)
        self.complete_the_draft(product_id, factory)
        listing.submit(self.as_(factory), product_id)
        compliance = self.as_("compliance")
        listing.start_compliance_review(compliance, product_id)
        listing.pass_compliance(
            compliance, product_id, "Food-contact glaze test due with the sample."
        )
        listing.pass_ip(compliance, product_id, "Original design by the studio; no marks.")
        self.at(12.5)
        listing.accept_offer(self.as_("merchandiser"), product_id)
        logistics = self.as_("logistics")
        listing.receive_sample(logistics, product_id)
        listing.record_check(logistics, product_id, name="glaze lead/cadmium", passed=True)
        listing.record_check(logistics, product_id, name="nesting fit", passed=True)
        listing.pass_qc(logistics, product_id)
        listing.list_in_markets(self.as_("merchandiser"), product_id, [MARKET])

    def complete_the_draft(self, product_id: str, factory: Actor) -> None:
        """The factory gives the draft made from the design its Chinese title, its barcode
        and the carton it packs in, before submitting it."""
        from chuhai.demo.world import barcode

        product = catalog.visible_product(self.as_(factory), product_id)
        sku = catalog.skus_of(self.session, product_id)[0]
        draft = ProductDraft(
            ref=product.ref,
            category_code=product.category_code,
            title_zh="叠叠乐炻瓷碗四件套",
            title_en=product.title_en,
            description_en=product.description_en,
            attributes={**product.attributes, "carton_quantity": "12"},
            target_markets=[MARKET],
            skus=[
                SkuDraft(
                    sku_code=sku.sku_code,
                    supply_price=str(Decimal(sku.supply_price_amount) / 100),
                    weight_g=sku.weight_g,
                    length_mm=sku.length_mm,
                    width_mm=sku.width_mm,
                    height_mm=sku.height_mm,
                    moq=sku.moq,
                    lead_time_days=sku.lead_time_days,
                    daily_capacity=sku.daily_capacity,
                    barcode=barcode("6935526", 41),
                    options={"colour": "sage"},
                    materials=sku.materials,
                )
            ],
        )
        catalog.update_product(self.as_(factory), product_id, draft)

    def first_run(self, product_id: str) -> None:
        self.at(12.2)
        order = production.issue(self.as_("merchandiser"), product_id, FIRST_RUN)
        factory = self.as_(demo_operator(self.session, "sup-" + FACTORY.lower()))
        for action, days_ago in FACTORY_STEPS:
            self.at(days_ago)
            production.act(factory, order.id, action)
        self.at(4)
        production.receive(self.as_("logistics"), order.id, note="150 counted in at CN-GZ")

    def sell(self, product_id: str) -> None:
        self.at(0.5)
        merchandiser = self.as_("merchandiser")
        rebuild_price_book(merchandiser, self.now.date())
        sku_id = catalog.skus_of(self.session, product_id)[0].id
        shop = self.as_(STOREFRONT)
        left = SOLD
        for n in range(16):
            name, line1, city, region, postal = SHOPPERS[n % len(SHOPPERS)]
            units = min(left, 6)
            left -= units
            orders.checkout(
                shop,
                market_code=MARKET,
                items=[(sku_id, units)],
                email=f"bowls{n}@example.com",
                address=orders.Address(name, line1, city, postal, MARKET, region=region),
                card=orders.Card("4242424242424242", 12, self.now.year + 2, "123"),
            )
            self.clock.advance(timedelta(minutes=self.rng.randint(5, 40)))

    def reorder(self, product_id: str) -> None:
        merchandiser = self.as_("merchandiser")
        proposal = production.propose(merchandiser, product_id)
        production.approve_proposal(merchandiser, proposal.id, note="Sold out in four days.")

    def replenish(self, product_id: str) -> None:
        """The forecaster over every SKU's order history, then a planner's bulk approval of the
        new product's proposals and the most urgent others."""
        planner = self.as_("merchandiser")
        demand.import_signals(planner, "marketplace-sales.csv", self.marketplace_sales_csv())
        result = replenishment.compute(planner)
        sku_id = catalog.skus_of(self.session, product_id)[0].id
        chosen = [p for p in result.proposals if p.sku_id == sku_id]
        others = [p for p in result.proposals if p.sku_id != sku_id]
        chosen += [p for p in others if p.kind == "transfer"][:6]
        chosen += [p for p in others if p.kind == "stock_up"][:4]
        if chosen:
            replenishment.approve(planner, [p.id for p in chosen])

    def marketplace_sales_csv(self) -> bytes:
        """Eight weeks of daily units sold on a marketplace, to yesterday, for the listed SKUs
        in the markets with an overseas warehouse: each its own level, busier at weekends,
        drifting up or down."""
        markets = {"US", "DE", "GB"}
        listed = sorted(
            (code, market) for code, market in _listed_codes(self.session) if market in markets
        )[:90]
        lines = ["date,market,sku,kind,count"]
        yesterday = self.now.date() - timedelta(days=1)
        for code, market in listed:
            level, drift = self.rng.uniform(0.3, 6.0), self.rng.uniform(-0.01, 0.02)
            for back in range(55, -1, -1):
                day = yesterday - timedelta(days=back)
                weekend = 1.4 if day.weekday() >= 5 else 1.0
                mean = level * weekend * (1 + drift * (55 - back))
                units = _poisson(self.rng, max(mean, 0.0))
                if units:
                    lines.append(f"{day},{market},{code},order,{units}")
        return ("\n".join(lines) + "\n").encode()


def _listed_codes(session: Session) -> list[tuple[str, str]]:
    pairs = catalog.listed_sku_markets(session)
    codes = catalog.sku_codes(session, sorted({sku for sku, _ in pairs}))
    return [(codes[sku], market) for sku, market in pairs if sku in codes]


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small daily means here."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def search_trend_csv(now: datetime) -> bytes:
    """A marketplace's search-trend export: the query rising through eight weeks in the US
    (and a little in Great Britain), one row a day, to 15 days ago."""
    rng = random.Random(SEED)
    last = now.date() - timedelta(days=15)
    lines = ["date,market,category,kind,count,query"]
    for back in range(55, -1, -1):
        day: date = last - timedelta(days=back)
        week = (55 - back) // 7
        lines.append(f"{day},US,{CATEGORY},search,{30 + 9 * week + rng.randint(0, 8)},{QUERY}")
        lines.append(f"{day},GB,{CATEGORY},search,{6 + week + rng.randint(0, 3)},{QUERY}")
    return ("\n".join(lines) + "\n").encode()
