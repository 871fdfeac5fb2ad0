"""AsyncAPI 3.0 document for the command topic and its dead-letter topic, built from the code.

Everything that can drift is read from the definitions the services run on: the payload from
`shared.messages.TimestampCommand`, the correlation header from `shared.correlation`, the
dead-letter headers from what `consumer_service.dead_letters.error_headers` really produces,
the poison kinds from `PoisonMessage`'s subclasses, the redrive header from `ops.redrive`, the
topic settings from `ops.topics`.

`timestamp-ops asyncapi docs/asyncapi.json` rewrites the checked-in document (no argument, or
`-`, prints it); `tests/test_asyncapi.py` fails when that file is stale.
"""

from ops.asyncapi.document import REGENERATE, build_asyncapi, render_asyncapi

__all__ = ["REGENERATE", "build_asyncapi", "render_asyncapi"]
