//! Property tests: scan never panics and always returns sorted, in-bounds, char-boundary,
//! single-line spans; mask stays consistent with scan.

mod common;

use kompress_floor::Floor;
use proptest::prelude::*;

fn texty() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~\t\n\r\u{1b}é中]{0,300}",
        proptest::collection::vec(
            prop_oneof![
                Just("/usr/lib/x.so".to_string()),
                Just("Foo.java:12".to_string()),
                Just("\x1b[1;31mERROR\x1b[m".to_string()),
                Just("0xdeadbeef".to_string()),
                Just("'quoted'".to_string()),
                Just("::".to_string()),
                "[a-zA-Z0-9_.:/\\-]{1,12}",
                "[ \n\r\t]{1,3}",
            ],
            0..40
        )
        .prop_map(|v| v.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn scan_spans_are_sorted_in_bounds_on_char_boundaries(text in texty()) {
        let f = Floor::embedded_default();
        let hits = f.scan(&text);
        let mut prev_end = 0u32;
        for h in &hits {
            prop_assert!(h.start < h.end && h.end as usize <= text.len());
            prop_assert!(h.start >= prev_end, "overlap or unsorted: {:?}", hits);
            prop_assert!(text.is_char_boundary(h.start as usize) && text.is_char_boundary(h.end as usize));
            prop_assert!(!h.text(&text).contains(['\n', '\r']), "hit crosses a line: {:?}", h.text(&text));
            prop_assert!((h.category as usize) < f.categories().count());
            prev_end = h.end;
        }
    }

    #[test]
    fn mask_forces_every_token_under_a_hit(text in texty()) {
        let f = Floor::embedded_default();
        let doc = common::tokenize(&text);
        let m = f.mask(&doc);
        prop_assert_eq!(m.hits.len(), m.hit_tokens.len());
        prop_assert_eq!(m.line_forced.len(), doc.lines.len());
        for h in f.scan(&text) {
            for (i, t) in doc.tokens.iter().enumerate() {
                if t.start < h.end && t.end > h.start {
                    prop_assert!(m.is_token_forced(i));
                }
            }
        }
        for (&(a, b), h) in m.hit_tokens.iter().zip(&m.hits) {
            prop_assert!(a <= b && (b as usize) <= doc.tokens.len());
            if a < b {
                prop_assert_eq!(h.start, doc.tokens[a as usize].start);
                prop_assert_eq!(h.end, doc.tokens[b as usize - 1].end);
            }
        }
    }
}

#[test]
fn long_lines_are_scanned_in_windows_without_losing_or_splitting_hits() {
    let f = Floor::embedded_default();
    let unit = "foo_bar 0x1f /usr/lib/x.so é ";
    let text = unit.repeat(40_000); // one 1.2 MB line
    let hits = f.scan(&text);
    assert_eq!(
        hits.len(),
        3 * 40_000,
        "every hit found exactly once across window edges"
    );
    for (i, h) in hits.iter().enumerate() {
        let want = ["foo_bar", "0x1f", "/usr/lib/x.so"][i % 3];
        assert_eq!(h.text(&text), want);
    }
}

#[test]
fn pathological_long_line_of_short_matches_finishes() {
    // Without per-line windows this is quadratic (minutes); here it is a few hundred ms.
    let f = Floor::embedded_default();
    let text = "v1.x_1-".repeat(30_000);
    let hits = f.scan(&text);
    assert!(!hits.is_empty());
    assert!(hits.windows(2).all(|w| w[0].end <= w[1].start));
}
