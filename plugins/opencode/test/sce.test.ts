// End to end with the real sce binary: recorded sessions are replayed into the
// plugin (real spawner), a person adds a line, git commits through sce's
// post-commit hook, and `sce trace show --json` must credit the agent's lines.
// Uses $SCE_BIN, else <repo>/target/debug/sce; skipped when neither exists.
import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { appendFileSync, chmodSync, existsSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, test } from "node:test"
import { fileURLToPath } from "node:url"
import { git, loadFixture, makeRepo, removeRepo, replay, sessionOf, tracerFor } from "./harness.js"

const REPO_SCE = fileURLToPath(new URL("../../../../target/debug/sce", import.meta.url))
const SCE = process.env.SCE_BIN || (existsSync(REPO_SCE) ? REPO_SCE : "")
const skip = SCE ? false : "no sce binary: set SCE_BIN or build target/debug/sce"

/** Replays `fixture` into a fresh repository through the real sce; commits; returns the summary. */
async function traceOf(fixture: string): Promise<{ session: string; lines: Record<string, string[]> }> {
  const proj = makeRepo()
  try {
    const hook = join(proj, ".git", "hooks", "post-commit")
    writeFileSync(hook, `#!/bin/sh\nexec "${SCE}" hooks post-commit\n`)
    chmodSync(hook, 0o755)
    const recs = loadFixture(fixture, proj)
    const { tracer, logs } = tracerFor(proj, { bin: SCE }, {}, true)
    await replay(tracer, recs, proj)
    await tracer.flush()
    assert.deepEqual(logs, [], "sce accepted every envelope")
    appendFileSync(join(proj, "README.md"), "a human line\n")
    git(proj, "add", "-A")
    git(proj, "commit", "-qm", "x")
    const record = JSON.parse(execFileSync(SCE, ["trace", "show", "HEAD", "--json"], { cwd: proj, encoding: "utf8" }))
    const lines: Record<string, string[]> = {}
    for (const f of record.files)
      for (const c of f.conversations)
        for (const r of c.ranges)
          (lines[f.path] ??= []).push(
            `${r.start_line}-${r.end_line} ${c.contributor.type}${c.contributor.model_id ? ` ${c.contributor.model_id}` : ""}${c.url ? ` ${c.url}` : ""}`,
          )
    for (const l of Object.values(lines)) l.sort((a, b) => parseInt(a) - parseInt(b))
    assert.equal(record.tool.name, "opencode")
    assert.equal(record.tool.version, "1.18.33")
    return { session: sessionOf(recs), lines }
  } finally {
    removeRepo(proj)
  }
}

describe("with the real sce", { skip }, () => {
  test("write, edit and bash lines are ai with the model and the session; the person's line is unknown", async () => {
    const { session, lines } = await traceOf("opencode-1.18.33-edit-write-bash.json")
    const ai = `ai fake/fake-model urn:sce:session:${session}`
    assert.deepEqual(lines, {
      "README.md": [`2-3 ${ai}`, "5-5 unknown"],
      "src/extra.py": [`1-1 ${ai}`],
      "src/hello.py": [`1-5 ${ai}`],
    })
  })

  test("apply_patch and bash lines are ai (gpt-5.1-codex)", async () => {
    const { session, lines } = await traceOf("opencode-1.18.33-apply-patch-codex.json")
    const ai = `ai fake/gpt-5.1-codex urn:sce:session:${session}`
    assert.deepEqual(lines["README.md"], [`1-2 ${ai}`, `4-4 ${ai}`, "5-5 unknown"])
  })

  test("a file the agent created and then moved keeps its ai lines", async () => {
    const { session, lines } = await traceOf("opencode-1.18.33-apply-patch-codex.json")
    assert.deepEqual(lines["src/main.py"], [`1-5 ai fake/gpt-5.1-codex urn:sce:session:${session}`])
  })
})
