"""The `chuhai` command: demo, serve, db upgrade, users, catalog import.

Errors are one plain sentence on stderr and a non-zero exit; nothing is half-written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from chuhai.core.auth import SYSTEM
from chuhai.core.clock import SystemClock
from chuhai.core.context import Context
from chuhai.core.db import Database, schema_problem, upgrade_schema
from chuhai.core.errors import ChuhaiError
from chuhai.core.settings import Settings, load_settings

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

out = Console()
err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=1)


def _ready_database(settings: Settings) -> Database:
    db = Database(settings.database_url)
    problem = schema_problem(db.engine)
    if problem:
        raise fail(problem)
    return db


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
    import uvicorn

    from chuhai.api.app import create_app

    application = create_app(settings, db=db)
    uvicorn.run(application, host=host, port=port, log_level="info")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Serve the console and the API."""
    settings = load_settings()
    db = _ready_database(settings)
    out.print(f"Console: http://{host}:{port}/   API: http://{host}:{port}/api/docs")
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
    out.print(f"[bold]Console: http://{host}:{port}/[/]   API docs: http://{host}:{port}/api/docs")
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


def main() -> None:  # pragma: no cover - console-script shim
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
