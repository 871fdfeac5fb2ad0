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

MEDIA_TYPE = "application/problem+json"
_log = structlog.get_logger("problems")


class Problem(BaseModel):
    """The body of every error response."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


def problem_response(
    status: int, title: str, detail: str, headers: Mapping[str, str] | None = None
) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=MEDIA_TYPE)


def problem_schema(description: str, example: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI `responses` entry for a problem+json answer."""
    return {
        "description": description,
        "model": Problem,
        "content": {MEDIA_TYPE: {"example": example}},
    }


_TITLES = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 503: "Unavailable"}


async def _http_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    title = _TITLES.get(error.status_code, "Error")
    return problem_response(error.status_code, title, str(error.detail), error.headers)


async def _validation_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    parts = [f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()]
    return problem_response(400, "Bad Request", "; ".join(parts) or "invalid request")


async def _unexpected_error(_: Request, error: Exception) -> Response:
    _log.error("unhandled error", exc_info=error)
    return problem_response(500, "Internal Server Error", "an unexpected error occurred")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
