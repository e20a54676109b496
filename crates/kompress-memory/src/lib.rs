//! kompress-memory: the memory spine. Every eviction the rewriter makes is stored here per
//! tenant and session, recallable by its marker handle (`ref=…`) or by full-text query, and a
//! whole transcript rebuilds byte-exact from its compressed form plus the store.
//!
//! Backends: [`SqliteStore`] (embedded default: WAL, one writer thread, FTS5/BM25) and, with
//! the `postgres` feature, `PostgresStore`. Both implement [`MemoryStore`].

pub mod bench;
mod config;
mod error;
#[cfg(feature = "postgres")]
mod postgres;
mod recall;
mod record;
mod scrub;
mod sqlite;
mod store;

pub use config::{open_store, BackendConfig, MemoryConfig};
pub use error::{MemoryError, Result};
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use recall::{
    answer_tool_call, restore_transcript, restore_transcript_report, retrieve,
    retrieve_tool_anthropic, retrieve_tool_openai, RestoredTranscript, ScrubbedRange,
    RETRIEVE_TOOL_NAME, TOOL_ANSWER_MAX_BYTES, TOOL_SEARCH_LIMIT,
};
pub use record::{
    now_millis, record_id, records_for, MemoryRecord, PutReport, Recalled, SearchHit, StoreStats,
    MAX_SCOPE_LEN,
};
pub use scrub::{ScrubConfig, Scrubber, SecretKind};
pub use sqlite::SqliteStore;
pub use store::{put_batch_async, with_store_blocking, MemoryStore};

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn stores_cross_threads() {
        assert_send_sync::<crate::SqliteStore>();
        assert_send_sync::<std::sync::Arc<dyn crate::MemoryStore>>();
    }
}
