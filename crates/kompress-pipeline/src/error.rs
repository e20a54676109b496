use kompress_core::CoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum PipelineError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("the pipeline is saturated ({inflight} requests in flight); retry later")]
    Busy { inflight: usize },
    #[error("the {stage} actor is gone: {reason}")]
    Stage { stage: &'static str, reason: String },
    /// The pipeline's actor system thread could not be spawned. (A pruner that fails to
    /// build is its own [`CoreError`], passed through as `Core` with its kind.)
    #[error("cannot start the pipeline's thread")]
    Start(#[source] std::io::Error),
    #[error("floor configuration: {0}")]
    Floor(#[from] kompress_floor::FloorError),
}

impl PipelineError {
    pub fn kind(&self) -> &'static str {
        match self {
            PipelineError::Core(e) => e.kind(),
            PipelineError::Busy { .. } => "busy",
            PipelineError::Stage { .. } => "stage",
            PipelineError::Start(_) => "start",
            PipelineError::Floor(_) => "floor_config",
        }
    }

    /// True when the input itself is at fault (retrying the same bytes cannot help).
    pub fn is_input_error(&self) -> bool {
        match self {
            PipelineError::Core(e) => e.domain() == kompress_core::ErrorDomain::Input,
            _ => false,
        }
    }

    pub(crate) fn stage(stage: &'static str, e: impl std::fmt::Display) -> Self {
        PipelineError::Stage {
            stage,
            reason: e.to_string(),
        }
    }
}
