"""The schema exists only through migrations, and the app refuses an out-of-date one."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from chuhai.api.app import SchemaOutOfDate, create_app
from chuhai.core.db import Database, schema_problem, upgrade_schema
from chuhai.core.settings import Settings
from chuhai.schema import metadata


def _drift(db: Database) -> list:
    with db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), metadata)


def test_the_migrations_build_exactly_the_tables_the_code_declares(database):
    assert _drift(database) == []


def test_an_empty_database_is_refused_with_the_command_that_fixes_it(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    settings = Settings(data_dir=tmp_path, database_url=str(db.engine.url))
    with pytest.raises(SchemaOutOfDate) as caught:
        create_app(settings, db=db)
    assert "run `chuhai db upgrade`" in str(caught.value)


def test_an_older_schema_is_refused_naming_both_revisions(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade_schema(url)
    db = Database(url)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    problem = schema_problem(db.engine)
    assert problem is not None and "0000" in problem and "chuhai db upgrade" in problem


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("CHUHAI_TEST_POSTGRES_URL"),
    reason="needs a PostgreSQL server: set CHUHAI_TEST_POSTGRES_URL",
)
def test_the_migrations_apply_cleanly_on_postgresql():
    from conftest import fresh_postgres_database

    with fresh_postgres_database(os.environ["CHUHAI_TEST_POSTGRES_URL"]) as url:
        upgrade_schema(url)
        db = Database(url)
        try:
            assert schema_problem(db.engine) is None
            assert _drift(db) == []
        finally:
            db.dispose()
