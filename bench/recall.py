#!/usr/bin/env python3
"""Attribution recall and precision on random edit histories, through the real
binary, real git and the post-commit hook.

Sessions and a person take turns on a few files of plausible code: agents write
functions (blank lines included), rewrite and extend lines, reporting `before` +
`after`, `after` only (only while sce's view is the file, as agents do) or a
unified diff; the person appends remarks to lines (an agent's line stays mixed
while at least half of it remains), inserts lines and blank lines of their own and
deletes lines. Every few steps everything is committed. The truth of every line is
known; each line a commit adds is scored from `sce blame --json`:

  wrong   an agent credited with a line it did not write (blank lines, which no
          marker tells apart, are judged by count per file and session)
  ai      agent lines as written, found as that session's (ai or mixed)
  mixed   agent lines a person extended, found as that session's; and as mixed

    python3 bench/recall.py [--seed N] [--histories N] [--steps N]
"""

import argparse
import difflib
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import find_sce, git, init_repo, isolated_env, send  # noqa: E402

EXPLAIN = False
WORDS = ["alpha", "beta", "cache", "delta", "entry", "frame", "graph", "index", "joint", "kernel",
         "layer", "merge", "node", "order", "parse", "query", "route", "shard", "token", "unit",
         "value", "width", "yield", "zone", "batch", "count", "limit", "offset", "prefix", "suffix"]
REMARKS = ["  # ok", "  # checked", "  # TODO: verify", "  # why?", "  # see issue"]


def similarity(a, b):
    a, b = a.strip(), b.strip()
    if a == b:
        return 1.0
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


class Line:
    __slots__ = ("text", "owner", "written")

    def __init__(self, text, owner, written=None):
        self.text, self.owner, self.written = text, owner, written

    def truth(self):
        """('human'|'ai'|'mixed', session)."""
        if self.owner == "human":
            return ("human", None)
        if self.text == self.written:
            return ("ai", self.owner)
        return ("mixed", self.owner) if similarity(self.written, self.text) >= 0.5 else ("human", None)


class History:
    def __init__(self, rng, sce, root, env):
        self.rng, self.sce, self.root, self.env = rng, sce, root, env
        self.files = {}          # path -> [Line]
        self.clean = {}          # path -> sce's view is known to equal the file
        self.counter = 0
        self.part = 0
        self.score = dict(wrong=0, ai_total=0, ai_found=0, mixed_total=0, mixed_found=0, mixed_exact=0,
                          blank_over=0, commits=0, added=0)

    def ident(self):
        self.counter += 1
        return f"{self.rng.choice(WORDS)}_{self.rng.choice(WORDS)}_{self.counter}"

    def statement(self):
        r = self.rng.random()
        a, b = self.ident(), self.ident()
        if r < 0.4:
            return f"    {a} = {self.rng.choice(WORDS)}({b}, {self.rng.randint(0, 99)})"
        if r < 0.7:
            return f"    if {a} > {b}:\n        return {self.rng.choice(WORDS)}_{self.counter}"
        return f"    {a}.append({b})"

    def function(self, owner):
        name = self.ident()
        body = [f"def {name}({self.rng.choice(WORDS)}):"]
        for _ in range(self.rng.randint(1, 4)):
            body.extend(self.statement().split("\n"))
        body.append(f"    return {self.ident()}")
        body.append("")
        return [Line(t, owner, t if owner != "human" else None) for t in body]

    def render(self, lines):
        return "".join(line.text + "\n" for line in lines)

    def write(self, path, lines):
        full = self.root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(self.render(lines))

    def report(self, session, path, before, after, mode):
        self.part += 1
        item = {"session_id": session, "message_id": f"msg_{session}", "part_id": f"prt_{self.part:05d}",
                "part_type": "patch", "time_ms": 1_763_600_000_000 + self.part, "file_path": path, "tool": "edit"}
        if mode == "full":
            item.update(before=before, after=after)
        elif mode == "after":
            item.update(after=after)
        else:
            diff = "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                                f"a/{path}", f"b/{path}", n=3))
            if not diff:
                return
            item.update(patch=diff)
        report = send(self.sce, self.root, {"type": "message.part.updated", "tool_name": "opencode",
                                            "tool_version": "1.18.33", "payloads": [item]}, self.env)
        assert report.get("persisted") == 1, report

    def agent_step(self, session):
        path = self.rng.choice(list(self.files) + [f"src/m{len(self.files)}.py"] * (len(self.files) < 3))
        lines = self.files.get(path, [])
        new = [Line(l.text, l.owner, l.written) for l in lines]
        for _ in range(self.rng.randint(1, 2)):
            r = self.rng.random()
            if r < 0.5 or not new:
                at = self.rng.randint(0, len(new))
                new[at:at] = self.function(session)
            elif r < 0.8:
                i = self.rng.randrange(len(new))
                if new[i].text.strip():
                    text = new[i].text.rstrip() + f"  # {self.ident()}" if self.rng.random() < 0.5 else self.statement().split("\n")[0]
                    new[i] = Line(text, session, text)
            else:
                i = self.rng.randrange(len(new))
                del new[i:i + self.rng.randint(1, 2)]
        before, after = self.render(lines), self.render(new)
        if before == after:
            return
        modes = ["full", "patch"] + (["after"] if self.clean.get(path, True) else [])
        mode = self.rng.choice(modes)
        self.write(path, new)
        self.files[path] = new
        self.report(session, path, before, after, mode)
        if EXPLAIN:
            print(f"agent {session} {mode} {path}", file=sys.stderr)
        if mode == "full":
            self.clean[path] = True

    def person_step(self):
        if not self.files:
            return
        path = self.rng.choice(list(self.files))
        lines = self.files[path]
        if not lines:
            return
        r = self.rng.random()
        i = self.rng.randrange(len(lines))
        if r < 0.5:
            if lines[i].text.strip():
                lines[i].text += self.rng.choice(REMARKS)
        elif r < 0.75:
            lines[i:i] = self.function("human")[: self.rng.randint(1, 3)] + [Line("", "human")]
        elif r < 0.9:
            lines[i:i] = [Line("", "human"), Line(f"# note {self.ident()}", "human")]
        else:
            del lines[i]
        self.write(path, lines)
        self.clean[path] = False
        if EXPLAIN:
            print(f"person {r:.2f} {path}:{i}", file=sys.stderr)

    def commit(self):
        git(self.root, "add", "-A", env=self.env)
        if not git(self.root, "status", "--porcelain", env=self.env).strip():
            return
        git(self.root, "commit", "-q", "-m", f"step {self.score['commits']}", env=self.env)
        self.score["commits"] += 1
        head = git(self.root, "rev-parse", "HEAD", env=self.env).strip()
        changed = git(self.root, "diff-tree", "--no-commit-id", "--name-only", "-r", "--root", "HEAD",
                      env=self.env).split()
        for path in changed:
            if path not in self.files:
                continue
            out = subprocess.run([self.sce, "blame", path, "--json"], cwd=self.root, env=self.env,
                                 capture_output=True, text=True, check=True)
            rows = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
            self.score_file(self.files[path], rows, head)

    def score_file(self, lines, rows, head):
        assert len(rows) == len(lines), (len(rows), len(lines))
        if EXPLAIN:
            for n, (line, row) in enumerate(zip(lines, rows)):
                if row["commit"] != head:
                    continue
                kind, owner = line.truth()
                cls, session = row.get("class") or "unknown", row.get("session")
                got = (cls, session) if cls in ("ai", "mixed") else ("unknown", None)
                want = (kind, owner) if kind != "human" else ("unknown", None)
                wrong = got[0] != "unknown" and got != want and not (got[1] == want[1] and want[0] != "unknown")
                if wrong and line.text.strip():
                    context = " | ".join(f"{l.owner[:5]}:{l.text.strip()[:28]}" for l in lines[max(0, n - 2):n + 3])
                    print(f"  line {n}: want {want} got {got}: {line.text.strip()[:40]!r}\n      [{context}]",
                          file=sys.stderr)
        blank_credit, blank_truth = {}, {}
        for line, row in zip(lines, rows):
            if row["commit"] != head:
                continue
            self.score["added"] += 1
            cls, session = row.get("class") or "unknown", row.get("session")
            kind, owner = line.truth()
            if not line.text.strip():
                if cls in ("ai", "mixed"):
                    blank_credit[session] = blank_credit.get(session, 0) + 1
                if kind != "human":
                    blank_truth[owner] = blank_truth.get(owner, 0) + 1
                continue
            credited = session if cls in ("ai", "mixed") else None
            if credited is not None and (kind == "human" or credited != owner):
                self.score["wrong"] += 1
            if kind == "ai":
                self.score["ai_total"] += 1
                self.score["ai_found"] += credited == owner
            elif kind == "mixed":
                self.score["mixed_total"] += 1
                self.score["mixed_found"] += credited == owner
                self.score["mixed_exact"] += credited == owner and cls == "mixed"
        for session, n in blank_credit.items():
            over = max(0, n - blank_truth.get(session, 0))
            self.score["blank_over"] += over
            if over and EXPLAIN:
                print(f"  blank over-credit {session} +{over}:", file=sys.stderr)
                for n, (line, row) in enumerate(zip(lines, rows)):
                    if row["commit"] == head and not line.text.strip():
                        ctx = " | ".join(f"{l.owner[:5]}:{l.text.strip()[:20]}" for l in lines[max(0, n - 2):n + 3])
                        print(f"    {n} truth {line.truth()} sce {row.get('class')}/{row.get('session')} [{ctx}]",
                              file=sys.stderr)


def run(sce, seed, steps):
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        env = isolated_env(tmp, sce)
        root = init_repo(Path(tmp) / "repo", env, hook=True)
        subprocess.run([sce, "setup"], cwd=root, env=env, check=True, capture_output=True)
        history = History(rng, sce, root, env)
        for session in ("ses_A", "ses_B", "ses_C"):
            send(sce, root, {"type": "message.updated", "tool_name": "opencode", "tool_version": "1.18.33",
                             "payloads": [{"session_id": session, "message_id": f"msg_{session}", "role": "assistant",
                                           "model_id": "p/m", "time_created_ms": 1_763_600_000_000}]}, env)
        for _ in range(steps):
            r = rng.random()
            if r < 0.45:
                history.agent_step(rng.choice(["ses_A", "ses_B", "ses_C"]))
            elif r < 0.8:
                history.person_step()
            else:
                history.commit()
        history.commit()
        return history.score


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--histories", type=int, default=10)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--explain", action="store_true", help="print every line scored wrong or missed")
    args = parser.parse_args()
    global EXPLAIN
    EXPLAIN = args.explain
    sce = find_sce()
    total = {}
    for h in range(args.histories):
        score = run(sce, args.seed + h, args.steps)
        for k, v in score.items():
            total[k] = total.get(k, 0) + v
    t = total
    ratio = lambda a, b: f"{a / b:.3f}" if b else "n/a"  # noqa: E731
    print(f"{t['commits']} commits, {t['added']} added lines")
    print(f"wrong author or not the agent's: {t['wrong']} lines, blank lines over-credited: {t['blank_over']}")
    print(f"ai recall: {ratio(t['ai_found'], t['ai_total'])} ({t['ai_found']}/{t['ai_total']})")
    print(f"mixed recall (right session): {ratio(t['mixed_found'], t['mixed_total'])} "
          f"({t['mixed_found']}/{t['mixed_total']}); classed mixed: {ratio(t['mixed_exact'], t['mixed_total'])}")


if __name__ == "__main__":
    main()
