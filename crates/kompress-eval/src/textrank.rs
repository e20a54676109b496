//! TextRank (Mihalcea & Tarau, 2004) at line level: lines are the sentences, two lines are
//! linked by their shared words normalised by their lengths, PageRank ranks the lines, and the
//! top lines are kept (in text order) until a share of the tokens is reached.

use std::collections::HashMap;

use kompress_core::{TokenKind, TokenizedText};

/// Words that occur on more lines than this are treated as stop words (they would link every
/// line to every other one and make the graph quadratic).
const MAX_POSTINGS: usize = 64;
const DAMPING: f64 = 0.85;
const ITERATIONS: usize = 30;

/// Distinct lowercase words of each line (word-like tokens only).
fn line_words(doc: &TokenizedText) -> Vec<Vec<String>> {
    let text = &*doc.text;
    (0..doc.lines.len())
        .map(|li| {
            let mut w: Vec<String> = doc
                .tokens_of_line(li)
                .iter()
                .filter(|t| t.kind == TokenKind::Word)
                .map(|t| t.text(text).to_ascii_lowercase())
                .collect();
            w.sort();
            w.dedup();
            w
        })
        .collect()
}

/// PageRank score of every line (0 for lines with no words).
pub fn rank_lines(doc: &TokenizedText) -> Vec<f64> {
    let words = line_words(doc);
    let n = words.len();
    let mut postings: HashMap<&str, Vec<u32>> = HashMap::new();
    for (li, ws) in words.iter().enumerate() {
        for w in ws {
            postings.entry(w.as_str()).or_default().push(li as u32);
        }
    }
    // Shared-word counts per line pair, through the postings of the not-too-common words.
    let mut shared: HashMap<(u32, u32), u32> = HashMap::new();
    for lines in postings
        .values()
        .filter(|l| l.len() > 1 && l.len() <= MAX_POSTINGS)
    {
        for (i, &a) in lines.iter().enumerate() {
            for &b in &lines[i + 1..] {
                *shared.entry((a, b)).or_default() += 1;
            }
        }
    }
    let norm = |li: u32| (words[li as usize].len().max(2) as f64).ln();
    let mut adj: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
    for (&(a, b), &c) in &shared {
        let w = f64::from(c) / (norm(a) + norm(b));
        adj[a as usize].push((b, w));
        adj[b as usize].push((a, w));
    }
    let out_weight: Vec<f64> = adj.iter().map(|e| e.iter().map(|(_, w)| w).sum()).collect();
    let mut score = vec![1.0f64; n];
    for _ in 0..ITERATIONS {
        let mut next = vec![1.0 - DAMPING; n];
        for (a, edges) in adj.iter().enumerate() {
            if out_weight[a] <= 0.0 {
                continue;
            }
            let share = DAMPING * score[a] / out_weight[a];
            for &(b, w) in edges {
                next[b as usize] += share * w;
            }
        }
        score = next;
    }
    for (li, ws) in words.iter().enumerate() {
        if ws.is_empty() {
            score[li] = 0.0;
        }
    }
    score
}

/// Lines to keep: the best-ranked lines (ties by position) until `ratio` of the tokens.
pub fn select_lines(doc: &TokenizedText, ratio: f32) -> Vec<bool> {
    let score = rank_lines(doc);
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
    let budget = (doc.tokens.len() as f64 * f64::from(ratio)).ceil() as usize;
    let mut on = vec![false; score.len()];
    let mut used = 0;
    for li in order {
        if used >= budget {
            break;
        }
        on[li] = true;
        used += doc.token_range_of_line(li).len();
    }
    on
}
