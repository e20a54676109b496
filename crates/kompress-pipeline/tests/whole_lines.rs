//! Safe mode keeps or evicts whole lines: whatever the pruner says about single tokens, no kept
//! line loses a byte. Ultra mode may cut runs out of kept lines.

use kompress_core::{CompressionConfig, CoreError, Mode, Pruner, PrunerScores, TokenizedText};
use kompress_floor::Floor;
use kompress_pipeline::stages::compress_text_direct;

/// Evicts every other run of 12 tokens and keeps the rest: a pruner that would cut lines.
struct EveryOther;

impl Pruner for EveryOther {
    fn name(&self) -> &str {
        "every-other"
    }

    fn score_batch(&mut self, texts: &[&TokenizedText]) -> Result<Vec<PrunerScores>, CoreError> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut s = PrunerScores::with_len(t.tokens.len());
                for (i, l) in s.token_logits.iter_mut().enumerate() {
                    *l = if (i / 12) % 2 == 0 { 6.0 } else { -6.0 };
                }
                s
            })
            .collect())
    }
}

/// A diff of Rust code: lines an agent may need to quote back exactly.
fn diff() -> String {
    let mut s = String::from("diff --git a/src/txn.rs b/src/txn.rs\n@@ -0,0 +1,40 @@\n");
    for i in 0..40 {
        s.push_str(&format!(
            "+    let (tx_{i}, rx_{i}) = tokio::sync::oneshot::channel::<Result<Batch{i}, Error>>();\n"
        ));
    }
    s
}

fn compress(mode: Mode) -> String {
    let cfg = CompressionConfig {
        mode,
        ..Default::default()
    };
    let (_, r) =
        compress_text_direct(&diff(), &mut EveryOther, &Floor::embedded_default(), &cfg).unwrap();
    r.text
}

#[test]
fn safe_mode_keeps_every_line_whole_or_drops_it_whole() {
    assert!(
        compress(Mode::Ultra).contains("[…ref="),
        "the pruner asks for cuts inside lines"
    );
    let input = diff();
    let out = compress(Mode::Safe);
    for line in out.lines() {
        let is_marker = line.starts_with("[…") && line.contains(" line");
        assert!(
            is_marker || input.lines().any(|l| l == line),
            "a line was cut: {line:?}"
        );
    }
    assert!(
        !out.contains("[…ref="),
        "no in-line marker in safe mode:\n{out}"
    );
}

#[test]
fn ultra_mode_may_cut_runs_out_of_kept_lines() {
    assert!(compress(Mode::Ultra).contains("[…ref="));
}
