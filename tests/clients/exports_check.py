"""The exports as the scripts of the system we replace read them.

Run against a server in sandbox mode after a pipeline run: signs in with
requests, creates a key, reads every CSV with pandas, every Parquet file
with pyarrow and duckdb, and the JSON, and checks the row counts against
the database and the column types against what they should be.

    python exports_check.py BASE_URL SQLITE_FILE ADMIN_USER ADMIN_PASSWORD
"""

import io
import sqlite3
import sys
import tempfile

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import requests

BASE, DB, USER, PASSWORD = sys.argv[1:5]


def snapshot_count(table, db):
    """Rows of the published snapshot, straight from the database."""
    (run,) = db.execute(
        "SELECT MAX(number) FROM pipeline_runs WHERE status = 'SUCCEEDED'"
    ).fetchone()
    assert run, "a pipeline run has succeeded"
    (n,) = db.execute(
        f"SELECT COUNT(*) FROM {table} WHERE valid_from <= ? "
        "AND (valid_to IS NULL OR valid_to > ?)",
        (run, run),
    ).fetchone()
    return n


def get(session, path, **kw):
    r = session.get(f"{BASE}{path}", timeout=120, **kw)
    assert r.status_code == 200, f"{path}: {r.status_code} {r.text[:300]}"
    return r


def main():
    db = sqlite3.connect(f"file:{DB}?mode=ro", uri=True)
    leads = snapshot_count("leads", db)
    invitees = snapshot_count("calendly_invitees", db)
    events = snapshot_count("calendly_events", db)
    members = snapshot_count("calendly_memberships", db)
    numeric = [
        t
        for (t,) in db.execute(
            "SELECT title FROM lead_columns WHERE valid_to IS NULL AND column_type = 'numbers'"
        )
    ]
    dates = [
        t
        for (t,) in db.execute(
            "SELECT title FROM lead_columns WHERE valid_to IS NULL AND column_type = 'date'"
        )
    ]
    assert leads > 0 and invitees > 0 and numeric and dates

    # Sign in with requests, as the old scripts did, and make a key.
    login = requests.post(
        f"{BASE}/api/auth/login", json={"username": USER, "password": PASSWORD}, timeout=30
    )
    assert login.status_code == 200, login.text
    token = login.json()["token"]
    made = requests.post(
        f"{BASE}/api/keys",
        json={"name": "pandas check", "permission": "read_only", "rate_limit": 1000},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    s = requests.Session()
    s.headers["X-API-Key"] = made.json()["key"]

    # The combined CSV: every lead, the board's columns, numbers as numbers.
    df = pd.read_csv(io.StringIO(get(s, "/api/combined_csv").text))
    assert len(df) == leads, (len(df), leads)
    assert list(df.columns[:2]) == ["Item ID", "Item Name"]
    assert list(df.columns[-2:]) == ["Group", "origin"]
    assert df["Item ID"].is_unique
    for col in numeric:
        assert pd.api.types.is_numeric_dtype(df[col]), (col, df[col].dtype)
    for col in dates:
        parsed = pd.to_datetime(df[col].dropna(), errors="raise")
        assert len(parsed) == df[col].notna().sum()

    # One group, and the grouped JSON.
    won = pd.read_csv(io.StringIO(get(s, "/api/group_csv/won").text))
    assert len(won) == (df["Group"].str.lower() == "won").sum()
    grouped = get(s, "/api/json").json()
    assert sum(len(v) for v in grouped.values()) == leads
    frames = {g: pd.DataFrame(rows) for g, rows in grouped.items() if rows}
    assert all(list(f.columns) == list(df.columns) for f in frames.values())
    lines = pd.read_json(io.StringIO(get(s, "/api/export/leads.jsonl").text), lines=True)
    assert len(lines) == leads

    # Parquet, typed, read by pyarrow and by duckdb.
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/leads.parquet"
        with open(path, "wb") as f:
            f.write(get(s, "/api/export/leads.parquet").content)
        table = pq.read_table(path)
        assert table.num_rows == leads
        schema = table.schema
        assert schema.field("Item ID").type == pa.string()
        assert schema.field("Item Name").type == pa.string()
        for col in numeric:
            assert schema.field(col).type == pa.float64(), (col, schema.field(col).type)
        for col in dates:
            t = schema.field(col).type
            assert pa.types.is_timestamp(t) and t.tz in ("UTC", "+00:00"), (col, t)
        ((n,),) = duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()
        assert n == leads
        kinds = dict(
            (name, kind)
            for name, kind, *_ in duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
        )
        assert kinds["Item ID"] == "VARCHAR"
        assert all(kinds[c] == "DOUBLE" for c in numeric), kinds
        assert all(kinds[c].startswith("TIMESTAMP") for c in dates), kinds
        pdf = pd.read_parquet(path)
        assert len(pdf) == leads

        # Calendly: every invitee, not the first of each event.
        inv = pd.read_csv(io.StringIO(get(s, "/api/calendly/export/invitees").text))
        assert len(inv) == invitees, (len(inv), invitees)
        assert {"email", "event_uri", "status"} <= set(inv.columns)
        path = f"{tmp}/events.parquet"
        with open(path, "wb") as f:
            f.write(get(s, "/api/calendly/export/events.parquet").content)
        ev = pq.read_table(path)
        assert ev.num_rows == events
        assert pa.types.is_timestamp(ev.schema.field("start_time").type)
        assert ev.schema.field("invitees_total").type == pa.int64()
        ((n,),) = duckdb.sql(
            f"SELECT count(*) FROM read_parquet('{path}') WHERE status IN ('active', 'canceled')"
        ).fetchall()
        assert n == events

    c = get(s, "/api/calendly/comprehensive").json()
    assert c["user_info"]["name"]
    assert c["summary"]["total_invitees"] == invitees
    assert c["summary"]["event_types_count"] == len(c["event_types"])
    assert len(c["invitees"]) == invitees and len(c["events"]) == events
    assert len(c["organization_members"]) == members
    m = pd.read_csv(io.StringIO(get(s, "/api/calendly/session/csv/members").text))
    assert len(m) == members

    # A 429 is what the documentation promises: Retry-After and a body.
    tight = requests.post(
        f"{BASE}/api/keys",
        json={"name": "tight", "rate_limit": 1},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()["key"]
    statuses = [
        requests.get(f"{BASE}/api/auth/verify", headers={"X-API-Key": tight}, timeout=30)
        for _ in range(2)
    ]
    assert statuses[0].status_code == 200
    assert statuses[1].status_code == 429
    assert int(statuses[1].headers["Retry-After"]) >= 1
    assert statuses[1].json()["retry_after"] >= 1

    print(
        f"exports check: {leads} leads, {invitees} invitees, {events} events, "
        f"{members} members read by pandas {pd.__version__}, pyarrow {pa.__version__}, "
        f"duckdb {duckdb.__version__}"
    )


if __name__ == "__main__":
    main()
