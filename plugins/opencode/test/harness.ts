// Test harness: temp git repositories, recorded OpenCode sessions, a fake sce.
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { SceAgentTrace, type Deps, type Envelope, type SpawnRequest, type SpawnResult, type Tracer } from "../sce-agent-trace.js"

/** plugins/opencode/ (this file runs from plugins/opencode/dist/test/). */
export const PLUGIN_DIR = fileURLToPath(new URL("../../", import.meta.url))
export const FIXTURES = join(PLUGIN_DIR, "test", "fixtures")

export const README = "line one\nline two\nline three\n"

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
}

/** A fresh repository with README.md committed, as the recordings started from. */
export function makeRepo(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "sce-oc-test-")))
  const proj = join(dir, "proj")
  mkdirSync(proj)
  git(proj, "init", "-q", "-b", "main")
  git(proj, "config", "user.name", "Tester")
  git(proj, "config", "user.email", "tester@example.com")
  git(proj, "config", "commit.gpgsign", "false")
  writeFileSync(join(proj, "README.md"), README)
  git(proj, "add", "README.md")
  git(proj, "commit", "-qm", "init")
  return proj
}

export function removeRepo(proj: string): void {
  rmSync(dirname(proj), { recursive: true, force: true })
}

/** One recorded plugin input: an event, or a hook call with the project's files at that moment. */
export interface Recorded {
  kind: "init" | "event" | "chat.message" | "tool.execute.before" | "tool.execute.after"
  t: number
  data: any
}

/** A recording from test/fixtures with `{PROJ}` replaced by `proj`. */
export function loadFixture(name: string, proj: string): Recorded[] {
  const raw = readFileSync(join(FIXTURES, name), "utf8")
  const escaped = JSON.stringify(proj).slice(1, -1)
  return JSON.parse(raw.split("{PROJ}").join(escaped)) as Recorded[]
}

function listFiles(root: string, dir = root, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === ".git") continue
    const p = join(dir, entry.name)
    if (entry.isDirectory()) listFiles(root, p, out)
    else out.push(relative(root, p))
  }
  return out
}

/** Makes the work tree hold exactly `files` (what the recorder saw on disk). */
export function setWorktree(proj: string, files: Record<string, string>): void {
  for (const rel of listFiles(proj)) if (!(rel in files)) rmSync(join(proj, rel))
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(proj, rel)), { recursive: true })
    let current: string | undefined
    try {
      current = readFileSync(join(proj, rel), "utf8")
    } catch {}
    if (current !== content) writeFileSync(join(proj, rel), content)
  }
}

/**
 * Replays a recording into the plugin's hooks, in order; before each tool hook the
 * work tree is put in the recorded state. The index is replayed too: recorded
 * sessions may stage files (`git mv`), which the file snapshots alone do not show.
 */
export async function replay(tracer: Tracer, recs: Recorded[], proj: string, onStep?: (r: Recorded) => void): Promise<void> {
  const h = tracer.hooks
  for (const r of recs) {
    onStep?.(r)
    switch (r.kind) {
      case "event":
        await h.event!({ event: r.data })
        break
      case "tool.execute.before":
        setWorktree(proj, r.data.files)
        await h["tool.execute.before"]!(r.data.input, r.data.output)
        break
      case "tool.execute.after":
        setWorktree(proj, r.data.files)
        if (r.data.input.tool === "bash") stageLikeRecording(proj, r.data.input.args?.command ?? "")
        await h["tool.execute.after"]!(r.data.input, r.data.output)
        break
    }
  }
}

/** The recorded bash commands that touch the index (only `git mv` in the fixtures). */
function stageLikeRecording(proj: string, command: string): void {
  const m = /git mv (\S+) (\S+)/.exec(command)
  if (m) {
    try {
      git(proj, "rm", "-q", "--cached", m[1])
      git(proj, "add", m[2])
    } catch {}
  }
}

export interface FakeSce {
  spawn: Deps["spawn"]
  spawnSync: Deps["spawnSync"]
  requests: SpawnRequest[]
  syncRequests: SpawnRequest[]
  envelopes: () => Envelope[]
  maxConcurrent: number
}

/** A stand-in for `sce hooks conversation-trace`: records requests, answers like sce. */
export function fakeSce(opts: { delayMs?: number; result?: (req: SpawnRequest, n: number) => Partial<SpawnResult> } = {}): FakeSce {
  let running = 0
  const fake: FakeSce = {
    requests: [],
    syncRequests: [],
    maxConcurrent: 0,
    envelopes: () => fake.requests.map((r) => JSON.parse(r.input) as Envelope),
    spawn: async (req) => {
      running++
      fake.maxConcurrent = Math.max(fake.maxConcurrent, running)
      const n = fake.requests.push(req)
      try {
        if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs))
        const env = JSON.parse(req.input) as Envelope
        const ok = { attempted: env.payloads.length, persisted: env.payloads.length, skipped: 0, spooled: 0, diagnostics: [] }
        return { code: 0, signal: null, stdout: JSON.stringify(ok) + "\n", stderr: "", timedOut: false, ...opts.result?.(req, n) }
      } finally {
        running--
      }
    },
    spawnSync: (req) => {
      fake.syncRequests.push(req)
      return { code: 0, signal: null, stdout: "", stderr: "", timedOut: false }
    },
  }
  return fake
}

export interface Logged {
  level: string
  message: string
}

/**
 * A tracer on `proj` with a fake sce (unless `deps.spawn` is given, or `realSpawn`
 * keeps the plugin's own spawner, which runs `options.bin`) and captured logs.
 */
export function tracerFor(proj: string, options: Record<string, unknown> = {}, deps: Partial<Deps> = {}, realSpawn = false) {
  const sce = fakeSce()
  const logs: Logged[] = []
  const exitHandlers: Array<() => void> = []
  const tracer = SceAgentTrace.withDeps({ directory: proj }, { windowMs: 5, ...options }, {
    ...(realSpawn ? {} : { spawn: sce.spawn, spawnSync: sce.spawnSync }),
    log: (level, message) => logs.push({ level, message }),
    onExit: (fn) => {
      exitHandlers.push(fn)
      return () => exitHandlers.splice(exitHandlers.indexOf(fn), 1)
    },
    env: {},
    ...deps,
  })
  return { tracer, sce, logs, exitHandlers }
}

/** All payloads of one envelope type, in send order. */
export function payloads<T = any>(envs: Envelope[], type: Envelope["type"]): T[] {
  return envs.filter((e) => e.type === type).flatMap((e) => e.payloads as unknown as T[])
}

export function patches(envs: Envelope[]): any[] {
  return payloads(envs, "message.part.updated").filter((p) => p.part_type === "patch")
}

/** The session id of a recording. */
export function sessionOf(recs: Recorded[]): string {
  const e = recs.find((r) => r.kind === "event" && r.data.type === "session.created")
  return e!.data.properties.info.id
}

/** Polls `cond` until it holds (or fails after `ms`). */
export async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting")
    await new Promise((r) => setTimeout(r, 5))
  }
}
