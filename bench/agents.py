#!/usr/bin/env python3
"""What each agent pays per tool call for sce's hooks (Codex CLI, Gemini CLI, Cursor,
and the generic contract pi's extension speaks; Claude Code is bench/claude.py).

The repository of bench/claude.py: 10,000 committed files, 50 changed and not
committed, sce set up for each agent. Each timed call is one whole hook process fed
a payload shaped like the agent's own:

- edit pair: the agent's edit tool (Codex apply_patch Pre+Post, Gemini replace
  Before+After, Cursor afterFileEdit, generic post_tool with exact files);
- shell pair: the agent's shell tool around a command that changes one file (work-tree
  snapshot before, compare after).

Also Gemini's BeforeModel at a 100-message conversation (sce does not register it:
the model comes from the transcript; this is what registering it would cost).
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import common

DIRTY = 50


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=50, help="timed pairs of each kind per agent (default 50)")
    ap.add_argument("--quick", action="store_true", help="smoke test: 1,000 files, 5 pairs")
    ap.add_argument("--json", metavar="PATH", help="also write the result rows as JSON")
    args = ap.parse_args()
    files, n = (1_000, 5) if args.quick else (10_000, args.n)
    sce = common.find_sce()
    rows = []
    with common.tempdir("sce-bench-agents-") as tmp:
        env = common.isolated_env(tmp, sce)
        env["HOME"] = str(Path(tmp) / "home")
        env["CODEX_HOME"] = str(Path(tmp) / "home" / ".codex")
        repo = common.init_repo(Path(tmp) / "repo", env)
        path = lambda k: repo / f"src/d{k // 100:03d}/f{k:05d}.py"  # noqa: E731
        print(f"setup: {files:,} files ...", file=sys.stderr)
        for i in range(files):
            f = path(i)
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text("".join(f"line {j} of file {i}\n" for j in range(30)))
        common.git(repo, "add", "-A", env=env)
        common.git(repo, "commit", "-q", "-m", "files", env=env)
        subprocess.run([sce, "setup", "--codex", "--gemini", "--cursor"], cwd=repo, env=env, check=True,
                       capture_output=True)
        for i in range(DIRTY):
            f = path(i * (files // DIRTY))
            f.write_text(f.read_text() + "a change not committed yet\n")
        target = path(files - 1)
        root = str(repo)

        def hook(agent, payload):
            start = time.perf_counter()
            proc = subprocess.run([sce, "hooks", agent], input=json.dumps(payload), cwd=repo, env=env,
                                  capture_output=True, text=True)
            elapsed = (time.perf_counter() - start) * 1000
            if proc.returncode != 0 or proc.stderr:
                raise RuntimeError(f"{agent} hook: exit {proc.returncode}, stderr {proc.stderr!r}")
            return elapsed

        def change(i, tag):
            before = target.read_text()
            after = before + f"{tag} {i}\n"
            return before, after

        codex = {"session_id": "ses_codex", "turn_id": "t1", "cwd": root, "model": "gpt-5.5",
                 "permission_mode": "bypassPermissions"}
        gemini = {"session_id": "ses_gemini", "cwd": root, "timestamp": "2026-11-30T00:00:00Z"}
        cursor = {"conversation_id": "conv", "generation_id": "gen", "workspace_roots": [root], "model": "gpt-5"}
        generic = {"agent": "pi", "agent_version": "0.73.1", "session_id": "ses_pi", "model": "fake/coder", "cwd": root}

        def codex_edit(i):
            before, after = change(i, "codex")
            patch = f"*** Begin Patch\n*** Update File: {target.relative_to(repo)}\n@@\n{before.splitlines()[-1] and ' ' + before.splitlines()[-1]}\n+codex {i}\n*** End Patch"
            call = {**codex, "tool_name": "apply_patch", "tool_input": {"command": patch}, "tool_use_id": f"e{i}"}
            t = hook("codex", {**call, "hook_event_name": "PreToolUse"})
            target.write_text(after)
            return t + hook("codex", {**call, "hook_event_name": "PostToolUse", "tool_response": "Success."})

        def codex_shell(i):
            call = {**codex, "tool_name": "Bash", "tool_input": {"command": "echo >> f"}, "tool_use_id": f"s{i}"}
            t = hook("codex", {**call, "hook_event_name": "PreToolUse"})
            target.write_text(change(i, "codex shell")[1])
            return t + hook("codex", {**call, "hook_event_name": "PostToolUse", "tool_response": ""})

        def gemini_edit(i):
            before, after = change(i, "gemini")
            call = {**gemini, "tool_name": "replace", "tool_input": {"file_path": str(target)}}
            t = hook("gemini", {**call, "hook_event_name": "BeforeTool"})
            target.write_text(after)
            return t + hook("gemini", {**call, "hook_event_name": "AfterTool", "tool_response": {
                "llmContent": "ok", "returnDisplay": {"filePath": str(target), "originalContent": before,
                                                      "newContent": after, "isNewFile": False}}})

        def gemini_shell(i):
            call = {**gemini, "tool_name": "run_shell_command", "tool_input": {"command": "echo >> f"}}
            t = hook("gemini", {**call, "hook_event_name": "BeforeTool"})
            target.write_text(change(i, "gemini shell")[1])
            return t + hook("gemini", {**call, "hook_event_name": "AfterTool",
                                       "tool_response": {"llmContent": "", "returnDisplay": ""}})

        def cursor_edit(i):
            before, after = change(i, "cursor")
            target.write_text(after)
            return hook("cursor", {**cursor, "hook_event_name": "afterFileEdit", "file_path": str(target),
                                   "edits": [{"old_string": before[-30:], "new_string": after[-40:]}]})

        def cursor_shell(i):
            call = {**cursor, "command": f"echo {i} >> f", "cwd": root}
            t = hook("cursor", {**call, "hook_event_name": "beforeShellExecution"})
            target.write_text(change(i, "cursor shell")[1])
            return t + hook("cursor", {**call, "hook_event_name": "afterShellExecution", "output": ""})

        def generic_edit(i):
            before, after = change(i, "pi")
            target.write_text(after)
            return hook("agent", {**generic, "event": "post_tool", "tool_call_id": f"e{i}", "tool_name": "edit",
                                  "files": [{"path": str(target), "before": before, "after": after}]})

        def generic_shell(i):
            call = {**generic, "tool_call_id": f"s{i}", "tool_name": "bash"}
            t = hook("agent", {**call, "event": "pre_tool"})
            target.write_text(change(i, "pi shell")[1])
            return t + hook("agent", {**call, "event": "post_tool"})

        for name, edit, shell in [("Codex CLI (apply_patch / Bash)", codex_edit, codex_shell),
                                  ("Gemini CLI (replace / run_shell_command)", gemini_edit, gemini_shell),
                                  ("Cursor (afterFileEdit / shell)", cursor_edit, cursor_shell),
                                  ("pi, via sce hooks agent (edit / bash)", generic_edit, generic_shell)]:
            edits, shells = [], []
            for i in range(n + 2):
                e, s = edit(i), shell(i)
                if i >= 2:
                    edits.append(e)
                    shells.append(s)
            rows.append({"metric": f"{name}: edit p50 / p95", "sce": f"{common.p50(edits):.1f} / {common.p95(edits):.1f} ms",
                         "target": "<= 15 ms (as Claude's)", "met": common.p50(edits) <= 15})
            rows.append({"metric": f"{name}: shell pair p50 / p95", "sce": f"{common.p50(shells):.1f} / {common.p95(shells):.1f} ms",
                         "target": "<= 60 ms (as Claude's)", "met": common.p50(shells) <= 60})

        messages = [{"role": "user" if k % 2 == 0 else "model", "content": f"message {k} " + "x" * 500}
                    for k in range(100)]
        before_model = {**gemini, "hook_event_name": "BeforeModel",
                        "llm_request": {"model": "gemini-2.5-pro", "messages": messages, "config": {}}}
        times = sorted(hook("gemini", before_model) for _ in range(n))
        rows.append({"metric": "Gemini BeforeModel, 100-message conversation (not registered by setup)",
                     "sce": f"{common.p50(times):.1f} ms"})
    common.emit(rows, args.json)


if __name__ == "__main__":
    main()
