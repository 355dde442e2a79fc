"""Compliance rules as data, checked against a product's category, markets and certificates."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from importlib import resources

from chuhai.catalog.compliance import (
    Certificate,
    ComplianceFinding,
    ComplianceRule,
    evaluate_compliance,
    load_packaged_rules,
    overlapping,
    rules_in_force,
)

TODAY = date(2025, 6, 1)

CE_DE = ComplianceRule(
    rule_id="DE-CE-ELECTRONICS",
    market_code="DE",
    category_prefix="electronics",
    kind="certificate",
    certificate_type="CE",
    description="Electrical equipment needs CE marking.",
    source="Directive 2014/35/EU",
    effective_from=date(1997, 1, 1),
    effective_to=None,
)
UKCA_GB = replace(
    CE_DE,
    rule_id="GB-UKCA-ELECTRONICS",
    market_code="GB",
    certificate_type="UKCA",
    source="SI 2016/1101",
    effective_from=date(2021, 1, 1),
)
NO_WEAPONS = ComplianceRule(
    rule_id="ALL-PROHIBITED-WEAPONS",
    market_code="*",
    category_prefix="weapons",
    kind="prohibited",
    certificate_type=None,
    description="The platform does not take weapons into full custody.",
    source="Platform policy",
    effective_from=date(2000, 1, 1),
    effective_to=None,
)
RULES = [UKCA_GB, CE_DE, NO_WEAPONS]


def cert(cert_type: str, number: str, issued: date, expires: date | None) -> Certificate:
    return Certificate(cert_type, number, issued, expires)


def test_a_valid_ce_certificate_gives_a_non_blocking_finding_naming_it() -> None:
    # given headphones for Germany with a CE certificate valid today
    ce = cert("CE", "CE-2024-0042", date(2024, 1, 10), date(2027, 1, 9))

    # when compliance is evaluated
    findings = evaluate_compliance("electronics.audio", ["DE"], RULES, [ce], TODAY)

    # then the check is shown as done, naming the certificate and its expiry
    assert findings == [
        ComplianceFinding(
            market_code="DE",
            rule_id="DE-CE-ELECTRONICS",
            blocking=False,
            message=(
                "Rule DE-CE-ELECTRONICS needs CE certification in DE: "
                "met by certificate CE-2024-0042, valid until 2027-01-09."
            ),
            certificate_type="CE",
        )
    ]


def test_a_certificate_without_expiry_is_valid_for_good() -> None:
    ce = cert("ce", "CE-7", date(2020, 1, 1), None)  # the type is matched case-insensitively

    [finding] = evaluate_compliance("electronics", ["DE"], RULES, [ce], TODAY)

    assert not finding.blocking
    assert finding.message.endswith("met by certificate CE-7, with no expiry.")


def test_an_expired_ce_certificate_blocks_and_names_the_expiry() -> None:
    expired = cert("CE", "CE-2019-0007", date(2019, 3, 1), date(2025, 5, 31))

    [finding] = evaluate_compliance("electronics.audio", ["DE"], RULES, [expired], TODAY)

    assert finding.blocking
    assert finding.message == (
        "Rule DE-CE-ELECTRONICS needs CE certification in DE: "
        "certificate CE-2019-0007 expired on 2025-05-31."
    )


def test_a_certificate_is_still_valid_on_its_expiry_day() -> None:
    last_day = cert("CE", "CE-1", date(2020, 1, 1), TODAY)

    [finding] = evaluate_compliance("electronics", ["DE"], RULES, [last_day], TODAY)

    assert not finding.blocking


def test_a_certificate_not_yet_issued_does_not_count() -> None:
    future = cert("CE", "CE-NEXT", date(2025, 7, 1), date(2028, 6, 30))

    [finding] = evaluate_compliance("electronics", ["DE"], RULES, [future], TODAY)

    assert finding.blocking
    assert finding.message.endswith("certificate CE-NEXT is only issued on 2025-07-01.")


def test_one_valid_certificate_among_expired_ones_meets_the_rule() -> None:
    held = [
        cert("CE", "CE-OLD", date(2015, 1, 1), date(2020, 1, 1)),
        cert("CE", "CE-NEW", date(2024, 1, 1), date(2029, 1, 1)),
        cert("CE", "CE-MID", date(2023, 1, 1), date(2026, 1, 1)),
    ]

    [finding] = evaluate_compliance("electronics", ["DE"], RULES, held, TODAY)

    assert not finding.blocking
    assert "met by certificate CE-NEW, valid until 2029-01-01" in finding.message


def test_a_missing_ukca_certificate_blocks_in_gb() -> None:
    # given a CE certificate only, for a product sold in Germany and Great Britain
    ce = cert("CE", "CE-1", date(2024, 1, 1), None)

    findings = evaluate_compliance("electronics.chargers", ["GB", "DE"], RULES, [ce], TODAY)

    # then Germany passes and Great Britain blocks for want of UKCA
    assert [(f.market_code, f.rule_id, f.blocking) for f in findings] == [
        ("DE", "DE-CE-ELECTRONICS", False),
        ("GB", "GB-UKCA-ELECTRONICS", True),
    ]
    assert findings[1].message == (
        "Rule GB-UKCA-ELECTRONICS needs UKCA certification in GB: "
        "no UKCA certificate has been uploaded."
    )
    assert findings[1].certificate_type == "UKCA"


def test_a_rule_not_yet_in_force_is_ignored() -> None:
    assert evaluate_compliance("electronics", ["GB"], RULES, [], date(2020, 12, 31)) == []
    assert len(evaluate_compliance("electronics", ["GB"], RULES, [], date(2021, 1, 1))) == 1


def test_a_rule_stops_after_its_inclusive_end() -> None:
    ended = replace(CE_DE, effective_to=date(2025, 5, 31))

    assert len(evaluate_compliance("electronics", ["DE"], [ended], [], date(2025, 5, 31))) == 1
    assert evaluate_compliance("electronics", ["DE"], [ended], [], TODAY) == []


def test_knives_are_prohibited_in_every_market() -> None:
    # even with certificates in hand
    ce = cert("CE", "CE-1", date(2024, 1, 1), None)

    findings = evaluate_compliance("weapons.knives", ["US", "DE", "JP"], RULES, [ce], TODAY)

    assert [(f.market_code, f.rule_id, f.blocking) for f in findings] == [
        ("DE", "ALL-PROHIBITED-WEAPONS", True),
        ("JP", "ALL-PROHIBITED-WEAPONS", True),
        ("US", "ALL-PROHIBITED-WEAPONS", True),
    ]
    assert findings[0].message == (
        "Rule ALL-PROHIBITED-WEAPONS prohibits weapons.knives products in DE: "
        "The platform does not take weapons into full custody."
    )
    assert findings[0].certificate_type is None


def test_a_category_prefix_matches_whole_segments_only() -> None:
    # given a rule on "toy" (not "toys")
    toy = replace(CE_DE, rule_id="DE-CE-TOY", category_prefix="toy")

    # then it covers "toy" and "toy.robot" but neither "toys" nor "toys.plush"
    for covered in ("toy", "toy.robot"):
        assert [f.rule_id for f in evaluate_compliance(covered, ["DE"], [toy], [], TODAY)] == [
            "DE-CE-TOY"
        ]
    for other in ("toys", "toys.plush", "electronics"):
        assert evaluate_compliance(other, ["DE"], [toy], [], TODAY) == []


def test_a_category_outside_every_rule_and_no_markets_give_no_findings() -> None:
    assert evaluate_compliance("apparel.women", ["DE", "GB"], RULES, [], TODAY) == []
    assert evaluate_compliance("electronics", [], RULES, [], TODAY) == []


def test_findings_are_ordered_by_market_then_rule_and_markets_counted_once() -> None:
    second_de = replace(CE_DE, rule_id="DE-A-FIRST", certificate_type="WEEE")

    findings = evaluate_compliance(
        "electronics", ["GB", "DE", "DE"], [*RULES, second_de], [], TODAY
    )

    assert [(f.market_code, f.rule_id) for f in findings] == [
        ("DE", "DE-A-FIRST"),
        ("DE", "DE-CE-ELECTRONICS"),
        ("GB", "GB-UKCA-ELECTRONICS"),
    ]


def test_rules_in_force_keeps_the_given_order() -> None:
    ended = replace(CE_DE, rule_id="OLD", effective_to=date(2020, 12, 31))

    assert rules_in_force([UKCA_GB, ended, NO_WEAPONS], TODAY) == [UKCA_GB, NO_WEAPONS]
    assert rules_in_force([UKCA_GB, ended], date(2020, 6, 1)) == [ended]


def test_rules_with_the_same_subject_and_shared_days_overlap() -> None:
    # given the CE rule and a successor that starts on the day the first one ends
    first = replace(CE_DE, rule_id="CE-1", effective_to=date(2024, 12, 31))
    touching = replace(CE_DE, rule_id="CE-2", effective_from=date(2024, 12, 31))
    following = replace(CE_DE, rule_id="CE-3", effective_from=date(2025, 1, 1))

    # then the one sharing a day overlaps; the one starting the day after does not
    assert overlapping(first, [first, touching]) == touching
    assert overlapping(first, [first, following]) is None
    # an open-ended rule overlaps everything later of the same subject
    assert overlapping(CE_DE, [following]) == following


def test_rules_differing_in_subject_never_overlap() -> None:
    others = [
        replace(CE_DE, rule_id="X1", market_code="FR"),
        replace(CE_DE, rule_id="X2", category_prefix="electronics.audio"),
        replace(CE_DE, rule_id="X3", certificate_type="UKCA"),
        replace(CE_DE, rule_id="X4", kind="prohibited", certificate_type=None),
        CE_DE,  # the rule itself
    ]

    assert overlapping(CE_DE, others) is None


# --- the packaged rules ---------------------------------------------------------------------


def _packaged_codes(name: str, key: str) -> set[str]:
    data = json.loads(resources.files("chuhai.data").joinpath(name).read_text("utf-8"))
    return {item["code"] for item in data[key]}


def test_every_packaged_rule_is_well_formed() -> None:
    rules = load_packaged_rules()
    categories = _packaged_codes("categories.json", "categories")
    markets = _packaged_codes("markets.json", "markets")

    assert 25 <= len(rules) <= 35
    assert len({rule.rule_id for rule in rules}) == len(rules)
    for rule in rules:
        assert rule.problems() == []
        assert rule.kind in ("prohibited", "certificate")
        assert (rule.kind == "certificate") == (rule.certificate_type is not None), rule.rule_id
        assert rule.market_code == "*" or rule.market_code in markets, rule.rule_id
        assert rule.category_prefix in categories, rule.rule_id
        assert rule.description.endswith("."), rule.rule_id
        assert rule.source.strip(), rule.rule_id
        assert overlapping(rule, rules) is None, rule.rule_id


def test_the_packaged_rules_ask_for_the_expected_certificates() -> None:
    rules = load_packaged_rules()

    def needed(category: str, market: str) -> list[str]:
        findings = evaluate_compliance(category, [market], rules, [], TODAY)
        return sorted(f.certificate_type or "prohibited" for f in findings)

    assert needed("electronics.audio", "DE") == ["CE"]
    assert needed("electronics.audio", "FR") == ["CE"]
    assert needed("electronics.lighting", "GB") == ["UKCA"]
    assert needed("electronics.radio", "US") == ["FCC"]
    assert needed("electronics.audio", "US") == []
    assert needed("electronics.chargers", "JP") == ["PSE"]
    assert needed("home.appliances", "JP") == ["PSE"]
    assert needed("electronics", "AU") == ["RCM"]
    assert needed("electronics", "CN") == ["CCC"]
    assert needed("toys.plush", "US") == ["CPC"]
    assert needed("baby", "US") == ["CPC"]
    assert needed("toys.educational", "DE") == ["CE"]
    assert needed("toys", "GB") == ["UKCA"]
    assert needed("weapons.knives", "FR") == ["prohibited"]
    assert needed("medical", "US") == ["prohibited"]
    assert needed("tobacco.vapes", "JP") == ["prohibited"]
    assert needed("tobacco.vapes", "US") == []


def test_the_packaged_vape_rules_follow_australias_dates() -> None:
    rules = load_packaged_rules()

    def rule_ids(on: date) -> list[str]:
        return [f.rule_id for f in evaluate_compliance("tobacco.vapes", ["AU"], rules, [], on)]

    assert rule_ids(date(2023, 12, 31)) == []
    assert rule_ids(date(2024, 1, 1)) == ["AU-PROHIBITED-VAPES-IMPORT"]
    assert rule_ids(date(2024, 6, 30)) == ["AU-PROHIBITED-VAPES-IMPORT"]
    assert rule_ids(date(2024, 7, 1)) == ["AU-PROHIBITED-VAPES-SUPPLY"]
