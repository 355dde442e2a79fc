"""Shared fixtures: a migrated database (SQLite by default, PostgreSQL when
CHUHAI_TEST_DATABASE_URL names one), a clean slate per test, a world of users and
suppliers, and a live HTTP server for API and browser tests.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text

from chuhai.core.auth import SYSTEM, Actor
from chuhai.core.clock import SystemClock
from chuhai.core.context import Context
from chuhai.core.db import Database, upgrade_schema
from chuhai.core.settings import Settings
from chuhai.parties import service as parties
from chuhai.parties.model import SupplierProfile
from chuhai.reference import load_reference_data
from chuhai.schema import metadata

# real argon2, at a cost that keeps the suite fast
parties.configure_password_hashing(time_cost=1, memory_cost_kib=1024)

PASSWORD = "correct-horse-battery"
POSTGRES_URL = os.environ.get("CHUHAI_TEST_POSTGRES_URL")
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def pytest_report_header(config: pytest.Config) -> list[str]:
    url = os.environ.get("CHUHAI_TEST_DATABASE_URL")
    return [
        f"chuhai database: {'PostgreSQL ' + _hide(url) if url else 'SQLite (temporary file)'}",
        "PostgreSQL-only tests: "
        + ("on" if POSTGRES_URL else "skipped (set CHUHAI_TEST_POSTGRES_URL)"),
    ]


def _hide(url: str) -> str:
    return url.split("@")[-1]


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """Create a new, empty database on the server; drop it afterwards."""
    name = f"chuhai_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        server_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = server_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = os.environ.get("CHUHAI_TEST_DATABASE_URL")
    if server:
        with fresh_postgres_database(server) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'chuhai.db'}"


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        database_url=database_url,
        max_image_bytes=512 * 1024,
    )


@pytest.fixture(scope="session")
def database(settings: Settings) -> Iterator[Database]:
    upgrade_schema(settings.database_url)
    db = Database(settings.database_url)
    yield db
    db.dispose()


def wipe(db: Database) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def db(database: Database) -> Database:
    """The database, emptied and loaded with reference data for this test."""
    wipe(database)
    load_reference_data(database)
    return database


@dataclass
class Unit:
    """Open a unit of work as an actor: `with unit(actor) as ctx: ...` commits at the end."""

    db: Database
    settings: Settings

    @contextmanager
    def __call__(self, actor: Actor = SYSTEM) -> Iterator[Context]:
        with self.db.unit_of_work() as uow:
            yield Context(uow.session, actor, SystemClock(), self.settings)
            uow.commit()


@pytest.fixture
def unit(db: Database, settings: Settings) -> Unit:
    return Unit(db, settings)


def credit_code(seed: int) -> str:
    from stdnum.cn import uscc

    first = f"91330782MA{seed:07d}"[:17]
    return first + uscc.calc_check_digit(first)


def supplier_profile(code: str, seed: int, **changes: str) -> SupplierProfile:
    values = dict(
        code=code,
        legal_name=f"义乌市测试{seed}日用品有限公司",
        credit_code=credit_code(seed),
        address="浙江省义乌市稠城街道工人北路1号",
        contact_name="王芳",
        contact_phone="+86 579 8512 0000",
        contact_email=f"sales{seed}@example.cn",
        export_qualification="对外贸易经营者备案登记 01234567",
        bank_name="中国工商银行义乌分行",
        bank_account_name=f"义乌市测试{seed}日用品有限公司",
        bank_account_number=f"120800{seed:010d}",
        legal_name_en=f"Yiwu Test {seed} Co., Ltd.",
        city="Yiwu",
        cluster="Yiwu small commodities",
    )
    values.update(changes)
    return SupplierProfile(**values)


@dataclass
class World:
    """Two verified suppliers (A and B) with a user each, and one operator per role."""

    actors: dict[str, Actor]
    supplier_a: str
    supplier_b: str

    def __getitem__(self, name: str) -> Actor:
        return self.actors[name]


OPERATORS = ("admin", "merchandiser", "compliance", "logistics", "customs", "finance")


@pytest.fixture
def world(unit: Unit) -> World:
    actors: dict[str, Actor] = {}
    with unit() as ctx:
        for role in OPERATORS:
            user = parties.create_user(
                ctx, username=role, password=PASSWORD, roles=[role], display_name=role.title()
            )
            actors[role] = parties.actor_for(user)
        supplier_ids = {}
        for name, seed in (("a", 1), ("b", 2)):
            code = f"SUP-{name.upper()}"
            ctx.actor = actors["merchandiser"]
            supplier = parties.onboard_supplier(ctx, supplier_profile(code, seed))
            ctx.actor = actors["compliance"]
            parties.verify_supplier(ctx, supplier.id, approve=True)
            ctx.actor = SYSTEM
            user = parties.create_user(
                ctx,
                username=f"supplier-{name}",
                password=PASSWORD,
                roles=["supplier"],
                supplier_code=code,
            )
            actors[f"supplier_{name}"] = parties.actor_for(user)
            supplier_ids[name] = supplier.id
    return World(actors, supplier_ids["a"], supplier_ids["b"])


# --- a live server for API and browser tests ------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(database: Database, settings: Settings) -> Iterator[str]:
    from chuhai.api.app import create_app

    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, db=database), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def tokens(world: World, unit: Unit) -> dict[str, str]:
    """A bearer token for every actor of the world."""
    found = {}
    with unit() as ctx:
        for name, actor in world.actors.items():
            ctx.actor = actor
            _, secret = parties.create_token(ctx, "tests")
            found[name] = secret
    return found


@pytest.fixture
def client(live_server: str, tokens: dict[str, str], db: Database) -> Iterator[ClientFactory]:
    factory = ClientFactory(live_server, tokens)
    yield factory
    factory.close()


class ClientFactory:
    """`client("supplier_a")` is an httpx client for that actor; `client()` has no token."""

    def __init__(self, base_url: str, tokens: dict[str, str]) -> None:
        self.base_url = base_url
        self.tokens = tokens
        self._open: list[httpx.Client] = []

    def __call__(self, who: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        c = httpx.Client(base_url=self.base_url + "/api/v1", headers=headers, timeout=30)
        self._open.append(c)
        return c

    def close(self) -> None:
        for c in self._open:
            c.close()


# --- the console in a real browser ---------------------------------------------------------------

CHROMIUM = next(
    (p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).exists()), None
)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright, headless; skipped where it is not installed."""
    if CHROMIUM is None:
        pytest.skip("browser tests need Chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def console(browser, live_server: str, world: World):  # type: ignore[no-untyped-def]
    """`console("supplier-a")` is a browser page signed in as that user (password PASSWORD)."""
    contexts = []

    def sign_in(username: str):  # type: ignore[no-untyped-def]
        context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield sign_in
    for context in contexts:
        context.close()
