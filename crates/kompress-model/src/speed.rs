//! Model throughput against the machine's limit: sub-word pieces per second through the
//! pruner, forward FLOPs per piece from the parameter count and the window, and a measured
//! GEMM rate on the same device as the practical peak.

use std::time::Instant;

use kompress_core::TokenizedText;
use serde::Serialize;
use tch::{Device, Kind, Tensor};

use crate::error::ModelError;
use crate::pruner::TchPruner;

#[derive(Debug, Clone, Serialize)]
pub struct ModelSpeed {
    pub device: String,
    pub threads: i32,
    /// Sub-word pieces scored (special tokens excluded).
    pub pieces: usize,
    pub seconds: f64,
    pub pieces_per_s: f64,
    /// 2 × matmul parameters + 4 × window × hidden × layers (QKᵀ and AV).
    pub flops_per_piece: f64,
    pub achieved_gflops: f64,
    /// GEMM (1024³) in the model's type on the same device and threads, median of 5.
    pub gemm_gflops: f64,
    /// The model's type (`Float`, `BFloat16`).
    pub kind: String,
}

/// Forward FLOPs per piece for windows of `window` positions.
pub fn flops_per_piece(pruner: &TchPruner, window: usize) -> f64 {
    let m = pruner.model();
    let params = m.matmul_parameter_count() as f64;
    let cfg = &m.config;
    2.0 * params + 4.0 * window as f64 * cfg.hidden_size() as f64 * cfg.num_hidden_layers() as f64
}

/// Median GFLOP/s of an n×n×n matrix product in `kind`.
pub fn gemm_gflops(device: Device, kind: Kind, n: i64) -> f64 {
    let a = Tensor::randn([n, n], (kind, device));
    let b = Tensor::randn([n, n], (kind, device));
    let _ = a.matmul(&b);
    let mut rates: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let c = a.matmul(&b);
            let _ = c.sum(Kind::Float).double_value(&[]);
            2.0 * (n as f64).powi(3) / t.elapsed().as_secs_f64() / 1e9
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[2]
}

/// Scores `docs` once (after a warm-up on the first) and reports the rate.
pub fn measure(pruner: &TchPruner, docs: &[&TokenizedText]) -> Result<ModelSpeed, ModelError> {
    let mut pieces = 0usize;
    let mut window = 0usize;
    for d in docs {
        for c in pruner.chunks(d)? {
            pieces += c.seq_len().saturating_sub(2);
            window = window.max(c.seq_len());
        }
    }
    if let Some(first) = docs.first() {
        pruner.score_texts(&[first])?;
    }
    let t = Instant::now();
    pruner.score_texts(docs)?;
    let seconds = t.elapsed().as_secs_f64();
    let fpp = flops_per_piece(pruner, window.max(1));
    let kind = pruner.model().kind();
    let rate = pieces as f64 / seconds.max(1e-9);
    Ok(ModelSpeed {
        device: format!("{:?}", pruner.device()),
        threads: tch::get_num_threads(),
        pieces,
        seconds,
        pieces_per_s: rate,
        flops_per_piece: fpp,
        achieved_gflops: rate * fpp / 1e9,
        gemm_gflops: gemm_gflops(pruner.device(), kind, 1024),
        kind: format!("{kind:?}"),
    })
}
