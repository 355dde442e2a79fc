"""The HS suggestion kernel: plain objects in, ranked subheadings out, no database.

Most cases use a small nomenclature written here, so each ranking can be reasoned about;
a few use the packaged HS 2022 and seed examples, as the server does.
"""

from __future__ import annotations

import pytest

from chuhai.customs.hs import (
    LabelledDescription,
    load_material_chapters,
    load_nomenclature,
    load_seed_examples,
    parse_nomenclature,
)
from chuhai.customs.hs_classify import (
    CHUNK,
    HsClassifier,
    NomenclatureIndex,
    ProductText,
    Weights,
    normalise_text,
)

SMALL = parse_nomenclature(
    "section,hscode,description,parent,level\n"
    "XIII,69,Ceramic products,TOTAL,2\n"
    'XIII,6912,"Ceramic tableware, kitchenware, other household articles",69,4\n'
    'XIII,691200,"Ceramic tableware, kitchenware; other than of porcelain",6912,6\n'
    "XIII,70,Glass and glassware,TOTAL,2\n"
    'XIII,7013,"Glassware of a kind used for table, kitchen, indoor decoration",70,4\n'
    'XIII,701349,"Glassware; table or kitchen glassware, other than drinking glasses",7013,6\n'
    "XVI,85,Electrical machinery and equipment,TOTAL,2\n"
    "XVI,8518,Microphones; loudspeakers; headphones and earphones,85,4\n"
    "XVI,851830,Headphones and earphones,8518,6\n"
    "XX,95,Toys games and sports requisites,TOTAL,2\n"
    "XX,9503,Toys; puzzles; dolls,95,4\n"
    "XX,950300,Toys; dolls; puzzles of all kinds; scale models,9503,6\n",
    "section,name\nXIII,Stone\nXVI,Machinery\nXX,Miscellaneous\n",
    "hts8,brief_description\n69120044,Ceramic household mugs and steins\n"
    "70134910,Glass bowls and dishes\n",
)
MATERIALS = {"ceramic": ("69",), "glass": ("70",)}


@pytest.fixture(scope="module")
def small_index() -> NomenclatureIndex:
    return NomenclatureIndex(SMALL, material_chapters=MATERIALS)


@pytest.fixture(scope="module")
def hs2022() -> NomenclatureIndex:
    return NomenclatureIndex(load_nomenclature(), material_chapters=load_material_chapters())


def codes(found) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.code for s in found]


def test_text_is_lower_cased_to_words_with_plurals_taken_off():
    assert normalise_text("SET/6 Mugs, BOXES & T-Lights") == "set 6 mug box t light"
    assert normalise_text("glass dress cactus puppies") == "glass dress cactus puppy"


def test_with_no_examples_the_nomenclature_and_its_national_lines_decide(small_index):
    classifier = HsClassifier(small_index, [])

    [headphones], [mug] = (
        classifier.suggest(["Bluetooth headphones"]),
        classifier.suggest(["Ceramic coffee mugs"]),
    )

    assert codes(headphones)[0] == "851830"
    assert codes(mug)[0] == "691200"  # "mugs" is only in the US line under 6912.00
    assert len(headphones) == 4  # every subheading of the small nomenclature, best first


def test_a_labelled_example_teaches_a_title_the_nomenclature_cannot_place(small_index):
    before = HsClassifier(small_index, [])
    after = HsClassifier(
        small_index,
        [LabelledDescription("NINJA RABBIT BLACK", "950300", "novelty character, taken as toy")],
    )

    assert codes(before.suggest(["NINJA RABBIT PINK"])[0])[0] != "950300"
    [found] = after.suggest(["NINJA RABBIT PINK"])
    assert codes(found)[0] == "950300"
    assert found[0].examples == ("NINJA RABBIT BLACK",)  # the evidence shown to customs staff


def test_the_material_leans_the_ranking_to_its_chapter(small_index):
    examples = [
        LabelledDescription("FRUIT BOWL", "691200"),
        LabelledDescription("FRUIT BOWL", "701349"),
    ]
    classifier = HsClassifier(small_index, examples)

    [glass], [ceramic] = (
        classifier.suggest([ProductText("Fruit bowl", material="glass")]),
        classifier.suggest([ProductText("Fruit bowl", material="ceramic")]),
    )

    assert codes(glass)[:2] == ["701349", "691200"]
    assert codes(ceramic)[:2] == ["691200", "701349"]
    assert glass[0].score > glass[1].score


def test_scores_lie_between_0_and_1_best_first(hs2022):
    classifier = HsClassifier(hs2022, load_seed_examples())

    [found] = classifier.suggest([ProductText("350 ml ceramic mug", "Stoneware mug", "ceramic")])

    scores = [s.score for s in found]
    assert len(found) == 5
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)
    assert found[0].code == "691200"


@pytest.mark.parametrize(
    ("product", "expected"),
    [
        (ProductText("350 ml ceramic mug", material="ceramic"), "691200"),
        (ProductText("Bluetooth wireless headphones"), "851830"),
        (ProductText("Scented soy wax candle"), "340600"),
        (ProductText("PINK GLASS BEAD NECKLACE"), "711790"),
    ],
    ids=["mug", "headphones", "candle", "necklace"],
)
def test_everyday_goods_get_their_subheading_first(hs2022, product, expected):
    classifier = HsClassifier(hs2022, load_seed_examples())

    assert classifier.suggest([product])[0][0].code == expected


def test_a_batch_larger_than_a_chunk_answers_each_product_as_alone(hs2022):
    classifier = HsClassifier(hs2022, load_seed_examples())
    titles = ["RED RETROSPOT MUG", "WOODEN STAR CHRISTMAS", "HOT WATER BOTTLE"] * (CHUNK // 2)

    batch = classifier.suggest(titles, top=3)

    assert len(batch) == len(titles) > CHUNK
    for i in (0, 1, 2, len(titles) - 1):
        assert batch[i] == classifier.suggest([titles[i]], top=3)[0]


def test_an_example_whose_code_is_not_a_subheading_is_refused(small_index):
    with pytest.raises(ValueError, match=r"not subheadings: \['691299'\]"):
        HsClassifier(small_index, [LabelledDescription("MUG", "691299")])


def test_weights_are_plain_numbers_a_caller_can_change(small_index):
    only_nomenclature = Weights(votes=0, prior=0, material=0)
    classifier = HsClassifier(
        small_index, [LabelledDescription("HEADPHONE STAND", "950300")], only_nomenclature
    )

    [found] = classifier.suggest(["headphones"])

    assert found[0].code == "851830"
    assert found[0].examples == ()  # no labelled description voted for it
    assert found[0].score == round(found[0].score, 4)
