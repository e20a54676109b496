//! Turns one memory-topic record into a [`MemoryRecord`], or says why it cannot be stored.
//!
//! Two shapes are accepted:
//! - what `kompress stream` produces (`{"version":1,"tenant","session_id","transcript_id",
//!   "eviction":{…}}`): converted with [`MemoryRecord::new`], so the record id is the store's
//!   deterministic id and `created_at_ms` is the Kafka record's timestamp (the same on every
//!   redelivery);
//! - a [`MemoryRecord`] as JSON (what other producers may write): stored unchanged once it
//!   passes the store's checks.

use kompress_core::Eviction;
use kompress_memory::MemoryRecord;
use serde::Deserialize;

use crate::envelope::DeadLetterReason;

/// The processor's eviction record (see `records::MemoryValue`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProcessorRecord {
    version: u32,
    tenant: String,
    session_id: String,
    transcript_id: String,
    eviction: Eviction,
}

/// What to do with one consumed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Store(Box<MemoryRecord>),
    /// A tombstone (no payload) of the compacted memory topic: nothing to store.
    Skip,
    Dead(DeadLetterReason),
}

/// Decodes one payload; `timestamp_ms` is the Kafka record's timestamp, `now_ms` the fallback
/// when the record has none.
pub fn decode(payload: Option<&[u8]>, timestamp_ms: Option<i64>, now_ms: i64) -> Decoded {
    let Some(payload) = payload else {
        return Decoded::Skip;
    };
    let text = match std::str::from_utf8(payload) {
        Ok(t) => t,
        Err(e) => {
            return Decoded::Dead(DeadLetterReason::InvalidUtf8 {
                offset: e.valid_up_to(),
            })
        }
    };
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Decoded::Dead(DeadLetterReason::MalformedJson {
                detail: e.to_string(),
            })
        }
    };
    let Some(obj) = value.as_object() else {
        return schema("a memory record must be a JSON object");
    };
    let record = if obj.contains_key("session_id") || obj.contains_key("version") {
        from_processor(value, timestamp_ms.unwrap_or(now_ms))
    } else if obj.contains_key("id") {
        serde_json::from_value::<MemoryRecord>(value).map_err(|e| DeadLetterReason::Schema {
            detail: format!("not a memory record: {e}"),
        })
    } else {
        Err(DeadLetterReason::Schema {
            detail: "neither an eviction record (version, tenant, session_id, transcript_id, \
                     eviction) nor a memory record (id, tenant, session, eviction, ...)"
                .into(),
        })
    };
    let record = match record {
        Ok(r) => r,
        Err(reason) => return Decoded::Dead(reason),
    };
    match record.check() {
        Ok(()) => Decoded::Store(Box::new(record)),
        Err(e) => Decoded::Dead(DeadLetterReason::InvalidRecord {
            detail: e.to_string(),
        }),
    }
}

fn schema(detail: &str) -> Decoded {
    Decoded::Dead(DeadLetterReason::Schema {
        detail: detail.into(),
    })
}

fn from_processor(
    value: serde_json::Value,
    created_at_ms: i64,
) -> Result<MemoryRecord, DeadLetterReason> {
    let r: ProcessorRecord =
        serde_json::from_value(value).map_err(|e| DeadLetterReason::Schema {
            detail: format!("not an eviction record: {e}"),
        })?;
    if r.version != 1 {
        return Err(DeadLetterReason::Schema {
            detail: format!("eviction record version {} (this sink reads 1)", r.version),
        });
    }
    if r.eviction.transcript_id != r.transcript_id {
        return Err(DeadLetterReason::InvalidRecord {
            detail: format!(
                "transcript_id {:?} differs from the eviction's {:?}",
                r.transcript_id, r.eviction.transcript_id
            ),
        });
    }
    MemoryRecord::new(&r.tenant, &r.session_id, r.eviction, created_at_ms, None).map_err(|e| {
        DeadLetterReason::InvalidRecord {
            detail: e.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kompress_core::{content_hash, EvictionKind};

    fn eviction(tid: &str) -> Eviction {
        Eviction {
            transcript_id: tid.into(),
            message_index: 1,
            start: 10,
            end: 20,
            original: "0123456789".into(),
            replacement: "[…]".into(),
            decoded: None,
            handle: "ab12cd34".into(),
            hash: content_hash("0123456789"),
            kind: EvictionKind::Lines,
        }
    }

    fn processor_json(tenant: &str, tid: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "version": 1, "tenant": tenant, "session_id": "s1", "transcript_id": "t1",
            "eviction": eviction(tid),
        }))
        .unwrap()
    }

    #[test]
    fn processor_records_become_memory_records_with_the_deterministic_id() {
        let Decoded::Store(r) = decode(Some(&processor_json("acme", "t1")), Some(1234), 99) else {
            panic!("not stored");
        };
        assert_eq!(r.tenant, "acme");
        assert_eq!(r.session, "s1");
        assert_eq!(
            r.created_at_ms, 1234,
            "the Kafka timestamp, stable on redelivery"
        );
        assert_eq!(
            r.id,
            kompress_memory::record_id("acme", "s1", &eviction("t1"))
        );
        assert_eq!(r.eviction, eviction("t1"));
        let again = decode(Some(&processor_json("acme", "t1")), Some(1234), 5);
        assert_eq!(again, Decoded::Store(r), "decoding is deterministic");
    }

    #[test]
    fn memory_records_as_json_are_stored_unchanged() {
        let rec = MemoryRecord::new("acme", "s", eviction("t9"), 7, None).unwrap();
        let bytes = serde_json::to_vec(&rec).unwrap();
        assert_eq!(
            decode(Some(&bytes), Some(1), 2),
            Decoded::Store(Box::new(rec))
        );
    }

    #[test]
    fn bad_records_get_a_typed_reason() {
        let mut forged = MemoryRecord::new("acme", "s", eviction("t9"), 7, None).unwrap();
        forged.id = "0".repeat(32);
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"\xff\xfe".to_vec(), "invalid_utf8"),
            (b"{\"version\":1,".to_vec(), "malformed_json"),
            (b"[1,2]".to_vec(), "schema"),
            (b"{\"hello\":1}".to_vec(), "schema"),
            (br#"{"version":1,"tenant":"a"}"#.to_vec(), "schema"),
            (processor_json("", "t1"), "invalid_record"),
            (processor_json("acme", "other"), "invalid_record"),
            (serde_json::to_vec(&forged).unwrap(), "invalid_record"),
        ];
        for (bytes, kind) in cases {
            match decode(Some(&bytes), None, 0) {
                Decoded::Dead(r) => {
                    assert_eq!(r.kind(), kind, "{}", String::from_utf8_lossy(&bytes))
                }
                other => panic!("{}: {other:?}", String::from_utf8_lossy(&bytes)),
            }
        }
    }

    #[test]
    fn tombstones_are_skipped() {
        assert_eq!(decode(None, None, 0), Decoded::Skip);
    }
}
