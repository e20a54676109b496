//! What kind of tool output a text is. The kind decides what "critical" means for it: every
//! entry of a listing, every identifier of a source file, every parameter of a log line, the
//! failure of a build. The classifier lives in kompress-stat; the type is shared by the pruner,
//! the pipeline's guards and the rewriter's folds.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TextKind {
    /// Timestamped or levelled lines: server logs, CI logs, dmesg. Runs of one template fold.
    Log,
    /// Directory listings (`ls -l`, `ls -R`, `find`, `du`, trees), process tables, `env`.
    Listing,
    /// Search results: `path:line:` rows (`grep -rn`, `rg -n`).
    Search,
    /// Unified diffs (`git diff`, `git show`).
    Diff,
    /// `git log` (with or without `--stat`).
    GitLog,
    /// Source code (`cat` / `sed -n` of a file).
    Source,
    /// JSON documents (`json.tool`, API responses).
    Json,
    /// Anything else: build and test output, stack traces, prose.
    #[default]
    Other,
}

impl TextKind {
    pub const ALL: [TextKind; 8] = [
        TextKind::Log,
        TextKind::Listing,
        TextKind::Search,
        TextKind::Diff,
        TextKind::GitLog,
        TextKind::Source,
        TextKind::Json,
        TextKind::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TextKind::Log => "log",
            TextKind::Listing => "listing",
            TextKind::Search => "search",
            TextKind::Diff => "diff",
            TextKind::GitLog => "git_log",
            TextKind::Source => "source",
            TextKind::Json => "json",
            TextKind::Other => "other",
        }
    }

    /// Kinds whose every line is an entry the reader asked for: the pipeline never removes more
    /// than `protect_share` of their lines, and the statistical pruner removes none.
    pub fn is_protected(self) -> bool {
        matches!(
            self,
            TextKind::Listing
                | TextKind::Search
                | TextKind::Source
                | TextKind::Json
                | TextKind::GitLog
                | TextKind::Diff
        )
    }

    /// Kinds whose runs of same-template lines fold into a template and rows (logs, listing
    /// columns, repeated build and test lines). Protected kinds other than listings stay
    /// verbatim: code, diffs and search hits are quoted and edited against.
    pub fn folds(self) -> bool {
        matches!(self, TextKind::Log | TextKind::Listing | TextKind::Other)
    }
}

impl std::str::FromStr for TextKind {
    type Err = crate::CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TextKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                crate::CoreError::config(
                    "kind",
                    format!(
                        "{s:?} is not one of: {}",
                        TextKind::ALL.map(|k| k.name()).join(", ")
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in TextKind::ALL {
            assert_eq!(k.name().parse::<TextKind>().unwrap(), k);
        }
        assert!("nope".parse::<TextKind>().is_err());
    }
}
