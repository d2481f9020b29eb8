#!/usr/bin/env python3
"""Intake latency and throughput of `sce hooks conversation-trace`.

Baseline ("floor"): the same upsert done by one `sqlite3` CLI process per event
into a WAL database, which is the cost of starting a process and committing
one small transaction.
"""

import argparse
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import common

SCHEMA = """
PRAGMA journal_mode=WAL;
CREATE TABLE messages (
    session_id TEXT NOT NULL, message_id TEXT NOT NULL, role TEXT NOT NULL,
    model_id TEXT, parent_id TEXT, time_created_ms INTEGER NOT NULL,
    time_completed_ms INTEGER, tool_name TEXT, tool_version TEXT,
    PRIMARY KEY (session_id, message_id));
"""

UPSERT = """PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL;
INSERT INTO messages (session_id, message_id, role, model_id, time_created_ms, tool_name, tool_version)
VALUES ('{s}', '{m}', 'assistant', 'anthropic/claude-sonnet-4-5', {t}, 'opencode', '1.18.33')
ON CONFLICT (session_id, message_id) DO UPDATE SET role = excluded.role, model_id = excluded.model_id,
  time_created_ms = excluded.time_created_ms, tool_name = excluded.tool_name, tool_version = excluded.tool_version;"""


def envelope(session, message):
    return {"type": "message.updated", "tool_name": "opencode", "tool_version": "1.18.33",
            "payloads": [{"session_id": session, "message_id": message, "role": "assistant",
                          "model_id": "anthropic/claude-sonnet-4-5",
                          "time_created_ms": int(time.time() * 1000)}]}


class Sce:
    def __init__(self, sce, repo, env):
        self.sce, self.repo, self.env = sce, repo, env

    def __call__(self, session, message):
        """One event in one process; returns (seconds, events stored or spooled, events spooled)."""
        start = time.perf_counter()
        report = common.send(self.sce, self.repo, envelope(session, message), self.env)
        elapsed = time.perf_counter() - start
        return elapsed, report["persisted"] + report["spooled"], report["spooled"]


class Floor:
    def __init__(self, db):
        self.db = str(db)
        subprocess.run(["sqlite3", self.db, SCHEMA], check=True, capture_output=True)

    def __call__(self, session, message):
        sql = UPSERT.format(s=session, m=message, t=int(time.time() * 1000))
        start = time.perf_counter()
        subprocess.run(["sqlite3", self.db, sql], check=True, capture_output=True)
        return time.perf_counter() - start, 1, 0


def sequential(insert, n, tag):
    for i in range(5):  # warm-up: page cache, DB creation, migrations
        insert(f"ses_warm_{tag}", f"msg_warm_{i}")
    return [insert(f"ses_seq_{tag}", f"msg_{i}")[0] * 1000 for i in range(n)]


def producers(insert, count, each, tag):
    """`count` threads, each running `each` processes back to back. Returns (wall s, stored, spooled)."""
    def produce(p):
        results = [insert(f"ses_{tag}_p{p}", f"msg_p{p}_{i}") for i in range(each)]
        return sum(r[1] for r in results), sum(r[2] for r in results)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=count) as pool:
        totals = list(pool.map(produce, range(count)))
    wall = time.perf_counter() - start
    return wall, sum(t[0] for t in totals), sum(t[1] for t in totals)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=200, help="sequential invocations (default 200)")
    ap.add_argument("--producers", type=int, default=16, help="concurrent producers (default 16)")
    ap.add_argument("--each", type=int, default=100, help="envelopes per producer (default 100)")
    ap.add_argument("--quick", action="store_true", help="smoke test: n=30, 4 producers x 10")
    ap.add_argument("--json", metavar="PATH", help="also write the result rows as JSON")
    args = ap.parse_args()
    if args.quick:
        args.n, args.producers, args.each = 30, 4, 10

    sce = common.find_sce()
    have_sqlite = shutil.which("sqlite3") is not None
    if not have_sqlite:
        print("sqlite3 is not installed: skipping the floor", file=sys.stderr)

    with common.tempdir("sce-bench-intake-") as tmp:
        env = common.isolated_env(tmp, sce)
        repo = common.init_repo(Path(tmp) / "repo", env)
        sce_insert = Sce(sce, repo, env)
        floor = Floor(Path(tmp) / "floor.db") if have_sqlite else None

        print(f"sequential: {args.n} single-event envelopes ...", file=sys.stderr)
        sce_ms = sequential(sce_insert, args.n, "sce")
        floor_ms = sequential(floor, args.n, "floor") if floor else None

        total = args.producers * args.each
        print(f"throughput: {args.producers} producers x {args.each} envelopes ...", file=sys.stderr)
        wall, stored, spooled = producers(sce_insert, args.producers, args.each, "tp")
        floor_wall = producers(floor, args.producers, args.each, "tp")[0] if floor else None

    rows = []
    for name, pick in (("p50", common.p50), ("p95", common.p95)):
        s = pick(sce_ms)
        f = pick(floor_ms) if floor_ms else None
        row = {"metric": f"intake {name} (n={args.n})", "sce": f"{s:.1f} ms",
               "baseline": f"{f:.1f} ms" if f else "n/a (no sqlite3)"}
        if f:
            row["ratio / added"] = f"{s / f:.2f}x / {s - f:+.1f} ms"
        if name == "p50":
            row["target"] = "<= 2x floor"
            row["met"] = s <= 2 * f if f else None
        rows.append(row)
    rows.append({
        "metric": f"throughput ({args.producers}x{args.each})",
        "sce": f"{total / wall:.0f} env/s ({wall:.2f} s, {spooled} spooled)",
        "baseline": f"{total / floor_wall:.0f} env/s ({floor_wall:.2f} s)" if floor_wall else "n/a",
        "ratio / added": f"{floor_wall / wall:.2f}x of floor rate" if floor_wall else None,
    })
    common.emit(rows, args.json)
    if stored != total:
        sys.exit(f"FAILED: {total} envelopes sent but persisted+spooled = {stored}")
    print(f"ok: persisted+spooled = {stored} of {total}", file=sys.stderr)


if __name__ == "__main__":
    main()
