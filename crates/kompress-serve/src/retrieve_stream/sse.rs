//! An incremental Server-Sent Events reader for the streaming retrieve loop: bytes go in as
//! the upstream sends them (split anywhere), complete events come out. It only reads; the
//! proxy keeps the raw bytes itself and forwards those, never a re-encoding of these events.
//!
//! Lines end with LF or CRLF (what OpenAI, Anthropic and every gateway seen send). A stream
//! ending its lines with a lone CR never yields an event here, so the loop never decides to
//! hold it and it passes through unchanged. Comment lines (`:` keep-alives) and fields other
//! than `event` and `data` are skipped; an event without `data` is not dispatched.

/// One dispatched event: its `event:` name (if any) and its `data:` lines joined by `\n`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// Splits a byte stream into events. Holds at most one unfinished line and one unfinished
/// event; the caller bounds how much it feeds.
#[derive(Debug, Default)]
pub struct SseReader {
    line: Vec<u8>,
    event: Option<String>,
    data: Option<String>,
}

impl SseReader {
    /// Feeds the next bytes; returns the events they complete, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        let mut rest = bytes;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&rest[..nl]);
            rest = &rest[nl + 1..];
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if let Some(ev) = self.line_done(&line) {
                out.push(ev);
            }
        }
        self.line.extend_from_slice(rest);
        out
    }

    /// Bytes of an unfinished line held so far.
    pub fn pending(&self) -> usize {
        self.line.len()
    }

    fn line_done(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            let data = self.data.take();
            let event = self.event.take();
            return data.map(|data| SseEvent { event, data });
        }
        if line[0] == b':' {
            return None;
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.find(':') {
            Some(at) => {
                let v = &text[at + 1..];
                (&text[..at], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (&text[..], ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_at_once(s: &str) -> Vec<SseEvent> {
        SseReader::default().push(s.as_bytes())
    }

    #[test]
    fn events_come_out_the_same_however_the_bytes_are_split() {
        let s = "event: message_start\ndata: {\"a\":1}\n\n: keep-alive\n\r\ndata: x\r\ndata: y\r\n\r\ndata: [DONE]\n\n";
        let whole = all_at_once(s);
        assert_eq!(
            whole,
            vec![
                SseEvent {
                    event: Some("message_start".into()),
                    data: "{\"a\":1}".into()
                },
                SseEvent {
                    event: None,
                    data: "x\ny".into()
                },
                SseEvent {
                    event: None,
                    data: "[DONE]".into()
                },
            ]
        );
        for step in 1..8 {
            let mut r = SseReader::default();
            let mut got = Vec::new();
            for piece in s.as_bytes().chunks(step) {
                got.extend(r.push(piece));
            }
            assert_eq!(got, whole, "split every {step} bytes");
        }
    }

    #[test]
    fn an_unfinished_event_is_not_dispatched() {
        let mut r = SseReader::default();
        assert!(r.push(b"data: {\"partial\"").is_empty());
        assert_eq!(r.pending(), 16);
        assert!(r.push(b":1}\n").is_empty(), "no blank line yet");
        assert_eq!(r.push(b"\n")[0].data, "{\"partial\":1}");
    }

    #[test]
    fn comment_only_blocks_and_unknown_fields_dispatch_nothing() {
        assert!(all_at_once(": ping\n\nid: 7\nretry: 10\n\n").is_empty());
        assert_eq!(all_at_once("data\n\n")[0].data, "", "a bare field name");
    }
}
