//! Compression settings. Mirrors the `[compression]` table of `kompress.toml`; every field
//! is validated and an invalid one is reported by name.

use serde::{Deserialize, Serialize};

use crate::CoreError;

/// How hard to compress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Evict whole low-value lines (a run of them becomes one marker); a kept line stays whole,
    /// byte for byte.
    #[default]
    Safe,
    /// Safe, plus cutting low-value token runs out of kept lines (`[…ref=…]`) and folding of
    /// repeated line templates into one template line and parameters.
    Ultra,
}

impl std::str::FromStr for Mode {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "safe" => Ok(Mode::Safe),
            "ultra" => Ok(Mode::Ultra),
            other => Err(CoreError::config(
                "mode",
                format!("{other:?} is not one of: safe, ultra"),
            )),
        }
    }
}

/// Settings that decide what one text compresses to. Compression of a text depends only on
/// the text and this struct (prefix stability), so it is hashed into every cache key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CompressionConfig {
    pub mode: Mode,
    /// Fraction of tokens to keep, in (0, 1]. `None`: keep what the gate keeps at its threshold.
    pub target_ratio: Option<f32>,
    /// Eviction probability at or above which a token is evicted (when no target ratio).
    pub threshold: f32,
    /// Weight of the span-coherence signal in the gate: `p = sigmoid(tok - gamma * g(span))`.
    pub gamma: f32,
    /// Emit `[…N lines, ref=…]` markers for elided runs (off: elide silently; restore still works).
    pub markers: bool,
    /// Drop ANSI colour/cursor escape codes (recorded as edits, so restore is exact).
    pub strip_ansi: bool,
    /// Texts with fewer bytes than this are left alone.
    pub min_bytes: usize,
    /// Largest text accepted, in bytes.
    pub max_bytes: usize,
    /// In JSON transcripts, the roles whose text is compressed (`tool` covers OpenAI tool
    /// messages and Anthropic `tool_result` blocks). System prompts stay untouched by default.
    pub roles: Vec<String>,
    /// Safe mode: runs of same-template lines in logs and listings become the template once
    /// plus one row per line holding that line's parameters byte-exact (`Tn| a | b`), instead
    /// of being kept verbatim or evicted. Every parameter stays visible.
    pub fold: bool,
    /// In build and test output (not logs or listings, where every line folds), also fold
    /// the same-template lines the pruner would evict, so that their parameters stay visible.
    pub fold_evicted: bool,
    /// Most lines (share of non-blank lines) the pipeline may remove from a listing, search
    /// result, source file, diff, git log or JSON text. Past it, every line is kept.
    pub protect_share: f32,
}

/// Roles a transcript message may have.
pub const KNOWN_ROLES: &[&str] = &[
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

impl Default for CompressionConfig {
    fn default() -> Self {
        CompressionConfig {
            mode: Mode::Safe,
            target_ratio: None,
            threshold: 0.5,
            gamma: 1.0,
            markers: true,
            strip_ansi: true,
            min_bytes: 256,
            max_bytes: 64 << 20,
            roles: vec!["tool".to_string()],
            fold: true,
            fold_evicted: true,
            protect_share: 0.3,
        }
    }
}

impl CompressionConfig {
    pub fn validate(&self) -> Result<(), CoreError> {
        if let Some(r) = self.target_ratio {
            if !(r > 0.0 && r <= 1.0) {
                return Err(CoreError::config(
                    "target_ratio",
                    format!("{r} is not in (0, 1]"),
                ));
            }
        }
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            return Err(CoreError::config(
                "threshold",
                format!("{} is not in (0, 1)", self.threshold),
            ));
        }
        if !self.gamma.is_finite() || self.gamma < 0.0 {
            return Err(CoreError::config(
                "gamma",
                format!("{} must be finite and >= 0", self.gamma),
            ));
        }
        for r in &self.roles {
            if !KNOWN_ROLES.contains(&r.as_str()) {
                return Err(CoreError::config(
                    "roles",
                    format!("{r:?} is not one of: {}", KNOWN_ROLES.join(", ")),
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.protect_share) {
            return Err(CoreError::config(
                "protect_share",
                format!("{} is not in [0, 1]", self.protect_share),
            ));
        }
        if self.max_bytes == 0 {
            return Err(CoreError::config("max_bytes", "must be > 0"));
        }
        Ok(())
    }

    /// A stable 64-bit fingerprint of the settings (part of cache keys and record ids).
    pub fn fingerprint(&self) -> u64 {
        let json = serde_json::to_string(self).expect("config serialises");
        xxhash_rust::xxh3::xxh3_64(json.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_ratio_by_name() {
        let c = CompressionConfig {
            target_ratio: Some(1.5),
            ..Default::default()
        };
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("target_ratio"), "{e}");
    }

    #[test]
    fn unknown_field_is_rejected() {
        let e = toml::from_str::<CompressionConfig>("mode = \"safe\"\nspeed = 3\n").unwrap_err();
        assert!(e.to_string().contains("speed"), "{e}");
    }

    #[test]
    fn fingerprint_changes_with_settings() {
        let a = CompressionConfig::default();
        let b = CompressionConfig {
            mode: Mode::Ultra,
            ..Default::default()
        };
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint(), CompressionConfig::default().fingerprint());
    }
}

/// The shape of a compress request's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One plain text (a tool output, a log).
    #[default]
    Text,
    /// OpenAI Chat Completions: `{"messages": [...]}` or a bare messages array.
    OpenAi,
    /// Anthropic Messages: `{"system": ..., "messages": [...]}` or a bare messages array.
    Anthropic,
    /// OpenAI Responses: `{"input": [...]}` items (`message`, `function_call_output`, …) or a
    /// bare items array; what Codex CLI sends.
    Responses,
    /// JSON transcripts: OpenAI Chat Completions, Anthropic or OpenAI Responses, told apart by
    /// their fields and content blocks.
    Auto,
}

impl std::str::FromStr for Format {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Format::Text),
            "openai" => Ok(Format::OpenAi),
            "anthropic" => Ok(Format::Anthropic),
            "responses" => Ok(Format::Responses),
            "auto" => Ok(Format::Auto),
            other => Err(CoreError::config(
                "format",
                format!("{other:?} is not one of: text, openai, anthropic, responses, auto"),
            )),
        }
    }
}
