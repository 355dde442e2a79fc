"""Domain errors: a type, a stable code and an HTTP status, raised in services.

Doors turn them into RFC 9457 problem+json (API), a flash message (console) or one plain
sentence and a non-zero exit (CLI). Each error can name the offending field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class ChuhaiError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://chuhai.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.field:
            body["field"] = self.field
        body.update(self.extra)
        return body


class ValidationFailed(ChuhaiError):
    status = 422
    code = "validation-failed"
    title = "Invalid input"

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        first = errors[0] if errors else FieldError("", "invalid input")
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors) or "invalid input"
        super().__init__(
            detail or summary,
            field=first.field or None,
            errors=[e.as_dict() for e in errors],
        )
        self.errors = errors

    @classmethod
    def one(cls, field: str, message: str) -> ValidationFailed:
        return cls([FieldError(field, message)])


class Unauthorized(ChuhaiError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(ChuhaiError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class NotFound(ChuhaiError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(ChuhaiError):
    status = 409
    code = "conflict"
    title = "Conflict"


class InvalidTransition(Conflict):
    code = "invalid-transition"
    title = "Action not allowed in the current state"

    def __init__(self, entity: str, current_state: str, action: str) -> None:
        super().__init__(
            f"cannot {action.replace('_', ' ')} a {entity} that is {current_state}",
            current_state=current_state,
            action=action,
        )


class OutOfStock(Conflict):
    code = "out-of-stock"
    title = "Out of stock"


class PaymentFailed(ChuhaiError):
    status = 402
    code = "payment-failed"
    title = "Payment not taken"
