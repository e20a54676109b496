//! What the upstream says a request cost: the `usage` fields of its answer, read from the
//! response bytes as they pass through (plain JSON or an SSE stream), never changing them.
//!
//! Normalised to uncached input, cache reads, cache writes and output tokens:
//! - Anthropic: `input_tokens` (uncached), `cache_read_input_tokens`,
//!   `cache_creation_input_tokens`, `output_tokens` (streams: `message_start` carries the
//!   input side, `message_delta` the output);
//! - OpenAI Chat Completions: `prompt_tokens` less `prompt_tokens_details.cached_tokens`,
//!   those cached tokens, `completion_tokens` (streams: the last chunk, with
//!   `stream_options.include_usage`);
//! - OpenAI Responses: `input_tokens` less `input_tokens_details.cached_tokens`, the cached
//!   tokens, `output_tokens` (streams: `response.completed`).

use serde_json::Value;

/// Tokens of one upstream answer, by how they are billed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Usage {
    pub uncached: u64,
    pub cache_read: u64,
    pub cache_write: u64,
    pub output: u64,
}

impl Usage {
    pub fn add(&mut self, o: &Usage) {
        self.uncached += o.uncached;
        self.cache_read += o.cache_read;
        self.cache_write += o.cache_write;
        self.output += o.output;
    }

    /// Every input token, however billed.
    pub fn input(&self) -> u64 {
        self.uncached + self.cache_read + self.cache_write
    }

    fn max(&mut self, o: &Usage) {
        self.uncached = self.uncached.max(o.uncached);
        self.cache_read = self.cache_read.max(o.cache_read);
        self.cache_write = self.cache_write.max(o.cache_write);
        self.output = self.output.max(o.output);
    }

    /// One `usage` object, in any of the three APIs' shapes.
    fn from_value(u: &Value) -> Usage {
        let n = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
        if u.get("prompt_tokens").is_some() {
            let cached = u
                .get("prompt_tokens_details")
                .map_or(0, |d| n(d, "cached_tokens"));
            return Usage {
                uncached: n(u, "prompt_tokens").saturating_sub(cached),
                cache_read: cached,
                cache_write: 0,
                output: n(u, "completion_tokens"),
            };
        }
        if let Some(d) = u.get("input_tokens_details") {
            let cached = n(d, "cached_tokens");
            return Usage {
                uncached: n(u, "input_tokens").saturating_sub(cached),
                cache_read: cached,
                cache_write: 0,
                output: n(u, "output_tokens"),
            };
        }
        Usage {
            uncached: n(u, "input_tokens"),
            cache_read: n(u, "cache_read_input_tokens"),
            cache_write: n(u, "cache_creation_input_tokens"),
            output: n(u, "output_tokens"),
        }
    }
}

const KEY: &[u8] = b"\"usage\":";

/// The usage in `bytes` (a JSON answer, or SSE events): every `"usage":` object found,
/// merged field by field (a stream repeats and completes them); `None` when there is none.
pub fn scan(bytes: &[u8]) -> Option<Usage> {
    let mut found = None::<Usage>;
    let mut at = 0;
    while let Some(i) = find(&bytes[at..], KEY) {
        let start = at + i + KEY.len();
        let mut values = serde_json::Deserializer::from_slice(&bytes[start..]).into_iter::<Value>();
        if let Some(Ok(v @ Value::Object(_))) = values.next() {
            found
                .get_or_insert_with(Usage::default)
                .max(&Usage::from_value(&v));
        }
        at = start;
    }
    found
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Bytes kept from each end of an answer: the usage sits near the start (Anthropic's
/// `message_start`) or the end (every final event or JSON body).
const KEEP: usize = 64 << 10;

/// What a [`Tap`] calls once with the usage it found.
type Done = Box<dyn FnOnce(Option<Usage>) + Send>;

/// Watches an answer's bytes pass; on drop (the answer ended or the client went away) calls
/// `done` once with the usage found, if any.
pub struct Tap {
    head: Vec<u8>,
    tail: Vec<u8>,
    done: Option<Done>,
}

impl Tap {
    pub fn new(done: impl FnOnce(Option<Usage>) + Send + 'static) -> Self {
        Tap {
            head: Vec::new(),
            tail: Vec::new(),
            done: Some(Box::new(done)),
        }
    }

    pub fn push(&mut self, chunk: &[u8]) {
        let room = KEEP.saturating_sub(self.head.len());
        self.head.extend_from_slice(&chunk[..room.min(chunk.len())]);
        self.tail.extend_from_slice(chunk);
        if self.tail.len() > 2 * KEEP {
            self.tail.drain(..self.tail.len() - KEEP);
        }
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        let Some(done) = self.done.take() else {
            return;
        };
        let mut u = scan(&self.head);
        if let Some(t) = scan(&self.tail) {
            u.get_or_insert_with(Usage::default).max(&t);
        }
        done(u);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_json_and_stream_usage_are_read() {
        let json = br#"{"id":"m","content":[],"usage":{"input_tokens":12,"cache_read_input_tokens":900,"cache_creation_input_tokens":40,"output_tokens":7}}"#;
        let want = Usage {
            uncached: 12,
            cache_read: 900,
            cache_write: 40,
            output: 7,
        };
        assert_eq!(scan(json), Some(want));
        let sse = concat!(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":12,\"cache_read_input_tokens\":900,\"cache_creation_input_tokens\":40,\"output_tokens\":1}}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"\\\"usage\\\": not json\"}}\n\n",
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":7}}\n\n",
        );
        assert_eq!(scan(sse.as_bytes()), Some(want));
    }

    #[test]
    fn openai_cached_tokens_are_split_from_the_prompt() {
        let chat = br#"{"usage":{"prompt_tokens":1000,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":768}}}"#;
        let responses = br#"data: {"type":"response.completed","response":{"usage":{"input_tokens":1000,"input_tokens_details":{"cached_tokens":768},"output_tokens":5}}}"#;
        let want = Usage {
            uncached: 232,
            cache_read: 768,
            cache_write: 0,
            output: 5,
        };
        assert_eq!(scan(chat), Some(want));
        assert_eq!(scan(responses), Some(want));
        assert_eq!(scan(b"{\"id\":1}"), None);
    }

    #[test]
    fn a_tap_reports_once_when_dropped_even_for_a_long_answer() {
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let g = got.clone();
        let mut tap = Tap::new(move |u| g.lock().unwrap().push(u.unwrap()));
        tap.push(br#"{"choices":[{"message":{"content":""#);
        for _ in 0..1000 {
            tap.push(&[b'x'; 1024]);
        }
        tap.push(br#""}}],"usage":{"prompt_tokens":10,"completion_tokens":2}}"#);
        drop(tap);
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].uncached, got[0].output), (10, 2));
    }
}
