"""The database: one declarative Base for every capability's tables, the engine, and the
unit of work.

The unit of work rolls back unless told to commit, so a failure anywhere leaves nothing
half-written. The schema exists only through the Alembic migrations in
`chuhai/migrations`; `schema_problem` tells a door whether the database is up to date.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event, inspect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from chuhai.core.clock import as_utc
from chuhai.core.errors import FieldError

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back timezone-aware UTC datetimes, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


def length_errors(table: type[Base], values: dict[str, Any], prefix: str = "") -> list[FieldError]:
    """Text longer than its column allows, named by field (PostgreSQL would refuse it)."""
    found = []
    for name, value in values.items():
        column = table.__table__.columns.get(name)  # type: ignore[attr-defined]
        limit = getattr(column.type, "length", None) if column is not None else None
        if isinstance(value, str) and limit is not None and len(value) > limit:
            found.append(FieldError(f"{prefix}{name}", f"at most {limit} characters"))
    return found


def _json(value: Any) -> str:
    # keep CJK text readable in the database (and searchable with LIKE)
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, json_serializer=_json
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, json_serializer=_json
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class UnitOfWork:
    """One transaction. Leaves nothing behind unless `commit()` is called."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()


class Database:
    """The engine plus the session factory; one per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        with UnitOfWork(self.sessions) as uow:
            yield uow

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_schema(url: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def schema_problem(engine: Engine) -> str | None:
    """None when the schema is at the newest migration; otherwise a sentence saying what to do."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            current = None
        else:
            current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return None
    if current is None:
        return "The database has no chuhai schema yet; run `chuhai db upgrade` to create it."
    return (
        f"The database schema is at revision {current} but this chuhai needs {head}; "
        "run `chuhai db upgrade` to bring it up to date."
    )
