//! The kscore metrics on hand-checked examples (same semantics as ../shared/data/kscore.py).

use kompress_eval::ensemble::Vote;
use kompress_eval::metrics::{
    crit_keep, line_keep, line_keep_noansi, ordered_keep, percentile, split_lines,
};

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn crit_keep_needs_one_output_occurrence_per_listed_occurrence() {
    // "foo" is listed twice but appears once: one of its two occurrences counts.
    assert_eq!(crit_keep(&s(&["foo", "foo", "bar"]), "foo bar"), (2, 3));
    assert_eq!(crit_keep(&s(&["foo", "foo", "bar"]), "foo foo bar"), (3, 3));
}

#[test]
fn crit_keep_counts_non_overlapping_occurrences_and_ignores_empty_spans() {
    // "aaa" holds "aa" once without overlap (str.count semantics).
    assert_eq!(crit_keep(&s(&["aa", "aa", ""]), "aaa"), (1, 2));
    assert_eq!(crit_keep(&s(&["aa", "aa"]), "aaaa"), (2, 2));
}

#[test]
fn ordered_keep_matches_greedily_and_a_miss_keeps_the_cursor() {
    // "b" matches at 2 and moves the cursor past it; "a" is then not found after it.
    assert_eq!(ordered_keep(&s(&["b", "a"]), "a b"), (1, 2));
    // A miss ("zz") leaves the cursor, so "c" still matches.
    assert_eq!(ordered_keep(&s(&["a", "zz", "c"]), "a b c"), (2, 3));
}

#[test]
fn line_keep_is_whole_line_count_aware_and_splits_on_every_terminator() {
    assert_eq!(split_lines("x\r\ny\rx\n"), vec!["x", "y", "x"]);
    assert_eq!(line_keep(&s(&["x", "x", "   "]), "x\r\ny\rx\n"), (2, 2));
    // A label inside a longer line does not count.
    assert_eq!(
        line_keep(&s(&["error: boom"]), "note: error: boom\n"),
        (0, 1)
    );
}

#[test]
fn line_keep_noansi_forgives_dropped_colour_codes_only() {
    let labels = s(&["\u{1b}[31mERROR\u{1b}[0m: failed"]);
    assert_eq!(line_keep(&labels, "ERROR: failed\n"), (0, 1));
    assert_eq!(line_keep_noansi(&labels, "ERROR: failed\n"), (1, 1));
    assert_eq!(line_keep_noansi(&labels, "ERROR: fail\n"), (0, 1));
}

#[test]
fn percentile_is_nearest_rank() {
    let xs = [4.0, 1.0, 3.0, 2.0];
    assert_eq!(percentile(&xs, 0.5), Some(2.0));
    assert_eq!(percentile(&xs, 0.95), Some(4.0));
    assert_eq!(percentile(&[], 0.5), None);
}

#[test]
fn vote_rules_parse_and_combine_masks() {
    let a: &[u8] = &[1, 1, 0, 0];
    let b: &[u8] = &[1, 0, 1, 0];
    let c: &[u8] = &[1, 0, 0, 0];
    let and = Vote::parse("and", 3).unwrap();
    let or = Vote::parse("or", 3).unwrap();
    let two = Vote::parse("2-of-3", 3).unwrap();
    assert_eq!(and.combine(&[a, b, c]), vec![1, 0, 0, 0]);
    assert_eq!(or.combine(&[a, b, c]), vec![1, 1, 1, 0]);
    assert_eq!(two.combine(&[a, b, c]), vec![1, 0, 0, 0]);
    assert_eq!(two.name(), "2-of-3");
    assert!(Vote::parse("2-of-4", 3).is_err());
    assert!(Vote::parse("most", 3).is_err());
}
