"""Shared helpers for the sce benchmarks (stdlib only)."""

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def find_sce():
    """SCE_BIN, else target/release/sce, else target/debug/sce. Prints the choice on stderr."""
    if os.environ.get("SCE_BIN"):
        path = Path(os.environ["SCE_BIN"]).resolve()
        source = "SCE_BIN"
    else:
        path = REPO / "target" / "release" / "sce"
        source = "release build"
        if not path.exists():
            path, source = REPO / "target" / "debug" / "sce", "debug build (release is absent; timings are pessimistic)"
    if not path.exists():
        sys.exit(f"sce binary not found at {path}; run `cargo build --release -p sce` or set SCE_BIN")
    print(f"using sce: {path} ({source})", file=sys.stderr)
    return str(path)


def isolated_env(tmp, sce):
    """Environment that ignores the user's git and sce configuration."""
    env = dict(os.environ)
    env.update(
        SCE_BIN=sce,
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        XDG_CONFIG_HOME=str(Path(tmp) / "xdg"),
    )
    return env


def git(repo, *args, env):
    return subprocess.run(["git", "-C", str(repo), *args], env=env, check=True,
                          capture_output=True, text=True).stdout


def init_repo(path, env, hook=False):
    """A git repo with an identity; hooks live in <repo>/.git/hooks (only post-commit if `hook`)."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main", env=env)
    for key, value in [("user.name", "Bench"), ("user.email", "bench@example.com"),
                       ("commit.gpgsign", "false"), ("core.hooksPath", str(path / ".git" / "hooks")),
                       # No background `git maintenance` (auto gc after thousands of loose objects):
                       # it competes for the CPU and can hold locks a timed commit then trips over.
                       ("gc.auto", "0"), ("maintenance.auto", "false")]:
        git(path, "config", key, value, env=env)
    hooks = path / ".git" / "hooks"
    for sample in hooks.glob("*.sample"):
        sample.unlink()
    if hook:
        script = hooks / "post-commit"
        script.write_text('#!/bin/sh\nexec "$SCE_BIN" hooks post-commit\n')
        script.chmod(0o755)
    return path


def send(sce, repo, envelope, env):
    """Runs `sce hooks conversation-trace` with one envelope; returns the parsed report."""
    proc = subprocess.run([sce, "hooks", "conversation-trace", "--repo", str(repo)],
                          input=json.dumps(envelope), env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"sce hooks conversation-trace exited {proc.returncode}\n"
                           f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return json.loads(proc.stdout)


def peak_rss_mb(cmd, cwd, env, stdin_text=None):
    """Runs cmd in a fresh interpreter and returns the child's peak RSS in MB."""
    code = ("import resource, subprocess, sys\n"
            "data = sys.stdin.buffer.read()\n"
            "subprocess.run(sys.argv[1:], input=data, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", code, *cmd], cwd=cwd, env=env, input=(stdin_text or "").encode(),
                         capture_output=True, check=True)
    return int(out.stdout.decode().strip()) / 1024


def timed(cmd, cwd, env, runs):
    """p50 wall time of `runs` runs of `cmd`, in ms (output discarded)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return p50(times)


def p50(xs):
    return statistics.median(xs)


def p95(xs):
    xs = sorted(xs)
    return xs[max(0, math.ceil(0.95 * len(xs)) - 1)]


def tempdir(prefix):
    return tempfile.TemporaryDirectory(prefix=prefix)


COLUMNS = ("metric", "sce", "baseline", "ratio / added", "target", "met")


def print_table(rows, out=sys.stdout):
    """rows: dicts with the COLUMNS keys (missing ones print as '-')."""
    cells = [list(COLUMNS)] + [[_cell(r.get(c)) for c in COLUMNS] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip(), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)


def _cell(value):
    if value is None:
        return "-"
    if value is True:
        return "yes"
    if value is False:
        return "NO"
    return str(value)


def emit(rows, json_path):
    """Prints the table, and writes the rows as JSON when asked (for bench/run)."""
    print_table(rows)
    if json_path:
        Path(json_path).write_text(json.dumps(rows))


if __name__ == "__main__":
    # `python3 bench/common.py a.json b.json …` prints the rows of all files as one table.
    print_table([row for f in sys.argv[1:] for row in json.loads(Path(f).read_text())])
