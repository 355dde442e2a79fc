"""Scenario objects and files: every bad input is refused naming the field and the reason."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from chuhai.core.errors import ValidationFailed
from chuhai.network.model import (
    CandidateSite,
    CostTables,
    DemandPoint,
    DirectMailRate,
    LastMileBand,
    LineHaulRate,
    Scenario,
    ServiceTarget,
    build_problem,
    great_circle_km,
)
from chuhai.network.scenario import (
    city_demand,
    load_cost_tables,
    read_demand_csv,
    read_scenario,
    scenario_from_mapping,
)

COSTS = CostTables(
    last_mile={"XX": (LastMileBand(100, 100, 1), LastMileBand(1000, 300, 3))},
    direct_mail={"XX": DirectMailRate(0, 1000, 10)},
    line_haul={("sea", "XX"): LineHaulRate("sea", "XX", 0, 20)},
)


def point(id_: str = "P1", lon: float = 0.1, **changes: object) -> DemandPoint:
    fields: dict[str, object] = dict(
        id=id_, market="M", country="XX", lat=0.0, lon=lon, units_per_year=100,
        kg_per_unit=Decimal(1), m3_per_unit=Decimal(0),
    )  # fmt: skip
    fields.update(changes)
    return DemandPoint(**fields)  # type: ignore[arg-type]


def site(id_: str = "A", lon: float = 0.0, **changes: object) -> CandidateSite:
    fields: dict[str, object] = dict(
        id=id_, country="XX", lat=0.0, lon=lon, fixed_cost_fen=50_000,
        capacity_units_per_year=1000, capacity_m3=Decimal(100), handling_fen_per_unit=0,
    )  # fmt: skip
    fields.update(changes)
    return CandidateSite(**fields)  # type: ignore[arg-type]


def field_of(error: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return error.value.errors[0].field


# --- the domain objects ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lat": 91.0}, "demand[P1].lat"),
        ({"lat": -90.5}, "demand[P1].lat"),
        ({"lon": 180.01}, "demand[P1].lon"),
        ({"units_per_year": -1}, "demand[P1].units_per_year"),
        ({"kg_per_unit": Decimal("-0.1")}, "demand[P1].kg_per_unit"),
    ],
    ids=["lat-above-90", "lat-below-90", "lon-above-180", "negative-units", "negative-weight"],
)
def test_a_demand_point_out_of_range_is_refused_naming_the_field(changes, field):
    with pytest.raises(ValidationFailed) as error:
        point(**changes)
    assert field_of(error) == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lon": -181.0}, "sites[A].lon"),
        ({"fixed_cost_fen": -1}, "sites[A].fixed_cost"),
        ({"capacity_units_per_year": -5}, "sites[A].capacity_units_per_year"),
        ({"capacity_m3": Decimal(-1)}, "sites[A].capacity_m3"),
        ({"handling_fen_per_unit": -1}, "sites[A].handling_cost"),
        ({"closing_cost_fen": 100}, "sites[A].existing"),
        ({"line_haul_modes": ("truck",)}, "sites[A].line_haul_modes"),
    ],
    ids=["lon", "fixed-cost", "capacity", "storage", "handling", "closing-new", "mode"],
)
def test_a_bad_candidate_site_is_refused_naming_the_field(changes, field):
    with pytest.raises(ValidationFailed) as error:
        site(**changes)
    assert field_of(error) == field


def test_negative_rates_in_the_cost_tables_are_refused():
    with pytest.raises(ValidationFailed) as error:
        LastMileBand(100, -1, 1)
    assert field_of(error) == "last_mile.cost_fen"
    with pytest.raises(ValidationFailed) as error:
        LineHaulRate("sea", "US", -5, 18)
    assert field_of(error) == "line_haul[sea][US].cost_fen_per_kg"


def test_a_service_share_above_one_is_refused():
    with pytest.raises(ValidationFailed) as error:
        ServiceTarget("M", Decimal("1.2"), 3)
    assert field_of(error) == "service[M].share"


def test_a_service_target_for_a_market_without_demand_is_refused():
    with pytest.raises(ValidationFailed) as error:
        Scenario("s", (point(),), (site(),), COSTS, service=(ServiceTarget("ZZ", Decimal(1), 3),))
    assert field_of(error) == "service[ZZ]"


def test_repeated_ids_are_refused():
    with pytest.raises(ValidationFailed) as error:
        Scenario("s", (point("P1"), point("P1")), (site(),), COSTS)
    assert error.value.errors[0].message == "ids repeated: P1"


def test_a_point_no_site_reaches_and_without_direct_mail_is_named():
    far = point("FAR", lon=20.0)  # 2,200 km from the site: beyond the last band
    near = point("NEAR", lon=0.1)
    scenario = Scenario("s", (near, far), (site(),), COSTS, direct_mail=False)
    with pytest.raises(ValidationFailed) as error:
        build_problem(scenario)
    assert [e.field for e in error.value.errors] == ["demand[FAR]"]
    assert "no direct-mail route" in error.value.errors[0].message


def test_a_site_with_no_line_haul_to_its_country_is_refused():
    scenario = Scenario("s", (point(),), (site(line_haul_modes=("air",)),), COSTS)
    with pytest.raises(ValidationFailed) as error:
        build_problem(scenario)
    assert field_of(error) == "sites[A].line_haul_modes"


def test_pair_costs_add_line_haul_handling_and_the_last_mile_band():
    costs = CostTables(
        last_mile=COSTS.last_mile,
        direct_mail=COSTS.direct_mail,
        line_haul={("sea", "XX"): LineHaulRate("sea", "XX", 50, 20)},
    )
    scenario = Scenario(
        "s", (point(kg_per_unit=Decimal(2)),), (site(handling_fen_per_unit=7),), costs
    )
    built = build_problem(scenario)
    # 100 units x (50 fen/kg x 2 kg + 7 fen handling + 100 fen last mile within 100 km)
    assert built.problem.pair_cost.tolist() == [100 * (100 + 7 + 100)]
    assert built.problem.pair_days.tolist() == [1]  # type: ignore[union-attr]
    assert built.problem.direct_cost.tolist() == [100 * 1000]


def test_great_circle_london_to_paris():
    assert great_circle_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343.5, abs=0.5)


# --- files ----------------------------------------------------------------------------------------


def minimal_yaml() -> dict[str, object]:
    return {
        "name": "tiny",
        "demand": {
            "points": [
                {"id": "P1", "market": "DE", "country": "DE", "lat": 52.52, "lon": 13.40,
                 "units_per_year": 1000, "weight": "800 g", "volume": "4 l"},
            ]
        },
        "sites": [
            {"id": "DE-FRA", "country": "DE", "lat": 50.11, "lon": 8.68,
             "fixed_cost": "CNY 800000", "capacity": "120000 units", "storage": "1500 m3",
             "handling": "CNY 3.20"},
        ],
        "service": [{"market": "DE", "share": "90%", "within": "3 days"}],
        "options": {"max_sites": 1, "budget": "CNY 900000.50"},
    }  # fmt: skip


def test_a_scenario_reads_quantities_in_their_units():
    scenario = scenario_from_mapping(minimal_yaml())
    assert scenario.points[0].kg_per_unit == Decimal("0.8")
    assert scenario.points[0].m3_per_unit == Decimal("0.004")
    assert scenario.sites[0].fixed_cost_fen == 80_000_000
    assert scenario.sites[0].handling_fen_per_unit == 320
    assert scenario.service[0].share == Decimal("0.9")
    assert scenario.budget_fen == 90_000_050


def edit(path: str, value: object) -> dict[str, object]:
    raw = minimal_yaml()
    keys = path.split(".")
    node: object = raw
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]  # type: ignore[index]
    node[keys[-1]] = value  # type: ignore[index]
    return raw


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"),
    [
        ("colour", "red", "colour", "unknown key"),
        ("sites.0.fixed_costs", "CNY 1", "sites[0].fixed_costs", "unknown key"),
        ("demand.points.0.weight", "0.8 m3", "demand.points[0].weight", "not a unit of mass"),
        ("demand.points.0.weight", 0.8, "demand.points[0].weight", "say the unit"),
        ("demand.points.0.volume", "4 kg", "demand.points[0].volume", "not a unit of volume"),
        ("sites.0.storage", "1500 kg", "sites[0].storage", "not a unit of volume"),
        ("sites.0.fixed_cost", "USD 100", "sites[0].fixed_cost", "planned in CNY"),
        ("sites.0.fixed_cost", 100, "sites[0].fixed_cost", "say the currency"),
        ("sites.0.handling", "CNY 0.001", "sites[0].handling", "more than two decimals"),
        ("service.0.within", "3 weeks", "service[0].within", "not a unit of days"),
        ("service.0.share", "most", "service[0].share", "share like 0.9"),
        ("options.stock_cover", "4 kg", "options.stock_cover", "not a unit of weeks"),
        ("sites.0.lat", 95.0, "sites[DE-FRA].lat", "latitude"),
        ("sites.0.capacity", -10, "sites[DE-FRA].capacity_units_per_year", "negative"),
    ],
    ids=lambda value: str(value)[:24],
)
def test_a_bad_scenario_names_the_field_and_the_reason(path, value, field, reason):
    with pytest.raises(ValidationFailed) as error:
        scenario_from_mapping(edit(path, value))
    assert field_of(error) == field
    assert reason in error.value.errors[0].message


def test_a_missing_or_broken_scenario_file_is_refused(tmp_path: Path):
    with pytest.raises(ValidationFailed, match="does not exist"):
        read_scenario(tmp_path / "none.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="not valid YAML"):
        read_scenario(broken)


def test_demand_from_a_csv_beside_the_scenario(tmp_path: Path):
    (tmp_path / "demand.csv").write_text(
        "id,market,country,lat,lon,units_per_year,kg_per_unit,m3_per_unit\n"
        "B1,DE,DE,52.52,13.40,1200,0.8,0.004\n",
        encoding="utf-8",
    )
    raw = minimal_yaml()
    raw["demand"] = {"csv": "demand.csv"}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    scenario = read_scenario(tmp_path / "s.yaml")
    assert [(p.id, p.units_per_year, p.kg_per_unit) for p in scenario.points] == [
        ("B1", 1200, Decimal("0.8"))
    ]


def test_a_demand_csv_with_other_columns_is_refused(tmp_path: Path):
    (tmp_path / "d.csv").write_text("id,market,weight_lb\nB1,DE,2\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as error:
        read_demand_csv(tmp_path / "d.csv")
    assert field_of(error) == "demand.csv"


def test_population_weighted_demand_adds_up_exactly_and_follows_population():
    points = city_demand("JP", "JP", 100_001, 5, Decimal("0.5"), Decimal("0.002"))
    assert len(points) == 5
    assert sum(p.units_per_year for p in points) == 100_001
    assert points[0].id == "JP-1850147"  # Tokyo, the most populous
    assert points[0].units_per_year == max(p.units_per_year for p in points)


def test_unknown_country_for_city_demand_is_refused():
    with pytest.raises(ValidationFailed) as error:
        city_demand("ZZ", "ZZ", 10, 3, Decimal(1), Decimal(0))
    assert field_of(error) == "demand.cities.country"


def test_the_packaged_cost_tables_load_with_direct_mail_for_every_market():
    costs = load_cost_tables()
    assert set(costs.direct_mail) == {"US", "GB", "DE", "FR", "JP", "AU"}
    assert costs.last_mile_band("DE", 250.0) == LastMileBand(300, 3500, 1)
    assert costs.last_mile_band("DE", 2500.0) is None


def test_a_scenario_that_is_not_a_mapping_is_refused():
    with pytest.raises(ValidationFailed) as error:
        scenario_from_mapping(["name", "sites"])
    assert field_of(error) == "scenario"


def test_a_scenario_without_sites_is_refused():
    raw = minimal_yaml()
    del raw["sites"]
    with pytest.raises(ValidationFailed) as error:
        scenario_from_mapping(raw)
    assert field_of(error) == "sites"
    assert error.value.errors[0].message == "is required"
