"""`chuhai fx`: load the ECB's rates, import a file, print the rate for a day — or one
sentence and exit 1."""

from __future__ import annotations

from datetime import timedelta

from typer.testing import CliRunner

from chuhai.cli import app
from chuhai.finance.service import ecb_history

runner = CliRunner()


def test_load_import_and_look_up_rates_from_the_command_line(tmp_path):
    env = {"CHUHAI_DATA_DIR": str(tmp_path), "CHUHAI_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), env=env)

    assert run("db", "upgrade").exit_code == 0
    last = ecb_history().last_day
    since = last - timedelta(days=3)

    loaded = run("fx", "load-ecb", "--since", since.isoformat())
    assert loaded.exit_code == 0, loaded.output
    assert loaded.stdout.startswith("Stored ")
    assert f"(EUR to AUD, CNY, GBP, JPY, USD) since {since.isoformat()}" in " ".join(
        loaded.stdout.split()
    )
    assert "Stored 0 ECB rates" in run("fx", "load-ecb", "--since", since.isoformat()).stdout

    rate = run("fx", "rate", "cny", "usd", "--on", "2026-10-30")
    assert rate.exit_code == 0, rate.output
    assert rate.stdout.splitlines() == [
        "1 CNY = 0.15031079299303070258 USD on 2026-10-30 (ECB)",
        "derived: EUR→USD 1.1172 (ECB 2026-10-30) / EUR→CNY 7.4326 (ECB 2026-10-30)",
    ]

    later = (last + timedelta(days=30)).isoformat()
    stale = run("fx", "rate", "CNY", "USD", "--on", later)
    assert stale.exit_code == 1
    assert " ".join(stale.stderr.split()) == (
        f"error: no CNY→USD rate on or before {later} within 7 days (newest: {last.isoformat()})"
    )

    bad = tmp_path / "bad.csv"
    bad.write_text("date,base,quote,rate\n2026-11-20,CNY,USD,0\n")
    refused = run("fx", "import", str(bad), "--source", "BOC")
    assert refused.exit_code == 1
    assert "1 of 1 row has errors; nothing was imported" in refused.stderr

    good = tmp_path / "good.csv"
    good.write_text(f"date,base,quote,rate\n{since.isoformat()},CNY,USD,0.1406\n")
    imported = run("fx", "import", str(good), "--source", "BOC")
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.strip() == "1 row, 1 rate added, no errors."
    # the bank's own CNY→USD rate beats the ECB cross of the same day
    assert run("fx", "rate", "CNY", "USD", "--on", since.isoformat()).stdout.strip() == (
        f"1 CNY = 0.1406 USD on {since.isoformat()} (BOC)"
    )

    bad_day = run("fx", "rate", "CNY", "USD", "--on", "yesterday")
    assert bad_day.exit_code == 1
    assert "--on 'yesterday' is not a date like 2026-11-28" in bad_day.stderr
    assert run("fx", "import", str(tmp_path / "missing.csv")).exit_code == 1
