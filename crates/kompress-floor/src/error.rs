//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong while loading or building a floor. Scanning never fails.
#[derive(Debug, thiserror::Error)]
pub enum FloorError {
    /// The config file could not be read.
    #[error("cannot read floor config {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The config is not valid TOML, or a field has the wrong name or type (the message
    /// from `toml` names the field, line and column).
    #[error("invalid floor config: {source}")]
    Toml {
        #[source]
        source: toml::de::Error,
    },
    /// A field holds a value that parses but makes no sense (empty name, unknown category
    /// in `disable`, duplicate names, ...). `field` is a path such as `category[3].name`.
    #[error("invalid floor config field `{field}`: {reason}")]
    Invalid { field: String, reason: String },
    /// A pattern does not compile, or can match the empty string.
    #[error("category `{category}` pattern {index} ({pattern:?}): {reason}")]
    Pattern {
        category: String,
        index: usize,
        pattern: String,
        reason: String,
        #[source]
        source: Option<Box<regex_automata::meta::BuildError>>,
    },
    /// The patterns compile one by one but not together (for example a size limit).
    #[error("cannot build the combined floor regex from {patterns} patterns: {source}")]
    Build {
        patterns: usize,
        #[source]
        source: Box<regex_automata::meta::BuildError>,
    },
}

impl FloorError {
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FloorError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
