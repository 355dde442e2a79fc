"""Ledger postings per second through the service (`finance.ledger.post`: validation, the
closed-period check, the event-key lookup that makes a re-delivered event post once, the
entry and its lines), next to a plain executemany of the same rows in the same run.

Each entry is a typical sale of 4-6 lines (payment clearing, revenue, duty, VAT, and for
some a fee and a conversion leg), in the market's currency. Both sides commit every
`--batch` entries, so they pay for the same number of transactions; the baseline inserts
exactly the rows the service wrote, with no checks.

    python benchmarks/ledger.py [--entries 20000] [--batch 100] [--database-url URL]

SQLite runs in a temporary file always; with `--database-url` (a PostgreSQL server) a
scratch database is created there and dropped afterwards. The last line printed is one JSON
object: postings_per_s, baseline_rows_per_s and ratio (of the last database run; PostgreSQL
when given), and the figures of each database.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text

from chuhai.core.auth import SYSTEM
from chuhai.core.clock import SystemClock
from chuhai.core.context import Context
from chuhai.core.db import Database, upgrade_schema
from chuhai.core.settings import Settings
from chuhai.finance import ledger
from chuhai.finance.ledger import Line
from chuhai.finance.tables import JournalEntryRow, JournalLineRow
from chuhai.reference import load_reference_data

MARKETS = {
    "DE": ("EUR", "2300-EU", "2200-DE-IOSS"),
    "GB": ("GBP", "2310-GB", "2210-GB"),
    "AU": ("AUD", "2340-AU", "2220-AU"),
    "JP": ("JPY", "2330-JP", "2230-JP"),
}


def typical_entries(count: int, seed: int = 11) -> list[tuple[str, list[Line]]]:
    """(market, lines): 4 lines for a sale, 5 with a payment fee split off, 6 with a fee
    and a refund of shipping."""
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        market = rng.choice(sorted(MARKETS))
        currency, duty_account, tax_account = MARKETS[market]
        goods, duty, vat = rng.randint(500, 50_000), rng.randint(1, 3_000), rng.randint(1, 9_000)
        lines = [
            Line(f"1100-{market}", goods + duty + vat, currency),
            Line(f"4000-{market}", -goods, currency),
            Line(duty_account, -duty, currency),
            Line(tax_account, -vat, currency),
        ]
        for _ in range(rng.randint(0, 2)):  # fee or shipping refund, netted in clearing
            extra = rng.randint(1, 200)
            lines.append(Line(f"1100-{market}", -extra, currency))
            lines[1] = Line(lines[1].account, lines[1].amount + extra, currency)
        found.append((market, lines))
    return found


@contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
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


def run(url: str, data_dir: Path, entries: list[tuple[str, list[Line]]], batch: int) -> dict:
    upgrade_schema(url)
    db = Database(url)
    load_reference_data(db)
    settings = Settings(data_dir=data_dir, database_url=url)
    started = time.perf_counter()
    for first in range(0, len(entries), batch):
        with db.unit_of_work() as uow:
            ctx = Context(uow.session, SYSTEM, SystemClock(), settings)
            for number, (market, lines) in enumerate(entries[first : first + batch], first):
                ledger.post(
                    ctx,
                    lines,
                    description=f"payment captured for order B{number}",
                    document_type="order",
                    document_id=f"ord_{number}",
                    event="payment.captured",
                    event_key=f"payment.captured:ord_{number}",
                    market_code=market,
                )
            uow.commit()
    service_s = time.perf_counter() - started
    with db.unit_of_work() as uow:
        entry_rows = [
            {c.name: getattr(row, c.key) for c in JournalEntryRow.__table__.columns}
            for row in uow.session.scalars(select(JournalEntryRow).order_by(JournalEntryRow.id))
        ]
        line_rows = [
            dict(row._mapping)
            for row in uow.session.execute(
                select(JournalLineRow.__table__).order_by(JournalLineRow.id)
            )
        ]
        problems = ledger.check(uow.session)
    if problems:
        raise SystemExit(f"the ledger check failed after the run: {problems[:3]}")
    with db.engine.begin() as connection:  # the same rows again, under fresh keys
        connection.execute(JournalLineRow.__table__.delete())
        connection.execute(JournalEntryRow.__table__.delete())
    lines_of: dict[str, list[dict[str, Any]]] = {}
    for row in line_rows:
        row.pop("id")
        lines_of.setdefault(row["entry_id"], []).append(row)
    started = time.perf_counter()
    for first in range(0, len(entry_rows), batch):
        chunk = entry_rows[first : first + batch]
        with db.engine.begin() as connection:
            connection.execute(insert(JournalEntryRow.__table__), chunk)
            connection.execute(
                insert(JournalLineRow.__table__),
                [line for entry in chunk for line in lines_of[entry["id"]]],
            )
    baseline_s = time.perf_counter() - started
    db.dispose()
    rows = len(entry_rows) + len(line_rows)
    postings_per_s = len(entries) / service_s
    baseline_entries_per_s = len(entries) / baseline_s
    return {
        "database": url.split(":", 1)[0],
        "entries": len(entries),
        "lines": len(line_rows),
        "postings_per_s": round(postings_per_s, 1),
        "baseline_rows_per_s": round(rows / baseline_s, 1),
        "baseline_entries_per_s": round(baseline_entries_per_s, 1),
        # both sides wrote the same entries and lines: the ratio compares like with like
        "ratio": round(postings_per_s / baseline_entries_per_s, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server to run on too")
    args = parser.parse_args(argv)
    entries = typical_entries(args.entries)
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/ledger.db"
        results.append(run(url, Path(scratch), entries, args.batch))
        print(json.dumps(results[-1]))
        if args.database_url:
            with scratch_postgres(args.database_url) as pg:
                results.append(run(pg, Path(scratch), entries, args.batch))
                print(json.dumps(results[-1]))
    last = results[-1]
    print(
        json.dumps(
            {
                "postings_per_s": last["postings_per_s"],
                "baseline_rows_per_s": last["baseline_rows_per_s"],
                "ratio": last["ratio"],
                "runs": results,
                "lines_per_entry": round(last["lines"] / last["entries"], 2),
                "batch": args.batch,
                "day": date.today().isoformat(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
