//! The default pruner of `kompress compress` (`[pruner] kind = "auto"`): the blend of the
//! shipped model with the statistical pruner when the model loads, the statistical pruner (said
//! on stderr) when it does not.

mod common;

use common::{base_encoder_installed, kompress, stack_trace};

#[test]
fn the_default_is_the_blend_with_the_shipped_model_when_it_loads() {
    if !base_encoder_installed() {
        return;
    }
    let text = stack_trace();
    let default = kompress(&["compress", "-"], &text);
    let blend = kompress(&["compress", "--pruner", "blend", "-"], &text);
    let stat = kompress(&["compress", "--pruner", "stat", "-"], &text);
    assert!(
        !String::from_utf8_lossy(&default.stderr).contains("statistical pruner"),
        "the model loaded: {}",
        String::from_utf8_lossy(&default.stderr)
    );
    assert_eq!(default.stdout, blend.stdout, "default == --pruner blend");
    assert_ne!(
        default.stdout, stat.stdout,
        "the model changed the outcome on this trace"
    );
    let out = String::from_utf8(default.stdout).unwrap();
    assert!(out.contains("TimeSeries.java:883") && out.contains("TimeSeriesTests.java:829"));
}

#[test]
fn a_model_that_does_not_load_falls_back_to_the_statistical_pruner_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let empty_model = dir.path().join("not-a-model");
    std::fs::create_dir(&empty_model).unwrap();
    let cfg = dir.path().join("kompress.toml");
    std::fs::write(
        &cfg,
        format!(
            "[pruner]\nmodel = {:?}\n",
            empty_model.display().to_string()
        ),
    )
    .unwrap();
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
fn the_default_runs_the_model_in_bf16_exactly_where_the_cpu_computes_it_natively() {
    if !base_encoder_installed() {
        return;
    }
    let text = stack_trace();
    let native = kompress_model::native_bf16(tch::Device::Cpu);
    let default = kompress(&["compress", "-"], &text);
    let explicit = if native { "bf16" } else { "f32" };
    eprintln!(
        "this CPU computes bf16 natively: {native}; the default must equal --dtype {explicit}"
    );
    let same = kompress(&["compress", "--dtype", explicit, "-"], &text);
    assert_eq!(default.stdout, same.stdout);
    // either type keeps the trace's citations
    let other = if native { "f32" } else { "bf16" };
    let out =
        String::from_utf8(kompress(&["compress", "--dtype", other, "-"], &text).stdout).unwrap();
    assert!(out.contains("TimeSeries.java:883") && out.contains("TimeSeriesTests.java:829"));
}
