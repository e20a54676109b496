//! The harness on a small hand-written fixture: expected JSON keys, identity and floor figures,
//! splits, the ensemble, and TextRank's ranking.

use std::path::PathBuf;

use kompress_eval::data::{in_eval_split, load_cases, Split};
use kompress_eval::harness::Bench;
use kompress_eval::run;
use kompress_eval::systems::parse_system;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small.jsonl")
}

#[test]
fn split_follows_sha256_mod_3() {
    // Checked with Python: int(sha256(id).hexdigest(), 16) % 3 == 0.
    assert!(in_eval_split("fixture/assert-2"));
    assert!(in_eval_split("fixture/ci-5"));
    assert!(!in_eval_split("fixture/npe-1"));
    let eval = load_cases(&fixture(), Split::Eval).unwrap();
    let train = load_cases(&fixture(), Split::Train).unwrap();
    assert_eq!(eval.len(), 2);
    assert_eq!(train.len(), 3);
    assert!(Split::parse("dev").is_err());
}

#[test]
fn standard_run_has_every_system_and_the_expected_json_keys() {
    let cases = load_cases(&fixture(), Split::All).unwrap();
    let bench = Bench::new(&cases).unwrap();
    let peer: run::PeerOutputs = Err("not run in this test".into());
    let results = run::standard(&bench, &peer, Err("no model in this test")).unwrap();
    let names: Vec<&str> = results.iter().map(|r| r.name.as_str()).collect();
    for want in [
        "identity",
        "stat-safe",
        "stat-ultra",
        "regex floor only",
        "learned + floor",
        "headroom-ai",
    ] {
        assert!(names.contains(&want), "missing {want} in {names:?}");
    }
    let json = serde_json::to_value(&results).unwrap();
    let first = &json[0];
    for key in ["name", "available", "note", "by_source"] {
        assert!(first.get(key).is_some(), "missing key {key}");
    }
    let all = &first["by_source"]["ALL"];
    for key in [
        "n",
        "failed",
        "crit_keep",
        "ordered_keep",
        "line_keep",
        "line_keep_noansi",
        "savings",
        "tokens_in",
        "tokens_out",
        "median_ms",
        "p95_ms",
    ] {
        assert!(all.get(key).is_some(), "missing key {key} in ALL");
    }
    assert!(
        first["by_source"].get("defects4j").is_some() && first["by_source"].get("cidiff").is_some()
    );
    // Identity keeps everything and saves nothing.
    let id = results[0].all().unwrap();
    assert_eq!(
        (id.n, id.crit_keep, id.line_keep, id.savings),
        (5, Some(1.0), Some(1.0), 0.0)
    );
    // Unavailable rows say so instead of inventing numbers.
    let peer_row = results.iter().find(|r| r.name == "headroom-ai").unwrap();
    assert!(!peer_row.available && peer_row.by_source.is_empty());
}

#[test]
fn stat_pruner_saves_tokens_and_keeps_the_labelled_content_of_the_fixture() {
    let cases = load_cases(&fixture(), Split::All).unwrap();
    let bench = Bench::new(&cases).unwrap();
    let r = bench.run(&mut parse_system("stat-safe").unwrap()).unwrap();
    let all = r.all().unwrap();
    // the fixture's log keeps every line (logs fold, they do not drop), so savings come from
    // the traces' harness tails and the log's folded rows
    assert!(all.savings > 0.1, "savings {}", all.savings);
    assert_eq!(all.crit_keep, Some(1.0));
    assert_eq!(all.line_keep_noansi, Some(1.0));
}

#[test]
fn ensemble_reports_every_voter_and_rule_with_strata() {
    let cases = load_cases(&fixture(), Split::All).unwrap();
    let bench = Bench::new(&cases).unwrap();
    let specs = vec![
        "stat-safe".to_string(),
        "textrank@0.3".to_string(),
        "random@0.3".to_string(),
    ];
    let e = run::run_ensemble(&bench, &specs, &[]).unwrap();
    assert_eq!(
        e.columns,
        vec![
            "stat-safe",
            "textrank@0.3",
            "random@0.3",
            "or",
            "2-of-3",
            "and"
        ]
    );
    let all = e.strata.iter().find(|s| s.stratum == "ALL").unwrap();
    assert_eq!(all.recall.len(), 6);
    // Drop-if-any can never recall more than its weakest voter; keep-if-any never less than the best.
    let weakest = all.recall[..3].iter().cloned().fold(f64::MAX, f64::min);
    let best = all.recall[..3].iter().cloned().fold(0.0, f64::max);
    assert!(all.recall[5] <= weakest + 1e-9 && all.recall[3] >= best - 1e-9);
    assert!(!e.pareto_best.is_empty());
}

#[test]
fn textrank_prefers_lines_that_share_words_with_many_others() {
    let text = "alpha beta gamma\nalpha beta delta\nalpha gamma delta\nzebra quokka\n";
    let doc = kompress_tokenize::tokenize(text);
    let rank = kompress_eval::textrank::rank_lines(&doc);
    assert!(
        rank[0] > rank[3] && rank[1] > rank[3] && rank[2] > rank[3],
        "{rank:?}"
    );
    let keep = kompress_eval::textrank::select_lines(&doc, 0.3);
    assert!(!keep[3]);
}
