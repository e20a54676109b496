//! The versioned input envelope: parsed, validated against the JSON Schema in
//! `deploy/schema/`, with the messages array kept as the exact input bytes.

use std::sync::OnceLock;

use kompress_core::{CompressionConfig, Format};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::KafkaError;

/// The schema the processor validates against (compiled in, so the binary and the file
/// can never disagree).
pub const ENVELOPE_SCHEMA: &str =
    include_str!("../../../deploy/schema/transcript-envelope.v1.schema.json");

/// Why a record was dead-lettered. `kind()` is the `kompress-dlq-reason` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadLetterReason {
    InvalidUtf8 {
        offset: usize,
    },
    MalformedJson {
        detail: String,
    },
    Schema {
        detail: String,
    },
    Oversized {
        size: usize,
        limit: usize,
    },
    CompressInput {
        kind: String,
        detail: String,
    },
    /// A memory-topic record that parses but that the store would refuse (empty tenant,
    /// range out of order, id that is not the deterministic id).
    InvalidRecord {
        detail: String,
    },
}

impl DeadLetterReason {
    pub fn kind(&self) -> &'static str {
        match self {
            DeadLetterReason::InvalidUtf8 { .. } => "invalid_utf8",
            DeadLetterReason::MalformedJson { .. } => "malformed_json",
            DeadLetterReason::Schema { .. } => "schema",
            DeadLetterReason::Oversized { .. } => "oversized",
            DeadLetterReason::CompressInput { .. } => "compress_input",
            DeadLetterReason::InvalidRecord { .. } => "invalid_record",
        }
    }

    pub fn detail(&self) -> String {
        match self {
            DeadLetterReason::InvalidUtf8 { offset } => {
                format!("invalid UTF-8 byte at offset {offset}")
            }
            DeadLetterReason::MalformedJson { detail }
            | DeadLetterReason::Schema { detail }
            | DeadLetterReason::InvalidRecord { detail } => detail.clone(),
            DeadLetterReason::Oversized { size, limit } => {
                format!("record of {size} bytes exceeds the limit of {limit} bytes")
            }
            DeadLetterReason::CompressInput { kind, detail } => format!("{kind}: {detail}"),
        }
    }
}

#[derive(Deserialize)]
struct RawEnvelope<'a> {
    #[allow(dead_code)]
    version: u32,
    tenant: String,
    session_id: String,
    transcript_id: String,
    #[serde(default)]
    format: Option<Format>,
    #[serde(borrow)]
    messages: &'a RawValue,
    #[serde(default)]
    compression: Option<serde_json::Value>,
}

/// A validated input record.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub tenant: String,
    pub session_id: String,
    pub transcript_id: String,
    pub format: Format,
    /// The `messages` array exactly as it was in the input bytes.
    pub messages_json: String,
    /// The processor's settings with the record's `compression` overrides applied.
    pub config: CompressionConfig,
}

fn validator() -> Result<&'static jsonschema::Validator, KafkaError> {
    static V: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    V.get_or_init(|| {
        let schema: serde_json::Value =
            serde_json::from_str(ENVELOPE_SCHEMA).map_err(|e| e.to_string())?;
        jsonschema::validator_for(&schema).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|reason| KafkaError::Schema {
        reason: reason.clone(),
    })
}

/// Compiles the schema once; call at start-up so a broken schema fails fast.
pub fn check_schema() -> Result<(), KafkaError> {
    validator().map(|_| ())
}

/// Parses and validates one record payload. `Ok(Err(reason))` means the record is bad and
/// goes to the DLQ; `Err` is an internal failure.
pub fn parse(
    payload: &[u8],
    max_bytes: usize,
    defaults: &CompressionConfig,
) -> Result<Result<Envelope, DeadLetterReason>, KafkaError> {
    if payload.len() > max_bytes {
        return Ok(Err(DeadLetterReason::Oversized {
            size: payload.len(),
            limit: max_bytes,
        }));
    }
    let text = match std::str::from_utf8(payload) {
        Ok(t) => t,
        Err(e) => {
            return Ok(Err(DeadLetterReason::InvalidUtf8 {
                offset: e.valid_up_to(),
            }))
        }
    };
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Ok(Err(DeadLetterReason::MalformedJson {
                detail: e.to_string(),
            }))
        }
    };
    if let Some(err) = validator()?.iter_errors(&value).next() {
        let at = err.instance_path.to_string();
        let at = if at.is_empty() { "/".to_string() } else { at };
        return Ok(Err(DeadLetterReason::Schema {
            detail: format!("at {at}: {err}"),
        }));
    }
    let raw: RawEnvelope<'_> = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            return Ok(Err(DeadLetterReason::Schema {
                detail: e.to_string(),
            }))
        }
    };
    let config = match apply_overrides(defaults, raw.compression) {
        Ok(c) => c,
        Err(detail) => return Ok(Err(DeadLetterReason::Schema { detail })),
    };
    Ok(Ok(Envelope {
        tenant: raw.tenant,
        session_id: raw.session_id,
        transcript_id: raw.transcript_id,
        format: raw.format.unwrap_or(Format::Auto),
        messages_json: raw.messages.get().to_string(),
        config,
    }))
}

fn apply_overrides(
    defaults: &CompressionConfig,
    overrides: Option<serde_json::Value>,
) -> Result<CompressionConfig, String> {
    let Some(serde_json::Value::Object(over)) = overrides else {
        return Ok(defaults.clone());
    };
    let mut merged = match serde_json::to_value(defaults) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => return Err("default compression settings do not serialise".into()),
    };
    merged.extend(over);
    let cfg: CompressionConfig =
        serde_json::from_value(serde_json::Value::Object(merged)).map_err(|e| e.to_string())?;
    cfg.validate().map_err(|e| e.to_string())?;
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"version":1,"tenant":"acme","session_id":"s1","transcript_id":"t1",
        "format":"openai","messages":[ {"role":"user","content":"hi\nthere"} ],
        "compression":{"mode":"ultra"}}"#;

    fn parse_ok(s: &str) -> Result<Envelope, DeadLetterReason> {
        parse(s.as_bytes(), 1 << 20, &CompressionConfig::default()).unwrap()
    }

    #[test]
    fn keeps_the_messages_bytes_exactly_and_applies_overrides() {
        let env = parse_ok(GOOD).unwrap();
        assert_eq!(
            env.messages_json,
            r#"[ {"role":"user","content":"hi\nthere"} ]"#
        );
        assert_eq!(env.config.mode, kompress_core::Mode::Ultra);
        assert_eq!(env.format, Format::OpenAi);
    }

    #[test]
    fn each_kind_of_bad_record_gets_its_own_reason() {
        let cases: [(&[u8], &str); 5] = [
            (b"{\"version\":1,\xff}", "invalid_utf8"),
            (b"{\"version\":1,", "malformed_json"),
            (br#"{"version":2,"tenant":"a","session_id":"s","transcript_id":"t","messages":[]}"#, "schema"),
            (br#"{"version":1,"tenant":"a","session_id":"s","transcript_id":"t","messages":[{"content":"x"}]}"#, "schema"),
            (br#"{"version":1,"tenant":"a","session_id":"s","transcript_id":"t","messages":[],"compression":{"threshold":2}}"#, "schema"),
        ];
        for (bytes, kind) in cases {
            let r = parse(bytes, 1 << 20, &CompressionConfig::default()).unwrap();
            assert_eq!(
                r.unwrap_err().kind(),
                kind,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
        let big = parse(GOOD.as_bytes(), 10, &CompressionConfig::default()).unwrap();
        assert_eq!(big.unwrap_err().kind(), "oversized");
    }

    #[test]
    fn schema_violation_names_where_it_is() {
        let s = r#"{"version":1,"tenant":"a","session_id":"s","transcript_id":"t","messages":[{"role":5}]}"#;
        let r = parse_ok(s).unwrap_err();
        assert!(r.detail().contains("/messages/0/role"), "{}", r.detail());
    }
}
