"""The ledger over HTTP: a manual entry by finance (idempotent), the refusals named by line,
reversal, the trial balance and a statement."""

from __future__ import annotations

from datetime import UTC, datetime

from helpers import import_fx

ENTRY = {
    "description": "owner's capital paid in",
    "document_type": "bank_statement",
    "document_id": "BOC-2026-001",
    "lines": [
        {"account": "1300-CNY", "amount": "10000.00", "currency": "CNY"},
        {"account": "3000-CNY", "amount": "-10000.00", "currency": "CNY", "memo": "capital"},
    ],
}


def _with_line(index: int, **changes: object) -> dict:
    lines = [dict(line) for line in ENTRY["lines"]]  # type: ignore[union-attr]
    lines[index].update(changes)
    return {**ENTRY, "lines": lines}


def test_finance_posts_a_manual_entry_once_and_reverses_it(client, unit, world):
    finance = client("finance")
    first = finance.post("/ledger/entries", json=ENTRY, headers={"Idempotency-Key": "cap-1"})
    assert first.status_code == 201, first.text
    body = first.json()
    assert [line["amount"] for line in body["lines"]] == [
        {"amount": "10000.00", "currency": "CNY"},
        {"amount": "-10000.00", "currency": "CNY"},
    ]
    replay = finance.post("/ledger/entries", json=ENTRY, headers={"Idempotency-Key": "cap-1"})
    assert replay.json()["id"] == body["id"]
    assert finance.get("/ledger/entries").json()["total"] == 1

    today = datetime.now(UTC).date().isoformat()
    import_fx(unit, world, today, {"EUR": "0.125"})
    trial = finance.get("/ledger/trial-balance").json()
    assert trial["balanced"] is True
    assert [row["account"] for row in trial["rows"]] == ["1300-CNY", "3000-CNY"]

    reversed_ = finance.post(f"/ledger/entries/{body['id']}/reverse", json={"reason": "typo"})
    assert reversed_.status_code == 201, reversed_.text
    assert reversed_.json()["reverses_id"] == body["id"]
    again = finance.post(f"/ledger/entries/{body['id']}/reverse", json={"reason": "typo"})
    assert again.status_code == 409
    statement = finance.get("/ledger/accounts/1300-CNY/statement").json()
    assert statement["closing"] == {"amount": "0.00", "currency": "CNY"}
    assert len(statement["lines"]) == 2


def test_bad_entries_are_refused_naming_the_line(client):
    finance = client("finance")
    cases = [
        (_with_line(1, amount="-9999.99"), "lines"),  # unbalanced
        (_with_line(0, amount="10000.001"), "lines[0].amount"),  # too many decimals
        (_with_line(0, amount=10000), "lines.0.amount"),  # a JSON number
        (_with_line(1, currency="EUR"), "lines[1].currency"),  # not the account's currency
        (_with_line(1, account="9999-XX"), "lines[1].account"),
    ]
    for body, field in cases:
        answer = finance.post("/ledger/entries", json=body)
        assert answer.status_code in (404, 422), answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        problem = answer.json()
        fields = [problem.get("field")] + [e["field"] for e in problem.get("errors", [])]
        assert any(field in (f or "") for f in fields), (field, problem)
    assert finance.get("/ledger/entries").json()["total"] == 0


def test_only_finance_posts_and_reads(client):
    assert client("merchandiser").get("/ledger/accounts").status_code == 403
    assert client("admin").get("/ledger/accounts").status_code == 200
    answer = client("logistics").post("/ledger/entries", json=ENTRY)
    assert answer.status_code == 403
