//! Mapping hits onto tokens and lines.

mod common;

use kompress_floor::Floor;

#[test]
fn span_hit_forces_exactly_its_tokens() {
    let f = Floor::embedded_default();
    let doc = common::tokenize("load /usr/lib/x.so now");
    let m = f.mask(&doc);
    let forced: Vec<_> = (0..doc.tokens.len())
        .filter(|&i| m.is_token_forced(i))
        .map(|i| doc.tokens[i].text(&doc.text))
        .collect();
    assert_eq!(forced, ["/", "usr", "/", "lib", "/", "x", ".", "so"]);
    assert_eq!(m.hits.len(), 1);
    assert_eq!(m.hits[0].text(&doc.text), "/usr/lib/x.so");
    assert_eq!(m.hit_tokens, [(2, 10)]);
    assert_eq!(m.line_forced, [false]);
}

#[test]
fn hit_inside_a_token_is_widened_to_the_whole_token() {
    // The ANSI escape's final `m` is skipped by scan; the token holding it is whole.
    let f = Floor::embedded_default();
    let doc = common::tokenize("x \x1b[1mTimeSeries\x1b[m y");
    let m = f.mask(&doc);
    assert_eq!(m.hits.len(), 1);
    assert_eq!(m.hits[0].text(&doc.text), "TimeSeries");
    let raw = f.scan("x ab_cd");
    assert_eq!(raw.len(), 1);
    // A tokenizer that glues `x ab` into one token makes the hit grow to cover it.
    let mut doc = common::tokenize("x ab_cd");
    doc.tokens.drain(0..);
    doc.tokens.push(kompress_core::Token {
        start: 0,
        end: 4,
        line: 0,
        kind: kompress_core::TokenKind::Piece,
    });
    doc.tokens.push(kompress_core::Token {
        start: 4,
        end: 7,
        line: 0,
        kind: kompress_core::TokenKind::Piece,
    });
    doc.line_tokens = vec![0, 2];
    let m = f.mask(&doc);
    assert_eq!(m.hits[0].text(&doc.text), "x ab_cd");
    assert_eq!(m.hit_tokens, [(0, 2)]);
}

#[test]
fn line_hit_forces_its_line_only() {
    let f = Floor::embedded_default();
    let text =
        "ok line\njava.lang.IllegalStateException: boom\n\tat a.B.c(B.java:3)\nplain words\n";
    let doc = common::tokenize(text);
    let m = f.mask(&doc);
    assert_eq!(m.line_forced, [false, true, false, false]);
    assert_eq!(m.forced_line_count(), 1);
}

#[test]
fn hits_sharing_a_token_are_merged() {
    let f = Floor::embedded_default();
    // Two hits (`0x1f`, `--flag`) glued into one piece by a coarse tokenizer.
    let text = "0x1f --flag";
    let mut doc = common::tokenize(text);
    assert_eq!(f.scan(text).len(), 2);
    doc.tokens = vec![kompress_core::Token {
        start: 0,
        end: text.len() as u32,
        line: 0,
        kind: kompress_core::TokenKind::Piece,
    }];
    doc.line_tokens = vec![0, 1];
    let m = f.mask(&doc);
    assert_eq!(m.hits.len(), 1);
    assert_eq!(m.hit_tokens, [(0, 1)]);
}

#[test]
fn empty_document_gives_empty_mask() {
    let f = Floor::embedded_default();
    let m = f.mask(&common::tokenize(""));
    assert!(m.token_bits.is_empty() && m.line_forced.is_empty() && m.hits.is_empty());
}

#[test]
fn token_bits_cover_many_words() {
    let f = Floor::embedded_default();
    let text = (0..100)
        .map(|i| format!("w{i}x"))
        .collect::<Vec<_>>()
        .join(" ");
    let doc = common::tokenize(&text);
    let m = f.mask(&doc);
    assert_eq!(m.token_bits.len(), doc.tokens.len().div_ceil(32));
    assert_eq!(m.forced_token_count(), 100, "every `wNx` word and no space");
}

#[test]
fn a_commit_header_forces_its_line_and_a_sha_elsewhere_does_not() {
    let f = Floor::embedded_default();
    let sha = "1370c410662bfb24e47647745f78b7f1f73a72e3";
    let text = format!(
        "commit {sha} (HEAD -> main)\nAuthor: A <a@example.com>\n\n    reverts commit {sha}\n\x1b[33mcommit {sha}\x1b[m\ncommit 1370c41 is short\n"
    );
    let doc = common::tokenize(&text);
    let m = f.mask(&doc);
    assert_eq!(m.line_forced, [true, false, false, false, true, false]);
    let headers: Vec<&str> = common::hits(&f, &text)
        .into_iter()
        .filter(|(c, _)| *c == "commit_header")
        .map(|(_, t)| t)
        .collect();
    assert_eq!(headers.len(), 2, "{headers:?}");
    assert!(headers[0].starts_with("commit ") && headers[0].ends_with(sha));
}

#[test]
fn a_rustc_location_arrow_and_a_pytest_header_force_their_lines() {
    let f = Floor::embedded_default();
    let text =
        "error[E0308]: mismatched types\n --> src/main.rs:6:21\n  |\nthe arrow --> here is prose\n\
        ______________________________ test_parse ______________________________\n\
        _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _\n";
    let doc = common::tokenize(text);
    let m = f.mask(&doc);
    assert_eq!(m.line_forced, [true, true, false, false, true, false]);
    let cats: Vec<&str> = common::hits(&f, text).into_iter().map(|(c, _)| c).collect();
    assert!(
        cats.contains(&"diagnostic_arrow") && cats.contains(&"test_header"),
        "{cats:?}"
    );
}
