//! Removing what attribution will never read again: the texts of edits already
//! folded into a view (and so into a committed record), past retention; and, when a
//! conversation retention is set, old messages and parts. Never an edit a view does
//! not cover yet, never a view, never a record.

use turso::{Connection, Value};

use super::{Store, StoreError, block, texts};

/// Rows read per query while scanning.
const PAGE: i64 = 500;

/// What one gc pass may remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcPlan {
    /// Folded edits made before this time (ms since the epoch) lose their texts.
    pub edit_texts_before_ms: i64,
    /// Messages and parts made before this time go (except edits a view does not
    /// cover, and the messages of sessions that still have parts); `None` keeps conversations.
    pub conversations_before_ms: Option<i64>,
    /// At most this many edits and as many parts and messages in one pass, reading at
    /// most four times as many rows; `None` removes everything due.
    pub max_items: Option<usize>,
    /// Do the work in a transaction that is rolled back: report, change nothing.
    pub dry_run: bool,
}

/// What a gc pass removed (or, in a dry run, would remove).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct GcReport {
    /// Edits whose texts were dropped (the edit's metadata stays with its conversation).
    pub edits_stripped: u64,
    /// Distinct texts no edit refers to any more.
    pub texts_removed: u64,
    /// Their compressed size.
    pub text_bytes_removed: u64,
    /// Parts removed by conversation retention.
    pub parts_removed: u64,
    /// Messages removed by conversation retention.
    pub messages_removed: u64,
    /// Entries of the unfolded-paths list that no longer had unfolded edits.
    pub unfolded_paths_cleared: u64,
    /// True when a bounded pass stopped with work left for a later one.
    pub more_left: bool,
}

impl Store {
    /// Runs one gc pass under `plan` in one transaction.
    pub fn gc(&self, plan: &GcPlan) -> Result<GcReport, StoreError> {
        self.transaction_ending(!plan.dry_run, |conn| {
            let mut report = GcReport::default();
            strip_folded_edits(conn, plan, &mut report)?;
            if let Some(before_ms) = plan.conversations_before_ms {
                remove_old_parts(conn, plan, before_ms, &mut report)?;
                remove_old_messages(conn, plan, before_ms, &mut report)?;
            }
            if plan.max_items.is_none() {
                report.unfolded_paths_cleared = clear_unfolded_paths(conn)?;
            }
            Ok(report)
        })
    }
}

impl Store {
    /// Edits no view covers yet (so a commit will still read them) whose texts are
    /// gone: always 0 unless gc has a bug. Deletions carry no text and are not counted.
    pub fn unfolded_edits_missing_texts(&self) -> Result<i64, StoreError> {
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query(
                "SELECT COUNT(*) FROM parts p \
                 LEFT JOIN file_states s ON s.worktree = p.worktree AND s.path = p.file_path \
                 LEFT JOIN edit_texts e ON e.seq = p.seq \
                 WHERE p.part_type = 'patch' AND p.seq > COALESCE(s.last_seq, 0) \
                 AND COALESCE(p.status, '') != 'deleted' AND (e.seq IS NULL \
                 OR (e.before_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM texts t WHERE t.id = e.before_id)) \
                 OR (e.after_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM texts t WHERE t.id = e.after_id)) \
                 OR (e.patch_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM texts t WHERE t.id = e.patch_id)))",
                (),
            ))?;
            match block(rows.next())? {
                Some(row) => row.get::<i64>(0),
                None => Ok(0),
            }
        })
    }
}

fn ids_of(row: &turso::Row, from: usize) -> Result<Vec<i64>, turso::Error> {
    let mut ids = Vec::new();
    for i in from..from + 3 {
        if let Value::Integer(id) = row.get_value(i)? {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Drops the texts of folded edits older than the cutoff, oldest first. A bounded
/// pass stops at the first edit too young (edits arrive roughly in time order).
fn strip_folded_edits(conn: &Connection, plan: &GcPlan, report: &mut GcReport) -> Result<(), turso::Error> {
    let limit = plan.max_items.map(|n| n as u64);
    let mut scan_left = plan.max_items.map(|n| n as u64 * 4);
    let mut cursor = 0i64;
    let mut stripped_ids = Vec::new();
    let mut select = block(conn.prepare_cached(
        "SELECT e.seq, p.time_ms, p.seq <= COALESCE(s.last_seq, -1), e.before_id, e.after_id, e.patch_id \
         FROM edit_texts e JOIN parts p ON p.seq = e.seq \
         LEFT JOIN file_states s ON s.worktree = p.worktree AND s.path = p.file_path \
         WHERE e.seq > ?1 ORDER BY e.seq LIMIT ?2",
    ))?;
    let mut delete = block(conn.prepare_cached("DELETE FROM edit_texts WHERE seq = ?1"))?;
    'scan: loop {
        let mut page = Vec::new();
        let mut rows = block(select.query((cursor, PAGE)))?;
        while let Some(row) = block(rows.next())? {
            page.push((row.get::<i64>(0)?, row.get::<i64>(1)?, row.get::<i64>(2)? != 0, ids_of(&row, 3)?));
        }
        drop(rows);
        if page.is_empty() {
            break;
        }
        for (seq, time_ms, folded, ids) in page {
            cursor = seq;
            if limit.is_some_and(|l| report.edits_stripped >= l) || scan_left == Some(0) {
                report.more_left = true;
                break 'scan;
            }
            scan_left = scan_left.map(|n| n - 1);
            if time_ms >= plan.edit_texts_before_ms {
                if plan.max_items.is_some() {
                    break 'scan;
                }
                continue;
            }
            if folded {
                block(delete.execute([seq]))?;
                stripped_ids.extend(ids);
                report.edits_stripped += 1;
            }
        }
    }
    let (removed, bytes) = texts::remove_unreferenced(conn, &stripped_ids)?;
    report.texts_removed += removed;
    report.text_bytes_removed += bytes;
    Ok(())
}

/// Removes parts older than the cutoff, except edits their view does not cover yet.
fn remove_old_parts(
    conn: &Connection,
    plan: &GcPlan,
    before_ms: i64,
    report: &mut GcReport,
) -> Result<(), turso::Error> {
    let limit = plan.max_items.map_or(i64::MAX, |n| n as i64);
    let mut rows = block(conn.query(
        "SELECT p.seq, e.before_id, e.after_id, e.patch_id FROM parts p \
         LEFT JOIN file_states s ON s.worktree = p.worktree AND s.path = p.file_path \
         LEFT JOIN edit_texts e ON e.seq = p.seq \
         WHERE p.time_ms < ?1 AND (p.part_type != 'patch' OR p.seq <= COALESCE(s.last_seq, -1)) \
         ORDER BY p.seq LIMIT ?2",
        (before_ms, limit.saturating_add(1)),
    ))?;
    let mut due = Vec::new();
    while let Some(row) = block(rows.next())? {
        due.push((row.get::<i64>(0)?, ids_of(&row, 1)?));
    }
    drop(rows);
    if due.len() as i64 > limit {
        due.truncate(limit as usize);
        report.more_left = true;
    }
    let mut delete_texts = block(conn.prepare_cached("DELETE FROM edit_texts WHERE seq = ?1"))?;
    let mut delete_part = block(conn.prepare_cached("DELETE FROM parts WHERE seq = ?1"))?;
    let mut ids = Vec::new();
    for (seq, texts) in due {
        block(delete_texts.execute([seq]))?;
        report.parts_removed += block(delete_part.execute([seq]))?;
        ids.extend(texts);
    }
    let (removed, bytes) = texts::remove_unreferenced(conn, &ids)?;
    report.texts_removed += removed;
    report.text_bytes_removed += bytes;
    Ok(())
}

/// Removes messages older than the cutoff of sessions that have no stored part left
/// (a session still in use keeps every message, so its edits keep their model).
fn remove_old_messages(
    conn: &Connection,
    plan: &GcPlan,
    before_ms: i64,
    report: &mut GcReport,
) -> Result<(), turso::Error> {
    let limit = plan.max_items.map_or(i64::MAX, |n| n as i64);
    let mut rows = block(conn.query(
        "SELECT m.session_id, m.message_id FROM messages m WHERE m.time_created_ms < ?1 AND NOT EXISTS \
         (SELECT 1 FROM parts p WHERE p.session_id = m.session_id) LIMIT ?2",
        (before_ms, limit.saturating_add(1)),
    ))?;
    let mut due: Vec<(String, String)> = Vec::new();
    while let Some(row) = block(rows.next())? {
        due.push((row.get(0)?, row.get(1)?));
    }
    drop(rows);
    if due.len() as i64 > limit {
        due.truncate(limit as usize);
        report.more_left = true;
    }
    let mut delete = block(conn.prepare_cached("DELETE FROM messages WHERE session_id = ?1 AND message_id = ?2"))?;
    for (session, message) in due {
        report.messages_removed += block(delete.execute((session.as_str(), message.as_str())))?;
    }
    Ok(())
}

/// Drops entries of the unfolded-paths list whose edits are all folded (a part sent
/// again after its commit lists its path once more).
fn clear_unfolded_paths(conn: &Connection) -> Result<u64, turso::Error> {
    block(conn.execute(
        "DELETE FROM unfolded_paths WHERE NOT EXISTS (SELECT 1 FROM parts p \
         WHERE p.worktree = unfolded_paths.worktree AND p.file_path = unfolded_paths.path \
         AND p.part_type = 'patch' AND p.seq > COALESCE((SELECT last_seq FROM file_states s \
         WHERE s.worktree = unfolded_paths.worktree AND s.path = unfolded_paths.path), 0))",
        (),
    ))
}
