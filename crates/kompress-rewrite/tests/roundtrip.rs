//! The rewriter never loses a byte: restore(render(x)) == x for any keep mask.

use kompress_core::{restore, Eviction, EvictionKind};
use kompress_rewrite::{fold::find_folds, plan_lines, render, RewriteOptions};
use kompress_tokenize::tokenize;
use proptest::prelude::*;

fn to_evictions(edits: &[kompress_rewrite::LocalEdit], src: &str) -> Vec<Eviction> {
    edits
        .iter()
        .map(|e| Eviction {
            transcript_id: "t".into(),
            message_index: 0,
            start: e.start as u64,
            end: e.end as u64,
            original: src[e.start..e.end].to_string(),
            replacement: e.replacement.clone(),
            decoded: None,
            handle: e.handle.clone(),
            hash: kompress_core::content_hash(&src[e.start..e.end]),
            kind: e.kind,
        })
        .collect()
}

fn check(text: &str, seed: u64, markers: bool, ultra: bool) -> Result<(), TestCaseError> {
    let doc = tokenize(text);
    let keep: Vec<u8> = doc
        .tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            u8::from(!(seed.wrapping_mul(i as u64 + 7) ^ t.line as u64).is_multiple_of(3))
        })
        .collect();
    // as the pipeline plans: partial lines in ultra mode only
    let plan = plan_lines(&doc, &keep, &[], markers, ultra);
    let folds = if ultra {
        let foldable: Vec<bool> = plan
            .states
            .iter()
            .map(|s| *s == kompress_rewrite::LineState::Keep)
            .collect();
        find_folds(&doc, &foldable)
    } else {
        vec![]
    };
    let opts = RewriteOptions {
        markers,
        strip_ansi: true,
    };
    let r = render(&doc, &plan, &keep, &folds, opts);
    let ev = to_evictions(&r.edits, text);
    prop_assert_eq!(restore(&r.text, &ev).unwrap(), text);
    // never more lines out than in (markers replace runs, never add lines)
    prop_assert!(kompress_core::split_lines(&r.text).len() <= doc.lines.len());
    prop_assert!(ev
        .iter()
        .all(|e| e.kind != EvictionKind::Ansi || e.replacement.is_empty()));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn restore_inverts_render_on_random_text(s in "(\\PC|\\n|\\r|\\t|\x1b\\[3[0-9]m){0,400}", seed in any::<u64>(), m in any::<bool>(), u in any::<bool>()) {
        check(&s, seed, m, u)?;
    }

    #[test]
    fn restore_inverts_render_on_log_like_text(lines in prop::collection::vec("(\\[INFO\\] |\\tat |)[a-z]{1,8}( [0-9]{1,3}){0,3}", 0..60), seed in any::<u64>(), m in any::<bool>(), u in any::<bool>()) {
        let text = lines.join("\n");
        check(&text, seed, m, u)?;
    }
}

#[test]
fn fold_summary_keeps_every_parameter_byte_exact() {
    let text =
        "Downloaded a-1.jar (12 kB)\nDownloaded b-2.jar (15 kB)\nDownloaded c-3.jar (9 kB)\nend\n";
    let doc = tokenize(text);
    let folds = find_folds(&doc, &[true, true, true, false]);
    assert_eq!(folds.len(), 1);
    let keep = vec![1u8; doc.tokens.len()];
    let plan = plan_lines(&doc, &keep, &[], true, true);
    let r = render(
        &doc,
        &plan,
        &keep,
        &folds,
        RewriteOptions {
            markers: true,
            strip_ansi: true,
        },
    );
    assert!(
        r.text
            .starts_with("Downloaded a-1.jar (12 kB)\n[+2 like above: b 2 15 | c 3 9; ref="),
        "{}",
        r.text
    );
    assert!(r.text.ends_with("]\nend\n"));
}
