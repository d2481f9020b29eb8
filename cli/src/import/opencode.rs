//! OpenCode's own session storage, read for `sce import opencode`.
//!
//! OpenCode 1.18.33 keeps everything in one SQLite database in its data directory
//! (`$XDG_DATA_HOME/opencode`, else `~/.local/share/opencode`): `opencode.db` for the
//! released channels, `opencode-<channel>.db` for others, or the file `OPENCODE_DB`
//! names. It runs in WAL mode and keeps most recent writes in `opencode.db-wal`.
//! Older releases kept JSON files under `storage/`; OpenCode moves them into the
//! database when it starts, so only the database is read.
//!
//! Tables read (each row's `data` is the JSON OpenCode also sends in its events):
//! - `session(id, directory, version, time_created, …)`: one row per session
//!   (sub-agent sessions too, with their own id).
//! - `message(id, session_id, time_created, data)`: `data.role` (`user` or
//!   `assistant`), `data.providerID`/`data.modelID` on assistant messages,
//!   `data.time.created`.
//! - `part(id, message_id, session_id, time_created, data)`: `data.type` (`text`,
//!   `reasoning`, `tool`, `patch`, `step-start`, …), `data.text`, `data.time.start`
//!   / `end`, `data.synthetic` / `data.ignored` on OpenCode's own texts.
//!
//! The ids are the ones sce's OpenCode plugin forwards (`ses_…`, `msg_…`, `prt_…`),
//! and the model is spelled as the plugin spells it (`providerID/modelID`), so an
//! import merges with what the plugin captured. Only user prompts and the
//! assistant's text parts are read: never tool parts, so an import cannot change
//! attribution.
//!
//! The database is never opened where it lies: OpenCode may be running and
//! writing to it. Its WAL and then the database are copied to a temporary
//! directory, and the copy is read with Turso.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;
use serde_json::Value;

use super::session::{ImportedMessage, ImportedSession, ImportedText};
use crate::capture::Role;
use crate::store::SessionGitContext;

/// The tool name sce's OpenCode plugin stamps on its envelopes; imported sessions carry it too.
pub const TOOL_NAME: &str = "opencode";

/// The database file name of OpenCode's released channels (`latest`, `beta`, `prod`).
pub const DB_FILE_NAME: &str = "opencode.db";

/// How many times the database and its WAL are copied before giving up because
/// OpenCode kept writing to them meanwhile.
const SNAPSHOT_ATTEMPTS: u32 = 5;

/// Why OpenCode's sessions could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OpenCodeImportError {
    /// The data directory exists but cannot be listed.
    #[error("cannot list OpenCode's data directory {dir}: {source}; check its permissions")]
    ReadDir {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No database at the path given.
    #[error(
        "no OpenCode database at {path}; OpenCode keeps it in $XDG_DATA_HOME/opencode \
         (else ~/.local/share/opencode) as opencode.db, or where OPENCODE_DB says"
    )]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// The database (or its WAL) could not be copied to be read.
    #[error("cannot copy OpenCode's database file {path} to read it: {source}; check that it is readable")]
    Snapshot {
        /// The file being copied.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// OpenCode kept writing to the database while it was copied.
    #[error(
        "OpenCode's database {path} changed every time it was copied ({attempts} attempts); \
         try again when OpenCode is idle"
    )]
    Busy {
        /// The database.
        path: PathBuf,
        /// Copies tried.
        attempts: u32,
    },
    /// The copy could not be opened as a database.
    #[error("cannot open (a copy of) OpenCode's database {path}: {source}; is it an OpenCode database?")]
    Open {
        /// The database.
        path: PathBuf,
        /// Turso's error.
        source: turso::Error,
    },
    /// A query failed: most likely a layout this reader does not know.
    #[error(
        "cannot read the {table} table of OpenCode's database {path}: {source}; \
         sce reads the layout of OpenCode 1.18.x, and this database may come from another release"
    )]
    Query {
        /// The database.
        path: PathBuf,
        /// The table being read.
        table: &'static str,
        /// Turso's error.
        source: turso::Error,
    },
}

/// OpenCode's data directory as OpenCode finds it: `$XDG_DATA_HOME/opencode`,
/// else `$HOME/.local/share/opencode`. None when neither variable is set.
pub fn default_data_dir() -> Option<PathBuf> {
    let from = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    from("XDG_DATA_HOME")
        .filter(|dir| dir.is_absolute())
        .or_else(|| from("HOME").map(|home| home.join(".local/share")))
        .map(|dir| dir.join("opencode"))
}

/// The database `OPENCODE_DB` names, as OpenCode resolves it (relative to the data
/// directory); None when it is unset or `:memory:`. Such a database may lie
/// outside the data directory, where [`discover`] would not find it.
pub fn configured_database(data_dir: &Path) -> Option<PathBuf> {
    let value = std::env::var_os("OPENCODE_DB").filter(|v| !v.is_empty() && v != ":memory:")?;
    Some(data_dir.join(value))
}

/// The OpenCode databases in `data_dir`: `opencode.db` first, then any channel's
/// `opencode-<channel>.db`. Empty when the directory does not exist (OpenCode never ran).
pub fn discover(data_dir: &Path) -> Result<Vec<PathBuf>, OpenCodeImportError> {
    let entries = match std::fs::read_dir(data_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::debug!(dir = %data_dir.display(), "no OpenCode data directory");
            return Ok(Vec::new());
        }
        Err(source) => return Err(OpenCodeImportError::ReadDir { dir: data_dir.to_path_buf(), source }),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| OpenCodeImportError::ReadDir { dir: data_dir.to_path_buf(), source })?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let is_db = name == DB_FILE_NAME || (name.starts_with("opencode-") && name.ends_with(".db"));
        if is_db && entry.path().is_file() {
            found.push(entry.path());
        }
    }
    // The released channel's database first, then the others by name.
    found.sort_by_key(|p| (p.file_name().is_none_or(|n| n != DB_FILE_NAME), p.clone()));
    if found.is_empty() && data_dir.join("storage").is_dir() {
        tracing::info!(
            dir = %data_dir.display(),
            "OpenCode's data directory holds only the JSON storage of releases before its database; \
             start OpenCode once to move it into opencode.db"
        );
    }
    tracing::debug!(dir = %data_dir.display(), databases = found.len(), "found OpenCode databases");
    Ok(found)
}

/// Reads the sessions of the OpenCode database `db` (a copy of it: the original is
/// never opened), oldest first; with `within`, only sessions whose directory is
/// that directory or inside it (a work tree). Rows OpenCode wrote in a shape this
/// reader does not understand are skipped with a warning.
pub fn read(db: &Path, within: Option<&Path>) -> Result<Vec<ImportedSession>, OpenCodeImportError> {
    if !db.is_file() {
        return Err(OpenCodeImportError::Missing { path: db.to_path_buf() });
    }
    let copy = snapshot(db)?;
    let copy_path = copy.path().join(DB_FILE_NAME);
    let database = block(turso::Builder::new_local(&copy_path.to_string_lossy()).build())
        .map_err(|source| OpenCodeImportError::Open { path: db.to_path_buf(), source })?;
    let conn = database.connect().map_err(|source| OpenCodeImportError::Open { path: db.to_path_buf(), source })?;
    let query_error = |table| move |source| OpenCodeImportError::Query { path: db.to_path_buf(), table, source };

    let within = within.map(WorkTree::new);
    let mut sessions = Vec::new();
    for row in read_sessions(&conn).map_err(query_error("session"))? {
        if within.as_ref().is_some_and(|w| !w.contains(Path::new(&row.directory))) {
            continue;
        }
        let messages = read_messages(&conn, &row.id).map_err(query_error("message"))?;
        let texts = read_texts(&conn, &row.id).map_err(query_error("part"))?;
        let messages = assemble(messages, texts);
        tracing::debug!(session = %row.id, messages = messages.len(), "read an OpenCode session");
        sessions.push(ImportedSession {
            tool_name: TOOL_NAME.to_string(),
            tool_version: row.version.filter(|v| !v.is_empty()),
            session_id: row.id,
            cwd: Some(PathBuf::from(row.directory)).filter(|d| !d.as_os_str().is_empty()),
            git: SessionGitContext::default(),
            messages,
            source: db.to_path_buf(),
        });
    }
    tracing::debug!(db = %db.display(), sessions = sessions.len(), "read OpenCode's database");
    Ok(sessions)
}

/// Every OpenCode session of a data directory: the databases [`discover`] finds
/// there and the one `OPENCODE_DB` names ([`configured_database`]), each read by
/// [`read`] with the same `within`; one database's sessions after another's.
pub fn read_all(data_dir: &Path, within: Option<&Path>) -> Result<Vec<ImportedSession>, OpenCodeImportError> {
    let mut databases = discover(data_dir)?;
    if let Some(configured) = configured_database(data_dir).filter(|db| db.is_file() && !databases.contains(db)) {
        databases.push(configured);
    }
    let mut sessions = Vec::new();
    for db in &databases {
        sessions.extend(read(db, within)?);
    }
    Ok(sessions)
}

/// Runs a turso future to completion (its I/O is synchronous underneath).
fn block<F: std::future::Future>(future: F) -> F::Output {
    pollster::block_on(future)
}

/// A work tree sessions are matched against, as given and with symlinks resolved.
struct WorkTree {
    given: PathBuf,
    real: Option<PathBuf>,
}

impl WorkTree {
    fn new(dir: &Path) -> WorkTree {
        WorkTree { given: dir.to_path_buf(), real: dir.canonicalize().ok() }
    }

    /// True when `dir` is the work tree or inside it (either spelled as given or resolved).
    fn contains(&self, dir: &Path) -> bool {
        let real_dir = dir.canonicalize().ok();
        [Some(&self.given), self.real.as_ref()]
            .into_iter()
            .flatten()
            .any(|tree| dir.starts_with(tree) || real_dir.as_ref().is_some_and(|d| d.starts_with(tree)))
    }
}

/// Copies the database and its WAL into a fresh temporary directory: the WAL first,
/// then the database, again until both were unchanged while copied. (A checkpoint
/// between the two copies leaves a database that already holds the copied WAL's
/// pages, which reads the same.)
fn snapshot(db: &Path) -> Result<tempfile::TempDir, OpenCodeImportError> {
    let wal = wal_path(db);
    let snapshot_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OpenCodeImportError::Snapshot { path, source }
    };
    let dir = tempfile::Builder::new().prefix("sce-opencode-").tempdir().map_err(snapshot_error(db))?;
    let db_copy = dir.path().join(DB_FILE_NAME);
    let wal_copy = wal_path(&db_copy);
    for attempt in 1..=SNAPSHOT_ATTEMPTS {
        let before = (stamp(&wal), stamp(db));
        let _ = std::fs::remove_file(&wal_copy);
        match std::fs::copy(&wal, &wal_copy) {
            Ok(_) => {}
            // No WAL: OpenCode is not running, or checkpointed and removed it.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(OpenCodeImportError::Snapshot { path: wal.clone(), source }),
        }
        std::fs::copy(db, &db_copy).map_err(snapshot_error(db))?;
        if (stamp(&wal), stamp(db)) == before {
            tracing::debug!(db = %db.display(), attempt, "copied OpenCode's database");
            return Ok(dir);
        }
        tracing::debug!(db = %db.display(), attempt, "OpenCode's database changed while copied; copying again");
        std::thread::sleep(std::time::Duration::from_millis(50 * u64::from(attempt)));
    }
    Err(OpenCodeImportError::Busy { path: db.to_path_buf(), attempts: SNAPSHOT_ATTEMPTS })
}

/// `<db>-wal`.
fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push("-wal");
    PathBuf::from(name)
}

/// A file's size and modification time; None when it is missing.
fn stamp(path: &Path) -> Option<(u64, Option<SystemTime>)> {
    std::fs::metadata(path).ok().map(|m| (m.len(), m.modified().ok()))
}

/// The columns of a `session` row that an import keeps.
struct SessionRow {
    id: String,
    directory: String,
    version: Option<String>,
}

fn read_sessions(conn: &turso::Connection) -> Result<Vec<SessionRow>, turso::Error> {
    let mut rows = block(conn.query("SELECT id, directory, version FROM session ORDER BY time_created, id", ()))?;
    let mut out = Vec::new();
    while let Some(row) = block(rows.next())? {
        out.push(SessionRow {
            id: row.get(0)?,
            directory: row.get::<Option<String>>(1)?.unwrap_or_default(),
            version: row.get(2)?,
        });
    }
    Ok(out)
}

/// A `message` row's `data`, leniently: unknown fields are ignored, odd values skipped.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MessageData {
    role: Option<Value>,
    #[serde(rename = "providerID")]
    provider_id: Option<Value>,
    #[serde(rename = "modelID")]
    model_id: Option<Value>,
    time: Option<Times>,
}

/// The `time` object of a message or part (ms since the epoch).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Times {
    created: Option<Value>,
    start: Option<Value>,
    end: Option<Value>,
}

/// A `part` row's `data`, leniently.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PartData {
    #[serde(rename = "type")]
    kind: Option<Value>,
    text: Option<Value>,
    synthetic: Option<Value>,
    ignored: Option<Value>,
    time: Option<Times>,
}

/// A non-empty string value.
fn text_of(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A time in ms, as the plugin reads it (a finite, non-negative number, truncated).
fn ms_of(value: Option<&Value>) -> Option<i64> {
    let n = value?.as_f64()?;
    // Truncation is the intent (OpenCode's times are whole ms already); `as` saturates.
    (n.is_finite() && n >= 0.0).then_some(n as i64)
}

/// A message read from its row, before its texts are added.
struct MessageRow {
    id: String,
    role: Role,
    model_id: Option<String>,
    time_ms: i64,
}

fn read_messages(conn: &turso::Connection, session_id: &str) -> Result<Vec<MessageRow>, turso::Error> {
    let mut rows = block(conn.query(
        "SELECT id, time_created, data FROM message WHERE session_id = ?1 ORDER BY time_created, id",
        (session_id,),
    ))?;
    let mut out = Vec::new();
    while let Some(row) = block(rows.next())? {
        let id: String = row.get(0)?;
        let row_time: Option<i64> = row.get(1)?;
        let data: Option<String> = row.get(2)?;
        let data: MessageData = match serde_json::from_str(data.as_deref().unwrap_or("{}")) {
            Ok(data) => data,
            Err(e) => {
                tracing::warn!(message = %id, error = %e, "skipped an OpenCode message whose data is not a JSON object");
                continue;
            }
        };
        let role = match text_of(data.role.as_ref()) {
            Some("user") => Role::User,
            Some("assistant") => Role::Assistant,
            other => {
                tracing::debug!(message = %id, role = ?other, "skipped an OpenCode message that is neither user nor assistant");
                continue;
            }
        };
        // As the plugin: the model on assistant messages only, `providerID/modelID`.
        let model_id = match (role, text_of(data.provider_id.as_ref()), text_of(data.model_id.as_ref())) {
            (Role::Assistant, Some(provider), Some(model)) => Some(format!("{provider}/{model}")),
            _ => None,
        };
        let time_ms = data.time.as_ref().and_then(|t| ms_of(t.created.as_ref())).or(row_time).unwrap_or(0);
        out.push(MessageRow { id, role, model_id, time_ms });
    }
    Ok(out)
}

/// A text part with the id of its message.
struct TextRow {
    message_id: String,
    text: ImportedText,
}

/// The session's text parts (not reasoning, tool or other parts; not OpenCode's
/// own synthetic or ignored texts; not empty ones), in id order (OpenCode's ids
/// ascend with time).
fn read_texts(conn: &turso::Connection, session_id: &str) -> Result<Vec<TextRow>, turso::Error> {
    // Tool parts can be large (file contents): leave them in the database. Every
    // text part's JSON (JSON.stringify) holds `"type":"text"`; the type is checked again below.
    let mut rows = block(conn.query(
        "SELECT id, message_id, time_created, data FROM part \
         WHERE session_id = ?1 AND data LIKE '%\"type\":\"text\"%' ORDER BY id",
        (session_id,),
    ))?;
    let mut out = Vec::new();
    while let Some(row) = block(rows.next())? {
        let part_id: String = row.get(0)?;
        let message_id: String = row.get(1)?;
        let row_time: Option<i64> = row.get(2)?;
        let data: Option<String> = row.get(3)?;
        let data: PartData = match serde_json::from_str(data.as_deref().unwrap_or("{}")) {
            Ok(data) => data,
            Err(e) => {
                tracing::warn!(part = %part_id, error = %e, "skipped an OpenCode part whose data is not a JSON object");
                continue;
            }
        };
        if text_of(data.kind.as_ref()) != Some("text") {
            continue;
        }
        // OpenCode's own text (file attachments, tool notes): neither the person's nor the model's words.
        if data.synthetic.as_ref().and_then(Value::as_bool) == Some(true)
            || data.ignored.as_ref().and_then(Value::as_bool) == Some(true)
        {
            continue;
        }
        let Some(text) = text_of(data.text.as_ref()) else { continue };
        // As the plugin: when the text ended, else began, else when the part was stored.
        let time_ms = data
            .time
            .as_ref()
            .and_then(|t| ms_of(t.end.as_ref()).or_else(|| ms_of(t.start.as_ref())))
            .or(row_time)
            .unwrap_or(0);
        out.push(TextRow { message_id, text: ImportedText { part_id, text: text.to_string(), time_ms } });
    }
    Ok(out)
}

/// Puts each text under its message; texts of messages not read are dropped.
fn assemble(messages: Vec<MessageRow>, texts: Vec<TextRow>) -> Vec<ImportedMessage> {
    let mut out: Vec<ImportedMessage> = messages
        .into_iter()
        .map(|m| ImportedMessage {
            message_id: m.id,
            role: m.role,
            model_id: m.model_id,
            time_ms: m.time_ms,
            texts: Vec::new(),
        })
        .collect();
    let index: std::collections::HashMap<String, usize> =
        out.iter().enumerate().map(|(i, m)| (m.message_id.clone(), i)).collect();
    for t in texts {
        match index.get(&t.message_id) {
            Some(&i) => out[i].texts.push(t.text),
            None => {
                tracing::debug!(part = %t.text.part_id, message = %t.message_id, "skipped a text part of a message not read")
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made by `tests/fixtures/transcripts/opencode/make.sh` from two real OpenCode 1.18.33 sessions.
    fn fixture_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/transcripts/opencode")
    }

    fn fixture_db() -> PathBuf {
        fixture_dir().join(DB_FILE_NAME)
    }

    const SESSION_A: &str = "ses_dd449e7b5ffeOtMf2bTeHG2Mol";
    const SESSION_B: &str = "ses_dd44978feffeBFzikRYX2X3Loi";
    const PROMPT: &str = "\"Follow the scripted steps.\"";

    /// The fixture copied into a temp dir, to be changed by a test.
    fn fixture_copy() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        for name in [DB_FILE_NAME, "opencode.db-wal"] {
            std::fs::copy(fixture_dir().join(name), dir.path().join(name)).unwrap();
        }
        let db = dir.path().join(DB_FILE_NAME);
        (dir, db)
    }

    fn execute(db: &Path, sql: &str) {
        let database = block(turso::Builder::new_local(&db.to_string_lossy()).build()).unwrap();
        let conn = database.connect().unwrap();
        block(conn.execute(sql, ())).unwrap();
    }

    fn session<'a>(sessions: &'a [ImportedSession], id: &str) -> &'a ImportedSession {
        sessions.iter().find(|s| s.session_id == id).unwrap()
    }

    #[test]
    fn discover_finds_the_fixture_database() {
        assert_eq!(discover(&fixture_dir()).unwrap(), vec![fixture_db()]);
    }

    #[test]
    fn discover_lists_channel_databases_after_the_released_one() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["opencode-dev.db", "opencode.db", "opencode.db-wal", "other.db", "opencode-beta.db-shm"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        std::fs::create_dir(dir.path().join("opencode-dir.db")).unwrap();
        let found = discover(dir.path()).unwrap();
        assert_eq!(found, vec![dir.path().join("opencode.db"), dir.path().join("opencode-dev.db")]);
        assert_eq!(discover(&dir.path().join("missing")).unwrap(), Vec::<PathBuf>::new());
    }

    #[test]
    fn reads_both_sessions_with_their_directory_and_version() {
        let sessions = read(&fixture_db(), None).unwrap();
        let ids: Vec<&str> = sessions.iter().map(|s| s.session_id.as_str()).collect();
        assert_eq!(ids, [SESSION_A, SESSION_B], "oldest first");
        for (s, dir) in sessions.iter().zip(["proj-a", "proj-b"]) {
            assert_eq!(s.tool_name, "opencode");
            assert_eq!(s.tool_version.as_deref(), Some("1.18.33"));
            assert_eq!(s.cwd, Some(PathBuf::from("/tmp/sce-opencode-fixture").join(dir)));
            assert_eq!(s.git, SessionGitContext::default());
            assert_eq!(s.source, fixture_db());
        }
    }

    #[test]
    fn messages_carry_opencode_ids_roles_models_times_and_texts() {
        let sessions = read(&fixture_db(), None).unwrap();
        let a = session(&sessions, SESSION_A);
        let expected = vec![
            ImportedMessage {
                message_id: "msg_22bb61a6b001x3GUgVOAtAtJfY".into(),
                role: Role::User,
                model_id: None,
                time_ms: 1_796_029_684_331,
                texts: vec![ImportedText {
                    part_id: "prt_22bb61a88001IPKOm2Qej5l54y".into(),
                    text: PROMPT.into(),
                    // A prompt part has no time of its own: when it was stored.
                    time_ms: 1_796_029_684_390,
                }],
            },
            // Only a tool call (the write): the message and its model, no text.
            ImportedMessage {
                message_id: "msg_22bb62d68001x3RnxeVsFdDBlF".into(),
                role: Role::Assistant,
                model_id: Some("fake/fake-model".into()),
                time_ms: 1_796_029_689_192,
                texts: vec![],
            },
            ImportedMessage {
                message_id: "msg_22bb64c93001u0wBpdwaAX43WV".into(),
                role: Role::Assistant,
                model_id: Some("fake/fake-model".into()),
                time_ms: 1_796_029_697_171,
                texts: vec![ImportedText {
                    part_id: "prt_22bb650d8001zTz8HBHT6U3fwY".into(),
                    text: "All edits done.".into(),
                    // When the text ended, as the plugin reports it.
                    time_ms: 1_796_029_698_310,
                }],
            },
        ];
        assert_eq!(a.messages, expected);
    }

    #[test]
    fn rows_still_in_the_wal_are_read_and_the_files_are_left_alone() {
        let before: Vec<Vec<u8>> =
            [DB_FILE_NAME, "opencode.db-wal"].iter().map(|n| std::fs::read(fixture_dir().join(n)).unwrap()).collect();
        let sessions = read(&fixture_db(), None).unwrap();
        let b = session(&sessions, SESSION_B);
        let models: Vec<Option<&str>> = b.messages.iter().map(|m| m.model_id.as_deref()).collect();
        assert_eq!(models, [None, Some("fake/gpt-5.1-codex")]);
        // make.sh wrote this part through the WAL only.
        assert_eq!(
            b.messages[1].texts,
            [ImportedText {
                part_id: "prt_22bb6ad56001rrdh8sVSI2tFk4".into(),
                text: "All edits done.".into(),
                time_ms: 1_796_029_721_958
            }]
        );
        let after: Vec<Vec<u8>> =
            [DB_FILE_NAME, "opencode.db-wal"].iter().map(|n| std::fs::read(fixture_dir().join(n)).unwrap()).collect();
        assert!(before == after, "the database or its WAL changed");
        assert!(!fixture_dir().join("opencode.db-shm").exists());
    }

    #[test]
    fn within_keeps_the_sessions_run_in_that_work_tree() {
        let ids = |within: &str| -> Vec<String> {
            read(&fixture_db(), Some(Path::new(within))).unwrap().into_iter().map(|s| s.session_id).collect()
        };
        assert_eq!(ids("/tmp/sce-opencode-fixture/proj-a"), [SESSION_A]);
        assert_eq!(ids("/tmp/sce-opencode-fixture/proj-b/"), [SESSION_B]);
        assert_eq!(ids("/tmp/sce-opencode-fixture"), [SESSION_A, SESSION_B]);
        assert!(ids("/tmp/sce-opencode-fixture/proj").is_empty(), "a path prefix is not a parent");
        assert!(ids("/tmp/sce-opencode-fixture/proj-a/sub").is_empty());
    }

    #[test]
    fn only_the_persons_and_the_models_own_texts_are_read() {
        let (_dir, db) = fixture_copy();
        let msg = "msg_22bb64c93001u0wBpdwaAX43WV";
        let part = |id: &str, data: &str| {
            format!("INSERT INTO part VALUES ('{id}', '{msg}', '{SESSION_A}', 1796029698400, 1796029698400, '{data}')")
        };
        execute(&db, &part("prt_zz1", r#"{"type":"text","text":"file attached","synthetic":true}"#));
        execute(&db, &part("prt_zz2", r#"{"type":"text","text":"ignored","ignored":true}"#));
        execute(&db, &part("prt_zz3", r#"{"type":"reasoning","text":"thinking","time":{"start":1,"end":2}}"#));
        execute(&db, &part("prt_zz4", r#"{"type":"text","text":""}"#));
        execute(&db, &part("prt_zz5", r#"{"type":"text","text":"not json"#));
        execute(
            &db,
            &part("prt_zz6", r#"{"type":"text","text":"kept","synthetic":false,"time":{"start":1796029698500}}"#),
        );
        execute(
            &db,
            &format!(
                "INSERT INTO message VALUES ('msg_zz', '{SESSION_A}', 1796029699000, 1796029699000, \
                 '{{\"role\":\"system\"}}')"
            ),
        );
        let sessions = read(&db, None).unwrap();
        let a = session(&sessions, SESSION_A);
        assert_eq!(a.messages.len(), 3, "the system message is skipped");
        let texts: Vec<(&str, &str, i64)> =
            a.messages[2].texts.iter().map(|t| (t.part_id.as_str(), t.text.as_str(), t.time_ms)).collect();
        assert_eq!(
            texts,
            [
                ("prt_22bb650d8001zTz8HBHT6U3fwY", "All edits done.", 1_796_029_698_310),
                ("prt_zz6", "kept", 1_796_029_698_500)
            ]
        );
    }

    #[test]
    fn read_all_reads_every_database_of_the_data_directory() {
        let (dir, _db) = fixture_copy();
        std::fs::copy(fixture_db(), dir.path().join("opencode-dev.db")).unwrap();
        let sessions = read_all(dir.path(), Some(Path::new("/tmp/sce-opencode-fixture/proj-a"))).unwrap();
        let found: Vec<(&str, &Path)> = sessions.iter().map(|s| (s.session_id.as_str(), s.source.as_path())).collect();
        // The channel copy has no WAL: only what the database file itself holds.
        let (released, channel) = (dir.path().join(DB_FILE_NAME), dir.path().join("opencode-dev.db"));
        assert_eq!(found, [(SESSION_A, released.as_path()), (SESSION_A, channel.as_path())]);
        assert!(read_all(&dir.path().join("missing"), None).unwrap().is_empty());
    }

    #[test]
    fn a_missing_database_is_named() {
        let err = read(Path::new("/nonexistent/opencode.db"), None).unwrap_err();
        assert!(matches!(err, OpenCodeImportError::Missing { .. }), "{err:?}");
        assert!(err.to_string().contains("/nonexistent/opencode.db"), "{err}");
    }

    #[test]
    fn a_database_of_another_layout_names_the_table() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(DB_FILE_NAME);
        execute(&db, "CREATE TABLE session (id TEXT PRIMARY KEY, title TEXT)");
        let err = read(&db, None).unwrap_err();
        assert!(matches!(err, OpenCodeImportError::Query { table: "session", .. }), "{err:?}");
        assert!(err.to_string().contains("OpenCode 1.18"), "{err}");
    }
}
