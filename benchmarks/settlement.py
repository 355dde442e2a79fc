"""A weekly supplier settlement run over a large ledger: seconds and peak memory.

Setup (not timed) bulk-inserts `--lines` supplier-payable lines for `--suppliers` suppliers
straight into the ledger tables: receipt entries (stock_up.received, 50 credits of one
supplier balanced by one inventory debit) and, one in ten, penalty entries (penalty.created,
50 debits balanced by one penalty-income credit), all in one week. The timed part is
`finance.settlement.run_cycle` for that week: one statement per supplier and one statement
line per ledger line, computed in SQL. Peak memory is Python's (tracemalloc) during the run,
and the process's maximum resident set size.

    python benchmarks/settlement.py [--suppliers 2000] [--lines 1000000] [--database-url URL]

SQLite runs in a temporary file; with `--database-url` (a PostgreSQL server) a scratch
database is created there and dropped afterwards, and that run is the one reported last.
The last line printed is one JSON object: seconds, peak_mib, statements, lines.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).parent))

from ledger import scratch_postgres  # noqa: E402

from chuhai.core.auth import SYSTEM  # noqa: E402
from chuhai.core.clock import FixedClock  # noqa: E402
from chuhai.core.context import Context  # noqa: E402
from chuhai.core.db import Database, upgrade_schema  # noqa: E402
from chuhai.core.settings import Settings  # noqa: E402
from chuhai.finance import settlement  # noqa: E402
from chuhai.finance.tables import JournalEntryRow, JournalLineRow  # noqa: E402
from chuhai.reference import load_reference_data  # noqa: E402

WEEK = "2026-W48"
MONDAY = date(2026, 11, 23)
LINES_PER_ENTRY = 50
CHUNK = 20_000


def _entries(suppliers: int, lines: int, seed: int = 5) -> Any:
    """(entry row, its line rows) for the ledger; every tenth entry a penalty."""
    rng = random.Random(seed)
    now = datetime(2026, 11, 29, tzinfo=UTC)
    for number in range(lines // LINES_PER_ENTRY):
        supplier = f"sup_bench_{rng.randrange(suppliers):05d}"
        penalty = number % 10 == 9
        entry_id = f"je_bench_{number:09d}"
        amounts = [
            rng.randint(100, 5_000) if penalty else -rng.randint(1_000, 500_000)
            for _ in range(LINES_PER_ENTRY)
        ]
        entry = dict(
            id=entry_id,
            posted_on=MONDAY + timedelta(days=number % 7),
            description="bench",
            document_type="penalty" if penalty else "stock_up_order",
            document_id=f"doc_{number:09d}",
            event="penalty.created" if penalty else "stock_up.received",
            event_key=None,
            market_code=None,
            reverses_id=None,
            fx_rate=None,
            fx_on=None,
            fx_source=None,
            created_by="system",
            created_at=now,
        )
        rows = [
            dict(
                entry_id=entry_id,
                account_code="2100-CNY",
                currency="CNY",
                amount=amount,
                memo="",
                party_id=supplier,
            )
            for amount in amounts
        ]
        rows.append(
            dict(
                entry_id=entry_id,
                account_code="4900-CNY" if penalty else "1400-CNY",
                currency="CNY",
                amount=-sum(amounts),
                memo="",
                party_id=None,
            )
        )
        yield entry, rows


def _load(db: Database, suppliers: int, lines: int) -> None:
    entries: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []

    def flush() -> None:
        with db.engine.begin() as connection:
            connection.execute(insert(JournalEntryRow.__table__), entries)
            connection.execute(insert(JournalLineRow.__table__), rows)
        entries.clear()
        rows.clear()

    for entry, its_rows in _entries(suppliers, lines):
        entries.append(entry)
        rows.extend(its_rows)
        if len(rows) >= CHUNK:
            flush()
    if entries:
        flush()


def run(url: str, data_dir: Path, suppliers: int, lines: int) -> dict[str, Any]:
    upgrade_schema(url)
    db = Database(url)
    load_reference_data(db)
    setup = time.perf_counter()
    _load(db, suppliers, lines)
    setup_s = time.perf_counter() - setup
    settings = Settings(data_dir=data_dir, database_url=url)
    clock = FixedClock(datetime(2026, 11, 30, 2, tzinfo=UTC))
    tracemalloc.start()
    started = time.perf_counter()
    with db.unit_of_work() as uow:
        run_row = settlement.run_cycle(Context(uow.session, SYSTEM, clock, settings), WEEK)
        run_id = run_row.id
        uow.commit()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    with db.unit_of_work() as uow:
        statements = settlement.statements_of(uow.session, run_id)
        taken = sum(s.line_count for s in statements)
        check_started = time.perf_counter()
        mismatches = settlement.check(uow.session)
        check_s = time.perf_counter() - check_started
        payable_lines = uow.session.scalar(
            select(func.count()).where(JournalLineRow.account_code == "2100-CNY")
        )
    db.engine.dispose()
    return {
        "database": url.split(":", 1)[0],
        "suppliers": suppliers,
        "ledger_lines": int(payable_lines or 0),
        "setup_s": round(setup_s, 1),
        "seconds": round(seconds, 2),
        "peak_mib": round(peak / 2**20, 1),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "statements": len(statements),
        "lines": taken,
        "check_s": round(check_s, 2),
        "reconciles": not mismatches,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suppliers", type=int, default=2_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server to run on too")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/settlement.db"
        results.append(run(url, Path(scratch), args.suppliers, args.lines))
        print(json.dumps(results[-1]))
        if args.database_url:
            with scratch_postgres(args.database_url) as pg:
                results.append(run(pg, Path(scratch), args.suppliers, args.lines))
                print(json.dumps(results[-1]))
    last = results[-1]
    summary = {k: last[k] for k in ("seconds", "peak_mib", "statements", "lines")}
    print(json.dumps({**summary, "runs": results}))
    return 0 if all(r["reconciles"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
