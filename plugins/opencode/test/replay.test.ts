// Replays sessions recorded from a real OpenCode 1.18.33 (test/fixtures) into the
// plugin with a fake sce, and checks the envelopes it sends.
import assert from "node:assert/strict"
import { after, before, describe, test } from "node:test"
import type { Envelope } from "../sce-agent-trace.js"
import { README, fakeSce, loadFixture, makeRepo, patches, payloads, removeRepo, replay, sessionOf, tracerFor, type Recorded } from "./harness.js"

const EDIT_WRITE_BASH = "opencode-1.18.33-edit-write-bash.json"
const APPLY_PATCH = "opencode-1.18.33-apply-patch-codex.json"
const EDGE = "opencode-1.18.33-rename-binary-outside.json"

interface Run {
  proj: string
  recs: Recorded[]
  envs: Envelope[]
  logs: { level: string; message: string }[]
}

async function run(fixture: string): Promise<Run> {
  const proj = makeRepo()
  const recs = loadFixture(fixture, proj)
  const { tracer, sce, logs } = tracerFor(proj)
  await replay(tracer, recs, proj)
  await tracer.flush()
  return { proj, recs, envs: sce.envelopes(), logs }
}

/** Shape rules every envelope must follow, whatever the session. */
function assertWellFormed(r: Run) {
  const session = sessionOf(r.recs)
  assert.ok(r.envs.length > 0)
  for (const env of r.envs) {
    assert.ok(env.type === "message.updated" || env.type === "message.part.updated", env.type)
    assert.equal(env.tool_name, "opencode")
    assert.equal(env.tool_version, "1.18.33")
    assert.equal(env.cwd, r.proj)
    assert.ok(env.payloads.length > 0)
    for (const p of env.payloads as any[]) {
      assert.equal(p.type, undefined, "items must not carry their own type")
      assert.equal(p.session_id, session)
      assert.match(p.message_id, /^msg_/)
      if (env.type === "message.updated") {
        assert.ok(p.role === "user" || p.role === "assistant")
        assert.ok(Number.isInteger(p.time_created_ms))
        if (p.role === "assistant") assert.match(p.model_id, /^fake\//)
        else assert.equal(p.model_id, undefined)
        assert.equal(p.part_type, undefined)
      } else {
        assert.ok(["text", "reasoning", "patch"].includes(p.part_type), p.part_type)
        assert.ok(Number.isInteger(p.time_ms))
        assert.ok(p.part_id)
        if (p.part_type === "patch") {
          assert.ok(["edit", "write", "apply_patch", "bash"].includes(p.tool), p.tool)
          assert.ok(!p.file_path.startsWith("/") && !p.file_path.startsWith(".."), p.file_path)
          assert.ok(["added", "modified", "deleted", "renamed"].includes(p.status))
          if (p.status === "added") assert.equal(p.before, undefined)
          if (p.status === "deleted") assert.equal(p.after, undefined)
          else assert.equal(typeof p.after, "string")
          if (p.status === "modified" || p.status === "renamed") assert.equal(typeof p.before, "string")
        } else assert.equal(typeof p.text, "string")
      }
    }
  }
  // part ids are unique across the whole run
  const ids = payloads(r.envs, "message.part.updated").map((p) => p.part_id)
  assert.equal(new Set(ids).size, ids.length, `duplicate part ids: ${ids}`)
  // every patch belongs to an assistant message that was reported with its model
  const assistants = new Set(payloads(r.envs, "message.updated").filter((m) => m.role === "assistant").map((m) => m.message_id))
  for (const p of patches(r.envs)) assert.ok(assistants.has(p.message_id), `patch ${p.part_id} names unknown message ${p.message_id}`)
  assert.deepEqual(r.logs.filter((l) => l.level === "error"), [])
}

/** The message id of the tool call `callID` in the recording. */
function messageOfCall(recs: Recorded[], callID: string): string {
  const e = recs.find((r) => r.kind === "event" && r.data.type === "message.part.updated" && r.data.properties.part.callID === callID)
  return e!.data.properties.part.messageID
}

describe("replay: write, read, edit, bash (fake-model)", () => {
  let r: Run
  before(async () => {
    r = await run(EDIT_WRITE_BASH)
  })
  after(() => removeRepo(r.proj))

  test("envelopes are well formed and homogeneous", () => assertWellFormed(r))

  test("one patch part per file change, with exact before/after", () => {
    const got = patches(r.envs).map(({ tool, file_path, status, before, after, message_id }) => ({ tool, file_path, status, before, after, message_id }))
    const hello = "def hello():\n    return 'hi'\n\n\nprint(hello())\n"
    assert.deepEqual(got, [
      { tool: "write", file_path: "src/hello.py", status: "added", before: undefined, after: hello, message_id: messageOfCall(r.recs, "call_0") },
      {
        tool: "edit",
        file_path: "README.md",
        status: "modified",
        before: README,
        after: "line one\nline two, edited\nline two and a half\nline three\n",
        message_id: messageOfCall(r.recs, "call_2"),
      },
      {
        tool: "edit",
        file_path: "src/hello.py",
        status: "modified",
        before: hello,
        after: hello.replace("return 'hi'", "return 'hello, world'"),
        message_id: messageOfCall(r.recs, "call_4"),
      },
      { tool: "bash", file_path: "src/extra.py", status: "added", before: undefined, after: "x = 1\n", message_id: messageOfCall(r.recs, "call_5") },
    ])
  })

  test("patch part ids are OpenCode's tool part ids", () => {
    const ids = patches(r.envs).map((p) => p.part_id)
    assert.match(ids[0], /^prt_\w+$/) // edit/write: the tool part itself
    assert.match(ids[3], /^prt_\w+:0$/) // bash: one per file
  })

  test("messages: every assistant message with its model, user message without", () => {
    const msgs = payloads(r.envs, "message.updated")
    const recorded = new Set(r.recs.filter((x) => x.kind === "event" && x.data.type === "message.updated").map((x) => x.data.properties.info.id))
    assert.deepEqual(new Set(msgs.map((m) => m.message_id)), recorded)
    for (const m of msgs.filter((m) => m.role === "assistant")) assert.equal(m.model_id, "fake/fake-model")
    // the last state of each message carries its completion time and parent
    const last = new Map(msgs.map((m) => [m.message_id, m]))
    for (const m of last.values())
      if (m.role === "assistant") {
        assert.ok(m.time_completed_ms >= m.time_created_ms)
        assert.match(m.parent_id, /^msg_/)
      }
    // a state is not sent twice
    const states = msgs.map((m) => JSON.stringify(m))
    assert.equal(new Set(states).size, states.length)
  })

  test("text parts: the final text once, no streaming states", () => {
    const texts = payloads(r.envs, "message.part.updated").filter((p) => p.part_type === "text")
    assert.deepEqual(
      texts.map((t) => t.text),
      ['"Follow the scripted steps."', "All edits done."],
    )
  })
})

describe("replay: apply_patch and bash (gpt-5.1-codex)", () => {
  let r: Run
  before(async () => {
    r = await run(APPLY_PATCH)
  })
  after(() => removeRepo(r.proj))

  test("envelopes are well formed and homogeneous", () => assertWellFormed(r))

  test("multi-file apply_patch, bash, move and delete", () => {
    const got = patches(r.envs).map(({ part_id, tool, file_path, old_path, status, before, after }) => ({
      n: part_id.split(":")[1],
      tool,
      file_path,
      old_path,
      status,
      before,
      after,
    }))
    const app = "def main():\n    print('app')\n\n\nmain()\n"
    const patched = "line one\nline two, patched\nline three\nline four, added\n"
    assert.deepEqual(got, [
      { n: "0", tool: "apply_patch", file_path: "src/app.py", old_path: undefined, status: "added", before: undefined, after: app },
      { n: "1", tool: "apply_patch", file_path: "README.md", old_path: undefined, status: "modified", before: README, after: patched },
      { n: "0", tool: "bash", file_path: "README.md", old_path: undefined, status: "modified", before: patched, after: patched.replace("line one", "line ONE") },
      { n: "1", tool: "bash", file_path: "notes.txt", old_path: undefined, status: "added", before: undefined, after: "notes\nmore notes\n" },
      {
        n: "0",
        tool: "apply_patch",
        file_path: "src/main.py",
        old_path: "src/app.py",
        status: "renamed",
        before: app,
        after: app.replace("print('app')", "print('main app')"),
      },
      { n: "1", tool: "apply_patch", file_path: "notes.txt", old_path: undefined, status: "deleted", before: "notes\nmore notes\n", after: undefined },
    ])
    for (const m of payloads(r.envs, "message.updated").filter((m) => m.role === "assistant")) assert.equal(m.model_id, "fake/gpt-5.1-codex")
  })
})

describe("replay: staged rename by bash, binary file, file outside the project", () => {
  let r: Run
  before(async () => {
    r = await run(EDGE)
  })
  after(() => removeRepo(r.proj))

  test("envelopes are well formed and homogeneous", () => assertWellFormed(r))

  test("bash rename is paired, binary and outside files are skipped, no-op commands send nothing", () => {
    const got = patches(r.envs).map(({ tool, file_path, old_path, status }) => `${tool} ${status} ${old_path ? old_path + " -> " : ""}${file_path}`)
    assert.deepEqual(got, [
      "edit modified README.md",
      // the write to ../outside-edge.txt is outside the repository: not reported
      "bash renamed README.md -> README.txt", // blob.bin (binary) is not reported
      "bash added docs.md",
      "write modified README.txt",
      "bash deleted docs.md", // the sed that changed nothing is not reported
    ])
    const renamed = patches(r.envs)[1]
    assert.equal(renamed.before, "line one\nnever applied\nline three\n")
    assert.equal(renamed.after, renamed.before)
  })
})

describe("replay: delivery", () => {
  test("a slow sce loses nothing and never runs twice at once", async () => {
    const fast = await run(EDIT_WRITE_BASH)
    const proj = makeRepo()
    try {
      const slowSce = fakeSce({ delayMs: 40 })
      const { tracer } = tracerFor(proj, { windowMs: 0 }, { spawn: slowSce.spawn })
      await replay(tracer, loadFixture(EDIT_WRITE_BASH, proj), proj)
      await tracer.flush()
      assert.equal(slowSce.maxConcurrent, 1)
      const slow = slowSce.envelopes()
      // While sce runs, later states of a message replace earlier ones: compare final states.
      const finalMessages = (envs: Envelope[]) => Object.fromEntries(payloads(envs, "message.updated").map((m) => [m.message_id, m]))
      assert.deepEqual(finalMessages(slow), finalMessages(fast.envs))
      const parts = (envs: Envelope[]) =>
        payloads(envs, "message.part.updated")
          .map(({ time_ms, ...p }) => JSON.stringify(p))
          .sort()
      assert.deepEqual(parts(slow), parts(fast.envs))
    } finally {
      removeRepo(proj)
      removeRepo(fast.proj)
    }
  })
})
