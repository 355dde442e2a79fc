"""The demo world: built through the services, idempotent, and worth clicking through."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from stdnum import ean
from stdnum.cn import uscc

from chuhai.catalog.model import ALL_STATES
from chuhai.catalog.tables import (
    ListingTransitionRow,
    ProductImageRow,
    ProductMarketRow,
    ProductRow,
    ReviewFindingRow,
    SkuRow,
)
from chuhai.core.clock import FixedClock
from chuhai.core.db import Database, upgrade_schema
from chuhai.core.settings import Settings
from chuhai.core.tables import StoredFileRow
from chuhai.demo.world import DEMO_PASSWORD, credit_code, seed_demo
from chuhai.finance.service import ecb_history
from chuhai.parties.service import authenticate
from chuhai.parties.tables import SupplierRow
from chuhai.reference import load_reference_data

# weeks after the bundled ECB rates end, as on a user's machine: the demo carries them forward
NOW = datetime.combine(ecb_history().last_day + timedelta(days=45), time(8), tzinfo=UTC)


def _row_counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as connection:
        names = inspect(connection).get_table_names()
        return {
            name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in names
        }


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):
    data_dir = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{data_dir / 'chuhai.db'}"
    upgrade_schema(url)
    db = Database(url)
    load_reference_data(db)
    settings = Settings(data_dir=data_dir, database_url=url)
    first = seed_demo(db, settings, clock=FixedClock(NOW))
    counts = _row_counts(db)
    second = seed_demo(db, settings, clock=FixedClock(NOW))
    yield db, first, second, counts
    db.dispose()


def test_a_second_run_creates_nothing(seeded) -> None:
    db, first, second, counts = seeded
    assert first.created and not second.created
    assert _row_counts(db) == counts
    assert second.logins == first.logins
    assert (second.products, second.skus, second.suppliers) == (
        first.products,
        first.skus,
        first.suppliers,
    )
    assert "already exists" in second.describe()
    assert "Created" in first.describe()


def test_the_world_is_big_enough(seeded) -> None:
    _, first, _, _ = seeded
    assert first.suppliers >= 20
    assert first.products >= 100
    assert first.skus >= 300
    assert first.brands >= 40
    assert first.studios == 3
    assert first.customers >= 10
    assert first.listed > first.products // 2


def test_every_listing_state_has_a_product(seeded) -> None:
    db, _, _, _ = seeded
    with db.unit_of_work() as uow:
        states = dict(
            uow.session.execute(
                select(ProductRow.state, func.count()).group_by(ProductRow.state)
            ).all()
        )
    assert {state for state in ALL_STATES if not states.get(state)} == set()


def test_every_login_signs_in_with_the_demo_password(seeded) -> None:
    db, first, _, _ = seeded
    usernames = [username for username, _ in first.logins]
    assert {
        "admin",
        "merchandiser",
        "compliance",
        "logistics",
        "customs",
        "finance",
        "supplier",
        "supplier2",
    } <= set(usernames)
    with db.unit_of_work() as uow:
        for username in usernames:
            assert authenticate(uow.session, username, DEMO_PASSWORD).username == username


def test_listed_products_are_on_sale_in_markets(seeded) -> None:
    db, _, _, _ = seeded
    with db.unit_of_work() as uow:
        session = uow.session
        listed = list(session.scalars(select(ProductRow).where(ProductRow.state == "listed")))
        assert listed
        for product in listed:
            markets = session.scalars(
                select(ProductMarketRow.market_code).where(
                    ProductMarketRow.product_id == product.id, ProductMarketRow.status == "listed"
                )
            ).all()
            assert markets, product.ref
        delisted = session.scalars(select(ProductRow.id).where(ProductRow.state == "delisted"))
        for product_id in delisted:
            assert not session.scalars(
                select(ProductMarketRow).where(
                    ProductMarketRow.product_id == product_id, ProductMarketRow.status == "listed"
                )
            ).all()


def test_identifiers_and_files_are_valid(seeded) -> None:
    db, _, _, _ = seeded
    with db.unit_of_work() as uow:
        session = uow.session
        suppliers = list(session.scalars(select(SupplierRow)))
        assert all(uscc.is_valid(s.credit_code) for s in suppliers)
        assert {s.status for s in suppliers} == {"verified", "pending", "suspended"}
        barcodes = list(session.scalars(select(SkuRow.barcode)))
        assert all(ean.is_valid(b) and b.startswith("69") for b in barcodes)
        assert len(set(barcodes)) == len(barcodes)
        without_image = session.scalar(
            select(func.count())
            .select_from(ProductRow)
            .where(~ProductRow.id.in_(select(ProductImageRow.product_id)))
        )
        assert without_image == 0
        largest_png = session.scalar(
            select(func.max(StoredFileRow.size_bytes)).where(
                StoredFileRow.content_type == "image/png"
            )
        )
        assert largest_png < 20_000
        latest = session.scalar(select(func.max(ListingTransitionRow.at)))
        assert latest <= NOW


def test_the_review_stories_are_there(seeded) -> None:
    db, _, _, _ = seeded
    with db.unit_of_work() as uow:
        session = uow.session

        def blocking(ref: str, review: str) -> list[str]:
            product = session.scalar(select(ProductRow).where(ProductRow.ref == ref))
            return list(
                session.scalars(
                    select(ReviewFindingRow.message).where(
                        ReviewFindingRow.product_id == product.id,
                        ReviewFindingRow.review == review,
                        ReviewFindingRow.blocking.is_(True),
                    )
                )
            )

        assert any("expired" in m for m in blocking("VG-WCH15", "compliance"))
        assert any("Adidas" in m for m in blocking("FY-AD04", "ip"))
        assert any("prohibits" in m for m in blocking("FR-TK", "compliance"))


def test_credit_codes_are_deterministic_and_valid() -> None:
    import random

    first = [credit_code(random.Random(7), "330782") for _ in range(3)]
    again = [credit_code(random.Random(7), "330782") for _ in range(3)]
    assert first == again
    assert all(uscc.is_valid(code) and code.startswith("91330782") for code in first)


def test_the_catalog_is_priced_for_the_day_in_every_listed_market(seeded) -> None:
    db, first, second, _ = seeded
    with db.engine.connect() as connection:
        statuses = dict(
            connection.execute(
                text("SELECT status, count(*) FROM price_book GROUP BY status")
            ).all()
        )
        unpriced = connection.execute(
            text(
                "SELECT count(*) FROM skus s JOIN product_markets m ON m.product_id = s.product_id "
                "AND m.status = 'listed' LEFT JOIN price_book p ON p.sku_id = s.id "
                "AND p.market_code = m.market_code WHERE p.sku_id IS NULL"
            )
        ).scalar_one()
    assert statuses.get("active", 0) > 1000 and "refused" not in statuses
    assert unpriced == 0
    assert "0 refused" in first.pricing and "0 prices set" in second.pricing


def test_the_warehouses_hold_stock_and_shoppers_have_ordered(seeded) -> None:
    from chuhai.inventory import ledger
    from chuhai.orders.tables import OrderRow

    db = seeded[0]
    with db.unit_of_work() as uow:
        stocked = {b.warehouse_id for b in ledger.balances(uow.session) if b.available > 0}
        assert {"CN-GZ", "US-LAX", "DE-FRA"} <= stocked
        assert ledger.verify(uow.session) == []
        orders = list(uow.session.scalars(select(OrderRow)))
        assert {o.market_code for o in orders} >= {"US", "DE", "GB", "JP"}
        assert {o.state for o in orders} >= {"allocated", "picked", "shipped", "cancelled"}
        german = next(o for o in orders if o.market_code == "DE")
        assert german.currency == "EUR" and german.vat > 0


def test_the_week_is_booked_and_reconciles(seeded) -> None:
    from chuhai.core.auth import Actor, Role
    from chuhai.core.context import Context
    from chuhai.finance import credit, exposure, ledger, reports, settlement
    from chuhai.inventory.commitments import committed_purchases

    db = seeded[0]
    with db.unit_of_work() as uow:
        finance = Context(
            uow.session,
            Actor(user_id="test-finance", username="finance", roles=frozenset({Role.FINANCE})),
            FixedClock(NOW),
            Settings(data_dir=Path("."), database_url=str(db.engine.url)),
        )
        assert ledger.check(uow.session) == []
        trial = reports.trial_balance(finance, NOW.date())
        assert trial.balanced and trial.rows
        ioss = reports.tax_return(finance, "2200-DE-IOSS", NOW.strftime("%Y-%m"))
        assert ioss.net > 0  # VAT collected under IOSS, owed to the authority
        assert settlement.check(uow.session) == []
        runs = settlement.list_runs(finance)
        assert [run.state for run in runs] == ["paid"]
        assert settlement.statements_of(uow.session, runs[0].id)
        balances = ledger.balances(uow.session, on=NOW.date())
        assert balances["1300-CNY"] > 0 and balances["1300-USD"] > 0
        report = exposure.report(finance, NOW.date(), committed=committed_purchases(uow.session))
        euros = next(row for row in report.rows if row.currency == "EUR")
        assert euros.hedges == -45_000_00  # the open B2B invoice, sold forward
        assert report.var_after.one_day["99"] < report.var_before.one_day["99"]
        assert credit.check(uow.session) == []
        states = {invoice.state for invoice in credit.list_invoices(finance)}
        assert states == {"issued", "held", "overdue", "claimed"}


def test_the_demand_loop_runs_from_searches_to_approved_orders(seeded) -> None:
    from chuhai.demand.replenishment_tables import ReplenishmentProposalRow
    from chuhai.demo.loop import FACTORY, FIRST_RUN, QUERY, SOLD
    from chuhai.inventory.tables import StockUpOrderRow, TransferRow
    from chuhai.parties.service import find_supplier
    from chuhai.sourcing.tables import (
        DesignBriefRow,
        DesignRow,
        ProductionOrderRow,
        SourcingProposalRow,
    )

    db = seeded[0]
    with db.unit_of_work() as uow:
        session = uow.session
        brief = session.scalars(select(DesignBriefRow)).one()
        # a finding of rising searches became the brief, with its band and volume
        assert brief.state == "published" and brief.volume_source == "finding"
        assert QUERY in brief.evidence and brief.supply_low < brief.supply_high
        design = session.scalars(select(DesignRow)).one()
        assert (design.state, design.terms_kind, design.fee) == ("accepted", "fee", 6000_00)
        product = session.get(ProductRow, design.product_ids[0])
        assert product.state == "listed"
        assert product.supplier_id == find_supplier(session, FACTORY).id
        runs = session.scalars(
            select(ProductionOrderRow).order_by(ProductionOrderRow.created_at)
        ).all()
        first, again = runs
        assert (first.quantity, first.first_run, first.state) == (FIRST_RUN, True, "received")
        proposal = session.scalars(select(SourcingProposalRow)).one()
        assert (proposal.decision, proposal.sold, proposal.state) == ("reorder", SOLD, "approved")
        assert proposal.production_order_id == again.id and not again.first_run
        assert again.destinations == {"US-LAX": again.quantity}
        approved = session.scalars(
            select(ReplenishmentProposalRow).where(ReplenishmentProposalRow.state == "approved")
        ).all()
        assert {p.kind for p in approved} == {"stock_up", "transfer"}
        made = {p.document_id for p in approved}
        orders = session.scalars(select(StockUpOrderRow).where(StockUpOrderRow.id.in_(made)))
        transfers = session.scalars(select(TransferRow).where(TransferRow.id.in_(made)))
        assert {o.state for o in orders} == {"issued"}
        assert {t.state for t in transfers} == {"planned"}
        assert any(p.sku_id != first.sku_id for p in approved)  # the catalog's, forecast too
