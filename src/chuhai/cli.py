"""The `chuhai` command: demo, serve, db upgrade, users, catalog import, FX rates.

Errors are one plain sentence on stderr and a non-zero exit; nothing is half-written.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from chuhai.core.auth import SYSTEM
from chuhai.core.clock import SystemClock
from chuhai.core.context import Context
from chuhai.core.db import Database, schema_problem, upgrade_schema
from chuhai.core.errors import ChuhaiError
from chuhai.core.settings import Settings, load_settings
from chuhai.finance import postings  # noqa: F401  (registers the ledger's event postings)

app = typer.Typer(
    help="chuhai: full-custody cross-border commerce.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Console and API users.", no_args_is_help=True)
catalog_app = typer.Typer(help="Supplier catalogs.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(catalog_app, name="catalog")
fx_app = typer.Typer(help="Exchange rates: the ECB's and imported ones.", no_args_is_help=True)
app.add_typer(fx_app, name="fx")
prices_app = typer.Typer(
    help="The price book: landed cost and price of every SKU in every market.", no_args_is_help=True
)
app.add_typer(prices_app, name="prices")
customs_app = typer.Typer(help="Customs: HS codes and export declarations.", no_args_is_help=True)
app.add_typer(customs_app, name="customs")
declare_app = typer.Typer(
    help="Export declarations by mode: 9610 parcels and consolidations, 9710, 9810, 1210.",
    no_args_is_help=True,
)
customs_app.add_typer(declare_app, name="declare")
stock_app = typer.Typer(
    help="Stock: the ledger's check, stock-up orders that expire.", no_args_is_help=True
)
app.add_typer(stock_app, name="stock")
carrier_app = typer.Typer(
    help="Carriers: the sandbox carrier's tracking events.", no_args_is_help=True
)
app.add_typer(carrier_app, name="carrier")
ledger_app = typer.Typer(
    help="The double-entry ledger: its check and its trial balance.", no_args_is_help=True
)
app.add_typer(ledger_app, name="ledger")
settlement_app = typer.Typer(
    help="Supplier settlement: statements checked against the ledger.", no_args_is_help=True
)
app.add_typer(settlement_app, name="settlement")
credit_app = typer.Typer(
    help="B2B receivables under export credit insurance.", no_args_is_help=True
)
app.add_typer(credit_app, name="credit")
treasury_app = typer.Typer(
    help="Treasury: FX exposure with value at risk, period-end revaluation.",
    no_args_is_help=True,
)
app.add_typer(treasury_app, name="treasury")

out = Console()
err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    # the message is shown as written: "[embeddings]" is text, not Rich markup
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


def _ready_database(settings: Settings) -> Database:
    db = Database(settings.database_url)
    problem = schema_problem(db.engine)
    if problem:
        raise fail(problem)
    return db


@dataclass(frozen=True)
class Check:
    """What a `check` command found: how many it checked and the problems (dataclasses)."""

    checked_key: str
    checked: int
    problems_key: str
    problems: Sequence[Any]


def _report_check(
    as_json: bool, found: Check, *, title: str, columns: dict[str, str], agree: str, differ: str
) -> None:
    """The shape every `check` command shares: one JSON object, or a table of the problems
    (one column per attribute), or the sentence that all agree; exit 1 on any problem."""
    if as_json:
        body = {
            "ok": not found.problems,
            found.checked_key: found.checked,
            found.problems_key: [vars(p) for p in found.problems],
        }
        out.print_json(json.dumps(body))
    elif found.problems:
        table = Table(title=title)
        for heading in columns:
            table.add_column(heading)
        for problem in found.problems:
            table.add_row(*(str(getattr(problem, name)) for name in columns.values()))
        out.print(table)
    else:
        out.print(agree, highlight=False)
    if found.problems:
        raise fail(differ)


def _upgrade(settings: Settings) -> Database:
    from chuhai.reference import load_reference_data

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_schema(settings.database_url)
    db = Database(settings.database_url)
    load_reference_data(db)
    return db


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration and load the reference data (markets, categories, rules)."""
    settings = load_settings()
    try:
        _upgrade(settings)
    except Exception as exc:  # a CLI answers with one sentence, not a traceback
        raise fail(f"could not upgrade {settings.database_url}: {exc}") from None
    out.print(f"Database is up to date: {settings.database_url}")


def _serve(settings: Settings, db: Database, host: str, port: int) -> None:
    import os
    import threading

    import uvicorn

    from chuhai.api.app import create_app

    application = create_app(settings, db=db)
    if os.environ.get("CHUHAI_WORKER", "on") != "off":
        # embedded mode: this process also runs the queued jobs; set CHUHAI_WORKER=off when
        # separate `chuhai worker` processes do
        threading.Thread(target=_work, args=(settings, db, 5.0), daemon=True).start()
    uvicorn.run(application, host=host, port=port, log_level="info")


def _work(settings: Settings, db: Database, interval: float, once: bool = False) -> None:
    import time

    import chuhai.orders.service  # noqa: F401  (orders follow their shipments' events)
    import chuhai.pricing.service  # noqa: F401  (registers the pricing jobs)
    import chuhai.reference  # noqa: F401  (every capability's event subscribers: ledger postings)
    from chuhai.core.jobs import run_pending
    from chuhai.fulfillment.webhooks import schedule_sandbox_push  # registers the push job
    from chuhai.inventory.stockup import schedule_expiry  # registers the expiry job

    while True:
        with db.unit_of_work() as uow:  # the sandbox carrier pushes every few minutes
            if schedule_sandbox_push(uow.session, settings, SystemClock().now()):
                uow.commit()
        with db.unit_of_work() as uow:  # stock-up orders left unshipped too long expire
            if schedule_expiry(uow.session, SystemClock().now()):
                uow.commit()
        for job in run_pending(db, settings):
            line = job.result if job.status == "done" else job.error.strip().splitlines()[-1]
            out.print(f"job {job.kind} {job.status}: {line}", highlight=False)
        if once:
            return
        time.sleep(interval)


@app.command()
def worker(
    once: bool = typer.Option(False, "--once", help="Run what is queued, then exit."),
    interval: float = typer.Option(5.0, help="Seconds between looks at the queue."),
) -> None:
    """Run queued background jobs (repricing, …); any number of workers can share the queue."""
    settings = load_settings()
    db = _ready_database(settings)
    _work(settings, db, interval, once)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Serve the console and the API."""
    settings = load_settings()
    db = _ready_database(settings)
    out.print(
        f"Console: http://{host}:{port}/   Shops: http://{host}:{port}/shop   "
        f"API: http://{host}:{port}/api/docs"
    )
    _serve(settings, db, host, port)


@app.command()
def demo(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    seed_only: bool = typer.Option(False, "--seed-only", help="Seed the demo world and exit."),
) -> None:
    """Create (idempotently) the demo world on the configured database and serve it."""
    from chuhai.demo.world import DEMO_PASSWORD, seed_demo

    settings = load_settings()
    db = _upgrade(settings)
    with out.status("Seeding the demo world…"):
        summary = seed_demo(db, settings)
    out.print(summary.describe())
    table = Table(title=f"Demo logins (password for all: {DEMO_PASSWORD})")
    table.add_column("username")
    table.add_column("who")
    for username, who in summary.logins:
        table.add_row(username, who)
    out.print(table)
    out.print(f"Data directory: {settings.data_dir}")
    if seed_only:
        return
    out.print(
        f"[bold]Console: http://{host}:{port}/[/]   Shops: http://{host}:{port}/shop   "
        f"API docs: http://{host}:{port}/api/docs"
    )
    _serve(settings, db, host, port)


@users_app.command("create")
def users_create(
    username: str,
    role: list[str] = typer.Option(
        ...,
        "--role",
        help="merchandiser, compliance, logistics, "
        "customs, finance, admin, supplier or studio; repeatable.",
    ),
    supplier: str = typer.Option(None, help="Supplier code, for a supplier user."),
    studio: str = typer.Option(None, help="Studio code, for a studio user."),
    display_name: str = typer.Option("", help="Name shown in the console."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, envvar="CHUHAI_NEW_PASSWORD"
    ),
) -> None:
    """Create a user who can sign in to the console and create API tokens."""
    from chuhai.parties.service import create_user

    settings = load_settings()
    db = _ready_database(settings)
    with db.unit_of_work() as uow:
        ctx = Context(uow.session, SYSTEM, SystemClock(), settings)
        try:
            user = create_user(
                ctx,
                username=username,
                password=password,
                roles=role,
                display_name=display_name,
                supplier_code=supplier,
                studio_code=studio,
            )
        except ChuhaiError as exc:
            raise fail(exc.detail) from None
        uow.commit()
    out.print(f"Created user {user.username} ({user.roles}).")


@catalog_app.command("import")
def catalog_import(
    file: Path = typer.Argument(..., help="A .csv or .xlsx catalog file."),
    supplier: str = typer.Option(..., help="The supplier's code."),
) -> None:
    """Import a supplier's catalog; any bad row means nothing is written."""
    from chuhai.catalog.service import import_catalog
    from chuhai.parties.service import supplier_by_code

    if not file.is_file():
        raise fail(f"{file} is not a readable file")
    settings = load_settings()
    db = _ready_database(settings)
    with db.unit_of_work() as uow:
        ctx = Context(uow.session, SYSTEM, SystemClock(), settings)
        try:
            owner = supplier_by_code(ctx, supplier)
            outcome = import_catalog(ctx, file.name, file.read_bytes(), owner.id)
        except ChuhaiError as exc:
            raise fail(exc.detail) from None
        report = outcome.report
        if not report.ok:
            table = Table(title=report.summary())
            for column in ("row", "column", "problem"):
                table.add_column(column)
            for e in report.errors:
                table.add_row(str(e.row), e.field, e.message)
            err.print(table)
            raise fail(report.summary())
        uow.commit()
    out.print(f"{report.summary()} (supplier {supplier}).")


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option} {text!r} is not a date like 2026-11-28") from None


@fx_app.command("load-ecb")
def fx_load_ecb(
    since: str = typer.Option(None, help="First day to load, YYYY-MM-DD; default two years back."),
    all_currencies: bool = typer.Option(
        False, "--all-currencies", help="Every currency the ECB publishes, not only the markets'."
    ),
) -> None:
    """Store the ECB reference rates bundled with chuhai that are not stored yet."""
    from chuhai.finance.service import load_ecb

    first = _day(since, "--since")
    settings = load_settings()
    db = _ready_database(settings)
    with db.unit_of_work() as uow:
        ctx = Context(uow.session, SYSTEM, SystemClock(), settings)
        try:
            done = load_ecb(ctx, since=first, all_currencies=all_currencies)
        except ChuhaiError as exc:
            raise fail(exc.detail) from None
        uow.commit()
    out.print(
        f"Stored {done.added} ECB rates (EUR to {', '.join(done.currencies)}) since "
        f"{done.since.isoformat()}; the bundled ECB data ends {done.data_ends.isoformat()}."
    )
    if done.unpublished:
        out.print(
            f"The ECB publishes no rate for {', '.join(done.unpublished)}; "
            "import those with `chuhai fx import`."
        )


@fx_app.command("import")
def fx_import(
    file: Path = typer.Argument(..., help="A CSV file: date, base, quote, rate[, source]."),
    source: str = typer.Option("IMPORT", help="The source of rows that name none, e.g. BOC."),
) -> None:
    """Import exchange rates from CSV; any bad row means nothing is stored."""
    from chuhai.finance.service import import_rates_csv

    if not file.is_file():
        raise fail(f"{file} is not a readable file")
    settings = load_settings()
    db = _ready_database(settings)
    with db.unit_of_work() as uow:
        ctx = Context(uow.session, SYSTEM, SystemClock(), settings)
        try:
            report = import_rates_csv(ctx, file.name, file.read_bytes(), default_source=source)
        except ChuhaiError as exc:
            raise fail(exc.detail) from None
        if not report.ok:
            table = Table(title=report.summary())
            for column in ("row", "column", "problem"):
                table.add_column(column)
            for e in report.errors:
                table.add_row(str(e.row), e.field, e.message)
            err.print(table)
            raise fail(report.summary())
        uow.commit()
    out.print(f"{report.summary()}.")


@fx_app.command("rate")
def fx_rate(
    base: str = typer.Argument(..., help="The currency converted from, e.g. CNY."),
    quote: str = typer.Argument(..., help="The currency converted to, e.g. USD."),
    on: str = typer.Option(None, help="The day, YYYY-MM-DD; default today."),
    max_age_days: int = typer.Option(
        None, help="Refuse rates older than this many days (default CHUHAI_FX_MAX_AGE_DAYS)."
    ),
) -> None:
    """Print the rate used for BASE to QUOTE on a day, or why there is none."""
    from chuhai.finance.fx import rate_text
    from chuhai.finance.service import lookup_rate

    day = _day(on, "--on")
    settings = load_settings()
    db = _ready_database(settings)
    with db.unit_of_work() as uow:
        ctx = Context(uow.session, SYSTEM, SystemClock(), settings)
        try:
            rate = lookup_rate(ctx, base.upper(), quote.upper(), day, max_age_days)
        except ChuhaiError as exc:
            raise fail(exc.detail) from None
    out.print(
        f"1 {rate.base} = {rate_text(rate.rate)} {rate.quote} "
        f"on {rate.on.isoformat()} ({rate.source})",
        highlight=False,
    )
    if rate.derived_via:
        out.print(f"derived: {rate.derived_via}", highlight=False)


@prices_app.command("rebuild")
def prices_rebuild(
    on: str = typer.Option(None, help="Price for this day (YYYY-MM-DD); default today."),
) -> None:
    """Recompute the price book for every listed SKU, with the rules and FX rate of the day."""
    from datetime import date

    from chuhai.pricing.service import rebuild_price_book

    settings = load_settings()
    db = _ready_database(settings)
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        raise fail(f"--on {on!r} is not a date (YYYY-MM-DD)") from None
    with db.unit_of_work() as uow:
        ctx = Context(uow.session, SYSTEM, SystemClock(), settings)
        with out.status("Pricing every listed SKU in every market…"):
            try:
                report = rebuild_price_book(ctx, day)
            except ChuhaiError as exc:
                raise fail(exc.detail) from None
        uow.commit()
    out.print(report.summary())
    for problem in (report.problems or [])[:20]:
        out.print(f"  refused: {problem}", highlight=False)
    if report.problems and len(report.problems) > 20:
        out.print(f"  … and {len(report.problems) - 20} more")


# --- customs declare ----------------------------------------------------------------------------


def _declaration_id(ctx: Context, ref: str) -> str:
    """A declaration's id from its id or its number."""
    from chuhai.customs import declaration_service as customs

    if ref.startswith("dcl_"):
        return customs.visible_declaration(ctx, ref).id
    return customs.declaration_by_number(ctx, ref).id


def _print_declaration(ctx: Context, declaration_id: str) -> None:
    from chuhai.core.money import format_minor
    from chuhai.customs import declaration_service as customs

    view = customs.declaration_view(ctx, declaration_id)
    row = view.row
    out.print(
        f"[bold]{row.number}[/] {row.mode} {row.kind} [bold]{row.state}[/]"
        f"{'  customs ' + row.authority_reference if row.authority_reference else ''}",
        highlight=False,
    )
    out.print(
        f"exporter {row.exporter_name_en or row.exporter_name} · to {row.destination_country} "
        f"by {row.transport_mode} · {format_minor(row.total_value_minor, row.currency)}"
        f" · rebate estimate {format_minor(view.rebate.total_cny_minor, 'CNY')}",
        highlight=False,
    )
    table = Table()
    for column in ("#", "HS", "description", "qty", "unit price", "value"):
        table.add_column(column)
    for line in view.lines:
        table.add_row(
            str(line.line_no),
            line.hs_code,
            line.description,
            f"{line.quantity} {line.unit}",
            format_minor(line.unit_price_minor, line.currency),
            format_minor(line.value_minor, line.currency),
        )
    out.print(table)
    last = view.responses[-1] if view.responses else None
    if last is not None and last.reasons:
        for reason in last.reasons:
            out.print(f"  {last.outcome}: {reason['field']}: {reason['message']}", highlight=False)


def _customs_unit(work: Callable[[Context], str | None], *, commit: bool = True) -> None:
    """Run `work` in one unit of work as the system; print what it returns; a refusal is one
    sentence (with the fields it names) and exit 1, nothing written."""
    from chuhai.core.errors import ValidationFailed

    settings = load_settings()
    db = _ready_database(settings)
    with db.unit_of_work() as uow:
        ctx = Context(uow.session, SYSTEM, SystemClock(), settings)
        try:
            shown = work(ctx)
        except ValidationFailed as exc:
            for problem in exc.errors[1:]:
                err.print(f"  {problem.field}: {problem.message}", highlight=False)
            raise fail(
                f"{exc.errors[0].field}: {exc.errors[0].message}" if exc.errors else exc.detail
            ) from None
        except ChuhaiError as exc:
            raise fail(exc.detail) from None
        if commit:
            uow.commit()
        if shown:
            _print_declaration(ctx, shown)


@declare_app.command("create")
def declare_create(
    file: Path = typer.Argument(
        ..., help="The declaration as JSON, as POST /customs/declarations takes it."
    ),
) -> None:
    """Make a draft declaration from a JSON file; any broken rule means nothing is written."""
    from pydantic import ValidationError

    from chuhai.api.customs_declarations import DeclarationIn, draft_of
    from chuhai.customs import declaration_service as customs

    if not file.is_file():
        raise fail(f"{file} is not a readable file")
    try:
        body = DeclarationIn.model_validate(json.loads(file.read_text(encoding="utf-8")))
    except json.JSONDecodeError as exc:
        raise fail(f"{file} is not JSON: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise fail(f"{where}: {first['msg']}") from None
    _customs_unit(lambda ctx: customs.create_declaration(ctx, draft_of(body)).id)


@declare_app.command("list")
def declare_list(
    mode: str = typer.Option(None, help="9610, 9710, 9810 or 1210."),
    state: str = typer.Option(None, help="draft, submitted, cleared, held, rejected, cancelled."),
    period: str = typer.Option(None, help="9610: a month, YYYY-MM."),
    limit: int = typer.Option(50, help="At most this many, newest first."),
) -> None:
    """List declarations, newest first."""
    from chuhai.core.money import format_minor
    from chuhai.customs import declaration_service as customs

    def show(ctx: Context) -> None:
        page = customs.list_declarations(ctx, mode=mode, state=state, period=period, limit=limit)
        table = Table(title=f"{page.total} declaration(s)")
        table.add_column("number", no_wrap=True, min_width=20)  # 9610-20261128-7K3QZX
        for column in ("mode", "state", "exporter", "to", "value", "customs no."):
            table.add_column(column)
        for row in page.items:
            table.add_row(
                row.number,
                f"{row.mode} {row.kind}",
                row.state,
                row.exporter_name_en or row.exporter_name,
                row.destination_country,
                format_minor(row.total_value_minor, row.currency),
                row.authority_reference or "",
            )
        out.print(table)

    _customs_unit(lambda ctx: show(ctx), commit=False)


@declare_app.command("show")
def declare_show(declaration: str = typer.Argument(..., help="Its number or id.")) -> None:
    """A declaration's particulars, lines, rebate estimate and the authority's last answer."""
    _customs_unit(lambda ctx: _declaration_id(ctx, declaration), commit=False)


@declare_app.command("submit")
def declare_submit(
    declaration: str = typer.Argument(..., help="Its number or id."),
    note: str = typer.Option("", help="A note kept with the submission."),
) -> None:
    """File a draft with the customs authority and print its answer."""
    from chuhai.customs import declaration_service as customs

    _customs_unit(lambda ctx: customs.submit(ctx, _declaration_id(ctx, declaration), note).id)


@declare_app.command("resubmit")
def declare_resubmit(
    declaration: str = typer.Argument(..., help="Its number or id."),
    response: str = typer.Option(..., help="The answer to the hold (the inspection's outcome)."),
) -> None:
    """File a held declaration again with the answer to the hold."""
    from chuhai.customs import declaration_service as customs

    _customs_unit(lambda ctx: customs.resubmit(ctx, _declaration_id(ctx, declaration), response).id)


@declare_app.command("revise")
def declare_revise(
    declaration: str = typer.Argument(..., help="Its number or id."),
    note: str = typer.Option("", help="What will be corrected."),
) -> None:
    """Take a rejected declaration back to draft."""
    from chuhai.customs import declaration_service as customs

    _customs_unit(lambda ctx: customs.revise(ctx, _declaration_id(ctx, declaration), note).id)


@declare_app.command("cancel")
def declare_cancel(
    declaration: str = typer.Argument(..., help="Its number or id."),
    reason: str = typer.Option(..., help="Why it is withdrawn."),
) -> None:
    """Withdraw a declaration that is not cleared (a consolidation frees its parcels)."""
    from chuhai.customs import declaration_service as customs

    _customs_unit(lambda ctx: customs.cancel(ctx, _declaration_id(ctx, declaration), reason).id)


@declare_app.command("consolidate")
def declare_consolidate(
    period: str = typer.Option(..., help="The month the parcels were cleared in, YYYY-MM."),
    parcel: list[str] = typer.Option(
        None, "--parcel", help="A parcel's number or id; repeatable. None: every eligible one."
    ),
) -> None:
    """The 9610 consolidated declaration of a month's cleared parcels."""
    from chuhai.customs import declaration_service as customs

    def make(ctx: Context) -> str:
        if parcel:
            ids = [_declaration_id(ctx, p) for p in parcel]
        else:
            ids = [p.id for p in customs.eligible_parcels(ctx, period)]
        return customs.consolidate(ctx, period=period, parcel_ids=ids).id

    _customs_unit(make)


@declare_app.command("documents")
def declare_documents(
    declaration: str = typer.Argument(..., help="Its number or id."),
    out_dir: Path = typer.Option(Path("."), "--out", help="The folder to write them to."),
) -> None:
    """Write the commercial invoice and the packing list, as PDF and JSON."""
    from chuhai.customs import declaration_service as customs
    from chuhai.customs.documents import DOCUMENT_KINDS

    written: list[Path] = []

    def write(ctx: Context) -> None:
        declaration_id = _declaration_id(ctx, declaration)
        out_dir.mkdir(parents=True, exist_ok=True)
        for kind in DOCUMENT_KINDS:
            body = customs.document_json(ctx, declaration_id, kind)
            name, pdf = customs.document_pdf(ctx, declaration_id, kind)
            stem = name.removesuffix(".pdf")
            (out_dir / name).write_bytes(pdf)
            (out_dir / f"{stem}.json").write_text(
                json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8"
            )
            written.extend([out_dir / name, out_dir / f"{stem}.json"])

    _customs_unit(write, commit=False)
    for path in written:
        out.print(f"wrote {path}", highlight=False)


# --- customs suggest-hs -------------------------------------------------------------------------


def _hs_rows(file: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The rows of a CSV with a `description` column (and optionally `material`)."""
    import csv

    from chuhai.customs.hs_service import MAX_DESCRIPTION_CHARS

    try:
        text = file.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{file} is not a readable UTF-8 CSV file ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    columns = list(reader.fieldnames or [])
    if "description" not in columns:
        raise fail(f"{file} has no description column (it has: {', '.join(columns) or 'none'})")
    rows = [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]
    if not rows:
        raise fail(f"{file} has no rows under its header")
    for number, row in enumerate(rows, start=2):
        if not row["description"].strip():
            raise fail(f"row {number}: description is empty")
        if len(row["description"]) > MAX_DESCRIPTION_CHARS:
            raise fail(f"row {number}: description is over {MAX_DESCRIPTION_CHARS:,} characters")
    return columns, rows


@customs_app.command("suggest-hs")
def customs_suggest_hs(
    description: str = typer.Argument(None, help="One product description (or use --file)."),
    file: Path = typer.Option(
        None, "--file", help="A CSV with a description column; other columns are passed through."
    ),
    material: str = typer.Option("", help="The product's material, for one description."),
    top: int = typer.Option(5, min=1, max=10, help="How many codes per product."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per row, one per line."),
    embeddings: bool = typer.Option(
        False, "--embeddings", help="Add the optional all-MiniLM-L6-v2 model (chuhai[embeddings])."
    ),
) -> None:
    """Suggest HS 2022 subheadings (six digits) for product descriptions, best first."""
    from chuhai.customs import hs_service
    from chuhai.customs.hs_classify import ProductText

    if (description is None) == (file is None):
        raise fail("give one description, or --file F.csv, not both")
    if file is not None:
        if not file.is_file():
            raise fail(f"{file} is not a readable file")
        columns, rows = _hs_rows(file)
    else:
        if not description.strip():
            raise fail("the description is empty")
        columns, rows = ["description"], [{"description": description, "material": material}]
    products = [ProductText(row["description"], material=row.get("material", "")) for row in rows]
    settings = load_settings()
    db = _ready_database(settings)
    found: list[list[hs_service.SuggestedCode]] = []
    with db.unit_of_work() as uow:
        ctx = Context(uow.session, SYSTEM, SystemClock(), settings)
        try:
            for start in range(0, len(products), hs_service.MAX_BATCH):
                chunk = products[start : start + hs_service.MAX_BATCH]
                found += hs_service.suggest(ctx, chunk, top, embeddings=embeddings)
        except ChuhaiError as exc:
            raise fail(exc.detail) from None
    if as_json:
        for row, suggestions in zip(rows, found, strict=True):
            passed: dict[str, object] = {k: row.get(k, "") for k in columns}
            passed["suggestions"] = [
                {"code": s.code, "dotted": s.dotted, "score": s.score, "description": s.description}
                for s in suggestions
            ]
            typer.echo(json.dumps(passed, ensure_ascii=False))
        return
    table = Table(title=f"HS 2022 suggestions (top {top})", show_lines=True)
    table.add_column("#", justify="right")
    for column in columns:
        table.add_column(column, overflow="fold")
    table.add_column("code")
    table.add_column("score", justify="right")
    table.add_column("subheading", overflow="ellipsis", max_width=60)
    for number, (row, suggestions) in enumerate(zip(rows, found, strict=True), start=1):
        table.add_row(
            str(number),
            *[row.get(k, "") for k in columns],
            "\n".join(s.dotted for s in suggestions),
            "\n".join(f"{s.score:.3f}" for s in suggestions),
            "\n".join(s.description[:60] for s in suggestions),
        )
    out.print(table)


@carrier_app.command("push")
def carrier_push(
    until: str = typer.Option(
        None,
        "--until",
        help="Deliver the events due by this ISO 8601 moment (default: now; UTC when it has "
        "no offset), e.g. 2026-03-20T12:00:00Z to let a fortnight of parcels arrive.",
    ),
) -> None:
    """Let the sandbox carrier deliver its due tracking events, signed, through the webhook
    path (over HTTP when CHUHAI_CARRIER_WEBHOOK_URL is set)."""
    from datetime import UTC, datetime

    import chuhai.orders.service  # noqa: F401  (orders follow their shipments' events)
    from chuhai.fulfillment.webhooks import push_sandbox_events

    moment = None
    if until:
        try:
            moment = datetime.fromisoformat(until.replace("Z", "+00:00"))
        except ValueError:
            raise fail(f"--until: {until!r} is not an ISO 8601 moment") from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    settings = load_settings()
    db = _ready_database(settings)
    with db.unit_of_work() as uow:
        ctx = Context(uow.session, SYSTEM, SystemClock(), settings)
        try:
            report = push_sandbox_events(ctx, moment)
        except (ChuhaiError, OSError) as exc:
            raise fail(getattr(exc, "detail", None) or str(exc)) from None
        uow.commit()
    out.print(report.describe(), highlight=False, soft_wrap=True)


# --- stock ----------------------------------------------------------------------------------------


@stock_app.command("check")
def stock_check(
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Prove every maintained stock balance equals the sum of its ledger rows; list each
    mismatch and exit 1 when any."""
    from chuhai.inventory import service as stock

    with _ready_database(load_settings()).unit_of_work() as uow:
        mismatches = stock.check(uow.session)
        checked = stock.balance_count(uow.session)
    _report_check(
        as_json,
        Check("balances_checked", checked, "mismatches", mismatches),
        title="Balances that differ from the ledger",
        columns={
            "SKU": "sku_id",
            "warehouse": "warehouse_id",
            "bucket": "bucket",
            "ledger": "ledger",
            "balance": "balance",
        },  # fmt: skip
        agree=f"Stock ledger and balances agree ({checked} balance(s) checked).",
        differ=f"{len(mismatches)} balance bucket(s) differ from the ledger",
    )


@stock_app.command("expire-orders")
def stock_expire_orders() -> None:
    """Expire the stock-up orders still unshipped CHUHAI_STOCKUP_EXPIRY_DAYS (default 14)
    days after they were due."""
    from chuhai.inventory import stockup

    settings = load_settings()
    db = _ready_database(settings)
    with db.unit_of_work() as uow:
        expired = stockup.expire_overdue(Context(uow.session, SYSTEM, SystemClock(), settings))
        uow.commit()
    out.print(
        f"{len(expired)} stock-up order(s) expired"
        + (f": {', '.join(row.id for row in expired)}" if expired else "."),
        highlight=False,
    )


@credit_app.command("check")
def credit_check(
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Prove every B2B invoice's outstanding and insured claim equal its ledger lines; list
    each mismatch and exit 1 when any."""
    from chuhai.finance import credit

    with _ready_database(load_settings()).unit_of_work() as uow:
        mismatches = credit.check(uow.session)
        count = credit.invoice_count(uow.session)
    _report_check(
        as_json,
        Check("invoices_checked", count, "mismatches", mismatches),
        title="B2B invoices that differ from the ledger",
        columns={"invoice": "invoice_id", "detail": "detail"},
        agree=f"{count} B2B invoice(s) agree with the ledger.",
        differ=f"{len(mismatches)} B2B invoice(s) differ from the ledger",
    )


@credit_app.command("mark-overdue")
def credit_mark_overdue() -> None:
    """Mark every issued or partly paid B2B invoice past its due day overdue."""
    from chuhai.finance import credit

    settings = load_settings()
    db = _ready_database(settings)
    with db.unit_of_work() as uow:
        overdue = credit.mark_overdue(Context(uow.session, SYSTEM, SystemClock(), settings))
        uow.commit()
    out.print(
        f"{len(overdue)} B2B invoice(s) now overdue"
        + (f": {', '.join(row.id for row in overdue)}" if overdue else "."),
        highlight=False,
    )


def main() -> None:  # pragma: no cover - console-script shim
    app()


@ledger_app.command("check")
def ledger_check(
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Prove every journal entry balanced in each currency, every currency balanced over the
    ledger and every line in its account's currency; list each problem and exit 1 when any."""
    from chuhai.finance import ledger

    with _ready_database(load_settings()).unit_of_work() as uow:
        problems = ledger.check(uow.session)
        entries = ledger.entry_count(uow.session)
    _report_check(
        as_json,
        Check("entries_checked", entries, "problems", problems),
        title="Ledger problems",
        columns={"kind": "kind", "subject": "subject", "detail": "detail"},
        agree=f"The ledger balances ({entries} entries checked).",
        differ=f"{len(problems)} ledger problem(s) found",
    )


@ledger_app.command("trial-balance")
def ledger_trial_balance(
    on: str = typer.Option("", help="The day (YYYY-MM-DD); default today."),
    currency: str = typer.Option("", help="One currency only (ISO 4217)."),
) -> None:
    """Every account's balance per currency and in CNY at the day's rates."""
    from chuhai.core.money import decimal_string
    from chuhai.finance import reports

    settings = load_settings()
    db = _ready_database(settings)
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        raise fail(f"--on: {on!r} is not a date as YYYY-MM-DD") from None
    with db.unit_of_work() as uow:
        try:
            report = reports.trial_balance(
                Context(uow.session, SYSTEM, SystemClock(), settings), day, currency or None
            )
        except ChuhaiError as error:
            raise fail(error.detail) from None
    table = Table(title=f"Trial balance on {report.on.isoformat()}")
    for column in ("account", "name", "currency", "balance", "CNY"):
        table.add_column(column)
    for row in report.rows:
        cny = "" if row.in_cny is None else decimal_string(row.in_cny, "CNY")
        balance = decimal_string(row.balance, row.account.currency)
        table.add_row(row.account.code, row.account.name, row.account.currency, balance, cny)
    out.print(table)
    for code, total in report.totals.items():
        out.print(f"{code}: lines sum to {decimal_string(total, code)}")


@settlement_app.command("check")
def settlement_check(
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Prove every supplier statement equals its ledger lines on supplier payables to the
    fen; list each mismatch and exit 1 when any."""
    from sqlalchemy import func, select

    from chuhai.finance import settlement

    with _ready_database(load_settings()).unit_of_work() as uow:
        mismatches = settlement.check(uow.session)
        count = uow.session.scalar(select(func.count()).select_from(settlement.STATEMENTS))
    _report_check(
        as_json,
        Check("statements_checked", count or 0, "mismatches", mismatches),
        title="Statements that differ from the ledger",
        columns={
            "cycle": "cycle",
            "statement": "statement_id",
            "supplier": "supplier_id",
            "detail": "detail",
        },  # fmt: skip
        agree=f"Every statement reconciles to the ledger ({count} checked).",
        differ=f"{len(mismatches)} statement(s) differ from the ledger",
    )


@treasury_app.command("exposure")
def treasury_exposure(
    on: str = typer.Option("", help="The day (YYYY-MM-DD); default today."),
    lookback: int = typer.Option(500, help="Business days of ECB history for the VaR."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
) -> None:
    """FX exposure by currency (receivables, cash, payables, committed purchases, hedges),
    net in CNY, and value at risk by historical simulation."""
    from chuhai.core.money import decimal_string
    from chuhai.finance import exposure
    from chuhai.inventory.commitments import committed_purchases

    settings = load_settings()
    db = _ready_database(settings)
    day = _day(on or None, "--on")
    with db.unit_of_work() as uow:
        ctx = Context(uow.session, SYSTEM, SystemClock(), settings)
        try:
            report = exposure.report(
                ctx, day, committed=committed_purchases(uow.session), lookback=lookback
            )
        except ChuhaiError as error:
            raise fail(error.detail) from None
    rows = [
        {
            "currency": r.currency,
            **{
                name: decimal_string(getattr(r, name), r.currency)
                for name in (
                    "receivables",
                    "cash",
                    "payables",
                    "committed",
                    "before_hedges",
                    "hedges",
                    "net",
                )
            },
            "rate": str(r.rate.rate),
            "net_cny_before_hedges": decimal_string(r.net_cny_before, "CNY"),
            "net_cny": decimal_string(r.net_cny, "CNY"),
        }
        for r in report.rows
    ]
    var = {
        label: {
            "scenarios": v.scenarios,
            "window": [d.isoformat() if d else None for d in (v.first_day, v.last_day)],
            "one_day": {k: decimal_string(x, "CNY") for k, x in v.one_day.items()},
            "ten_day_sqrt_time": {k: decimal_string(x, "CNY") for k, x in v.ten_day.items()},
        }
        for label, v in (("before_hedges", report.var_before), ("after_hedges", report.var_after))
    }
    if as_json:
        body = {
            "on": report.on.isoformat(),
            "currencies": rows,
            "net_cny": decimal_string(report.net_cny, "CNY"),
            "value_at_risk": var,
            "no_rate_history": report.no_history,
        }
        out.print_json(json.dumps(body))
        return
    table = Table(title=f"FX exposure on {report.on.isoformat()}")
    for column in ("currency", "before hedges", "hedges", "net", "net CNY"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["currency"]),
            str(row["before_hedges"]),
            str(row["hedges"]),
            str(row["net"]),
            str(row["net_cny"]),
        )
    out.print(table)
    for label, v in (("before hedges", report.var_before), ("after hedges", report.var_after)):
        if v.scenarios and v.first_day and v.last_day:
            one, ten = v.one_day, v.ten_day
            out.print(
                f"VaR {label}: 1-day 95% {decimal_string(one['95'], 'CNY')} CNY, "
                f"99% {decimal_string(one['99'], 'CNY')} CNY; 10-day (1-day × √10) "
                f"95% {decimal_string(ten['95'], 'CNY')} CNY, "
                f"99% {decimal_string(ten['99'], 'CNY')} CNY; historical simulation of "
                f"{v.scenarios} daily ECB moves, {v.first_day} to {v.last_day}",
                highlight=False,
            )
    if report.no_history:
        out.print(f"No ECB rate history for {', '.join(report.no_history)}.", highlight=False)


@treasury_app.command("revalue")
def treasury_revalue(period: str = typer.Argument(..., help="The month, YYYY-MM.")) -> None:
    """Post the month's FX revaluation on its last day, reversed on the next month's first."""
    from chuhai.core.money import decimal_string
    from chuhai.finance import revaluation

    settings = load_settings()
    db = _ready_database(settings)
    with db.unit_of_work() as uow:
        try:
            row = revaluation.revalue(Context(uow.session, SYSTEM, SystemClock(), settings), period)
        except ChuhaiError as error:
            raise fail(error.detail) from None
        uow.commit()
    out.print(
        f"{row.period} revalued: unrealised FX {decimal_string(row.unrealised, 'CNY')} CNY, "
        f"forwards {decimal_string(row.hedge_result, 'CNY')} CNY"
        + (
            f"; entry {row.entry_id}, reversed by {row.reversal_id}"
            if row.entry_id
            else "; nothing to post"
        ),
        highlight=False,
    )


# --- network --------------------------------------------------------------------------------------

network_app = typer.Typer(
    help="Warehouse-network design: where to open overseas warehouses (MILP, HiGHS).",
    no_args_is_help=True,
)
app.add_typer(network_app, name="network")


@network_app.command("orlib")
def network_orlib(
    file: Path = typer.Argument(..., help="An OR-Library capacitated instance (capNN.txt)."),
    capacity: float | None = typer.Option(
        None, "--capacity", help="Replaces the word 'capacity' that some files use."
    ),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds the solver may run."),
    single_sourcing: bool = typer.Option(
        False, "--single-sourcing", help="Each customer from one warehouse (not Beasley's)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Solve one OR-Library capacitated warehouse-location instance; print objective, bound,
    gap and seconds."""
    import math

    from chuhai.network.orlib import read_orlib
    from chuhai.network.solve import SolveOptions, solve_facility_problem

    try:
        problem = read_orlib(file, capacity=capacity, single_sourcing=single_sourcing)
    except ChuhaiError as error:
        raise fail(error.detail) from None
    solution = solve_facility_problem(problem, SolveOptions(time_limit_s=time_limit))
    body = {
        "instance": file.stem,
        "status": solution.status,
        "proven_optimal": solution.proven_optimal,
        "objective": solution.objective,
        "bound": solution.bound if math.isfinite(solution.bound) else None,
        "gap": solution.gap,
        "seconds": round(solution.seconds, 3),
        "open_sites": [int(i) + 1 for i in solution.open_sites.nonzero()[0]],
    }
    if as_json:
        typer.echo(json.dumps(body))
    else:
        for key, value in body.items():
            out.print(f"{key}: {value}", highlight=False)
    if solution.objective is None:
        raise typer.Exit(code=1)


@network_app.command("solve")
def network_solve(
    scenario_file: Path = typer.Argument(..., help="A scenario YAML file."),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds the solver may run."),
    mip_gap: float = typer.Option(1e-4, "--mip-gap", help="Stop when the relative gap is this."),
    as_json: bool = typer.Option(False, "--json", help="Print only the plan as JSON."),
) -> None:
    """Design the warehouse network of a scenario: the plan as JSON and a table."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from chuhai.network.design import plan_network
    from chuhai.network.scenario import read_scenario
    from chuhai.network.solve import SolveOptions

    options = SolveOptions(time_limit_s=time_limit, mip_gap=mip_gap)
    progress = Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err
    )
    try:
        with progress:
            task = progress.add_task("reading the scenario", total=None)
            scenario = read_scenario(scenario_file)
            plan = plan_network(
                scenario, options, lambda message: progress.update(task, description=message)
            )
    except ChuhaiError as error:
        raise fail(error.detail) from None
    typer.echo(json.dumps(plan.as_dict(), ensure_ascii=False))
    if not as_json:
        table = Table(title=plan.headline())
        table.add_column("")
        table.add_column("", justify="right")
        for label, value in plan.summary_rows():
            table.add_row(label, value)
        out.print(table)
    if plan.objective_fen is None:
        raise typer.Exit(code=1)


def _fen_cny(fen: int | None) -> str:
    from chuhai.core.money import decimal_string

    return "-" if fen is None else decimal_string(fen, "CNY")


@network_app.command("curve")
def network_curve(
    scenario_file: Path = typer.Argument(..., help="A scenario YAML file."),
    k_max: int | None = typer.Option(None, "--k-max", help="Largest k (default: every site)."),
    time_limit: float = typer.Option(10.0, "--time-limit", help="Seconds per solve."),
    as_json: bool = typer.Option(False, "--json", help="Print the curve as JSON."),
) -> None:
    """The best k-site network for k = 1..n: cost and service per k."""
    from chuhai.network.scenario import read_scenario
    from chuhai.network.scenarios import best_k_networks

    try:
        curve = best_k_networks(read_scenario(scenario_file), k_max, time_limit)
    except ChuhaiError as error:
        raise fail(error.detail) from None
    if as_json:
        typer.echo(json.dumps([point.as_dict() for point in curve], ensure_ascii=False))
        return
    table = Table(title=f"best k-site networks: {scenario_file.name}")
    for column in ("k", "total CNY/year", "open sites", "service", "status"):
        table.add_column(column)
    for point in curve:
        row = point.as_dict()
        service = ", ".join(f"{m} {share:.0%}" for m, share in row["service"].items())
        table.add_row(
            str(point.k),
            _fen_cny(row["total_fen"]),
            ", ".join(row["open_sites"]) or "-",
            service or "-",
            row["status"] if point.feasible else "infeasible",
        )
    out.print(table)


@network_app.command("compare")
def network_compare(
    scenario_file: Path = typer.Argument(..., help="A scenario YAML file."),
    what_if: list[str] = typer.Option(
        [], "--what-if", help="market:US:demand:+30%, site:DE-FRA:fixed_cost:x2, mode:air:cost:+50%"
    ),
    time_limit: float = typer.Option(10.0, "--time-limit", help="Seconds per solve."),
    as_json: bool = typer.Option(False, "--json", help="Print the variants as JSON."),
) -> None:
    """The current network vs the optimum vs each what-if, side by side."""
    from chuhai.network.scenario import read_scenario
    from chuhai.network.scenarios import compare, variants_as_dict

    try:
        variants = compare(read_scenario(scenario_file), what_if, time_limit)
    except ChuhaiError as error:
        raise fail(error.detail) from None
    if as_json:
        typer.echo(json.dumps(variants_as_dict(variants), ensure_ascii=False))
        return
    table = Table(title=f"network variants: {scenario_file.name}")
    table.add_column("")
    for variant in variants:
        table.add_column(variant.name, justify="right")
    plans = [variant.plan for variant in variants]
    table.add_row("total CNY/year", *(_fen_cny(p.costs.total if p.costs else None) for p in plans))
    table.add_row("open sites", *(", ".join(s.id for s in p.sites if s.open) for p in plans))
    table.add_row("status", *(p.status for p in plans))
    out.print(table)


demand_app = typer.Typer(help="Demand: forecasts and their backtests.", no_args_is_help=True)
app.add_typer(demand_app, name="demand")


@demand_app.command("backtest")
def demand_backtest(
    file: Path = typer.Argument(
        ...,
        help="Transactions CSV (may be .xz): InvoiceNo, StockCode, Quantity, InvoiceDate, Country.",
    ),
    cutoff: str = typer.Option(..., "--cutoff", help="First forecast day, YYYY-MM-DD."),
    horizon: int = typer.Option(..., "--horizon", help="Days forecast after the cutoff."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Forecast daily units per StockCode x Country after the cutoff; score the forecasters."""
    from chuhai.demand.backtest import BacktestError, run_backtest

    try:
        results = run_backtest(file, cutoff, horizon)
    except BacktestError as error:
        raise fail(str(error)) from None
    if as_json:
        typer.echo(json.dumps(results))
        return
    table = Table(title=f"demand backtest: {file.name}, cutoff {cutoff}, {horizon} days")
    metrics = ("rmsse", "horizon_wape", "wape", "mase", "bias", "series", "seconds")
    table.add_column("forecaster")
    for metric in metrics:
        table.add_column(metric, justify="right")
    for name in ("chuhai", "seasonal_naive", "auto_ets", "adida"):
        row = results[name]
        table.add_row(
            name, *(f"{row[m]:.4f}" if isinstance(row[m], float) else str(row[m]) for m in metrics)
        )
    out.print(table)


@demand_app.command("forecast")
def demand_forecast(
    horizon: int = typer.Option(90, "--horizon", help="Days to forecast, 1 to 366."),
    as_json: bool = typer.Option(False, "--json", help="Print the run as one JSON object."),
) -> None:
    """Forecast daily units of every SKU x market with order history and store the run
    (the console's Forecasts page and replenishment read it)."""
    from chuhai.demand import forecasting

    settings = load_settings()
    db = _ready_database(settings)
    with db.unit_of_work() as uow:
        ctx = Context(uow.session, SYSTEM, SystemClock(), settings)
        try:
            run, _ = forecasting.run(ctx, horizon)
        except ChuhaiError as error:
            raise fail(error.detail) from None
        summary = {
            "id": run.id,
            "method": run.method,
            "first_day": run.first_day.isoformat(),
            "horizon": run.horizon,
            "series": run.series,
        }
        top = forecasting.series_page(ctx, run.id, limit=10).items
        uow.commit()
    if as_json:
        typer.echo(json.dumps(summary))
        return
    out.print(
        f"Forecast run {run.id}: {run.series} series, {horizon} days from {summary['first_day']}"
        f" ({run.method}).",
        highlight=False,
    )
    table = Table(title="the largest series")
    for column in ("sku", "market", "next 28 days", "all days"):
        table.add_column(column, justify="right" if column[0] in "na" else "left")
    for row in top:
        table.add_row(row.sku_id, row.market_code, f"{sum(row.mean[:28]):.1f}", f"{row.total:.1f}")
    out.print(table)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
