//! Training end to end on the tiny fixture encoder: a few steps write a loadable adapter
//! directory, relabelling writes explicit ranges, a second round starts from the first, and the
//! dev set's evaluation split never reaches training.

mod common;

use common::{fixture, tool_output};
use kompress_model::train::data::{is_eval_case, is_held_out, read_jsonl, write_jsonl, Record};
use kompress_model::train::load_training_records;
use kompress_model::{relabel, train, RelabelConfig, TchPruner, TrainConfig};
use tch::Device;

fn record(id: &str, text: String) -> Record {
    Record {
        id: id.into(),
        source: "test".into(),
        text,
        critical_spans: None,
        critical_lines: None,
        context_lines: None,
        keep_ranges: None,
        critical_ranges: None,
        meta: None,
    }
}

fn dataset(dir: &std::path::Path) -> std::path::PathBuf {
    let mut recs = vec![
        record("tool/a", tool_output(30)),
        record("tool/b", tool_output(7)),
        record(
            "tool/c",
            "Compiling x v0.1.0\nCompiling y v0.1.0\nerror: build failed\n".into(),
        ),
    ];
    let mut dev = record(
        "defects4j/Chart-9",
        "java.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)\n".into(),
    );
    dev.critical_spans = Some(vec!["boom".into()]);
    assert!(is_eval_case(&dev.id), "this id is in the evaluation split");
    recs.push(dev);
    let path = dir.join("train.jsonl");
    write_jsonl(&path, &recs).unwrap();
    path
}

fn settings(data: std::path::PathBuf, out: std::path::PathBuf) -> TrainConfig {
    TrainConfig {
        data: vec![data],
        base_model: fixture("tiny-bert"),
        out_dir: out,
        steps: 4,
        batch_size: 2,
        window: 64,
        threads: 1,
        ..TrainConfig::default()
    }
}

#[test]
fn evaluation_split_cases_are_never_loaded_for_training() {
    let dir = tempfile::tempdir().unwrap();
    let recs = load_training_records(&[dataset(dir.path())], None).unwrap();
    assert_eq!(recs.len(), 3);
    assert!(recs.iter().all(|r| !is_held_out(r)));
    // tool outputs are kept whatever their id hashes to
    assert!(
        recs.iter().any(|r| is_eval_case(&r.id)),
        "one tool id hashes into the split"
    );
}

#[test]
fn training_writes_a_loadable_adapter_and_relabel_feeds_a_second_round() {
    let dir = tempfile::tempdir().unwrap();
    let data = dataset(dir.path());
    let round0 = dir.path().join("round0");
    let report = train(&settings(data.clone(), round0.clone())).unwrap();
    assert_eq!(report.records, 3);
    assert!(report.loss_start.is_finite() && report.loss_end.is_finite());
    for f in [
        "heads.safetensors",
        "lora.safetensors",
        "adapter_config.json",
        "README.md",
        "train_report.json",
    ] {
        assert!(round0.join(f).is_file(), "{f} missing");
    }
    TchPruner::load(&round0, Device::Cpu).expect("trained adapter loads");

    let relabelled = dir.path().join("relabelled.jsonl");
    let rep = relabel(&RelabelConfig {
        model_dir: round0.clone(),
        data: vec![data],
        out: relabelled.clone(),
        threads: 1,
    })
    .unwrap();
    assert_eq!((rep.records, rep.relabelled), (3, 3));
    let recs = read_jsonl(&relabelled).unwrap();
    assert!(recs.iter().all(|r| r.keep_ranges.is_some()));

    let round1 = dir.path().join("round1");
    let mut cfg = settings(relabelled, round1.clone());
    cfg.init_from = Some(round0);
    train(&cfg).unwrap();
    TchPruner::load(&round1, Device::Cpu).expect("second-round adapter loads");
}

#[test]
fn invalid_settings_name_the_field() {
    let mut cfg = settings("x.jsonl".into(), "out".into());
    cfg.critical_weight = 0.5;
    let err = train(&cfg).unwrap_err();
    assert!(err.to_string().contains("critical_weight"), "{err}");
    let err = serde_json::from_str::<TrainConfig>(r#"{"stepz": 3}"#).unwrap_err();
    assert!(err.to_string().contains("stepz"), "{err}");
}
