#!/usr/bin/env python3
"""`sce export --include-text` on a store of 10,000 sessions: time and peak memory.

One repository; sessions are sent through `sce hooks conversation-trace` in envelopes
of 1,000 items (the way intake really stores them, only batched). Each session has a
user prompt and an assistant answer (two text parts, with an e-mail address, a home
path and an IP address to scrub), and one file edit (before + after of a ~1.2 KB
file). The export is measured at 1,000 sessions and again at 10,000: wall time,
sessions per second, the dataset's size, and the export process's peak RSS
(getrusage of the only child, as `/usr/bin/time -v` reports it). The export streams
one session at a time, so peak RSS should stay flat as the store grows.
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import common

TOOL = {"tool_name": "opencode", "tool_version": "1.18.33"}
BATCH = 1000
BASE_MS = 1_763_600_000_000
MiB = 1024 * 1024


def file_text(n, version):
    return "".join(f"def handler_{n}_{k}(value):\n    return value * {k + version}\n" for k in range(20))


def session_items(n):
    sid = f"ses_{n:06d}"
    t = BASE_MS + n * 60_000
    messages = [
        {"session_id": sid, "message_id": "msg_0", "role": "user", "time_created_ms": t},
        {"session_id": sid, "message_id": "msg_1", "role": "assistant", "model_id": "anthropic/claude-sonnet-4-5",
         "time_created_ms": t + 1_000, "time_completed_ms": t + 9_000},
    ]
    parts = [
        {"session_id": sid, "message_id": "msg_0", "part_id": "p0", "part_type": "text", "time_ms": t,
         "text": f"Please fix handler {n} in /home/dev{n % 50}/work/app.py; mail me at dev{n % 50}@example.com."},
        {"session_id": sid, "message_id": "msg_1", "part_id": "p1", "part_type": "text", "time_ms": t + 2_000,
         "text": f"I changed handler_{n} so the server at 10.0.{n % 250}.{n % 200 + 1} gets the right value. " * 3},
        {"session_id": sid, "message_id": "msg_1", "part_id": "p2", "part_type": "text", "time_ms": t + 3_000,
         "text": "Done; the tests pass."},
        {"session_id": sid, "message_id": "msg_1", "part_id": "p3", "part_type": "patch", "time_ms": t + 4_000,
         "tool": "edit", "file_path": f"src/mod_{n % 500}.py", "before": file_text(n, 0), "after": file_text(n, 1)},
    ]
    return messages, parts


def fill(sce, repo, env, first, last):
    """Stores sessions first..last-1 in envelopes of BATCH items."""
    messages, parts = [], []
    for n in range(first, last):
        m, p = session_items(n)
        messages += m
        parts += p
    for kind, items in (("message.updated", messages), ("message.part.updated", parts)):
        for at in range(0, len(items), BATCH):
            report = common.send(sce, repo, {"type": kind, **TOOL, "payloads": items[at:at + BATCH]}, env)
            if report["persisted"] != len(items[at:at + BATCH]):
                sys.exit(f"intake stored {report['persisted']} of {len(items[at:at + BATCH])} items: {report}")


def measure(sce, repo, env, out):
    """Runs the export as the only child of a fresh interpreter: (seconds, peak RSS MiB, stderr)."""
    code = ("import resource, subprocess, sys, time\n"
            "start = time.monotonic()\n"
            "proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
            "elapsed = time.monotonic() - start\n"
            "print(proc.returncode, elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
            "print(proc.stderr, end='')\n")
    cmd = [sce, "export", "--include-text", "--out", str(out)]
    proc = subprocess.run([sys.executable, "-c", code, *cmd], cwd=repo, env=env, capture_output=True, text=True,
                          check=True)
    first, _, stderr = proc.stdout.partition("\n")
    returncode, seconds, rss_kib = first.split()
    if returncode != "0":
        sys.exit(f"sce export exited {returncode}: {stderr}")
    return float(seconds), int(rss_kib) / 1024, stderr.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="sessions at the last level (default 10,000)")
    parser.add_argument("--quick", action="store_true", help="1,000 sessions at most")
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    args = parser.parse_args()
    sce = common.find_sce()
    last = min(args.n, 1_000) if args.quick else args.n
    levels = sorted({min(1_000, last), last})
    rows = []
    with common.tempdir("sce-bench-export-") as tmp:
        env = common.isolated_env(tmp, sce)
        repo = common.init_repo(Path(tmp) / "repo", env)
        stored = 0
        for level in levels:
            start = time.monotonic()
            fill(sce, repo, env, stored, level)
            print(f"stored sessions {stored}..{level} in {time.monotonic() - start:.1f} s", file=sys.stderr)
            stored = level
            out = Path(tmp) / f"export-{level}.jsonl"
            seconds, rss, summary = measure(sce, repo, env, out)
            lines = sum(1 for _ in out.open())
            if lines != level:
                sys.exit(f"the export has {lines} lines for {level} sessions ({summary})")
            size = out.stat().st_size
            print(f"{level} sessions: {seconds:.2f} s, {level / seconds:,.0f} sessions/s, "
                  f"peak RSS {rss:.1f} MiB, {size / MiB:.1f} MiB written ({summary})", file=sys.stderr)
            rows.append({"metric": f"export --include-text, {level:,} sessions", "sce": f"{seconds:.2f} s",
                         "ratio / added": f"{level / seconds:,.0f} sessions/s, {size / MiB:.1f} MiB out"})
            rows.append({"metric": f"peak RSS of the export, {level:,} sessions", "sce": f"{rss:.1f} MiB",
                         "target": "<= 64 MiB", "met": rss <= 64})
    common.emit(rows, args.json)


if __name__ == "__main__":
    main()
