-- What sce knows about an agent session beyond its messages: the git context it
-- started in (resolved once, when sce first hears of the session, or read from an
-- imported transcript), whether a person excluded it from exports, and where an
-- import found it. Keyed like messages and parts: the agent's own session id.
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    tool_name TEXT,
    -- The repository's remote URL with any credentials stripped.
    remote_url TEXT,
    branch TEXT,
    head_sha TEXT,
    -- When the git context was resolved (ms since the epoch); NULL: not yet.
    context_ms INTEGER,
    excluded INTEGER NOT NULL DEFAULT 0,
    -- The transcript file an import last read this session from.
    imported_from TEXT
);

-- For `sce why`: which stored edit (a part's seq) last wrote each agent line of a
-- commit, per file. Kept beside the record, never in it (records travel; seqs are local).
CREATE TABLE IF NOT EXISTS line_edits (
    commit_sha TEXT NOT NULL,
    path TEXT NOT NULL,
    -- JSON [[first_line, last_line, seq], …], 1-based, ascending, non-overlapping.
    runs TEXT NOT NULL,
    PRIMARY KEY (commit_sha, path)
);
