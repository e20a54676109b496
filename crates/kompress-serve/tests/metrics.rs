//! `GET /metrics` after a compress request: a latency histogram and a queue-depth gauge per
//! pipeline actor, the pipeline's in-flight slots, the prefix cache's fill, the older names
//! still there, and every line valid Prometheus text exposition.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use kompress_serve::ServeConfig;
use serde_json::json;

const ACTORS: [&str; 5] = ["tokenizer", "pruner", "floor", "gate", "rewriter"];

/// One sample line: `name{labels} value`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn valid_name(n: &str) -> bool {
    let mut chars = n.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_labels(s: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for pair in s.split(',').filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("label {pair:?} has no `=`"))?;
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(|| format!("label value {v:?} is not quoted"))?;
        if !valid_name(k) || v.contains('"') || v.contains('\n') {
            return Err(format!("bad label {pair:?}"));
        }
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let (head, value) = line
        .rsplit_once(' ')
        .ok_or_else(|| format!("no value: {line:?}"))?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().map_err(|_| format!("bad value in {line:?}"))?,
    };
    let (name, labels) = match head.split_once('{') {
        Some((n, rest)) => {
            let body = rest
                .strip_suffix('}')
                .ok_or_else(|| format!("unclosed labels: {line:?}"))?;
            (n, parse_labels(body)?)
        }
        None => (head, BTreeMap::new()),
    };
    if !valid_name(name) {
        return Err(format!("bad metric name in {line:?}"));
    }
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

/// Parses the whole exposition: every sample valid and of a family declared by a TYPE line
/// before it, no family declared twice.
fn parse_exposition(text: &str) -> Vec<Sample> {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(
                ["counter", "gauge", "histogram"].contains(&kind),
                "type {kind:?}"
            );
            assert!(
                types.insert(name.into(), kind.into()).is_none(),
                "{name} declared twice"
            );
        } else if let Some(rest) = line.strip_prefix("# HELP ") {
            assert!(rest.split_once(' ').is_some(), "HELP without text: {line}");
        } else {
            let s = parse_sample(line).unwrap_or_else(|e| panic!("{e}\n{text}"));
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .filter_map(|suf| s.name.strip_suffix(suf))
                .find(|base| types.get(*base).is_some_and(|t| t == "histogram"))
                .unwrap_or(&s.name);
            assert!(types.contains_key(family), "{} has no TYPE line", s.name);
            samples.push(s);
        }
    }
    samples
}

fn find<'a>(samples: &'a [Sample], name: &str, actor: &str) -> Option<&'a Sample> {
    samples
        .iter()
        .find(|s| s.name == name && s.labels.get("actor").map(String::as_str) == Some(actor))
}

#[actix_web::test]
async fn metrics_show_every_actor_and_the_queues_after_a_compress_request() {
    let b = serve(ServeConfig::default());
    let (status, v) = post(
        &url(&b, "/v1/compress"),
        json!({"text": tool_log(4)}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let mut r = awc::Client::default()
        .get(url(&b, "/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = String::from_utf8(r.body().await.unwrap().to_vec()).unwrap();
    let samples = parse_exposition(&text);

    for actor in ACTORS {
        let count = find(&samples, "kompress_actor_seconds_count", actor)
            .unwrap_or_else(|| panic!("no histogram for {actor}\n{text}"));
        assert!(count.value >= 1.0, "{actor}: count {}", count.value);
        let inf = samples
            .iter()
            .find(|s| {
                s.name == "kompress_actor_seconds_bucket"
                    && s.labels.get("actor").map(String::as_str) == Some(actor)
                    && s.labels.get("le").map(String::as_str) == Some("+Inf")
            })
            .expect("+Inf bucket");
        assert_eq!(inf.value, count.value, "{actor}: +Inf bucket = count");
        assert!(find(&samples, "kompress_actor_seconds_sum", actor).is_some());
        let depth = find(&samples, "kompress_actor_queue_depth", actor)
            .unwrap_or_else(|| panic!("no queue depth for {actor}"));
        assert_eq!(depth.value, 0.0, "{actor}: nothing waits after the request");
    }
    let names: BTreeSet<&str> = samples.iter().map(|s| s.name.as_str()).collect();
    for name in [
        "kompress_pipeline_inflight",
        "kompress_pipeline_inflight_capacity",
        "kompress_prefix_cache_entries",
        "kompress_prefix_cache_bytes",
        "kompress_prefix_cache_max_bytes",
        // the names that were there before
        "kompress_tokens_in_total",
        "kompress_cache_entries",
        "kompress_inflight_requests",
        "kompress_latency_seconds_bucket",
    ] {
        assert!(names.contains(name), "{name} missing\n{text}");
    }
    let value = |n: &str| samples.iter().find(|s| s.name == n).unwrap().value;
    assert_eq!(value("kompress_pipeline_inflight"), 0.0);
    assert_eq!(value("kompress_pipeline_inflight_capacity"), 64.0);
    assert_eq!(value("kompress_prefix_cache_entries"), 1.0);
    assert!(value("kompress_prefix_cache_bytes") > 0.0);
    assert!(value("kompress_prefix_cache_bytes") <= value("kompress_prefix_cache_max_bytes"));
}

#[test]
fn the_exposition_checker_rejects_malformed_lines() {
    for bad in [
        "kompress_x{actor=pruner} 1",
        "kompress_x{actor=\"pruner\" 1",
        "kompress x 1",
        "kompress_x{actor=\"pruner\"} one",
    ] {
        assert!(parse_sample(bad).is_err(), "{bad:?} accepted");
    }
    assert!(parse_sample("kompress_x{actor=\"pruner\",le=\"0.5\"} 3").is_ok());
}
