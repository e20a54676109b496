//! PostgreSQL backend, for many writers on many machines. Text is stored as `bytea` (exact
//! bytes, NULs included); full-text recall uses a `tsvector` GIN index ranked by `ts_rank_cd`
//! (PostgreSQL has no BM25; the order is comparable, not identical, to the SQLite backend's).
//!
//! The `postgres` client blocks on its own runtime: call this store from plain threads or
//! `spawn_blocking` (as [`crate::put_batch_async`] does), never directly inside async code.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use kompress_core::{Eviction, EvictionKind};
use postgres::{Client, NoTls, Row};

use crate::store::{dedupe_ranges, prepare, query_terms, recalled};
use crate::{
    now_millis, BackendConfig, MemoryConfig, MemoryError, MemoryRecord, MemoryStore, PutReport,
    Recalled, Result, Scrubber, SearchHit, StoreStats,
};

/// Longest text put into one record's full-text index entry (PostgreSQL caps a tsvector at
/// 1 MiB); the stored bytes are never cut.
const MAX_INDEXED_BYTES: usize = 256 * 1024;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kompress_evictions (
    rid            BIGSERIAL PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    tenant         TEXT    NOT NULL,
    session        TEXT    NOT NULL,
    transcript_id  TEXT    NOT NULL,
    message_index  BIGINT  NOT NULL,
    start_byte     BIGINT  NOT NULL,
    end_byte       BIGINT  NOT NULL,
    original       BYTEA   NOT NULL,
    replacement    BYTEA   NOT NULL,
    decoded        BYTEA,
    handle         TEXT    NOT NULL,
    hash           TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    scrubbed       BOOLEAN NOT NULL,
    created_at_ms  BIGINT  NOT NULL,
    expires_at_ms  BIGINT,
    body           TSVECTOR NOT NULL
);
CREATE INDEX IF NOT EXISTS kompress_evictions_by_handle
    ON kompress_evictions (tenant, handle, created_at_ms);
CREATE INDEX IF NOT EXISTS kompress_evictions_by_transcript
    ON kompress_evictions (tenant, transcript_id, start_byte);
CREATE INDEX IF NOT EXISTS kompress_evictions_by_expiry
    ON kompress_evictions (expires_at_ms) WHERE expires_at_ms IS NOT NULL;
CREATE INDEX IF NOT EXISTS kompress_evictions_body ON kompress_evictions USING GIN (body);
";

const COLUMNS: &str = "id, tenant, session, transcript_id, message_index, start_byte, end_byte, \
    original, replacement, decoded, handle, hash, kind, scrubbed, created_at_ms, expires_at_ms";

/// A pool of blocking PostgreSQL connections.
pub struct PostgresStore {
    clients: Vec<Mutex<Client>>,
    next: AtomicUsize,
    scrubber: Option<Scrubber>,
    default_ttl: Option<Duration>,
}

impl PostgresStore {
    /// Connects and creates the schema when missing.
    pub fn open(config: &MemoryConfig) -> Result<PostgresStore> {
        config.validate()?;
        let BackendConfig::Postgres { url, connections } = &config.backend else {
            return Err(MemoryError::Config {
                field: "backend.kind",
                reason: "PostgresStore::open needs a postgres backend".into(),
            });
        };
        let mut clients = Vec::with_capacity(*connections);
        for _ in 0..*connections {
            clients.push(Client::connect(url, NoTls).map_err(MemoryError::pg("connecting"))?);
        }
        let first = clients.first_mut().ok_or(MemoryError::Config {
            field: "backend.connections",
            reason: "must be at least 1".into(),
        })?;
        let mut tx = first
            .transaction()
            .map_err(MemoryError::pg("starting the schema transaction"))?;
        // Concurrent `CREATE … IF NOT EXISTS` from several processes can still collide.
        tx.execute("SELECT pg_advisory_xact_lock(7120450611)", &[])
            .map_err(MemoryError::pg("locking for the schema"))?;
        tx.batch_execute(SCHEMA)
            .map_err(MemoryError::pg("creating the schema"))?;
        tx.commit()
            .map_err(MemoryError::pg("committing the schema"))?;
        Ok(PostgresStore {
            clients: clients.into_iter().map(Mutex::new).collect(),
            next: AtomicUsize::new(0),
            scrubber: Scrubber::from_config(&config.scrub),
            default_ttl: config.default_ttl(),
        })
    }

    fn with_client<T>(&self, f: impl FnOnce(&mut Client) -> Result<T>) -> Result<T> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.clients.len();
        for i in 0..n {
            if let Ok(mut c) = self.clients[(start + i) % n].try_lock() {
                return f(&mut c);
            }
        }
        let mut c = self.clients[start % n]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        f(&mut c)
    }
}

fn to_i64(field: &'static str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| MemoryError::InvalidRecord {
        field,
        reason: format!("{v} does not fit a signed 64-bit column"),
    })
}

fn index_text(text: &str) -> String {
    let mut cut = text.len().min(MAX_INDEXED_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text[..cut].replace('\0', " ")
}

fn kind_name(kind: EvictionKind) -> &'static str {
    match kind {
        EvictionKind::Lines => "lines",
        EvictionKind::Inline => "inline",
        EvictionKind::Ansi => "ansi",
        EvictionKind::Fold => "fold",
    }
}

fn bad_row(field: &'static str, reason: String) -> MemoryError {
    MemoryError::InvalidRecord { field, reason }
}

fn utf8(field: &'static str, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| bad_row(field, format!("stored bytes are not UTF-8: {e}")))
}

fn record_from_row(row: &Row) -> Result<MemoryRecord> {
    let kind: String = row.get(12);
    let kind = match kind.as_str() {
        "lines" => EvictionKind::Lines,
        "inline" => EvictionKind::Inline,
        "ansi" => EvictionKind::Ansi,
        "fold" => EvictionKind::Fold,
        other => return Err(bad_row("kind", format!("unknown kind {other:?}"))),
    };
    let unsigned = |idx: usize, field: &'static str| -> Result<u64> {
        let v: i64 = row.get(idx);
        u64::try_from(v).map_err(|_| bad_row(field, format!("negative value {v}")))
    };
    let message_index = u32::try_from(unsigned(4, "message_index")?)
        .map_err(|_| bad_row("message_index", "out of range".into()))?;
    let decoded: Option<Vec<u8>> = row.get(9);
    Ok(MemoryRecord {
        id: row.get(0),
        tenant: row.get(1),
        session: row.get(2),
        eviction: Eviction {
            transcript_id: row.get(3),
            message_index,
            start: unsigned(5, "start")?,
            end: unsigned(6, "end")?,
            original: utf8("original", row.get(7))?,
            replacement: utf8("replacement", row.get(8))?,
            decoded: decoded.map(|d| utf8("decoded", d)).transpose()?,
            handle: row.get(10),
            hash: row.get(11),
            kind,
        },
        scrubbed: row.get(13),
        created_at_ms: row.get(14),
        expires_at_ms: row.get(15),
    })
}

impl MemoryStore for PostgresStore {
    fn put_batch(&self, records: &[MemoryRecord]) -> Result<PutReport> {
        let (records, scrubbed) = prepare(records, self.scrubber.as_ref(), self.default_ttl)?;
        if records.is_empty() {
            return Ok(PutReport::default());
        }
        self.with_client(|c| {
            let mut tx = c
                .transaction()
                .map_err(MemoryError::pg("starting a write"))?;
            let stmt = tx
                .prepare(&format!(
                    "INSERT INTO kompress_evictions ({COLUMNS}, body) VALUES ($1, $2, $3, $4, \
                     $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                     to_tsvector('simple', $17)) ON CONFLICT (id) DO NOTHING"
                ))
                .map_err(MemoryError::pg("preparing the insert"))?;
            let mut report = PutReport {
                scrubbed,
                ..PutReport::default()
            };
            for r in &records {
                let e = &r.eviction;
                let n = tx
                    .execute(
                        &stmt,
                        &[
                            &r.id,
                            &r.tenant,
                            &r.session,
                            &e.transcript_id,
                            &i64::from(e.message_index),
                            &to_i64("start", e.start)?,
                            &to_i64("end", e.end)?,
                            &e.original.as_bytes(),
                            &e.replacement.as_bytes(),
                            &e.decoded.as_ref().map(|d| d.as_bytes()),
                            &e.handle,
                            &e.hash,
                            &kind_name(e.kind),
                            &r.scrubbed,
                            &r.created_at_ms,
                            &r.expires_at_ms,
                            &index_text(e.text()),
                        ],
                    )
                    .map_err(MemoryError::pg("inserting a record"))?;
                if n == 0 {
                    report.already_present += 1;
                } else {
                    report.inserted += 1;
                }
            }
            tx.commit().map_err(MemoryError::pg("committing a write"))?;
            Ok(report)
        })
    }

    fn get_by_handle(
        &self,
        tenant: &str,
        session: Option<&str>,
        handle: &str,
    ) -> Result<Option<Recalled>> {
        if handle.is_empty() || handle.len() > 64 {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM kompress_evictions WHERE tenant = $1 AND handle = $2 \
             AND ($3::text IS NULL OR session = $3) \
             AND (expires_at_ms IS NULL OR expires_at_ms > $4) \
             ORDER BY created_at_ms DESC, rid DESC LIMIT 1"
        );
        let row = self.with_client(|c| {
            c.query_opt(&sql, &[&tenant, &handle, &session, &now_millis()])
                .map_err(MemoryError::pg("looking up a handle"))
        })?;
        row.map(|r| record_from_row(&r).map(recalled)).transpose()
    }

    fn search(
        &self,
        tenant: &str,
        session: Option<&str>,
        query: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>> {
        let terms = query_terms(query);
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let tsquery = terms
            .iter()
            .map(|t| format!("'{t}'"))
            .collect::<Vec<_>>()
            .join(" | ");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.with_client(|c| {
            c.query(
                "SELECT handle, session, transcript_id, message_index, \
                 coalesce(decoded, original), ts_rank_cd(body, q)::float8 AS score \
                 FROM kompress_evictions, to_tsquery('simple', $1) q \
                 WHERE tenant = $2 AND ($3::text IS NULL OR session = $3) \
                 AND (expires_at_ms IS NULL OR expires_at_ms > $4) AND body @@ q \
                 ORDER BY score DESC, rid LIMIT $5",
                &[&tsquery, &tenant, &session, &now_millis(), &limit],
            )
            .map_err(MemoryError::pg("searching"))
        })?;
        rows.into_iter()
            .map(|r| {
                let idx: i64 = r.get(3);
                Ok(SearchHit {
                    handle: r.get(0),
                    session: r.get(1),
                    transcript_id: r.get(2),
                    message_index: u32::try_from(idx)
                        .map_err(|_| bad_row("message_index", "out of range".into()))?,
                    text: utf8("text", r.get(4))?,
                    score: r.get(5),
                })
            })
            .collect()
    }

    fn transcript_records(&self, tenant: &str, transcript_id: &str) -> Result<Vec<MemoryRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM kompress_evictions WHERE tenant = $1 AND transcript_id = $2 \
             AND (expires_at_ms IS NULL OR expires_at_ms > $3) \
             ORDER BY start_byte, created_at_ms, rid"
        );
        let rows = self.with_client(|c| {
            c.query(&sql, &[&tenant, &transcript_id, &now_millis()])
                .map_err(MemoryError::pg("reading a transcript"))
        })?;
        let records = rows
            .iter()
            .map(record_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(dedupe_ranges(records))
    }

    fn purge_expired(&self, now_ms: i64) -> Result<u64> {
        self.with_client(|c| {
            c.execute(
                "DELETE FROM kompress_evictions \
                 WHERE expires_at_ms IS NOT NULL AND expires_at_ms <= $1",
                &[&now_ms],
            )
            .map_err(MemoryError::pg("purging records"))
        })
    }

    fn stats(&self) -> Result<StoreStats> {
        let row = self.with_client(|c| {
            c.query_one(
                "SELECT count(*), count(DISTINCT tenant), count(*) FILTER (WHERE scrubbed), \
                 coalesce(sum(octet_length(original)), 0)::bigint, \
                 count(*) FILTER (WHERE expires_at_ms <= $1) FROM kompress_evictions",
                &[&now_millis()],
            )
            .map_err(MemoryError::pg("reading stats"))
        })?;
        let n = |i: usize| row.get::<_, i64>(i).max(0) as u64;
        Ok(StoreStats {
            records: n(0),
            tenants: n(1),
            scrubbed: n(2),
            original_bytes: n(3),
            expired: n(4),
        })
    }
}
