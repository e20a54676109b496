//! Chunking and score mapping without a model: pieces are packed by whole lines, over-long lines
//! are split (preferably after whitespace), and piece scores land on the right tokens.

mod common;

use common::tokenize;
use kompress_model::chunk::{chunk_pieces, ScoreMapper};
use kompress_model::Pieces;

/// One piece per whitespace-separated word of `text` (ids are the piece index).
fn word_pieces(text: &str) -> Pieces {
    let mut p = Pieces::default();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                p.ids.push(p.ids.len() as u32 + 10);
                p.offsets.push((s as u32, i as u32));
                start = None;
            }
            _ => {}
        }
    }
    p
}

#[test]
fn lines_are_packed_whole_until_the_budget() {
    let text = "a b c\nd e\nf g h i\n";
    let t = tokenize(text);
    let chunks = chunk_pieces(text, &t.lines, &word_pieces(text), 5, 1, 2);
    let words: Vec<Vec<&str>> = chunks
        .iter()
        .map(|c| {
            c.offsets
                .iter()
                .map(|&(s, e)| &text[s as usize..e as usize])
                .collect()
        })
        .collect();
    assert_eq!(
        words,
        vec![vec!["a", "b", "c", "d", "e"], vec!["f", "g", "h", "i"]]
    );
    assert_eq!(chunks[0].ids.first(), Some(&1));
    assert_eq!(chunks[0].ids.last(), Some(&2));
}

#[test]
fn an_overlong_line_is_split_and_nothing_is_dropped() {
    let text = format!(
        "{}\nshort line\n",
        (0..23)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let t = tokenize(&text);
    let pieces = word_pieces(&text);
    let chunks = chunk_pieces(&text, &t.lines, &pieces, 8, 1, 2);
    assert!(chunks.iter().all(|c| c.offsets.len() <= 8));
    let joined: Vec<(u32, u32)> = chunks.iter().flat_map(|c| c.offsets.clone()).collect();
    assert_eq!(joined, pieces.offsets);
}

#[test]
fn a_line_without_whitespace_is_split_hard() {
    let text = "x".repeat(40);
    let t = tokenize(&text);
    // 4-byte pieces with no whitespace between them
    let pieces = Pieces {
        ids: (0..10).collect(),
        offsets: (0..10).map(|i| (i * 4, i * 4 + 4)).collect(),
    };
    let chunks = chunk_pieces(&text, &t.lines, &pieces, 3, 1, 2);
    let sizes: Vec<usize> = chunks.iter().map(|c| c.offsets.len()).collect();
    assert_eq!(sizes, vec![3, 3, 3, 1]);
}

#[test]
fn piece_scores_map_to_tokens_by_byte_offsets() {
    // tokens: "foo_bar" "(" "x" ")" ; pieces: "foo" "_bar(" "x)"
    let text = "foo_bar(x)";
    let t = tokenize(text);
    assert_eq!(t.tokens.len(), 4);
    let mut m = ScoreMapper::new(&t.tokens);
    m.add(
        &[(0, 3), (3, 8), (8, 10)],
        &[1.0, -2.0, 5.0],
        &[0.1, 0.7, 0.3],
    );
    let s = m.finish();
    // foo_bar: min evict over its two pieces, max span
    assert_eq!(s.token_logits[0], -2.0);
    assert_eq!(s.span_logits[0], 0.7);
    // "(" only overlaps the second piece
    assert_eq!(s.token_logits[1], -2.0);
    assert_eq!((s.token_logits[2], s.token_logits[3]), (5.0, 5.0));
}

#[test]
fn uncovered_tokens_inherit_from_their_line_neighbours() {
    let text = "  ab  cd\n   \n";
    let t = tokenize(text);
    let mut m = ScoreMapper::new(&t.tokens);
    m.add(&[(2, 4), (6, 8)], &[3.0, 4.0], &[0.5, 0.6]);
    let s = m.finish();
    // leading blanks take the first covered token after them; inner blanks the one before
    assert_eq!(s.token_logits, vec![3.0, 3.0, 3.0, 4.0, 0.0]);
}
