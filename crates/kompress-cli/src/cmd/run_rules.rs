//! Per-command rules of `kompress run` and its hook: `run.toml` (`--config PATH`,
//! `$KOMPRESS_RUN_CONFIG`, or `$XDG_CONFIG_HOME/kompress/run.toml` when it exists; otherwise the
//! built-in defaults below). Unknown fields are rejected by name; a bad regex names its rule.

use std::path::{Path, PathBuf};

use anyhow::Context;
use kompress_core::{CoreError, Mode};
use regex::Regex;
use serde::Deserialize;

/// What happens to a command a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Compress with the configured mode (what an unmatched command gets).
    Compress,
    /// Compress in safe mode whatever `mode` says: lines are kept whole or evicted whole,
    /// error blocks and failing tests stay (the floor force-keeps them).
    Safe,
    /// Print the output unchanged, whole: nothing evicted, nothing stored.
    Pass,
    /// The hook leaves the command alone (it runs unwrapped); `kompress run` passes it.
    Exclude,
}

/// Where the child's stderr goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum StderrMode {
    /// Captured and compressed like stdout, printed to stderr after it (its own recall ref).
    Compress,
    /// Inherited: written live, never captured.
    Pass,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Program names (basename of the first word of a simple command, after `VAR=x`, `sudo`,
    /// `env`, `time`, `nice`, `command`).
    #[serde(default)]
    pub programs: Vec<String>,
    /// A regex over each simple command (`a && b | c` holds three); with `programs`, both
    /// must match.
    #[serde(default)]
    pub regex: Option<String>,
    pub action: Action,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Compression mode of an unmatched command (safe | ultra).
    pub mode: Mode,
    /// Output streams shorter than this many bytes are printed unchanged.
    pub min_bytes: usize,
    pub stderr: StderrMode,
    /// A kompress.toml for `[compression]`, `[stat]`, `[pruner]` and `floor` (relative to
    /// this file).
    pub settings: Option<PathBuf>,
    /// Tried in order; the first rule matching any simple command of the line wins. A file
    /// that sets `[[rule]]` replaces the defaults.
    pub rule: Vec<Rule>,
}

/// State-changing builtins and interactive programs: never wrapped (a wrapped `cd` would
/// not carry over to the agent's next command).
const EXCLUDED: &[&str] = &[
    "cd", "pushd", "popd", "export", "unset", "source", ".", "alias", "set", "exec", "vi", "vim",
    "nvim", "nano", "emacs", "less", "more", "top", "htop", "watch", "kompress",
];
/// Listings: never cap, never evict.
const LISTINGS: &[&str] = &["ls", "find", "tree", "du", "fd", "eza", "exa", "lsd"];
/// Test runners: failures are kept whole.
const TESTS: &str = r"(^|\s)(pytest|py\.test)(\s|$)|^cargo\s+(test|nextest)\b|^(npm|pnpm|yarn|bun)\s+(run\s+)?test\b|^go\s+test\b|^(jest|vitest|mocha|tox|nox|ctest)\b|^make\s+(test|check)\b|^(mvn|gradle|\./gradlew)\b.*\btest\b";

impl Default for RunConfig {
    fn default() -> Self {
        let names = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        RunConfig {
            mode: Mode::Safe,
            min_bytes: 1024,
            stderr: StderrMode::Compress,
            settings: None,
            rule: vec![
                Rule {
                    programs: names(EXCLUDED),
                    regex: None,
                    action: Action::Exclude,
                },
                Rule {
                    programs: Vec::new(),
                    regex: Some(TESTS.into()),
                    action: Action::Safe,
                },
                Rule {
                    programs: names(LISTINGS),
                    regex: None,
                    action: Action::Pass,
                },
            ],
        }
    }
}

/// A loaded config with its regexes compiled.
pub struct Rules {
    pub config: RunConfig,
    regexes: Vec<Option<Regex>>,
}

/// `$XDG_CONFIG_HOME/kompress/run.toml`, else `~/.config/kompress/run.toml`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("kompress").join("run.toml"))
}

impl Rules {
    /// The explicit file, else `$KOMPRESS_RUN_CONFIG`, else the default path if it exists,
    /// else the built-in defaults.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Rules> {
        let env = std::env::var_os("KOMPRESS_RUN_CONFIG").map(PathBuf::from);
        let path = explicit
            .map(Path::to_path_buf)
            .or(env)
            .or_else(|| default_path().filter(|p| p.is_file()));
        let Some(p) = path else {
            return Rules::new(RunConfig::default());
        };
        let src = std::fs::read_to_string(&p)
            .with_context(|| format!("reading run config {}", p.display()))?;
        let mut config: RunConfig = toml::from_str(&src)
            .map_err(|e| CoreError::config(p.display().to_string(), e.to_string()))?;
        if let (Some(s), Some(dir)) = (&config.settings, p.parent()) {
            config.settings = Some(dir.join(s));
        }
        Rules::new(config)
    }

    pub fn new(config: RunConfig) -> anyhow::Result<Rules> {
        let mut regexes = Vec::with_capacity(config.rule.len());
        for (i, r) in config.rule.iter().enumerate() {
            if r.programs.is_empty() && r.regex.is_none() {
                return Err(
                    CoreError::config(format!("rule[{i}]"), "needs `programs` or `regex`").into(),
                );
            }
            let re =
                match &r.regex {
                    Some(s) => Some(Regex::new(s).map_err(|e| {
                        CoreError::config(format!("rule[{i}].regex"), e.to_string())
                    })?),
                    None => None,
                };
            regexes.push(re);
        }
        Ok(Rules { config, regexes })
    }

    /// The action for a command line (a shell string): the first rule that matches any of
    /// its simple commands, else `Compress`.
    pub fn action_for(&self, line: &str) -> Action {
        let segments = simple_commands(line);
        for (rule, re) in self.config.rule.iter().zip(&self.regexes) {
            let hit = segments.iter().any(|(prog, seg)| {
                (rule.programs.is_empty() || rule.programs.iter().any(|p| p == prog))
                    && re.as_ref().is_none_or(|re| re.is_match(seg))
            });
            if hit {
                return rule.action;
            }
        }
        Action::Compress
    }
}

/// Splits a shell line at `&&`, `||`, `;`, `|`, `&` and newlines (quotes are not parsed:
/// a separator inside quotes only adds a segment) into (program, command) pairs, the
/// command without leading `VAR=value` words and wrappers.
pub fn simple_commands(line: &str) -> Vec<(String, String)> {
    const WRAPPERS: &[&str] = &["sudo", "env", "time", "nice", "command", "nohup"];
    let mut out = Vec::new();
    for seg in line.split(['&', '|', ';', '\n']) {
        let mut words: Vec<&str> = seg
            .trim()
            .trim_start_matches(['(', '{', '!', ' '])
            .split_whitespace()
            .collect();
        while let Some(w) = words.first() {
            let is_assign = w.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
            if is_assign || WRAPPERS.contains(w) {
                words.remove(0);
            } else {
                break;
            }
        }
        if let Some(first) = words.first() {
            let prog = first.rsplit('/').next().unwrap_or(first).to_string();
            out.push((prog, words.join(" ")));
        }
    }
    out
}
