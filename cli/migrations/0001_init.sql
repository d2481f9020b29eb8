-- Messages of agent sessions; upserted on (session_id, message_id).
CREATE TABLE IF NOT EXISTS messages (
    session_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    role TEXT NOT NULL,
    model_id TEXT,
    parent_id TEXT,
    time_created_ms INTEGER NOT NULL,
    time_completed_ms INTEGER,
    tool_name TEXT,
    tool_version TEXT,
    PRIMARY KEY (session_id, message_id)
);

-- Parts of messages; upserted on (session_id, part_id), latest time wins.
-- seq orders edits as they arrived; it never changes for a part.
CREATE TABLE IF NOT EXISTS parts (
    seq INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    part_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    part_type TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    worktree TEXT NOT NULL,
    text TEXT,
    file_path TEXT,
    old_path TEXT,
    edit_tool TEXT,
    status TEXT,
    patch TEXT,
    before_text TEXT,
    after_text TEXT,
    tool_name TEXT,
    tool_version TEXT,
    raw TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS parts_identity ON parts (session_id, part_id);
CREATE INDEX IF NOT EXISTS parts_by_file ON parts (worktree, file_path, seq);

-- The agents' view of each file (content and per-line owner), advanced at commits.
CREATE TABLE IF NOT EXISTS file_states (
    worktree TEXT NOT NULL,
    path TEXT NOT NULL,
    state TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (worktree, path)
);

-- One Agent Trace record per commit.
CREATE TABLE IF NOT EXISTS records (
    commit_sha TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);

-- Commits whose record could not be produced yet; `sce trace backfill` clears them.
CREATE TABLE IF NOT EXISTS pending_commits (
    commit_sha TEXT PRIMARY KEY,
    worktree TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
