"""RFC 9457 problem details: every error body, never a stack trace."""

from collections.abc import Mapping
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import Response

from shared.answers import Answer

MEDIA_TYPE = "application/problem+json"
_MEDIA_TYPE = MEDIA_TYPE.encode()
_log = structlog.get_logger("problems")


class Problem(BaseModel):
    """RFC 9457 problem details: the body of every error response."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


def problem_body(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "detail": detail}


def problem_answer(
    status: int, title: str, detail: str, headers: Mapping[str, str] | None = None
) -> Answer:
    body = problem_body(status, title, detail)
    pairs = (headers or {}).items()
    extra = tuple((name.lower().encode(), value.encode()) for name, value in pairs)
    return Answer(status, orjson.dumps(body), _MEDIA_TYPE, extra)


def unexpected(error: Exception) -> Answer:
    """A bug: logged with its traceback, answered without one."""
    _log.error("unhandled error", exc_info=error)
    return problem_answer(500, "Internal Server Error", "an unexpected error occurred")


def problem_response(
    status: int, title: str, detail: str, headers: Mapping[str, str] | None = None
) -> Response:
    return problem_answer(status, title, detail, headers).response()


_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problem_schema(
    status: int, title: str, detail: str, description: str | None = None
) -> dict[str, Any]:
    """An OpenAPI `responses` entry for a problem+json answer with this example; described by
    its title unless `description` says more."""
    return {
        "description": description or title,
        "content": {
            MEDIA_TYPE: {"schema": _PROBLEM_REF, "example": problem_body(status, title, detail)}
        },
    }


def problem_examples(description: str, examples: dict[str, tuple[int, str, str]]) -> dict[str, Any]:
    """An OpenAPI `responses` entry for a problem+json answer with several named examples of
    (status, title, detail)."""
    values = {name: {"value": problem_body(*example)} for name, example in examples.items()}
    return {
        "description": description,
        "content": {MEDIA_TYPE: {"schema": _PROBLEM_REF, "examples": values}},
    }


def document_problems(app: FastAPI) -> None:
    """Add the Problem schema to the app's OpenAPI components (the routes refer to it)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            schemas["Problem"] = Problem.model_json_schema()
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            for operation in _operations(spec):
                _validation_is_a_400(operation["responses"])
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path in spec.get("paths", {}).values() for op in path.values()]


def _validation_is_a_400(responses: dict[str, Any]) -> None:
    """FastAPI documents 422 for invalid parameters; we answer those with a 400 problem."""
    if responses.pop("422", None) is not None and "400" not in responses:
        responses["400"] = problem_schema(
            400,
            "Bad Request",
            "query.limit: Input should be greater than or equal to 1",
            "Invalid request parameters",
        )


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    503: "Unavailable",
}


async def _http_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    title = _TITLES.get(error.status_code, "Error")
    return problem_response(error.status_code, title, str(error.detail), error.headers)


async def _validation_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    parts = [f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()]
    return problem_response(400, "Bad Request", "; ".join(parts) or "invalid request")


async def _unexpected_error(_: Request, error: Exception) -> Response:
    return unexpected(error).response()


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
