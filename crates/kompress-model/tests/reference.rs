//! The tch encoders reproduce `transformers`' last hidden states (fixtures written by
//! `scripts/model/make_fixtures.py`), and checkpoint loading is strict.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kompress_model::{ModelConfig, ModelError, PrunerModel};
use tch::{Device, Kind, Tensor};

const TOLERANCE: f64 = 1e-4;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> PrunerModel {
    let dir = fixture(name);
    let cfg = ModelConfig::from_file(&dir.join("config.json")).expect("fixture config is valid");
    let mut m = PrunerModel::new(cfg, Device::Cpu, None);
    m.load_encoder(&dir.join("model.safetensors"))
        .expect("fixture checkpoint loads");
    m
}

fn reference(name: &str) -> BTreeMap<String, Tensor> {
    Tensor::read_safetensors(fixture(name).join("reference.safetensors"))
        .expect("reference file reads")
        .into_iter()
        .collect()
}

/// Max |a - b| over positions where `mask` is 1.
fn max_diff_on_real_tokens(a: &Tensor, b: &Tensor, mask: &Tensor) -> f64 {
    let m = mask.to_kind(Kind::Float).unsqueeze(-1);
    ((a - b).abs() * m).max().double_value(&[])
}

fn check_matches_reference(name: &str) {
    let model = load(name);
    let r = reference(name);
    let (ids, mask, want) = (
        &r["input_ids"],
        &r["attention_mask"],
        &r["last_hidden_state"],
    );
    let spread = want.std(true).double_value(&[]);
    assert!(
        spread > 0.1,
        "{name}: reference states are degenerate (std {spread})"
    );
    let got = tch::no_grad(|| model.encode(ids, mask));
    assert_eq!(got.size(), want.size());
    let diff = max_diff_on_real_tokens(&got, want, mask);
    println!("{name}: max |diff| on real tokens = {diff:.3e}");
    assert!(
        diff < TOLERANCE,
        "{name}: max diff {diff} exceeds {TOLERANCE}"
    );

    // The padded row alone, without padding, gives the same states.
    let real = mask.get(1).sum(Kind::Int64).int64_value(&[]);
    let ids1 = ids.get(1).narrow(0, 0, real).unsqueeze(0);
    let alone = tch::no_grad(|| model.encode(&ids1, &Tensor::ones_like(&ids1)));
    let want1 = want.get(1).narrow(0, 0, real).unsqueeze(0);
    let diff1 = (alone - want1).abs().max().double_value(&[]);
    assert!(diff1 < TOLERANCE, "{name}: unpadded row differs by {diff1}");
}

#[test]
fn bert_hidden_states_match_transformers() {
    check_matches_reference("tiny-bert");
}

#[test]
fn modernbert_hidden_states_match_transformers() {
    check_matches_reference("tiny-modernbert");
}

/// Rewrites the fixture checkpoint with `edit` applied, returns the new file.
fn edited_checkpoint(
    dir: &tempfile::TempDir,
    edit: impl FnOnce(&mut BTreeMap<String, Tensor>),
) -> PathBuf {
    let mut t: BTreeMap<String, Tensor> =
        Tensor::read_safetensors(fixture("tiny-bert").join("model.safetensors"))
            .unwrap()
            .into_iter()
            .collect();
    edit(&mut t);
    let path = dir.path().join("model.safetensors");
    let list: Vec<(String, Tensor)> = t.into_iter().collect();
    Tensor::write_safetensors(&list, &path).unwrap();
    path
}

fn load_error(path: &Path) -> ModelError {
    let cfg = ModelConfig::from_file(&fixture("tiny-bert").join("config.json")).unwrap();
    let mut m = PrunerModel::new(cfg, Device::Cpu, None);
    m.load_encoder(path)
        .expect_err("a damaged checkpoint must not load")
}

#[test]
fn missing_tensor_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let name = "encoder.layer.1.attention.self.key.bias";
    let p = edited_checkpoint(&dir, |t| {
        t.remove(name);
    });
    let err = load_error(&p);
    assert!(
        matches!(&err, ModelError::MissingTensor { name: n, .. } if n == name),
        "{err}"
    );
    assert!(err.to_string().contains(name));
}

#[test]
fn unexpected_tensor_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = edited_checkpoint(&dir, |t| {
        t.insert(
            "encoder.layer.9.surprise".into(),
            Tensor::zeros([3], (Kind::Float, Device::Cpu)),
        );
    });
    let err = load_error(&p);
    assert!(
        err.to_string().contains("encoder.layer.9.surprise"),
        "{err}"
    );
    assert_eq!(err.kind(), "unexpected_tensor");
}

#[test]
fn misshaped_tensor_is_named_with_both_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let name = "encoder.layer.0.intermediate.dense.weight";
    let p = edited_checkpoint(&dir, |t| {
        t.insert(
            name.into(),
            Tensor::zeros([96, 63], (Kind::Float, Device::Cpu)),
        );
    });
    let err = load_error(&p);
    match &err {
        ModelError::ShapeMismatch {
            name: n,
            expected,
            found,
            ..
        } => {
            assert_eq!(n, name);
            assert_eq!(expected, &[96, 64]);
            assert_eq!(found, &[96, 63]);
        }
        other => panic!("expected a shape mismatch, got {other}"),
    }
}

#[test]
fn prefixed_checkpoint_with_pooler_loads() {
    let dir = tempfile::tempdir().unwrap();
    let p = edited_checkpoint(&dir, |t| {
        let old = std::mem::take(t);
        for (k, v) in old {
            t.insert(format!("bert.{k}"), v);
        }
        t.insert(
            "bert.pooler.dense.bias".into(),
            Tensor::zeros([64], (Kind::Float, Device::Cpu)),
        );
    });
    let cfg = ModelConfig::from_file(&fixture("tiny-bert").join("config.json")).unwrap();
    let mut m = PrunerModel::new(cfg, Device::Cpu, None);
    assert!(
        !m.load_encoder(&p).unwrap(),
        "no heads in a plain encoder file"
    );
}
