//! Line scoring: one keep logit per line (higher = more worth keeping) plus error-block
//! membership (the span-coherence signal).
//!
//! The evidence, in order of strength:
//! 1. Error vocabulary and exception headers open an *error block*; indented lines, stack frames,
//!    `Caused by:` and `[ERROR]` lines continue it. Blocks are what a reader of a failed run needs.
//! 2. Stack frames are kept, except a *harness tail*: the run of test-runner and reflection frames
//!    below the last application frame of a trace; and the source listing of a library frame
//!    in a pytest traceback (`crate::pyframes`).
//! 3. Redundancy: a line whose template (digits removed) repeats `n` times loses
//!    `repeat_penalty * ln(n)`; progress/download chatter and INFO/DEBUG lines lose more.
//! 4. The kind of text ([`crate::classify`]) comes first: in a listing, search result, source
//!    file, diff, git log or JSON document every line is an entry the reader asked for, so every
//!    non-blank line is kept; in a log every line is kept too, and runs of one template are
//!    folded by the rewriter into rows that keep each parameter (logs fold; they do not drop).
//!    Only other text (build and test output, traces, prose) is pruned by the rules above.

use std::collections::HashMap;

use kompress_core::{TextKind, TokenizedText};

use crate::lines::{clean_line, facts, FrameKind, Level, LineFacts};
use crate::signals::{Severity, Signals};
use crate::StatConfig;

#[derive(Debug, Clone, Default)]
pub struct LineScores {
    pub keep: Vec<f32>,
    pub block: Vec<bool>,
    pub harness_tail: Vec<bool>,
}

pub fn score_lines(doc: &TokenizedText, cfg: &StatConfig, signals: &Signals) -> LineScores {
    let n = doc.lines.len();
    let mut buf = Vec::with_capacity(256);
    let mut fs: Vec<LineFacts> = Vec::with_capacity(n);
    let mut sev = Vec::with_capacity(n);
    let mut harness = Vec::with_capacity(n);
    let mut templates: HashMap<u64, u32> = HashMap::with_capacity(n / 2 + 1);
    let mut shapes: HashMap<u64, u32> = HashMap::new();
    let (mut nonblank, mut logish) = (0usize, 0usize);
    for i in 0..n {
        clean_line(doc, i, &mut buf);
        let f = facts(&buf);
        sev.push(if f.blank {
            Severity::None
        } else {
            signals.severity(&buf)
        });
        harness.push(
            f.frame == FrameKind::Frame && {
                let name = &buf[f.frame_name_hash_start.min(buf.len())..];
                cfg.harness_frames
                    .iter()
                    .any(|p| name.starts_with(p.as_bytes()))
                    || cfg.harness_locations.iter().any(|p| {
                        let p = p.as_bytes();
                        !p.is_empty() && buf.windows(p.len()).any(|w| w == p)
                    })
            },
        );
        if !f.blank {
            nonblank += 1;
            if f.prefixed || f.level != Level::None {
                logish += 1;
            }
            *templates.entry(f.template).or_insert(0) += 1;
            if f.level != Level::None {
                *shapes.entry(f.shape).or_insert(0) += 1;
            }
        }
        fs.push(f);
    }
    let is_log = nonblank > 0 && logish * 10 >= nonblank * 3;
    let kind = crate::classify(doc);

    let block = error_blocks(&fs, &sev);
    let warn_cont = warning_continuations(&fs, &sev);
    let mut harness_tail = harness_tails(&fs, &harness, cfg.min_harness_tail);
    // library source listings in pytest tracebacks go the way of harness tails
    for (h, lib) in harness_tail
        .iter_mut()
        .zip(crate::pyframes::library_listings(doc, &cfg.library_paths))
    {
        *h |= lib;
    }

    let mut keep = Vec::with_capacity(n);
    for i in 0..n {
        let f = &fs[i];
        let k = if f.blank {
            -1.0
        } else if harness_tail[i] {
            -3.0
        } else if f.frame != FrameKind::NotAFrame {
            2.5
        } else if f.exception_header {
            5.0
        } else {
            let mut k = if is_log {
                cfg.log_line_keep
            } else {
                cfg.base_keep
            };
            let reps = templates.get(&f.template).copied().unwrap_or(1).max(1) as f32;
            k -= cfg.repeat_penalty * reps.ln();
            if f.chatter {
                k -= 1.5;
            }
            if matches!(f.level, Level::Info | Level::Debug | Level::Trace) {
                k -= 0.8;
                if shapes.get(&f.shape).copied().unwrap_or(0) >= 8 {
                    k -= 0.5;
                }
            }
            k = match sev[i] {
                Severity::Strong => k.max(0.0) + 4.0,
                Severity::Medium => k.max(0.0) + 1.2,
                Severity::None => k,
            };
            match f.level {
                Level::Error => k.max(0.0) + 2.0,
                Level::Warn => k.max(0.0) + 0.8,
                _ => k,
            }
        };
        // inside an error block nothing but a harness tail or a blank line is evictable,
        // however often it repeats: repeated failures are still failures
        let k = if block[i] && !harness_tail[i] && !f.blank {
            k.max(1.0)
        } else {
            k
        };
        let k = if warn_cont[i] && !harness_tail[i] {
            k.max(0.5)
        } else {
            k
        };
        let k = match kind {
            _ if f.blank => k,
            k2 if k2.is_protected() => k.max(2.0),
            TextKind::Log => k.max(0.3),
            _ => k,
        };
        keep.push(k);
    }
    // what was running when a block started
    for i in 0..n {
        if block[i] && (i == 0 || !block[i - 1]) {
            let mut j = i;
            let mut left = cfg.context_before;
            while left > 0 && j > 0 {
                j -= 1;
                if fs[j].blank {
                    continue;
                }
                if !fs[j].chatter && !harness_tail[j] {
                    keep[j] = keep[j].max(0.5);
                }
                left -= 1;
            }
        }
    }
    // frames of a trace and the lines explaining a warning are coherent spans too: never
    // folded, never split
    let block: Vec<bool> = (0..n)
        .map(|i| {
            block[i] || warn_cont[i] || (fs[i].frame != FrameKind::NotAFrame && !harness_tail[i])
        })
        .collect();
    LineScores {
        keep,
        block,
        harness_tail,
    }
}

/// Error blocks: opened by a strong signal or an exception header, continued by frames,
/// indented lines, error-level lines and further strong signals; closed by anything else.
fn error_blocks(fs: &[LineFacts], sev: &[Severity]) -> Vec<bool> {
    let mut block = vec![false; fs.len()];
    let mut open = false;
    for (i, f) in fs.iter().enumerate() {
        let opens = sev[i] == Severity::Strong || f.exception_header;
        let continues = !f.blank
            && (f.frame != FrameKind::NotAFrame || f.indented || f.level == Level::Error || opens);
        open = if open { continues } else { opens };
        block[i] = open;
    }
    block
}

/// Indented lines right after a warning (or any signal) line explain it (`symbol:`,
/// `location:`, type-variable notes); they are kept with it.
fn warning_continuations(fs: &[LineFacts], sev: &[Severity]) -> Vec<bool> {
    let mut cont = vec![false; fs.len()];
    let mut open = false;
    for (i, f) in fs.iter().enumerate() {
        if open
            && !f.blank
            && f.indented
            && f.level == Level::None
            && f.frame == FrameKind::NotAFrame
        {
            cont[i] = true;
            continue;
        }
        open = sev[i] != Severity::None || matches!(f.level, Level::Warn | Level::Error);
    }
    cont
}

/// Marks harness tails: within each maximal run of frame lines, the frames after the last
/// application (non-harness) frame, when there are at least `min` of them.
fn harness_tails(fs: &[LineFacts], harness: &[bool], min: usize) -> Vec<bool> {
    let n = fs.len();
    let mut tail = vec![false; n];
    let mut i = 0;
    while i < n {
        if fs[i].frame == FrameKind::NotAFrame {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < n && fs[j].frame != FrameKind::NotAFrame {
            j += 1;
        }
        // frames i..j; walk back over harness frames and "... N more" lines
        let mut k = j;
        while k > i && (harness[k - 1] || fs[k - 1].frame == FrameKind::More) {
            k -= 1;
        }
        let harness_count = (k..j).filter(|&x| harness[x]).count();
        if harness_count >= min {
            tail[k..j].iter_mut().for_each(|t| *t = true);
        }
        i = j;
    }
    tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use kompress_tokenize::tokenize;

    fn score(t: &str) -> LineScores {
        score_lines(&tokenize(t), &StatConfig::default(), &Signals::new())
    }

    #[test]
    fn harness_tail_is_evictable_but_application_frames_are_kept() {
        let t = "java.lang.IllegalStateException: boom\n\
                 \tat org.jfree.Foo.bar(Foo.java:12)\n\
                 \tat org.jfree.FooTest.testBar(FooTest.java:40)\n\
                 \tat sun.reflect.NativeMethodAccessorImpl.invoke0(Native Method)\n\
                 \tat java.lang.reflect.Method.invoke(Method.java:498)\n\
                 \tat junit.framework.TestCase.runTest(TestCase.java:176)\n";
        let s = score(t);
        assert!(s.keep[0] > 0.0 && s.keep[1] > 0.0 && s.keep[2] > 0.0);
        assert!(s.keep[3] < 0.0 && s.keep[4] < 0.0 && s.keep[5] < 0.0);
        assert!(s.block.iter().all(|b| *b));
    }

    #[test]
    fn node_internal_frames_below_the_last_application_frame_are_a_harness_tail() {
        let t = "AssertionError [ERR_ASSERTION]: mean of 1..4\n\
                 \x20   at mean (/app/src/stats.js:6:8)\n\
                 \x20   at Object.<anonymous> (/app/test.js:9:3)\n\
                 \x20   at Module._compile (node:internal/modules/cjs/loader:1521:14)\n\
                 \x20   at Module.load (node:internal/modules/cjs/loader:1266:32)\n\
                 \x20   at Promise.then (/app/node_modules/jest-circus/build/utils.js:298:28)\n";
        let s = score(t);
        assert!(s.keep[..3].iter().all(|k| *k > 0.0), "{:?}", s.keep);
        assert!(s.keep[3..].iter().all(|k| *k < 0.0), "{:?}", s.keep);
    }

    #[test]
    fn harness_frames_between_application_frames_are_kept() {
        let t = "java.io.IOException: disk\n\
                 \tat spoon.Out.write(Out.java:1)\n\
                 \tat sun.reflect.NativeMethodAccessorImpl.invoke0(Native Method)\n\
                 \tat java.lang.reflect.Method.invoke(Method.java:498)\n\
                 \tat org.codehaus.plexus.Launcher.main(Launcher.java:356)\n";
        let s = score(t);
        assert!(s.keep.iter().all(|k| *k > 0.0), "{:?}", s.keep);
    }

    #[test]
    fn log_chatter_is_evicted_and_errors_kept() {
        let mut t = String::new();
        for i in 0..30 {
            t.push_str(&format!(
                "[INFO] Downloading from central: https://repo/x/{i}/a-{i}.pom\n"
            ));
        }
        t.push_str(
            "[INFO] BUILD FAILURE\n[ERROR] Failed to execute goal compile: Compilation failure\n",
        );
        let s = score(&t);
        assert!(s.keep[..30].iter().all(|k| *k < 0.0));
        assert!(s.keep[30] > 0.0 && s.keep[31] > 0.0);
    }

    #[test]
    fn unique_prose_lines_are_kept() {
        let s = score("The cache was rebuilt.\nAll users migrated to v2.\n");
        assert!(s.keep.iter().all(|k| *k > 0.0));
    }
}
