//! The playground's API over real HTTP: `/v1/explain` cuts the input into spans that rebuild
//! it byte for byte, names the floor category of every force-kept span, reports o200k counts
//! and per-stage timings; the page at `/` is self-contained (nothing fetched from elsewhere).

mod common;

use common::*;
use kompress_serve::ServeConfig;
use serde_json::{json, Value};

const TRACE: &str = include_str!("../../../tests/playground/stack_trace.txt");

fn spans_of<'a>(v: &'a Value, kind: &str) -> Vec<&'a Value> {
    v["spans"]
        .as_array()
        .expect("spans")
        .iter()
        .filter(|s| s["kind"] == kind)
        .collect()
}

#[actix_web::test]
async fn explain_spans_rebuild_the_input_and_name_floor_categories() {
    let b = serve(ServeConfig::default());
    // a tight target: the model alone would drop part of the error lines, the floor keeps them
    let (status, v) = post(
        &url(&b, "/v1/explain"),
        json!({"text": TRACE, "mode": "safe", "target_ratio": 0.2}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let rebuilt: String = v["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(rebuilt, TRACE, "spans rebuild the input byte for byte");

    let floor = spans_of(&v, "floor");
    assert!(!floor.is_empty(), "the floor force-kept something: {v}");
    assert!(floor
        .iter()
        .all(|s| s["category"].as_str().is_some_and(|c| !c.is_empty())));
    let evicted = spans_of(&v, "evicted");
    assert!(!evicted.is_empty(), "framework frames are evicted");
    assert!(evicted.iter().all(|s| s["marker"].is_string()));
    assert!(!spans_of(&v, "kept").is_empty());

    let output = v["output"].as_str().unwrap();
    assert!(output.len() < TRACE.len());
    assert!(output.contains("ledger 9fbd47ba is closed (order ord_8f3a2c91)"));
    assert!(output.contains("com.acme.billing.Ledger.post(Ledger.java:212)"));
    let t = &v["tokens"];
    assert!(t["floor"].as_u64().unwrap() > 0 && t["evicted"].as_u64().unwrap() > 0);
    assert!(v["floor_hits"].as_u64().unwrap() > 0);
}

#[actix_web::test]
async fn explain_reports_o200k_savings_and_stage_timings() {
    let b = serve(ServeConfig::default());
    let (status, v) = post(&url(&b, "/v1/explain"), json!({"text": TRACE}).to_string()).await;
    assert_eq!(status, 200, "{v}");
    let o = &v["o200k"];
    let (tin, tout) = (
        o["tokens_in"].as_u64().unwrap(),
        o["tokens_out"].as_u64().unwrap(),
    );
    assert!(tin > 500 && tout < tin, "o200k {tin} -> {tout}");
    let saved = o["saved_pct"].as_f64().unwrap();
    let want = 100.0 * (1.0 - tout as f64 / tin as f64);
    assert!((saved - want).abs() < 1e-9);
    let m = &v["micros"];
    let stage = |k: &str| m[k].as_u64().unwrap_or_else(|| panic!("micros.{k}: {m}"));
    // prune and floor scan run at once (as in compress), the other stages one after another
    let sum: u64 = ["tokenize", "gate", "rewrite"]
        .iter()
        .map(|k| stage(k))
        .sum::<u64>()
        + stage("prune").max(stage("floor"));
    assert!(stage("total") >= sum, "{m}");
    assert!(stage("total") > 0);
}

#[actix_web::test]
async fn explain_with_a_target_ratio_keeps_less_than_safe_mode() {
    let b = serve(ServeConfig::default());
    let u = url(&b, "/v1/explain");
    let (_, safe) = post(&u, json!({"text": TRACE, "mode": "safe"}).to_string()).await;
    let (status, tight) = post(
        &u,
        json!({"text": TRACE, "mode": "ultra", "target_ratio": 0.1}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{tight}");
    let out = |v: &Value| v["o200k"]["tokens_out"].as_u64().unwrap();
    assert!(
        out(&tight) <= out(&safe),
        "{} > {}",
        out(&tight),
        out(&safe)
    );
}

#[actix_web::test]
async fn explain_rejects_unknown_fields_and_empty_text() {
    let b = serve(ServeConfig::default());
    let u = url(&b, "/v1/explain");
    let (status, v) = post(&u, json!({"text": "x", "colour": true}).to_string()).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["kind"], "malformed_json");
    let (status, v) = post(&u, json!({"text": ""}).to_string()).await;
    assert_eq!(status, 400, "{v}");
}

#[actix_web::test]
async fn page_is_self_contained() {
    let b = serve(ServeConfig::default());
    let mut r = awc::Client::default()
        .get(url(&b, "/"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 200);
    let html = String::from_utf8(r.body().await.unwrap().to_vec()).unwrap();
    assert!(html.contains("<title>kompress playground</title>"));
    for external in ["src=\"http", "href=\"http", "src='http", "@import", "//cdn"] {
        assert!(!html.contains(external), "page loads {external}…");
    }
}
