"""Checkout throughput through the HTTP API on PostgreSQL, next to pgbench running the same
writes as plain SQL against the same server in the same run.

The script creates its own database on the server, migrates it, lists a catalog of
`--skus` products in Germany with today's FX rates and a built price book, and shelves a
million units of each in the Frankfurt warehouse. It then starts the real server (uvicorn,
`--workers` processes) and drives checkouts over HTTP from 1, 8 and 32 concurrent clients,
each a thread with its own connection, for `--seconds` each: every checkout buys three
different SKUs, one unit each, with an Idempotency-Key and the sandbox's approved card.
Orders per second and the p50/p99 latency of each level are measured at the client.

Then the server is stopped and pgbench runs, at the same client counts for the same time,
a script of the writes one checkout makes: the idempotency record, the order, three lines,
three guarded reservations (`UPDATE stock_balances ... WHERE on_hand - reserved >= 1`, in
SKU order), three ledger rows, three allocations, the payment, three history rows, and the
sandbox provider's two rows (authorisation and capture, each its own transaction, as the
sandbox writes them). It leaves out what chuhai reads to decide those writes (the quote's
rules, FX rate and catalog, the address and card checks, what is on sale, the stock).

    python benchmarks/checkout.py --database-url postgresql://postgres@127.0.0.1:5432/test

The last line printed is one JSON object: orders_per_s and pgbench_tps per client count,
ratio_at_8 (orders/s over pgbench transactions/s at 8 clients), p50_ms and p99_ms per client
count, and the run's settings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from chuhai.catalog import listing
from chuhai.catalog import service as catalog
from chuhai.catalog.model import ProductDraft, SkuDraft
from chuhai.core.auth import SYSTEM
from chuhai.core.clock import SystemClock
from chuhai.core.context import Context
from chuhai.core.db import Database, upgrade_schema
from chuhai.core.settings import Settings
from chuhai.finance import service as finance
from chuhai.inventory import ledger
from chuhai.inventory.ledger import Move
from chuhai.parties import service as parties
from chuhai.parties.model import SupplierProfile
from chuhai.pricing import service as pricing
from chuhai.reference import load_reference_data

CLIENTS = (1, 8, 32)
WAREHOUSE = "DE-FRA"
RATES = {"EUR": "0.1300", "GBP": "0.1100", "USD": "0.1400", "AUD": "0.2150", "JPY": "21.00"}
ADDRESS = {
    "name": "Erika Mustermann",
    "line1": "Unter den Linden 1",
    "city": "Berlin",
    "postal_code": "10117",
    "country_code": "DE",
}
CARD = {"number": "4242424242424242", "expiry_month": 12, "expiry_year": 2099, "cvc": "123"}


# --- the database -------------------------------------------------------------------------------


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
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


def _ctx(uow: object, settings: Settings) -> Context:
    return Context(uow.session, SYSTEM, SystemClock(), settings)  # type: ignore[attr-defined]


def seed(db: Database, settings: Settings, skus: int) -> list[str]:
    """A verified supplier, `skus` products listed in Germany, rates, prices, stock."""
    from stdnum.cn import uscc

    first = "91330782MA" + f"{random.randint(0, 9_999_999):07d}"
    with db.unit_of_work() as uow:
        ctx = _ctx(uow, settings)
        supplier = parties.onboard_supplier(
            ctx,
            SupplierProfile(
                code="BENCH",
                legal_name="义乌基准测试日用品有限公司",
                credit_code=first + uscc.calc_check_digit(first),
                address="浙江省义乌市稠城街道工人北路1号",
                contact_name="王芳",
                contact_phone="+86 579 8512 0000",
                contact_email="bench@example.cn",
                export_qualification="对外贸易经营者备案登记 01234567",
                bank_name="中国工商银行义乌分行",
                bank_account_name="义乌基准测试日用品有限公司",
                bank_account_number="1208000000000001",
                legal_name_en="Yiwu Bench Co., Ltd.",
            ),
        )
        parties.verify_supplier(ctx, supplier.id, approve=True)
        uow.commit()
    sku_ids = [_listed_sku(db, settings, supplier.id, n) for n in range(skus)]
    today = date.today()
    csv = ["date,base,quote,rate"] + [
        f"{day.isoformat()},CNY,{q},{r}"
        for day in (today - timedelta(days=1), today)
        for q, r in RATES.items()
    ]
    with db.unit_of_work() as uow:
        ctx = _ctx(uow, settings)
        finance.import_rates_csv(ctx, "rates.csv", "\n".join(csv).encode())
        pricing.rebuild_price_book(ctx)
        for sku_id in sku_ids:
            ledger.post(
                ctx,
                [
                    Move("receipt", sku_id, WAREHOUSE, 1_000_000),
                    Move("put_away", sku_id, WAREHOUSE, 1_000_000),
                ],
                document_type="benchmark",
                document_id="stock",
            )
        uow.commit()
    return sorted(sku_ids)


def _listed_sku(db: Database, settings: Settings, supplier_id: str, n: int) -> str:
    png = _png()
    draft = ProductDraft(
        ref=f"MUG-{n:03d}",
        category_code="home.kitchen",
        title_zh=f"陶瓷马克杯 {n}",
        title_en=f"Ceramic mug {n}",
        description_en="Stoneware, dishwasher safe.",
        target_markets=["DE"],
        attributes={"capacity_ml": "350"},
        skus=[
            SkuDraft(
                sku_code=f"MUG-{n:03d}-WHT",
                supply_price=f"{12 + n % 7}.50",
                weight_g=380,
                length_mm=120,
                width_mm=90,
                height_mm=100,
                moq=100,
                lead_time_days=7,
                daily_capacity=3000,
                options={"colour": "white"},
                materials="ceramic",
            )
        ],
    )
    with db.unit_of_work() as uow:
        ctx = _ctx(uow, settings)
        product = catalog.create_product(ctx, draft, supplier_id)
        catalog.add_image(ctx, product.id, png, "mug.png")
        for step in (
            listing.submit,
            listing.start_compliance_review,
            listing.pass_compliance,
        ):
            step(ctx, product.id)
        listing.pass_ip(ctx, product.id, "cleared")
        listing.accept_offer(ctx, product.id)
        listing.receive_sample(ctx, product.id)
        listing.record_check(ctx, product.id, name="finish", passed=True)
        listing.pass_qc(ctx, product.id)
        listing.list_in_markets(ctx, product.id, ["DE"])
        sku_id = catalog.skus_of(ctx.session, product.id)[0].id
        uow.commit()
    return sku_id


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buffer, format="PNG")
    return buffer.getvalue()


# --- the server ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(url: str, data_dir: Path, workers: int) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "CHUHAI_DATABASE_URL": url, "CHUHAI_DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "chuhai.api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if (
                    httpx.get(f"{base}/storefront/DE/products?limit=1", timeout=5).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


# --- load over HTTP -----------------------------------------------------------------------------


def checkout_body(sku_ids: list[str], rng: random.Random) -> dict[str, object]:
    return {
        "email": f"buyer{rng.randint(1, 10**9)}@example.com",
        "address": ADDRESS,
        "card": CARD,
        "items": [{"sku_id": s, "quantity": 1} for s in rng.sample(sku_ids, 3)],
    }


def drive(base: str, sku_ids: list[str], clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(seed_: int) -> None:
        rng = random.Random(seed_)
        mine: list[float] = []
        with httpx.Client(base_url=base, timeout=60) as http:
            start.wait()
            while time.perf_counter() < stop_at[0]:
                began = time.perf_counter()
                answer = http.post(
                    "/storefront/DE/checkout",
                    json=checkout_body(sku_ids, rng),
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                )
                if answer.status_code == 201:
                    mine.append(time.perf_counter() - began)
                else:
                    with lock:
                        failures.append(f"{answer.status_code} {answer.text[:200]}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        print(f"  {len(failures)} checkouts failed, e.g. {failures[0]}", file=sys.stderr)
    ordered = sorted(latencies)
    return {
        "orders": len(ordered),
        "orders_per_s": len(ordered) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000 if ordered else 0.0,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        if ordered
        else 0.0,
        "failed": len(failures),
    }


# --- the same writes in pgbench -----------------------------------------------------------------

PGBENCH_SCRIPT = Path(__file__).with_name("checkout.sql")


def pgbench(url: str, sku_ids: list[str], clients: int, seconds: int, workdir: Path) -> float:
    script = workdir / "checkout.sql"
    quoted = ", ".join(f"'{s}'" for s in sku_ids)
    template = PGBENCH_SCRIPT.read_text()
    script.write_text(template.format(n=len(sku_ids), skus=quoted, warehouse=WAREHOUSE))
    command = [
        shutil.which("pgbench") or "/usr/bin/pgbench",
        "-n",
        "-M",
        "prepared",
        "-c",
        str(clients),
        "-j",
        str(min(clients, os.cpu_count() or 1)),
        "-T",
        str(seconds),
        "-f",
        str(script),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"pgbench failed: {done.stderr.strip() or done.stdout.strip()}")
    return float(found.group(1))


# --- the run --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server URL")
    parser.add_argument("--seconds", type=int, default=10, help="per client count")
    parser.add_argument("--skus", type=int, default=30)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--clients", default=",".join(map(str, CLIENTS)))
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql://"):
        parser.error("--database-url must be a postgresql:// URL (pgbench needs PostgreSQL)")
    levels = [int(c) for c in args.clients.split(",")]

    with tempfile.TemporaryDirectory() as scratch, scratch_database(args.database_url) as url:
        workdir = Path(scratch)
        upgrade_schema(url)
        db = Database(url)
        load_reference_data(db)
        settings = Settings(data_dir=workdir, database_url=url)
        print(f"seeding {args.skus} listed SKUs with stock ...", flush=True)
        sku_ids = seed(db, settings, args.skus)
        db.dispose()
        http: dict[int, dict[str, float]] = {}
        with server(url, workdir, args.workers) as base:
            drive(base, sku_ids, 2, 2)  # warm up: imports, pools, caches
            for clients in levels:
                http[clients] = drive(base, sku_ids, clients, args.seconds)
                print(
                    f"  HTTP, {clients:>2} clients: {http[clients]['orders_per_s']:8.1f} orders/s",
                    flush=True,
                )
        tps = {}
        for clients in levels:
            tps[clients] = pgbench(url, sku_ids, clients, args.seconds, workdir)
            print(f"  pgbench, {clients:>2} clients: {tps[clients]:8.1f} tps", flush=True)

    print()
    print(
        f"{'clients':>7}  {'orders/s':>9}  {'p50 ms':>7}  {'p99 ms':>7}  "
        f"{'pgbench tps':>11}  {'ratio':>6}"
    )
    for clients in levels:
        h = http[clients]
        print(
            f"{clients:>7}  {h['orders_per_s']:9.1f}  {h['p50_ms']:7.1f}  {h['p99_ms']:7.1f}  "
            f"{tps[clients]:11.1f}  {h['orders_per_s'] / tps[clients]:6.3f}"
        )
    at_8 = 8 if 8 in levels else levels[0]
    result = {
        "orders_per_s": {str(c): round(http[c]["orders_per_s"], 1) for c in levels},
        "pgbench_tps": {str(c): round(tps[c], 1) for c in levels},
        "ratio_at_8": round(http[at_8]["orders_per_s"] / tps[at_8], 3),
        "p50_ms": {str(c): round(http[c]["p50_ms"], 1) for c in levels},
        "p99_ms": {str(c): round(http[c]["p99_ms"], 1) for c in levels},
        "failed": {str(c): int(http[c]["failed"]) for c in levels},
        "workers": args.workers,
        "seconds": args.seconds,
        "skus": args.skus,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
