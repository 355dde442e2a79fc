"""The chuhai command: one plain sentence and a non-zero exit on error."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from chuhai.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path):
    return {"CHUHAI_DATA_DIR": str(tmp_path), "CHUHAI_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}


def run(base_env, *args, env=None):
    return runner.invoke(app, list(args), env={**base_env, **(env or {})})


def test_serve_refuses_a_database_without_schema(env):
    result = run(env, "serve", "--port", "1")
    assert result.exit_code == 1
    assert "run `chuhai db upgrade`" in result.stderr


def test_db_upgrade_creates_the_schema_and_reference_data(env):
    result = run(env, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.stdout
    assert run(env, "db", "upgrade").exit_code == 0  # idempotent


def test_users_create_and_a_clear_error_for_a_bad_role(env):
    run(env, "db", "upgrade")
    ok = run(
        env,
        "users",
        "create",
        "li.na",
        "--role",
        "finance",
        env={"CHUHAI_NEW_PASSWORD": "a-long-password"},
    )
    assert ok.exit_code == 0, ok.output
    bad = run(
        env,
        "users",
        "create",
        "wang.wei",
        "--role",
        "wizard",
        env={"CHUHAI_NEW_PASSWORD": "a-long-password"},
    )
    assert bad.exit_code == 1
    assert "unknown role 'wizard'" in bad.stderr
    assert "Traceback" not in bad.output


def test_catalog_import_writes_nothing_when_a_row_is_bad(env, tmp_path):
    run(env, "db", "upgrade")
    good = tmp_path / "good.csv"
    header = (
        "product_ref,category,title_zh,title_en,sku_code,weight_g,length_mm,width_mm,"
        "height_mm,supply_price_cny,moq,lead_time_days,daily_capacity\n"
    )
    good.write_text(header + "P1,home.kitchen,杯子,Cup,P1-A,300,100,80,90,8.50,100,5,1000\n")
    unknown = run(env, "catalog", "import", str(good), "--supplier", "NOPE")
    assert unknown.exit_code == 1 and "no supplier with code 'NOPE'" in unknown.stderr
    missing = run(env, "catalog", "import", str(tmp_path / "missing.csv"), "--supplier", "X")
    assert missing.exit_code == 1 and "not a readable file" in missing.stderr


def test_catalog_import_for_a_real_supplier(env, tmp_path, monkeypatch):
    from chuhai.core.auth import SYSTEM
    from chuhai.core.clock import SystemClock
    from chuhai.core.context import Context
    from chuhai.core.db import Database
    from chuhai.core.settings import load_settings
    from chuhai.parties import service

    from conftest import supplier_profile

    run(env, "db", "upgrade")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    db = Database(settings.database_url)
    with db.unit_of_work() as uow:
        service.onboard_supplier(
            Context(uow.session, SYSTEM, SystemClock(), settings), supplier_profile("YW-1", 3)
        )
        uow.commit()
    db.dispose()
    header = (
        "product_ref,category,title_zh,title_en,sku_code,weight_g,length_mm,width_mm,"
        "height_mm,supply_price_cny,moq,lead_time_days,daily_capacity\n"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        header + "P1,home.kitchen,杯子,Cup,P1-A,300,100,80,90,8.505,100,5,1000\n", encoding="gbk"
    )
    refused = run(env, "catalog", "import", str(bad), "--supplier", "YW-1")
    assert refused.exit_code == 1
    assert "nothing was imported" in refused.stderr
    good = tmp_path / "good.csv"
    good.write_text(header + "P1,home.kitchen,杯子,Cup,P1-A,300,100,80,90,8.50,100,5,1000\n")
    done = run(env, "catalog", "import", str(good), "--supplier", "YW-1")
    assert done.exit_code == 0, done.output
    assert "1 row, 1 product, 1 SKU, no errors" in done.stdout


def test_the_worker_runs_what_is_queued_and_exits_with_once(env):
    run(env, "db", "upgrade")
    quiet = run(env, "worker", "--once")
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout == ""
