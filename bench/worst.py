#!/usr/bin/env python3
"""Worst cases of the post-commit hook: inputs that make attribution quadratic.

- unplaceable patch: an agent (session A) wrote N lines; a second agent (B) then
  reported a patch-only edit whose one hunk of N removed lines does not place in
  sce's view of the file (its context was changed by someone sce did not see), and
  whose removed lines resemble none of A's. sce must compare A's lines with B's
  removed ones to find the lines B may have rewritten (N x N pairs).
- moved hunk: an agent wrote N equal lines and one last line; a second agent's
  patch changes that last line, with 3,000 equal context lines above it, stated at
  line 1: every position matches all but the hunk's last line, so a naive search
  for where the hunk moved to is quadratic (capped at 10 M line comparisons).
- full rewrite: an agent wrote N random lines, then rewrote the file to N other
  random lines; the committed file is the first version, so every committed line
  is paired against the view's lines near it by character similarity.

Only `git commit` is timed, in a repo with sce's post-commit hook and in one
without. Target: <= +1 s (a commit must never stall on sce).
"""

import argparse
import random
import subprocess
import sys
import time
from pathlib import Path

import common


def commit_timed(repo, env):
    common.git(repo, "add", "-A", env=env)
    start = time.perf_counter()
    proc = subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "c"], env=env,
                          capture_output=True, text=True)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise RuntimeError(f"git commit failed in {repo}: {proc.stderr}")
    if proc.stderr.strip():
        print(f"hook stderr: {proc.stderr.strip()}", file=sys.stderr)
    return elapsed


def report(sce, repo, env, session, message, parts):
    common.send(sce, repo, {"type": "message.updated", "tool_name": "bench", "payloads": [
        {"session_id": session, "message_id": message, "role": "assistant", "model_id": f"fake/{session}",
         "time_created_ms": 1}]}, env)
    items = [{"session_id": session, "message_id": message, "part_id": f"{message}_{n}", "part_type": "patch",
              "tool": "edit", "file_path": "f.txt", "time_ms": 1 + n, **fields} for n, fields in enumerate(parts)]
    common.send(sce, repo, {"type": "message.part.updated", "tool_name": "bench", "payloads": items}, env)


def unplaceable_patch(sce, repo, env, lines):
    rng = random.Random(1)
    owned = [f"    let value_{i} = compute(alpha_{i}, beta, \"s{i}\");" for i in range(lines)]
    unrelated = ["".join(rng.choice("QWXZJKVYPMB0123456789 ") for _ in range(45)) for _ in range(lines)]
    report(sce, repo, env, "ses_A", "m1", [{"after": "".join(f"{l}\n" for l in owned)}])
    hunk = (f"--- a/f.txt\n+++ b/f.txt\n@@ -1,{lines + 1} +1,{lines + 1} @@\n not in the view\n"
            + "".join(f"-{l}\n" for l in unrelated) + "".join(f"+{l} // B\n" for l in owned))
    report(sce, repo, env, "ses_B", "m2", [{"patch": hunk}])
    return "".join(f"{l}\n" for l in owned)


def moved_hunk(sce, repo, env, lines):
    content = "x\n" * lines + "end\n"
    report(sce, repo, env, "ses_A", "m1", [{"after": content}])
    context = min(3000, lines)
    hunk = f"--- a/f.txt\n+++ b/f.txt\n@@ -1,{context + 1} +1,{context + 1} @@\n" + " x\n" * context + "-end\n+END\n"
    report(sce, repo, env, "ses_B", "m2", [{"patch": hunk}])
    return "x\n" * lines + "END\n"


def full_rewrite(sce, repo, env, lines):
    rng = random.Random(2)
    first, second = ("".join("".join(rng.choice("abcdefghijklmnop(){};= ") for _ in range(40)) + "\n"
                             for _ in range(lines)) for _ in range(2))
    report(sce, repo, env, "ses_A", "m1", [{"after": first}, {"before": first, "after": second}])
    return first


def bench(sce, name, scenario, lines, rounds):
    hooked_ms, plain_ms = [], []
    for r in range(rounds):
        with common.tempdir("sce-bench-worst-") as tmp:
            env = common.isolated_env(tmp, sce)
            hooked = common.init_repo(Path(tmp) / "hooked", env, hook=True)
            plain = common.init_repo(Path(tmp) / "plain", env)
            for repo in (hooked, plain):
                (repo / "seed").write_text("seed\n")
                common.git(repo, "add", "-A", env=env)
                common.git(repo, "commit", "-q", "-m", "seed", env=env)
            content = scenario(sce, hooked, env, lines)
            for repo in (hooked, plain):
                (repo / "f.txt").write_text(content)
            hooked_ms.append(commit_timed(hooked, env))
            plain_ms.append(commit_timed(plain, env))
            shown = subprocess.run([sce, "trace", "show", "--json"], cwd=hooked, env=env,
                                   capture_output=True, text=True)
            if shown.returncode != 0:
                raise RuntimeError(f"{name}: the commit has no record: {shown.stderr}")
    hooked, plain = common.p50(hooked_ms), common.p50(plain_ms)
    return {"metric": f"commit, {name} ({lines} lines)", "sce": f"{hooked:.1f} ms",
            "baseline": f"{plain:.1f} ms (no hook)", "ratio / added": f"{hooked / plain:.2f}x / {hooked - plain:+.1f} ms",
            "target": "<= +1 s", "met": hooked - plain <= 1000}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="rounds per case (default 3)")
    ap.add_argument("--quick", action="store_true", help="smoke test: 1 round, smaller inputs")
    ap.add_argument("--json", metavar="PATH", help="also write the result rows as JSON")
    args = ap.parse_args()
    rounds = 1 if args.quick else args.rounds
    sce = common.find_sce()
    rows = []
    for name, scenario, lines in (("unplaceable patch", unplaceable_patch, 500 if args.quick else 2000),
                                  ("moved hunk", moved_hunk, 2000 if args.quick else 20000),
                                  ("full rewrite", full_rewrite, 2000 if args.quick else 20000)):
        print(f"worst: {name}, {lines} lines x {rounds} rounds ...", file=sys.stderr)
        rows.append(bench(sce, name, scenario, lines, rounds))
    common.emit(rows, args.json)


if __name__ == "__main__":
    main()
