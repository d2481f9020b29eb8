#!/usr/bin/env python3
"""Cost of `sce why` on a big file.

A 5,000-line file built over 100 recorded commits, every other one by an agent
(10 sessions, one prompt and one answer per agent commit, so every agent line
has an edit and a turn to find). Times `sce why big.py --json` (every line) and
`sce why big.py:2500` (one line) against `sce blame big.py` on the same history,
and the peak RSS of the whole-file `why`.
"""

import argparse
from pathlib import Path

import common


def build(sce, repo, env, commits, lines_per_commit, sessions):
    hook = repo / ".git" / "hooks" / "post-commit"
    hook.write_text('#!/bin/sh\nexec "$SCE_BIN" hooks post-commit\n')
    hook.chmod(0o755)
    text = ""
    clock = 1_763_600_000_000
    for n in range(commits):
        added = "".join(f"line {n}.{k} = value({n}, {k})\n" for k in range(lines_per_commit))
        if n % 2:
            session = f"ses_{n % sessions}"
            clock += 1000
            payloads = [
                {"session_id": session, "message_id": f"u{n}", "role": "user", "time_created_ms": clock},
                {"session_id": session, "message_id": f"a{n}", "role": "assistant", "model_id": "fake/model",
                 "time_created_ms": clock + 1}]
            common.send(sce, repo, {"type": "message.updated", "tool_name": "opencode", "payloads": payloads}, env)
            parts = [
                {"session_id": session, "message_id": f"u{n}", "part_id": f"t{n}", "part_type": "text",
                 "text": f"Please add block {n} of values", "time_ms": clock},
                {"session_id": session, "message_id": f"a{n}", "part_id": f"p{n}", "part_type": "patch",
                 "tool": "edit", "file_path": "big.py", "before": text, "after": text + added, "time_ms": clock + 2},
                {"session_id": session, "message_id": f"a{n}", "part_id": f"r{n}", "part_type": "text",
                 "text": f"Added block {n}.", "time_ms": clock + 3}]
            common.send(sce, repo, {"type": "message.part.updated", "tool_name": "opencode", "payloads": parts}, env)
        (repo / "big.py").write_text(text + added)
        text += added
        common.git(repo, "add", "-A", env=env)
        common.git(repo, "commit", "-q", "-m", f"c{n}", env=env)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 lines over 20 commits, for a smoke test")
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    args = parser.parse_args()
    sce = common.find_sce()
    commits, lines = (20, 1000) if args.quick else (100, 5000)
    runs = 3 if args.quick else 7
    with common.tempdir("sce-bench-why-") as tmp:
        env = common.isolated_env(tmp, sce)
        repo = common.init_repo(Path(tmp) / "repo", env)
        build(sce, repo, env, commits, lines // commits, 10)
        blame_ms = common.timed([sce, "blame", "big.py"], repo, env, runs)
        whole_ms = common.timed([sce, "why", "big.py", "--json"], repo, env, runs)
        one_ms = common.timed([sce, "why", f"big.py:{lines // 2}", "--json"], repo, env, runs)
        rss = common.peak_rss_mb([sce, "why", "big.py", "--json"], repo, env)
    rows = [
        {"metric": f"why, all {lines} lines", "sce": f"{whole_ms:.1f} ms", "baseline": f"{blame_ms:.1f} ms (sce blame)",
         "ratio / added": f"{whole_ms / blame_ms:.2f}x / +{whole_ms - blame_ms:.1f} ms", "target": "-", "met": None},
        {"metric": "why, one line", "sce": f"{one_ms:.1f} ms", "baseline": f"{blame_ms:.1f} ms (sce blame)",
         "ratio / added": f"{one_ms / blame_ms:.2f}x", "target": "-", "met": None},
        {"metric": f"why, all {lines} lines: peak RSS", "sce": f"{rss:.1f} MB", "baseline": "-",
         "ratio / added": "-", "target": "-", "met": None},
    ]
    common.emit(rows, args.json)


if __name__ == "__main__":
    main()
