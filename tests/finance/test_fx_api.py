"""FX rates over HTTP: lookups with problem+json refusals, the newest rates, CSV imports and
ECB loads (finance only, idempotent)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from chuhai.finance.service import ecb_history

JAN = {"since": "2025-01-01", "currencies": ["USD", "CNY"]}
RATES_CSV = b"date,base,quote,rate,source\n2025-01-31,CNY,USD,0.1375,BOC\n"


def load_from_january_2025(client) -> dict:  # type: ignore[no-untyped-def]
    answer = client("finance").post("/fx/ecb-loads", json=JAN, headers={"Idempotency-Key": "jan"})
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def ecb_days_since(first: date) -> int:
    today = datetime.now(UTC).date()
    return sum(1 for day, _ in ecb_history().days if first <= day <= today)


def test_finance_loads_the_ecb_rates_once_however_often_it_asks(client):
    first = load_from_january_2025(client)

    assert first["added"] == 2 * ecb_days_since(date(2025, 1, 1))
    assert first["currencies"] == ["CNY", "USD"] and first["since"] == "2025-01-01"
    assert first["data_ends"] == ecb_history().last_day.isoformat()
    replay = client("finance").post("/fx/ecb-loads", json=JAN, headers={"Idempotency-Key": "jan"})
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == first
    again = client("finance").post("/fx/ecb-loads", json=JAN, headers={"Idempotency-Key": "jan-2"})
    assert again.status_code == 201 and again.json()["added"] == 0


def test_the_rate_for_a_day_is_answered_with_its_derivation(client):
    load_from_january_2025(client)

    answer = client("merchandiser").get(
        "/fx/rates", params={"base": "CNY", "quote": "USD", "on": "2025-02-02"}
    )

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "base": "CNY",
        "quote": "USD",
        "rate": "0.13790586892772315327",
        "on": "2025-01-31",
        "source": "ECB",
        "derived_via": "EUR→USD 1.0393 (ECB 2025-01-31) / EUR→CNY 7.5363 (ECB 2025-01-31)",
        "age_days": 2,
        "max_age_days": 7,
    }


def test_a_stale_rate_is_a_problem_naming_the_pair_and_the_newest_date(client):
    client("finance").post("/fx/imports", files={"file": ("boc.csv", RATES_CSV, "text/csv")})

    answer = client("customs").get(
        "/fx/rates", params={"base": "CNY", "quote": "USD", "on": "2025-02-10"}
    )

    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "https://chuhai.dev/problems/fx-rate-missing"
    assert problem["detail"] == (
        "no CNY→USD rate on or before 2025-02-10 within 7 days (newest: 2025-01-31)"
    )
    assert (problem["pair"], problem["newest"], problem["max_age_days"]) == (
        "CNY/USD",
        "2025-01-31",
        7,
    )
    wider = client("customs").get(
        "/fx/rates", params={"base": "CNY", "quote": "USD", "on": "2025-02-10", "max_age_days": 10}
    )
    assert wider.status_code == 200 and wider.json()["rate"] == "0.1375"


def test_a_malformed_question_names_the_field(client):
    unknown = client("finance").get("/fx/rates", params={"base": "CNY", "quote": "RMB"})
    missing = client("finance").get("/fx/rates", params={"base": "CNY"})
    bad_day = client("finance").get("/fx/rates", params={"base": "CNY", "quote": "USD", "on": "x"})

    assert (unknown.status_code, unknown.json()["field"]) == (422, "quote")
    assert unknown.json()["detail"] == "quote: unknown ISO 4217 currency code 'RMB'"
    assert (missing.status_code, missing.json()["field"]) == (422, "quote")
    assert (bad_day.status_code, bad_day.json()["field"]) == (422, "on")


def test_the_newest_rates_say_how_old_they_are(client):
    client("finance").post("/fx/imports", files={"file": ("boc.csv", RATES_CSV, "text/csv")})

    answer = client("logistics").get("/fx/rates/latest")

    today = datetime.now(UTC).date()
    assert answer.json() == {
        "today": today.isoformat(),
        "max_age_days": 7,
        "items": [
            {
                "base": "CNY",
                "quote": "USD",
                "rate": "0.1375",
                "on": "2025-01-31",
                "source": "BOC",
                "age_days": (today - date(2025, 1, 31)).days,
                "stale": True,
            }
        ],
    }


def test_a_rates_file_is_imported_once_per_idempotency_key(client):
    finance = client("finance")
    upload = {"file": ("boc.csv", RATES_CSV, "text/csv")}

    first = finance.post("/fx/imports", files=upload, headers={"Idempotency-Key": "boc-1"})
    replay = finance.post("/fx/imports", files=upload, headers={"Idempotency-Key": "boc-1"})

    assert first.status_code == 201, first.text
    assert first.json() == {
        "ok": True,
        "summary": "1 row, 1 rate added, no errors",
        "filename": "boc.csv",
        "rows": 1,
        "added": 1,
        "unchanged": 0,
        "sources": ["BOC"],
        "pairs": ["CNY→USD"],
        "errors": [],
    }
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == first.json()


def test_a_bad_rates_file_is_a_problem_listing_every_row_and_stores_nothing(client):
    content = RATES_CSV + b"2025-01-31,CNY,JPY,-21,BOC\n2999-01-01,CNY,EUR,0.13,BOC\n"

    answer = client("finance").post(
        "/fx/imports", files={"file": ("boc.csv", content, "text/csv")}, data={"source": "BOC"}
    )

    assert answer.status_code == 422
    problem = answer.json()
    assert problem["type"] == "https://chuhai.dev/problems/import-refused"
    assert problem["detail"] == "2 of 3 rows have errors; nothing was imported"
    assert problem["field"] == "file"
    today = datetime.now(UTC).date().isoformat()
    assert problem["errors"] == [
        {"row": 3, "field": "rate", "message": "must be greater than zero, got -21"},
        {"row": 4, "field": "date", "message": f"2999-01-01 is in the future (today is {today})"},
    ]
    assert client("finance").get("/fx/rates/latest").json()["items"] == []


def test_only_finance_changes_rates_and_only_operators_read_them(client):
    upload = {"file": ("boc.csv", RATES_CSV, "text/csv")}

    assert client("merchandiser").post("/fx/imports", files=upload).status_code == 403
    assert client("merchandiser").post("/fx/ecb-loads", json=JAN).status_code == 403
    refused = client("supplier_a").get("/fx/rates/latest")
    assert refused.status_code == 403 and refused.json()["permission"] == "fx.read"
    assert client().get("/fx/rates/latest").status_code == 401
    assert client("admin").post("/fx/imports", files=upload).status_code == 201
