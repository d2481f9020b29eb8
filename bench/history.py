#!/usr/bin/env python3
"""Costs of reading and rewriting history with sce.

- blame: `sce blame` vs `git blame` on a 5,000-line file built over many commits,
  every commit recorded (half the lines agent-written). Target: <= 1.2x git blame + 30 ms.
- rebase: a 50-commit `git rebase` onto a moved base with sce's hooks (post-commit
  and post-rewrite) vs without. Target: <= +1 s.
- stats: `sce stats` over all commits of a long history of recorded commits.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import common


def install_hooks(repo, env):
    for hook in ("post-commit", "post-rewrite"):
        script = repo / ".git" / "hooks" / hook
        script.write_text(f'#!/bin/sh\nexec "$SCE_BIN" hooks {hook} "$@"\n')
        script.chmod(0o755)


def agent_write(sce, repo, env, session, part, path, before, after):
    """Reports an agent edit (before/after) and writes the file."""
    item = {"session_id": session, "message_id": "m", "part_id": part, "part_type": "patch",
            "tool": "edit", "file_path": path, "after": after, "time_ms": 1}
    if before is not None:
        item["before"] = before
    common.send(sce, repo, {"type": "message.part.updated", "tool_name": "opencode", "payloads": [item]}, env)
    (repo / path).write_text(after)


def build_history(sce, repo, env, commits, lines_per_commit):
    """`commits` commits growing one file by `lines_per_commit` lines; odd commits by an agent."""
    common.send(sce, repo, {"type": "message.updated", "payloads": [
        {"session_id": "ses_bench", "message_id": "m", "role": "assistant", "model_id": "fake/model",
         "time_created_ms": 1}]}, env)
    text = ""
    for n in range(commits):
        added = "".join(f"line {n}.{k} = value({n}, {k})\n" for k in range(lines_per_commit))
        if n % 2:
            agent_write(sce, repo, env, "ses_bench", f"p{n}", "big.py", text or None, text + added)
        else:
            (repo / "big.py").write_text(text + added)
        text += added
        common.git(repo, "add", "-A", env=env)
        common.git(repo, "commit", "-q", "-m", f"c{n}", env=env)
    return text


def bench_blame(sce, tmp, env, quick):
    repo = common.init_repo(Path(tmp) / "blame", env)
    install_hooks(repo, env)
    commits = 20 if quick else 100
    build_history(sce, repo, env, commits, (1000 if quick else 5000) // commits)
    runs = 3 if quick else 7
    git_ms = common.timed(["git", "blame", "big.py"], repo, env, runs)
    sce_ms = common.timed([sce, "blame", "big.py"], repo, env, runs)
    lines = len((repo / "big.py").read_text().splitlines())
    return {"metric": f"blame {lines} lines, {commits} commits", "sce": f"{sce_ms:.1f} ms",
            "baseline": f"{git_ms:.1f} ms (git blame)",
            "ratio / added": f"{sce_ms / git_ms:.2f}x / +{sce_ms - git_ms:.1f} ms",
            "target": "<= 1.2x + 30 ms", "met": sce_ms <= 1.2 * git_ms + 30}


def rebase_repo(sce, root, env, hooked, commits):
    repo = common.init_repo(root, env)
    if hooked:
        install_hooks(repo, env)
        common.send(sce, repo, {"type": "message.updated", "payloads": [
            {"session_id": "ses_r", "message_id": "m", "role": "assistant", "model_id": "fake/model",
             "time_created_ms": 1}]}, env)
    (repo / "base.txt").write_text("base\n")
    common.git(repo, "add", "-A", env=env)
    common.git(repo, "commit", "-q", "-m", "base", env=env)
    common.git(repo, "checkout", "-q", "-b", "feature", env=env)
    for n in range(commits):
        path = f"f{n}.py"
        content = "".join(f"x{k} = {n} * {k}\n" for k in range(20))
        if hooked and n % 2:
            agent_write(sce, repo, env, "ses_r", f"r{n}", path, None, content)
        else:
            (repo / path).write_text(content)
        common.git(repo, "add", "-A", env=env)
        common.git(repo, "commit", "-q", "-m", f"c{n}", env=env)
    common.git(repo, "checkout", "-q", "main", env=env)
    (repo / "base.txt").write_text("base\nmoved\n")
    common.git(repo, "commit", "-qam", "moved", env=env)
    common.git(repo, "checkout", "-q", "feature", env=env)
    return repo


def bench_rebase(sce, tmp, env, quick):
    commits = 10 if quick else 50
    times = {}
    for hooked in (False, True):
        repo = rebase_repo(sce, Path(tmp) / f"rebase-{hooked}", env, hooked, commits)
        start = time.perf_counter()
        subprocess.run(["git", "rebase", "-q", "main"], cwd=repo, env=env, check=True, capture_output=True)
        times[hooked] = (time.perf_counter() - start) * 1000
        if hooked:
            notes = common.git(repo, "notes", "--ref", "agent-trace", "list", env=env).splitlines()
            head = common.git(repo, "rev-parse", "HEAD", env=env).strip()
            record = json.loads(common.git(repo, "notes", "--ref", "agent-trace", "show", head, env=env))
            carried = record["metadata"]["sce"]["carried_from"]
            print(f"rebase: {len(notes)} notes, HEAD carried from {len(carried)} commit(s)", file=sys.stderr)
    added = times[True] - times[False]
    return {"metric": f"rebase of {commits} commits", "sce": f"{times[True]:.0f} ms",
            "baseline": f"{times[False]:.0f} ms (no hooks)", "ratio / added": f"+{added:.0f} ms",
            "target": "<= +1 s", "met": added <= 1000}


def bench_stats(sce, tmp, env, quick):
    repo = common.init_repo(Path(tmp) / "stats", env)
    install_hooks(repo, env)
    commits = 50 if quick else 1000
    build_history(sce, repo, env, commits, 2)
    ms = common.timed([sce, "stats", "HEAD"], repo, env, 3)
    return {"metric": f"stats over {commits} recorded commits", "sce": f"{ms:.0f} ms",
            "baseline": "-", "ratio / added": f"{ms / commits:.2f} ms/commit", "target": "-", "met": None}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    args = parser.parse_args()
    sce = common.find_sce()
    with common.tempdir("sce-bench-history-") as tmp:
        env = common.isolated_env(tmp, sce)
        rows = [bench_blame(sce, tmp, env, args.quick), bench_rebase(sce, tmp, env, args.quick),
                bench_stats(sce, tmp, env, args.quick)]
    common.emit(rows, args.json)


if __name__ == "__main__":
    main()
