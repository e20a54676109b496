//! The default pruner of `kompress compress` (`[pruner] kind = "auto"`): routed by kind of
//! text. The statistical pruner scores every kind not in `[pruner] learned_kinds` (none by
//! default); a routed kind gets the blend with the shipped model, loaded on first use, or the
//! statistical pruner (said on stderr) when the model does not load.

#![cfg(feature = "learned")]

mod common;

use common::{base_encoder_installed, kompress, stack_trace};

fn config(dir: &std::path::Path, body: &str) -> std::path::PathBuf {
    let cfg = dir.join("kompress.toml");
    std::fs::write(&cfg, body).unwrap();
    cfg
}

/// A config that routes `other` text of at least `min_tokens` tokens to a model directory that
/// does not hold a model.
fn unloadable_model_routed(dir: &std::path::Path, min_tokens: usize) -> std::path::PathBuf {
    let empty_model = dir.join("not-a-model");
    std::fs::create_dir(&empty_model).unwrap();
    config(
        dir,
        &format!(
            "[pruner]\nmodel = {:?}\nlearned_kinds = [\"other\"]\nlearned_min_tokens = {min_tokens}\n",
            empty_model.display().to_string()
        ),
    )
}

#[test]
fn the_default_is_the_statistical_pruner_and_loads_no_model() {
    let text = stack_trace();
    let default = kompress(&["compress", "-"], &text);
    let stat = kompress(&["compress", "--pruner", "stat", "-"], &text);
    assert_eq!(default.stdout, stat.stdout, "default == --pruner stat");
    assert!(
        default.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&default.stderr)
    );
    let out = String::from_utf8(default.stdout).unwrap();
    assert!(out.contains("TimeSeries.java:883") && out.contains("TimeSeriesTests.java:829"));
}

#[test]
fn a_kind_routed_to_the_model_gets_the_blend() {
    if !base_encoder_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "[pruner]\nlearned_kinds = [\"other\"]\nlearned_min_tokens = 1\n",
    );
    let text = stack_trace();
    let routed = kompress(&["compress", "--config", cfg.to_str().unwrap(), "-"], &text);
    let blend = kompress(&["compress", "--pruner", "blend", "-"], &text);
    let stat = kompress(&["compress", "--pruner", "stat", "-"], &text);
    assert_eq!(
        routed.stdout, blend.stdout,
        "a routed kind == --pruner blend"
    );
    assert_ne!(
        routed.stdout, stat.stdout,
        "the model changed the outcome on this trace"
    );
}

#[test]
fn a_model_that_does_not_load_falls_back_to_the_statistical_pruner_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = unloadable_model_routed(dir.path(), 1);
    let text = stack_trace();
    let fallback = kompress(&["compress", "--config", cfg.to_str().unwrap(), "-"], &text);
    let stat = kompress(&["compress", "--pruner", "stat", "-"], &text);
    let err = String::from_utf8_lossy(&fallback.stderr);
    assert!(
        err.contains("using the statistical pruner") && err.contains("not-a-model"),
        "{err}"
    );
    assert_eq!(fallback.stdout, stat.stdout);
}

#[test]
fn a_text_shorter_than_the_model_threshold_never_loads_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = unloadable_model_routed(dir.path(), 100000);
    let out = kompress(
        &["compress", "--config", cfg.to_str().unwrap(), "-"],
        &stack_trace(),
    );
    assert!(
        out.stderr.is_empty(),
        "no load was tried: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_blend_runs_the_model_in_bf16_exactly_where_the_cpu_computes_it_natively() {
    if !base_encoder_installed() {
        return;
    }
    let text = stack_trace();
    let native = kompress_model::native_bf16(tch::Device::Cpu);
    let default = kompress(&["compress", "--pruner", "blend", "-"], &text);
    let explicit = if native { "bf16" } else { "f32" };
    eprintln!(
        "this CPU computes bf16 natively: {native}; the default must equal --dtype {explicit}"
    );
    let same = kompress(
        &["compress", "--pruner", "blend", "--dtype", explicit, "-"],
        &text,
    );
    assert_eq!(default.stdout, same.stdout);
    // either type keeps the trace's citations
    let other = if native { "f32" } else { "bf16" };
    let out = String::from_utf8(
        kompress(
            &["compress", "--pruner", "blend", "--dtype", other, "-"],
            &text,
        )
        .stdout,
    )
    .unwrap();
    assert!(out.contains("TimeSeries.java:883") && out.contains("TimeSeriesTests.java:829"));
}
