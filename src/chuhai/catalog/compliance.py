"""Compliance rules as data: which markets prohibit a category outright and which certificates
a category needs before it may be sold there, checked against the certificates a supplier
uploaded.

Invariants:

- a rule applies to a category when its prefix is the category or a whole-segment ancestor of
  it ("electronics" covers "electronics.audio"; "toy" does not cover "toys.plush");
- a rule applies to a market when its market code is that market or "*" (every market);
- a rule counts only while in force: effective_from <= on <= effective_to (inclusive end;
  None is open-ended);
- a certificate is valid on a day when issued_on <= on and it has not expired (expires_on is
  None or on <= expires_on);
- every applicable rule yields exactly one finding, so the reviewer sees each check: prohibited
  and unmet certificate rules block, a met certificate rule names the certificate that met it;
- findings come in a fixed order: market, then rule id.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

PROHIBITED = "prohibited"
CERTIFICATE = "certificate"
KINDS = (PROHIBITED, CERTIFICATE)
EVERY_MARKET = "*"

_MARKET = re.compile(r"^(\*|[A-Z][A-Z0-9]{1,7})$")
_CATEGORY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")


@dataclass(frozen=True)
class ComplianceRule:
    rule_id: str
    market_code: str  # "US", "DE", ... or "*" for every market
    category_prefix: str  # dotted category code prefix, matched by whole segments
    kind: str  # "prohibited" | "certificate"
    certificate_type: str | None  # "CE", "UKCA", "FCC", "CPC", ... when kind == "certificate"
    description: str
    source: str
    effective_from: date
    effective_to: date | None  # inclusive end; None = open-ended

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def covers_category(self, category_code: str) -> bool:
        prefix = self.category_prefix
        return category_code == prefix or category_code.startswith(prefix + ".")

    def covers_market(self, market_code: str) -> bool:
        return self.market_code in (EVERY_MARKET, market_code)

    def problems(self) -> list[str]:
        """What makes this rule unusable; empty when it is well-formed."""
        found: list[str] = []
        if not self.rule_id.strip():
            found.append("a rule needs an id")
        if not _MARKET.match(self.market_code):
            found.append(f"market {self.market_code!r} is neither a market code nor '*'")
        if not _CATEGORY.match(self.category_prefix):
            found.append(f"category prefix {self.category_prefix!r} is not a dotted code")
        if self.kind not in KINDS:
            found.append(f"kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if (self.kind == CERTIFICATE) != bool(self.certificate_type):
            found.append("a certificate type is given exactly when the kind is certificate")
        if not self.description.strip() or not self.source.strip():
            found.append("a rule needs a description and a source")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            found.append("effective_to is before effective_from")
        return [f"{self.rule_id}: {problem}" for problem in found]


@dataclass(frozen=True)
class Certificate:
    cert_type: str
    number: str
    issued_on: date
    expires_on: date | None

    def valid_on(self, on: date) -> bool:
        return self.issued_on <= on and (self.expires_on is None or on <= self.expires_on)


@dataclass(frozen=True)
class ComplianceFinding:
    market_code: str
    rule_id: str
    blocking: bool
    message: str  # one sentence for the reviewer: the rule, the market, what is missing
    certificate_type: str | None = None


def rules_in_force(rules: Iterable[ComplianceRule], on: date) -> list[ComplianceRule]:
    """The rules in force on a day, in the order given."""
    return [rule for rule in rules if rule.in_force(on)]


def overlapping(rule: ComplianceRule, others: Iterable[ComplianceRule]) -> ComplianceRule | None:
    """Another rule (a different id) for the same market, category prefix, kind and certificate
    type whose dates share at least one day with this one's; None when there is none."""
    for other in others:
        same_subject = (
            other.rule_id != rule.rule_id
            and other.market_code == rule.market_code
            and other.category_prefix == rule.category_prefix
            and other.kind == rule.kind
            and other.certificate_type == rule.certificate_type
        )
        if same_subject and _dates_overlap(rule, other):
            return other
    return None


def _dates_overlap(a: ComplianceRule, b: ComplianceRule) -> bool:
    a_ends, b_ends = a.effective_to or date.max, b.effective_to or date.max
    return a.effective_from <= b_ends and b.effective_from <= a_ends


def evaluate_compliance(
    category_code: str,
    market_codes: Iterable[str],
    rules: Iterable[ComplianceRule],
    certificates: Iterable[Certificate],
    on: date,
) -> list[ComplianceFinding]:
    """One finding per rule in force for the category in each market, ordered by market and
    rule id; a finding blocks when the category is prohibited there or a needed certificate is
    missing, expired or not yet issued."""
    in_force = [rule for rule in rules_in_force(rules, on) if rule.covers_category(category_code)]
    held = list(certificates)
    findings: list[ComplianceFinding] = []
    for market in sorted(set(market_codes)):
        for rule in sorted(in_force, key=lambda r: r.rule_id):
            if not rule.covers_market(market):
                continue
            if rule.kind == PROHIBITED:
                findings.append(_prohibited(rule, market, category_code))
            else:
                findings.append(_certificate_check(rule, market, held, on))
    return findings


def _prohibited(rule: ComplianceRule, market: str, category_code: str) -> ComplianceFinding:
    message = (
        f"Rule {rule.rule_id} prohibits {category_code} products in {market}: "
        f"{_sentence_part(rule.description)}."
    )
    return ComplianceFinding(market, rule.rule_id, True, message)


def _certificate_check(
    rule: ComplianceRule, market: str, held: list[Certificate], on: date
) -> ComplianceFinding:
    wanted = _cert_key(rule.certificate_type or "")
    of_type = [cert for cert in held if _cert_key(cert.cert_type) == wanted]
    needs = f"Rule {rule.rule_id} needs {rule.certificate_type} certification in {market}"
    valid = [cert for cert in of_type if cert.valid_on(on)]
    if valid:
        best = max(valid, key=lambda c: (c.expires_on or date.max, c.issued_on, c.number))
        until = f"valid until {best.expires_on}" if best.expires_on else "with no expiry"
        message = f"{needs}: met by certificate {best.number}, {until}."
        return ComplianceFinding(market, rule.rule_id, False, message, rule.certificate_type)
    message = f"{needs}: {_why_none_valid(of_type, on, rule.certificate_type or '')}."
    return ComplianceFinding(market, rule.rule_id, True, message, rule.certificate_type)


def _why_none_valid(of_type: list[Certificate], on: date, cert_type: str) -> str:
    if not of_type:
        return f"no {cert_type} certificate has been uploaded"
    expired = [c for c in of_type if c.expires_on is not None and c.expires_on < on]
    if expired:
        last = max(expired, key=lambda c: (c.expires_on or date.min, c.number))
        return f"certificate {last.number} expired on {last.expires_on}"
    first = min(of_type, key=lambda c: (c.issued_on, c.number))
    return f"certificate {first.number} is only issued on {first.issued_on}"


def _cert_key(cert_type: str) -> str:
    return cert_type.strip().upper()


def _sentence_part(text: str) -> str:
    return text.strip().rstrip(".")


# --- packaged rules --------------------------------------------------------------------------


def rule_from_dict(item: dict[str, Any]) -> ComplianceRule:
    """A rule from its data form: ``id`` for the rule id, ISO dates as strings."""
    effective_to = item.get("effective_to")
    return ComplianceRule(
        rule_id=item["id"],
        market_code=item["market_code"],
        category_prefix=item["category_prefix"],
        kind=item["kind"],
        certificate_type=item.get("certificate_type"),
        description=item["description"],
        source=item["source"],
        effective_from=date.fromisoformat(item["effective_from"]),
        effective_to=date.fromisoformat(effective_to) if effective_to else None,
    )


def load_packaged_rules() -> list[ComplianceRule]:
    """The rules shipped in chuhai/data/compliance_rules.json; raises ValueError when one is
    malformed or two overlap, so a bad data file fails loudly rather than passing products."""
    text = resources.files("chuhai.data").joinpath("compliance_rules.json").read_text("utf-8")
    rules = [rule_from_dict(item) for item in json.loads(text)["rules"]]
    problems = [problem for rule in rules for problem in rule.problems()]
    uses = Counter(rule.rule_id for rule in rules)
    problems += [f"{rule_id}: the id is used {n} times" for rule_id, n in uses.items() if n > 1]
    for rule in rules:
        if (other := overlapping(rule, rules)) is not None:
            problems.append(f"{rule.rule_id}: overlaps {other.rule_id}")
    if problems:
        raise ValueError("; ".join(problems))
    return rules
