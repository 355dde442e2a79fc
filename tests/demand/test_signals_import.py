"""Importing external demand signals from CSV: a report row by row, every bad row refused
with its row and field named, nothing written when any row is bad, and a file imported
twice (or a row repeated) counted once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chuhai.core.errors import Forbidden
from chuhai.demand import service as demand
from orders.shopping import Shop, build_shop

TODAY = datetime.now(UTC).date()
DAY = (TODAY - timedelta(days=3)).isoformat()
HEADER = "date,market,sku,category,kind,count,query"


@pytest.fixture
def shop(unit, world) -> Shop:
    return build_shop(unit, world)


def _import(unit, world, text: str, name: str = "trends.csv", who: str = "merchandiser"):
    with unit(world[who]) as ctx:
        return demand.import_signals(ctx, name, text.encode())


def _stored(unit) -> tuple[dict[tuple[str, str, str], int], dict[tuple[str, str, str], int]]:
    with unit() as ctx:
        skus = demand.sku_signals(ctx, demand.SignalFilter(), limit=200).items
        categories = demand.category_signals(ctx, demand.SignalFilter(), limit=200).items
        summed: dict[tuple[str, str, str], int] = {}
        for r in skus:  # sources side by side: what a reader of the day's demand sees
            summed[(r.market_code, r.sku_id, r.kind)] = (
                summed.get((r.market_code, r.sku_id, r.kind), 0) + r.count
            )
        return (
            summed,
            {(r.market_code, r.category_code, r.query): r.count for r in categories},
        )


def test_a_good_file_is_imported_and_importing_it_again_changes_nothing(unit, world, shop):
    text = "\n".join(
        [
            HEADER,
            f"{DAY},US,MUG-350-WHT,,order,12,",
            f"{DAY},de,MUG-350-BLK,,view,40,",
            f"{DAY},US,,home.kitchen,search,30,Ceramic  Mug",
            f"{DAY},US,MUG-350-WHT,,order,12,",  # the same row again: counted once
        ]
    )
    report = _import(unit, world, text)
    assert report.ok, report.errors
    assert report.summary() == "3 signals imported from 4 rows, 1 duplicate row counted once"
    assert [(o.row, o.status) for o in report.outcomes] == [
        (2, "imported"),
        (3, "imported"),
        (4, "imported"),
        (5, "duplicate"),
    ]
    assert report.outcomes[0].message == f"SKU MUG-350-WHT in US on {DAY}: 12 units ordered"
    assert report.outcomes[2].message == (
        f"home.kitchen in US on {DAY}: 30 searches for 'ceramic mug'"
    )
    assert report.outcomes[3].message == "repeats row 2; counted once"

    _import(unit, world, text)

    skus, categories = _stored(unit)
    assert skus == {("US", shop.mug_white, "order"): 12, ("DE", shop.mug_black, "view"): 40}
    assert categories == {("US", "home.kitchen", "ceramic mug"): 30}


def test_a_corrected_file_of_the_same_name_replaces_its_counts(unit, world, shop):
    _import(unit, world, f"{HEADER}\n{DAY},US,MUG-350-WHT,,order,12,")
    _import(unit, world, f"{HEADER}\n{DAY},US,MUG-350-WHT,,order,15,")
    _import(unit, world, f"{HEADER}\n{DAY},US,MUG-350-WHT,,order,1,", name="other.csv")
    skus, _ = _stored(unit)
    assert skus == {("US", shop.mug_white, "order"): 16}  # 15 from trends.csv, 1 from other.csv


FUTURE = (TODAY + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        pytest.param(f"{DAY},US,NO-SUCH,,order,1,", "sku", "unknown SKU 'NO-SUCH'", id="sku"),
        pytest.param(f"{DAY},XX,MUG-350-WHT,,order,1,", "market", "unknown market 'XX'", id="mkt"),
        pytest.param(
            f"{DAY},US,MUG-350-WHT,,order,-3,", "count", "a count cannot be negative", id="neg"
        ),
        pytest.param(
            f"{FUTURE},US,MUG-350-WHT,,order,1,",
            "date",
            f"{FUTURE} is in the future (today is {TODAY})",
            id="future",
        ),
        pytest.param(
            f"{DAY},US,MUG-350-WHT,,wishlist,1,",
            "kind",
            "unknown kind 'wishlist'; one of search, view, add_to_cart, order, return",
            id="kind",
        ),
        pytest.param(
            f"{DAY},US,MUG-350-WHT,,order,1,",  # conflicts with the good first row
            "count",
            "repeats row 2 with another count (1, not 5)",
            id="conflicting-duplicate",
        ),
        pytest.param(
            "01/11/2026,US,MUG-350-WHT,,order,1,",
            "date",
            "'01/11/2026' is not a date such as 2026-11-01",
            id="date",
        ),
        pytest.param(
            f"{DAY},US,MUG-350-WHT,,order,1.5,", "count", "'1.5' is not a whole number", id="whole"
        ),
        pytest.param(
            f"{DAY},US,,toys.nope,order,1,", "category", "unknown category 'toys.nope'", id="cat"
        ),
        pytest.param(
            f"{DAY},US,,,order,1,", "sku", "give a sku (its code) or a category", id="none"
        ),
        pytest.param(
            f"{DAY},US,,home.kitchen,search,1,",
            "query",
            "a search needs the text searched for",
            id="query",
        ),
        pytest.param(
            f"{DAY},US,MUG-350-WHT,,search,1,mug",
            "kind",
            "searches are counted per category: give a category, not a sku",
            id="sku-search",
        ),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_written(unit, world, shop, row, field, message):
    text = f"{HEADER}\n{DAY},US,MUG-350-WHT,,order,5,\n{row}\n"
    report = _import(unit, world, text)
    assert not report.ok
    assert [(e.row, e.field, e.message) for e in report.errors] == [(3, field, message)]
    assert report.summary() == "1 of 2 rows refused; nothing was imported"
    assert [o.status for o in report.outcomes] == ["imported", "refused"]
    assert _stored(unit) == ({}, {})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("", "the file is empty; the first row must name the columns", id="empty"),
        pytest.param("date,market,sku,kind\n", "the header lacks the column(s) count", id="col"),
        pytest.param(f"{HEADER}\n", "the file has a header but no rows", id="no-rows"),
        pytest.param(
            "date,market,kind,count\n", "the header needs a sku or a category column", id="subject"
        ),
        pytest.param(
            f"{HEADER},colour\n",
            "unknown column(s) colour; the columns are "
            "date, market, sku, category, kind, count, query",
            id="extra",
        ),
    ],
)
def test_a_file_that_is_not_a_signal_table_is_refused_whole(unit, world, shop, content, message):
    report = _import(unit, world, content)
    assert [(e.row, e.field, e.message) for e in report.errors] == [(0, "file", message)]
    assert report.summary() == f"{message}; nothing was imported"


def test_a_sku_code_two_suppliers_use_must_be_given_by_id(unit, world, shop):
    from chuhai.catalog import service as catalog

    from helpers import draft

    with unit(world["supplier_b"]) as ctx:
        other = catalog.create_product(ctx, draft("MUG-350"))
        other_white = next(
            s.id for s in catalog.skus_of(ctx.session, other.id) if s.sku_code == "MUG-350-WHT"
        )
    report = _import(unit, world, f"{HEADER}\n{DAY},US,MUG-350-WHT,,order,5,")
    assert [(e.field, e.message) for e in report.errors] == [
        ("sku", "SKU code 'MUG-350-WHT' belongs to several suppliers; give the SKU id")
    ]
    report = _import(unit, world, f"{HEADER}\n{DAY},US,{other_white},,order,5,")
    assert report.ok


def test_importing_needs_the_merchandiser_role(unit, world, shop):
    with pytest.raises(Forbidden):
        _import(unit, world, f"{HEADER}\n{DAY},US,MUG-350-WHT,,order,5,", who="finance")


def test_a_keyword_file_may_give_searches_without_a_category(unit, world, shop):
    report = _import(unit, world, f"{HEADER}\n{DAY},GB,,,search,30,Padel Racket")
    assert report.ok, report.errors
    assert report.outcomes[0].message == f"GB on {DAY}: 30 searches for 'padel racket'"
    assert _stored(unit)[1] == {("GB", "", "padel racket"): 30}
