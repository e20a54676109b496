//! What a pipeline runs, as kompress.toml says: `[pruner]`, `[stat]` and the floor file. Every
//! command that starts a pipeline (compress, run, score, serve, stream, recompress) and the
//! Python package build it here, so the pruner, its settings and the floor reach each of them
//! alike, and the pipeline's identity (cache keys, Kafka record ids) covers all three.

use std::path::PathBuf;
use std::sync::Arc;

use kompress_core::CoreError;
use kompress_floor::Floor;
use kompress_pipeline::{pipeline_identity, stat_description, PipelineError, PipelineSettings};
use kompress_stat::StatConfig;

use crate::{PrunerKind, PrunerSpec};

/// `[pruner]`, `[stat]` and `floor` of kompress.toml.
#[derive(Debug, Clone, Default)]
pub struct PipelineConfig {
    pub pruner: PrunerSpec,
    pub stat: StatConfig,
    /// A floor pattern file (TOML) laid over (or replacing) the embedded default.
    pub floor: Option<PathBuf>,
}

impl PipelineConfig {
    /// Checks the pruner's fields (the error names the offending one).
    pub fn validate(&self) -> Result<(), CoreError> {
        self.pruner.validate()
    }

    /// The floor file's patterns, or the embedded default.
    pub fn floor(&self) -> Result<Floor, PipelineError> {
        Ok(match &self.floor {
            Some(p) => Floor::from_file(p)?,
            None => Floor::embedded_default(),
        })
    }

    /// What the pruner computes, for the pipeline's identity: the statistical pruner is its
    /// `[stat]` table; any other kind adds the whole `[pruner]` table (model directory, blend
    /// weight and bias, routed kinds, dtype).
    pub fn describe(&self) -> String {
        let stat = stat_description(&self.stat);
        match self.pruner.kind {
            PrunerKind::Stat => stat,
            _ => format!(
                "{} + {stat}",
                serde_json::to_string(&self.pruner).expect("PrunerSpec serialises")
            ),
        }
    }

    /// Pipeline settings that build this pruner on the model thread, with this floor and the
    /// identity of both (other knobs at their defaults).
    pub fn settings(&self) -> Result<PipelineSettings, PipelineError> {
        self.validate()?;
        let floor = self.floor()?;
        let (spec, stat) = (self.pruner.clone(), self.stat.clone());
        Ok(PipelineSettings {
            identity: pipeline_identity(&self.describe(), &floor),
            pruner: Box::new(move || spec.build(&stat)),
            floor: Arc::new(floor),
            batch_token_budget: self.pruner.batch_token_budget(),
            ..PipelineSettings::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statistical pruner with every default.
    fn stat_only() -> PipelineConfig {
        PipelineConfig {
            pruner: PrunerSpec {
                kind: PrunerKind::Stat,
                ..PrunerSpec::default()
            },
            ..PipelineConfig::default()
        }
    }

    #[test]
    fn the_default_config_has_the_default_pipelines_identity() {
        let s = stat_only().settings().unwrap();
        assert_eq!(s.identity, PipelineSettings::default().identity);
    }

    #[test]
    fn the_identity_changes_with_the_pruner_the_stat_table_and_the_floor() {
        let stat = stat_only();
        let id = |c: &PipelineConfig| c.settings().unwrap().identity;
        let base = id(&stat);
        let mut auto = stat.clone();
        auto.pruner.kind = PrunerKind::Auto;
        let mut tuned = stat.clone();
        tuned.stat.repeat_penalty += 0.5;
        let dir = std::env::temp_dir().join(format!("kompress-pc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("floor.toml");
        std::fs::write(
            &file,
            "[[category]]\nname = \"ticket\"\nkeep = \"span\"\npatterns = ['TICKET-[0-9]+']\n",
        )
        .unwrap();
        let mut floored = stat.clone();
        floored.floor = Some(file);
        let ids = [base, id(&auto), id(&tuned), id(&floored)];
        std::fs::remove_dir_all(&dir).ok();
        for i in 0..ids.len() {
            for j in i + 1..ids.len() {
                assert_ne!(ids[i], ids[j], "configs {i} and {j} share an identity");
            }
        }
        assert_eq!(base, id(&stat.clone()), "the identity is stable");
    }

    #[test]
    fn a_missing_floor_file_is_a_floor_error_with_its_path() {
        let c = PipelineConfig {
            floor: Some("/nonexistent/floor.toml".into()),
            ..PipelineConfig::default()
        };
        let e = c.settings().err().expect("fails");
        assert_eq!(e.kind(), "floor_config");
        assert!(e.to_string().contains("/nonexistent/floor.toml"), "{e}");
    }
}
