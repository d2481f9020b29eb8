#!/bin/sh
# Records a real OpenCode session into test/fixtures/NAME.json.
#
#   OPENCODE_BIN=/path/to/opencode test/record/record.sh NAME SCRIPT_JSON [MODEL_ID]
#
# Needs the offline kit (run-session.sh + fake_llm.py) in $OPENCODE_OFFLINE
# (default /work/shared/opencode-offline). The session runs in a fresh git
# repository holding a committed README.md ("line one\nline two\nline three\n"),
# the state the tests' harness recreates, with both the recorder and this
# plugin loaded (SCE_BIN, default `sce`). The project path becomes {PROJ}.
set -eu
name=$1; script=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
here=$(cd "$(dirname "$0")" && pwd)
kit=${OPENCODE_OFFLINE:-/work/shared/opencode-offline}
tmp=$(mktemp -d); proj=$tmp/proj
mkdir "$proj"; cd "$proj"
git init -q -b main .
git config user.name Tester; git config user.email tester@example.com
printf 'line one\nline two\nline three\n' > README.md
git add README.md; git commit -qm init
[ $# -ge 3 ] && export MODEL_ID=$3
RECORD_FILE=$tmp/record.jsonl WORK=$tmp/work "$kit/run-session.sh" "$proj" "$script" "$here/recorder.ts" "$here/../../sce-agent-trace.ts"
node -e '
const fs = require("fs")
const [src, proj, out] = process.argv.slice(1)
const recs = fs.readFileSync(src, "utf8").trim().split("\n").map((l) => JSON.parse(l))
const text = "[\n" + recs.map((r) => JSON.stringify(r).split(proj).join("{PROJ}")).join(",\n") + "\n]\n"
fs.writeFileSync(out, text)
console.log(`${out}: ${recs.length} records`)
' "$tmp/record.jsonl" "$proj" "$here/../fixtures/$name.json"
rm -rf "$tmp"
