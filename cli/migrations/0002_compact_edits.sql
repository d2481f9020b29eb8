-- Edit texts, stored once: content-addressed (BLAKE3 of the text), zstd-compressed;
-- an edit's after is compressed against its before (`base_id`, chains at most 16 deep),
-- so an edit of a file costs about what it changed.
CREATE TABLE IF NOT EXISTS texts (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL,
    size INTEGER NOT NULL,
    base_id INTEGER,
    depth INTEGER NOT NULL DEFAULT 0,
    data BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS texts_by_hash ON texts (hash);
CREATE INDEX IF NOT EXISTS texts_by_base ON texts (base_id);

-- The texts of one edit (a patch part, by its seq) that attribution may still read:
-- before+after, after, or the patch when no after was reported. `sce gc` removes a
-- row once its edit is folded into a view and past `retention.edit_texts_days`.
CREATE TABLE IF NOT EXISTS edit_texts (
    seq INTEGER PRIMARY KEY,
    before_id INTEGER,
    after_id INTEGER,
    patch_id INTEGER
);
CREATE INDEX IF NOT EXISTS edit_texts_before ON edit_texts (before_id);
CREATE INDEX IF NOT EXISTS edit_texts_after ON edit_texts (after_id);
CREATE INDEX IF NOT EXISTS edit_texts_patch ON edit_texts (patch_id);

-- Paths that may have edits newer than their view (a superset, checked when read):
-- post-commit looks here instead of scanning every stored edit.
CREATE TABLE IF NOT EXISTS unfolded_paths (
    worktree TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (worktree, path)
);

-- Counters that must never go back: `part_seq` is the last seq given to a part.
-- Part seqs order edits and `seq <= last_seq` means "folded into the view", so a
-- seq is never reused, even after retention removed the newest parts.
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO counters (name, value)
    SELECT 'part_seq', MAX(COALESCE((SELECT MAX(seq) FROM parts), 0), COALESCE((SELECT MAX(last_seq) FROM file_states), 0));
