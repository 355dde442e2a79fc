"""`chuhai network orlib` and `chuhai network solve`: JSON on stdout, one sentence on error."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from chuhai.cli import app

runner = CliRunner()
SHARED_ORLIB = Path(__file__).resolve().parents[3] / "shared" / "data" / "orlib"
EXAMPLE = Path(str(resources.files("chuhai.data").joinpath("network/example_scenario.yaml")))


@pytest.mark.skipif(
    not (SHARED_ORLIB / "cap41.txt").exists(), reason="../shared/data/orlib is not here"
)
def test_orlib_prints_objective_bound_gap_and_seconds_as_json():
    result = runner.invoke(
        app, ["network", "orlib", str(SHARED_ORLIB / "cap41.txt"), "--time-limit", "30", "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["objective"] == pytest.approx(1040444.375, abs=5e-4)
    assert body["bound"] == pytest.approx(1040444.375, abs=5e-4)
    assert body["gap"] == 0.0 and body["proven_optimal"] is True
    assert body["seconds"] >= 0


def test_orlib_with_the_capacity_word_and_no_option_says_so(tmp_path: Path):
    instance = tmp_path / "capa.txt"
    instance.write_text("1 1\n capacity 10.\n 4 1.\n", encoding="ascii")
    result = runner.invoke(app, ["network", "orlib", str(instance), "--json"])
    assert result.exit_code == 1
    assert "give --capacity N" in result.stderr
    ok = runner.invoke(app, ["network", "orlib", str(instance), "--capacity", "5", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["objective"] == pytest.approx(11.0)


def test_solve_prints_the_plan_as_json_and_a_table():
    result = runner.invoke(app, ["network", "solve", str(EXAMPLE), "--time-limit", "30"])
    assert result.exit_code == 0, result.output
    first_line = result.stdout.splitlines()[0]
    plan = json.loads(first_line)
    assert plan["status"] == "optimal" and plan["proven_optimal"] is True
    assert plan["costs"]["total"] == plan["objective_fen"]
    assert {s["market"] for s in plan["service"]} == {"DE", "FR", "GB", "US"}
    assert all(s["met"] for s in plan["service"])
    assert "proven optimal" in result.stdout and "total (CNY/year)" in result.stdout


def test_solve_refuses_a_scenario_with_an_unknown_key(tmp_path: Path):
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["options"]["max_warehouses"] = 3
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = runner.invoke(app, ["network", "solve", str(scenario), "--json"])
    assert result.exit_code == 1
    assert "options.max_warehouses: unknown key" in result.stderr


def test_orlib_on_an_instance_no_plan_can_serve_answers_infeasible_in_json(tmp_path: Path):
    instance = tmp_path / "cap0.txt"
    instance.write_text("1 1\n 5 10.\n 8 1.\n", encoding="ascii")  # demand 8, capacity 5
    result = runner.invoke(app, ["network", "orlib", str(instance), "--json"])
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["status"] == "infeasible" and body["objective"] is None and body["bound"] is None
