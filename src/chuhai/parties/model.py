"""Rules about parties that need no database: who a supplier is and whether its papers hold.

A supplier's unified social credit code (统一社会信用代码) is 18 characters whose last is a
check character computed over the first 17 (GB 32100-2015); python-stdnum implements it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

from chuhai.core.errors import FieldError

SUPPLIER_STATUSES = ("pending", "verified", "suspended")
_ACCOUNT_NUMBER = re.compile(r"^\d{8,30}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")


def credit_code_error(code: str) -> str | None:
    """Why a unified social credit code is invalid, or None when it is valid."""
    try:
        uscc.validate(code)
    except InvalidLength:
        return "must be 18 characters"
    except InvalidChecksum:
        return "check character does not match (GB 32100-2015)"
    except InvalidFormat:
        return "contains characters a unified social credit code cannot have"
    except ValidationError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class SupplierProfile:
    """What a factory declares when it onboards."""

    code: str
    legal_name: str
    credit_code: str
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str
    export_qualification: str
    bank_name: str
    bank_account_name: str
    bank_account_number: str
    legal_name_en: str = ""
    province: str = ""
    city: str = ""
    cluster: str = ""

    def errors(self) -> list[FieldError]:
        found: list[FieldError] = []
        if not _CODE.match(self.code):
            found.append(FieldError("code", "2-32 upper-case letters, digits or dashes"))
        for name in (
            "legal_name",
            "address",
            "contact_name",
            "contact_phone",
            "export_qualification",
            "bank_name",
            "bank_account_name",
        ):
            if not getattr(self, name).strip():
                found.append(FieldError(name, "is required"))
        problem = credit_code_error(self.credit_code)
        if problem:
            found.append(FieldError("credit_code", problem))
        if not _EMAIL.match(self.contact_email):
            found.append(FieldError("contact_email", "is not an e-mail address"))
        if not _ACCOUNT_NUMBER.match(self.bank_account_number):
            found.append(FieldError("bank_account_number", "must be 8-30 digits (a CNY account)"))
        return found


def username_error(username: str) -> str | None:
    if not _USERNAME.match(username):
        return "3-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
    return None


def password_error(password: str) -> str | None:
    if len(password) < 8:
        return "must be at least 8 characters"
    return None
