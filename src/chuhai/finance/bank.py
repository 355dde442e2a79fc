"""Paying suppliers: the `BankPayments` interface and a sandbox bank that behaves like one.

A bank takes a payment instruction under an idempotency key (the same key gives the same
answer, never a second payment), accepts or refuses it, and later confirms it by its
reference. The sandbox keeps no state: its reference is derived from the key, so a restart
or a second worker answers the same. Its rules:

- only CNY, more than zero fen;
- a mainland account number is 12 to 25 digits (spaces are ignored); anything else is
  refused as "not a CNY account number";
- an account number ending in 000 is refused as closed (a rule to test refusals with);
- an accepted payment is confirmed the first time it is asked about.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol

ACCOUNT_NUMBER = re.compile(r"^\d{12,25}$")
CLOSED_SUFFIX = "000"


@dataclass(frozen=True)
class PaymentInstruction:
    key: str  # idempotency key: one payment per key, however often it is sent
    amount: int  # fen
    currency: str
    bank_name: str
    account_name: str
    account_number: str
    memo: str = ""


@dataclass(frozen=True)
class BankAnswer:
    accepted: bool
    reference: str | None = None
    refusal: str = ""


class BankPayments(Protocol):
    def submit(self, payment: PaymentInstruction) -> BankAnswer: ...

    def confirmed(self, reference: str) -> bool: ...


def normalized_account(number: str) -> str:
    return re.sub(r"\s+", "", number)


def account_problem(number: str) -> str | None:
    """Why a bank would not take this account number; None if it looks right."""
    if not ACCOUNT_NUMBER.match(normalized_account(number)):
        return "not a CNY account number (12 to 25 digits)"
    return None


class SandboxBank:
    """A bank for development and tests; see the module's rules."""

    prefix = "SBX"

    def submit(self, payment: PaymentInstruction) -> BankAnswer:
        if payment.currency != "CNY":
            return BankAnswer(False, refusal=f"this bank pays CNY only, not {payment.currency}")
        if payment.amount <= 0:
            return BankAnswer(False, refusal="the amount must be more than zero")
        if not payment.account_name.strip():
            return BankAnswer(False, refusal="the account holder's name is missing")
        if problem := account_problem(payment.account_number):
            return BankAnswer(False, refusal=problem)
        if normalized_account(payment.account_number).endswith(CLOSED_SUFFIX):
            return BankAnswer(False, refusal="the account is closed")
        return BankAnswer(True, reference=self.reference_for(payment.key))

    def confirmed(self, reference: str) -> bool:
        return reference.startswith(self.prefix)

    def reference_for(self, key: str) -> str:
        return self.prefix + hashlib.sha256(key.encode()).hexdigest()[:20].upper()


SANDBOX = SandboxBank()
