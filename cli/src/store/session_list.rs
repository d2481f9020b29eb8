//! Per-session aggregates over `messages`, `parts` and `sessions`, for `sce
//! sessions`: a few grouped scans for every session at once, or indexed lookups
//! for one session.

use std::collections::{BTreeMap, BTreeSet};

use turso::Value;

use super::sessions::session_row;
use super::{SessionRow, Store, StoreError, block};

/// What the store knows of one session: its messages and parts summed up, and its `sessions` row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionSummary {
    /// The agent's own session id.
    pub session_id: String,
    /// The agent tool (from its messages, else its `sessions` row).
    pub tool_name: Option<String>,
    /// The agent tool's version, when reported.
    pub tool_version: Option<String>,
    /// The distinct models of its messages, sorted.
    pub models: Vec<String>,
    /// Its first event (ms since the epoch).
    pub start_ms: Option<i64>,
    /// Its last event (ms since the epoch).
    pub end_ms: Option<i64>,
    /// The person's prompts: its user messages.
    pub prompts: u64,
    /// The distinct files its edits touched, sorted.
    pub files: Vec<String>,
    /// Its `sessions` row (git context, exclusion, import source), if any.
    pub row: Option<SessionRow>,
}

/// One prompt of a session: the first text part of a user message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPrompt {
    /// When it was sent (ms since the epoch).
    pub time_ms: i64,
    /// Its text (None when no text part was stored).
    pub text: Option<String>,
}

/// Restricts a query to one session, or none.
fn scope(session: Option<&str>, column: &str) -> (String, Vec<Value>) {
    match session {
        Some(id) => (format!("WHERE {column} = ?1"), vec![Value::Text(id.into())]),
        None => (String::new(), Vec::new()),
    }
}

impl Store {
    /// Every session sce knows of (from messages, parts or the `sessions` table), summed up.
    pub fn session_summaries(&self) -> Result<Vec<SessionSummary>, StoreError> {
        Ok(self.summaries(None)?.into_values().collect())
    }

    /// One session summed up; None when sce knows nothing of it.
    pub fn session_summary(&self, session_id: &str) -> Result<Option<SessionSummary>, StoreError> {
        Ok(self.summaries(Some(session_id))?.remove(session_id))
    }

    fn summaries(&self, session: Option<&str>) -> Result<BTreeMap<String, SessionSummary>, StoreError> {
        self.with_query_retry(|conn| {
            let mut all: BTreeMap<String, SessionSummary> = BTreeMap::new();
            let (filter, params) = scope(session, "session_id");
            let sql = format!(
                "SELECT session_id, MIN(time_created_ms), MAX(COALESCE(time_completed_ms, time_created_ms)), \
                 SUM(CASE WHEN role = 'user' THEN 1 ELSE 0 END), MAX(tool_name), MAX(tool_version) \
                 FROM messages {filter} GROUP BY session_id"
            );
            let mut rows = block(conn.query(&sql, params.clone()))?;
            while let Some(row) = block(rows.next())? {
                let s = summary_of(&mut all, row.get(0)?);
                s.start_ms = row.get(1)?;
                s.end_ms = row.get(2)?;
                s.prompts = row.get::<Option<i64>>(3)?.unwrap_or(0).max(0) as u64;
                s.tool_name = row.get(4)?;
                s.tool_version = row.get(5)?;
            }
            let sql = format!(
                "SELECT DISTINCT session_id, model_id FROM messages {} model_id IS NOT NULL",
                if filter.is_empty() { "WHERE".to_string() } else { format!("{filter} AND") }
            );
            let mut rows = block(conn.query(&sql, params.clone()))?;
            while let Some(row) = block(rows.next())? {
                let s = summary_of(&mut all, row.get(0)?);
                s.models.push(row.get(1)?);
            }
            // Two scans of parts (a sorter for one grouped scan of both costs more).
            let sql = format!(
                "SELECT session_id, MIN(time_ms), MAX(time_ms), MAX(tool_name), MAX(tool_version) \
                 FROM parts {filter} GROUP BY session_id"
            );
            let mut rows = block(conn.query(&sql, params.clone()))?;
            while let Some(row) = block(rows.next())? {
                let s = summary_of(&mut all, row.get(0)?);
                let (first, last): (Option<i64>, Option<i64>) = (row.get(1)?, row.get(2)?);
                s.start_ms = min_some(s.start_ms, first);
                s.end_ms = s.end_ms.max(last);
                if s.tool_name.is_none() {
                    s.tool_name = row.get(3)?;
                }
                if s.tool_version.is_none() {
                    s.tool_version = row.get(4)?;
                }
            }
            let sql = format!(
                "SELECT DISTINCT session_id, file_path FROM parts {} part_type = 'patch' AND file_path IS NOT NULL",
                if filter.is_empty() { "WHERE".to_string() } else { format!("{filter} AND") }
            );
            let mut rows = block(conn.query(&sql, params.clone()))?;
            while let Some(row) = block(rows.next())? {
                let s = summary_of(&mut all, row.get(0)?);
                s.files.push(row.get(1)?);
            }
            let sql = format!(
                "SELECT session_id, tool_name, remote_url, branch, head_sha, context_ms, excluded, imported_from \
                 FROM sessions {filter}"
            );
            let mut rows = block(conn.query(&sql, params.clone()))?;
            while let Some(row) = block(rows.next())? {
                let stored = session_row(&row)?;
                let s = summary_of(&mut all, stored.session_id.clone());
                if s.tool_name.is_none() {
                    s.tool_name.clone_from(&stored.tool_name);
                }
                s.row = Some(stored);
            }
            for s in all.values_mut() {
                s.models = std::mem::take(&mut s.models).into_iter().collect::<BTreeSet<_>>().into_iter().collect();
                s.files = std::mem::take(&mut s.files).into_iter().collect::<BTreeSet<_>>().into_iter().collect();
            }
            Ok(all)
        })
    }

    /// The ids of known sessions that start with `prefix`, sorted; an id equal
    /// to `prefix` is the only one returned. Reads index ranges, never whole tables.
    pub fn session_ids_with_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.with_query_retry(|conn| {
            let mut found = BTreeSet::new();
            // Ids starting with the prefix sort between it and it followed by the highest
            // character: an index range on every table keyed by session id.
            let end = format!("{prefix}\u{10FFFF}");
            for table in ["messages", "parts", "sessions"] {
                let sql = format!("SELECT DISTINCT session_id FROM {table} WHERE session_id >= ?1 AND session_id < ?2");
                let mut rows = block(conn.query(&sql, (prefix, end.as_str())))?;
                while let Some(row) = block(rows.next())? {
                    let id: String = row.get(0)?;
                    if id.starts_with(prefix) {
                        found.insert(id);
                    }
                }
            }
            if found.contains(prefix) {
                return Ok(vec![prefix.to_string()]);
            }
            Ok(found.into_iter().collect())
        })
    }

    /// The prompts of a session in the order they were sent: each user message
    /// with its first text part.
    pub fn session_prompts(&self, session_id: &str) -> Result<Vec<SessionPrompt>, StoreError> {
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query(
                "SELECT m.message_id, m.time_created_ms, p.text FROM messages m \
                 LEFT JOIN parts p ON p.session_id = m.session_id AND p.message_id = m.message_id \
                 AND p.part_type = 'text' AND p.text IS NOT NULL \
                 WHERE m.session_id = ?1 AND m.role = 'user' ORDER BY m.time_created_ms, m.message_id, p.seq",
                (session_id,),
            ))?;
            let mut prompts = Vec::new();
            let mut last_message: Option<String> = None;
            while let Some(row) = block(rows.next())? {
                let message: String = row.get(0)?;
                if last_message.as_deref() == Some(message.as_str()) {
                    continue;
                }
                prompts.push(SessionPrompt { time_ms: row.get(1)?, text: row.get(2)? });
                last_message = Some(message);
            }
            Ok(prompts)
        })
    }
}

/// The summary of `id` in `all`, added empty if missing.
fn summary_of(all: &mut BTreeMap<String, SessionSummary>, id: String) -> &mut SessionSummary {
    all.entry(id.clone()).or_insert_with(|| SessionSummary { session_id: id, ..Default::default() })
}

fn min_some(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseRetry;
    use crate::store::StorePaths;

    fn store_in(dir: &std::path::Path) -> Store {
        Store::open(&StorePaths::in_common_dir(dir), &DatabaseRetry::default()).unwrap()
    }

    /// `sessions` sessions of 4 messages (2 prompts) and `parts_each` parts (half edits over 5 files).
    fn fill(store: &Store, sessions: usize, parts_each: usize) {
        store
            .transaction(|conn| {
                let mut seq = 0;
                for s in 0..sessions {
                    let id = format!("ses_{s:06}");
                    for m in 0..4 {
                        let role = if m % 2 == 0 { "user" } else { "assistant" };
                        block(conn.execute(
                            "INSERT INTO messages (session_id, message_id, role, model_id, time_created_ms, tool_name) \
                             VALUES (?1, ?2, ?3, 'acme/m', ?4, 'opencode')",
                            (id.as_str(), format!("m{m}"), role, (s * 100 + m) as i64),
                        ))?;
                    }
                    for p in 0..parts_each {
                        seq += 1;
                        let (kind, file) = if p % 2 == 0 {
                            ("patch", Value::Text(format!("src/f{}.rs", p % 5)))
                        } else {
                            ("text", Value::Null)
                        };
                        block(conn.execute(
                            "INSERT INTO parts (seq, session_id, part_id, message_id, part_type, time_ms, worktree, \
                             text, file_path) VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', 'some text', ?7)",
                            vec![
                                Value::Integer(seq),
                                Value::Text(id.clone()),
                                Value::Text(format!("p{p}")),
                                Value::Text(format!("m{}", p % 4)),
                                Value::Text(kind.into()),
                                Value::Integer((s * 100 + p) as i64),
                                file,
                            ],
                        ))?;
                    }
                    block(conn.execute(
                        "INSERT INTO sessions (session_id, branch, context_ms) VALUES (?1, 'main', 1)",
                        (id.as_str(),),
                    ))?;
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn summaries_count_prompts_files_and_span_per_session() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        fill(&store, 3, 10);
        let all = store.session_summaries().unwrap();
        assert_eq!(all.len(), 3);
        let first = &all[0];
        assert_eq!(first.session_id, "ses_000000");
        assert_eq!(first.prompts, 2);
        assert_eq!(first.models, ["acme/m"]);
        assert_eq!(first.files, ["src/f0.rs", "src/f1.rs", "src/f2.rs", "src/f3.rs", "src/f4.rs"]);
        assert_eq!((first.start_ms, first.end_ms), (Some(0), Some(9)));
        assert_eq!(first.row.as_ref().and_then(|r| r.git.branch.as_deref()), Some("main"));
        assert_eq!(store.session_summary("ses_000001").unwrap().unwrap().start_ms, Some(100));
        assert_eq!(store.session_ids_with_prefix("ses_00000").unwrap().len(), 3);
        assert_eq!(store.session_ids_with_prefix("ses_000002").unwrap(), ["ses_000002"]);
        assert!(store.session_ids_with_prefix("x").unwrap().is_empty());
    }

    /// `cargo test -p sce --lib session_list -- --ignored --nocapture`: the cost at 10,000 sessions.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn ten_thousand_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        fill(&store, 10_000, 40);
        for sql in [
            "SELECT session_id, MIN(time_created_ms) FROM messages GROUP BY session_id",
            "SELECT session_id, MIN(time_ms), MAX(time_ms) FROM parts GROUP BY session_id",
            "SELECT DISTINCT session_id, file_path FROM parts WHERE part_type = 'patch' AND file_path IS NOT NULL",
            "SELECT DISTINCT session_id FROM parts WHERE session_id >= 'ses_0099' AND session_id < 'ses_009A'",
        ] {
            let plan = store
                .with_query_retry(|conn| {
                    let mut rows = block(conn.query(&format!("EXPLAIN QUERY PLAN {sql}"), ()))?;
                    let mut plan = Vec::new();
                    while let Some(row) = block(rows.next())? {
                        plan.push(format!("{:?}", row.get_value(row.column_count() - 1)?));
                    }
                    Ok(plan)
                })
                .unwrap_or_default();
            println!("{sql}\n  {plan:?}");
        }
        let time_each = |store: &Store| {
            for sql in [
                "SELECT session_id, MIN(time_created_ms), MAX(COALESCE(time_completed_ms, time_created_ms)), SUM(CASE WHEN role = 'user' THEN 1 ELSE 0 END), MAX(tool_name), MAX(tool_version) FROM messages GROUP BY session_id",
                "SELECT DISTINCT session_id, model_id FROM messages WHERE model_id IS NOT NULL",
                "SELECT session_id, MIN(time_ms), MAX(time_ms), MAX(tool_name), MAX(tool_version) FROM parts GROUP BY session_id",
                "SELECT DISTINCT session_id, file_path FROM parts WHERE part_type = 'patch' AND file_path IS NOT NULL",
                "SELECT * FROM sessions",
            ] {
                let started = std::time::Instant::now();
                let n = store
                    .with_query_retry(|conn| {
                        let mut rows = block(conn.query(sql, ()))?;
                        let mut n = 0;
                        while block(rows.next())?.is_some() {
                            n += 1;
                        }
                        Ok(n)
                    })
                    .unwrap();
                println!("{n} rows in {:?}: {sql}", started.elapsed());
            }
        };
        time_each(&store);
        let started = std::time::Instant::now();
        let all = store.session_summaries().unwrap();
        println!("session_summaries: {} sessions in {:?}", all.len(), started.elapsed());
        let started = std::time::Instant::now();
        let one = store.session_summary("ses_005000").unwrap();
        println!("session_summary: {:?} in {:?}", one.map(|s| s.files.len()), started.elapsed());
        let started = std::time::Instant::now();
        let ids = store.session_ids_with_prefix("ses_0050").unwrap();
        println!("session_ids_with_prefix: {} in {:?}", ids.len(), started.elapsed());
        let started = std::time::Instant::now();
        let prompts = store.session_prompts("ses_005000").unwrap();
        println!("session_prompts: {} in {:?}", prompts.len(), started.elapsed());
    }
}
