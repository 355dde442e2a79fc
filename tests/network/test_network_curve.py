"""The k-site curve, what-ifs and current vs optimum on an instance checked by hand.

Two demand points of 100 units on the equator, P1 at 0° and P2 at 5° (556 km apart); site
A beside P1 (existing), B beside P2, C 20° away (no last-mile band reaches it). A parcel
costs 100 fen within 100 km, 300 fen within 1,000 km, 1,000 fen by direct mail; a site
costs 5,000 fen a year. One site (A): 5,000 + 100·100 + 100·300 = 45,000 fen.
Two sites (A, B): 10,000 + 100·100 + 100·100 = 30,000 fen; a third adds nothing.
"""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chuhai.cli import app
from chuhai.core.errors import ValidationFailed
from chuhai.network.model import (
    CandidateSite,
    CostTables,
    DemandPoint,
    DirectMailRate,
    LastMileBand,
    LineHaulRate,
    Scenario,
)
from chuhai.network.scenarios import (
    apply_what_if,
    best_k_networks,
    compare,
    current_network,
    parse_what_if,
    what_if,
)

EXAMPLE = Path(str(resources.files("chuhai.data").joinpath("network/example_scenario.yaml")))
COSTS = CostTables(
    last_mile={"XX": (LastMileBand(100, 100, 1), LastMileBand(1000, 300, 3))},
    direct_mail={"XX": DirectMailRate(0, 1000, 10)},
    line_haul={
        ("sea", "XX"): LineHaulRate("sea", "XX", 0, 20),
        ("air", "XX"): LineHaulRate("air", "XX", 10, 5),
    },
)


def _point(id_: str, lon: float) -> DemandPoint:
    return DemandPoint(id_, "M", "XX", 0.0, lon, 100, Decimal(1), Decimal(0))


def _site(id_: str, lon: float, existing: bool = False) -> CandidateSite:
    return CandidateSite(
        id=id_, country="XX", lat=0.0, lon=lon, fixed_cost_fen=5_000,
        capacity_units_per_year=1_000, capacity_m3=Decimal(100), handling_fen_per_unit=0,
        existing=existing,
    )  # fmt: skip


TINY = Scenario(
    name="tiny",
    points=(_point("P1", 0.0), _point("P2", 5.0)),
    sites=(_site("A", 0.0, existing=True), _site("B", 5.0), _site("C", 20.0)),
    costs=COSTS,
)


def test_the_curve_falls_with_k_to_the_hand_computed_costs():
    curve = best_k_networks(TINY, time_limit=5)
    totals = [point.as_dict()["total_fen"] for point in curve]
    assert totals == [45_000, 30_000, 30_000]
    assert all(later <= earlier for earlier, later in zip(totals, totals[1:], strict=False))
    # A or B alone cost the same; C reaches nobody
    assert curve[0].as_dict()["open_sites"] in (["A"], ["B"])
    assert curve[1].as_dict()["service"] == {"M": 1.0}


def test_k_max_outside_the_sites_is_refused():
    with pytest.raises(ValidationFailed) as error:
        best_k_networks(TINY, k_max=4, time_limit=5)
    assert error.value.errors[0].field == "k_max"


def test_a_k_with_no_plan_is_marked_infeasible():
    # both points must be served by a site and each site holds only one point's units
    small = tuple(
        CandidateSite(**{**s.__dict__, "capacity_units_per_year": 100}) for s in TINY.sites
    )
    no_mail = Scenario(
        name="tight", points=TINY.points, sites=small, costs=COSTS, direct_mail=False
    )
    curve = best_k_networks(no_mail, k_max=2, time_limit=5)
    assert [point.feasible for point in curve] == [False, True]
    assert curve[0].as_dict()["total_fen"] is None


@pytest.mark.parametrize(
    ("text", "kind", "target", "factor"),
    [
        ("market:M:demand:+100%", "market", "M", Decimal(2)),
        ("site:B:fixed_cost:x3", "site", "B", Decimal(3)),
        ("mode:air:cost:+50%", "mode", "air", Decimal("1.5")),
        ("market:US:demand:-10%", "market", "US", Decimal("0.9")),
    ],
)
def test_what_ifs_parse(text: str, kind: str, target: str, factor: Decimal):
    change = parse_what_if(text)
    assert (change.kind, change.target, change.factor) == (kind, target, factor)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("market:US:+30%", "expected one of"),
        ("city:US:demand:+30%", "not market, site or mode"),
        ("market:US:cost:+30%", "changes demand"),
        ("mode:boat:cost:+50%", "mode must be one of"),
        ("market:US:demand:30", "is not a change like"),
        ("market:US:demand:+abc%", "is not a change like"),
        ("site:B:fixed_cost:-200%", "negative"),
        ("market::demand:+5%", "name the market"),
    ],
)
def test_bad_what_ifs_name_the_option(text: str, reason: str):
    with pytest.raises(ValidationFailed) as error:
        parse_what_if(text)
    assert error.value.errors[0].field == f"what_if {text!r}"
    assert reason in error.value.errors[0].message


def test_what_if_on_an_unknown_market_or_site_is_refused():
    for text in ("market:US:demand:+30%", "site:Z:fixed_cost:x2"):
        with pytest.raises(ValidationFailed) as error:
            apply_what_if(TINY, parse_what_if(text))
        assert text in error.value.errors[0].field


def test_what_ifs_change_the_plan_as_computed_by_hand():
    # twice the demand: 10,000 fixed + 200·100 + 200·100
    assert what_if(TINY, "market:M:demand:+100%", time_limit=5).objective_fen == 50_000
    # A costs 40,000 a year: B alone serves both (5,000 + 100·300 + 100·100 = 45,000)
    plan = what_if(TINY, "site:A:fixed_cost:x8", time_limit=5)
    assert plan.objective_fen == 45_000
    assert [s.id for s in plan.sites if s.open] == ["B"]
    scaled = apply_what_if(TINY, parse_what_if("mode:air:cost:x3"))
    assert scaled.costs.line_haul[("air", "XX")].cost_fen_per_kg == 30
    assert scaled.costs.line_haul[("sea", "XX")].cost_fen_per_kg == 0


def test_current_network_keeps_the_existing_sites_only():
    current = current_network(TINY)
    assert [(s.id, s.keep) for s in current.sites] == [("A", True)]
    variants = compare(TINY, ["market:M:demand:+100%"], time_limit=5)
    assert [v.name for v in variants] == ["current", "optimum", "market:M:demand:+100%"]
    assert [v.plan.objective_fen for v in variants] == [45_000, 30_000, 50_000]


def test_no_existing_site_means_no_current_network():
    fresh = Scenario(name="fresh", points=TINY.points, sites=TINY.sites[1:], costs=COSTS)
    with pytest.raises(ValidationFailed) as error:
        current_network(fresh)
    assert error.value.errors[0].field == "sites"


runner = CliRunner()


def test_cli_curve_and_compare_print_json():
    curve = runner.invoke(
        app, ["network", "curve", str(EXAMPLE), "--k-max", "2", "--time-limit", "5", "--json"]
    )
    assert curve.exit_code == 0, curve.output
    points = json.loads(curve.stdout)
    assert [p["k"] for p in points] == [1, 2]
    assert points[1]["total_fen"] <= points[0]["total_fen"]
    compared = runner.invoke(
        app,
        ["network", "compare", str(EXAMPLE), "--what-if", "mode:air:cost:+50%",
         "--time-limit", "5", "--json"],
    )  # fmt: skip
    assert compared.exit_code == 0, compared.output
    names = [v["name"] for v in json.loads(compared.stdout)]
    assert names == ["current", "optimum", "mode:air:cost:+50%"]


def test_cli_compare_names_a_bad_what_if():
    result = runner.invoke(
        app, ["network", "compare", str(EXAMPLE), "--what-if", "market:US:demand:lots"]
    )
    assert result.exit_code == 1
    assert "market:US:demand:lots" in result.stderr and "+30%" in result.stderr
