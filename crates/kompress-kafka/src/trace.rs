//! W3C trace context (`traceparent`) read from and written to Kafka headers.

use rand::RngCore;

pub const TRACEPARENT: &str = "traceparent";

/// A parsed `traceparent`: version 00, 16-byte trace id, 8-byte parent span id, flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceParent {
    pub trace_id: String,
    pub span_id: String,
    pub flags: u8,
}

impl TraceParent {
    /// Parses a header value; `None` for anything that is not a valid version-00 value
    /// (all-zero ids are invalid by the spec).
    pub fn parse(value: &[u8]) -> Option<TraceParent> {
        let s = std::str::from_utf8(value).ok()?.trim();
        let mut parts = s.split('-');
        let (ver, trace, span, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || ver != "00" {
            return None;
        }
        let hex_ok = |p: &str, n: usize| {
            p.len() == n
                && p.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if !hex_ok(trace, 32) || !hex_ok(span, 16) || !hex_ok(flags, 2) {
            return None;
        }
        if trace.bytes().all(|b| b == b'0') || span.bytes().all(|b| b == b'0') {
            return None;
        }
        Some(TraceParent {
            trace_id: trace.to_string(),
            span_id: span.to_string(),
            flags: u8::from_str_radix(flags, 16).ok()?,
        })
    }

    /// A new root trace (sampled) for records that arrive without one.
    pub fn new_root() -> TraceParent {
        let mut rng = rand::thread_rng();
        TraceParent {
            trace_id: hex::encode(rng.gen_bytes::<16>()),
            span_id: hex::encode(rng.gen_bytes::<8>()),
            flags: 1,
        }
    }

    /// The same trace with a new span id: what this processor writes on its outputs.
    pub fn child(&self) -> TraceParent {
        TraceParent {
            trace_id: self.trace_id.clone(),
            span_id: hex::encode(rand::thread_rng().gen_bytes::<8>()),
            flags: self.flags,
        }
    }

    pub fn header_value(&self) -> String {
        format!("00-{}-{}-{:02x}", self.trace_id, self.span_id, self.flags)
    }
}

trait GenBytes {
    fn gen_bytes<const N: usize>(&mut self) -> [u8; N];
}

impl<R: RngCore> GenBytes for R {
    fn gen_bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        self.fill_bytes(&mut b);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_example_and_keeps_the_trace_in_children() {
        let v = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let tp = TraceParent::parse(v).unwrap();
        assert_eq!(tp.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(tp.flags, 1);
        let c = tp.child();
        assert_eq!(c.trace_id, tp.trace_id);
        assert_ne!(c.span_id, tp.span_id);
        assert_eq!(TraceParent::parse(c.header_value().as_bytes()), Some(c));
    }

    #[test]
    fn rejects_malformed_and_all_zero_values() {
        for bad in [
            &b"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"[..],
            b"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            b"00-4bf92f-00f067aa0ba902b7-01",
            b"garbage",
        ] {
            assert!(
                TraceParent::parse(bad).is_none(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
