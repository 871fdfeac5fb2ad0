-- P1 and the no-op POST ceiling: POST /api/v1/timestamp/{ts} with an empty body.
require("summary")
wrk.method = "POST"
wrk.path = "/api/v1/timestamp/2009-09-28T19:03:12Z"
wrk.headers["Content-Length"] = "0"
