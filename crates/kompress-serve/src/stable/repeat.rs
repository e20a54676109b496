//! Repeat elision: agents re-run the same tests, `cat` a file again after each edit and view
//! overlapping ranges of it, so a tool result often repeats, line for line, what an earlier
//! result of the same request already shows. A run of such lines is replaced by one marker
//! line naming how many lines it stands for and where they are
//! (`[…12 lines as in tool result 3 above, ref=…]`); the lines stay visible to the model in
//! that earlier result and retrievable through the marker's handle, and the edit is an
//! ordinary eviction (restorable byte for byte).
//!
//! Prefix stability: what result `i` elides depends only on the results before it and on
//! their usual compression (never on history compaction), so it is the same on every turn
//! that carries result `i`.

use std::collections::HashMap;
use std::sync::Arc;

use kompress_core::{Eviction, Line};
use kompress_pipeline::transcript::Segment;
use serde::{Deserialize, Serialize};

use super::compact::Result1;
use super::edit::{line_run, lines, removed, touched};
use super::Compressed;
use crate::config::bad;
use crate::error::ServeError;

/// `[proxy.repeats]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RepeatConfig {
    pub enabled: bool,
    /// Shortest run of repeated lines that is elided.
    pub min_lines: usize,
    /// Fewest non-blank bytes such a run must hold (a few `}` lines are not worth a marker).
    pub min_bytes: usize,
}

impl Default for RepeatConfig {
    fn default() -> Self {
        RepeatConfig {
            enabled: true,
            min_lines: 3,
            min_bytes: 120,
        }
    }
}

impl RepeatConfig {
    pub fn validate(&self) -> Result<(), ServeError> {
        if self.min_lines == 0 {
            return Err(bad("proxy.repeats.min_lines", "must be at least 1"));
        }
        Ok(())
    }
}

/// Which lines of `text` no edit touches.
fn untouched(lines: &[Line], edits: &[Eviction]) -> Vec<bool> {
    let mut visible = vec![true; lines.len()];
    for ev in edits {
        for i in touched(lines, ev.start as usize, ev.end as usize) {
            visible[i] = false;
        }
    }
    visible
}

/// Adds repeat edits to each tool result's usual edits.
pub(super) fn elide(segments: &[Segment], results: &mut [Result1], p: &RepeatConfig) {
    // line text -> 1-based number of the earliest tool result that shows it
    let mut shown: HashMap<String, usize> = HashMap::new();
    let mut nth = 0usize;
    for (i, seg) in segments.iter().enumerate() {
        if seg.role != "tool" {
            continue;
        }
        nth += 1;
        let text = seg.text.as_str();
        let spans = lines(text);
        let base: &[Eviction] = results[i].0.as_ref().map_or(&[], |c| &c.edits);
        let visible = untouched(&spans, base);
        let mut added = Vec::new();
        if results[i].0.is_some() {
            let mut j = 0;
            while j < spans.len() {
                let at = |j: usize| {
                    visible[j]
                        .then(|| shown.get(spans[j].content(text)).copied())
                        .flatten()
                };
                let Some(from) = at(j) else {
                    j += 1;
                    continue;
                };
                let mut k = j;
                while k < spans.len() && at(k).is_some() {
                    k += 1;
                }
                let solid = text[spans[j].start as usize..spans[k - 1].next as usize]
                    .bytes()
                    .filter(|b| !b.is_ascii_whitespace())
                    .count();
                let n = k - j;
                if n >= p.min_lines && solid >= p.min_bytes {
                    let plural = if n == 1 { "" } else { "s" };
                    added.push(line_run(text, &spans, j..k, |h| {
                        format!("[…{n} line{plural} as in tool result {from} above, ref={h}]")
                    }));
                }
                j = k;
            }
        }
        for (line, seen) in spans.iter().zip(&visible) {
            if *seen {
                shown.entry(line.content(text).to_string()).or_insert(nth);
            }
        }
        if added.is_empty() {
            continue;
        }
        let c = results[i]
            .0
            .as_ref()
            .expect("edits only on compressed results");
        let saved = removed(&added).max(0) as usize;
        let mut edits = c.edits.clone();
        edits.extend(added);
        edits.sort_by_key(|e| e.start);
        results[i].0 = Some(Arc::new(Compressed {
            edits,
            tokens_in: c.tokens_in,
            tokens_out: c.tokens_out.saturating_sub(saved),
            floor_hits: c.floor_hits,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::super::edit::{render, tokens};
    use super::*;
    use kompress_core::{restore, EvictionKind};

    fn seg(i: u32, text: &str) -> Segment {
        Segment {
            message_index: i,
            role: "tool".into(),
            raw: 0..text.len(),
            text: text.into(),
        }
    }

    fn plain(text: &str) -> Result1 {
        let c = Compressed {
            edits: vec![],
            tokens_in: tokens(text),
            tokens_out: tokens(text),
            floor_hits: 0,
        };
        (Some(Arc::new(c)), false)
    }

    fn file(from: usize, to: usize) -> String {
        (from..to)
            .map(|i| format!("{i:>6}\t    value_{i} = compute_something(alpha_{i}, beta_{i})\n"))
            .collect()
    }

    fn output(text: &str, r: &Result1) -> String {
        render(text, &r.0.as_ref().unwrap().edits)
    }

    #[test]
    fn a_range_viewed_again_is_one_marker_naming_the_result_that_shows_it() {
        let first = file(1, 40);
        let again = format!("<returncode>0</returncode>\n{}done\n", file(10, 20));
        let segs = [seg(0, &first), seg(2, &again)];
        let mut res = vec![plain(&first), plain(&again)];
        elide(&segs, &mut res, &RepeatConfig::default());
        assert!(
            res[0].0.as_ref().unwrap().edits.is_empty(),
            "the first view stays whole"
        );
        let out = output(&again, &res[1]);
        assert!(out
            .starts_with("<returncode>0</returncode>\n[…10 lines as in tool result 1 above, ref="));
        assert!(out.ends_with("]\ndone\n"), "{out}");
        let r = res[1].0.as_ref().unwrap();
        assert!(
            r.tokens_out < r.tokens_in / 3,
            "{} of {}",
            r.tokens_out,
            r.tokens_in
        );
        assert_eq!(
            restore(&out, &r.edits).unwrap(),
            again,
            "restorable byte for byte"
        );
    }

    #[test]
    fn short_or_thin_runs_and_changed_lines_stay() {
        let first = "a\n}\n}\n}\nlet x = 1;\n".to_string() + &file(1, 5);
        let again = "}\n}\n}\n".to_string() + &file(1, 2) + "changed line\n" + &file(3, 4);
        let segs = [seg(0, &first), seg(2, &again)];
        let mut res = vec![plain(&first), plain(&again)];
        elide(&segs, &mut res, &RepeatConfig::default());
        assert!(res[1].0.as_ref().unwrap().edits.is_empty());
    }

    #[test]
    fn lines_an_earlier_result_elided_are_not_a_source() {
        let first = file(1, 30);
        let mut hidden = plain(&first);
        let c = hidden.0.as_ref().unwrap();
        let end = first.len() as u64;
        let ev = Eviction {
            transcript_id: String::new(),
            message_index: 0,
            start: 0,
            end,
            original: first.clone(),
            replacement: "[…29 lines, ref=x]\n".into(),
            decoded: None,
            handle: "x".into(),
            hash: String::new(),
            kind: EvictionKind::Lines,
        };
        hidden.0 = Some(Arc::new(Compressed {
            edits: vec![ev],
            tokens_in: c.tokens_in,
            tokens_out: 5,
            floor_hits: 0,
        }));
        let again = file(5, 15);
        let segs = [seg(0, &first), seg(2, &again)];
        let mut res = vec![hidden, plain(&again)];
        elide(&segs, &mut res, &RepeatConfig::default());
        assert!(res[1].0.as_ref().unwrap().edits.is_empty());
    }

    #[test]
    fn the_same_request_elides_the_same_bytes_every_time() {
        let texts = [file(1, 30), file(5, 25), file(20, 40)];
        let segs: Vec<Segment> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| seg(i as u32, t))
            .collect();
        let run = |n: usize| {
            let mut res: Vec<Result1> = texts[..n].iter().map(|t| plain(t)).collect();
            elide(&segs[..n], &mut res, &RepeatConfig::default());
            res.iter()
                .map(|r| r.0.as_ref().unwrap().edits.clone())
                .collect::<Vec<_>>()
        };
        let (two, three) = (run(2), run(3));
        assert_eq!(
            two[..],
            three[..2],
            "a later result never changes an earlier one's edits"
        );
        assert!(!three[2].is_empty());
    }
}
