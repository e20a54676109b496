//! The records one input turns into: the compressed envelope, one record per eviction, or a
//! dead letter. Pure functions, so their shape is unit-tested without a broker.

use kompress_core::{Eviction, Format};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::envelope::{DeadLetterReason, Envelope};
use crate::trace::{TraceParent, TRACEPARENT};
use crate::Compressed;

pub const HEADER_ID: &str = "kompress-id";
pub const HEADER_DLQ_REASON: &str = "kompress-dlq-reason";
pub const HEADER_DLQ_DETAIL: &str = "kompress-dlq-detail";

/// Where an input record came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRef {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// A record ready to produce.
#[derive(Debug, Clone, PartialEq)]
pub struct OutRecord {
    pub topic: String,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub headers: Vec<(String, Vec<u8>)>,
}

/// The fingerprint output record ids are made with: the `[compression]` fingerprint, mixed with
/// the compressor's identity when it has one (a compressor of identity 0 keeps the plain
/// `[compression]` fingerprint).
pub fn output_fingerprint(compression: &kompress_core::CompressionConfig, identity: u64) -> u64 {
    let fp = compression.fingerprint();
    if identity == 0 {
        return fp;
    }
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&fp.to_le_bytes());
    b[8..].copy_from_slice(&identity.to_le_bytes());
    xxhash_rust::xxh3::xxh3_64(&b)
}

/// Deterministic id of the records made from one input: the same input (key, partition,
/// offset) under the same settings always gets the same id, so duplicates from an
/// at-least-once redelivery can be dropped downstream.
pub fn record_id(key: Option<&[u8]>, partition: i32, offset: i64, fingerprint: u64) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    match key {
        Some(k) => {
            h.update(&[1]);
            h.update(&(k.len() as u64).to_le_bytes());
            h.update(k);
        }
        None => h.update(&[0]),
    }
    h.update(&partition.to_le_bytes());
    h.update(&offset.to_le_bytes());
    h.update(&fingerprint.to_le_bytes());
    format!("{:032x}", h.digest128())
}

fn headers(id: &str, trace: &TraceParent) -> Vec<(String, Vec<u8>)> {
    vec![
        (HEADER_ID.to_string(), id.as_bytes().to_vec()),
        (TRACEPARENT.to_string(), trace.header_value().into_bytes()),
    ]
}

#[derive(Serialize)]
struct Meta<'a> {
    id: &'a str,
    source: &'a SourceRef,
    compressor: &'a str,
    config_fingerprint: String,
    evictions: usize,
    bytes_in: usize,
    bytes_out: usize,
    tokens_in: u64,
    tokens_out: u64,
}

#[derive(Serialize)]
struct OutEnvelope<'a> {
    version: u32,
    tenant: &'a str,
    session_id: &'a str,
    transcript_id: &'a str,
    format: Format,
    messages: &'a RawValue,
    kompress: Meta<'a>,
}

#[derive(Serialize)]
struct MemoryValue<'a> {
    version: u32,
    tenant: &'a str,
    session_id: &'a str,
    transcript_id: &'a str,
    eviction: &'a Eviction,
}

/// Builds the compressed envelope and the eviction records of one input. Fails (an internal
/// error) only when the compressor returned messages that are not JSON.
#[allow(clippy::too_many_arguments)]
pub fn compressed_records(
    env: &Envelope,
    key: Option<&[u8]>,
    src: &SourceRef,
    out: &Compressed,
    compressor: &str,
    id: &str,
    trace: &TraceParent,
    topics: (&str, &str),
) -> Result<Vec<OutRecord>, serde_json::Error> {
    let messages: &RawValue = serde_json::from_str(&out.messages_json)?;
    let value = OutEnvelope {
        version: 1,
        tenant: &env.tenant,
        session_id: &env.session_id,
        transcript_id: &env.transcript_id,
        format: env.format,
        messages,
        kompress: Meta {
            id,
            source: src,
            compressor,
            config_fingerprint: format!("{:016x}", env.config.fingerprint()),
            evictions: out.evictions.len(),
            bytes_in: env.messages_json.len(),
            bytes_out: out.messages_json.len(),
            tokens_in: out.tokens_in,
            tokens_out: out.tokens_out,
        },
    };
    let mut recs = Vec::with_capacity(1 + out.evictions.len());
    recs.push(OutRecord {
        topic: topics.0.to_string(),
        key: key.map(<[u8]>::to_vec),
        payload: serde_json::to_vec(&value)?,
        headers: headers(id, trace),
    });
    for (i, ev) in out.evictions.iter().enumerate() {
        let mem_key = if ev.handle.is_empty() {
            format!(
                "{}/{}/{}@{}",
                env.tenant, env.session_id, env.transcript_id, ev.start
            )
        } else {
            format!("{}/{}/{}", env.tenant, env.session_id, ev.handle)
        };
        let value = MemoryValue {
            version: 1,
            tenant: &env.tenant,
            session_id: &env.session_id,
            transcript_id: &env.transcript_id,
            eviction: ev,
        };
        recs.push(OutRecord {
            topic: topics.1.to_string(),
            key: Some(mem_key.into_bytes()),
            payload: serde_json::to_vec(&value)?,
            headers: headers(&format!("{id}/e{i}"), trace),
        });
    }
    Ok(recs)
}

/// The dead letter of a bad input: original key and bytes, typed reason in headers.
pub fn dead_letter(
    dlq_topic: &str,
    key: Option<&[u8]>,
    payload: &[u8],
    src: &SourceRef,
    reason: &DeadLetterReason,
    id: &str,
    trace: &TraceParent,
) -> OutRecord {
    let mut h = headers(id, trace);
    h.push((HEADER_DLQ_REASON.into(), reason.kind().as_bytes().to_vec()));
    h.push((HEADER_DLQ_DETAIL.into(), reason.detail().into_bytes()));
    h.push((
        "kompress-source-topic".into(),
        src.topic.as_bytes().to_vec(),
    ));
    h.push((
        "kompress-source-partition".into(),
        src.partition.to_string().into_bytes(),
    ));
    h.push((
        "kompress-source-offset".into(),
        src.offset.to_string().into_bytes(),
    ));
    OutRecord {
        topic: dlq_topic.to_string(),
        key: key.map(<[u8]>::to_vec),
        payload: payload.to_vec(),
        headers: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_id_is_deterministic_and_depends_on_every_part() {
        let a = record_id(Some(b"k"), 1, 7, 42);
        assert_eq!(a, record_id(Some(b"k"), 1, 7, 42));
        assert_ne!(a, record_id(Some(b"k"), 1, 8, 42));
        assert_ne!(a, record_id(Some(b"k"), 2, 7, 42));
        assert_ne!(a, record_id(Some(b"j"), 1, 7, 42));
        assert_ne!(a, record_id(Some(b"k"), 1, 7, 43));
        assert_ne!(record_id(None, 1, 7, 42), record_id(Some(b""), 1, 7, 42));
    }

    #[test]
    fn dead_letter_keeps_original_bytes_and_names_the_reason() {
        let src = SourceRef {
            topic: "in".into(),
            partition: 3,
            offset: 9,
        };
        let reason = DeadLetterReason::InvalidUtf8 { offset: 2 };
        let r = dead_letter(
            "dlq",
            Some(b"k"),
            b"a\xffb",
            &src,
            &reason,
            "id",
            &TraceParent::new_root(),
        );
        assert_eq!(r.payload, b"a\xffb");
        let get = |n: &str| {
            r.headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get(HEADER_DLQ_REASON).unwrap(), b"invalid_utf8");
        assert_eq!(get("kompress-source-offset").unwrap(), b"9");
        assert!(get(TRACEPARENT).is_some());
    }
}
