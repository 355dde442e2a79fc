"""Bulk catalog import: rows per second through chuhai's importer (parse, validate every cell,
check the catalog for conflicts, write products, SKUs and price history in one transaction),
next to a plain baseline run in the same process on the same file and the same database
server: csv.DictReader plus one executemany per table, with no validation.

    python benchmarks/catalog_import.py [--rows 10000] [--database-url URL]

The last line printed is one JSON object: rows, import_rows_per_s, parse_rows_per_s,
baseline_rows_per_s, ratio (import / baseline), peak_mib (the process's peak resident memory).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from chuhai.catalog.importer import COLUMNS, parse_catalog_file
from chuhai.catalog.service import import_catalog
from chuhai.core.auth import SYSTEM
from chuhai.core.clock import SystemClock
from chuhai.core.context import Context
from chuhai.core.db import Database, upgrade_schema
from chuhai.core.settings import Settings
from chuhai.parties.model import SupplierProfile
from chuhai.parties.service import onboard_supplier
from chuhai.reference import load_reference_data

SKUS_PER_PRODUCT = 4


def catalog_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    for n in range(rows):
        product = n // SKUS_PER_PRODUCT
        colour = ("red", "blue", "black", "white")[n % SKUS_PER_PRODUCT]
        writer.writerow(
            {
                "product_ref": f"P{product:06d}",
                "category": "home.kitchen",
                "title_zh": f"陶瓷马克杯 {product}",
                "title_en": f"Ceramic mug {product}",
                "description_en": "Stoneware, dishwasher safe.",
                "target_markets": "US;DE;GB",
                "attributes": "material=ceramic",
                "sku_code": f"P{product:06d}-{colour.upper()}",
                "options": f"colour={colour}",
                "weight_g": rng.randint(200, 600),
                "length_mm": 120,
                "width_mm": 90,
                "height_mm": 100,
                "materials": "ceramic",
                "origin_country": "CN",
                "supply_price_cny": f"{rng.randint(500, 5000) / 100:.2f}",
                "moq": 100,
                "lead_time_days": 7,
                "daily_capacity": 2000,
            }
        )
    return out.getvalue().encode("utf-8")


@contextmanager
def scratch_database_url(server_url: str | None, workdir: Path) -> Iterator[str]:
    """A new, empty database: a SQLite file, or one created (and dropped) on the server."""
    if server_url is None:
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    name = f"chuhai_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        server_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server_url.rpartition('/')[0]}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fresh_database(url: str) -> Database:
    upgrade_schema(url)
    db = Database(url)
    load_reference_data(db)
    return db


def wipe_catalog(db: Database) -> None:
    with db.engine.begin() as connection:
        for table in ("supply_price_changes", "skus", "products"):
            connection.execute(text(f"DELETE FROM {table}"))


def make_supplier(db: Database, settings: Settings) -> str:
    from stdnum.cn import uscc

    first = "91330782MA" + f"{random.randint(0, 9_999_999):07d}"
    with db.unit_of_work() as uow:
        ctx = Context(uow.session, SYSTEM, SystemClock(), settings)
        row = onboard_supplier(
            ctx,
            SupplierProfile(
                code=f"BENCH-{uuid.uuid4().hex[:6].upper()}",
                legal_name="义乌基准测试有限公司",
                credit_code=first + uscc.calc_check_digit(first),
                address="义乌",
                contact_name="王",
                contact_phone="1",
                contact_email="b@example.cn",
                export_qualification="备案",
                bank_name="工行",
                bank_account_name="基准",
                bank_account_number="1234567890123",
            ),
        )
        uow.commit()
        return row.id


def chuhai_import(db: Database, settings: Settings, supplier_id: str, content: bytes) -> float:
    started = time.perf_counter()
    with db.unit_of_work() as uow:
        ctx = Context(uow.session, SYSTEM, SystemClock(), settings)
        outcome = import_catalog(ctx, "bench.csv", content, supplier_id)
        assert outcome.report.ok, outcome.report.errors[:3]
        uow.commit()
    return time.perf_counter() - started


def baseline_import(db: Database, supplier_id: str, content: bytes) -> float:
    """The least a bulk load can do: read the CSV and executemany the rows, no checks."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    products: dict[str, dict] = {}
    skus = []
    for row in csv.DictReader(io.StringIO(content.decode("utf-8"))):
        ref = row["product_ref"]
        if ref not in products:
            products[ref] = {
                "id": uuid.uuid4().hex,
                "supplier_id": supplier_id,
                "ref": ref,
                "category_code": row["category"],
                "brand": "",
                "title_zh": row["title_zh"],
                "title_en": row["title_en"],
                "description_zh": "",
                "description_en": row["description_en"],
                "attributes": "{}",
                "target_markets": "[]",
                "state": "draft",
                "created_by": "bench",
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        price = int(round(float(row["supply_price_cny"]) * 100))
        skus.append(
            {
                "id": uuid.uuid4().hex,
                "product_id": products[ref]["id"],
                "supplier_id": supplier_id,
                "sku_code": row["sku_code"],
                "barcode": "",
                "options": "{}",
                "weight_g": int(row["weight_g"]),
                "length_mm": int(row["length_mm"]),
                "width_mm": int(row["width_mm"]),
                "height_mm": int(row["height_mm"]),
                "materials": row["materials"],
                "origin_country": "CN",
                "supply_price_amount": price,
                "supply_price_currency": "CNY",
                "moq": int(row["moq"]),
                "lead_time_days": int(row["lead_time_days"]),
                "daily_capacity": int(row["daily_capacity"]),
                "created_at": now,
                "updated_at": now,
            }
        )
    changes = [
        {
            "id": uuid.uuid4().hex,
            "sku_id": s["id"],
            "amount": s["supply_price_amount"],
            "currency": "CNY",
            "source": "declared",
            "negotiation_round_id": None,
            "changed_by": "bench",
            "changed_at": now,
        }
        for s in skus
    ]
    with db.engine.begin() as connection:
        for table, rows in (
            ("products", list(products.values())),
            ("skus", skus),
            ("supply_price_changes", changes),
        ):
            columns = list(rows[0])
            connection.execute(
                text(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                    f"({', '.join(':' + c for c in columns)})"
                ),
                rows,
            )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument(
        "--database-url", default=None, help="a PostgreSQL URL (default: a temporary SQLite file)"
    )
    args = parser.parse_args()
    content = catalog_csv(args.rows)
    with (
        tempfile.TemporaryDirectory() as workdir,
        scratch_database_url(args.database_url, Path(workdir)) as url,
    ):
        db = fresh_database(url)
        settings = Settings(data_dir=Path(workdir), database_url=url)
        supplier_id = make_supplier(db, settings)

        started = time.perf_counter()
        report = parse_catalog_file(
            "bench.csv", content, categories={"home.kitchen"}, markets={"US", "DE", "GB"}
        )
        parse_seconds = time.perf_counter() - started
        assert report.ok

        import_seconds = chuhai_import(db, settings, supplier_id, content)
        wipe_catalog(db)
        baseline_seconds = baseline_import(db, supplier_id, content)
        wipe_catalog(db)
        db.dispose()

    result = {
        "rows": args.rows,
        "database": "postgresql" if args.database_url else "sqlite",
        "import_rows_per_s": round(args.rows / import_seconds),
        "parse_rows_per_s": round(args.rows / parse_seconds),
        "baseline_rows_per_s": round(args.rows / baseline_seconds),
        "ratio": round(baseline_seconds / import_seconds, 3),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(
        f"chuhai import: {result['import_rows_per_s']:,} rows/s "
        f"(parse and validate alone {result['parse_rows_per_s']:,} rows/s); "
        f"plain executemany baseline: {result['baseline_rows_per_s']:,} rows/s",
        file=sys.stderr,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
