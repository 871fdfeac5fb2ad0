"""API contracts served by the running services: OpenAPI with problem schemas, metrics names."""

import httpx
import pytest

from integration.conftest import COMMAND_URL, CONSUMER_URL, QUERY_URL

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("url", "path", "method", "errors"),
    [
        (COMMAND_URL, "/api/v1/timestamp/{timestamp}", "post", {"400", "503"}),
        (COMMAND_URL, "/app", "post", {"503"}),
        (QUERY_URL, "/api/v1/timestamp/{record_id}", "get", {"400", "404", "503"}),
        (QUERY_URL, "/api/v1/timestamps", "get", {"400", "503"}),
    ],
)
async def test_openapi_documents_success_and_problem_responses(
    http: httpx.AsyncClient, url: str, path: str, method: str, errors: set[str]
) -> None:
    spec = (await http.get(f"{url}/openapi.json")).json()
    responses = spec["paths"][path][method]["responses"]
    assert "200" in responses
    for status in errors:
        content = responses[status]["content"][PROBLEM]
        assert content["schema"]["$ref"].endswith("/Problem")
        examples = (
            [content["example"]]
            if "example" in content
            else [example["value"] for example in content["examples"].values()]
        )
        assert examples and all(example["status"] == int(status) for example in examples)
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) >= {"title", "status", "detail"}


@pytest.mark.parametrize(
    ("url", "names"),
    [
        (
            COMMAND_URL,
            [
                "timestamp_http_requests_total",
                "timestamp_http_request_duration_seconds",
                "timestamp_kafka_produced_messages_total",
                "timestamp_kafka_produce_duration_seconds",
            ],
        ),
        (
            CONSUMER_URL,
            [
                "timestamp_consumer_records_total",
                "timestamp_consumer_batch_records",
                "timestamp_consumer_apply_duration_seconds",
                "timestamp_consumer_dead_letters_total",
                "timestamp_consumer_retries_total",
                "timestamp_consumer_lag_records",
                "timestamp_db_pool_connections",
            ],
        ),
        (
            QUERY_URL,
            [
                "timestamp_http_requests_total",
                "timestamp_http_request_duration_seconds",
                "timestamp_db_pool_connections",
            ],
        ),
    ],
)
async def test_metrics_are_exposed(http: httpx.AsyncClient, url: str, names: list[str]) -> None:
    await http.post(f"{COMMAND_URL}/app")  # so that labelled series exist
    response = await http.get(f"{url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for name in [*names, "process_cpu_seconds_total", "python_gc_collections_total"]:
        assert f"# HELP {name} " in response.text, name


async def test_http_metrics_count_by_route_template(http: httpx.AsyncClient) -> None:
    await http.get(f"{QUERY_URL}/api/v1/timestamp/not-a-uuid")
    text = (await http.get(f"{QUERY_URL}/metrics")).text
    assert 'route="/api/v1/timestamp/{record_id}",status="400"' in text
