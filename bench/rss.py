#!/usr/bin/env python3
"""Peak resident memory (RSS) of each sce hook process.

Each command runs as the only child of a fresh Python process, which reports the
child's peak RSS from getrusage(RUSAGE_CHILDREN) — the figure `/usr/bin/time -v`
prints as "Maximum resident set size". Target: <= 50 MB per hook process.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import common

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="accepted for bench/run; sizes are small anyway")
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    args = parser.parse_args()
    sce = common.find_sce()
    rows = []
    with common.tempdir("sce-bench-rss-") as tmp:
        env = common.isolated_env(tmp, sce)
        repo = common.init_repo(Path(tmp) / "repo", env)
        common.send(sce, repo, {"type": "message.updated", "payloads": [
            {"session_id": "s", "message_id": "m", "role": "assistant", "model_id": "fake/model", "time_created_ms": 1}]}, env)
        envelope = json.dumps({"type": "message.part.updated", "payloads": [
            {"session_id": "s", "message_id": "m", "part_id": "t", "part_type": "text", "text": "hello", "time_ms": 1}]})
        rows.append(("intake (one envelope)", common.peak_rss_mb([sce, "hooks", "conversation-trace"], repo, env, envelope)))
        # A 20-file commit, half agent-written, made without hooks; then the hook alone.
        for n in range(20):
            content = "".join(f"line {n} {k}\n" for k in range(50))
            if n % 2:
                common.send(sce, repo, {"type": "message.part.updated", "payloads": [
                    {"session_id": "s", "message_id": "m", "part_id": f"p{n}", "part_type": "patch",
                     "file_path": f"f{n}.txt", "after": content, "time_ms": 1}]}, env)
            (repo / f"f{n}.txt").write_text(content)
        common.git(repo, "add", "-A", env=env)
        common.git(repo, "commit", "-q", "-m", "twenty", env=env)
        rows.append(("post-commit (20 files)", common.peak_rss_mb([sce, "hooks", "post-commit"], repo, env)))
        head = common.git(repo, "rev-parse", "HEAD", env=env).strip()
        common.git(repo, "commit", "-q", "--amend", "-m", "twenty, amended", env=env)
        new = common.git(repo, "rev-parse", "HEAD", env=env).strip()
        rows.append(("post-rewrite (amend)", common.peak_rss_mb([sce, "hooks", "post-rewrite", "amend"], repo, env, f"{head} {new}\n")))
        rows.append(("blame (50 lines)", common.peak_rss_mb([sce, "blame", "f1.txt"], repo, env)))
    table = [{"metric": f"peak RSS: {name}", "sce": f"{mb:.1f} MB", "target": "<= 50 MB", "met": mb <= 50}
             for name, mb in rows]
    common.emit(table, args.json)


if __name__ == "__main__":
    main()
