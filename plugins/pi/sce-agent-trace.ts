/**
 * sce-agent-trace — pi extension that reports what the agent wrote to `sce`.
 *
 * pi (`@mariozechner/pi-coding-agent`, written against 0.73.1) loads it in-process
 * from `.pi/extensions/` or `~/.pi/agent/extensions/`. It speaks sce's generic agent
 * contract: one JSON event per `sce hooks agent` process, on stdin.
 *
 * - `tool_call` / `tool_result` of `write` and `edit`: the file is read when the call
 *   starts and when it ends, and one `post_tool` carries the exact `files`
 *   `[{path, before, after}]` (no `before`: created). No work-tree snapshot is needed.
 * - `bash` and any other tool that may write (everything but `read`, `grep`, `find`,
 *   `ls`): a `pre_tool` before the tool runs and a `post_tool` after it; sce snapshots
 *   the work tree at the first and compares at the second. Both are awaited (bounded
 *   by the timeout), so the snapshot is taken before the tool changes anything.
 * - `input` → `prompt`; an assistant `message_end` with text → `response`;
 *   `session_shutdown` → `session_end` (and the queue is flushed).
 *
 * `model` is `ctx.model`'s `provider/id`; `agent` is `pi` with pi's version.
 *
 * Events go through one queue, one `sce` process at a time, each killed after
 * `timeoutMs`. Nothing is ever thrown into pi (a throwing `tool_call` handler would
 * block the tool) and nothing is printed: `SCE_PI_LOG=<file>` appends diagnostics there.
 *
 * Self-contained on purpose (embedded in the sce binary and installed as
 * `.pi/extensions/sce-agent-trace.ts`): node built-ins and type-only imports.
 * Environment: `SCE_BIN` — the sce binary (default `sce` on PATH).
 */
import type { ExtensionAPI, ExtensionContext } from "@mariozechner/pi-coding-agent"
import { spawn, spawnSync } from "node:child_process"
import { appendFileSync, readFileSync, realpathSync, statSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

// ---------------------------------------------------------------------------
// Limits and defaults
// ---------------------------------------------------------------------------

const AGENT = "pi"
const PI_PACKAGE = "@mariozechner/pi-coding-agent"
/** How long one `sce hooks agent` may run before it is killed. */
const DEFAULT_TIMEOUT_MS = 10_000
/** Files bigger than this are not read (sce snapshots the tool's effect instead). */
const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024
/** Events waiting for a spawn; beyond this the oldest are dropped. */
const MAX_QUEUED = 1000
/** Tool calls whose result never came: forgotten beyond this many. */
const MAX_PENDING_CALLS = 256
/** Tools that never write: no event at all. */
const READ_ONLY_TOOLS = new Set(["read", "grep", "find", "ls"])
/** Tools whose target file is `input.path`: reported exactly. */
const FILE_TOOLS = new Set(["write", "edit"])

// ---------------------------------------------------------------------------
// Wire type (sce's agent contract, `sce hooks agent --help`)
// ---------------------------------------------------------------------------

export interface FileEdit {
  path: string
  before?: string
  after?: string
}

export interface AgentEvent {
  event: "pre_tool" | "post_tool" | "prompt" | "response" | "session_end"
  agent: string
  agent_version?: string
  session_id: string
  model?: string
  cwd?: string
  tool_call_id?: string
  tool_name?: string
  files?: FileEdit[]
  text?: string
}

// ---------------------------------------------------------------------------
// Injectable dependencies (the tests replace the spawner, file reads, clock)
// ---------------------------------------------------------------------------

export interface SpawnRequest {
  bin: string
  args: string[]
  cwd: string
  input: string
  timeoutMs: number
}

export interface SpawnResult {
  code: number | null
  stderr: string
  /** Set when the process could not be started (e.g. ENOENT). */
  error?: string
  timedOut: boolean
}

export type Spawner = (req: SpawnRequest) => Promise<SpawnResult>
export type SyncSpawner = (req: SpawnRequest) => SpawnResult
export type Logger = (message: string) => void

/** What a file is: missing, text, or something not reported (too big, binary, unreadable). */
export type FileState = { kind: "missing" } | { kind: "text"; text: string } | { kind: "skip" }

export interface Deps {
  spawn: Spawner
  spawnSync: SyncSpawner
  readFile: (abs: string, maxBytes: number) => FileState
  log: Logger
  /** Registers the last-chance flush at process exit. */
  onExit: (fn: () => void) => void
  env: Record<string, string | undefined>
  /** pi's version, when known. */
  version: string | undefined
}

export interface Options {
  bin: string
  timeoutMs: number
  maxFileBytes: number
}

// ---------------------------------------------------------------------------
// Defaults
// ---------------------------------------------------------------------------

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** Text of a file; `skip` when binary (NUL in the first 8000 bytes, or not UTF-8), too big or unreadable. */
export function readFileState(abs: string, maxBytes: number): FileState {
  let size: number
  try {
    const st = statSync(abs)
    if (!st.isFile()) return { kind: "skip" }
    size = st.size
  } catch (e) {
    const code = (e as { code?: unknown }).code
    return code === "ENOENT" || code === "ENOTDIR" ? { kind: "missing" } : { kind: "skip" }
  }
  if (size > maxBytes) return { kind: "skip" }
  try {
    const buf = readFileSync(abs)
    if (buf.subarray(0, 8000).includes(0)) return { kind: "skip" }
    return { kind: "text", text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(buf) }
  } catch (e) {
    const code = (e as { code?: unknown }).code
    return code === "ENOENT" ? { kind: "missing" } : { kind: "skip" }
  }
}

const spawnAsync: Spawner = (req) =>
  new Promise((resolve) => {
    let stderr = ""
    let done = false
    let timedOut = false
    const finish = (r: SpawnResult) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve(r)
    }
    let child: ReturnType<typeof spawn>
    try {
      child = spawn(req.bin, req.args, { cwd: req.cwd, stdio: ["pipe", "ignore", "pipe"], windowsHide: true })
    } catch (e) {
      resolve({ code: null, stderr: "", error: errMessage(e), timedOut: false })
      return
    }
    const timer = setTimeout(() => {
      timedOut = true
      try {
        child.kill("SIGKILL")
      } catch {
        // already gone
      }
    }, req.timeoutMs)
    timer.unref?.()
    child.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString("utf8")
    })
    child.on("error", (e) => finish({ code: null, stderr, error: errMessage(e), timedOut }))
    child.on("close", (code) => finish({ code, stderr, timedOut }))
    child.stdin?.on("error", () => {
      // EPIPE when sce exits early: its exit code and stderr tell the story
    })
    child.stdin?.end(req.input)
  })

const spawnBlocking: SyncSpawner = (req) => {
  try {
    const r = spawnSync(req.bin, req.args, {
      cwd: req.cwd,
      input: req.input,
      timeout: req.timeoutMs,
      killSignal: "SIGKILL",
      stdio: ["pipe", "ignore", "pipe"],
      windowsHide: true,
    })
    const timedOut = (r.error as { code?: string } | undefined)?.code === "ETIMEDOUT"
    return {
      code: r.status,
      stderr: r.stderr ? r.stderr.toString("utf8") : "",
      error: r.error && !timedOut ? errMessage(r.error) : undefined,
      timedOut,
    }
  } catch (e) {
    return { code: null, stderr: "", error: errMessage(e), timedOut: false }
  }
}

/** pi's version: the `package.json` of `@mariozechner/pi-coding-agent` above the running script. */
export function piVersion(script: string | undefined): string | undefined {
  if (!script) return undefined
  let dir: string
  try {
    dir = path.dirname(realpathSync(script))
  } catch {
    return undefined
  }
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: unknown; version?: unknown }
      if (pkg.name === PI_PACKAGE && typeof pkg.version === "string") return pkg.version
    } catch {
      // no package.json here
    }
    const up = path.dirname(dir)
    if (up === dir) break
    dir = up
  }
  return undefined
}

function defaultDeps(): Deps {
  const env = process.env
  return {
    spawn: spawnAsync,
    spawnSync: spawnBlocking,
    readFile: readFileState,
    log: (message) => {
      const file = env.SCE_PI_LOG
      if (!file) return
      try {
        appendFileSync(file, `${new Date().toISOString()} sce-agent-trace: ${message}\n`)
      } catch {
        // nowhere to report
      }
    },
    onExit: (fn) => {
      process.on("exit", fn)
    },
    env,
    version: piVersion(process.argv[1]),
  }
}

// ---------------------------------------------------------------------------
// The tracer
// ---------------------------------------------------------------------------

/** A write/edit call in flight: the file it targets and what it held before. */
interface ExactCall {
  kind: "exact"
  abs: string
  before: FileState & { kind: "missing" | "text" }
}

/** Any other call in flight: sce snapshots around it. */
interface SnapshotCall {
  kind: "snapshot"
}

type PendingCall = ExactCall | SnapshotCall

/** The tool's target path as pi resolves it: `@` prefix dropped, `~` expanded, relative to `cwd`. */
export function resolveToolPath(raw: string, cwd: string, home: string): string {
  let p = raw.startsWith("@") ? raw.slice(1) : raw
  if (p === "~") p = home
  else if (p.startsWith("~/")) p = path.join(home, p.slice(2))
  return path.resolve(cwd, p)
}

/** `provider/id` of pi's current model. */
export function modelId(model: { provider?: unknown; id?: unknown } | undefined): string | undefined {
  if (!model || typeof model.id !== "string" || model.id.length === 0) return undefined
  return typeof model.provider === "string" && model.provider.length > 0 ? `${model.provider}/${model.id}` : model.id
}

/** The text parts of an assistant message, joined. */
export function assistantText(message: unknown): string | undefined {
  if (typeof message !== "object" || message === null) return undefined
  const m = message as { role?: unknown; content?: unknown }
  if (m.role !== "assistant") return undefined
  if (typeof m.content === "string") return m.content.trim() ? m.content : undefined
  if (!Array.isArray(m.content)) return undefined
  const text = m.content
    .filter((c): c is { type: "text"; text: string } => {
      const part = c as { type?: unknown; text?: unknown }
      return part?.type === "text" && typeof part.text === "string"
    })
    .map((c) => c.text)
    .join("")
  return text.trim() ? text : undefined
}

/** The minimal view of pi's context the tracer reads (a subset of `ExtensionContext`). */
export type TraceContext = Pick<ExtensionContext, "cwd" | "model"> & {
  sessionManager: { getSessionId(): string }
}

export class Tracer {
  private readonly queue: Array<{ event: AgentEvent; cwd: string; done?: () => void }> = []
  private running = false
  private idle: Array<() => void> = []
  private readonly pending = new Map<string, PendingCall>()
  private readonly home: string

  constructor(
    private readonly deps: Deps,
    private readonly opts: Options,
  ) {
    this.home = deps.env.HOME || os.homedir()
    deps.onExit(() => this.flushSync())
  }

  private base(ctx: TraceContext): Omit<AgentEvent, "event"> | undefined {
    let session: string
    try {
      session = ctx.sessionManager.getSessionId()
    } catch {
      return undefined
    }
    if (!session) return undefined
    const out: Omit<AgentEvent, "event"> = { agent: AGENT, session_id: session, cwd: ctx.cwd }
    if (this.deps.version) out.agent_version = this.deps.version
    const model = modelId(ctx.model)
    if (model) out.model = model
    return out
  }

  /** Queues an event; the promise resolves once sce has handled it (or gave up). Never rejects. */
  send(event: AgentEvent, cwd: string): Promise<void> {
    return new Promise((resolve) => {
      if (this.queue.length >= MAX_QUEUED) {
        const dropped = this.queue.shift()
        this.deps.log(`queue full: dropped a ${dropped?.event.event} event`)
        dropped?.done?.()
      }
      this.queue.push({ event, cwd, done: resolve })
      void this.pump()
    })
  }

  private async pump(): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      for (;;) {
        const item = this.queue.shift()
        if (!item) break
        try {
          const r = await this.deps.spawn(this.request(item.event, item.cwd))
          this.report(item.event, r)
        } catch (e) {
          this.deps.log(`${item.event.event}: ${errMessage(e)}`)
        }
        item.done?.()
      }
    } finally {
      this.running = false
      const waiting = this.idle
      this.idle = []
      for (const fn of waiting) fn()
    }
  }

  private request(event: AgentEvent, cwd: string): SpawnRequest {
    return {
      bin: this.opts.bin,
      args: ["hooks", "agent"],
      cwd,
      input: JSON.stringify(event),
      timeoutMs: this.opts.timeoutMs,
    }
  }

  private report(event: AgentEvent, r: SpawnResult): void {
    if (r.error) this.deps.log(`${event.event}: cannot run ${this.opts.bin}: ${r.error}`)
    else if (r.timedOut) this.deps.log(`${event.event}: ${this.opts.bin} killed after ${this.opts.timeoutMs} ms`)
    else if (r.code !== 0 || r.stderr.trim()) this.deps.log(`${event.event}: exit ${r.code}: ${r.stderr.trim()}`)
  }

  /** Resolves once the queue is empty, or after `waitMs`. */
  flush(waitMs: number): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, waitMs)
      timer.unref?.()
      this.idle.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /** At process exit: what is still queued, synchronously. */
  flushSync(): void {
    for (;;) {
      const item = this.queue.shift()
      if (!item) return
      try {
        this.report(item.event, this.deps.spawnSync(this.request(item.event, item.cwd)))
      } catch (e) {
        this.deps.log(`${item.event.event}: ${errMessage(e)}`)
      }
    }
  }

  private remember(id: string, call: PendingCall): void {
    if (this.pending.size >= MAX_PENDING_CALLS) {
      const oldest = this.pending.keys().next()
      if (!oldest.done) this.pending.delete(oldest.value)
    }
    this.pending.set(id, call)
  }

  async onToolCall(event: { toolName: string; toolCallId: string; input: unknown }, ctx: TraceContext): Promise<void> {
    if (READ_ONLY_TOOLS.has(event.toolName)) return
    const base = this.base(ctx)
    if (!base || !event.toolCallId) return
    const input = (typeof event.input === "object" && event.input !== null ? event.input : {}) as Record<string, unknown>
    if (FILE_TOOLS.has(event.toolName) && typeof input.path === "string" && input.path.length > 0) {
      const abs = resolveToolPath(input.path, ctx.cwd, this.home)
      const before = this.deps.readFile(abs, this.opts.maxFileBytes)
      if (before.kind !== "skip") {
        this.remember(event.toolCallId, { kind: "exact", abs, before })
        return
      }
    }
    // Not exactly knowable: sce snapshots now, before the tool runs.
    this.remember(event.toolCallId, { kind: "snapshot" })
    await this.send(
      { event: "pre_tool", ...base, tool_call_id: event.toolCallId, tool_name: event.toolName },
      ctx.cwd,
    )
  }

  async onToolResult(event: { toolName: string; toolCallId: string }, ctx: TraceContext): Promise<void> {
    const call = this.pending.get(event.toolCallId)
    if (!call) return
    this.pending.delete(event.toolCallId)
    const base = this.base(ctx)
    if (!base) return
    const post: AgentEvent = { event: "post_tool", ...base, tool_call_id: event.toolCallId, tool_name: event.toolName }
    if (call.kind === "snapshot") {
      // Awaited: the comparison must see the tree before the next tool changes it.
      await this.send(post, ctx.cwd)
      return
    }
    const after = this.deps.readFile(call.abs, this.opts.maxFileBytes)
    const file: FileEdit = { path: call.abs }
    if (call.before.kind === "text") file.before = call.before.text
    if (after.kind === "text") file.after = after.text
    else if (after.kind === "skip") return // became binary or too big: nothing sce could attribute
    if (file.before === file.after) return // failed or a no-op
    if (file.before === undefined && file.after === undefined) return
    post.files = [file]
    // Exact: nothing depends on when sce stores it, so pi does not wait.
    void this.send(post, ctx.cwd)
  }

  onInput(event: { text?: unknown }, ctx: TraceContext): void {
    const base = this.base(ctx)
    if (!base || typeof event.text !== "string" || !event.text.trim()) return
    void this.send({ event: "prompt", ...base, text: event.text }, ctx.cwd)
  }

  onMessageEnd(event: { message?: unknown }, ctx: TraceContext): void {
    const text = assistantText(event.message)
    const base = this.base(ctx)
    if (!base || !text) return
    const m = event.message as { provider?: unknown; model?: unknown }
    const model = modelId({ provider: m.provider, id: m.model })
    void this.send({ event: "response", ...base, ...(model ? { model } : {}), text }, ctx.cwd)
  }

  async onShutdown(ctx: TraceContext): Promise<void> {
    const base = this.base(ctx)
    this.pending.clear()
    if (base) void this.send({ event: "session_end", ...base }, ctx.cwd)
    await this.flush(this.opts.timeoutMs + 5_000)
  }
}

/** The extension with its dependencies replaced (tests). */
export function withDeps(partial: Partial<Deps> = {}, options: Partial<Options> = {}): (pi: ExtensionAPI) => void {
  return (pi) => {
    let tracer: Tracer
    try {
      const deps: Deps = { ...defaultDeps(), ...partial }
      const timeout = Number(deps.env.SCE_PI_TIMEOUT_MS)
      tracer = new Tracer(deps, {
        bin: options.bin ?? (deps.env.SCE_BIN || "sce"),
        timeoutMs: options.timeoutMs ?? (Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_TIMEOUT_MS),
        maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      })
    } catch {
      return // never break pi
    }
    const guard =
      <E>(fn: (event: E, ctx: ExtensionContext) => Promise<void> | void) =>
      async (event: E, ctx: ExtensionContext): Promise<undefined> => {
        try {
          await fn(event, ctx)
        } catch {
          // never throw into pi: a throwing tool_call handler blocks the tool
        }
        return undefined
      }
    pi.on("tool_call", guard((e, ctx) => tracer.onToolCall(e, ctx)))
    pi.on("tool_result", guard((e, ctx) => tracer.onToolResult(e, ctx)))
    pi.on("input", guard((e, ctx) => tracer.onInput(e, ctx)))
    pi.on("message_end", guard((e, ctx) => tracer.onMessageEnd(e, ctx)))
    pi.on("session_shutdown", guard((_e, ctx) => tracer.onShutdown(ctx)))
  }
}

/** The pi extension (pi calls the default export with its API). */
export default function sceAgentTrace(pi: ExtensionAPI): void {
  withDeps()(pi)
}
