"""The rule book is kept between quotes while the rules are unchanged, and rebuilt as soon
as a rule is added or ended (by any process: the fingerprint is read from the table)."""

from __future__ import annotations

from datetime import date

from chuhai.pricing import service as pricing

DAY = date(2026, 12, 10)
HIKE = {
    "tariff_area": "US",
    "hs_prefix": "6403",
    "origin": "CN",
    "layer": "additional",
    "rate_bp": 1500,
    "program": "Section 122",
}


def _hikes(book) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.rule_id for r in book.by_kind["duty"] if r.data.get("program") == "Section 122"]


def test_adding_and_ending_a_rule_shows_in_the_next_book(unit, world):
    with unit() as ctx:
        first = pricing.rule_book(ctx.session, DAY)
        assert pricing.rule_book(ctx.session, DAY) is first  # kept while nothing changed
        assert _hikes(first) == []
    with unit(world["customs"]) as ctx:
        added = pricing.add_rule(
            ctx, kind="duty", data=HIKE, effective_from=date(2026, 12, 1), source="example"
        )
    with unit() as ctx:
        assert _hikes(pricing.rule_book(ctx.session, DAY)) == [added.id]
    with unit(world["customs"]) as ctx:
        pricing.end_rule(ctx, added.id, date(2026, 12, 5))
    with unit() as ctx:
        assert _hikes(pricing.rule_book(ctx.session, DAY)) == []
        assert _hikes(pricing.rule_book(ctx.session, date(2026, 12, 3))) == [added.id]
