//! The work of each role as plain functions. The actors in [`crate::actors`] own and call these;
//! keeping them plain makes them testable and benchmarkable without a running system.

use kompress_core::{CompressionConfig, GateParams, Mode, PrunerScores, TextKind, TokenizedText};
use kompress_floor::{Floor, FloorMask};
use kompress_rewrite::{
    find_table_folds, fold::find_folds, plan_lines, render_with_rows, LineState, RewriteOptions,
    Rewritten, TableFolds,
};

/// What the gate decided for one text.
#[derive(Debug, Clone)]
pub struct Gated {
    /// Eviction probability per token.
    pub p: Vec<f32>,
    /// 1 = keep.
    pub keep: Vec<u8>,
}

/// Gate parameters for a config: ultra mode evicts at a lower probability.
pub fn gate_params(cfg: &CompressionConfig) -> GateParams {
    let threshold = match cfg.mode {
        Mode::Safe => cfg.threshold,
        Mode::Ultra => (cfg.threshold - 0.1).max(0.05),
    };
    GateParams {
        gamma: cfg.gamma,
        threshold,
        ..GateParams::default()
    }
}

/// The gate: the CPU twin of the fused kernel (kompress_core::gate), bit for bit. With a
/// `target_ratio`, the budget is `keep_count_for_ratio` tokens, the floor's tokens take it first
/// and the rest go to the lowest eviction probabilities (ties by position); without one, the
/// threshold, plus whatever the floor forces.
pub fn gate(
    scores: &PrunerScores,
    floor_bits: &[u32],
    params: &GateParams,
    target_ratio: Option<f32>,
) -> Gated {
    let n = scores.token_logits.len();
    let mut p = vec![0f32; n];
    let mut keep = vec![0u8; n];
    match target_ratio {
        Some(r) => kompress_core::gate::gate_cpu_top_k(
            &scores.token_logits,
            &scores.span_logits,
            floor_bits,
            params,
            kompress_core::gate::keep_count_for_ratio(n, r),
            &mut p,
            &mut keep,
        ),
        None => kompress_core::gate_cpu(
            &scores.token_logits,
            &scores.span_logits,
            floor_bits,
            params,
            &mut p,
            &mut keep,
        ),
    }
    Gated { p, keep }
}

/// What gate and floor decided for one text.
#[derive(Debug, Clone)]
pub struct Decided {
    /// 1 = keep, after the floor widened the gate's choice to whole critical spans.
    pub keep: Vec<u8>,
    /// Lines the pruner put in a coherent span (an error block).
    pub in_block: Vec<bool>,
}

/// The stages between prune ∥ floor scan and the rewriter, in their order, for every caller
/// (the gate actor, explain, the direct path, eval): the gate on the pruner's scores with the
/// floor's forced lines as bits (the keep rule of core's CPU twin), the floor's span widening,
/// then the error-block lines. `mask: None` is the model's choice alone (no floor).
pub fn decide(
    doc: &TokenizedText,
    scores: &PrunerScores,
    mask: Option<&FloorMask>,
    cfg: &CompressionConfig,
) -> Decided {
    let bits = match mask {
        Some(m) => m.line_bits(doc),
        None => vec![0u32; doc.tokens.len().div_ceil(32)],
    };
    let mut keep = gate(scores, &bits, &gate_params(cfg), cfg.target_ratio).keep;
    if let Some(m) = mask {
        m.widen(&mut keep);
    }
    Decided {
        keep,
        in_block: block_lines(doc, scores),
    }
}

/// The rewriter: classify the text, find table folds (template + rows) among the lines that are
/// neither forced by the floor nor in an error block, plan lines (cut inside lines in ultra mode
/// only) with rows kept, hold a protected kind to its `protect_share`, find ultra folds among
/// plain kept lines, render.
pub fn rewrite(
    doc: &TokenizedText,
    keep: &[u8],
    mask: &FloorMask,
    in_block: &[bool],
    cfg: &CompressionConfig,
) -> Rewritten {
    let kind = kompress_stat::classify(doc);
    let n = doc.lines.len();
    // safe mode keeps or evicts whole lines; ultra may also cut runs out of kept lines
    let partial = cfg.mode == Mode::Ultra;
    let line_forced: Vec<bool> = (0..n)
        .map(|li| mask.line_forced.get(li).copied().unwrap_or(false))
        .collect();
    let plain = |li: usize| !line_forced[li] && !in_block.get(li).copied().unwrap_or(false);
    let mut plan = plan_lines(doc, keep, &line_forced, cfg.markers, partial);
    // logs and listings fold instead of dropping; other text folds what the pruner kept
    let rows = if cfg.fold && kind.folds() {
        let fold_all = cfg.fold_evicted || matches!(kind, TextKind::Log | TextKind::Listing);
        let foldable: Vec<bool> = (0..n)
            .map(|li| plain(li) && (fold_all || plan.states[li] == LineState::Keep))
            .collect();
        find_table_folds(doc, &foldable, kind == TextKind::Listing)
    } else {
        TableFolds::default()
    };
    let forced: Vec<bool> = (0..n)
        .map(|li| line_forced[li] || rows.is_row(li))
        .collect();
    if !rows.groups.is_empty() {
        plan = plan_lines(doc, keep, &forced, cfg.markers, partial);
    }
    if kind.is_protected() && over_share(doc, &plan.states, cfg.protect_share) {
        plan = plan_lines(doc, &vec![1u8; keep.len()], &forced, cfg.markers, partial);
    }
    let folds = if cfg.mode == Mode::Ultra {
        let foldable: Vec<bool> = (0..n)
            .map(|li| plan.states[li] == LineState::Keep && plain(li) && !rows.is_row(li))
            .collect();
        find_folds(doc, &foldable)
    } else {
        Vec::new()
    };
    render_with_rows(
        doc,
        &plan,
        keep,
        &folds,
        &rows,
        RewriteOptions {
            markers: cfg.markers,
            strip_ansi: cfg.strip_ansi,
        },
    )
}

/// Whether the plan evicts more than `share` of the text's non-blank lines.
fn over_share(doc: &TokenizedText, states: &[LineState], share: f32) -> bool {
    let text: &str = &doc.text;
    let (mut nonblank, mut evicted) = (0usize, 0usize);
    for (li, s) in states.iter().enumerate() {
        if !doc.lines[li].is_blank(text) {
            nonblank += 1;
            evicted += usize::from(*s == LineState::Evict);
        }
    }
    evicted as f32 > share * nonblank as f32
}

/// Lines the pruner put in a coherent span (error block): any token with a positive span logit.
pub fn block_lines(doc: &TokenizedText, scores: &PrunerScores) -> Vec<bool> {
    (0..doc.lines.len())
        .map(|li| {
            doc.token_range_of_line(li)
                .any(|t| scores.span_logits[t] > 0.0)
        })
        .collect()
}

/// The stages one after the other, each reported to `observe` when done (its name and time):
/// tokenize, prune, floor (scan), decide ([`decide`]: gate and widening), rewrite. The actors
/// run the same functions in the same order, prune and floor scan in parallel.
pub fn run_observed(
    text: &str,
    pruner: &mut dyn kompress_core::Pruner,
    floor: &Floor,
    cfg: &CompressionConfig,
    observe: &mut dyn FnMut(Stage, std::time::Duration),
) -> Result<(TokenizedText, Rewritten), kompress_core::CoreError> {
    let mut timed = |stage: Stage, t: std::time::Instant| observe(stage, t.elapsed());
    let t = std::time::Instant::now();
    let doc = kompress_tokenize::tokenize(text);
    timed(Stage::Tokenize, t);
    let t = std::time::Instant::now();
    let scores = pruner.score_batch(&[&doc])?.pop().unwrap_or_default();
    timed(Stage::Prune, t);
    let t = std::time::Instant::now();
    let mask = floor.mask(&doc);
    timed(Stage::Floor, t);
    let t = std::time::Instant::now();
    let d = decide(&doc, &scores, Some(&mask), cfg);
    timed(Stage::Decide, t);
    let t = std::time::Instant::now();
    let r = rewrite(&doc, &d.keep, &mask, &d.in_block, cfg);
    timed(Stage::Rewrite, t);
    Ok((doc, r))
}

/// A stage of [`run_observed`], in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Tokenize,
    Prune,
    Floor,
    Decide,
    Rewrite,
}

/// Everything in one call, on the current thread (for benchmarks and the CPU fast path).
pub fn compress_text_direct(
    text: &str,
    pruner: &mut dyn kompress_core::Pruner,
    floor: &Floor,
    cfg: &CompressionConfig,
) -> Result<(TokenizedText, Rewritten), kompress_core::CoreError> {
    run_observed(text, pruner, floor, cfg, &mut |_, _| {})
}
