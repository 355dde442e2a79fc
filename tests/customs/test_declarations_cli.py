"""`chuhai customs declare ...`: make, file, list and print declarations from the command
line; a refusal is one sentence (and the fields it names) with a non-zero exit, nothing
written."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from chuhai.cli import app

from declaration_examples import parcel_body, warehouse_body

runner = CliRunner()


@pytest.fixture
def env(tmp_path):  # type: ignore[no-untyped-def]
    env = {
        "CHUHAI_DATA_DIR": str(tmp_path),
        "CHUHAI_DATABASE_URL": f"sqlite:///{tmp_path}/c.db",
    }
    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    return env


def run(env, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env=env)


def test_a_declaration_is_made_filed_listed_and_its_documents_written(env, tmp_path):
    file = tmp_path / "consignment.json"
    file.write_text(json.dumps(warehouse_body()), encoding="utf-8")

    made = run(env, "customs", "declare", "create", str(file))
    assert made.exit_code == 0, made.output
    number = re.search(r"9810-\d{8}-[0-9A-Z]{6}", made.stdout)
    assert number is not None and "draft" in made.stdout
    filed = run(env, "customs", "declare", "submit", number.group())
    assert filed.exit_code == 0, filed.output
    assert "cleared" in filed.stdout and "€3,200.00" in filed.stdout
    listed = run(env, "customs", "declare", "list", "--state", "cleared")
    assert number.group() in listed.stdout and "1 declaration(s)" in listed.stdout

    out = tmp_path / "documents"
    written = run(env, "customs", "declare", "documents", number.group(), "--out", str(out))
    assert written.exit_code == 0, written.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{prefix}-{number.group()}.{ext}" for prefix in ("CI", "PL") for ext in ("json", "pdf")
    )
    assert (out / f"CI-{number.group()}.pdf").read_bytes().startswith(b"%PDF-")

    again = run(env, "customs", "declare", "submit", number.group())
    assert again.exit_code == 1
    assert "cannot submit a declaration that is cleared" in again.stderr


def test_a_three_document_mismatch_is_one_sentence_naming_the_fields_and_nothing_is_written(
    env, tmp_path
):
    body = parcel_body()
    body["payment"]["amount"] = "30.00"
    body["logistics"]["consignee_name"] = "John Smith"
    file = tmp_path / "parcel.json"
    file.write_text(json.dumps(body), encoding="utf-8")

    refused = run(env, "customs", "declare", "create", str(file))
    assert refused.exit_code == 1
    assert "error: payment.amount: paid 30.00 USD, the order total is 34.48 USD" in refused.stderr
    assert "logistics.consignee_name: the consignee 'John Smith'" in refused.stderr
    assert "Traceback" not in refused.output
    assert "0 declaration(s)" in run(env, "customs", "declare", "list").stdout


def test_a_file_that_is_not_a_declaration_is_refused_plainly(env, tmp_path):
    file = tmp_path / "bad.json"
    file.write_text(json.dumps({**warehouse_body(), "lines": [{"quantity": 1}]}), encoding="utf-8")
    refused = run(env, "customs", "declare", "create", str(file))
    assert refused.exit_code == 1 and "lines.0.unit_price: Field required" in refused.stderr
    missing = run(env, "customs", "declare", "show", "9810-20260101-NOSUCH")
    assert (
        missing.exit_code == 1
        and "no declaration numbered '9810-20260101-NOSUCH'" in missing.stderr
    )
