//! Exit codes, documented in `kompress --help`'s crate doc and the README.

use kompress_core::CoreError;
use kompress_pipeline::PipelineError;

pub const INPUT: i32 = 3;
pub const CONFIG: i32 = 4;
pub const RESTORE: i32 = 5;

pub fn code_for(e: &anyhow::Error) -> i32 {
    if let Some(k) = e.downcast_ref::<kompress_kafka::KafkaError>() {
        return if k.is_config() { CONFIG } else { 1 };
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
                CoreError::Pruner { .. } => 1,
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
        ) {
            return CONFIG;
        }
    }
    1
}
