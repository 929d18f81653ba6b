#!/usr/bin/env bash
# Client checks in other languages: a server in sandbox mode on a fresh
# SQLite file, after its startup pipeline run, read by pandas, pyarrow and
# duckdb (exports_check.py); its OpenAPI description fuzzed by schemathesis
# (no 5xx, every response as described); its /graphql audited by graphql-http
# (no error, no warning) and used by the graphql-ws client (js/) and Python's
# gql (graphql_check.py); GraphiQL's embedded files and their integrity
# hashes checked against the npm packages (graphiql_sri.py); and its
# /metrics parsed by prometheus_client (metrics_check.py).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
fi
(cd tests/clients/js && npm ci --no-audit --no-fund --loglevel=error)
# GraphiQL's embedded files are the published ones, under the hashes its page names.
python3 tests/clients/graphiql_sri.py

venv=${CLIENTS_VENV:-target/clients-venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r tests/clients/requirements.txt
py="$venv/bin/python"

cargo build --locked -q --bin bridgeboard
work=$(mktemp -d)
free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
sandbox_port=$(free_port)
password=clients-check-password-1
ADMIN_USER=admin ADMIN_PASSWORD=$password PORT=$port SANDBOX_PORT=$sandbox_port DATA_DIR="$work" \
  DATABASE_URL="sqlite://$work/hub.db?mode=rwc" SANDBOX_LEADS=3000 SANDBOX_EVENTS=300 \
  RUST_LOG=warn target/debug/bridgeboard serve >"$work/server.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
base="http://127.0.0.1:$port"

# Up, and the startup run published a snapshot.
if ! "$py" - "$base" <<'PY'
import sys, time, requests
base = sys.argv[1]
deadline = time.time() + 300
while time.time() < deadline:
    try:
        s = requests.get(f"{base}/api/status", timeout=5).json()
        if s["pipeline"]["last_success"]:
            sys.exit(0)
    except (requests.RequestException, ValueError, KeyError):
        pass
    time.sleep(1)
sys.exit("the startup pipeline run did not succeed in time")
PY
then
  cat "$work/server.log" >&2
  exit 1
fi

"$py" tests/clients/exports_check.py "$base" "$work/hub.db" admin "$password"

key=$("$py" - "$base" "$password" <<'PY'
import sys, requests
base, password = sys.argv[1:3]
token = requests.post(f"{base}/api/auth/login", json={"username": "admin", "password": password}, timeout=30).json()["token"]
r = requests.post(f"{base}/api/keys", json={"name": "schemathesis", "permission": "admin", "rate_limit": 100000},
                  headers={"Authorization": f"Bearer {token}"}, timeout=30)
r.raise_for_status()
print(r.json()["key"])
PY
)
"$venv/bin/schemathesis" run "$base/api/openapi.json" \
  --header "X-API-Key: $key" \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance \
  --max-examples 25 --seed 1 --no-color

echo "==> graphql-http audit of /graphql"
node tests/clients/js/audit.mjs "$base/graphql"
echo "==> graphql-ws: a live ticket update, complete, and 4403 for a bad token"
node tests/clients/js/subscribe.mjs "$base" "http://127.0.0.1:$sandbox_port/_sandbox" "$work/outbox" "$password"
echo "==> gql (Python): a query, a subscription, the codes of a bad token and a rate-limited key"
"$py" tests/clients/graphql_check.py "$base" "$password"
echo "==> prometheus_client parses /metrics after all of the above"
"$py" tests/clients/metrics_check.py "$base"
