//! Content-addressed, compressed texts: every file text an edit reports is stored
//! once (keyed by its BLAKE3 hash, zstd-compressed), so the `before` of an edit and
//! the `after` of the previous edit of that file are one row. An edit's `after` is
//! compressed with its `before` as the zstd dictionary (a delta, like a git pack), so
//! an edit of a file costs about what it changed; chains stop at [`MAX_DEPTH`].

use std::collections::HashMap;

use turso::{Connection, Value};

use super::block;

/// zstd level for stored texts: small source files gain little from higher levels.
const LEVEL: i32 = 3;

/// A text compressed against a base is at most this many bases away from a whole
/// one, so reading any text decompresses at most this many others.
pub(crate) const MAX_DEPTH: i64 = 16;

fn damaged(e: impl std::fmt::Display) -> turso::Error {
    turso::Error::Error(format!("a stored text is damaged: {e}"))
}

type Codec = (zstd::bulk::Compressor<'static>, zstd::bulk::Decompressor<'static>);

thread_local! {
    /// One zstd context pair per thread: creating a context costs more than
    /// compressing a small file (a 1,000-file commit spent 15 % of its time there).
    static CODEC: std::cell::RefCell<Option<Codec>> = const { std::cell::RefCell::new(None) };
}

fn with_codec<T>(work: impl FnOnce(&mut Codec) -> std::io::Result<T>) -> std::io::Result<T> {
    CODEC.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some((zstd::bulk::Compressor::new(LEVEL)?, zstd::bulk::Decompressor::new()?));
        }
        match slot.as_mut() {
            Some(codec) => work(codec),
            None => Err(std::io::Error::other("no zstd context")),
        }
    })
}

/// Compresses `bytes` for storage, against `base` when given (an empty dictionary is none).
pub(crate) fn compress_with(bytes: &[u8], base: Option<&[u8]>) -> Result<Vec<u8>, turso::Error> {
    with_codec(|(compressor, _)| {
        compressor.set_dictionary(LEVEL, base.unwrap_or_default())?;
        compressor.compress(bytes)
    })
    .map_err(|e| turso::Error::Error(format!("cannot compress a text: {e}")))
}

/// Compresses `bytes` on its own (views).
pub(crate) fn compress(bytes: &[u8]) -> Result<Vec<u8>, turso::Error> {
    compress_with(bytes, None)
}

/// Decompresses what [`compress_with`] stored; `size` is the original length.
pub(crate) fn decompress_with(data: &[u8], size: usize, base: Option<&[u8]>) -> Result<Vec<u8>, turso::Error> {
    with_codec(|(_, decompressor)| {
        decompressor.set_dictionary(base.unwrap_or_default())?;
        decompressor.decompress(data, size)
    })
    .map_err(damaged)
}

/// Decompresses a whole text whose frame records its size (views).
pub(crate) fn decompress(data: &[u8]) -> Result<Vec<u8>, turso::Error> {
    let size = zstd::bulk::Decompressor::upper_bound(data).ok_or_else(|| damaged("no size in the frame"))?;
    decompress_with(data, size, None)
}

/// Stores `text` unless a text with the same content is stored; returns its id.
/// Compresses only when the text is new; against `base` (its id and content) when
/// given and the base's chain is short enough.
pub(crate) fn intern(conn: &Connection, text: &str, base: Option<(i64, &str)>) -> Result<i64, turso::Error> {
    let hash = Value::Blob(blake3::hash(text.as_bytes()).as_bytes().to_vec());
    let mut find = block(conn.prepare_cached("SELECT id FROM texts WHERE hash = ?1"))?;
    let mut rows = block(find.query([hash.clone()]))?;
    if let Some(row) = block(rows.next())? {
        return row.get(0);
    }
    drop(rows);
    let base = match base {
        Some((id, content)) => {
            let mut depth_of = block(conn.prepare_cached("SELECT depth FROM texts WHERE id = ?1"))?;
            let mut rows = block(depth_of.query([id]))?;
            let depth = match block(rows.next())? {
                Some(row) => Some(row.get::<i64>(0)?),
                None => None,
            };
            depth.filter(|d| d + 1 < MAX_DEPTH).map(|d| (id, content, d + 1))
        }
        None => None,
    };
    let data = compress_with(text.as_bytes(), base.map(|(_, content, _)| content.as_bytes()))?;
    let mut insert =
        block(conn.prepare_cached("INSERT INTO texts (hash, size, base_id, depth, data) VALUES (?1, ?2, ?3, ?4, ?5)"))?;
    block(insert.execute((
        hash,
        text.len() as i64,
        base.map_or(Value::Null, |(id, _, _)| Value::Integer(id)),
        base.map_or(0, |(_, _, depth)| depth),
        Value::Blob(data),
    )))?;
    Ok(conn.last_insert_rowid())
}

/// The texts of one edit, interned: the after against the before.
pub(crate) fn intern_edit(
    conn: &Connection,
    before: Option<&str>,
    after: Option<&str>,
    patch: Option<&str>,
) -> Result<[Option<i64>; 3], turso::Error> {
    let before_id = before.map(|t| intern(conn, t, None)).transpose()?;
    let base = before_id.zip(before);
    let after_id = after.map(|t| intern(conn, t, base)).transpose()?;
    let patch_id = patch.map(|t| intern(conn, t, None)).transpose()?;
    Ok([before_id, after_id, patch_id])
}

/// Reads stored texts back, decompressing each base once per reader.
#[derive(Default)]
pub(crate) struct TextReader {
    cache: HashMap<i64, std::rc::Rc<str>>,
}

impl TextReader {
    /// The text with `id`, or `None` for a NULL reference.
    pub(crate) fn read(&mut self, conn: &Connection, id: Value) -> Result<Option<String>, turso::Error> {
        let Value::Integer(id) = id else { return Ok(None) };
        Ok(Some(self.read_id(conn, id)?.to_string()))
    }

    fn read_id(&mut self, conn: &Connection, id: i64) -> Result<std::rc::Rc<str>, turso::Error> {
        // Walk down to a cached or whole text, then decompress back up.
        let mut chain: Vec<(i64, i64, Vec<u8>)> = Vec::new();
        let mut next = Some(id);
        let mut base: Option<std::rc::Rc<str>> = None;
        let mut select = block(conn.prepare_cached("SELECT size, base_id, data FROM texts WHERE id = ?1"))?;
        while let Some(at) = next {
            if let Some(hit) = self.cache.get(&at) {
                base = Some(hit.clone());
                break;
            }
            if chain.len() as i64 > MAX_DEPTH {
                return Err(damaged("a chain of bases is longer than sce writes"));
            }
            let mut rows = block(select.query([at]))?;
            let Some(row) = block(rows.next())? else {
                return Err(damaged(format!("text {at} is missing")));
            };
            let size: i64 = row.get(0)?;
            next = match row.get_value(1)? {
                Value::Integer(base_id) => Some(base_id),
                _ => None,
            };
            let Value::Blob(data) = row.get_value(2)? else { return Err(damaged("not a blob")) };
            chain.push((at, size, data));
        }
        while let Some((at, size, data)) = chain.pop() {
            let bytes = decompress_with(&data, usize::try_from(size).unwrap_or(0), base.as_deref().map(str::as_bytes))?;
            let text: std::rc::Rc<str> = String::from_utf8(bytes).map_err(|_| damaged("not UTF-8"))?.into();
            self.cache.insert(at, text.clone());
            base = Some(text);
        }
        base.ok_or_else(|| damaged(format!("text {id} could not be read")))
    }
}

/// Removes the texts among `ids` that no edit and no other text (as its base) refers
/// to any more, and then their bases that became unreferenced; returns (texts,
/// compressed bytes) removed.
pub(crate) fn remove_unreferenced(conn: &Connection, ids: &[i64]) -> Result<(u64, u64), turso::Error> {
    let mut referenced = block(conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM edit_texts WHERE before_id = ?1) \
         OR EXISTS (SELECT 1 FROM edit_texts WHERE after_id = ?1) \
         OR EXISTS (SELECT 1 FROM edit_texts WHERE patch_id = ?1) \
         OR EXISTS (SELECT 1 FROM texts WHERE base_id = ?1)",
    ))?;
    let mut row_of = block(conn.prepare_cached("SELECT length(data), base_id FROM texts WHERE id = ?1"))?;
    let mut delete = block(conn.prepare_cached("DELETE FROM texts WHERE id = ?1"))?;
    let mut pending: Vec<i64> = ids.to_vec();
    let (mut removed, mut bytes) = (0, 0);
    while !pending.is_empty() {
        pending.sort_unstable();
        pending.dedup();
        let mut bases = Vec::new();
        for id in pending.drain(..) {
            let mut rows = block(referenced.query([id]))?;
            let still_used = match block(rows.next())? {
                Some(row) => row.get::<i64>(0)? != 0,
                None => true,
            };
            drop(rows);
            if still_used {
                continue;
            }
            let mut rows = block(row_of.query([id]))?;
            if let Some(row) = block(rows.next())? {
                bytes += row.get::<i64>(0)? as u64;
                if let Value::Integer(base) = row.get_value(1)? {
                    bases.push(base);
                }
            }
            drop(rows);
            removed += block(delete.execute([id]))?;
        }
        pending = bases;
    }
    Ok((removed, bytes))
}
