"""Prometheus reads our /metrics: the text is parsed by prometheus_client's
own parser (as strict as the scraper), and the families operators alert on
are there with the right types, after the traffic the other checks made
(a pipeline run, GraphQL operations, exports)."""

import sys

import requests
from prometheus_client.parser import text_string_to_metric_families

base = sys.argv[1]
res = requests.get(f"{base}/metrics", timeout=30)
res.raise_for_status()
assert res.headers["content-type"].startswith("text/plain; version=0.0.4"), res.headers
families = {f.name: f for f in text_string_to_metric_families(res.text)}

# prometheus_client names counters without their _total suffix.
want = {
    "http_requests": "counter",
    "http_request_duration_seconds": "histogram",
    "graphql_operations": "counter",
    "outbox_depth": "gauge",
    "outbox_oldest_age_seconds": "gauge",
    "monday_complexity_budget_left": "gauge",
    "monday_complexity_wait_seconds": "counter",
    "pipeline_runs": "counter",
    "pipeline_run_duration_seconds": "histogram",
    "pipeline_rows_fetched": "counter",
    "cache_requests": "counter",
}
for name, kind in want.items():
    assert name in families, f"{name} missing; have {sorted(families)}"
    assert families[name].type == kind, (name, families[name].type)

runs = {s.labels["status"]: s.value for s in families["pipeline_runs"].samples if s.name.endswith("_total")}
assert runs.get("succeeded", 0) >= 1, runs
routes = {s.labels["route"] for s in families["http_requests"].samples}
assert "/graphql" in routes and "/api/status" in routes, routes
assert not any(r.startswith("/api/runs/") and "{" not in r for r in routes), routes
buckets = [s for s in families["http_request_duration_seconds"].samples if s.name.endswith("_bucket")]
assert any(s.labels["le"] == "+Inf" for s in buckets)

# A caller relayed by a proxy is not shown the metrics.
relayed = requests.get(f"{base}/metrics", headers={"X-Forwarded-For": "203.0.113.7"}, timeout=30)
assert relayed.status_code == 404, relayed.status_code
assert relayed.json()["error"] == "NOT_FOUND"
print(f"metrics: {len(families)} families parsed by prometheus_client; {int(runs['succeeded'])} pipeline run(s) counted")
