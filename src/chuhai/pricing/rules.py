"""Duty, tax, import-regime and logistics rules as dated, sourced data, and the lookups that
turn them into the numbers one price needs.

Every rule has a kind, a scope (what it applies to), effective-from/to dates (inclusive) and
a source. Two rules of one kind and scope may not be in force on the same day. A price for a
date uses the rules in force that day. The US base tariff (MFN per HS6, from the USITC
database) ships as a file; rules in the database for the same scope take precedence.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

from chuhai.pricing.landed_cost import Haul, Regime

KINDS = ("duty", "regime", "tax", "category_tax", "rate_card", "last_mile")
DUTY_LAYERS = ("base", "preferential", "additional")
ROUTE_MODES = {
    "9610": ("express",),
    "9810": ("sea", "rail", "air"),
    "9710": ("sea", "rail", "air"),
    "first_mile": ("road",),
}


@dataclass(frozen=True)
class Rule:
    rule_id: str
    kind: str
    data: dict[str, Any]
    effective_from: date
    effective_to: date | None
    source: str

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    @property
    def scope(self) -> tuple[Any, ...]:
        return scope_of(self.kind, self.data)


def scope_of(kind: str, data: dict[str, Any]) -> tuple[Any, ...]:
    """What a rule applies to; two rules with one scope may not overlap in time."""
    keys = {
        "duty": ("tariff_area", "hs_prefix", "origin", "layer", "program"),
        "regime": ("destination", "origin"),
        "tax": ("country", "kind"),
        "category_tax": ("country", "category_prefix"),
        "rate_card": ("route", "mode", "origin", "destination"),
        "last_mile": ("market_code", "max_weight_g"),
    }[kind]
    return (kind, *(data.get(k) for k in keys))


def overlapping(rule: Rule, others: Iterable[Rule]) -> Rule | None:
    end = rule.effective_to or date.max
    for other in others:
        if other.rule_id == rule.rule_id or other.scope != rule.scope:
            continue
        if other.effective_from <= end and rule.effective_from <= (other.effective_to or date.max):
            return other
    return None


@lru_cache(maxsize=1)
def us_mfn_by_hs6() -> dict[str, int]:
    text = resources.files("chuhai.data").joinpath("pricing/us_mfn_hs6.csv").read_text()
    return {row["hs6"]: int(row["rate_bp"]) for row in csv.DictReader(text.splitlines())}


class RuleMissing(LookupError):
    """No rule answers the question; the message says which."""


@dataclass(frozen=True)
class DutyAnswer:
    rate_bp: int
    lines: tuple[str, ...]  # which rules made it up, for the breakdown


class RuleBook:
    """The rules in force on one day, with the lookups pricing needs."""

    def __init__(self, rules: Iterable[Rule], on: date, tariff_areas: dict[str, str]) -> None:
        self.on = on
        self.tariff_areas = tariff_areas
        self.by_kind: dict[str, list[Rule]] = {kind: [] for kind in KINDS}
        for rule in rules:
            if rule.in_force(on):
                self.by_kind[rule.kind].append(rule)

    def tariff_area(self, country: str) -> str:
        return self.tariff_areas.get(country, country)

    def duty(self, country: str, hs_code: str | None, origin: str) -> DutyAnswer:
        area = self.tariff_area(country)
        code = hs_code or ""
        layers = {
            layer: [
                r
                for r in self.by_kind["duty"]
                if r.data["tariff_area"] == area
                and r.data["layer"] == layer
                and code.startswith(r.data["hs_prefix"])
                and r.data["origin"] in ("*", origin)
            ]
            for layer in DUTY_LAYERS
        }
        base = _longest(layers["base"])
        base_bp, lines = None, []
        if base is not None:
            base_bp = base.data["rate_bp"]
            lines.append(
                f"{_pct(base_bp)} {area} base duty ({base.data['hs_prefix'] or 'default'})"
            )
        if area == "US" and len(code) >= 6 and (base is None or len(base.data["hs_prefix"]) < 6):
            mfn = us_mfn_by_hs6().get(code[:6])
            if mfn is not None:
                base_bp = mfn
                lines = [f"{_pct(mfn)} US MFN for HS {code[:6]} (USITC 2025)"]
        if base_bp is None:
            raise RuleMissing(f"no duty rate for HS {code or '(none)'} into {country} on {self.on}")
        preferential = _longest(layers["preferential"])
        if preferential is not None and preferential.data["rate_bp"] < base_bp:
            base_bp = preferential.data["rate_bp"]
            lines = [f"{_pct(base_bp)} preferential ({preferential.source.split(':')[0]})"]
        total = base_bp
        for extra in sorted(layers["additional"], key=lambda r: r.rule_id):
            total += extra.data["rate_bp"]
            label = extra.data.get("program") or "additional duty"
            lines.append(f"+{_pct(extra.data['rate_bp'])} {label}")
        return DutyAnswer(total, tuple(lines))

    def vat_bp(self, country: str, category_code: str) -> int:
        special = [
            r
            for r in self.by_kind["category_tax"]
            if r.data["country"] == country
            and _category_covers(r.data["category_prefix"], category_code)
        ]
        if special:
            chosen = max(special, key=lambda r: len(r.data["category_prefix"]))
            kind = chosen.data["kind"]
            if kind == "zero":
                return 0
        else:
            kind = "standard"
        for rule in self.by_kind["tax"]:
            if rule.data["country"] == country and rule.data["kind"] == kind:
                return int(rule.data["rate_bp"])
        raise RuleMissing(f"no {kind} VAT/GST rate for {country} on {self.on}")

    def regime(self, destination: str, origin: str) -> Rule:
        candidates = [
            r
            for r in self.by_kind["regime"]
            if r.data["destination"] == destination and r.data["origin"] in ("*", origin)
        ]
        if not candidates:
            raise RuleMissing(f"no import regime for {destination} on {self.on}")
        # a rule for this origin beats the general one
        return max(candidates, key=lambda r: (r.data["origin"] != "*", r.effective_from))

    def import_regime(
        self, destination: str, origin: str, hs_code: str | None, category_code: str
    ) -> tuple[Regime, DutyAnswer]:
        rule = self.regime(destination, origin)
        data = rule.data
        duty = self.duty(destination, hs_code, origin)
        thresholds = [
            data.get(k)
            for k in ("vat_at_sale_threshold", "duty_free_threshold", "tax_free_threshold")
        ]
        present = [t for t in thresholds if t is not None]
        return Regime(
            duty_bp=duty.rate_bp,
            vat_bp=self.vat_bp(destination, category_code),
            low_value_threshold=max(present) if present else None,
            duty_relief=data.get("duty_free_threshold") is not None,
            flat_duty_per_item=int(data.get("flat_duty_per_subheading") or 0),
            vat_at_sale=data.get("vat_at_sale_threshold") is not None,
            tax_free=data.get("tax_free_threshold") is not None,
            cif=data["valuation"] == "CIF",
            vat_base_adds_freight=bool(data.get("vat_base_adds_freight")),
        ), duty

    def rate_card(self, route: str, destination: str, mode: str | None = None) -> Rule:
        modes = (mode,) if mode else ROUTE_MODES[route]
        for wanted in modes:
            for rule in self.by_kind["rate_card"]:
                data = rule.data
                if (
                    data["route"] == route
                    and data["mode"] == wanted
                    and data["destination"] in ("*", destination)
                ):
                    return rule
        raise RuleMissing(f"no {route} rate card to {destination} on {self.on}")

    def haul(self, route: str, destination: str, mode: str | None = None) -> Haul:
        data = self.rate_card(route, destination, mode).data
        return Haul(
            basis=data["basis"],
            rate_fen=int(data["rate"]),
            per_shipment_fen=int(data["per_shipment"]),
            shipment_units=int(data["shipment_units"]),
            volumetric_divisor=data.get("volumetric_divisor"),
        )

    def last_mile(self, market_code: str, weight_g: int) -> int:
        bands = sorted(
            (r for r in self.by_kind["last_mile"] if r.data["market_code"] == market_code),
            key=lambda r: r.data["max_weight_g"],
        )
        for band in bands:
            if weight_g <= band.data["max_weight_g"]:
                return int(band.data["price"])
        raise RuleMissing(f"no last-mile band for {weight_g} g in {market_code} on {self.on}")


def _longest(rules: list[Rule]) -> Rule | None:
    return max(rules, key=lambda r: len(r.data["hs_prefix"]), default=None)


def _category_covers(prefix: str, code: str) -> bool:
    return code == prefix or code.startswith(prefix + ".")


def _pct(bp: int) -> str:
    return f"{bp / 100:g}%"


# --- the packaged rule files ----------------------------------------------------------------


def rule_id(kind: str, data: dict[str, Any], effective_from: date) -> str:
    """A readable id, unique because rules of one scope never overlap in time."""
    scope = "|".join("*" if part is None else str(part) for part in scope_of(kind, data)[1:])
    return f"{kind}:{scope}:{effective_from.isoformat()}"


def _rule(kind: str, item: dict[str, Any], source: str | None = None) -> Rule:
    data = {k: v for k, v in item.items() if k not in ("effective_from", "effective_to", "source")}
    start = date.fromisoformat(item["effective_from"])
    end = date.fromisoformat(item["effective_to"]) if item.get("effective_to") else None
    return Rule(
        rule_id(kind, data, start), kind, data, start, end, item.get("source") or source or ""
    )


def _json(name: str) -> Any:
    import json

    return json.loads(resources.files("chuhai.data").joinpath(f"pricing/{name}").read_text("utf-8"))


@lru_cache(maxsize=1)
def packaged_rules() -> tuple[tuple[Rule, ...], dict[str, str]]:
    """Every rule shipped in src/chuhai/data/pricing, and the tariff areas (DE, FR → EU)."""
    imports, logistics, vat = (
        _json("import_rules.json"),
        _json("logistics.json"),
        _json("vat_rates.json"),
    )
    rules: list[Rule] = []
    rules += [_rule("duty", item) for item in imports["duty_rates"]]
    rules += [_rule("regime", item) for item in imports["import_regimes"]]
    rules += [_rule("tax", item) for item in imports["tax_rates"]]
    rules += [_rule("category_tax", item) for item in imports["category_rates"]]
    rules += [_rule("tax", item, vat["source"]) for item in vat["rates"]]
    rules += [_rule("rate_card", item) for item in logistics["rate_cards"]]
    rules += [_rule("last_mile", item) for item in logistics["last_mile_bands"]]
    return tuple(rules), dict(imports["tariff_areas"])


def packaged_market_pricing() -> list[dict[str, Any]]:
    return list(_json("market_pricing.json")["markets"])
