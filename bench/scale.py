#!/usr/bin/env python3
"""Whether sce's hook costs stay flat as its DB grows.

One repository with sce's post-commit hook: 2,000 files of 40 lines (~1.6 KB each).
It is measured fresh, then grown ("filled") to 20,000 and to 100,000 stored agent
edits and measured again at each level:

- intake: p50/p95 wall time of one `sce hooks conversation-trace` process with one
  patch part (before+after of a ~1.6 KB file);
- post-commit: the time the hook adds to a 20-file commit (10 agent-edited files,
  10 edited by a person) over an equivalent hookless commit in the same repo;
- `sce blame` of the file edited most often, and `sce stats --json`;
- the DB and WAL sizes, bytes per stored edit, and the largest WAL seen after any
  sce process of the run.

The fill sends edits from 200 sessions (two models) in envelopes of 500 patch parts.
It works in blocks of 1,000 edits: 100 files, 10 consecutive edits each (each edit's
`before` is the previous `after`), then the final contents are committed with the
hook, so every edit is folded into sce's views as in real use. Automatic light GC is
turned off (SCE_RETENTION_AUTO_GC=false, when the binary knows the key) during the
fill and the measurements, so the DB really holds the edits. After the last level,
`sce gc --json` is timed (when the binary has it) and intake and post-commit are
measured again.
"""

import argparse
import random
import subprocess
import sys
import time
from pathlib import Path

import common

NOTES_REF = "refs/notes/agent-trace"
DAY_MS = 24 * 60 * 60 * 1000
HISTORY_DAYS = 30         # the fill's edits are dated over this many days before now
AUTO_GC_VAR = "SCE_RETENTION_AUTO_GC"
MODELS = ("anthropic/claude-sonnet-4-5", "openai/gpt-5.1")
TOOL = {"tool_name": "opencode", "tool_version": "1.18.33"}
SESSIONS = 200
FILES, LINES = 2000, 40
MAX_LINES = 48            # edits append lines only below this, so files stay ~1.6-1.9 KB
BLOCK_FILES, EDITS_PER_FILE = 100, 10
BLOCK_EDITS = BLOCK_FILES * EDITS_PER_FILE
FILES_PER_SESSION = 5     # per block: 20 sessions x 5 files x 10 edits
BATCH = 500               # patch parts per envelope in the fill
MiB = 1024 * 1024

WORDS = ("value", "count", "item", "total", "buffer", "index", "offset", "record", "config",
         "parser", "handler", "result", "entry", "node", "token", "state", "cache", "width",
         "limit", "source", "target", "payload", "header", "column", "window", "session")
TEMPLATES = (
    "    {a} = {b}_{n}({c}, {d}={m})",
    "    if {a}.{b} > {n} and not {c}:",
    "        return {b}_{n}({a}) + {m}",
    "    {a}.append({c}[{n}] * {m})",
    "def {b}_{n}({a}, {c}, {d}=None):",
    "    for {a} in range({n}, {m}):",
    "        {a}_{n} += {b}.get({c!r}, {m})",
    "    {a}[{n}] = {b}_{c}({d}, {m})",
    "        raise ValueError({a!r}, {n})",
    "    assert {a}_{n} <= {b}.{c}, {m}",
)


def now_ms():
    return int(time.time() * 1000)


def kilo(n):
    return f"{n // 1000}k" if n % 1000 == 0 else f"{n:,}"


def mib(n):
    return f"{n / MiB:.1f} MiB"


def ms(seconds):
    return seconds * 1000


class Scale:
    """The repository, the contents sce and git have seen, and the counters."""

    def __init__(self, sce, tmp, env, seed):
        self.sce, self.env = sce, env
        self.rng = random.Random(seed)
        self.repo = common.init_repo(Path(tmp) / "repo", env, hook=True)
        self.db = self.repo / ".git" / "sce" / "agent-trace.db"
        self.wal = self.repo / ".git" / "sce" / "agent-trace.db-wal"
        self.paths = [f"src/d{i // 100:02d}/f{i:04d}.py" for i in range(FILES)]
        self.hot = self.paths[0]       # edited in every fill block: the file `sce blame` reads
        self.others = self.paths[1:]
        self.content = {p: "".join(self.line() + "\n" for _ in range(LINES)) for p in self.paths}
        # The fill replays a few weeks of history: its edits are dated over the 30 days
        # before now (so `sce gc`'s default retention has something to remove); the
        # measurements are dated now.
        self.clock = now_ms() - HISTORY_DAYS * DAY_MS
        self.history_end = now_ms() - DAY_MS
        self.filling_to = None
        self.fill_clock = 0
        self.final_level = 1           # set by main: the largest level, the end of the history
        self.edits = 0                 # patch parts stored (fill and measurements)
        self.fill_edits = 0
        self.blocks = 0
        self.parts = 0                 # for unique part ids
        self.messages = 0
        self.spooled = 0
        self.wal_max = 0
        self.problems = []
        self.hook_stderr = {}
        self.write(self.paths)
        self.git("add", "-A")
        self.commit("initial", hooked=True)  # creates the DB

    # --- content -----------------------------------------------------------------

    def line(self):
        r = self.rng
        a, b, c, d = r.sample(WORDS, 4)
        return r.choice(TEMPLATES).format(a=a, b=b, c=c, d=d, n=r.randrange(1000), m=r.randrange(100000))

    def edited(self, text):
        """`text` with 1-3 lines changed, or (while the file is short) appended."""
        lines = text.splitlines(keepends=True)
        k = self.rng.randint(1, 3)
        if len(lines) + k <= MAX_LINES and self.rng.random() < 0.3:
            lines += [self.line() + "\n" for _ in range(k)]
        else:
            start = self.rng.randrange(len(lines) - k + 1)
            lines[start:start + k] = [self.line() + "\n" for _ in range(k)]
        return "".join(lines)

    def write(self, paths):
        for p in paths:
            f = self.repo / p
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(self.content[p])

    # --- processes -----------------------------------------------------------------

    def git(self, *args):
        return common.git(self.repo, *args, env=self.env)

    def stat_wal(self):
        try:
            self.wal_max = max(self.wal_max, self.wal.stat().st_size)
        except FileNotFoundError:
            pass

    def sizes(self):
        """(DB bytes, WAL bytes)."""
        return tuple(f.stat().st_size if f.exists() else 0 for f in (self.db, self.wal))

    def send(self, kind, payloads):
        """One envelope, one process; checks that sce took every item. Returns seconds."""
        start = time.perf_counter()
        report = common.send(self.sce, self.repo, {"type": kind, **TOOL, "payloads": payloads}, self.env)
        elapsed = time.perf_counter() - start
        self.stat_wal()
        if report["persisted"] + report["spooled"] != len(payloads):
            self.problems.append(f"{kind}: {len(payloads)} items sent, report {report}")
        self.spooled += report["spooled"]
        return elapsed

    def message(self, session):
        """A new assistant message in `session` (model by session number); returns its id."""
        self.messages += 1
        message_id = f"msg_{self.messages:06d}"
        self.tick()
        self.send("message.updated", [{
            "session_id": f"ses_scale_{session:03d}", "message_id": message_id, "role": "assistant",
            "model_id": MODELS[session % len(MODELS)], "time_created_ms": self.clock}])
        return message_id

    def patch(self, session, message_id, path):
        """The next agent edit of `path` as a patch part; advances the content."""
        before = self.content[path]
        after = self.content[path] = self.edited(before)
        self.parts += 1
        self.edits += 1
        self.tick()
        return {"session_id": f"ses_scale_{session:03d}", "message_id": message_id,
                "part_id": f"prt_{self.parts:07d}", "part_type": "patch", "tool": "edit",
                "file_path": path, "before": before, "after": after, "time_ms": self.clock}

    def commit(self, message, hooked):
        """`git commit` of the staged changes; returns seconds. A hooked commit must get a note."""
        cmd = ["git", "-C", str(self.repo)]
        if not hooked:
            cmd += ["-c", "core.hooksPath=/dev/null"]
        start = time.perf_counter()
        proc = subprocess.run(cmd + ["commit", "-q", "-m", message], env=self.env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"git commit failed: {proc.stderr}")
        if hooked:
            self.stat_wal()
            if proc.stderr.strip():
                self.hook_stderr.setdefault(proc.stderr.strip(), message)
            noted = subprocess.run(["git", "-C", str(self.repo), "notes", "--ref", NOTES_REF, "show", "HEAD"],
                                   env=self.env, capture_output=True).returncode == 0
            if not noted:
                self.problems.append(f"commit {message!r} has no note under {NOTES_REF}")
        return elapsed

    def timed(self, cmd, runs):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(cmd, cwd=self.repo, env=self.env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append(ms(time.perf_counter() - start))
            self.stat_wal()
        return common.p50(times)

    # --- fill ----------------------------------------------------------------------

    def fill_block(self):
        """1,000 edits (100 files x 10), sent 500 parts per envelope, then one hooked commit."""
        b = self.blocks
        self.blocks += 1
        files = [self.hot] + self.rng.sample(self.others, BLOCK_FILES - 1)
        sessions = [(b * (BLOCK_FILES // FILES_PER_SESSION) + j) % SESSIONS
                    for j in range(BLOCK_FILES // FILES_PER_SESSION)]
        messages = []
        for j, s in enumerate(sessions):
            self.tick()
            messages.append({"session_id": f"ses_scale_{s:03d}", "message_id": f"msg_b{b:05d}_{j:02d}",
                             "role": "assistant", "model_id": MODELS[s % len(MODELS)],
                             "time_created_ms": self.clock})
        self.send("message.updated", messages)
        batch = []
        for i, path in enumerate(files):
            j = i // FILES_PER_SESSION
            for _ in range(EDITS_PER_FILE):
                batch.append(self.patch(sessions[j], f"msg_b{b:05d}_{j:02d}", path))
                if len(batch) == BATCH:
                    self.send("message.part.updated", batch)
                    batch = []
        if batch:
            self.send("message.part.updated", batch)
        self.fill_edits += BLOCK_EDITS
        self.write(files)
        self.git("add", "-A")
        self.commit(f"fill block {b}", hooked=True)

    def tick(self):
        """The next event time: during the fill, spread over the history by progress; else now."""
        if self.filling_to:
            start = self.history_end - HISTORY_DAYS * DAY_MS
            at = start + (self.history_end - start) * self.edits // max(1, self.final_level)
            # Its own clock: the measurements in between are dated now.
            self.fill_clock = max(self.fill_clock + 1, at)
            self.clock = self.fill_clock
        else:
            self.clock = max(self.clock + 1, now_ms())

    def fill_to(self, level):
        if self.fill_edits >= level:
            return
        self.filling_to = level
        print(f"fill: {kilo(self.fill_edits)} -> {kilo(level)} edits ...", file=sys.stderr)
        mark, marked = time.perf_counter(), self.fill_edits
        while self.fill_edits < level:
            self.fill_block()
            if self.blocks % 10 == 0 or self.fill_edits >= level:
                now = time.perf_counter()
                rate = (self.fill_edits - marked) / (now - mark)
                mark, marked = now, self.fill_edits
                db, wal = self.sizes()
                print(f"  fill: {self.fill_edits:,} edits, {rate:,.0f} edits/s lately, "
                      f"DB {mib(db)}, WAL {mib(wal)}", file=sys.stderr)
        self.filling_to = None

    # --- measurements --------------------------------------------------------------

    def measure_intake(self, n, warmup=10):
        """p50, p95 ms of one-patch-part envelopes, one process each; then commits those edits."""
        session = SESSIONS  # a session of its own, past the fill's
        message_id = self.message(session)
        files = self.rng.sample(self.others, 10)
        times = []
        for i in range(warmup + n):
            part = self.patch(session, message_id, files[i % len(files)])
            secs = self.send("message.part.updated", [part])
            if i >= warmup:
                times.append(ms(secs))
        self.write(files)
        self.git("add", "-A")
        self.commit("intake edits", hooked=True)  # untimed: folds the edits in, as in real use
        return common.p50(times), common.p95(times)

    def measure_commit(self, rounds):
        """Hooked and hookless 20-file commits, alternating; returns (added, hooked, hookless) ms."""
        hooked, plain = [], []
        for r in range(rounds + 1):  # round 0 is a warm-up
            picked = self.rng.sample(self.others, 40)
            agent, person, other = picked[:10], picked[10:20], picked[20:]

            def with_hook():
                session = SESSIONS + 1 + r % 2
                message_id = self.message(session)
                self.send("message.part.updated", [self.patch(session, message_id, p) for p in agent])
                for p in person:
                    self.content[p] = self.edited(self.content[p])
                self.write(agent + person)
                self.git("add", "-A")
                return ms(self.commit(f"measure round {r} (hook)", hooked=True))

            def without_hook():
                for p in other:
                    self.content[p] = self.edited(self.content[p])
                self.write(other)
                self.git("add", "-A")
                return ms(self.commit(f"measure round {r} (no hook)", hooked=False))

            if r % 2 == 0:
                h, p = with_hook(), without_hook()
            else:
                p, h = without_hook(), with_hook()
            if r:
                hooked.append(h)
                plain.append(p)
        h, p = common.p50(hooked), common.p50(plain)
        return h - p, h, p

    def measure(self, args, label):
        print(f"measure {label}: intake x {args.n}, commit x {args.rounds}, blame, stats ...", file=sys.stderr)
        m = {}
        m["intake_p50"], m["intake_p95"] = self.measure_intake(args.n)
        m["added"], m["hooked"], m["plain"] = self.measure_commit(args.rounds)
        m["blame"] = self.timed([self.sce, "blame", self.hot], 5)
        m["stats"] = self.timed([self.sce, "stats", "--json"], 3)
        m["db"], m["wal"] = self.sizes()
        m["edits"] = self.edits
        print(f"  {label}: {self.edits:,} stored edits ({self.fill_edits:,} by the fill); "
              f"intake p50 {m['intake_p50']:.1f} ms, p95 {m['intake_p95']:.1f} ms; "
              f"commit {m['hooked']:.1f} ms vs {m['plain']:.1f} ms without hook ({m['added']:+.1f} ms); "
              f"blame {m['blame']:.1f} ms; stats {m['stats']:.1f} ms; DB {mib(m['db'])}, WAL {mib(m['wal'])}",
              file=sys.stderr)
        return m

    def gc(self):
        """Times `sce gc --json` (None when the binary has no `gc`); prints its output on stderr."""
        probe = subprocess.run([self.sce, "gc", "--help"], cwd=self.repo, env=self.env, capture_output=True)
        if probe.returncode != 0:
            print("gc: this sce has no `gc` command; skipping", file=sys.stderr)
            return None
        start = time.perf_counter()
        proc = subprocess.run([self.sce, "gc", "--json"], cwd=self.repo, env=self.env, capture_output=True, text=True)
        elapsed = ms(time.perf_counter() - start)
        self.stat_wal()
        print(f"gc: exit {proc.returncode}, {elapsed:.0f} ms: {proc.stdout.strip()}", file=sys.stderr)
        if proc.stderr.strip():
            print(f"gc stderr: {proc.stderr.strip()}", file=sys.stderr)
        if proc.returncode != 0:
            self.problems.append(f"sce gc --json exited {proc.returncode}")
        return elapsed


def auto_gc_env(sce, repo, env):
    """The env with SCE_RETENTION_AUTO_GC=false, unless this binary rejects it."""
    test = dict(env, **{AUTO_GC_VAR: "false"})
    proc = subprocess.run([sce, "config", "show"], cwd=repo, env=test, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"warning: `sce config show` fails with {AUTO_GC_VAR}=false set (exit {proc.returncode}: "
              f"{proc.stderr.strip()}); dropping it (automatic GC stays at its default)", file=sys.stderr)
        return env
    if "auto_gc" not in proc.stdout:
        print(f"warning: this sce does not list retention.auto_gc; {AUTO_GC_VAR}=false is set "
              f"but probably has no effect", file=sys.stderr)
    return test


def ratio_row(metric, grown, fresh, unit="ms", factor=None):
    """grown vs fresh; with `factor`, the target is grown <= factor x fresh."""
    row = {"metric": metric, "sce": f"{grown:.1f} {unit}", "baseline": f"{fresh:.1f} {unit} (fresh)",
           "ratio / added": (f"{grown / fresh:.2f}x / " if fresh > 0 else "") + f"{grown - fresh:+.1f} {unit}"}
    if factor:
        row["target"] = f"<= {factor}x fresh"
        # A fresh figure at or below zero (noise) gives nothing to scale: no verdict.
        row["met"] = grown <= factor * fresh if fresh > 0 else None
    return row


def rows_for(results, levels):
    fresh = results[levels[0]]
    fresh_bytes = fresh["db"] + fresh["wal"]
    rows = []
    for level in levels[1:]:
        m, at = results[level], f"@{kilo(level)} edits"
        rows.append(ratio_row(f"scale intake p50 {at}", m["intake_p50"], fresh["intake_p50"], factor=1.2))
        rows.append(ratio_row(f"scale intake p95 {at}", m["intake_p95"], fresh["intake_p95"]))
        rows.append(ratio_row(f"scale post-commit added {at}", m["added"], fresh["added"], factor=1.2))
        rows.append(ratio_row(f"scale blame {at}", m["blame"], fresh["blame"]))
        rows.append(ratio_row(f"scale stats {at}", m["stats"], fresh["stats"]))
        total = m["db"] + m["wal"]
        rows.append({"metric": f"scale DB+WAL bytes {at}", "sce": f"{mib(total)} (WAL {mib(m['wal'])})",
                     "baseline": f"{mib(fresh_bytes)} (fresh)",
                     "ratio / added": f"+{mib(total - fresh_bytes)}"})
        added = m["edits"] - fresh["edits"]
        per_edit = (total - fresh_bytes) / added
        rows.append({"metric": f"scale bytes per edit {at}", "sce": f"{per_edit:.0f} B",
                     "baseline": "-", "ratio / added": f"{added:,} edits stored",
                     "target": "<= 1 KB", "met": per_edit <= 1024})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100, help="timed intake processes per level (default 100)")
    ap.add_argument("--rounds", type=int, default=9, help="timed commit rounds per level (default 9)")
    ap.add_argument("--levels", default="20000,100000",
                    help="stored-edit levels measured after fresh, multiples of 1000 (default 20000,100000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed of the generated code (default 1)")
    ap.add_argument("--quick", action="store_true", help="smoke test: levels 2,000 and 5,000 (overrides --levels); n=20; 3 rounds")
    ap.add_argument("--json", metavar="PATH", help="also write the result rows as JSON")
    args = ap.parse_args()
    if args.quick:
        args.n, args.rounds, args.levels = 20, 3, "2000,5000"
    levels = [0] + sorted({int(x) for x in args.levels.split(",") if x.strip() and int(x) > 0})
    if any(level % BLOCK_EDITS for level in levels):
        ap.error(f"levels must be multiples of {BLOCK_EDITS}")

    sce = common.find_sce()
    started = time.perf_counter()
    with common.tempdir("sce-bench-scale-") as tmp:
        env = common.isolated_env(tmp, sce)
        probe = common.init_repo(Path(tmp) / "probe", env)
        env = auto_gc_env(sce, probe, env)
        print(f"setup: {FILES:,} files x {LINES} lines ...", file=sys.stderr)
        s = Scale(sce, tmp, env, args.seed)
        s.final_level = max(levels)
        db, wal = s.sizes()
        print(f"setup: DB {mib(db)}, WAL {mib(wal)}", file=sys.stderr)

        results = {}
        for level in levels:
            s.fill_to(level)
            results[level] = s.measure(args, f"@{kilo(level)}" if level else "fresh")

        last = levels[-1]
        before = sum(s.sizes())
        gc_ms = s.gc()
        after_gc = None
        if gc_ms is not None:
            db, wal = s.sizes()
            print(f"after gc: DB {mib(db)}, WAL {mib(wal)}; re-measuring intake and post-commit ...", file=sys.stderr)
            p50, _ = s.measure_intake(args.n)
            added, h, p = s.measure_commit(args.rounds)
            print(f"  after gc: intake p50 {p50:.1f} ms; commit {h:.1f} ms vs {p:.1f} ms ({added:+.1f} ms)",
                  file=sys.stderr)
            after_gc = {"db": db, "wal": wal, "intake_p50": p50, "added": added}

    for err, message in s.hook_stderr.items():
        print(f"hook stderr (first at {message!r}): {err}", file=sys.stderr)
    if s.spooled:
        print(f"note: {s.spooled} items were spooled rather than stored directly", file=sys.stderr)

    rows = rows_for(results, levels)
    rows.append({"metric": "scale WAL max bytes (after any sce process)", "sce": mib(s.wal_max),
                 "baseline": "-", "ratio / added": f"{s.wal_max:,} B", "target": "<= 4 MiB",
                 "met": s.wal_max <= 4 * MiB})
    at = f"@{kilo(last)} edits"
    if gc_ms is None:
        rows.append({"metric": f"scale gc time {at}", "sce": None, "baseline": None,
                     "ratio / added": "no `sce gc` in this binary"})
    else:
        fresh = results[levels[0]]
        total = after_gc["db"] + after_gc["wal"]
        rows.append({"metric": f"scale gc time {at}", "sce": f"{gc_ms:.0f} ms", "baseline": "-",
                     "ratio / added": None})
        rows.append({"metric": f"scale DB+WAL bytes after gc {at}", "sce": f"{mib(total)} (WAL {mib(after_gc['wal'])})",
                     "baseline": f"{mib(before)} (before gc)",
                     "ratio / added": f"{total / before:.2f}x / {(total - before) / MiB:+.1f} MiB"})
        rows.append(ratio_row(f"scale intake p50 after gc {at}", after_gc["intake_p50"], fresh["intake_p50"],
                              factor=1.2))
        rows.append(ratio_row(f"scale post-commit added after gc {at}", after_gc["added"], fresh["added"],
                              factor=1.2))
    common.emit(rows, args.json)
    print(f"scale: done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if s.problems:
        for problem in s.problems[:20]:
            print(f"problem: {problem}", file=sys.stderr)
        sys.exit(f"FAILED: {len(s.problems)} problem(s): intake reports that do not add up "
                 "or hooked commits without a note")


if __name__ == "__main__":
    main()
