//! [`Gate`]: the fused kernel when an NVIDIA GPU is usable, the bit-identical CPU twin
//! otherwise (said once in the log).

use std::sync::Once;

use kompress_core::gate::GateParams;

use crate::batch::{FloorMasks, GateBatch, GateOutput, KeepRule, Logits, SeqLayout, SpanInput};
use crate::cpu::gate_batch_cpu;
use crate::device::CudaGate;
use crate::GpuError;

enum Backend {
    Cuda(Box<CudaGate>),
    Cpu { reason: String },
}

/// The gate, on whichever back end this machine has. Both give the same bits.
pub struct Gate {
    backend: Backend,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

static FALLBACK_LOGGED: Once = Once::new();

impl Gate {
    /// The first GPU when the CUDA driver is installed and sees a device and the kernel
    /// compiles; else the CPU twin, with the reason logged once per process.
    pub fn new() -> Gate {
        match CudaGate::new(0) {
            Ok(g) => {
                tracing::info!(
                    device = g.device_name(),
                    cc = ?g.compute_capability(),
                    "gate: fused CUDA kernel"
                );
                Gate {
                    backend: Backend::Cuda(Box::new(g)),
                }
            }
            Err(e) => {
                let reason = e.to_string();
                FALLBACK_LOGGED.call_once(|| {
                    tracing::warn!(%reason, "gate: no usable NVIDIA GPU, using the CPU twin");
                });
                Gate {
                    backend: Backend::Cpu { reason },
                }
            }
        }
    }

    /// The CPU twin, by choice.
    pub fn cpu() -> Gate {
        Gate {
            backend: Backend::Cpu {
                reason: "CPU requested".into(),
            },
        }
    }

    /// GPU `ordinal`, or the error that prevents it (no fallback).
    pub fn on_device(ordinal: usize) -> Result<Gate, GpuError> {
        Ok(Gate {
            backend: Backend::Cuda(Box::new(CudaGate::new(ordinal)?)),
        })
    }

    pub fn is_gpu(&self) -> bool {
        matches!(self.backend, Backend::Cuda(_))
    }

    /// The GPU back end, for [`CudaGate::launch_raw`] on tensors already on the device.
    pub fn cuda(&self) -> Option<&CudaGate> {
        match &self.backend {
            Backend::Cuda(g) => Some(g),
            Backend::Cpu { .. } => None,
        }
    }

    /// Why the CPU twin is in use, if it is.
    pub fn fallback_reason(&self) -> Option<&str> {
        match &self.backend {
            Backend::Cuda(_) => None,
            Backend::Cpu { reason } => Some(reason),
        }
    }

    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Cuda(g) => {
                let (major, minor) = g.compute_capability();
                format!("cuda: {} (sm_{major}{minor})", g.device_name())
            }
            Backend::Cpu { reason } => format!("cpu twin ({reason})"),
        }
    }

    /// Runs the gate over a batch.
    pub fn run(&self, batch: &GateBatch<'_>) -> Result<GateOutput, GpuError> {
        match &self.backend {
            Backend::Cuda(g) => g.run(batch),
            Backend::Cpu { .. } => gate_batch_cpu(batch),
        }
    }

    /// One sequence with span logits: `target_ratio` picks the budget rule, else the threshold.
    pub fn run_one(
        &self,
        tok: &[f32],
        span: &[f32],
        floor: &[u32],
        params: GateParams,
        target_ratio: Option<f32>,
    ) -> Result<GateOutput, GpuError> {
        if span.len() != tok.len() {
            return Err(GpuError::invalid(
                "span",
                format!("{} values for {} tokens", span.len(), tok.len()),
            ));
        }
        let layout = SeqLayout::packed(&[0, tok.len()])?;
        let floor = FloorMasks::from_sequences(&layout, &[floor])?;
        self.run(&GateBatch {
            tok: Logits::F32(tok),
            span: SpanInput::Logits(Logits::F32(span)),
            layout: &layout,
            floor: &floor,
            params,
            rule: target_ratio.map_or(KeepRule::Threshold, KeepRule::TargetRatio),
        })
    }
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new()
    }
}
