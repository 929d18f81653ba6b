"""Python's `gql` client against a sandbox server: one query over HTTP and
one subscription over WebSocket (each subprotocol) with an API key, then
the error codes a bad token and a rate-limited key get, read the way gql
users read them (TransportQueryError.errors[…]["extensions"]["code"]).

    python graphql_check.py BASE_URL ADMIN_PASSWORD
"""

import asyncio
import sys

import requests
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.requests import RequestsHTTPTransport
from gql.transport.websockets import WebsocketsTransport

base, admin_password = sys.argv[1:3]
ws_url = base.replace("http", "ws", 1) + "/graphql/ws"


def http_client(headers):
    transport = RequestsHTTPTransport(url=f"{base}/graphql", headers=headers, timeout=30)
    return Client(transport=transport, fetch_schema_from_transport=False)


def error_code(request, headers):
    """The code of the error gql raises for this request."""
    try:
        http_client(headers).execute(request)
    except TransportQueryError as e:
        return e.errors[0]["extensions"]["code"], e.errors[0]
    raise SystemExit(f"expected an error for {headers}")


login = requests.post(
    f"{base}/api/auth/login", json={"username": "admin", "password": admin_password}, timeout=30
)
login.raise_for_status()
admin = login.json()["token"]


def new_key(name, rate_limit):
    r = requests.post(
        f"{base}/api/keys",
        json={"name": name, "permission": "read_only", "rate_limit": rate_limit},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=30,
    )
    r.raise_for_status()
    return r.json()["key"]


key = new_key("gql-check", 1000)

# One query.
result = http_client({"X-API-Key": key}).execute(gql("query Me { version me { kind } }"))
assert result["me"]["kind"] == "API_KEY", result
print(f"gql: query answered (version {result['version']})")

# One subscription, over each subprotocol gql speaks.
async def three_beats(subprotocol):
    transport = WebsocketsTransport(
        url=ws_url, init_payload={"X-API-Key": key}, subprotocols=[subprotocol]
    )
    beats = []
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        request = GraphQLRequest(
            "subscription Beat($ms: Int!) { heartbeat(intervalMs: $ms) { seq } }",
            variable_values={"ms": 50},
        )
        async for answer in session.subscribe(request):
            beats.append(answer["heartbeat"]["seq"])
            if len(beats) == 3:
                break
    return beats


for subprotocol in (
    WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL,
    WebsocketsTransport.APOLLO_SUBPROTOCOL,
):
    beats = asyncio.run(asyncio.wait_for(three_beats(subprotocol), 30))
    assert beats == [1, 2, 3], (subprotocol, beats)
    print(f"gql: a subscription over {subprotocol} delivered {beats}")

# A bad token: 401, and gql reads UNAUTHENTICATED.
query = gql("{ me { kind } }")
code, _ = error_code(query, {"Authorization": "Bearer not-a-token"})
assert code == "UNAUTHENTICATED", code
print("gql: a bad token reads UNAUTHENTICATED")

# A key past its limit: 429, and gql reads RATE_LIMITED with retryAfter.
tight = new_key("gql-tight", 1)
http_client({"X-API-Key": tight}).execute(query)
code, error = error_code(query, {"X-API-Key": tight})
assert code == "RATE_LIMITED", code
assert error["extensions"]["retryAfter"] >= 1, error
print(f"gql: a rate-limited key reads RATE_LIMITED (retry after {error['extensions']['retryAfter']} s)")
