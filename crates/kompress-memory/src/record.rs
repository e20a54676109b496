//! What the store keeps per eviction, and what recall hands back.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kompress_core::Eviction;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{MemoryError, Result};

/// Longest tenant or session name accepted.
pub const MAX_SCOPE_LEN: usize = 256;

/// One stored eviction with its owner and lifetime. Serde-serialisable so a producer can put
/// records on the memory topic and the sink can store them unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryRecord {
    /// Deterministic id (see [`record_id`]): the same eviction put twice is stored once.
    pub id: String,
    pub tenant: String,
    pub session: String,
    pub eviction: Eviction,
    pub created_at_ms: i64,
    /// `None`: kept until deleted by hand.
    pub expires_at_ms: Option<i64>,
    /// Set by the store when the secret scrubber changed the text: such a record no longer
    /// restores byte-exact.
    #[serde(default)]
    pub scrubbed: bool,
}

impl MemoryRecord {
    /// Builds a record for `eviction`, owned by `tenant`/`session`, created at `created_at_ms`
    /// and expiring `ttl` later (never when `ttl` is `None`).
    pub fn new(
        tenant: &str,
        session: &str,
        eviction: Eviction,
        created_at_ms: i64,
        ttl: Option<Duration>,
    ) -> Result<Self> {
        check_scope("tenant", tenant)?;
        check_scope("session", session)?;
        if eviction.end < eviction.start {
            return Err(MemoryError::InvalidRecord {
                field: "end",
                reason: format!("end {} is before start {}", eviction.end, eviction.start),
            });
        }
        let id = record_id(tenant, session, &eviction);
        let expires_at_ms = ttl.map(|t| {
            created_at_ms.saturating_add(i64::try_from(t.as_millis()).unwrap_or(i64::MAX))
        });
        Ok(MemoryRecord {
            id,
            tenant: tenant.to_owned(),
            session: session.to_owned(),
            eviction,
            created_at_ms,
            expires_at_ms,
            scrubbed: false,
        })
    }

    /// The checks `put_batch` makes on every record (tenant/session present and short
    /// enough, range in order, `id` is the deterministic id), so a writer can set a bad record
    /// aside before it makes the store refuse a whole batch.
    pub fn check(&self) -> Result<()> {
        crate::store::check_record(self)
    }

    /// The evicted text as the model saw it (JSON escapes decoded).
    pub fn text(&self) -> &str {
        self.eviction.text()
    }
}

/// Records for a whole batch of evictions, created now.
pub fn records_for(
    tenant: &str,
    session: &str,
    evictions: &[Eviction],
    ttl: Option<Duration>,
) -> Result<Vec<MemoryRecord>> {
    let now = now_millis();
    evictions
        .iter()
        .map(|e| MemoryRecord::new(tenant, session, e.clone(), now, ttl))
        .collect()
}

/// The deterministic record id: SHA-256 over the length-prefixed tenant, session, transcript id,
/// message index, byte range and content hash, first 16 bytes as hex.
pub fn record_id(tenant: &str, session: &str, e: &Eviction) -> String {
    let mut h = Sha256::new();
    for part in [tenant, session, e.transcript_id.as_str(), e.hash.as_str()] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.update(e.message_index.to_le_bytes());
    h.update(e.start.to_le_bytes());
    h.update(e.end.to_le_bytes());
    hex::encode(&h.finalize()[..16])
}

pub(crate) fn check_scope(field: &'static str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(MemoryError::InvalidRecord {
            field,
            reason: "must not be empty".into(),
        });
    }
    if value.len() > MAX_SCOPE_LEN {
        return Err(MemoryError::InvalidRecord {
            field,
            reason: format!("longer than {MAX_SCOPE_LEN} bytes"),
        });
    }
    Ok(())
}

/// Milliseconds since the Unix epoch, by the wall clock.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// What a handle lookup returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recalled {
    pub handle: String,
    pub session: String,
    pub transcript_id: String,
    pub message_index: u32,
    pub start: u64,
    pub end: u64,
    /// The evicted text as the model saw it.
    pub text: String,
    /// The exact bytes of the range in the original container.
    pub original: String,
    pub scrubbed: bool,
}

/// One full-text hit; `score` is higher for better matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub handle: String,
    pub session: String,
    pub transcript_id: String,
    pub message_index: u32,
    pub text: String,
    pub score: f64,
}

/// Outcome of one `put_batch`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PutReport {
    /// Records newly stored.
    pub inserted: usize,
    /// Records whose id was already stored (idempotent re-put).
    pub already_present: usize,
    /// Records the secret scrubber changed before storing.
    pub scrubbed: usize,
}

impl PutReport {
    pub fn merge(&mut self, other: PutReport) {
        self.inserted += other.inserted;
        self.already_present += other.already_present;
        self.scrubbed += other.scrubbed;
    }
}

/// Store-wide counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    pub records: u64,
    pub tenants: u64,
    pub scrubbed: u64,
    /// Sum of the stored original byte lengths.
    pub original_bytes: u64,
    /// Records past their expiry but not purged yet.
    pub expired: u64,
}
