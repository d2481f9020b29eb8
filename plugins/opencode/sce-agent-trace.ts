/**
 * sce-agent-trace — OpenCode plugin that reports what the agent wrote to `sce`.
 *
 * It pipes batches of session events to `sce hooks conversation-trace` (one JSON
 * envelope on stdin per call) so that sce's git post-commit hook can tell, for
 * every committed line, whether an agent wrote it, in which session, with which
 * model:
 *
 * - `message.updated`: session id, message id, role, `providerID/modelID`, times.
 * - `message.part.updated`: final text/reasoning parts (sent once complete), and
 *   one `patch` part per file the agent changed through `edit`, `write`,
 *   `apply_patch` or `bash`, with the full content before and after the change.
 *
 * Self-contained on purpose (it is embedded into the sce binary and installed as
 * `.opencode/plugins/sce-agent-trace.ts`): node built-ins and type-only imports of
 * `@opencode-ai/plugin` only. Written against OpenCode 1.18.33, whose events arrive
 * in the v2 shape `{id, type, properties: {sessionID, ...}}`; everything is parsed
 * defensively and nothing ever throws into OpenCode.
 *
 * Environment: `SCE_BIN` — the sce binary (default `sce` on PATH).
 * Plugin options (`["file:///…/sce-agent-trace.ts", {...}]`): `bin`, `timeoutMs`,
 * `windowMs`, `maxFileBytes`.
 *
 * Only the plugin function is exported: OpenCode calls every export of a plugin
 * module as a plugin. Tests reach the internals through `SceAgentTrace.withDeps`.
 */
import type { Hooks, Plugin, PluginInput, PluginOptions } from "@opencode-ai/plugin"
import { execFile, spawn, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { promises as fsp, realpathSync } from "node:fs"
import * as path from "node:path"

// ---------------------------------------------------------------------------
// Limits and defaults
// ---------------------------------------------------------------------------

const TOOL_NAME = "opencode"
const SERVICE = "sce-agent-trace"
/** How long events are coalesced before one envelope per type is sent. */
const DEFAULT_WINDOW_MS = 100
/** How long one `sce hooks conversation-trace` may run before it is killed. */
const DEFAULT_TIMEOUT_MS = 10_000
/** Files bigger than this are not reported (before or after). */
const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024
/** An envelope is split when its JSON grows past this. */
const MAX_ENVELOPE_BYTES = 4 * 1024 * 1024
/** Envelopes waiting for a spawn; beyond this the oldest are dropped (with a warning). */
const MAX_QUEUED_ENVELOPES = 1000
/** Bash: at most this many changed paths are examined per call. */
const MAX_TREE_FILES = 2000
/** Bash: at most this many bytes of dirty-file content are kept before a call. */
const MAX_TREE_SNAPSHOT_BYTES = 32 * 1024 * 1024
/** Tool calls whose `after` never came (crashes): forgotten beyond this many. */
const MAX_PENDING_CALLS = 256
/** Time given to flushing when OpenCode disposes the plugin. */
const DISPOSE_WAIT_MS = 15_000
/** Time given to the synchronous last-chance flush at process exit. */
const EXIT_WAIT_MS = 10_000
const GIT_TIMEOUT_MS = 10_000

// ---------------------------------------------------------------------------
// Wire types (what sce accepts)
// ---------------------------------------------------------------------------

export type EnvelopeType = "message.updated" | "message.part.updated"

export interface MessagePayload {
  session_id: string
  message_id: string
  role: "user" | "assistant"
  model_id?: string
  time_created_ms: number
  time_completed_ms?: number
  parent_id?: string
}

export interface TextPartPayload {
  session_id: string
  message_id: string
  part_id: string
  part_type: "text" | "reasoning"
  text: string
  time_ms: number
}

export interface PatchPartPayload {
  session_id: string
  message_id: string
  part_id: string
  part_type: "patch"
  tool: string
  file_path: string
  before?: string
  after?: string
  status: "added" | "modified" | "deleted" | "renamed"
  old_path?: string
  time_ms: number
}

export type PartPayload = TextPartPayload | PatchPartPayload

export interface Envelope {
  type: EnvelopeType
  tool_name: string
  tool_version?: string
  cwd: string
  payloads: Array<MessagePayload | PartPayload>
}

// ---------------------------------------------------------------------------
// Injectable dependencies (the tests replace the spawner, logger, exit hook)
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
  signal: string | null
  stdout: string
  stderr: string
  /** Set when the process could not be started (e.g. code "ENOENT"). */
  error?: { code?: string; message: string }
  timedOut: boolean
}

export type Spawner = (req: SpawnRequest) => Promise<SpawnResult>
export type SyncSpawner = (req: SpawnRequest) => SpawnResult
export type LogLevel = "debug" | "info" | "warn" | "error"
export type Logger = (level: LogLevel, message: string) => void

export interface Deps {
  spawn: Spawner
  spawnSync: SyncSpawner
  /** Logger; default: OpenCode's `client.app.log`, else console.error. */
  log?: Logger
  /** Registers the last-chance flush; default `process.on("exit")`. Returns an unregister function. */
  onExit: (fn: () => void) => () => void
  env: Record<string, string | undefined>
  now: () => number
}

export interface TraceOptions {
  bin: string
  timeoutMs: number
  windowMs: number
  maxFileBytes: number
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

type Obj = Record<string, unknown>

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v)
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.length > 0 ? v : undefined
}

function ms(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.trunc(v) : undefined
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** Text content of a file; `null` when binary (NUL byte in the first 8000 bytes, or not UTF-8). */
function decodeText(buf: Uint8Array): string | null {
  const head = buf.subarray(0, 8000)
  if (head.includes(0)) return null
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(buf)
  } catch {
    return null
  }
}

/** What a file was (or is): missing, text content, or something not reported (too big, binary, not a file). */
export type FileState =
  | { kind: "missing" }
  | { kind: "text"; text: string }
  | { kind: "skip"; reason: string }
  /** Content not kept (bash snapshot over budget): only a signature to detect a change. */
  | { kind: "sig"; sig: string }

async function readFileState(abs: string, maxBytes: number): Promise<FileState> {
  let st
  try {
    st = await fsp.stat(abs)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "missing" }
    return { kind: "skip", reason: `stat: ${errMessage(e)}` }
  }
  if (!st.isFile()) return { kind: "skip", reason: "not a regular file" }
  if (st.size > maxBytes) return { kind: "skip", reason: `bigger than ${maxBytes} bytes` }
  let buf: Buffer
  try {
    buf = await fsp.readFile(abs)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code
    if (code === "ENOENT") return { kind: "missing" }
    return { kind: "skip", reason: `read: ${errMessage(e)}` }
  }
  if (buf.length > maxBytes) return { kind: "skip", reason: `bigger than ${maxBytes} bytes` }
  const text = decodeText(buf)
  return text === null ? { kind: "skip", reason: "binary" } : { kind: "text", text }
}

async function statSig(abs: string): Promise<string> {
  try {
    const st = await fsp.stat(abs)
    return `${st.size}:${st.mtimeMs}:${st.ino}`
  } catch {
    return "missing"
  }
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex")
}

/** realpath of a path that may not exist: the deepest existing ancestor is resolved. */
function realpathLoose(abs: string): string {
  let cur = abs
  const rest: string[] = []
  for (;;) {
    try {
      const real = realpathSync(cur)
      return rest.length ? path.join(real, ...rest.reverse()) : real
    } catch {
      const parent = path.dirname(cur)
      if (parent === cur) return abs
      rest.push(path.basename(cur))
      cur = parent
    }
  }
}

interface GitResult {
  code: number
  stdout: Buffer
  stderr: string
}

function git(args: string[], cwd: string, input?: string): Promise<GitResult> {
  return new Promise((resolve) => {
    try {
      const child = execFile(
        "git",
        ["--no-optional-locks", ...args],
        { cwd, encoding: "buffer", maxBuffer: 256 * 1024 * 1024, timeout: GIT_TIMEOUT_MS, windowsHide: true },
        (error, stdout, stderr) => {
          const code = error ? (typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code) : -1) : 0
          resolve({ code, stdout: stdout ?? Buffer.alloc(0), stderr: stderr ? stderr.toString() : "" })
        },
      )
      child.stdin?.on("error", () => {})
      if (input !== undefined) child.stdin?.end(input)
      else child.stdin?.end()
    } catch (e) {
      resolve({ code: -1, stdout: Buffer.alloc(0), stderr: errMessage(e) })
    }
  })
}

// ---------------------------------------------------------------------------
// apply_patch: the paths a patch text touches
// ---------------------------------------------------------------------------

export interface PatchTextFiles {
  /** Every path named (relative paths as written). */
  paths: string[]
  /** `*** Update File: from` followed by `*** Move to: to`. */
  moves: Array<{ from: string; to: string }>
}

/** Paths named by an apply_patch text (`*** Add File:`, `*** Update File:`, `*** Delete File:`, `*** Move to:`). */
function parsePatchTextFiles(patchText: string): PatchTextFiles {
  const paths: string[] = []
  const moves: Array<{ from: string; to: string }> = []
  let lastUpdate: string | undefined
  for (const raw of patchText.split(/\r?\n/)) {
    const line = raw.trimEnd()
    const m = /^\*\*\* (Add File|Update File|Delete File|Move to): (.+)$/.exec(line)
    if (!m) continue
    const p = m[2].trim()
    if (!p) continue
    if (!paths.includes(p)) paths.push(p)
    if (m[1] === "Update File") lastUpdate = p
    else if (m[1] === "Move to" && lastUpdate) {
      moves.push({ from: lastUpdate, to: p })
      lastUpdate = undefined
    } else lastUpdate = undefined
  }
  return { paths, moves }
}

// ---------------------------------------------------------------------------
// bash: working-tree snapshots through `git status`
// ---------------------------------------------------------------------------

interface StatusEntry {
  path: string
  /** Present in HEAD or the index (not untracked). */
  tracked: boolean
}

interface TreeStatus {
  head: string | null
  entries: StatusEntry[]
}

/** Parses `git status --porcelain=v2 -z --branch --no-renames --untracked-files=all`. */
function parseStatusV2(out: string): TreeStatus {
  const records = out.split("\0")
  let head: string | null = null
  const entries: StatusEntry[] = []
  for (let i = 0; i < records.length; i++) {
    const rec = records[i]
    if (!rec) continue
    if (rec.startsWith("# branch.oid ")) {
      const oid = rec.slice("# branch.oid ".length).trim()
      head = /^[0-9a-f]{40,64}$/.test(oid) ? oid : null
      continue
    }
    if (rec.startsWith("#")) continue
    const kind = rec[0]
    const fieldCount = kind === "1" ? 8 : kind === "2" ? 9 : kind === "u" ? 10 : kind === "?" ? 1 : -1
    if (fieldCount < 0) continue
    const parts = rec.split(" ")
    const p = parts.slice(fieldCount).join(" ")
    if (kind === "2") i++ // the original path follows as its own record
    if (!p) continue
    if (kind !== "?" && parts[2] && parts[2].startsWith("S")) continue // submodule
    entries.push({ path: p, tracked: kind !== "?" })
  }
  return { head, entries }
}

interface TreeSnapshot {
  root: string
  head: string | null
  /** Dirty (or untracked) paths before the call and what they were. */
  dirty: Map<string, FileState>
}

// ---------------------------------------------------------------------------
// Pure-ish change computation
// ---------------------------------------------------------------------------

export interface FileChange {
  file_path: string
  status: "added" | "modified" | "deleted" | "renamed"
  before?: string
  after?: string
  old_path?: string
}

/** The change between two states of one file, or null when there is nothing to report. */
function diffStates(rel: string, before: FileState, after: FileState): FileChange | null {
  if (before.kind === "skip" || after.kind === "skip") return null
  if (after.kind === "missing") {
    if (before.kind === "missing") return null
    // A deleted file: before is sent when known (a bash snapshot may only hold a signature).
    return before.kind === "text"
      ? { file_path: rel, status: "deleted", before: before.text }
      : { file_path: rel, status: "deleted" }
  }
  if (after.kind !== "text") return null
  if (before.kind === "missing") return { file_path: rel, status: "added", after: after.text }
  if (before.kind === "text") {
    if (before.text === after.text) return null
    return { file_path: rel, status: "modified", before: before.text, after: after.text }
  }
  // before.kind === "sig": content unknown; the caller decided it changed.
  return { file_path: rel, status: "modified", after: after.text }
}

/** Pairs a deleted and an added file of identical content into one rename. */
function pairRenames(changes: FileChange[]): FileChange[] {
  const added = changes.filter((c) => c.status === "added")
  const used = new Set<FileChange>()
  const out: FileChange[] = []
  for (const c of changes) {
    if (used.has(c)) continue
    if (c.status === "deleted" && c.before !== undefined) {
      const twin = added.find((a) => !used.has(a) && a.after === c.before)
      if (twin) {
        used.add(twin)
        used.add(c)
        out.push({ file_path: twin.file_path, old_path: c.file_path, status: "renamed", before: c.before, after: twin.after })
        continue
      }
    }
    out.push(c)
  }
  return out.filter((c) => !used.has(c) || c.status === "renamed")
}

// ---------------------------------------------------------------------------
// The tracer
// ---------------------------------------------------------------------------

export interface Tracer {
  hooks: Hooks
  /** Sends everything pending now and waits (bounded) for the spawns to finish. */
  flush(waitMs?: number): Promise<void>
  /** Test/introspection: counters. */
  stats: { spawns: number; envelopes: number; dropped: number; failures: number }
}

function defaultSpawner(req: SpawnRequest): Promise<SpawnResult> {
  return new Promise((resolve) => {
    let stdout = ""
    let stderr = ""
    let timedOut = false
    let done = false
    const finish = (r: SpawnResult) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve(r)
    }
    let child: ReturnType<typeof spawn>
    try {
      child = spawn(req.bin, req.args, { cwd: req.cwd, stdio: ["pipe", "pipe", "pipe"], windowsHide: true })
    } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code
      resolve({ code: null, signal: null, stdout, stderr, error: { code, message: errMessage(e) }, timedOut })
      return
    }
    const timer = setTimeout(() => {
      timedOut = true
      try {
        child.kill("SIGKILL")
      } catch {}
      // Do not wait for pipes a grandchild may still hold open.
      setTimeout(() => finish({ code: null, signal: "SIGKILL", stdout, stderr, timedOut }), 1000).unref?.()
    }, req.timeoutMs)
    child.stdout?.on("data", (d: Buffer) => {
      if (stdout.length < 65536) stdout += d.toString()
    })
    child.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < 65536) stderr += d.toString()
    })
    child.on("error", (e: NodeJS.ErrnoException) => {
      finish({ code: null, signal: null, stdout, stderr, error: { code: e.code, message: e.message }, timedOut })
    })
    child.on("close", (code, signal) => finish({ code, signal: signal ?? null, stdout, stderr, timedOut }))
    child.stdin?.on("error", () => {})
    child.stdin?.end(req.input)
  })
}

function defaultSyncSpawner(req: SpawnRequest): SpawnResult {
  const r = spawnSync(req.bin, req.args, { cwd: req.cwd, input: req.input, timeout: req.timeoutMs, windowsHide: true })
  const err = r.error as NodeJS.ErrnoException | undefined
  return {
    code: r.status,
    signal: r.signal ?? null,
    stdout: r.stdout ? r.stdout.toString() : "",
    stderr: r.stderr ? r.stderr.toString() : "",
    error: err && err.code !== "ETIMEDOUT" ? { code: err.code, message: err.message } : undefined,
    timedOut: err?.code === "ETIMEDOUT",
  }
}

const defaultDeps: Deps = {
  spawn: defaultSpawner,
  spawnSync: defaultSyncSpawner,
  onExit: (fn) => {
    process.on("exit", fn)
    return () => process.off("exit", fn)
  },
  env: process.env,
  now: () => Date.now(),
}

function optionsFrom(raw: PluginOptions | undefined, env: Record<string, string | undefined>): TraceOptions {
  const o = isObj(raw) ? raw : {}
  const pos = (v: unknown, d: number) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : d)
  return {
    bin: str(o.bin) ?? str(env.SCE_BIN) ?? "sce",
    timeoutMs: pos(o.timeoutMs, DEFAULT_TIMEOUT_MS),
    windowMs: typeof o.windowMs === "number" && o.windowMs >= 0 ? o.windowMs : DEFAULT_WINDOW_MS,
    maxFileBytes: pos(o.maxFileBytes, DEFAULT_MAX_FILE_BYTES),
  }
}

// ---------------------------------------------------------------------------
// The tracer's parts. `createTracer` (below) composes them:
//   createLog, createRepository — shared services;
//   createDelivery — batching payloads into envelopes and running sce;
//   createChangeTracking — what tools did to files, as `patch` parts;
//   createEventRouter — OpenCode's events and hooks, routed to the above.
// ---------------------------------------------------------------------------

type TraceStats = Tracer["stats"]

/** Key of one tool call: `sessionID\0callID`. */
function callKey(sessionID: string, callID: string): string {
  return `${sessionID}\u0000${callID}`
}

/** Sets `k` as the newest entry of `m`, forgetting the oldest entries beyond `max`. */
function remember<K, V>(m: Map<K, V>, k: K, v: V, max = 5000): void {
  m.delete(k)
  m.set(k, v)
  while (m.size > max) {
    const first = m.keys().next()
    if (first.done) break
    m.delete(first.value)
  }
}

function firstLine(s: string): string {
  return s.split(/\r?\n/).find((l) => l.trim()) ?? ""
}

interface TraceLog {
  /** Logs at `level`; never throws. */
  safeLog(level: LogLevel, message: string): void
  /** Warns the first time `key` is seen only; `toast` also shows it in OpenCode's TUI (when not given a logger). */
  warnOnce(key: string, message: string, toast?: boolean): void
}

/**
 * Logging that never throws into OpenCode. Goes to the injected logger when there is
 * one, else to OpenCode's `client.app.log` (falling back to console.error for
 * warnings and errors). Lasting problems — sce missing, no repository, a timeout —
 * would otherwise be reported on every event, hence `warnOnce`.
 */
function createLog(input: Partial<PluginInput>, injected: Logger | undefined): TraceLog {
  const onceKeys = new Set<string>()
  const log: Logger =
    injected ??
    ((level, message) => {
      const client = input.client as unknown as { app?: { log?: (o: unknown) => Promise<unknown> } } | undefined
      const fallback = () => {
        if (level === "warn" || level === "error") console.error(`[${SERVICE}] ${message}`)
      }
      try {
        const p = client?.app?.log?.({ body: { service: SERVICE, level, message } })
        if (p && typeof (p as Promise<unknown>).catch === "function") (p as Promise<unknown>).catch(fallback)
        else fallback()
      } catch {
        fallback()
      }
    })
  const safeLog = (level: LogLevel, message: string) => {
    try {
      log(level, message)
    } catch {}
  }
  const warnOnce = (key: string, message: string, toast = false) => {
    if (onceKeys.has(key)) return
    onceKeys.add(key)
    safeLog("warn", message)
    if (toast && !injected) {
      try {
        const tui = (input.client as unknown as { tui?: { showToast?: (o: unknown) => Promise<unknown> } })?.tui
        tui?.showToast?.({ body: { title: "sce", message, variant: "warning" } })?.catch?.(() => {})
      } catch {}
    }
  }
  return { safeLog, warnOnce }
}

interface Repository {
  /** The repository's top level (real path), or null when `directory` is not in one. */
  root(): Promise<string | null>
  /** The absolute path of a path a tool names (relative ones are taken from `directory`). */
  absFrom(p: string): string
  /** Repo-relative `/` path of an absolute path, or null when outside the repository or inside `.git`. */
  relFrom(root: string, abs: string): string | null
}

/**
 * The git repository OpenCode works in, which both delivery (sce can store nothing
 * outside one) and change tracking (paths are reported repo-relative) need. The root
 * is looked up lazily with `git rev-parse`: once found it is final; "not a
 * repository" is warned about once and asked again after 30 s.
 */
function createRepository(directory: string, now: () => number, warnOnce: TraceLog["warnOnce"]): Repository {
  let rootPromise: Promise<string | null> | null = null
  let rootCheckedAt = 0
  const root = (): Promise<string | null> => {
    if (rootPromise && (now() - rootCheckedAt < 30_000)) return rootPromise
    rootCheckedAt = now()
    const p: Promise<string | null> = git(["rev-parse", "--show-toplevel"], directory).then((r) => {
      if (r.code !== 0) {
        warnOnce("no-repo", `${directory} is not in a git repository: nothing is reported to sce`)
        return null
      }
      const top = r.stdout.toString().replace(/\r?\n$/, "")
      return top ? realpathLoose(top) : null
    })
    rootPromise = p
    // A found root is final; a failure is retried after a while.
    p.then((root) => {
      if (root) rootCheckedAt = Number.POSITIVE_INFINITY
    })
    return p
  }

  const absFrom = (p: string) => (path.isAbsolute(p) ? path.normalize(p) : path.resolve(directory, p))

  const relFrom = (root: string, abs: string): string | null => {
    const real = realpathLoose(abs)
    const rel = path.relative(root, real)
    if (!rel || rel.startsWith("..") || path.isAbsolute(rel)) return null
    const parts = rel.split(path.sep)
    if (parts[0] === ".git") return null
    return parts.join("/")
  }

  return { root, absFrom, relFrom }
}

// ---- delivery -------------------------------------------------------------

interface Delivery {
  stats: TraceStats
  /** The OpenCode version stamped on the envelopes built from now on. */
  setToolVersion(version: string): void
  /** Queues a message for the next batch (unless this exact payload was queued before) and starts the window. */
  enqueueMessage(p: MessagePayload): void
  /** Queues a part for the next batch (replacing one of the same part id) and starts the window. */
  enqueuePart(p: PartPayload): void
  /** Adds a part to the next batch without starting the window: it goes with whatever is flushed next. */
  stagePart(p: PartPayload): void
  /** Starts the coalescing window unless it runs already. */
  schedule(): void
  /**
   * Moves pending payloads into envelopes on the queue and (`send`) starts sending.
   * `final` (a session id going idle, or "*" for all at dispose/exit) also sends
   * what cannot wait any longer (staged by `beforeBatch`): text cut off mid-stream,
   * and file changes whose tool part was never seen.
   */
  flushPending(final: string | false, send?: boolean): void
  /** Sends everything pending now and waits (bounded) for the spawns to finish. */
  flush(waitMs?: number): Promise<void>
  /** OpenCode disposes the plugin: flush, and drop the exit handler. */
  dispose(): Promise<void>
}

/**
 * Delivery of payloads to `sce hooks conversation-trace`. It exists so that the
 * rest of the plugin only says *what* to report: payloads are coalesced for
 * `windowMs`, packed into envelopes of one type (split past MAX_ENVELOPE_BYTES),
 * queued (bounded: the oldest are dropped) and sent one sce process at a time, with
 * a timeout; failures are warned about once. At dispose the queue gets a bounded
 * wait, and at process exit whatever is not acknowledged is sent synchronously.
 *
 * Delivery knows nothing of OpenCode's events: `beforeBatch(final)` runs at every
 * flush, before the batch is taken, so the other parts can stage what must go with
 * it (e.g. text cut off mid-stream, changes whose message has become known).
 */
function createDelivery(args: {
  directory: string
  opts: TraceOptions
  deps: Deps
  log: TraceLog
  repo: Repository
  beforeBatch: (final: string | false) => void
}): Delivery {
  const { directory, opts, deps, repo, beforeBatch } = args
  const { safeLog, warnOnce } = args.log
  const stats: TraceStats = { spawns: 0, envelopes: 0, dropped: 0, failures: 0 }
  let toolVersion: string | undefined
  const sentMessages = new Map<string, string>() // message id → JSON last queued
  let pendingMessages = new Map<string, MessagePayload>()
  let pendingParts = new Map<string, PartPayload>()
  let timer: ReturnType<typeof setTimeout> | null = null
  const queue: Envelope[] = []
  let inflight: Envelope | null = null
  let draining: Promise<void> | null = null

  const schedule = () => {
    if (timer) return
    timer = setTimeout(() => {
      timer = null
      try {
        flushPending(false)
      } catch (e) {
        safeLog("error", `flush failed: ${errMessage(e)}`)
      }
    }, opts.windowMs)
    ;(timer as { unref?: () => void }).unref?.()
  }

  const enqueueMessage = (p: MessagePayload) => {
    const json = JSON.stringify(p)
    if (sentMessages.get(p.message_id) === json) return
    remember(sentMessages, p.message_id, json)
    pendingMessages.set(p.message_id, p)
    schedule()
  }

  const enqueuePart = (p: PartPayload) => {
    pendingParts.set(p.part_id, p)
    schedule()
  }

  const stagePart = (p: PartPayload) => {
    pendingParts.set(p.part_id, p)
  }

  const buildEnvelopes = (type: EnvelopeType, items: Array<MessagePayload | PartPayload>): Envelope[] => {
    const out: Envelope[] = []
    let cur: Envelope | null = null
    let size = 0
    for (const item of items) {
      const n = JSON.stringify(item).length
      if (!cur || (size + n > MAX_ENVELOPE_BYTES && cur.payloads.length > 0)) {
        cur = { type, tool_name: TOOL_NAME, ...(toolVersion ? { tool_version: toolVersion } : {}), cwd: directory, payloads: [] }
        out.push(cur)
        size = 200
      }
      cur.payloads.push(item)
      size += n + 1
    }
    return out
  }

  const flushPending = (final: string | false, send = true) => {
    if (timer) {
      clearTimeout(timer)
      timer = null
    }
    beforeBatch(final)
    const messages = [...pendingMessages.values()]
    const parts = [...pendingParts.values()]
    pendingMessages = new Map()
    pendingParts = new Map()
    const envelopes = [
      ...(messages.length ? buildEnvelopes("message.updated", messages) : []),
      ...(parts.length ? buildEnvelopes("message.part.updated", parts) : []),
    ]
    for (const env of envelopes) {
      queue.push(env)
      stats.envelopes++
    }
    while (queue.length > MAX_QUEUED_ENVELOPES) {
      queue.shift()
      stats.dropped++
      warnOnce("queue-full", `more than ${MAX_QUEUED_ENVELOPES} batches are waiting for sce; the oldest are dropped`)
    }
    if (send) kick()
  }

  const kick = () => {
    if (draining || queue.length === 0) return
    draining = drain().finally(() => {
      draining = null
      if (queue.length) kick()
    })
  }

  const drain = async () => {
    while (queue.length) {
      // Outside a git repository sce can store nothing (exit 6): do not run it at all.
      if (!(await repo.root())) {
        stats.dropped += queue.length
        queue.length = 0
        break
      }
      const env = queue.shift()!
      inflight = env
      try {
        const res = await deps.spawn(request(env))
        stats.spawns++
        report(res, env)
      } catch (e) {
        stats.failures++
        safeLog("error", `running ${opts.bin} failed: ${errMessage(e)}`)
      } finally {
        inflight = null
      }
    }
  }

  const request = (env: Envelope): SpawnRequest => ({
    bin: opts.bin,
    args: ["hooks", "conversation-trace"],
    cwd: directory,
    input: JSON.stringify(env),
    timeoutMs: opts.timeoutMs,
  })

  const report = (res: SpawnResult, env: Envelope) => {
    if (res.error) {
      stats.failures++
      if (res.error.code === "ENOENT") {
        warnOnce(
          "missing-sce",
          `sce not found (${JSON.stringify(opts.bin)}): agent edits are not recorded. Install sce or set SCE_BIN.`,
          true,
        )
      } else warnOnce(`spawn:${res.error.code}`, `cannot run ${opts.bin}: ${res.error.message}`)
      return
    }
    if (res.timedOut) {
      stats.failures++
      warnOnce("timeout", `${opts.bin} hooks conversation-trace did not finish within ${opts.timeoutMs} ms and was killed (${env.payloads.length} ${env.type} event(s) may be lost)`)
      return
    }
    if (res.code === 0) {
      try {
        const r = JSON.parse(firstLine(res.stdout)) as { diagnostics?: Array<{ error?: string }> }
        if (Array.isArray(r.diagnostics) && r.diagnostics.length)
          warnOnce(`diag:${r.diagnostics[0]?.error}`, `sce skipped ${r.diagnostics.length} ${env.type} item(s): ${r.diagnostics[0]?.error}`)
      } catch {}
      return
    }
    stats.failures++
    const why = firstLine(res.stderr) || `exit ${res.code}`
    if (res.code === 3) safeLog("error", `sce refused a ${env.type} envelope (a bug in ${SERVICE}): ${why}`)
    else warnOnce(`exit:${res.code}`, `${opts.bin} hooks conversation-trace failed (exit ${res.code}${res.signal ? `, ${res.signal}` : ""}): ${why}`)
  }

  const flush = async (waitMs = DISPOSE_WAIT_MS) => {
    try {
      flushPending("*")
    } catch (e) {
      safeLog("error", `flush failed: ${errMessage(e)}`)
    }
    const deadline = deps.now() + waitMs
    while ((draining || queue.length) && deps.now() < deadline) {
      const d: Promise<void> = draining ?? Promise.resolve()
      let t: ReturnType<typeof setTimeout> | undefined
      await Promise.race([d, new Promise<void>((r) => (t = setTimeout(r, Math.max(1, deadline - deps.now()))))])
      if (t) clearTimeout(t)
      if (!draining && queue.length) kick()
    }
  }

  /** Last chance at process exit: everything not yet acknowledged, synchronously. Replays are harmless to sce. */
  const exitFlush = () => {
    try {
      flushPending("*", false)
      const todo = [...(inflight ? [inflight] : []), ...queue.splice(0)]
      const deadline = deps.now() + EXIT_WAIT_MS
      for (const env of todo) {
        const left = deadline - deps.now()
        if (left <= 0) break
        try {
          deps.spawnSync({ ...request(env), timeoutMs: Math.min(opts.timeoutMs, left) })
        } catch {}
      }
    } catch {}
  }
  const unregisterExit = (() => {
    try {
      return deps.onExit(exitFlush)
    } catch {
      return () => {}
    }
  })()

  const dispose = async () => {
    await flush()
    unregisterExit()
  }

  return {
    stats,
    setToolVersion: (version) => {
      toolVersion = version
    },
    enqueueMessage,
    enqueuePart,
    stagePart,
    schedule,
    flushPending,
    flush,
    dispose,
  }
}

// ---- change tracking --------------------------------------------------------

/** The tool part of one tool call, and the message it is in. */
interface ToolPartRef {
  partID: string
  messageID: string
}

/**
 * Which message each tool call belongs to, as OpenCode's events tell it: the event
 * router writes it, change tracking reads it to give patch parts their ids.
 */
interface MessageIndex {
  /** sessionID\0callID → the call's tool part. */
  toolParts: Map<string, ToolPartRef>
  /** sessionID → id of the session's latest assistant message. */
  lastAssistant: Map<string, string>
}

/** A tool call between its before and after: what its files held before. */
interface PendingCall {
  tool: string
  sessionID: string
  callID: string
  /** edit/write/apply_patch: absolute path → state before the call. */
  files?: Map<string, FileState>
  moves?: Array<{ from: string; to: string }>
  /** bash */
  tree?: TreeSnapshot
  finalized?: boolean
}

interface ChangeTracking {
  /** tool.execute.before: keeps what the files the tool may change hold now. */
  beforeTool(tool: string, sessionID: string, callID: string, args: unknown): Promise<void>
  /** True while the call's before-state is kept and its changes are not reported yet. */
  isPending(sessionID: string, callID: string): boolean
  /** The call ended (after hook, or its tool part completed or failed): reports what changed, once. */
  finalize(sessionID: string, callID: string, metadata: unknown): Promise<void>
  /**
   * Stages the changes waiting for their message id that now have one. With `final`
   * (a session id, or "*"), that session's changes fall back to its last assistant
   * message, or are given up.
   */
  resolveUnresolved(final: string | false): void
}

/**
 * What tools did to files, as `patch` parts with the full content before and after.
 * It exists because OpenCode reports tool calls, not file contents: before a call
 * the files it may change are read (edit/write/multiedit: its file; apply_patch:
 * the files its patch text names; bash: the dirty files of the work tree, from `git
 * status`), and after the call they are compared (renames paired, commits made by
 * the command seen through). Each change is attributed to the call's tool part and
 * message (`messages`); changes that come before their message is known wait for it.
 */
function createChangeTracking(args: {
  opts: TraceOptions
  now: () => number
  log: TraceLog
  repo: Repository
  messages: MessageIndex
  delivery: Pick<Delivery, "enqueuePart" | "stagePart" | "schedule">
}): ChangeTracking {
  const { opts, now, repo, messages, delivery } = args
  const { safeLog, warnOnce } = args.log
  const { absFrom, relFrom } = repo
  const pendingCalls = new Map<string, PendingCall>() // sessionID\0callID
  /** Patch parts whose message id is not known yet. */
  let unresolved: Array<{ sessionID: string; callID: string; changes: FileChange[]; tool: string; time: number }> = []

  const changePayloads = (sessionID: string, messageID: string, callID: string, tool: string, changes: FileChange[], time: number): PatchPartPayload[] => {
    const ref = messages.toolParts.get(callKey(sessionID, callID))
    const base = ref?.partID ?? `${sessionID}:${callID}`
    const single = (tool === "edit" || tool === "write" || tool === "multiedit") && changes.length === 1
    return changes.map((c, i) => ({
      session_id: sessionID,
      message_id: messageID,
      part_id: single ? base : `${base}:${i}`,
      part_type: "patch" as const,
      tool,
      file_path: c.file_path,
      ...(c.old_path !== undefined ? { old_path: c.old_path } : {}),
      ...(c.before !== undefined ? { before: c.before } : {}),
      ...(c.after !== undefined ? { after: c.after } : {}),
      status: c.status,
      time_ms: time,
    }))
  }

  const messageFor = (sessionID: string, callID: string, final: boolean): string | undefined =>
    messages.toolParts.get(callKey(sessionID, callID))?.messageID ?? (final ? messages.lastAssistant.get(sessionID) : undefined)

  const emitChanges = (sessionID: string, callID: string, tool: string, changes: FileChange[]) => {
    if (!changes.length) return
    const time = now()
    const messageID = messageFor(sessionID, callID, false)
    if (!messageID) {
      unresolved.push({ sessionID, callID, changes, tool, time })
      if (unresolved.length > 1000) unresolved.shift()
      delivery.schedule()
      return
    }
    for (const p of changePayloads(sessionID, messageID, callID, tool, changes, time)) delivery.enqueuePart(p)
  }

  const resolveUnresolved = (final: string | false) => {
    if (!unresolved.length) return
    const keep: typeof unresolved = []
    for (const u of unresolved) {
      const last = final === "*" || final === u.sessionID
      const messageID = messageFor(u.sessionID, u.callID, last)
      if (messageID) for (const p of changePayloads(u.sessionID, messageID, u.callID, u.tool, u.changes, u.time)) delivery.stagePart(p)
      else if (last) safeLog("warn", `no message known for tool call ${u.callID} of ${u.sessionID}; ${u.changes.length} file change(s) not reported`)
      else keep.push(u)
    }
    unresolved = keep
  }

  const snapshotFiles = async (absPaths: string[]): Promise<Map<string, FileState>> => {
    const files = new Map<string, FileState>()
    for (const abs of absPaths) files.set(abs, await readFileState(abs, opts.maxFileBytes))
    return files
  }

  const gitStatus = async (root: string): Promise<TreeStatus | null> => {
    const r = await git(["status", "--porcelain=v2", "-z", "--branch", "--no-renames", "--untracked-files=all", "--ignore-submodules=all"], root)
    if (r.code !== 0) {
      warnOnce("git-status", `git status failed in ${root}: ${firstLine(r.stderr)}; bash changes are not reported`)
      return null
    }
    return parseStatusV2(r.stdout.toString("utf8"))
  }

  const snapshotTree = async (): Promise<TreeSnapshot | undefined> => {
    const root = await repo.root()
    if (!root) return undefined
    const status = await gitStatus(root)
    if (!status) return undefined
    const dirty = new Map<string, FileState>()
    let budget = MAX_TREE_SNAPSHOT_BYTES
    for (const e of status.entries.slice(0, MAX_TREE_FILES)) {
      const abs = path.join(root, e.path)
      if (budget > 0) {
        const st = await readFileState(abs, opts.maxFileBytes)
        if (st.kind === "text") budget -= Buffer.byteLength(st.text)
        dirty.set(e.path, st)
      } else dirty.set(e.path, { kind: "sig", sig: await statSig(abs) })
    }
    return { root, head: status.head, dirty }
  }

  /** Contents of `<head>:<path>` for several paths (one `git cat-file --batch`). */
  const headBlobs = async (root: string, head: string, paths: string[]): Promise<Map<string, FileState>> => {
    const out = new Map<string, FileState>()
    const asked = paths.filter((p) => !p.includes("\n"))
    if (!asked.length) return out
    const r = await git(["cat-file", "--batch"], root, asked.map((p) => `${head}:${p}\n`).join(""))
    if (r.code !== 0) return out
    const buf = r.stdout
    let pos = 0
    for (const p of asked) {
      const nl = buf.indexOf(10, pos)
      if (nl < 0) break
      const header = buf.subarray(pos, nl).toString()
      pos = nl + 1
      const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header)
      if (!m) {
        out.set(p, { kind: "missing" })
        continue
      }
      const size = Number(m[2])
      const body = buf.subarray(pos, pos + size)
      pos += size + 1
      if (m[1] !== "blob") out.set(p, { kind: "skip", reason: m[1] })
      else if (size > opts.maxFileBytes) out.set(p, { kind: "skip", reason: "too big" })
      else {
        const text = decodeText(body)
        out.set(p, text === null ? { kind: "skip", reason: "binary" } : { kind: "text", text })
      }
    }
    return out
  }

  /** True when `to` is `from` plus a few commits (the command committed), not a checkout or a pull. */
  const committedOnTop = async (root: string, from: string, to: string): Promise<boolean> => {
    const r = await git(["rev-list", "--count", "--ancestry-path", `${from}..${to}`], root)
    const n = Number(r.stdout.toString().trim())
    if (r.code !== 0 || !(n >= 1 && n <= 5)) return false
    return (await git(["merge-base", "--is-ancestor", from, to], root)).code === 0
  }

  const treeChanges = async (snap: TreeSnapshot): Promise<FileChange[]> => {
    const status = await gitStatus(snap.root)
    if (!status) return []
    const candidates = new Set<string>(snap.dirty.keys())
    for (const e of status.entries) {
      if (candidates.size >= MAX_TREE_FILES) break
      candidates.add(e.path)
    }
    if (snap.head && status.head && status.head !== snap.head && (await committedOnTop(snap.root, snap.head, status.head))) {
      // The command committed: the files it changed may be clean again.
      const r = await git(["diff", "--name-only", "-z", "--no-renames", snap.head, status.head, "--"], snap.root)
      if (r.code === 0)
        for (const p of r.stdout.toString("utf8").split("\0")) {
          if (candidates.size >= MAX_TREE_FILES) break
          if (p) candidates.add(p)
        }
    }
    // Paths clean before the call: their content then was HEAD's (or nothing).
    const cleanBefore = [...candidates].filter((p) => !snap.dirty.has(p))
    const fromHead = snap.head ? await headBlobs(snap.root, snap.head, cleanBefore) : new Map<string, FileState>()
    const changes: FileChange[] = []
    for (const p of [...candidates].sort()) {
      const abs = path.join(snap.root, p)
      const before: FileState = snap.dirty.get(p) ?? fromHead.get(p) ?? { kind: "missing" }
      if (before.kind === "sig" && (await statSig(abs)) === before.sig) continue
      const after = await readFileState(abs, opts.maxFileBytes)
      const c = diffStates(p, before, after)
      if (c) changes.push(c)
    }
    return pairRenames(changes)
  }

  const fileChanges = async (root: string, call: PendingCall, metadata: unknown): Promise<FileChange[]> => {
    const files = call.files ?? new Map<string, FileState>()
    const handled = new Set<string>()
    const changes: FileChange[] = []
    const moves = [...(call.moves ?? [])].map((m) => ({ from: absFrom(m.from), to: absFrom(m.to) }))
    // apply_patch metadata names the files too (and moves as type "move" with movePath).
    if (isObj(metadata) && Array.isArray(metadata.files)) {
      for (const f of metadata.files) {
        if (!isObj(f)) continue
        const fp = str(f.filePath)
        const mp = str(f.movePath)
        if (fp && mp && !moves.some((m) => m.from === absFrom(fp))) moves.push({ from: absFrom(fp), to: absFrom(mp) })
        // A file the patch text did not name: its content before is unknown unless it is new.
        const unknown: FileState = f.type === "add" ? { kind: "missing" } : { kind: "sig", sig: "" }
        for (const p of [fp, mp]) if (p && !files.has(absFrom(p))) files.set(absFrom(p), unknown)
      }
    }
    for (const m of moves) {
      const fromRel = relFrom(root, m.from)
      const toRel = relFrom(root, m.to)
      const before = files.get(m.from) ?? { kind: "missing" as const }
      const after = await readFileState(m.to, opts.maxFileBytes)
      handled.add(m.from)
      handled.add(m.to)
      if (!toRel) continue
      if (!fromRel) {
        const c = diffStates(toRel, { kind: "missing" }, after)
        if (c) changes.push(c)
        continue
      }
      if (before.kind !== "text" || after.kind !== "text") continue
      const fromAfter = await readFileState(m.from, opts.maxFileBytes)
      if (fromAfter.kind !== "missing") {
        // Not actually moved: report both files as they are.
        handled.delete(m.from)
        handled.delete(m.to)
        continue
      }
      changes.push({ file_path: toRel, old_path: fromRel, status: "renamed", before: before.text, after: after.text })
    }
    for (const [abs, before] of files) {
      if (handled.has(abs)) continue
      const rel = relFrom(root, abs)
      if (!rel) continue
      const after = await readFileState(abs, opts.maxFileBytes)
      const c = diffStates(rel, before, after)
      if (c) changes.push(c)
    }
    return changes
  }

  const finalize = async (sessionID: string, callID: string, metadata: unknown) => {
    const key = callKey(sessionID, callID)
    const call = pendingCalls.get(key)
    if (!call || call.finalized) return
    call.finalized = true
    pendingCalls.delete(key)
    const root = await repo.root()
    if (!root) return
    const changes = call.tree ? await treeChanges(call.tree) : await fileChanges(root, call, metadata)
    emitChanges(sessionID, callID, call.tool, changes)
  }

  const beforeTool = async (tool: string, sessionID: string, callID: string, args: unknown) => {
    const a = isObj(args) ? args : {}
    const call: PendingCall = { tool, sessionID, callID }
    if (tool === "bash") {
      call.tree = await snapshotTree()
      if (!call.tree) return
    } else if (tool === "apply_patch" || tool === "patch") {
      const text = str(a.patchText) ?? str(a.patch) ?? str(a.input)
      if (!text) return
      const parsed = parsePatchTextFiles(text)
      call.moves = parsed.moves
      call.files = await snapshotFiles(parsed.paths.map(absFrom))
    } else {
      const fp = str(a.filePath) ?? str(a.file_path) ?? str(a.path)
      if (!fp || !(tool === "edit" || tool === "write" || tool === "multiedit")) return
      call.files = await snapshotFiles([absFrom(fp)])
    }
    remember(pendingCalls, callKey(sessionID, callID), call, MAX_PENDING_CALLS)
  }

  return {
    beforeTool,
    isPending: (sessionID, callID) => pendingCalls.has(callKey(sessionID, callID)),
    finalize,
    resolveUnresolved,
  }
}

// ---- event routing ----------------------------------------------------------

/** A text or reasoning part as streamed so far, and the text last queued for it. */
interface TextState {
  payload: TextPartPayload
  ended: boolean
  sent?: string
}

interface EventRouter {
  /** What the plugin gives OpenCode. */
  hooks: Hooks
  /** Stages the text parts of session `final` ("*": all) that stopped streaming before they ended. */
  stageCutOffTexts(final: string): void
}

/**
 * OpenCode's side of the plugin: the one place that knows the shape of its events
 * and hooks. It exists to turn them into work for the other parts —
 * `message.updated` into message payloads; text and reasoning parts (built up from
 * `message.part.delta`) into text parts once complete; tool parts into the message
 * index and, when a tool failed (no after hook), into a finalize; tool hooks into
 * change tracking; the session's version into envelopes; idle, disposed and dispose
 * into flushes. Every hook is guarded: nothing throws into OpenCode.
 */
function createEventRouter(args: {
  now: () => number
  log: TraceLog
  messages: MessageIndex
  delivery: Pick<Delivery, "enqueueMessage" | "enqueuePart" | "stagePart" | "setToolVersion" | "flushPending" | "dispose">
  changes: ChangeTracking
}): EventRouter {
  const { now, messages, delivery, changes } = args
  const { safeLog } = args.log
  let toolVersionFromCreated = false
  const texts = new Map<string, TextState>() // part id → latest state

  /** Text cut off mid-stream (never ended) cannot wait any longer once its session is idle or the plugin goes. */
  const stageCutOffTexts = (final: string) => {
    for (const t of texts.values()) {
      if (final !== "*" && t.payload.session_id !== final) continue
      if (!t.ended && t.payload.text && t.sent !== t.payload.text) {
        t.sent = t.payload.text
        delivery.stagePart({ ...t.payload })
      }
    }
  }

  const onMessageUpdated = (props: Obj) => {
    const info = isObj(props.info) ? props.info : undefined
    if (!info) return
    const sessionID = str(info.sessionID) ?? str(props.sessionID)
    const messageID = str(info.id)
    const role = info.role
    const time = isObj(info.time) ? info.time : {}
    const created = ms(time.created)
    if (!sessionID || !messageID || (role !== "user" && role !== "assistant") || created === undefined) return
    const p: MessagePayload = { session_id: sessionID, message_id: messageID, role, time_created_ms: created }
    if (role === "assistant") {
      const provider = str(info.providerID)
      const model = str(info.modelID)
      if (provider && model) p.model_id = `${provider}/${model}`.slice(0, 250)
      remember(messages.lastAssistant, sessionID, messageID, 1000)
    }
    const completed = ms(time.completed)
    if (completed !== undefined) p.time_completed_ms = completed
    const parent = str(info.parentID)
    if (parent) p.parent_id = parent
    delivery.enqueueMessage(p)
  }

  const onPartUpdated = (props: Obj, eventTime: number | undefined) => {
    const part = isObj(props.part) ? props.part : undefined
    if (!part) return
    const sessionID = str(part.sessionID) ?? str(props.sessionID)
    const messageID = str(part.messageID)
    const partID = str(part.id)
    if (!sessionID || !messageID || !partID) return
    const type = part.type
    if (type === "tool") {
      const callID = str(part.callID)
      if (!callID) return
      remember(messages.toolParts, callKey(sessionID, callID), { partID, messageID }, 5000)
      const state = isObj(part.state) ? part.state : {}
      if (state.status === "error" || state.status === "completed") {
        // tool.execute.after does not run for a failed tool: look at the files anyway
        // (a no-op when the after hook already handled the call).
        if (changes.isPending(sessionID, callID))
          changes.finalize(sessionID, callID, state.metadata).catch((e) => safeLog("error", `finalize: ${errMessage(e)}`))
      }
      changes.resolveUnresolved(false)
      return
    }
    if (type !== "text" && type !== "reasoning") return
    // OpenCode's own text (file attachments, tool notes): neither the person's nor the model's words.
    if (part.synthetic === true || part.ignored === true) return
    const text = typeof part.text === "string" ? part.text : ""
    const time = isObj(part.time) ? part.time : undefined
    const end = time ? ms(time.end) : undefined
    const timeMs = end ?? (time ? ms(time.start) : undefined) ?? eventTime ?? now()
    const payload: TextPartPayload = { session_id: sessionID, message_id: messageID, part_id: partID, part_type: type, text, time_ms: timeMs }
    // Complete when it has ended, or carries no time at all (user and synthetic parts are sent whole).
    const ended = end !== undefined || time === undefined
    const prev = texts.get(partID)
    const state: TextState = { payload, ended, sent: prev?.sent }
    remember(texts, partID, state, 2000)
    if (ended && text && state.sent !== text) {
      state.sent = text
      delivery.enqueuePart({ ...payload })
    }
  }

  const onPartDelta = (props: Obj) => {
    const partID = str(props.partID)
    const delta = props.delta
    if (!partID || typeof delta !== "string" || (props.field !== undefined && props.field !== "text")) return
    const t = texts.get(partID)
    if (t && !t.ended) t.payload.text += delta
  }

  const onEvent = (event: unknown) => {
    if (!isObj(event)) return
    const type = event.type
    const props = isObj(event.properties) ? event.properties : {}
    switch (type) {
      case "message.updated":
        return onMessageUpdated(props)
      case "message.part.updated":
        return onPartUpdated(props, ms(props.time))
      case "message.part.delta":
        return onPartDelta(props)
      case "session.created":
      case "session.updated": {
        const info = isObj(props.info) ? props.info : {}
        const v = str(info.version)
        // The running version: a session created now says it best.
        if (v && (type === "session.created" || !toolVersionFromCreated)) {
          delivery.setToolVersion(v)
          toolVersionFromCreated ||= type === "session.created"
        }
        return
      }
      case "session.idle":
        return delivery.flushPending(str(props.sessionID) ?? "*")
      case "session.status": {
        if (isObj(props.status) && props.status.type === "idle") delivery.flushPending(str(props.sessionID) ?? "*")
        return
      }
      case "server.instance.disposed":
        return delivery.flushPending("*")
    }
  }

  const guard = <A extends unknown[]>(name: string, fn: (...a: A) => unknown) =>
    async (...a: A): Promise<void> => {
      try {
        await fn(...a)
      } catch (e) {
        safeLog("error", `${name}: ${errMessage(e)}`)
      }
    }

  type ToolInput = { tool?: unknown; sessionID?: unknown; callID?: unknown } | undefined
  const hooks: Hooks = {
    event: guard("event", (arg: { event?: unknown } | undefined) => onEvent(arg?.event)),
    "tool.execute.before": guard("tool.execute.before", (inp: ToolInput, out: { args?: unknown } | undefined) => {
      const tool = str(inp?.tool)
      const sessionID = str(inp?.sessionID)
      const callID = str(inp?.callID)
      return tool && sessionID && callID ? changes.beforeTool(tool, sessionID, callID, out?.args) : undefined
    }),
    "tool.execute.after": guard("tool.execute.after", (inp: ToolInput, out: { metadata?: unknown } | undefined) => {
      const sessionID = str(inp?.sessionID)
      const callID = str(inp?.callID)
      return sessionID && callID ? changes.finalize(sessionID, callID, out?.metadata) : undefined
    }),
    dispose: guard("dispose", () => delivery.dispose()),
  }
  return { hooks, stageCutOffTexts }
}

/**
 * The plugin for one OpenCode instance: the parts above, wired together. The only
 * state they share is passed explicitly — the log, the repository, and the message
 * index the event router fills and change tracking reads.
 */
function createTracer(input: Pick<PluginInput, "directory"> & Partial<PluginInput>, rawOptions: PluginOptions | undefined, partialDeps: Partial<Deps> = {}): Tracer {
  const deps: Deps = { ...defaultDeps, ...partialDeps }
  const opts = optionsFrom(rawOptions, deps.env)
  const directory = path.resolve(input.directory || process.cwd())
  const log = createLog(input, deps.log)
  const repo = createRepository(directory, deps.now, log.warnOnce)
  const messages: MessageIndex = { toolParts: new Map(), lastAssistant: new Map() }
  // Every batch first takes the changes whose message is now known; a final one
  // (session idle, dispose, exit) also takes text cut off mid-stream. (`changes`
  // and `router` are built next: no batch is taken before createTracer returns.)
  const delivery = createDelivery({ directory, opts, deps, log, repo, beforeBatch: (final) => {
    changes.resolveUnresolved(final)
    if (final) router.stageCutOffTexts(final)
  } })
  const changes = createChangeTracking({ opts, now: deps.now, log, repo, messages, delivery })
  const router = createEventRouter({ now: deps.now, log, messages, delivery, changes })
  return { hooks: router.hooks, flush: delivery.flush, stats: delivery.stats }
}

const plugin: Plugin = async (input, options) => {
  try {
    return createTracer(input, options).hooks
  } catch (e) {
    console.error(`[${SERVICE}] disabled: ${errMessage(e)}`)
    return {}
  }
}

/**
 * The OpenCode plugin — the module's only runtime export, because OpenCode calls
 * every exported function of a plugin module as a plugin. `withDeps` builds a
 * tracer with replaced dependencies and `internals` exposes the pure helpers (tests).
 */
export const SceAgentTrace = Object.assign(plugin, {
  withDeps: createTracer,
  internals: { decodeText, parsePatchTextFiles, parseStatusV2, diffStates, pairRenames },
})
