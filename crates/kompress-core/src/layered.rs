//! The layering every kompress config shares: defaults, then the file, then
//! `KOMPRESS__SECTION__FIELD` environment variables, then the command's flags.
//!
//! A variable names a path into the config with double underscores, lower-cased:
//! `KOMPRESS__COMPRESSION__MODE=ultra` is `[compression] mode = "ultra"`,
//! `KOMPRESS__KAFKA__BOOTSTRAP_SERVERS=host:9092` is `[kafka] bootstrap_servers`,
//! `KOMPRESS__FLOOR=floor.toml` is the top-level `floor`. The variables share one namespace
//! across commands: each config takes the variables of its own top-level keys, skips those of
//! another command's config ([`KOMPRESS_TOML`], [`SERVE_TOML`], [`STREAM_TOML`]), and rejects a key that no config has (a typo).

use crate::CoreError;

/// The top-level keys of kompress.toml (compress, run, score, and the pipeline part of
/// serve/stream/recompress).
pub const KOMPRESS_TOML: &[&str] = &["compression", "stat", "pruner", "floor"];
/// The top-level keys of serve.toml.
pub const SERVE_TOML: &[&str] = &[
    "listen",
    "workers",
    "max_body_bytes",
    "max_inflight",
    "request_timeout_ms",
    "shutdown_timeout_secs",
    "cache_entries",
    "cache_max_bytes",
    "compression",
    "proxy",
    "memory",
    "telemetry",
];
/// The top-level keys of stream.toml.
pub const STREAM_TOML: &[&str] = &[
    "kafka",
    "topics",
    "processing",
    "compression",
    "memory_sink",
];

/// Whether `key` is a top-level key of some kompress config.
fn is_known(key: &str) -> bool {
    [KOMPRESS_TOML, SERVE_TOML, STREAM_TOML]
        .iter()
        .any(|keys| keys.contains(&key))
}

/// Lays the `KOMPRESS__*` variables of `env` whose first key is one of `own` over `root`.
/// Values are read as TOML scalars (bool, integer, float, else string); a field that is a
/// string in `root` stays a string (`"123"` topic names).
pub fn overlay_env(
    root: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
    own: &[&str],
) -> Result<(), CoreError> {
    for (key, value) in env {
        let Some(rest) = key.strip_prefix("KOMPRESS__") else {
            continue;
        };
        let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
        let first = path[0].as_str();
        if !own.contains(&first) {
            if is_known(first) {
                continue; // another command's setting
            }
            return Err(CoreError::config(
                key.clone(),
                format!("`{first}` is a key of no kompress config"),
            ));
        }
        set_path(root, &path, &key, scalar(&value))?;
    }
    Ok(())
}

fn scalar(v: &str) -> toml::Value {
    if let Ok(b) = v.parse::<bool>() {
        return toml::Value::Boolean(b);
    }
    if let Ok(i) = v.parse::<i64>() {
        return toml::Value::Integer(i);
    }
    if let Ok(f) = v.parse::<f64>() {
        return toml::Value::Float(f);
    }
    toml::Value::String(v.to_string())
}

fn set_path(
    root: &mut toml::Table,
    path: &[String],
    var: &str,
    value: toml::Value,
) -> Result<(), CoreError> {
    let (last, parents) = path
        .split_last()
        .ok_or_else(|| CoreError::config(var, "names no field"))?;
    if path.iter().any(String::is_empty) {
        return Err(CoreError::config(
            var,
            "has an empty part (`___` or a trailing `__`)",
        ));
    }
    let mut table = root;
    for p in parents {
        let entry = table
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = entry
            .as_table_mut()
            .ok_or_else(|| CoreError::config(var, format!("`{p}` is not a section")))?;
    }
    let value = match (table.get(last), value) {
        (Some(toml::Value::String(_)), v) if !v.is_str() => toml::Value::String(v.to_string()),
        (_, v) => v,
    };
    table.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        vars.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn own_keys_are_laid_over_the_file_and_other_commands_keys_are_skipped() {
        let mut root: toml::Table = toml::from_str("[compression]\nmode = \"safe\"\n").unwrap();
        overlay_env(
            &mut root,
            env(&[
                ("KOMPRESS__COMPRESSION__MODE", "ultra"),
                ("KOMPRESS__COMPRESSION__MIN_BYTES", "64"),
                ("KOMPRESS__FLOOR", "my-floor.toml"),
                ("KOMPRESS__KAFKA__BOOTSTRAP_SERVERS", "h:9092"),
                ("KOMPRESS_TEST_BOOTSTRAP", "not ours"),
            ]),
            &["compression", "floor"],
        )
        .unwrap();
        assert_eq!(root["compression"]["mode"].as_str(), Some("ultra"));
        assert_eq!(root["compression"]["min_bytes"].as_integer(), Some(64));
        assert_eq!(root["floor"].as_str(), Some("my-floor.toml"));
        assert!(!root.contains_key("kafka"), "stream.toml's key is not ours");
    }

    #[test]
    fn a_key_of_no_config_is_an_error_naming_the_variable() {
        let mut root = toml::Table::new();
        let e = overlay_env(
            &mut root,
            env(&[("KOMPRESS__COMPRESION__MODE", "ultra")]),
            &["compression"],
        )
        .unwrap_err();
        assert!(e.to_string().contains("KOMPRESS__COMPRESION__MODE"), "{e}");
    }

    #[test]
    fn a_string_field_stays_a_string() {
        let mut root: toml::Table = toml::from_str("[topics]\ninput = \"in\"\n").unwrap();
        overlay_env(
            &mut root,
            env(&[("KOMPRESS__TOPICS__INPUT", "123")]),
            &["topics"],
        )
        .unwrap();
        assert_eq!(root["topics"]["input"].as_str(), Some("123"));
    }
}
