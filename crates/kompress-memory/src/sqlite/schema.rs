//! SQLite connections, schema and row mapping.

use std::path::Path;
use std::time::Duration;

use kompress_core::{Eviction, EvictionKind};
use rusqlite::{Connection, OpenFlags, Row, TransactionBehavior};

use crate::{MemoryError, MemoryRecord, Result};

const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Record table, lookup indexes and a contentless FTS5 index over the evicted text (the text
/// lives once, in `evictions`; FTS rows share the record's rowid). What is indexed: see `fts`.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS evictions (
    rowid          INTEGER PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    tenant         TEXT    NOT NULL,
    session        TEXT    NOT NULL,
    transcript_id  TEXT    NOT NULL,
    message_index  INTEGER NOT NULL,
    start_byte     INTEGER NOT NULL,
    end_byte       INTEGER NOT NULL,
    original       TEXT    NOT NULL,
    replacement    TEXT    NOT NULL,
    decoded        TEXT,
    handle         TEXT    NOT NULL,
    hash           TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    scrubbed       INTEGER NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER
);
CREATE INDEX IF NOT EXISTS evictions_by_handle ON evictions (tenant, handle, created_at_ms);
CREATE INDEX IF NOT EXISTS evictions_by_transcript ON evictions (tenant, transcript_id, start_byte);
CREATE INDEX IF NOT EXISTS evictions_by_expiry ON evictions (expires_at_ms)
    WHERE expires_at_ms IS NOT NULL;
CREATE VIRTUAL TABLE IF NOT EXISTS evictions_fts USING fts5(
    body, scope, content = '', contentless_delete = 1,
    tokenize = \"unicode61 tokenchars '_'\"
);
";

/// The columns every record query selects, in [`record_from_row`] order.
pub(super) const RECORD_COLUMNS: &str = "id, tenant, session, transcript_id, message_index, \
     start_byte, end_byte, original, replacement, decoded, handle, hash, kind, scrubbed, \
     created_at_ms, expires_at_ms";

/// Opens the writer connection: WAL, `synchronous=NORMAL` (a committed batch survives a killed
/// process; only power loss can drop the last commits), schema created if missing.
pub(super) fn open_writer(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path).map_err(MemoryError::sqlite("opening the database"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(MemoryError::sqlite("setting the busy timeout"))?;
    // Switching the journal mode does not wait on the busy handler: when another connection
    // opens the same file at the same moment it fails with SQLITE_BUSY at once, so retry a
    // bounded number of times.
    let mut tries = 0;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Ok(()) => break,
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && tries < 100 =>
            {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(MemoryError::sqlite("switching to WAL")(e)),
        }
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(MemoryError::sqlite("setting synchronous"))?;
    // 64 MiB page cache: index inserts at millions of rows stay in memory.
    conn.pragma_update(None, "cache_size", -65_536)
        .map_err(MemoryError::sqlite("setting the cache size"))?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(MemoryError::sqlite("starting the schema transaction"))?;
    tx.execute_batch(SCHEMA)
        .map_err(MemoryError::sqlite("creating the schema"))?;
    tx.commit()
        .map_err(MemoryError::sqlite("committing the schema"))?;
    Ok(conn)
}

/// Opens a read-only connection on a database the writer has set up.
pub(super) fn open_reader(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(MemoryError::sqlite("opening a reader"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(MemoryError::sqlite("setting the reader busy timeout"))?;
    conn.pragma_update(None, "cache_size", -16_384)
        .map_err(MemoryError::sqlite("setting the reader cache size"))?;
    conn.pragma_update(None, "mmap_size", 268_435_456)
        .map_err(MemoryError::sqlite("setting the reader mmap size"))?;
    Ok(conn)
}

pub(super) fn kind_name(kind: EvictionKind) -> &'static str {
    match kind {
        EvictionKind::Lines => "lines",
        EvictionKind::Inline => "inline",
        EvictionKind::Ansi => "ansi",
        EvictionKind::Fold => "fold",
    }
}

pub(super) fn kind_from_name(name: &str) -> Option<EvictionKind> {
    Some(match name {
        "lines" => EvictionKind::Lines,
        "inline" => EvictionKind::Inline,
        "ansi" => EvictionKind::Ansi,
        "fold" => EvictionKind::Fold,
        _ => return None,
    })
}

pub(super) fn to_i64(field: &'static str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| MemoryError::InvalidRecord {
        field,
        reason: format!("{v} does not fit a signed 64-bit column"),
    })
}

fn conversion(idx: usize, reason: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        rusqlite::types::Type::Text,
        Box::<dyn std::error::Error + Send + Sync>::from(reason),
    )
}

/// Maps a row selected with [`RECORD_COLUMNS`].
pub(super) fn record_from_row(row: &Row<'_>) -> rusqlite::Result<MemoryRecord> {
    let kind: String = row.get(12)?;
    let kind = kind_from_name(&kind).ok_or_else(|| conversion(12, format!("kind {kind:?}")))?;
    let unsigned = |idx: usize| -> rusqlite::Result<u64> {
        let v: i64 = row.get(idx)?;
        u64::try_from(v).map_err(|_| conversion(idx, format!("negative value {v}")))
    };
    let message_index = u32::try_from(unsigned(4)?)
        .map_err(|_| conversion(4, "message index out of range".into()))?;
    Ok(MemoryRecord {
        id: row.get(0)?,
        tenant: row.get(1)?,
        session: row.get(2)?,
        eviction: Eviction {
            transcript_id: row.get(3)?,
            message_index,
            start: unsigned(5)?,
            end: unsigned(6)?,
            original: row.get(7)?,
            replacement: row.get(8)?,
            decoded: row.get(9)?,
            handle: row.get(10)?,
            hash: row.get(11)?,
            kind,
        },
        scrubbed: row.get::<_, i64>(13)? != 0,
        created_at_ms: row.get(14)?,
        expires_at_ms: row.get(15)?,
    })
}
