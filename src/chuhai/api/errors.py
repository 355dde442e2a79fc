"""RFC 9457 problem+json at the HTTP edge: domain errors, request validation, conflicts."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from chuhai.core.errors import ChuhaiError, Conflict, FieldError, NotFound, ValidationFailed

PROBLEM_JSON = "application/problem+json"


def problem_response(error: ChuhaiError, request: Request | None = None) -> JSONResponse:
    body = error.problem()
    if request is not None:
        body["instance"] = request.url.path
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM_JSON, headers=headers)


def _field_of(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "body"


def answer(request: Request, error: ChuhaiError) -> Response:
    """problem+json for the API; the console's own error page for console paths."""
    console_page = getattr(request.app.state, "console_error_page", None)
    if console_page is not None and not request.url.path.startswith("/api/"):
        return console_page(request, error)  # type: ignore[no-any-return]
    return problem_response(error, request)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ChuhaiError)
    async def domain_error(request: Request, exc: ChuhaiError) -> Response:
        return answer(request, exc)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            FieldError(_field_of(tuple(e.get("loc", ()))), str(e.get("msg", "invalid")))
            for e in exc.errors()
        ]
        return answer(request, ValidationFailed(errors))

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, exc: StaleDataError) -> Response:
        return problem_response(
            Conflict("someone else changed this record at the same time; reload and try again"),
            request,
        )

    @app.exception_handler(DataError)
    async def bad_data(request: Request, exc: DataError) -> Response:
        # a safety net: services check lengths and ranges, the database has the last word
        return answer(
            request,
            ValidationFailed(
                [FieldError("body", "a value does not fit its field (too long or out of range)")]
            ),
        )

    @app.exception_handler(IntegrityError)
    async def integrity(request: Request, exc: IntegrityError) -> Response:
        # a uniqueness race the services' own checks could not see (two requests at once)
        return answer(
            request,
            Conflict("this conflicts with a record created at the same time; reload and try again"),
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return answer(request, NotFound(f"there is no page at {request.url.path}"))
        body = {
            "type": "about:blank",
            "title": str(exc.detail),
            "status": exc.status_code,
            "detail": str(exc.detail),
            "instance": request.url.path,
        }
        return JSONResponse(
            body,
            status_code=exc.status_code,
            media_type=PROBLEM_JSON,
            headers=getattr(exc, "headers", None),
        )
