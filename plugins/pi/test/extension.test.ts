// The extension driven through a fake pi API: which `sce hooks agent` events each pi
// event produces, ordering (pre_tool awaited before the tool runs), delivery
// (missing sce, timeout, exit flush), robustness; and, with the real sce binary, the
// record of a commit.
import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, test } from "node:test"
import { fileURLToPath } from "node:url"
import type { ExtensionAPI } from "@mariozechner/pi-coding-agent"
import {
  type AgentEvent,
  type Deps,
  type SpawnRequest,
  type SpawnResult,
  assistantText,
  modelId,
  piVersion,
  readFileState,
  resolveToolPath,
  withDeps,
} from "../sce-agent-trace.js"

type Handler = (event: unknown, ctx: unknown) => Promise<unknown>

const SESSION = "01a22a2a-c580-73eb-93ce-7999f1a098a0"

/** A fake pi: collects the handlers the extension registers. */
function fakePi(): { api: ExtensionAPI; handlers: Map<string, Handler> } {
  const handlers = new Map<string, Handler>()
  const api = { on: (name: string, h: Handler) => handlers.set(name, h) } as unknown as ExtensionAPI
  return { api, handlers }
}

function ctxFor(cwd: string, session = SESSION) {
  return {
    cwd,
    model: { provider: "fake", id: "fake-coder", api: "openai-completions", name: "Fake Coder" },
    sessionManager: { getSessionId: () => session },
    hasUI: false,
  }
}

interface Harness {
  dir: string
  sent: AgentEvent[]
  requests: SpawnRequest[]
  logs: string[]
  exitFns: Array<() => void>
  emit: (name: string, event: unknown) => Promise<unknown>
  cleanup: () => void
}

function harness(deps: Partial<Deps> = {}, bin = "sce-fake"): Harness {
  const dir = mkdtempSync(join(tmpdir(), "sce-pi-test-"))
  const sent: AgentEvent[] = []
  const requests: SpawnRequest[] = []
  const logs: string[] = []
  const exitFns: Array<() => void> = []
  const spawn = async (req: SpawnRequest): Promise<SpawnResult> => {
    requests.push(req)
    sent.push(JSON.parse(req.input) as AgentEvent)
    return { code: 0, stderr: "", timedOut: false }
  }
  const { api, handlers } = fakePi()
  withDeps(
    {
      spawn,
      spawnSync: (req) => {
        requests.push(req)
        sent.push(JSON.parse(req.input) as AgentEvent)
        return { code: 0, stderr: "", timedOut: false }
      },
      log: (m) => logs.push(m),
      onExit: (fn) => exitFns.push(fn),
      env: { HOME: dir },
      version: "0.73.1",
      ...deps,
    },
    { bin, timeoutMs: 2000 },
  )(api)
  const ctx = ctxFor(dir)
  const emit = async (name: string, event: unknown) => {
    const h = handlers.get(name)
    return h ? h(event, ctx) : undefined
  }
  return { dir, sent, requests, logs, exitFns, emit, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** One tool call as pi runs it: tool_call, the tool's effect, tool_result. */
async function tool(h: Harness, toolName: string, toolCallId: string, input: Record<string, unknown>, act: () => void) {
  const r1 = await h.emit("tool_call", { type: "tool_call", toolName, toolCallId, input })
  assert.equal(r1, undefined, "tool_call never blocks or changes the call")
  act()
  const r2 = await h.emit("tool_result", { type: "tool_result", toolName, toolCallId, input, content: [], details: undefined, isError: false })
  assert.equal(r2, undefined, "tool_result never changes the result")
}

const settle = () => new Promise((r) => setTimeout(r, 20))

describe("helpers", () => {
  test("resolveToolPath follows pi: @ prefix, ~, relative to cwd", () => {
    assert.equal(resolveToolPath("a/b.py", "/p", "/h"), "/p/a/b.py")
    assert.equal(resolveToolPath("@a.py", "/p", "/h"), "/p/a.py")
    assert.equal(resolveToolPath("~/x.py", "/p", "/h"), "/h/x.py")
    assert.equal(resolveToolPath("/abs/y.py", "/p", "/h"), "/abs/y.py")
  })

  test("modelId is provider/id", () => {
    assert.equal(modelId({ provider: "fake", id: "fake-coder" }), "fake/fake-coder")
    assert.equal(modelId({ id: "solo" }), "solo")
    assert.equal(modelId(undefined), undefined)
  })

  test("assistantText joins text parts of assistant messages only", () => {
    assert.equal(assistantText({ role: "assistant", content: [{ type: "text", text: "a" }, { type: "toolCall" }, { type: "text", text: "b" }] }), "ab")
    assert.equal(assistantText({ role: "user", content: [{ type: "text", text: "a" }] }), undefined)
    assert.equal(assistantText({ role: "assistant", content: [{ type: "toolCall" }] }), undefined)
  })

  test("readFileState: missing, text, binary, too big", () => {
    const dir = mkdtempSync(join(tmpdir(), "sce-pi-read-"))
    try {
      assert.deepEqual(readFileState(join(dir, "nope"), 100), { kind: "missing" })
      writeFileSync(join(dir, "t"), "x\n")
      assert.deepEqual(readFileState(join(dir, "t"), 100), { kind: "text", text: "x\n" })
      writeFileSync(join(dir, "b"), Buffer.from([1, 0, 2]))
      assert.deepEqual(readFileState(join(dir, "b"), 100), { kind: "skip" })
      assert.deepEqual(readFileState(join(dir, "t"), 1), { kind: "skip" })
      assert.deepEqual(readFileState(dir, 100), { kind: "skip" })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test("piVersion reads pi's package.json above its script", () => {
    const dir = mkdtempSync(join(tmpdir(), "sce-pi-ver-"))
    try {
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "@mariozechner/pi-coding-agent", version: "9.8.7" }))
      execFileSync("mkdir", ["-p", join(dir, "dist")])
      writeFileSync(join(dir, "dist", "cli.js"), "")
      assert.equal(piVersion(join(dir, "dist", "cli.js")), "9.8.7")
      assert.equal(piVersion(join(dir, "missing.js")), undefined)
      assert.equal(piVersion(undefined), undefined)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("events", () => {
  test("write, edit, bash, read, prompt, answer, shutdown", async () => {
    const h = harness()
    try {
      const file = join(h.dir, "hello.py")
      await h.emit("input", { type: "input", text: "Create hello.py", source: "interactive" })
      await tool(h, "write", "call_0", { path: file, content: "a\nb\n" }, () => writeFileSync(file, "a\nb\n"))
      await tool(h, "edit", "call_1", { path: "hello.py", edits: [{ oldText: "b", newText: "B" }] }, () => writeFileSync(file, "a\nB\n"))
      await tool(h, "bash", "call_2", { command: "echo c >> hello.py" }, () => appendFileSync(file, "c\n"))
      await tool(h, "read", "call_3", { path: file }, () => {})
      await h.emit("message_end", {
        type: "message_end",
        message: { role: "assistant", content: [{ type: "text", text: "Done." }], provider: "fake", model: "fake-coder" },
      })
      await h.emit("message_end", { type: "message_end", message: { role: "user", content: [{ type: "text", text: "x" }] } })
      await h.emit("session_shutdown", { type: "session_shutdown", reason: "quit" })
      const common = { agent: "pi", agent_version: "0.73.1", session_id: SESSION, cwd: h.dir, model: "fake/fake-coder" }
      assert.deepEqual(h.sent, [
        { event: "prompt", ...common, text: "Create hello.py" },
        { event: "post_tool", ...common, tool_call_id: "call_0", tool_name: "write", files: [{ path: file, after: "a\nb\n" }] },
        { event: "post_tool", ...common, tool_call_id: "call_1", tool_name: "edit", files: [{ path: file, before: "a\nb\n", after: "a\nB\n" }] },
        { event: "pre_tool", ...common, tool_call_id: "call_2", tool_name: "bash" },
        { event: "post_tool", ...common, tool_call_id: "call_2", tool_name: "bash" },
        { event: "response", ...common, text: "Done." },
        { event: "session_end", ...common },
      ])
      for (const r of h.requests) {
        assert.deepEqual(r.args, ["hooks", "agent"])
        assert.equal(r.bin, "sce-fake")
        assert.equal(r.cwd, h.dir)
      }
      assert.deepEqual(h.logs, [])
    } finally {
      h.cleanup()
    }
  })

  test("a failed or no-op edit sends nothing; an unreadable target falls back to sce's snapshot", async () => {
    const h = harness()
    try {
      const file = join(h.dir, "same.txt")
      writeFileSync(file, "x\n")
      await tool(h, "edit", "c1", { path: file, edits: [] }, () => {})
      await tool(h, "write", "c2", { path: join(h.dir, "never.txt"), content: "" }, () => {})
      const bin = join(h.dir, "bin.dat")
      writeFileSync(bin, Buffer.from([0, 1, 2]))
      await tool(h, "write", "c3", { path: bin, content: "text now\n" }, () => writeFileSync(bin, "text now\n"))
      await settle()
      assert.deepEqual(
        h.sent.map((e) => `${e.event} ${e.tool_call_id}`),
        ["pre_tool c3", "post_tool c3"],
      )
      assert.equal(h.sent[1]?.files, undefined)
    } finally {
      h.cleanup()
    }
  })

  test("deleting a file through a write-like tool reports no after", async () => {
    const h = harness()
    try {
      const file = join(h.dir, "gone.txt")
      writeFileSync(file, "bye\n")
      await tool(h, "write", "c1", { path: file, content: "" }, () => rmSync(file))
      await settle()
      assert.deepEqual(h.sent[0]?.files, [{ path: file, before: "bye\n" }])
    } finally {
      h.cleanup()
    }
  })

  test("tool_call of bash waits for sce's pre_tool (the snapshot precedes the command)", async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    const order: string[] = []
    const h = harness({
      spawn: async (req) => {
        order.push(`spawn ${(JSON.parse(req.input) as AgentEvent).event}`)
        await gate
        order.push("sce done")
        return { code: 0, stderr: "", timedOut: false }
      },
    })
    try {
      const p = h.emit("tool_call", { type: "tool_call", toolName: "bash", toolCallId: "c", input: { command: "true" } }).then(() => order.push("tool runs"))
      await settle()
      assert.deepEqual(order, ["spawn pre_tool"])
      release()
      await p
      assert.deepEqual(order, ["spawn pre_tool", "sce done", "tool runs"])
    } finally {
      h.cleanup()
    }
  })

  test("no session id or a throwing context: nothing sent, nothing thrown", async () => {
    const { api, handlers } = fakePi()
    const sent: string[] = []
    withDeps({ spawn: async (r) => (sent.push(r.input), { code: 0, stderr: "", timedOut: false }), onExit: () => {}, log: () => {}, env: {} })(api)
    const bad = { cwd: "/nowhere", model: undefined, sessionManager: { getSessionId: () => { throw new Error("boom") } } }
    for (const [name, event] of [
      ["tool_call", { toolName: "bash", toolCallId: "c", input: {} }],
      ["tool_result", { toolName: "bash", toolCallId: "c", input: {} }],
      ["input", { text: "hi" }],
      ["message_end", { message: { role: "assistant", content: "x" } }],
      ["session_shutdown", {}],
    ] as const) {
      assert.equal(await handlers.get(name)!(event, bad), undefined)
      assert.equal(await handlers.get(name)!(null, null), undefined)
    }
    assert.deepEqual(sent, [])
  })

  test("a spawner that throws is logged, never thrown into pi", async () => {
    const h = harness({ spawn: async () => { throw new Error("kaput") } })
    try {
      assert.equal(await h.emit("tool_call", { toolName: "bash", toolCallId: "c", input: {} }), undefined)
      assert.equal(await h.emit("tool_result", { toolName: "bash", toolCallId: "c", input: {} }), undefined)
      assert.equal(h.logs.length, 2)
      assert.match(h.logs[0]!, /pre_tool: kaput/)
    } finally {
      h.cleanup()
    }
  })

  test("what is still queued at process exit is sent synchronously", async () => {
    const h = harness({ spawn: () => new Promise(() => {}) }) // sce hangs
    try {
      const file = join(h.dir, "f.txt")
      await tool(h, "write", "c1", { path: file, content: "1\n" }, () => writeFileSync(file, "1\n"))
      await tool(h, "write", "c2", { path: file, content: "2\n" }, () => writeFileSync(file, "2\n"))
      assert.equal(h.exitFns.length, 1)
      h.exitFns[0]!()
      // c1 is in flight (the hanging spawn); c2 was still queued.
      assert.deepEqual(h.sent.map((e) => e.tool_call_id), ["c2"])
    } finally {
      h.cleanup()
    }
  })
})

describe("delivery with real processes", () => {
  test("a hanging sce is killed after the timeout; a missing one is reported", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sce-pi-slow-"))
    try {
      const slow = join(dir, "slow-sce")
      writeFileSync(slow, "#!/bin/sh\nexec sleep 30\n")
      chmodSync(slow, 0o755)
      const logs: string[] = []
      const { api, handlers } = fakePi()
      withDeps({ log: (m) => logs.push(m), onExit: () => {}, env: { HOME: dir }, version: undefined }, { bin: slow, timeoutMs: 300 })(api)
      const started = Date.now()
      await handlers.get("tool_call")!({ toolName: "bash", toolCallId: "c", input: {} }, ctxFor(dir))
      assert.ok(Date.now() - started < 5000, "killed after the timeout")
      assert.match(logs[0] ?? "", /killed after 300 ms/)

      const missing: string[] = []
      const other = fakePi()
      withDeps({ log: (m) => missing.push(m), onExit: () => {}, env: {} }, { bin: join(dir, "nope") })(other.api)
      await other.handlers.get("tool_call")!({ toolName: "bash", toolCallId: "c", input: {} }, ctxFor(dir))
      assert.match(missing[0] ?? "", /cannot run .*nope/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

const REPO_SCE = fileURLToPath(new URL("../../../../target/debug/sce", import.meta.url))
const SCE = process.env.SCE_BIN || (existsSync(REPO_SCE) ? REPO_SCE : "")

describe("with the real sce", { skip: SCE ? false : "no sce binary: set SCE_BIN or build target/debug/sce" }, () => {
  test("write, edit and bash lines are ai with the model and the session; the person's line is unknown", async () => {
    const proj = mkdtempSync(join(tmpdir(), "sce-pi-real-"))
    const git = (...args: string[]) => execFileSync("git", args, { cwd: proj, encoding: "utf8" })
    try {
      git("init", "-q", "-b", "main")
      git("config", "user.name", "T")
      git("config", "user.email", "t@example.com")
      git("config", "commit.gpgsign", "false")
      const env = { ...process.env, XDG_CONFIG_HOME: join(proj, ".no-global-config") }
      execFileSync(SCE, ["setup"], { cwd: proj, env, stdio: "pipe" })
      const logs: string[] = []
      const { api, handlers } = fakePi()
      withDeps({ log: (m) => logs.push(m), onExit: () => {}, env: { HOME: proj }, version: "0.73.1" }, { bin: SCE })(api)
      const ctx = ctxFor(proj)
      const run = async (toolName: string, id: string, input: Record<string, unknown>, act: () => void) => {
        await handlers.get("tool_call")!({ toolName, toolCallId: id, input }, ctx)
        act()
        await handlers.get("tool_result")!({ toolName, toolCallId: id, input, content: [], isError: false }, ctx)
      }
      const file = join(proj, "hello.py")
      await run("write", "call_0", { path: file }, () => writeFileSync(file, "print('hello')\nprint('world')\nprint('three')\n"))
      await run("edit", "call_1", { path: "hello.py" }, () =>
        writeFileSync(file, readFileSync(file, "utf8").replace("print('world')", "print('edited world')")),
      )
      await run("bash", "call_2", { command: "…" }, () => appendFileSync(file, "print('appended by bash')\n"))
      await handlers.get("session_shutdown")!({ type: "session_shutdown", reason: "quit" }, ctx)
      assert.deepEqual(logs, [], "sce accepted every event")
      appendFileSync(file, "print('a person')\n")
      git("add", "-A")
      git("commit", "-qm", "x")
      const record = JSON.parse(execFileSync(SCE, ["trace", "show", "HEAD", "--json"], { cwd: proj, encoding: "utf8", env }))
      const lines: string[] = []
      for (const f of record.files)
        for (const c of f.conversations)
          for (const r of c.ranges)
            lines.push(`${f.path} ${r.start_line}-${r.end_line} ${c.contributor.type}${c.contributor.model_id ? ` ${c.contributor.model_id}` : ""}${c.url ? ` ${c.url}` : ""}`)
      lines.sort()
      assert.deepEqual(lines, [`hello.py 1-4 ai fake/fake-coder urn:sce:session:${SESSION}`, "hello.py 5-5 unknown"])
      assert.equal(record.tool.name, "pi")
    } finally {
      rmSync(proj, { recursive: true, force: true })
    }
  })
})
