"""A JSON response rendered by orjson (FastAPI's own ORJSONResponse is deprecated)."""

from typing import Any

import orjson
from starlette.responses import JSONResponse


class OrjsonResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
