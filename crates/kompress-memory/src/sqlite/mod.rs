//! SQLite backend: one writer thread, a pool of read-only connections, WAL so reads never
//! wait for writes, FTS5 with BM25 ranking for full-text recall.

mod fts;
mod schema;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use crate::store::{dedupe_ranges, prepare, query_terms, recalled};
use crate::{
    now_millis, BackendConfig, MemoryConfig, MemoryError, MemoryRecord, MemoryStore, PutReport,
    Recalled, Result, Scrubber, SearchHit, StoreStats,
};
use schema::{open_reader, open_writer, record_from_row, RECORD_COLUMNS};
use writer::Writer;

/// The embedded store.
pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    readers: Mutex<Vec<Connection>>,
    max_readers: usize,
    scrubber: Option<Scrubber>,
    default_ttl: Option<Duration>,
}

impl SqliteStore {
    /// Opens (creating when missing) the database named by a SQLite backend config.
    pub fn open(config: &MemoryConfig) -> Result<SqliteStore> {
        config.validate()?;
        let BackendConfig::Sqlite {
            path,
            readers,
            write_queue,
        } = &config.backend
        else {
            return Err(MemoryError::Config {
                field: "backend.kind",
                reason: "SqliteStore::open needs a sqlite backend".into(),
            });
        };
        let conn = open_writer(path)?;
        Ok(SqliteStore {
            path: path.clone(),
            writer: Writer::spawn(conn, *write_queue)?,
            readers: Mutex::new(Vec::new()),
            max_readers: *readers,
            scrubber: Scrubber::from_config(&config.scrub),
            default_ttl: config.default_ttl(),
        })
    }

    /// Opens a store at `path` with default settings (no scrubber, no default TTL).
    pub fn open_path(path: impl AsRef<Path>) -> Result<SqliteStore> {
        SqliteStore::open(&MemoryConfig::sqlite(path.as_ref()))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs SQLite's integrity check on the database and its FTS index; `Ok(())` when sound.
    pub fn check_integrity(&self) -> Result<()> {
        self.with_reader(|c| {
            let verdict: String = c
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .map_err(MemoryError::sqlite("running the integrity check"))?;
            if verdict != "ok" {
                return Err(MemoryError::InvalidRecord {
                    field: "database",
                    reason: format!("integrity check: {verdict}"),
                });
            }
            Ok(())
        })
    }

    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.lock_readers().pop();
        let conn = match pooled {
            Some(c) => c,
            None => open_reader(&self.path)?,
        };
        let out = f(&conn);
        let mut idle = self.lock_readers();
        if idle.len() < self.max_readers {
            idle.push(conn);
        }
        out
    }

    fn lock_readers(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // A panic while a reader was checked out leaves the pool itself consistent.
        self.readers.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl MemoryStore for SqliteStore {
    fn put_batch(&self, records: &[MemoryRecord]) -> Result<PutReport> {
        let (records, scrubbed) = prepare(records, self.scrubber.as_ref(), self.default_ttl)?;
        if records.is_empty() {
            return Ok(PutReport::default());
        }
        self.writer.put(records, scrubbed)
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
            "SELECT {RECORD_COLUMNS} FROM evictions WHERE tenant = ?1 AND handle = ?2 \
             AND (?3 IS NULL OR session = ?3) AND (expires_at_ms IS NULL OR expires_at_ms > ?4) \
             ORDER BY created_at_ms DESC, rowid DESC LIMIT 1"
        );
        let now = now_millis();
        let rec = self.with_reader(|c| {
            let mut stmt = c
                .prepare_cached(&sql)
                .map_err(MemoryError::sqlite("preparing the handle lookup"))?;
            stmt.query_row(params![tenant, handle, session, now], record_from_row)
                .optional()
                .map_err(MemoryError::sqlite("looking up a handle"))
        })?;
        Ok(rec.map(recalled))
    }

    fn search(
        &self,
        tenant: &str,
        session: Option<&str>,
        query: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>> {
        let terms: Vec<String> = query_terms(query);
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let fts_query = fts::match_expr(tenant, session, &terms);
        let now = now_millis();
        // Ranked inside FTS5 among the scope's rows; the outer filter re-checks tenant and
        // session exactly (isolation never rests on the index tags) and drops expired rows,
        // which the inner over-fetch leaves room for.
        let inner = i64::try_from(limit.saturating_mul(2).saturating_add(32)).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_reader(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT e.handle, e.session, e.transcript_id, e.message_index, \
                     coalesce(e.decoded, e.original), f.score \
                     FROM (SELECT rowid, bm25(evictions_fts, 1.0, 0.0) AS score \
                           FROM evictions_fts WHERE evictions_fts MATCH ?1 \
                           ORDER BY score LIMIT ?6) AS f \
                     JOIN evictions e ON e.rowid = f.rowid \
                     WHERE e.tenant = ?2 AND (?3 IS NULL OR e.session = ?3) \
                     AND (e.expires_at_ms IS NULL OR e.expires_at_ms > ?4) \
                     ORDER BY f.score LIMIT ?5",
                )
                .map_err(MemoryError::sqlite("preparing the search"))?;
            let rows = stmt
                .query_map(
                    params![fts_query, tenant, session, now, limit, inner],
                    |r| {
                        Ok(SearchHit {
                            handle: r.get(0)?,
                            session: r.get(1)?,
                            transcript_id: r.get(2)?,
                            message_index: r.get(3)?,
                            text: r.get(4)?,
                            score: -r.get::<_, f64>(5)?,
                        })
                    },
                )
                .map_err(MemoryError::sqlite("searching"))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(MemoryError::sqlite("reading search hits"))
        })
    }

    fn transcript_records(&self, tenant: &str, transcript_id: &str) -> Result<Vec<MemoryRecord>> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM evictions WHERE tenant = ?1 AND transcript_id = ?2 \
             AND (expires_at_ms IS NULL OR expires_at_ms > ?3) \
             ORDER BY start_byte, created_at_ms, rowid"
        );
        let now = now_millis();
        let records = self.with_reader(|c| {
            let mut stmt = c
                .prepare_cached(&sql)
                .map_err(MemoryError::sqlite("preparing the transcript query"))?;
            let rows = stmt
                .query_map(params![tenant, transcript_id, now], record_from_row)
                .map_err(MemoryError::sqlite("reading a transcript"))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(MemoryError::sqlite("reading transcript records"))
        })?;
        Ok(dedupe_ranges(records))
    }

    fn purge_expired(&self, now_ms: i64) -> Result<u64> {
        self.writer.purge(now_ms)
    }

    fn stats(&self) -> Result<StoreStats> {
        let now = now_millis();
        self.with_reader(|c| {
            c.query_row(
                "SELECT count(*), count(DISTINCT tenant), coalesce(sum(scrubbed), 0), \
                 coalesce(sum(length(CAST(original AS BLOB))), 0), \
                 coalesce(sum(expires_at_ms IS NOT NULL AND expires_at_ms <= ?1), 0) \
                 FROM evictions",
                params![now],
                |r| {
                    let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
                    Ok(StoreStats {
                        records: n(0)?,
                        tenants: n(1)?,
                        scrubbed: n(2)?,
                        original_bytes: n(3)?,
                        expired: n(4)?,
                    })
                },
            )
            .map_err(MemoryError::sqlite("reading stats"))
        })
    }
}
