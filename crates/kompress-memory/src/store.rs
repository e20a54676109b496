//! The one trait every backend implements.

use std::sync::Arc;
use std::time::Duration;

use kompress_core::Eviction;

use crate::record::check_scope;
use crate::{
    record_id, MemoryError, MemoryRecord, PutReport, Recalled, Result, Scrubber, SearchHit,
    StoreStats,
};

/// A tenant-scoped store of evictions. Every read takes the tenant and never returns another
/// tenant's records; records past their expiry are invisible even before they are purged.
///
/// All methods block; from async code use [`put_batch_async`] or `spawn_blocking`.
pub trait MemoryStore: Send + Sync {
    /// Stores the records; a record whose id is already stored is left as it is (idempotent).
    /// Blocks while the write queue is full (backpressure).
    fn put_batch(&self, records: &[MemoryRecord]) -> Result<PutReport>;

    /// The newest live record with this handle in the tenant (and session, when given).
    fn get_by_handle(
        &self,
        tenant: &str,
        session: Option<&str>,
        handle: &str,
    ) -> Result<Option<Recalled>>;

    /// Full-text search over evicted text within the tenant (and session), best first.
    fn search(
        &self,
        tenant: &str,
        session: Option<&str>,
        query: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>>;

    /// Every live record of the transcript in the tenant, ordered by start offset, one per
    /// distinct (range, content hash) even when several sessions stored it.
    fn transcript_records(&self, tenant: &str, transcript_id: &str) -> Result<Vec<MemoryRecord>>;

    /// The evictions of the transcript, ready for [`kompress_core::restore`].
    fn evictions_for_transcript(&self, tenant: &str, transcript_id: &str) -> Result<Vec<Eviction>> {
        Ok(self
            .transcript_records(tenant, transcript_id)?
            .into_iter()
            .map(|r| r.eviction)
            .collect())
    }

    /// Deletes every record whose expiry is at or before `now_ms`; returns how many.
    fn purge_expired(&self, now_ms: i64) -> Result<u64>;

    fn stats(&self) -> Result<StoreStats>;
}

/// `put_batch` from a tokio task without blocking the runtime's workers.
pub async fn put_batch_async(
    store: Arc<dyn MemoryStore>,
    records: Vec<MemoryRecord>,
) -> Result<PutReport> {
    tokio::task::spawn_blocking(move || store.put_batch(&records))
        .await
        .map_err(MemoryError::Join)?
}

/// Runs any store call from async code on tokio's blocking pool: the proxy's recall path
/// (`answer_tool_call`, `retrieve`, `restore_transcript`) goes through this, which also keeps
/// the blocking PostgreSQL client out of the runtime's threads.
pub async fn with_store_blocking<T, F>(store: Arc<dyn MemoryStore>, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&dyn MemoryStore) -> Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(MemoryError::Join)?
}

/// Drops exact duplicates (same range and content hash, stored by several sessions) from
/// records sorted by start offset, keeping the first.
pub(crate) fn dedupe_ranges(records: Vec<MemoryRecord>) -> Vec<MemoryRecord> {
    let mut out: Vec<MemoryRecord> = Vec::with_capacity(records.len());
    for r in records {
        let dup = out
            .iter()
            .rev()
            .take_while(|p| p.eviction.start == r.eviction.start)
            .any(|p| {
                p.eviction.end == r.eviction.end
                    && p.eviction.hash == r.eviction.hash
                    && p.eviction.message_index == r.eviction.message_index
            });
        if !dup {
            out.push(r);
        }
    }
    out
}

/// Turns a free-form query into search terms: runs of letters, digits and `_`, at most 32.
pub(crate) fn query_terms(query: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for t in query.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if !t.is_empty() && !terms.iter().any(|x| x == t) {
            terms.push(t.to_owned());
        }
        if terms.len() == 32 {
            break;
        }
    }
    terms
}

/// Applies the store's scrubber and default TTL to a copy of the batch.
/// Checks each record (scope, range, deterministic id), then applies the store's scrubber and
/// default TTL to a copy of the batch. Returns the copy and how many records were scrubbed.
pub(crate) fn prepare(
    records: &[MemoryRecord],
    scrubber: Option<&Scrubber>,
    default_ttl: Option<Duration>,
) -> Result<(Vec<MemoryRecord>, usize)> {
    let mut scrubbed = 0;
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        check_record(r)?;
        let mut r = r.clone();
        if let Some(s) = scrubber {
            if s.scrub_record(&mut r) {
                scrubbed += 1;
            }
        }
        if r.expires_at_ms.is_none() {
            if let Some(ttl) = default_ttl {
                let ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
                r.expires_at_ms = Some(r.created_at_ms.saturating_add(ms));
            }
        }
        out.push(r);
    }
    Ok((out, scrubbed))
}

/// A record built by hand or read off a topic must still carry its deterministic id, or
/// re-puts would stop being idempotent.
pub(crate) fn check_record(r: &MemoryRecord) -> Result<()> {
    check_scope("tenant", &r.tenant)?;
    check_scope("session", &r.session)?;
    if r.eviction.end < r.eviction.start {
        return Err(MemoryError::InvalidRecord {
            field: "end",
            reason: format!(
                "end {} is before start {}",
                r.eviction.end, r.eviction.start
            ),
        });
    }
    let want = record_id(&r.tenant, &r.session, &r.eviction);
    if r.id != want {
        return Err(MemoryError::InvalidRecord {
            field: "id",
            reason: format!("{:?} is not the record's deterministic id {want:?}", r.id),
        });
    }
    Ok(())
}

pub(crate) fn recalled(r: MemoryRecord) -> Recalled {
    let text = r.text().to_owned();
    Recalled {
        handle: r.eviction.handle,
        session: r.session,
        transcript_id: r.eviction.transcript_id,
        message_index: r.eviction.message_index,
        start: r.eviction.start,
        end: r.eviction.end,
        text,
        original: r.eviction.original,
        scrubbed: r.scrubbed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_terms_drop_operators_and_repeats() {
        assert_eq!(
            query_terms("NullPointerException AND \"x\" OR x* (TimeSeries.java:883)"),
            vec![
                "NullPointerException",
                "AND",
                "x",
                "OR",
                "TimeSeries",
                "java",
                "883"
            ]
        );
        assert!(query_terms("  \"*:()  ").is_empty());
    }
}
