//! Which exit code (the one table: [`kompress_core::exit`]) an error of this binary gets, by
//! variant along its source chain.

use kompress_core::CoreError;
use kompress_pipeline::PipelineError;

pub use kompress_core::exit::{CONFIG, FAILURE, INPUT, RESTORE};

pub fn code_for(e: &anyhow::Error) -> i32 {
    if let Some(k) = e.downcast_ref::<kompress_kafka::KafkaError>() {
        return kompress_kafka::cli::exit_code(k);
    }
    for cause in e.chain() {
        let core = cause.downcast_ref::<CoreError>().or_else(|| {
            match cause.downcast_ref::<PipelineError>() {
                Some(PipelineError::Core(c)) => Some(c),
                _ => None,
            }
        });
        if let Some(c) = core {
            return match c {
                CoreError::InvalidConfig { .. } => CONFIG,
                CoreError::Restore { .. } => RESTORE,
                CoreError::Pruner { .. } => FAILURE,
                _ => INPUT,
            };
        }
        #[cfg(feature = "learned")]
        if matches!(
            cause.downcast_ref::<kompress_model::ModelError>(),
            Some(kompress_model::ModelError::InvalidConfig { .. })
        ) {
            return CONFIG;
        }
        if matches!(
            cause.downcast_ref::<PipelineError>(),
            Some(PipelineError::Floor(_))
        ) || matches!(
            cause.downcast_ref::<kompress_serve::ServeError>(),
            Some(kompress_serve::ServeError::Config { .. })
        ) {
            return CONFIG;
        }
    }
    FAILURE
}
