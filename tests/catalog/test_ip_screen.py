"""Screening product text against protected brands: what is caught, what is not, and why."""

from __future__ import annotations

import random
import statistics
import time

import pytest

from chuhai.catalog.ip_screen import BrandEntry, BrandMatch, screen_brands

NIKE = BrandEntry("b-nike", "Nike", ("耐克",))
ADIDAS = BrandEntry("b-adidas", "Adidas", ("阿迪达斯",))
LOUIS_VUITTON = BrandEntry("b-lv", "Louis Vuitton", ("LV", "路易威登"))
UNDER_ARMOUR = BrandEntry("b-ua", "Under Armour")
HERMES = BrandEntry("b-hermes", "Hermès")
CHANEL = BrandEntry("b-chanel", "Chanel")
SWATCH = BrandEntry("b-swatch", "Swatch")
ONIT = BrandEntry("b-onit", "Onit")
REGISTRY = (NIKE, ADIDAS, LOUIS_VUITTON, UNDER_ARMOUR, HERMES, CHANEL, SWATCH, ONIT)


def screen(**fields: str) -> list[BrandMatch]:
    return screen_brands(fields, REGISTRY)


def facts(match: BrandMatch) -> tuple[str, str, int, str]:
    return (match.brand_id, match.kind, match.score, match.matched_text)


def test_a_misspelt_brand_is_caught_with_its_similarity() -> None:
    # given a title with "Adidas" misspelt, when it is screened
    matches = screen(title_en="Adidaas running shoe")

    # then the brand is found as a fuzzy match, with the similarity in the reason
    assert matches == [
        BrandMatch(
            brand_id="b-adidas",
            brand_name="Adidas",
            field="title_en",
            matched_text="Adidaas",
            term="Adidas",
            score=92,
            kind="fuzzy",
            reason=(
                'title_en "Adidaas running shoe": "Adidaas" is 92% similar to the brand "Adidas"'
            ),
        )
    ]


def test_a_brand_joined_to_another_word_by_a_hyphen_is_a_compound() -> None:
    [match] = screen(title_en="NIKE-style sneakers")

    assert facts(match) == ("b-nike", "compound", 100, "NIKE")
    assert match.reason == (
        'title_en "NIKE-style sneakers": "NIKE" in "NIKE-style" is the brand "Nike", '
        "joined to other words"
    )


def test_a_brand_glued_in_front_of_another_word_is_a_compound() -> None:
    [match] = screen(title_en="nikestyle sneakers")

    assert facts(match) == ("b-nike", "compound", 100, "nike")
    assert '"nike" in "nikestyle" is the brand "Nike"' in match.reason


def test_a_brand_with_a_registered_sign_is_caught_sign_and_all() -> None:
    [match] = screen(title_en="Genuine Nike® trainers")

    assert facts(match) == ("b-nike", "exact", 100, "Nike®")
    assert match.term == "Nike"
    assert match.reason == 'title_en "Genuine Nike® trainers": "Nike®" is the brand "Nike"'


def test_a_chinese_alias_is_found_inside_chinese_text() -> None:
    [match] = screen(title_zh="耐克运动鞋")

    assert facts(match) == ("b-nike", "exact", 100, "耐克")
    assert (match.field, match.term) == ("title_zh", "耐克")
    assert match.reason == 'title_zh "耐克运动鞋": "耐克" is an alias of the brand "Nike"'


def test_a_misspelt_two_word_brand_is_caught() -> None:
    [match] = screen(title_en="Louis Vuiton bag")

    assert facts(match) == ("b-lv", "fuzzy", 96, "Louis Vuiton")
    assert match.term == "Louis Vuitton"
    assert match.reason == (
        'title_en "Louis Vuiton bag": "Louis Vuiton" is 96% similar to the brand "Louis Vuitton"'
    )


def test_a_two_word_brand_written_as_one_word_or_hyphenated_is_caught() -> None:
    [glued] = screen(brand="LouisVuitton")
    [hyphenated] = screen(title_en="Under-Armor hoodie")

    assert facts(glued) == ("b-lv", "exact", 100, "LouisVuitton")
    # both words of the hyphenated pair are the brand, so it is no compound
    assert facts(hyphenated) == ("b-ua", "fuzzy", 95, "Under-Armor")


def test_a_short_alias_matches_only_as_a_whole_word() -> None:
    # "LV" inside "LVDS" is another word altogether
    assert screen(title_en="LVDS display cable") == []

    [match] = screen(title_en="LV monogram bag")
    assert facts(match) == ("b-lv", "exact", 100, "LV")
    assert match.reason == (
        'title_en "LV monogram bag": "LV" is an alias of the brand "Louis Vuitton"'
    )


def test_a_common_word_close_to_a_brand_is_not_caught() -> None:
    # "Nice" is 75% similar to "Nike", below the threshold; "running" resembles nothing
    assert screen(title_en="Nice running shoes") == []


def test_everyday_words_a_letter_from_a_brand_are_not_caught() -> None:
    # "channel" is 92% similar to Chanel, "watch" 91% to Swatch; both are ordinary words
    assert screen(description_en="4-channel audio with a watch strap") == []
    # the brands themselves are still caught
    found = screen(description_en="Chanel and Swatch")
    assert [m.brand_id for m in found] == ["b-chanel", "b-swatch"]


def test_a_run_of_words_only_meets_brands_of_as_many_words() -> None:
    # "on it" glued reads "onit", but two words never stand for a one-word brand
    assert screen(title_en="put a lid on it") == []


def test_empty_fields_give_no_matches() -> None:
    assert screen(title_en="", title_zh="   ", description_en="\n") == []
    assert screen_brands({}, REGISTRY) == []
    assert screen_brands({"title_en": "Nike"}, []) == []


def test_case_and_accents_are_ignored() -> None:
    [match] = screen(title_en="HERMES silk scarf")

    assert facts(match) == ("b-hermes", "exact", 100, "HERMES")
    assert match.reason == 'title_en "HERMES silk scarf": "HERMES" is the brand "Hermès"'


def test_each_brand_is_reported_once_per_field_with_its_best_match() -> None:
    matches = screen(title_en="Adidaas, better than Adidas", description_en="nikestyle, Nike")

    assert [(m.brand_id, m.field, m.kind, m.matched_text) for m in matches] == [
        ("b-adidas", "title_en", "exact", "Adidas"),
        ("b-nike", "description_en", "exact", "Nike"),
    ]


def test_matches_are_sorted_best_first() -> None:
    matches = screen(title_en="Adidaas shoe", brand="Nike", title_zh="路易威登包")

    assert [(m.score, m.brand_name, m.field) for m in matches] == [
        (100, "Louis Vuitton", "title_zh"),
        (100, "Nike", "brand"),
        (92, "Adidas", "title_en"),
    ]


def test_a_long_field_is_quoted_around_the_match() -> None:
    text = "A comfortable everyday trainer. " * 4 + "Looks just like Adidaas. " + "Washable. " * 5

    [match] = screen(description_en=text)

    assert match.reason.startswith('description_en "…')
    assert '"Adidaas" is 92% similar to the brand "Adidas"' in match.reason
    quoted = match.reason.split('"')[1]
    assert "Looks just like Adidaas." in quoted
    assert len(quoted) <= 82  # the excerpt and its two ellipses


def test_the_threshold_is_a_percentage() -> None:
    assert screen_brands({"title_en": "Adidaas"}, REGISTRY, threshold=95) == []
    with pytest.raises(ValueError):
        screen_brands({"title_en": "Adidaas"}, REGISTRY, threshold=0)


def _thousand_brands() -> list[BrandEntry]:
    rng = random.Random(7)
    syllables = ("ba", "ko", "ri", "ta", "mu", "ne", "lo", "vi", "sa", "de", "fo", "gu", "xa")
    names: set[str] = set()
    while len(names) < 1000:
        name = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).title()
        if rng.random() < 0.2:
            name += " " + "".join(rng.choice(syllables) for _ in range(2)).title()
        names.add(name)
    return [BrandEntry(f"b{i}", name) for i, name in enumerate(sorted(names))] + list(REGISTRY)


def test_a_thousand_brands_are_screened_well_within_fifty_milliseconds() -> None:
    # given a registry of a thousand brands and a product with five fields
    brands = _thousand_brands()
    description = (
        "Comfortable breathable lightweight running shoes for men and women, with a cushioned "
        "sole, durable rubber outsole and a knitted upper. Ideal for jogging, gym training and "
        "everyday wear. Machine washable, available in six colours and sizes 36 to 46. "
    ) * 2
    fields = {
        "title_en": "Adidaas running shoe, breathable mesh",
        "title_zh": "阿迪达斯 跑步鞋 透气",
        "brand": "Generic",
        "description_en": description,
        "description_zh": "舒适透气的跑步鞋，适合男女，耐磨橡胶大底。" * 3,
    }

    # when it is screened repeatedly (the first call also indexes the registry)
    timings = []
    for _ in range(7):
        started = time.perf_counter()
        matches = screen_brands(fields, brands)
        timings.append(time.perf_counter() - started)

    # then the look-alike and the alias are found, and a screening takes a few milliseconds
    assert [(m.brand_id, m.field, m.kind) for m in matches] == [
        ("b-adidas", "title_zh", "exact"),
        ("b-adidas", "title_en", "fuzzy"),
    ]
    assert timings[0] < 0.25
    assert statistics.median(timings[1:]) < 0.05
