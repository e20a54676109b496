//! The `kompress` binary built without the learned pruner (`cargo test -p kompress-cli
//! --no-default-features --test lean`): it links no libtorch, compresses and restores with the
//! statistical pruner and the routed default, and says which feature is missing when asked for
//! the model.

#![cfg(not(feature = "learned"))]

mod common;

use common::{kompress, run};

fn log() -> String {
    let mut s = String::new();
    for i in 0..60 {
        s.push_str(&format!(
            "2026-12-02 10:00:{:02} INFO worker-{} fetched /data/part-{i}.csv in {}ms\n",
            i % 60,
            i % 4,
            10 + i
        ));
    }
    s.push_str("2026-12-02 10:01:00 ERROR worker-2 failed: /data/part-61.csv: permission denied\n");
    s
}

#[test]
fn lean_binary_links_no_libtorch() {
    let bin = std::fs::read(env!("CARGO_BIN_EXE_kompress")).expect("reads the binary");
    // the sonames a libtorch build records as DT_NEEDED
    for lib in [&b"libtorch_cpu.so"[..], b"libc10.so"] {
        assert!(
            !bin.windows(lib.len()).any(|w| w == lib),
            "{} named in the lean binary",
            String::from_utf8_lossy(lib)
        );
    }
}

#[test]
fn lean_default_and_stat_compress_and_restore_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("app.log");
    std::fs::write(&input, log()).unwrap();
    for pruner in ["auto", "stat"] {
        let ev = dir.path().join(format!("{pruner}.jsonl"));
        let small = dir.path().join(format!("{pruner}.log"));
        let back = dir.path().join(format!("{pruner}.back"));
        kompress(
            &[
                "compress",
                input.to_str().unwrap(),
                "--pruner",
                pruner,
                "--evictions",
                ev.to_str().unwrap(),
                "-o",
                small.to_str().unwrap(),
            ],
            b"",
        );
        let out = std::fs::read_to_string(&small).unwrap();
        assert!(
            out.contains("/data/part-61.csv: permission denied"),
            "{out}"
        );
        kompress(
            &[
                "restore",
                small.to_str().unwrap(),
                "--evictions",
                ev.to_str().unwrap(),
                "-o",
                back.to_str().unwrap(),
            ],
            b"",
        );
        assert_eq!(std::fs::read_to_string(&back).unwrap(), log(), "{pruner}");
    }
}

#[test]
fn lean_learned_and_blend_fail_naming_the_missing_feature() {
    for pruner in ["learned", "blend"] {
        let o = run(&["compress", "-", "--pruner", pruner], log().as_bytes());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{pruner}: {err}");
        assert!(err.contains("`learned` cargo feature"), "{pruner}: {err}");
        assert!(o.stdout.is_empty(), "{pruner} wrote output");
    }
}

#[test]
fn lean_routed_kinds_fall_back_to_the_statistical_pruner_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("kompress.toml");
    std::fs::write(
        &cfg,
        "[pruner]\nlearned_kinds = [\"log\"]\nlearned_min_tokens = 1\n",
    )
    .unwrap();
    let routed = kompress(
        &["compress", "-", "--config", cfg.to_str().unwrap()],
        log().as_bytes(),
    );
    let stat = kompress(&["compress", "-", "--pruner", "stat"], log().as_bytes());
    assert_eq!(routed.stdout, stat.stdout);
    let err = String::from_utf8_lossy(&routed.stderr);
    assert!(err.contains("`learned` cargo feature"), "{err}");
}

#[test]
fn lean_eval_with_a_model_and_train_are_refused() {
    let o = run(
        &[
            "eval",
            "--data",
            "/nonexistent.jsonl",
            "--model",
            "m=models/default",
        ],
        b"",
    );
    assert_ne!(o.status.code(), Some(0));
    let o = run(&["train", "--help"], b"");
    assert_eq!(o.status.code(), Some(2), "train is not a subcommand here");
}
