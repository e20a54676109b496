//! Optional secret scrubber, run on every record before it is stored.
//!
//! Trade-off: a scrubbed record holds `[secret:<kind>]` where the secret was, so restoring its
//! transcript is no longer byte-exact. Restore reports which records were scrubbed
//! ([`crate::RestoredTranscript::scrubbed`]); turn the scrubber off where exact restore matters
//! more than keeping secrets out of the store.

use std::borrow::Cow;

use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};

use crate::MemoryRecord;

/// The kinds of secret the scrubber knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// `-----BEGIN … PRIVATE KEY-----` blocks, whole.
    PrivateKey,
    /// AWS access key ids (`AKIA…`, `ASIA…`).
    AwsAccessKey,
    /// The value of `aws_secret_access_key = …`.
    AwsSecretKey,
    /// GitHub tokens (`ghp_…`, `gho_…`, `ghs_…`, `github_pat_…`).
    GithubToken,
    /// Slack tokens (`xoxb-…`, `xoxp-…`).
    SlackToken,
    /// `sk-…` API keys (OpenAI, Anthropic and look-alikes).
    ApiKey,
    /// The credential after `Bearer `.
    BearerToken,
    /// The password in `scheme://user:password@host`.
    UrlPassword,
}

impl SecretKind {
    pub const ALL: [SecretKind; 8] = [
        SecretKind::PrivateKey,
        SecretKind::AwsAccessKey,
        SecretKind::AwsSecretKey,
        SecretKind::GithubToken,
        SecretKind::SlackToken,
        SecretKind::ApiKey,
        SecretKind::BearerToken,
        SecretKind::UrlPassword,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SecretKind::PrivateKey => "private_key",
            SecretKind::AwsAccessKey => "aws_access_key",
            SecretKind::AwsSecretKey => "aws_secret_key",
            SecretKind::GithubToken => "github_token",
            SecretKind::SlackToken => "slack_token",
            SecretKind::ApiKey => "api_key",
            SecretKind::BearerToken => "bearer_token",
            SecretKind::UrlPassword => "url_password",
        }
    }

    /// The pattern; a `keep` group, when present, is context left in place before the secret,
    /// and a `tail` group context left after it.
    fn pattern(self) -> &'static str {
        match self {
            SecretKind::PrivateKey => {
                r"(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----"
            }
            SecretKind::AwsAccessKey => r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
            SecretKind::AwsSecretKey => {
                r#"(?i)(?P<keep>aws_secret_access_key["']?\s*[=:]\s*["']?)[A-Za-z0-9/+=]{40}"#
            }
            SecretKind::GithubToken => {
                r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"
            }
            SecretKind::SlackToken => r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
            SecretKind::ApiKey => r"\bsk-[A-Za-z0-9_-]{20,}",
            SecretKind::BearerToken => r"(?i)(?P<keep>\bbearer\s+)[A-Za-z0-9._~+/-]{16,}=*",
            SecretKind::UrlPassword => {
                r"(?P<keep>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:)[^\s/@]+(?P<tail>@)"
            }
        }
    }
}

/// Scrubber settings: `enabled` switches it on, `kinds` picks the secrets (all by default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScrubConfig {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default = "all_kinds")]
    pub kinds: Vec<SecretKind>,
}

fn all_kinds() -> Vec<SecretKind> {
    SecretKind::ALL.to_vec()
}

impl Default for ScrubConfig {
    fn default() -> Self {
        ScrubConfig {
            enabled: false,
            kinds: all_kinds(),
        }
    }
}

impl ScrubConfig {
    pub fn on() -> Self {
        ScrubConfig {
            enabled: true,
            kinds: all_kinds(),
        }
    }
}

/// Compiled scrubber.
#[derive(Debug, Clone)]
pub struct Scrubber {
    rules: Vec<(SecretKind, Regex)>,
}

impl Scrubber {
    /// `None` when the config leaves the scrubber off.
    pub fn from_config(config: &ScrubConfig) -> Option<Scrubber> {
        if !config.enabled || config.kinds.is_empty() {
            return None;
        }
        let mut kinds = Vec::new();
        for k in SecretKind::ALL {
            if config.kinds.contains(&k) {
                kinds.push(k);
            }
        }
        let rules = kinds
            .into_iter()
            .map(|k| {
                // The patterns are fixed literals, checked by the tests below.
                let re = Regex::new(k.pattern()).expect("built-in secret pattern compiles");
                (k, re)
            })
            .collect();
        Some(Scrubber { rules })
    }

    /// `text` with every secret replaced by `[secret:<kind>]`, and the kinds found.
    pub fn scrub<'a>(&self, text: &'a str) -> (Cow<'a, str>, Vec<SecretKind>) {
        let mut out: Cow<'a, str> = Cow::Borrowed(text);
        let mut found = Vec::new();
        for (kind, re) in &self.rules {
            if !re.is_match(&out) {
                continue;
            }
            found.push(*kind);
            let replaced = re
                .replace_all(&out, |c: &Captures<'_>| {
                    let keep = c.name("keep").map_or("", |m| m.as_str());
                    let tail = c.name("tail").map_or("", |m| m.as_str());
                    format!("{keep}[secret:{}]{tail}", kind.name())
                })
                .into_owned();
            out = Cow::Owned(replaced);
        }
        (out, found)
    }

    /// Scrubs the record's original and decoded text in place; true when anything changed.
    pub fn scrub_record(&self, record: &mut MemoryRecord) -> bool {
        let mut changed = false;
        let (orig, found) = self.scrub(&record.eviction.original);
        if !found.is_empty() {
            record.eviction.original = orig.into_owned();
            changed = true;
        }
        if let Some(decoded) = record.eviction.decoded.as_mut() {
            let (dec, found) = self.scrub(decoded);
            if !found.is_empty() {
                *decoded = dec.into_owned();
                changed = true;
            }
        }
        if changed {
            record.scrubbed = true;
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrubber() -> Scrubber {
        Scrubber::from_config(&ScrubConfig::on()).unwrap()
    }

    #[test]
    fn every_builtin_pattern_compiles() {
        assert_eq!(scrubber().rules.len(), SecretKind::ALL.len());
    }

    #[test]
    fn replaces_each_kind_with_a_typed_placeholder() {
        let s = scrubber();
        let cases = [
            ("key AKIAIOSFODNN7EXAMPLE used", "key [secret:aws_access_key] used"),
            (
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "aws_secret_access_key = [secret:aws_secret_key]",
            ),
            (
                "token ghp_abcdefghijklmnopqrstuvwxyz0123456789 ok",
                "token [secret:github_token] ok",
            ),
            ("SLACK=xoxb-1234567890-abcdefghij", "SLACK=[secret:slack_token]"),
            (
                "OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx",
                "OPENAI_API_KEY=[secret:api_key]",
            ),
            (
                "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def",
                "Authorization: Bearer [secret:bearer_token]",
            ),
            (
                "db postgres://admin:hunter2@db.local:5432/x",
                "db postgres://admin:[secret:url_password]@db.local:5432/x",
            ),
            (
                "a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY-----\nb",
                "a\n[secret:private_key]\nb",
            ),
        ];
        for (input, want) in cases {
            let (got, found) = s.scrub(input);
            assert_eq!(got, want, "input {input:?}");
            assert_eq!(found.len(), 1, "input {input:?}: {found:?}");
        }
    }

    #[test]
    fn leaves_ordinary_log_text_untouched() {
        let s = scrubber();
        let text = "at org.jfree.data.time.TimeSeries.createCopy(TimeSeries.java:883)\n\
                    error[E0308]: mismatched types -- see https://doc.rust-lang.org/x\n\
                    sha256:9fbd47ba deadbeef usr_a1b2c3d4 task-1234567890abcdefghijkl";
        let (got, found) = s.scrub(text);
        assert!(found.is_empty(), "{found:?}");
        assert!(matches!(got, Cow::Borrowed(_)));
    }

    #[test]
    fn only_configured_kinds_are_scrubbed() {
        let cfg = ScrubConfig {
            enabled: true,
            kinds: vec![SecretKind::AwsAccessKey],
        };
        let s = Scrubber::from_config(&cfg).unwrap();
        let (got, _) = s.scrub("AKIAIOSFODNN7EXAMPLE Bearer abcdefghijklmnopqrstuvwxyz");
        assert_eq!(
            got,
            "[secret:aws_access_key] Bearer abcdefghijklmnopqrstuvwxyz"
        );
    }

    #[test]
    fn disabled_config_builds_no_scrubber() {
        assert!(Scrubber::from_config(&ScrubConfig::default()).is_none());
    }
}
