//! Parsing and validating one batch envelope.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::events::{CapturedEvent, MessageEvent, PartEvent, PatchEdit, Role};
use super::path::{check_symlink_escape, normalize_repo_path};
use crate::unidiff;

/// The longest `model_id` the Agent Trace schema accepts.
const MAX_MODEL_ID_LEN: usize = 250;

/// Which kind of batch an envelope is; batches never mix kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvelopeKind {
    /// `message.updated`
    MessageUpdated,
    /// `message.part.updated`
    MessagePartUpdated,
}

/// Why a whole envelope was refused (exit code 3).
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    /// stdin was not one JSON value.
    #[error("the envelope is not valid JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    /// The top level is not an object or lacks a required key.
    #[error("the envelope is malformed: {0}")]
    Shape(String),
    /// An item carried a `type` of its own.
    #[error(
        "payloads[{0}] carries its own \"type\": a batch holds one type of event, given at the top level; send one envelope per type"
    )]
    MixedTypes(usize),
}

/// A skipped item: its index in `payloads` and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ItemDiagnostic {
    /// Index of the item in `payloads`.
    pub index: usize,
    /// The field at fault and the reason.
    pub error: String,
}

impl Envelope {
    /// Replaces known secret shapes in text parts and in opaque parts' JSON.
    pub fn redact_secrets(&mut self) {
        for event in &mut self.events {
            let CapturedEvent::Part(part) = event else { continue };
            if let Some(clean) = part.text.as_deref().and_then(super::redact) {
                part.text = Some(clean);
            }
            if part.text.is_none() && part.edit.is_none() {
                let raw = part.raw.to_string();
                if let Some(clean) = super::redact(&raw).and_then(|c| serde_json::from_str(&c).ok()) {
                    part.raw = clean;
                }
            }
        }
    }
}

/// A parsed envelope: its valid events and a diagnostic per skipped item.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The batch kind.
    pub kind: EnvelopeKind,
    /// Number of items in `payloads`.
    pub attempted: usize,
    /// The valid items, in order.
    pub events: Vec<CapturedEvent>,
    /// One entry per skipped item.
    pub diagnostics: Vec<ItemDiagnostic>,
}

/// An envelope whose top level is valid; its items are checked by [`RawEnvelope::into_events`].
#[derive(Debug, Clone)]
pub struct RawEnvelope {
    /// The batch kind.
    pub kind: EnvelopeKind,
    /// The repository the agent works in, if the envelope says.
    pub cwd: Option<PathBuf>,
    tool_name: Option<String>,
    tool_version: Option<String>,
    payloads: Vec<Value>,
}

impl RawEnvelope {
    /// Parses raw bytes and checks the top level: what makes the whole envelope invalid.
    pub fn parse(input: &[u8]) -> Result<Self, EnvelopeError> {
        let value: Value = serde_json::from_slice(input)?;
        let Value::Object(mut top) = value else {
            return Err(EnvelopeError::Shape("the top level must be a JSON object".into()));
        };
        let kind = match top.get("type") {
            Some(Value::String(t)) if t == "message.updated" => EnvelopeKind::MessageUpdated,
            Some(Value::String(t)) if t == "message.part.updated" => EnvelopeKind::MessagePartUpdated,
            Some(Value::String(t)) => {
                return Err(EnvelopeError::Shape(format!(
                    "\"type\" is {t:?}; expected \"message.updated\" or \"message.part.updated\""
                )));
            }
            Some(_) => return Err(EnvelopeError::Shape("\"type\" must be a string".into())),
            None => return Err(EnvelopeError::Shape("\"type\" is missing".into())),
        };
        let payloads = match top.remove("payloads") {
            Some(Value::Array(items)) => items,
            Some(_) => return Err(EnvelopeError::Shape("\"payloads\" must be an array".into())),
            None => return Err(EnvelopeError::Shape("\"payloads\" is missing".into())),
        };
        if let Some(index) = payloads.iter().position(|item| item.as_object().is_some_and(|o| o.contains_key("type"))) {
            return Err(EnvelopeError::MixedTypes(index));
        }
        Ok(RawEnvelope {
            kind,
            tool_name: top_level_string(&top, "tool_name")?,
            tool_version: top_level_string(&top, "tool_version")?,
            cwd: top_level_string(&top, "cwd")?.map(PathBuf::from),
            payloads,
        })
    }

    /// Validates every item; `repo_root` resolves patch paths. Invalid items become diagnostics.
    pub fn into_events(self, repo_root: &Path) -> Envelope {
        let mut events = Vec::with_capacity(self.payloads.len());
        let mut diagnostics = Vec::new();
        for (index, item) in self.payloads.iter().enumerate() {
            let parsed = match item {
                Value::Object(fields) => {
                    let fields = Fields { fields };
                    match self.kind {
                        EnvelopeKind::MessageUpdated => {
                            parse_message(&fields, &self.tool_name, &self.tool_version).map(CapturedEvent::Message)
                        }
                        EnvelopeKind::MessagePartUpdated => {
                            parse_part(&fields, item, &self.tool_name, &self.tool_version, repo_root)
                                .map(|part| CapturedEvent::Part(Box::new(part)))
                        }
                    }
                }
                _ => Err("the item must be a JSON object".to_string()),
            };
            match parsed {
                Ok(event) => events.push(event),
                Err(error) => diagnostics.push(ItemDiagnostic { index, error }),
            }
        }
        Envelope { kind: self.kind, attempted: self.payloads.len(), events, diagnostics }
    }
}

fn top_level_string(top: &Map<String, Value>, key: &str) -> Result<Option<String>, EnvelopeError> {
    match top.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(EnvelopeError::Shape(format!("\"{key}\" must be a string"))),
    }
}

/// Typed access to an item's fields with diagnostics that name the field.
struct Fields<'a> {
    fields: &'a Map<String, Value>,
}

impl Fields<'_> {
    fn required_string(&self, key: &str) -> Result<String, String> {
        match self.fields.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(Value::String(_)) => Err(format!("{key}: must not be empty")),
            None | Some(Value::Null) => Err(format!("{key}: is required")),
            Some(_) => Err(format!("{key}: must be a string")),
        }
    }

    fn optional_string(&self, key: &str) -> Result<Option<String>, String> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("{key}: must be a string")),
        }
    }

    fn required_ms(&self, key: &str) -> Result<i64, String> {
        self.optional_ms(key)?.ok_or_else(|| format!("{key}: is required"))
    }

    fn optional_ms(&self, key: &str) -> Result<Option<i64>, String> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(ms) if ms >= 0 => Ok(Some(ms)),
                _ => Err(format!("{key}: must be an integer number of milliseconds >= 0, got {n}")),
            },
            Some(_) => Err(format!("{key}: must be an integer number of milliseconds >= 0")),
        }
    }
}

fn parse_message(
    item: &Fields<'_>,
    tool_name: &Option<String>,
    tool_version: &Option<String>,
) -> Result<MessageEvent, String> {
    let session_id = item.required_string("session_id")?;
    let message_id = item.required_string("message_id")?;
    let role = match item.required_string("role")?.as_str() {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        other => return Err(format!("role: must be \"user\" or \"assistant\", got {other:?}")),
    };
    let time_created_ms = item.required_ms("time_created_ms")?;
    let time_completed_ms = item.optional_ms("time_completed_ms")?;
    let model_id = item.optional_string("model_id")?;
    if let Some(model) = &model_id {
        validate_model_id(model)?;
    }
    Ok(MessageEvent {
        session_id,
        message_id,
        role,
        model_id,
        parent_id: item.optional_string("parent_id")?,
        time_created_ms,
        time_completed_ms,
        tool_name: item.optional_string("tool_name")?.or_else(|| tool_name.clone()),
        tool_version: item.optional_string("tool_version")?.or_else(|| tool_version.clone()),
    })
}

fn validate_model_id(model: &str) -> Result<(), String> {
    if model.chars().count() > MAX_MODEL_ID_LEN {
        return Err(format!("model_id: longer than {MAX_MODEL_ID_LEN} characters"));
    }
    match model.split_once('/') {
        Some((provider, name)) if !provider.is_empty() && !name.is_empty() => Ok(()),
        _ => Err(format!("model_id: must be \"provider/model\", got {model:?}")),
    }
}

fn parse_part(
    item: &Fields<'_>,
    raw: &Value,
    tool_name: &Option<String>,
    tool_version: &Option<String>,
    repo_root: &Path,
) -> Result<PartEvent, String> {
    let session_id = item.required_string("session_id")?;
    let message_id = item.required_string("message_id")?;
    let part_id = item.required_string("part_id")?;
    let part_type = item.required_string("part_type")?;
    let time_ms = item.required_ms("time_ms")?;
    let mut text = None;
    let mut edit = None;
    match part_type.as_str() {
        "text" | "reasoning" => {
            text = Some(item.optional_string("text")?.ok_or("text: is required for a text or reasoning part")?);
        }
        "patch" => edit = Some(parse_patch_edit(item, repo_root)?),
        _ => {}
    }
    Ok(PartEvent {
        session_id,
        message_id,
        part_id,
        part_type,
        time_ms,
        text,
        edit,
        tool_name: item.optional_string("tool_name")?.or_else(|| tool_name.clone()),
        tool_version: item.optional_string("tool_version")?.or_else(|| tool_version.clone()),
        raw: raw.clone(),
    })
}

fn parse_patch_edit(item: &Fields<'_>, repo_root: &Path) -> Result<PatchEdit, String> {
    let raw_path = item.required_string("file_path")?;
    let file_path = normalize_repo_path(&raw_path, repo_root)
        .and_then(|p| check_symlink_escape(&p, repo_root).map(|()| p))
        .map_err(|e| format!("file_path: {e}"))?;
    let old_path = match item.optional_string("old_path")? {
        Some(old) => Some(normalize_repo_path(&old, repo_root).map_err(|e| format!("old_path: {e}"))?),
        None => None,
    };
    let status = item.optional_string("status")?;
    if let Some(s) = &status
        && !matches!(s.as_str(), "added" | "modified" | "deleted" | "renamed")
    {
        return Err(format!("status: must be added, modified, deleted or renamed, got {s:?}"));
    }
    let patch = item.optional_string("patch")?;
    let before = item.optional_string("before")?;
    let after = item.optional_string("after")?;
    let deleted = status.as_deref() == Some("deleted");
    if patch.is_none() && after.is_none() && !deleted {
        return Err("patch: a patch part needs \"patch\", \"after\", or \"before\" and \"after\"".into());
    }
    // A patch that does not parse is only fatal when it is the sole evidence;
    // with `after` present attribution never needs it.
    if let (Some(diff), None) = (&patch, &after) {
        unidiff::parse(diff).map_err(|e| format!("patch: {e}"))?;
    }
    Ok(PatchEdit { file_path, old_path, tool: item.optional_string("tool")?, status, patch, before, after })
}
