//! The learned pruner (feature `learned`): the tch model loaded as `[pruner]` says.

use kompress_core::{CoreError, Pruner};
use kompress_model::TchPruner;

use crate::{Dtype, PrunerSpec, MODEL_BATCH_TOKENS, MODEL_WINDOW};

// the spec's defaults are the model crate's, without naming it in a build that lacks it
const _: () = assert!(MODEL_WINDOW == kompress_model::pruner::DEFAULT_WINDOW);
const _: () = assert!(MODEL_BATCH_TOKENS == kompress_model::pruner::DEFAULT_BATCH_TOKENS);

/// `model`, run in `dtype` on its device.
fn apply(dtype: Dtype, model: TchPruner) -> TchPruner {
    let kind = match dtype {
        Dtype::F32 => tch::Kind::Float,
        Dtype::Bf16 => tch::Kind::BFloat16,
        Dtype::Auto if kompress_model::native_bf16(model.device()) => tch::Kind::BFloat16,
        Dtype::Auto => tch::Kind::Float,
    };
    model.with_kind(kind)
}

fn load_raw(dir: &std::path::Path) -> Result<TchPruner, CoreError> {
    // the model error with its whole source chain (ModelError -> CoreError), said once, with
    // which directory was being loaded
    TchPruner::load(dir, kompress_model::best_device()).map_err(|e| match CoreError::from(e) {
        CoreError::Pruner { pruner, reason } => CoreError::Pruner {
            pruner,
            reason: format!(
                "loading model {}: {reason} (run scripts/setup_torch.sh for the base encoder)",
                dir.display()
            ),
        },
        other => other,
    })
}

/// A model directory loaded as `kompress compress` runs it: best device, `dtype`.
pub fn load_model(dir: &std::path::Path, dtype: Dtype) -> Result<TchPruner, CoreError> {
    Ok(apply(dtype, load_raw(dir)?))
}

pub(crate) fn load(spec: &PrunerSpec) -> Result<Box<dyn Pruner>, CoreError> {
    if spec.threads > 0 {
        tch::set_num_threads(spec.threads);
    }
    let p = load_raw(&spec.model_dir())?;
    // the default window, or the model's positions when it has fewer
    let window = (p.model().config.max_positions() as usize).min(MODEL_WINDOW);
    Ok(Box::new(apply(
        spec.dtype,
        p.with_limits(window, spec.batch_tokens)?,
    )))
}
