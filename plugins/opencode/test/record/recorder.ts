// A recording OpenCode plugin (used by record.sh, not by the tests): writes every
// event and hook input, raw, as JSON lines to $RECORD_FILE, plus the project's
// files at tool.execute.before/after so a replay can reproduce the disk.
import { appendFileSync, readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"
const out = process.env.RECORD_FILE ?? "record.jsonl"
const t0 = Date.now()
function rec(kind: string, data: unknown) {
  try { appendFileSync(out, JSON.stringify({ kind, t: Date.now() - t0, data }) + "\n") } catch (e) { console.error(e) }
}
function files(root: string): Record<string, string> {
  const res: Record<string, string> = {}
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      if (n === ".git") continue
      const p = join(d, n)
      const st = statSync(p)
      if (st.isDirectory()) walk(p)
      else res[relative(root, p)] = readFileSync(p, "utf8")
    }
  }
  walk(root)
  return res
}
export const Recorder = async (input: any) => {
  const dir = input.directory
  rec("init", { directory: input.directory, worktree: input.worktree, project: input.project })
  return {
    event: async ({ event }: any) => rec("event", event),
    "chat.message": async (i: any, o: any) => rec("chat.message", { input: i, output: o }),
    "tool.execute.before": async (i: any, o: any) => rec("tool.execute.before", { input: i, output: o, files: files(dir) }),
    "tool.execute.after": async (i: any, o: any) => rec("tool.execute.after", { input: i, output: o, files: files(dir) }),
  }
}
