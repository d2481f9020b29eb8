#!/usr/bin/env python3
"""What Claude Code pays per tool call for sce's hooks.

One repository of 10,000 committed files, 50 of them changed and not committed (as
during a working session), with sce set up. Each timed call is one whole
`sce hooks claude-code` process fed a hook payload on stdin, as Claude runs it:

- Edit: PreToolUse + PostToolUse of an `Edit` (exact before/after from the payload).
- Bash: PreToolUse (work-tree snapshot) + PostToolUse (compare, store what changed)
  of a `Bash` call that changes one file between the two.

Next to one bare process start, `sce --version`. Targets: Edit pair p50 <= 15 ms,
Bash pair p50 <= 60 ms.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import common

FILES = 10_000
DIRTY = 50


def run(sce, repo, env, payload):
    start = time.perf_counter()
    proc = subprocess.run([sce, "hooks", "claude-code"], input=json.dumps(payload), cwd=repo, env=env,
                          capture_output=True, text=True)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0 or proc.stdout or proc.stderr:
        raise RuntimeError(f"the hook misbehaved: exit {proc.returncode}, stdout {proc.stdout!r}, stderr {proc.stderr!r}")
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100, help="timed pairs of each kind (default 100)")
    ap.add_argument("--quick", action="store_true", help="smoke test: 1,000 files, 10 pairs")
    ap.add_argument("--json", metavar="PATH", help="also write the result rows as JSON")
    args = ap.parse_args()
    files, n = (1_000, 10) if args.quick else (FILES, args.n)
    sce = common.find_sce()
    with common.tempdir("sce-bench-claude-") as tmp:
        env = common.isolated_env(tmp, sce)
        repo = common.init_repo(Path(tmp) / "repo", env)
        print(f"setup: {files:,} files ...", file=sys.stderr)
        for i in range(files):
            f = repo / f"src/d{i // 100:03d}/f{i:05d}.py"
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text("".join(f"line {j} of file {i}\n" for j in range(30)))
        common.git(repo, "add", "-A", env=env)
        common.git(repo, "commit", "-q", "-m", "files", env=env)
        subprocess.run([sce, "setup", "--claude"], cwd=repo, env=env, check=True, capture_output=True)
        path = lambda k: repo / f"src/d{k // 100:03d}/f{k:05d}.py"  # noqa: E731
        for i in range(DIRTY):
            f = path(i * (files // DIRTY))
            f.write_text(f.read_text() + "a change not committed yet\n")
        transcript = Path(tmp) / "transcript.jsonl"
        transcript.write_text("")
        base = {"session_id": "ses_bench", "transcript_path": str(transcript), "cwd": str(repo),
                "prompt_id": "p1", "permission_mode": "bypassPermissions"}
        target = path(files - 1)

        def model_record(call):
            with transcript.open("a") as t:
                t.write(json.dumps({"type": "assistant", "version": "2.1.332", "message": {
                    "model": "claude-sonnet-4-5", "content": [{"type": "tool_use", "id": call}]}}) + "\n")

        version, edit, bash = [], [], []
        for i in range(n + 3):
            start = time.perf_counter()
            subprocess.run([sce, "--version"], env=env, capture_output=True, check=True)
            v = (time.perf_counter() - start) * 1000
            # Edit
            call = f"toolu_edit_{i}"
            model_record(call)
            before = target.read_text()
            after = before.replace("line 1 ", f"line 1 (edit {i}) ", 1) if i else before + "edit\n"
            old, new = ("line 1 ", f"line 1 (edit {i}) ") if i else (before, after)
            tool_input = {"file_path": str(target), "old_string": old, "new_string": new, "replace_all": False}
            pre = run(sce, repo, env, {**base, "hook_event_name": "PreToolUse", "tool_name": "Edit",
                                       "tool_input": tool_input, "tool_use_id": call})
            target.write_text(after)
            post = run(sce, repo, env, {**base, "hook_event_name": "PostToolUse", "tool_name": "Edit",
                                        "tool_input": tool_input, "tool_use_id": call,
                                        "tool_response": {"filePath": str(target), "oldString": old, "newString": new,
                                                          "originalFile": before, "replaceAll": False}})
            e = pre + post
            # Bash
            call = f"toolu_bash_{i}"
            model_record(call)
            tool_input = {"command": f"echo bash {i} >> {target.name}"}
            pre = run(sce, repo, env, {**base, "hook_event_name": "PreToolUse", "tool_name": "Bash",
                                       "tool_input": tool_input, "tool_use_id": call})
            target.write_text(target.read_text() + f"bash {i}\n")
            post = run(sce, repo, env, {**base, "hook_event_name": "PostToolUse", "tool_name": "Bash",
                                        "tool_input": tool_input, "tool_use_id": call,
                                        "tool_response": {"stdout": "", "stderr": "", "interrupted": False}})
            b = pre + post
            if i >= 3:  # warm-up
                version.append(v)
                edit.append(e)
                bash.append(b)
        # The edits were stored: commit and check the record credits the agent.
        common.git(repo, "add", str(target), env=env)
        subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "agent"], env=env, check=True)
        hook = subprocess.run([sce, "trace", "backfill"], cwd=repo, env=env, capture_output=True, text=True)
        shown = subprocess.run([sce, "trace", "show", "--json"], cwd=repo, env=env, capture_output=True, text=True)
        if "anthropic/claude-sonnet-4-5" not in shown.stdout:
            sys.exit(f"the record does not credit the agent's model:\n{hook.stderr}\n{shown.stdout[:2000]}")

    p50v = common.p50(version)
    rows = [
        {"metric": "sce --version (one process start)", "sce": f"{p50v:.1f} ms", "baseline": "-"},
        {"metric": f"Claude Edit pair p50 (n={n})", "sce": f"{common.p50(edit):.1f} ms",
         "baseline": f"{2 * p50v:.1f} ms (2 starts)", "ratio / added": f"+{common.p50(edit) - 2 * p50v:.1f} ms",
         "target": "<= 15 ms", "met": common.p50(edit) <= 15},
        {"metric": "Claude Edit pair p95", "sce": f"{common.p95(edit):.1f} ms"},
        {"metric": f"Claude Bash pair p50, {files:,} files, {DIRTY} dirty", "sce": f"{common.p50(bash):.1f} ms",
         "baseline": f"{2 * p50v:.1f} ms (2 starts)", "ratio / added": f"+{common.p50(bash) - 2 * p50v:.1f} ms",
         "target": "<= 60 ms", "met": common.p50(bash) <= 60},
        {"metric": "Claude Bash pair p95", "sce": f"{common.p95(bash):.1f} ms"},
    ]
    common.emit(rows, args.json)


if __name__ == "__main__":
    main()
