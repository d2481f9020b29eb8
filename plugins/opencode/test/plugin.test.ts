// Behaviour of the plugin on synthetic inputs: parsing helpers, file rules,
// streaming text, delivery (missing sce, timeout, exit), robustness.
import assert from "node:assert/strict"
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { describe, test } from "node:test"
import { SceAgentTrace } from "../sce-agent-trace.js"
import { fakeSce, git, makeRepo, patches, payloads, removeRepo, tracerFor, waitFor } from "./harness.js"

const { decodeText, parsePatchTextFiles, parseStatusV2, diffStates, pairRenames } = SceAgentTrace.internals

const S = "ses_test"
const M = "msg_assistant"

/** The events OpenCode sends around one tool call: the assistant message and the pending tool part. */
function toolStart(callID: string, tool: string, messageID = M, partID = `prt_${callID}`) {
  return [
    {
      type: "message.updated",
      properties: {
        sessionID: S,
        info: { id: messageID, sessionID: S, role: "assistant", providerID: "prov", modelID: "mod-1", parentID: "msg_user", time: { created: 1000 } },
      },
    },
    {
      type: "message.part.updated",
      properties: { sessionID: S, part: { id: partID, messageID, sessionID: S, type: "tool", tool, callID, state: { status: "pending", input: {} } }, time: 1001 },
    },
  ]
}

async function send(tracer: ReturnType<typeof tracerFor>["tracer"], events: unknown[]) {
  for (const event of events) await tracer.hooks.event!({ event: event as any })
}

/** Runs one tool call through the hooks; `act` changes the disk in between. */
async function toolCall(t: ReturnType<typeof tracerFor>["tracer"], tool: string, callID: string, args: any, act: () => void, metadata: any = {}) {
  await send(t, toolStart(callID, tool))
  await t.hooks["tool.execute.before"]!({ tool, sessionID: S, callID }, { args })
  act()
  await t.hooks["tool.execute.after"]!({ tool, sessionID: S, callID, args }, { title: "", output: "", metadata })
}

describe("helpers", () => {
  test("parsePatchTextFiles names added, updated, deleted and moved files", () => {
    const text = [
      "*** Begin Patch",
      "*** Add File: src/new file.py",
      "+x",
      "*** Update File: a.txt",
      "*** Move to: b/a.txt",
      "@@",
      "-old",
      "+new",
      "*** Delete File: gone.md",
      "*** Update File: /abs/c.rs",
      "@@",
      " ctx",
      "*** End Patch",
    ].join("\n")
    assert.deepEqual(parsePatchTextFiles(text), {
      paths: ["src/new file.py", "a.txt", "b/a.txt", "gone.md", "/abs/c.rs"],
      moves: [{ from: "a.txt", to: "b/a.txt" }],
    })
  })

  test("parseStatusV2 reads head, tracked, untracked, renames; skips submodules", () => {
    const head = "a".repeat(40)
    const out = [
      `# branch.oid ${head}`,
      "# branch.head main",
      `1 .M N... 100644 100644 100644 ${"1".repeat(40)} ${"1".repeat(40)} src/with space.txt`,
      `1 .M S.M. 160000 160000 160000 ${"2".repeat(40)} ${"2".repeat(40)} vendor/sub`,
      `2 R. N... 100644 100644 100644 ${"3".repeat(40)} ${"3".repeat(40)} R100 new.txt`,
      "old.txt",
      `u UU N... 100644 100644 100644 100644 ${"4".repeat(40)} ${"5".repeat(40)} ${"6".repeat(40)} conflict.c`,
      "? untracked.md",
      "",
    ].join("\0")
    assert.deepEqual(parseStatusV2(out), {
      head,
      entries: [
        { path: "src/with space.txt", tracked: true },
        { path: "new.txt", tracked: true },
        { path: "conflict.c", tracked: true },
        { path: "untracked.md", tracked: false },
      ],
    })
    assert.equal(parseStatusV2("# branch.oid (initial)\0").head, null)
  })

  test("decodeText refuses binary and non-UTF-8 content", () => {
    assert.equal(decodeText(Buffer.from("héllo\n")), "héllo\n")
    assert.equal(decodeText(Buffer.from([0x61, 0x00, 0x62])), null)
    assert.equal(decodeText(Buffer.from([0x61, 0xff, 0xfe, 0x62])), null)
  })

  test("diffStates and pairRenames", () => {
    const t = (text: string) => ({ kind: "text" as const, text })
    const missing = { kind: "missing" as const }
    assert.equal(diffStates("a", t("x"), t("x")), null)
    assert.equal(diffStates("a", missing, missing), null)
    assert.equal(diffStates("a", { kind: "skip", reason: "binary" }, t("x")), null)
    assert.deepEqual(diffStates("a", missing, t("x")), { file_path: "a", status: "added", after: "x" })
    assert.deepEqual(diffStates("a", t("x"), missing), { file_path: "a", status: "deleted", before: "x" })
    assert.deepEqual(diffStates("a", t("x"), t("y")), { file_path: "a", status: "modified", before: "x", after: "y" })
    assert.deepEqual(diffStates("a", { kind: "sig", sig: "1" }, t("y")), { file_path: "a", status: "modified", after: "y" })
    assert.deepEqual(
      pairRenames([
        { file_path: "old", status: "deleted", before: "same\n" },
        { file_path: "other", status: "modified", before: "1", after: "2" },
        { file_path: "new", status: "added", after: "same\n" },
      ]),
      [
        { file_path: "new", old_path: "old", status: "renamed", before: "same\n", after: "same\n" },
        { file_path: "other", status: "modified", before: "1", after: "2" },
      ],
    )
  })
})

describe("file changes", () => {
  test("files outside the repository, too big, or binary are not reported", async () => {
    const proj = makeRepo()
    try {
      const { tracer, sce } = tracerFor(proj, { maxFileBytes: 1024 })
      const outside = join(dirname(proj), "outside.txt")
      await toolCall(tracer, "write", "c1", { filePath: outside }, () => writeFileSync(outside, "x\n"))
      await toolCall(tracer, "write", "c2", { filePath: join(proj, "big.txt") }, () => writeFileSync(join(proj, "big.txt"), "y\n".repeat(1000)))
      await toolCall(tracer, "write", "c3", { filePath: join(proj, "bin.dat") }, () => writeFileSync(join(proj, "bin.dat"), Buffer.from([1, 0, 2])))
      await toolCall(tracer, "write", "c4", { filePath: join(proj, ".git", "x") }, () => writeFileSync(join(proj, ".git", "x"), "x\n"))
      await toolCall(tracer, "bash", "c5", { command: "…" }, () => {
        writeFileSync(join(proj, "big2.txt"), "z\n".repeat(1000))
        writeFileSync(join(proj, "bin2.dat"), Buffer.from([0, 0]))
        writeFileSync(outside, "changed\n")
      })
      // a relative path resolves against the project directory
      await toolCall(tracer, "write", "c6", { filePath: "rel/ok.txt" }, () => {
        mkdirSync(join(proj, "rel"))
        writeFileSync(join(proj, "rel/ok.txt"), "ok\n")
      })
      await tracer.flush()
      assert.deepEqual(
        patches(sce.envelopes()).map((p) => [p.tool, p.file_path, p.status, p.after]),
        [["write", "rel/ok.txt", "added", "ok\n"]],
      )
    } finally {
      removeRepo(proj)
    }
  })

  test("bash: modified clean and dirty files, deletions, new files, moves, commits", async () => {
    const proj = makeRepo()
    try {
      writeFileSync(join(proj, "tracked.txt"), "t1\n")
      writeFileSync(join(proj, "move-me.txt"), "moving\n")
      git(proj, "add", ".")
      git(proj, "commit", "-qm", "more")
      writeFileSync(join(proj, "README.md"), "dirty before\n") // dirty before the call
      writeFileSync(join(proj, "untracked.txt"), "u1\n")
      const { tracer, sce } = tracerFor(proj)
      await toolCall(tracer, "bash", "b1", { command: "…" }, () => {
        writeFileSync(join(proj, "README.md"), "dirty before\nand bash\n")
        writeFileSync(join(proj, "tracked.txt"), "t1\nt2\n")
        writeFileSync(join(proj, "untracked.txt"), "u1\nu2\n")
        writeFileSync(join(proj, "fresh.txt"), "fresh\n")
        git(proj, "mv", "move-me.txt", "moved.txt")
      })
      await tracer.flush()
      assert.deepEqual(
        patches(sce.envelopes()).map(({ file_path, old_path, status, before, after }) => ({ file_path, old_path, status, before, after })),
        [
          { file_path: "README.md", old_path: undefined, status: "modified", before: "dirty before\n", after: "dirty before\nand bash\n" },
          { file_path: "fresh.txt", old_path: undefined, status: "added", before: undefined, after: "fresh\n" },
          { file_path: "moved.txt", old_path: "move-me.txt", status: "renamed", before: "moving\n", after: "moving\n" },
          { file_path: "tracked.txt", old_path: undefined, status: "modified", before: "t1\n", after: "t1\nt2\n" },
          { file_path: "untracked.txt", old_path: undefined, status: "modified", before: "u1\n", after: "u1\nu2\n" },
        ],
      )

      // A command that edits and commits leaves a clean tree: the commit's files are still reported.
      git(proj, "add", "-A")
      git(proj, "commit", "-qm", "by a person")
      const next = tracerFor(proj)
      await toolCall(next.tracer, "bash", "b2", { command: "…" }, () => {
        writeFileSync(join(proj, "tracked.txt"), "t1\nt2\nt3\n")
        git(proj, "add", "-A")
        git(proj, "commit", "-qm", "by the agent")
      })
      await next.tracer.flush()
      const committed = patches(next.sce.envelopes()).find((p) => p.file_path === "tracked.txt")
      assert.deepEqual([committed?.before, committed?.after], ["t1\nt2\n", "t1\nt2\nt3\n"])

      // Checking out another commit is not the agent writing every file.
      const third = tracerFor(proj)
      await toolCall(third.tracer, "bash", "b3", { command: "git checkout -q HEAD~3" }, () => git(proj, "checkout", "-q", "HEAD~3"))
      await third.tracer.flush()
      assert.deepEqual(patches(third.sce.envelopes()), [])
    } finally {
      removeRepo(proj)
    }
  })

  test("a tool that fails after writing is still reported (no tool.execute.after)", async () => {
    const proj = makeRepo()
    try {
      const { tracer, sce } = tracerFor(proj)
      const file = join(proj, "README.md")
      await send(tracer, toolStart("e1", "edit"))
      await tracer.hooks["tool.execute.before"]!({ tool: "edit", sessionID: S, callID: "e1" }, { args: { filePath: file } })
      writeFileSync(file, "line one\nhalf written\n")
      await send(tracer, [
        {
          type: "message.part.updated",
          properties: { sessionID: S, part: { id: "prt_e1", messageID: M, sessionID: S, type: "tool", tool: "edit", callID: "e1", state: { status: "error", error: "boom" } } },
        },
      ])
      await waitFor(() => tracer.stats.envelopes > 1) // the message, then the change
      await tracer.flush()
      assert.deepEqual(
        patches(sce.envelopes()).map((p) => [p.part_id, p.file_path, p.after]),
        [["prt_e1", "README.md", "line one\nhalf written\n"]],
      )
    } finally {
      removeRepo(proj)
    }
  })

  test("a change whose message is not known yet waits for it", async () => {
    const proj = makeRepo()
    try {
      const { tracer, sce } = tracerFor(proj)
      const file = join(proj, "a.txt")
      await tracer.hooks["tool.execute.before"]!({ tool: "write", sessionID: S, callID: "w1" }, { args: { filePath: file } })
      writeFileSync(file, "a\n")
      await tracer.hooks["tool.execute.after"]!({ tool: "write", sessionID: S, callID: "w1", args: {} }, { title: "", output: "", metadata: {} })
      await new Promise((r) => setTimeout(r, 30))
      assert.deepEqual(patches(sce.envelopes()), [])
      await send(tracer, toolStart("w1", "write", "msg_late"))
      await tracer.flush()
      assert.deepEqual(
        patches(sce.envelopes()).map((p) => [p.message_id, p.part_id, p.file_path]),
        [["msg_late", "prt_w1", "a.txt"]],
      )
    } finally {
      removeRepo(proj)
    }
  })
})

describe("messages and text", () => {
  test("streaming text and reasoning are sent once, complete; an interrupted stream is flushed on idle", async () => {
    const proj = makeRepo()
    try {
      const { tracer, sce } = tracerFor(proj)
      const part = (id: string, type: string, text: string, time: object) => ({
        type: "message.part.updated",
        properties: { sessionID: S, part: { id, messageID: M, sessionID: S, type, text, time }, time: 5 },
      })
      const delta = (partID: string, d: string) => ({ type: "message.part.delta", properties: { sessionID: S, messageID: M, partID, field: "text", delta: d } })
      // one event at a time, each after the coalescing window has passed
      for (const event of [
        part("prt_r", "reasoning", "", { start: 10 }),
        delta("prt_r", "thinking "),
        delta("prt_r", "hard"),
        part("prt_r", "reasoning", "thinking hard", { start: 10, end: 20 }),
        part("prt_t", "text", "", { start: 30 }),
        delta("prt_t", "Hel"),
        part("prt_t", "text", "Hel", { start: 30 }), // a streaming state
        delta("prt_t", "lo"),
        part("prt_t", "text", "Hello, world", { start: 30, end: 40 }),
        part("prt_t", "text", "Hello, world", { start: 30, end: 40 }), // repeated final state
        part("prt_cut", "text", "", { start: 50 }),
        delta("prt_cut", "Interrupted mid"),
      ]) {
        await send(tracer, [event])
        await new Promise((r) => setTimeout(r, 15))
      }
      const sent = () => payloads(sce.envelopes(), "message.part.updated").map((p) => [p.part_id, p.part_type, p.text, p.time_ms])
      assert.deepEqual(sent(), [
        ["prt_r", "reasoning", "thinking hard", 20],
        ["prt_t", "text", "Hello, world", 40],
      ])
      // another session is still streaming when this one goes idle
      await send(tracer, [
        { type: "message.part.updated", properties: { sessionID: "ses_other", part: { id: "prt_o", messageID: "msg_o", sessionID: "ses_other", type: "text", text: "", time: { start: 60 } } } },
        delta("prt_o", "still going"),
      ])
      await send(tracer, [{ type: "session.idle", properties: { sessionID: S } }])
      await new Promise((r) => setTimeout(r, 30))
      assert.deepEqual(sent().slice(2), [["prt_cut", "text", "Interrupted mid", 50]])
      await tracer.flush() // dispose: everything
      assert.deepEqual(sent().slice(3), [["prt_o", "text", "still going", 60]])
    } finally {
      removeRepo(proj)
    }
  })

  test("message states: model id, dedupe, user messages without model", async () => {
    const proj = makeRepo()
    try {
      const { tracer, sce } = tracerFor(proj, { windowMs: 60_000 })
      const user = { type: "message.updated", properties: { sessionID: S, info: { id: "msg_u", sessionID: S, role: "user", time: { created: 1 }, model: { providerID: "p", modelID: "m" } } } }
      const a1 = toolStart("x", "edit")[0]
      const a2 = JSON.parse(JSON.stringify(a1))
      a2.properties.info.time.completed = 2000
      const a3 = JSON.parse(JSON.stringify(a2))
      a3.properties.info.tokens = { input: 5 } // nothing sce stores changed
      await send(tracer, [user, user, a1, a1])
      await tracer.flush()
      await send(tracer, [a1, a2, a3, user])
      await tracer.flush()
      const envs = sce.envelopes()
      assert.deepEqual(
        envs.map((e) => e.payloads),
        [
          [
            { session_id: S, message_id: "msg_u", role: "user", time_created_ms: 1 },
            { session_id: S, message_id: M, role: "assistant", model_id: "prov/mod-1", time_created_ms: 1000, parent_id: "msg_user" },
          ],
          [{ session_id: S, message_id: M, role: "assistant", model_id: "prov/mod-1", time_created_ms: 1000, time_completed_ms: 2000, parent_id: "msg_user" }],
        ],
      )
    } finally {
      removeRepo(proj)
    }
  })

  test("malformed inputs never throw", async () => {
    const proj = makeRepo()
    try {
      const { tracer, sce, logs } = tracerFor(proj)
      const h = tracer.hooks as any
      for (const event of [null, 1, "x", {}, { type: "message.updated" }, { type: "message.updated", properties: { info: { id: 1 } } }, { type: "message.part.updated", properties: { part: null } }, { type: "message.part.delta", properties: {} }])
        await h.event({ event })
      await h.event(undefined)
      await h["tool.execute.before"]({ tool: "edit", sessionID: S, callID: "z" }, undefined)
      await h["tool.execute.before"]({ tool: "apply_patch", sessionID: S, callID: "z2" }, { args: { patchText: 42 } })
      await h["tool.execute.after"]({ tool: "edit", sessionID: S, callID: "never-started", args: {} }, undefined)
      await h["tool.execute.after"](undefined, undefined)
      await tracer.flush()
      assert.deepEqual(sce.envelopes(), [])
      assert.deepEqual(logs.filter((l) => l.level === "error"), [])
    } finally {
      removeRepo(proj)
    }
  })
})

describe("delivery", () => {
  const message = (id: string) => ({
    type: "message.updated",
    properties: { sessionID: S, info: { id, sessionID: S, role: "assistant", providerID: "p", modelID: "m", time: { created: 1 } } },
  })

  test("events arriving while sce runs are queued and sent in order, one spawn at a time", async () => {
    const proj = makeRepo()
    try {
      const slow = fakeSce({ delayMs: 30 })
      const { tracer } = tracerFor(proj, { windowMs: 1 }, { spawn: slow.spawn })
      for (let i = 0; i < 40; i++) {
        await send(tracer, [message(`msg_${String(i).padStart(2, "0")}`)])
        if (i % 7 === 0) await new Promise((r) => setTimeout(r, 10))
      }
      await tracer.flush()
      const ids = payloads(slow.envelopes(), "message.updated").map((m) => m.message_id)
      assert.deepEqual(ids, Array.from({ length: 40 }, (_, i) => `msg_${String(i).padStart(2, "0")}`))
      assert.equal(slow.maxConcurrent, 1)
      assert.ok(slow.requests.length > 1 && slow.requests.length < 40, `${slow.requests.length} spawns`)
      for (const r of slow.requests) {
        assert.deepEqual(r.args, ["hooks", "conversation-trace"])
        assert.equal(r.cwd, proj)
      }
    } finally {
      removeRepo(proj)
    }
  })

  test("outside a git repository sce is not run, and that is said once", async () => {
    const proj = makeRepo()
    try {
      const plain = join(dirname(proj), "plain")
      mkdirSync(plain)
      const { tracer, sce, logs } = tracerFor(plain, { windowMs: 1 })
      for (let i = 0; i < 3; i++) {
        await send(tracer, [message(`msg_${i}`)])
        await tracer.flush()
      }
      await toolCall(tracer, "write", "c1", { filePath: join(plain, "x.txt") }, () => writeFileSync(join(plain, "x.txt"), "x\n"))
      await tracer.flush()
      assert.equal(sce.requests.length, 0)
      assert.deepEqual(logs.map((l) => l.message), [`${plain} is not in a git repository: nothing is reported to sce`])
    } finally {
      removeRepo(proj)
    }
  })

  test("big batches are split into several envelopes", async () => {
    const proj = makeRepo()
    try {
      const { tracer, sce } = tracerFor(proj, { windowMs: 1000 })
      const big = "x".repeat(1024 * 1024)
      for (let i = 0; i < 6; i++)
        await send(tracer, [{ type: "message.part.updated", properties: { sessionID: S, part: { id: `prt_${i}`, messageID: M, sessionID: S, type: "text", text: big + i, time: { start: 1, end: 2 } } } }])
      await tracer.flush()
      const envs = sce.envelopes()
      assert.ok(envs.length >= 2, `${envs.length} envelopes`)
      assert.ok(envs.every((e) => JSON.stringify(e).length <= 4.2 * 1024 * 1024))
      assert.equal(payloads(envs, "message.part.updated").length, 6)
    } finally {
      removeRepo(proj)
    }
  })

  test("a missing sce is reported once, and nothing throws", async () => {
    const proj = makeRepo()
    try {
      const { tracer, logs } = tracerFor(proj, { bin: join(proj, "no-such-sce"), windowMs: 1 }, {}, true)
      for (let i = 0; i < 3; i++) {
        await send(tracer, [message(`msg_${i}`)])
        await tracer.flush()
      }
      assert.equal(tracer.stats.failures, 3)
      const warnings = logs.filter((l) => /not found/.test(l.message))
      assert.equal(warnings.length, 1, JSON.stringify(logs))
      assert.match(warnings[0].message, /no-such-sce.*SCE_BIN/)
    } finally {
      removeRepo(proj)
    }
  })

  test("SCE_BIN names the binary; a hung sce is killed after the timeout and later batches still go out", async () => {
    const proj = makeRepo()
    try {
      const dir = dirname(proj)
      const bin = join(dir, "fake-sce.sh")
      writeFileSync(
        bin,
        `#!/bin/sh
if [ ! -e "${dir}/hung-once" ]; then : > "${dir}/hung-once"; exec sleep 30; fi
n=$(ls "${dir}" | grep -c '^got-')
cat > "${dir}/got-$n.json"
echo '{"attempted":1,"persisted":1,"skipped":0,"spooled":0,"diagnostics":[]}'
`,
      )
      chmodSync(bin, 0o755)
      const { tracer, logs } = tracerFor(proj, { timeoutMs: 300, windowMs: 1 }, { env: { SCE_BIN: bin } }, true)
      const started = Date.now()
      await send(tracer, [message("msg_lost")])
      await waitFor(() => existsSync(join(dir, "hung-once"))) // the first sce hangs now
      await send(tracer, [message("msg_kept")])
      await tracer.flush()
      assert.ok(Date.now() - started < 5000, "the hung sce was not killed")
      const got = readdirSync(dir).filter((f) => f.startsWith("got-"))
      assert.equal(got.length, 1)
      const env = JSON.parse(readFileSync(join(dir, got[0]), "utf8"))
      assert.deepEqual(env.payloads.map((p: any) => p.message_id), ["msg_kept"])
      assert.equal(logs.filter((l) => /did not finish within 300 ms/.test(l.message)).length, 1, JSON.stringify(logs))
    } finally {
      removeRepo(proj)
    }
  })

  test("at process exit, pending and in-flight batches are sent synchronously", async () => {
    const proj = makeRepo()
    try {
      const slow = fakeSce({ delayMs: 200 })
      const sync = fakeSce()
      const a = tracerFor(proj, { windowMs: 1 }, { spawn: slow.spawn, spawnSync: sync.spawnSync })
      await send(a.tracer, [message("msg_inflight")])
      await waitFor(() => slow.requests.length === 1) // its spawn is running now
      const b = tracerFor(proj, { windowMs: 60_000 })
      await send(b.tracer, [message("msg_pending")]) // waits for its window
      assert.equal(a.exitHandlers.length, 1)
      assert.equal(b.exitHandlers.length, 1)
      a.exitHandlers[0]() // the in-flight batch is replayed (harmless to sce)
      b.exitHandlers[0]() // the pending one is sent
      const ids = (reqs: { input: string }[]) => reqs.map((r) => JSON.parse(r.input).payloads.map((p: any) => p.message_id))
      assert.deepEqual(ids(sync.syncRequests), [["msg_inflight"]])
      assert.deepEqual(ids(b.sce.syncRequests), [["msg_pending"]])
      assert.equal(b.sce.requests.length, 0)
      await a.tracer.flush()
    } finally {
      removeRepo(proj)
    }
  })

  test("dispose flushes what is pending and unregisters the exit handler", async () => {
    const proj = makeRepo()
    try {
      const { tracer, sce, exitHandlers } = tracerFor(proj, { windowMs: 60_000 })
      await send(tracer, [message("msg_1")])
      assert.equal(sce.requests.length, 0)
      await tracer.hooks.dispose!()
      assert.equal(sce.requests.length, 1)
      assert.equal(exitHandlers.length, 0)
    } finally {
      removeRepo(proj)
    }
  })
})
