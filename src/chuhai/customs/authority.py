"""The customs authority a declaration is filed with: an adapter interface, and the sandbox.

`CustomsAuthority` is what the platform needs from a single-window connection: file a
declaration, get an answer (cleared, held for inspection, or rejected with reasons, each
naming a field). `SandboxCustoms` is a faithful stand-in, not a stub: it trusts nothing the
platform checked and applies the same rules (`declarations.declaration_errors`: three-document
matching, HS codes that exist, values that add up, mode particulars), then its own risk
profile as data (`data/customs/sandbox_authority.json`): holds for inspection and refusals.
It is deterministic: the same filing gets the same answer and the same reference.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any, Protocol

from chuhai.core.money import Money
from chuhai.customs.declarations import (
    Declaration,
    HsKnown,
    Kind,
    declaration_errors,
    match_three_documents,
)


@dataclass(frozen=True)
class Submission:
    """One filing of a declaration. `response_to_hold` is the declarant's answer when it files
    again after a hold (the inspection's outcome, the documents supplied)."""

    declaration: Declaration
    attempt: int
    submitted_at: datetime
    response_to_hold: str = ""


@dataclass(frozen=True)
class Reason:
    field: str
    code: str  # three-document-mismatch | rule | refused | inspection
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class AuthorityAnswer:
    authority: str
    outcome: str  # cleared | held | rejected
    reference: str  # the authority's number for the declaration
    answered_at: datetime
    reasons: tuple[Reason, ...] = field(default_factory=tuple)


class CustomsAuthority(Protocol):
    """A connection to a customs authority (the sandbox, or a single-window adapter)."""

    name: str

    def submit(self, submission: Submission) -> AuthorityAnswer: ...


@dataclass(frozen=True)
class PrefixRule:
    hs_prefix: str
    reason: str


@dataclass(frozen=True)
class SandboxRules:
    value_hold_kinds: frozenset[str]
    value_thresholds: dict[str, str]  # currency -> decimal string in major units
    value_hold_reason: str
    hs_holds: tuple[PrefixRule, ...]
    refused: tuple[PrefixRule, ...]

    def threshold_minor(self, currency: str) -> int | None:
        text = self.value_thresholds.get(currency)
        return None if text is None else Money.parse(text, currency).amount_minor


@cache
def _raw_rules() -> dict[str, Any]:
    path = resources.files("chuhai.data") / "customs" / "sandbox_authority.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def packaged_sandbox_rules() -> SandboxRules:
    raw = _raw_rules()
    holds = raw["value_holds"]
    return SandboxRules(
        value_hold_kinds=frozenset(holds["kinds"]),
        value_thresholds=dict(holds["thresholds"]),
        value_hold_reason=holds["reason"],
        hs_holds=tuple(PrefixRule(r["hs_prefix"], r["reason"]) for r in raw["hs_holds"]),
        refused=tuple(PrefixRule(r["hs_prefix"], r["reason"]) for r in raw["refused"]),
    )


def customs_reference(port_of_exit: str, number: str, at: datetime) -> str:
    """An 18-digit customs number as China's are shaped: district (4), year (4), 0 for an
    export (1), then 9 digits (here drawn from the platform's number, so stable)."""
    digits = int(hashlib.sha256(number.encode()).hexdigest(), 16) % 1_000_000_000
    port = port_of_exit if len(port_of_exit) == 4 and port_of_exit.isdigit() else "0000"
    return f"{port}{at.year:04d}0{digits:09d}"


class SandboxCustoms:
    """Answers like the authority: rejected for any broken rule or refused goods, held for
    inspection by its risk profile (until answered), cleared otherwise."""

    name = "sandbox"

    def __init__(self, hs_known: HsKnown, rules: SandboxRules | None = None) -> None:
        self.hs_known = hs_known
        self.rules = rules or packaged_sandbox_rules()

    def submit(self, submission: Submission) -> AuthorityAnswer:
        d = submission.declaration
        reference = customs_reference(d.port_of_exit, d.number, submission.submitted_at)

        def answer(outcome: str, reasons: list[Reason]) -> AuthorityAnswer:
            return AuthorityAnswer(
                self.name, outcome, reference, submission.submitted_at, tuple(reasons)
            )

        rejections = self.rejections(d)
        if rejections:
            return answer("rejected", rejections)
        holds = self.holds(d)
        if holds and not submission.response_to_hold.strip():
            return answer("held", holds)
        return answer("cleared", [])

    def rejections(self, d: Declaration) -> list[Reason]:
        mismatched = {m.field for m in match_three_documents(d)}
        reasons = [
            Reason(
                e.field, "three-document-mismatch" if e.field in mismatched else "rule", e.message
            )
            for e in declaration_errors(d, self.hs_known)
        ]
        for index, line in enumerate(d.lines):
            for rule in self.rules.refused:
                if line.hs_code.startswith(rule.hs_prefix):
                    reasons.append(Reason(f"lines[{index}].hs_code", "refused", rule.reason))
        return reasons

    def holds(self, d: Declaration) -> list[Reason]:
        reasons = []
        threshold = self.rules.threshold_minor(d.currency)
        if (
            d.kind in self.rules.value_hold_kinds
            and threshold is not None
            and d.total_value_minor > threshold
        ):
            limit = Money(threshold, d.currency)
            reasons.append(
                Reason(
                    "total_value",
                    "inspection",
                    f"{self.rules.value_hold_reason} ({Money(d.total_value_minor, d.currency)} "
                    f"> {limit})",
                )
            )
        if d.kind != Kind.CONSOLIDATED:  # the parcels were inspected when they were cleared
            for index, line in enumerate(d.lines):
                for rule in self.rules.hs_holds:
                    if line.hs_code.startswith(rule.hs_prefix):
                        reasons.append(Reason(f"lines[{index}].hs_code", "inspection", rule.reason))
        return reasons
