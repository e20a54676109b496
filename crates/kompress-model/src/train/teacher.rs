//! The teacher: per-token labels for a training record.
//!
//! 1. Line heuristics (tool output without labels). A line is *evictable* when it is blank or
//!    pure decoration (no letter or digit), when its template (digits → `0`, hex runs → `x`,
//!    blanks collapsed) already occurred earlier in the same text (repeats), or when it is a
//!    framework stack frame (JDK / JUnit / build-tool frames, Python stdlib and test-runner
//!    frames). Every other line is kept.
//! 2. External labels (the dev set's training split) replace step 1: critical spans and
//!    critical lines are kept and critical, context lines kept, everything else evictable.
//! 3. Explicit `keep_ranges` / `critical_ranges` (written by `relabel`) replace steps 1-2.
//! 4. The safety floor always wins: tokens of lines it forces (`keep = "line"` categories) are
//!    kept and critical.
//!
//! The span target of a token is 1 when its whole line is kept, so the span head learns which
//! regions are worth keeping as a unit.

use std::collections::HashSet;

use kompress_core::TokenizedText;
use kompress_floor::Floor;
use regex::Regex;

use super::data::{occurrences, Record};

/// Labels aligned with `TokenizedText::tokens`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenLabels {
    pub keep: Vec<bool>,
    pub critical: Vec<bool>,
    pub span: Vec<bool>,
}

pub struct Teacher {
    floor: Floor,
    framework_frame: Regex,
    digits: Regex,
    hex: Regex,
    blanks: Regex,
}

impl Teacher {
    pub fn new(floor: Floor) -> Teacher {
        Teacher {
            floor,
            framework_frame: Regex::new(
                r#"^\s*(at (java|javax|jdk|sun|com\.sun|junit|org\.junit|org\.apache\.tools\.ant|org\.apache\.maven|org\.gradle|org\.testng|kotlin\.coroutines)\.|File "[^"]*(/usr/lib/python3|/_pytest/|/pluggy/|/unittest/|runpy\.py))|^\s*\.\.\. \d+ more\s*$"#,
            )
            .expect("framework frame pattern compiles"),
            digits: Regex::new(r"\d+").expect("digits"),
            hex: Regex::new(r"\b[0-9a-fA-F]{6,}\b").expect("hex"),
            blanks: Regex::new(r"\s+").expect("blanks"),
        }
    }

    pub fn floor(&self) -> &Floor {
        &self.floor
    }

    fn template(&self, line: &str) -> String {
        let t = self.hex.replace_all(line, "x");
        let t = self.digits.replace_all(&t, "0");
        self.blanks.replace_all(t.trim(), " ").into_owned()
    }

    /// Whole-line keep decisions from the heuristics of step 1.
    fn heuristic_lines(&self, doc: &TokenizedText) -> Vec<bool> {
        let mut seen = HashSet::new();
        doc.lines
            .iter()
            .map(|l| {
                let s = l.content(&doc.text);
                let decoration = !s.chars().any(char::is_alphanumeric);
                let repeat = !seen.insert(self.template(s));
                !(decoration || repeat || self.framework_frame.is_match(s))
            })
            .collect()
    }

    pub fn label(&self, rec: &Record, doc: &TokenizedText) -> TokenLabels {
        let n = doc.tokens.len();
        let mut keep = vec![false; n];
        let mut critical = vec![false; n];
        let mut line_keep = vec![false; doc.lines.len()];
        let mark = |ranges: &[(u32, u32)], out: &mut Vec<bool>| {
            for &(s, e) in ranges {
                let mut t = doc.tokens.partition_point(|tok| tok.end <= s);
                while t < n && doc.tokens[t].start < e {
                    out[t] = true;
                    t += 1;
                }
            }
        };
        if let Some(ranges) = &rec.keep_ranges {
            mark(ranges, &mut keep);
            mark(rec.critical_ranges.as_deref().unwrap_or(&[]), &mut critical);
        } else if rec.has_external_labels() {
            let mut crit_ranges = Vec::new();
            for s in rec.critical_spans.iter().flatten() {
                crit_ranges.extend(occurrences(&doc.text, s));
            }
            let wanted = |list: &Option<Vec<String>>| -> HashSet<String> {
                list.iter()
                    .flatten()
                    .map(|l| l.trim_end_matches('\r').to_string())
                    .collect()
            };
            let (crit_lines, ctx_lines) = (wanted(&rec.critical_lines), wanted(&rec.context_lines));
            for (li, l) in doc.lines.iter().enumerate() {
                let content = l.content(&doc.text).trim_end_matches('\r');
                if crit_lines.contains(content) {
                    crit_ranges.push((l.start, l.end));
                    line_keep[li] = true;
                } else if ctx_lines.contains(content) {
                    line_keep[li] = true;
                }
            }
            mark(&crit_ranges, &mut critical);
            mark(&crit_ranges, &mut keep);
        } else {
            line_keep = self.heuristic_lines(doc);
        }
        let mask = self.floor.mask(doc);
        for (li, forced) in mask.line_forced.iter().enumerate() {
            if *forced {
                line_keep[li] = true;
                for t in doc.token_range_of_line(li) {
                    critical[t] = true;
                }
            }
        }
        for (li, &lk) in line_keep.iter().enumerate() {
            if lk {
                for t in doc.token_range_of_line(li) {
                    keep[t] = true;
                }
            }
        }
        for t in 0..n {
            keep[t] |= critical[t];
        }
        // span target: the token's whole line is kept
        let mut span = vec![false; n];
        for li in 0..doc.lines.len() {
            let r = doc.token_range_of_line(li);
            let whole = r.clone().all(|t| keep[t]);
            for t in r {
                span[t] = whole;
            }
        }
        TokenLabels {
            keep,
            critical,
            span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn teach(rec: &Record) -> (TokenizedText, TokenLabels) {
        let doc = kompress_tokenize::tokenize(rec.text.as_str());
        let t = Teacher::new(Floor::embedded_default());
        let l = t.label(rec, &doc);
        (doc, l)
    }

    fn record(text: &str) -> Record {
        Record {
            id: "t".into(),
            source: "test".into(),
            text: text.into(),
            critical_spans: None,
            critical_lines: None,
            context_lines: None,
            keep_ranges: None,
            critical_ranges: None,
            meta: None,
        }
    }

    fn line_kept(doc: &TokenizedText, l: &TokenLabels, line: usize) -> bool {
        doc.token_range_of_line(line).all(|t| l.keep[t])
    }

    #[test]
    fn repeated_templates_and_framework_frames_are_evictable() {
        let text = "Compiling foo v0.1.0\nCompiling foo v0.2.3\n\tat org.junit.Assert.fail(Assert.java:88)\n=====\nsomething unique happened\n";
        let (doc, l) = teach(&record(text));
        assert!(line_kept(&doc, &l, 0));
        assert!(!line_kept(&doc, &l, 1), "same template as line 0");
        assert!(!line_kept(&doc, &l, 2), "JUnit frame");
        assert!(!line_kept(&doc, &l, 3), "decoration");
        assert!(line_kept(&doc, &l, 4));
    }

    #[test]
    fn dev_labels_replace_heuristics_and_mark_critical() {
        let mut r = record("first line\nException: boom here\nnoise\n");
        r.critical_spans = Some(vec!["boom here".into()]);
        let (doc, l) = teach(&r);
        let crit: Vec<&str> = doc
            .tokens
            .iter()
            .zip(&l.critical)
            .filter(|(_, c)| **c)
            .map(|(t, _)| t.text(&doc.text))
            .collect();
        assert!(crit.contains(&"boom") && crit.contains(&"here"));
        assert!(!line_kept(&doc, &l, 0) && !line_kept(&doc, &l, 2));
    }
}
