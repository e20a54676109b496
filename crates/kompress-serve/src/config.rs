//! `kompress serve` settings: the `[serve]` table of a TOML file, every field validated by name.

use std::collections::BTreeMap;

use kompress_core::CompressionConfig;
use kompress_memory::MemoryConfig;
use kompress_telemetry::TelemetryConfig;
use serde::{Deserialize, Serialize};

use crate::error::ServeError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    /// Address to listen on, e.g. `127.0.0.1:8787`.
    pub listen: String,
    /// HTTP worker threads.
    pub workers: usize,
    /// Largest request body accepted (413 beyond).
    pub max_body_bytes: usize,
    /// Requests being compressed at once; one more gets 429 at once (no queue).
    pub max_inflight: usize,
    /// Longest a compression may take (504 beyond).
    pub request_timeout_ms: u64,
    /// How long shutdown waits for in-flight requests to finish.
    pub shutdown_timeout_secs: u64,
    /// Compressed messages remembered (LRU) so history is compressed once and identically.
    pub cache_entries: usize,
    /// Byte budget of that cache (keys, compressed results and their eviction records); the
    /// least recently used entries go first until both bounds hold.
    pub cache_max_bytes: usize,
    /// Default compression settings (a request may send its own).
    pub compression: CompressionConfig,
    pub proxy: ProxyConfig,
    /// Where evictions are kept for `kompress_retrieve` / `POST /v1/retrieve`; none: not kept.
    pub memory: Option<MemoryConfig>,
    /// Logs (stdout JSON by default) and OpenTelemetry export (off unless an OTLP endpoint
    /// is set here or in `OTEL_EXPORTER_OTLP_ENDPOINT`); installed by the binary at start.
    pub telemetry: TelemetryConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxyConfig {
    /// The allow-list: upstream name -> base URL (`https://api.openai.com`, optionally with a
    /// base path; no userinfo, query or fragment). Nothing else is ever contacted, redirects
    /// included; a client may pick another listed name with `x-kompress-upstream`.
    pub upstreams: BTreeMap<String, String>,
    /// Upstream used by `/v1/chat/completions` and `/v1/responses`.
    pub openai: Option<String>,
    /// Upstream used by `/v1/messages`.
    pub anthropic: Option<String>,
    /// Roles whose text is compressed in proxied requests (`tool`: tool results).
    pub roles: Vec<String>,
    /// Tool names whose results are never compressed (OpenAI `name` of the tool message,
    /// Anthropic tool_use name).
    pub skip_tools: Vec<String>,
    /// Add the `kompress_retrieve` tool to every request while a memory store is set (on every
    /// turn, markers or not, so the cached tool list never changes mid-session).
    pub inject_retrieve_tool: bool,
    /// Rounds of `kompress_retrieve`-only calls the proxy answers itself from memory before
    /// handing the upstream's response to the client (non-streaming requests; 0: never, the
    /// client sees every call).
    pub retrieve_max_rounds: u32,
    /// Longest wait for the upstream's response head.
    pub upstream_timeout_secs: u64,
    /// PEM file of one or more CA certificates trusted for HTTPS upstreams in addition to the
    /// webpki roots (a private CA in front of an internal gateway). Needs the `tls` feature.
    pub ca_file: Option<std::path::PathBuf>,
    /// History-aware compaction of old tool results (`[proxy.history]`).
    pub history: crate::history::HistoryConfig,
    /// Runs of lines an earlier tool result already shows become one marker
    /// (`[proxy.repeats]`).
    pub repeats: crate::stable::RepeatConfig,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            upstreams: BTreeMap::new(),
            openai: None,
            anthropic: None,
            roles: vec!["tool".into()],
            skip_tools: Vec::new(),
            inject_retrieve_tool: true,
            retrieve_max_rounds: 3,
            upstream_timeout_secs: 600,
            ca_file: None,
            history: crate::history::HistoryConfig::default(),
            repeats: crate::stable::RepeatConfig::default(),
        }
    }
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: "127.0.0.1:8787".into(),
            workers: 2,
            max_body_bytes: 16 << 20,
            max_inflight: 64,
            request_timeout_ms: 30_000,
            shutdown_timeout_secs: 30,
            cache_entries: 50_000,
            cache_max_bytes: crate::stable::DEFAULT_CACHE_MAX_BYTES,
            compression: CompressionConfig::default(),
            proxy: ProxyConfig::default(),
            memory: None,
            telemetry: TelemetryConfig::default(),
        }
    }
}

/// Upper bound of `proxy.retrieve_max_rounds`: each round is a full upstream request.
pub const MAX_RETRIEVE_ROUNDS: u32 = 16;

pub(crate) fn bad(field: &'static str, reason: impl Into<String>) -> ServeError {
    ServeError::Config {
        field,
        reason: reason.into(),
    }
}

impl ServeConfig {
    pub fn from_toml(src: &str) -> Result<Self, ServeError> {
        let c: ServeConfig = toml::from_str(src).map_err(|e| bad("(file)", e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    /// serve.toml as every kompress config layers ([`kompress_core::layered`]): the defaults,
    /// the file `src` (when given), then the `KOMPRESS__*` variables of its keys
    /// (`KOMPRESS__LISTEN`, `KOMPRESS__PROXY__ANTHROPIC`, `KOMPRESS__COMPRESSION__MODE`, …).
    /// The command's flags go on top.
    pub fn layered(
        src: Option<&str>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ServeError> {
        let mut root = match src {
            Some(s) => {
                toml::from_str::<toml::Table>(s).map_err(|e| bad("(file)", e.to_string()))?
            }
            None => toml::Table::new(),
        };
        kompress_core::layered::overlay_env(&mut root, env, kompress_core::layered::SERVE_TOML)
            .map_err(|e| match e {
                kompress_core::CoreError::InvalidConfig { field, reason } => {
                    bad("(environment)", format!("{field}: {reason}"))
                }
                other => bad("(environment)", other.to_string()),
            })?;
        let c: ServeConfig = toml::Value::Table(root)
            .try_into()
            .map_err(|e: toml::de::Error| bad("(file)", e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), ServeError> {
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(bad(
                "listen",
                format!("{:?} is not an ip:port address", self.listen),
            ));
        }
        if !(1..=256).contains(&self.workers) {
            return Err(bad("workers", "must be between 1 and 256"));
        }
        if self.max_body_bytes == 0 {
            return Err(bad("max_body_bytes", "must be > 0"));
        }
        if !(1..=100_000).contains(&self.max_inflight) {
            return Err(bad("max_inflight", "must be between 1 and 100000"));
        }
        if self.request_timeout_ms == 0 {
            return Err(bad("request_timeout_ms", "must be > 0"));
        }
        if self.cache_entries == 0 {
            return Err(bad("cache_entries", "must be > 0"));
        }
        if self.cache_max_bytes == 0 {
            return Err(bad("cache_max_bytes", "must be > 0"));
        }
        self.compression
            .validate()
            .map_err(|e| bad("compression", e.to_string()))?;
        let p = &self.proxy;
        for (name, url) in &p.upstreams {
            // the reason never repeats the URL: it could hold a password
            crate::allow::Upstream::parse(url)
                .map_err(|why| bad("proxy.upstreams", format!("{name}: the URL {why}")))?;
        }
        for (field, pick) in [
            ("proxy.openai", &p.openai),
            ("proxy.anthropic", &p.anthropic),
        ] {
            if let Some(name) = pick {
                if !p.upstreams.contains_key(name) {
                    return Err(bad(
                        field,
                        format!("{name:?} is not a key of proxy.upstreams"),
                    ));
                }
            }
        }
        if p.retrieve_max_rounds > MAX_RETRIEVE_ROUNDS {
            return Err(bad(
                "proxy.retrieve_max_rounds",
                format!("must be at most {MAX_RETRIEVE_ROUNDS}"),
            ));
        }
        if let Some(path) = &p.ca_file {
            if !cfg!(feature = "tls") {
                return Err(bad(
                    "proxy.ca_file",
                    format!(
                        "{}: HTTPS upstreams need a build with the `tls` feature",
                        path.display()
                    ),
                ));
            }
            if !path.is_file() {
                return Err(bad(
                    "proxy.ca_file",
                    format!("{}: no such file", path.display()),
                ));
            }
        }
        p.history.validate(p.upstreams.keys())?;
        p.repeats.validate()?;
        for r in &p.roles {
            if !kompress_core::KNOWN_ROLES.contains(&r.as_str()) {
                return Err(bad("proxy.roles", format!("{r:?} is not a known role")));
            }
        }
        if let Some(m) = &self.memory {
            m.validate().map_err(|e| bad("memory", e.to_string()))?;
        }
        self.telemetry
            .validate()
            .map_err(|e| bad("telemetry", e.to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn variables_lie_over_the_file_and_other_commands_variables_are_skipped() {
        let env = [
            ("KOMPRESS__LISTEN", "127.0.0.1:9999"),
            ("KOMPRESS__COMPRESSION__MODE", "ultra"),
            ("KOMPRESS__KAFKA__GROUP_ID", "not serve's"),
            ("KOMPRESS__PRUNER__KIND", "stat"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let c = ServeConfig::layered(Some("listen = \"127.0.0.1:1\"\nworkers = 3\n"), env).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9999");
        assert_eq!(
            c.workers, 3,
            "the file's value stays where no variable sets it"
        );
        assert_eq!(c.compression.mode, kompress_core::Mode::Ultra);
    }

    #[test]
    fn a_variable_that_fails_validation_is_a_config_error() {
        let env = [("KOMPRESS__LISTEN".to_string(), "not an address".to_string())];
        let e = ServeConfig::layered(None, env).unwrap_err();
        assert!(
            matches!(
                e,
                ServeError::Config {
                    field: "listen",
                    ..
                }
            ),
            "{e}"
        );
    }

    use super::*;

    #[test]
    fn unknown_field_is_rejected_by_name() {
        let e = ServeConfig::from_toml("listen = \"127.0.0.1:1\"\nspeed = 3\n").unwrap_err();
        assert!(e.to_string().contains("speed"), "{e}");
    }

    #[test]
    fn proxy_route_must_name_an_allowed_upstream() {
        let e = ServeConfig::from_toml("[proxy]\nopenai = \"evil\"\n").unwrap_err();
        assert!(e.to_string().contains("proxy.openai"), "{e}");
    }

    #[test]
    fn too_many_retrieve_rounds_are_rejected_by_name() {
        let e = ServeConfig::from_toml("[proxy]\nretrieve_max_rounds = 99\n").unwrap_err();
        assert!(e.to_string().contains("proxy.retrieve_max_rounds"), "{e}");
    }

    #[test]
    fn a_zero_cache_byte_budget_is_rejected_by_name() {
        let e = ServeConfig::from_toml("cache_max_bytes = 0\n").unwrap_err();
        assert!(e.to_string().contains("cache_max_bytes"), "{e}");
    }

    #[test]
    fn a_missing_ca_file_is_rejected_by_name() {
        let e = ServeConfig::from_toml("[proxy]\nca_file = \"/nonexistent/ca.pem\"\n").unwrap_err();
        assert!(e.to_string().contains("proxy.ca_file"), "{e}");
    }

    #[test]
    fn an_upstream_with_userinfo_is_rejected_by_name_without_its_password() {
        let src = "[proxy]\nupstreams = { gw = \"https://svc:s3cret@gw.internal\" }\n";
        let e = ServeConfig::from_toml(src).unwrap_err().to_string();
        assert!(
            e.contains("proxy.upstreams") && e.contains("userinfo"),
            "{e}"
        );
        assert!(!e.contains("s3cret"), "{e}");
    }

    #[test]
    fn default_config_is_valid() {
        ServeConfig::default().validate().unwrap();
    }
}
