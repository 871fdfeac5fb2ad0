"""Optional bearer token for what is not a ticket lookup (listing, metrics)."""

import secrets

from fastapi import Request
from starlette.exceptions import HTTPException


async def require_token(request: Request) -> None:
    """Dependency: when API_TOKEN is set, require `Authorization: Bearer <API_TOKEN>`."""
    token = request.state.runtime.settings.api_token
    if token is None:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    valid = bool(expected) and secrets.compare_digest(given.strip().encode(), expected)
    if scheme.lower() != "bearer" or not valid:
        raise HTTPException(
            401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
