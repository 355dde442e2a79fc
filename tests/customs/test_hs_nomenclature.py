"""The HS 2022 nomenclature chuhai ships: what it holds, and how a code is checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from chuhai.core.errors import ValidationFailed
from chuhai.customs.hs import (
    format_code,
    load_material_chapters,
    load_nomenclature,
    load_seed_examples,
    parse_labelled,
    parse_nomenclature,
    validate_subheading,
)

SHARED_HS = Path(__file__).resolve().parents[3] / "shared" / "data" / "hs"


def test_the_packaged_nomenclature_is_hs_2022_with_every_chapter_heading_and_subheading():
    nomenclature = load_nomenclature()

    levels = [e.level for e in nomenclature.entries.values()]
    assert nomenclature.edition == "HS 2022"
    # the source's 97th chapter and 1,229th heading are 99 / 9999, "commodities not
    # specified according to kind": totals, not goods (chapter 77 is reserved in HS)
    assert (levels.count(2), levels.count(4), levels.count(6)) == (96, 1228, 5612)
    assert len(nomenclature.subheadings) == 5612
    assert nomenclature.subheadings[:2] == ("010121", "010129")
    assert len(nomenclature.sections) == 21
    # the totals rows of the source are not goods
    assert not {"TOTAL", "99", "9999", "999999"} & set(nomenclature.entries)


def test_a_subheading_reads_with_its_heading_and_has_its_national_lines():
    nomenclature = load_nomenclature()

    assert [e.code for e in nomenclature.path("711790")] == ["71", "7117", "711790"]
    assert nomenclature.subheading_text("711790") == (
        "Imitation jewellery: Jewellery; imitation, of other than base metal, "
        "whether or not plated with precious metal"
    )
    # where the subheading repeats its heading, the text is said once
    assert nomenclature.subheading_text("340600") == "Candles, tapers and the like"
    assert nomenclature.entries["691200"].section == "XIII"
    assert (
        "Ceramic (o/than porcelain or china) household mugs and steins w/o attached pewter lids"
        in nomenclature.national_lines["691200"]
    )
    assert sum(len(lines) for lines in nomenclature.national_lines.values()) == 11414


@pytest.mark.skipif(
    not (SHARED_HS / "harmonized-system.csv").exists(), reason="../shared/data/hs is not here"
)
def test_the_packaged_copy_is_the_shared_source_unchanged():
    source = parse_nomenclature(
        (SHARED_HS / "harmonized-system.csv").read_text("utf-8"),
        (SHARED_HS / "sections.csv").read_text("utf-8"),
    )
    packaged = load_nomenclature()

    assert {c: e.description for c, e in source.entries.items()} == {
        c: e.description for c, e in packaged.entries.items()
    }
    shared_examples = parse_labelled((SHARED_HS / "labelled_dev.csv").read_text("utf-8"))
    assert tuple(shared_examples) == load_seed_examples()


@pytest.mark.parametrize(
    "written", ["691200", "6912.00", "6912 00", " 6912.00 ", "6912-00"], ids=repr
)
def test_the_usual_ways_of_writing_a_subheading_are_accepted(written):
    assert validate_subheading(written) == "691200"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("", "is required"),
        (None, "is required"),
        ("abc", "an HS code is six digits, e.g. 6912.00; got 'abc'"),
        ("69120044", "an HS code is the six-digit subheading, e.g. 6912.00; got 8 digits"),
        ("6912", "6912 is a heading; choose one of its subheadings: 6912.00"),
        ("691299", "6912.99 is not an HS 2022 subheading; heading 6912 has 6912.00"),
        ("999999", "9999.99 is not an HS 2022 subheading"),
        ("770000", "7700.00 is not an HS 2022 subheading"),
        (
            "05",
            "05 is a chapter; give a six-digit subheading "
            "(its headings: 0501, 0502, 0504, 0505, 0506, 0507, 0508, 0510, 0511)",
        ),
    ],
    ids=[
        "empty",
        "none",
        "letters",
        "eight-digits",
        "heading",
        "unknown",
        "totals",
        "no-chapter",
        "chapter",
    ],
)
def test_a_code_that_is_not_a_subheading_is_refused_naming_the_field(written, message):
    with pytest.raises(ValidationFailed) as refused:
        validate_subheading(written, field="skus[0].hs_code")

    assert [(e.field, e.message) for e in refused.value.errors] == [("skus[0].hs_code", message)]
    assert refused.value.field == "skus[0].hs_code"


def test_a_heading_with_many_subheadings_lists_the_first_twelve():
    with pytest.raises(ValidationFailed) as refused:
        validate_subheading("8517")

    assert refused.value.errors[0].message.startswith(
        "8517 is a heading; choose one of its subheadings: 8517.11, 8517.13, 8517.14"
    )


def test_codes_are_printed_with_a_dot_after_the_heading():
    assert [format_code(c) for c in ("691200", "6912", "69")] == ["6912.00", "6912", "69"]


def test_parsing_drops_totals_rows_and_national_lines_outside_the_edition():
    nomenclature = parse_nomenclature(
        "\ufeffsection,hscode,description,parent,level\n"
        "XIII,69,Ceramic products,TOTAL,2\n"
        "XIII,6912,Ceramic tableware,69,4\n"
        'XIII,691200,"Ceramic tableware, other than porcelain",6912,6\n'
        "TOTAL,999999,Commodities not specified according to kind,9999,6\n"
        "TOTAL,TOTAL,Total of all HS2022 commodities,TOTAL,5\n",
        "section,name\nXIII,Articles of stone\n",
        "hts8,brief_description\n69120044,Ceramic mugs\n99030125,Additional duties\n",
    )

    assert sorted(nomenclature.entries) == ["69", "6912", "691200"]
    assert nomenclature.entries["69"].parent is None
    assert nomenclature.national_lines == {"691200": ("Ceramic mugs",)}


def test_the_seed_examples_are_300_labelled_descriptions_with_real_subheadings():
    examples = load_seed_examples()
    nomenclature = load_nomenclature()

    assert len(examples) == 300
    assert examples[0].text == "DOGGY RUBBER" and examples[0].code == "401692"
    assert examples[0].note.startswith("Novelty eraser")
    assert all(nomenclature.is_subheading(e.code) for e in examples)


def test_material_words_name_the_chapters_whose_titles_name_them():
    chapters = load_material_chapters()

    assert chapters["ceramic"] == ("69",)
    assert chapters["glass"] == ("70",)
    assert chapters["cotton"] == ("52", "61", "62", "63")
    assert "silver" not in chapters  # a colour in most shop titles
    nomenclature = load_nomenclature()
    assert all(c in nomenclature.entries for found in chapters.values() for c in found)
