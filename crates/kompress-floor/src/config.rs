//! The floor's TOML config: what a file may say, how a user file is laid over the embedded
//! defaults, and how `${var}` references in patterns are expanded.
//!
//! A file has four optional top-level keys:
//!
//! ```toml
//! base = "default"          # or "none": start from the embedded defaults or from nothing
//! disable = ["quoted"]      # names of base categories to drop
//! [vars]                    # reusable regex fragments, referenced as ${NAME} in patterns
//! ID = '[A-Za-z_][A-Za-z0-9_]*'
//! [[category]]              # add a category, or replace a base category of the same name
//! name = "ticket"
//! keep = "span"             # "span" or "line"
//! patterns = ['(?-u:\b)[A-Z]{2,6}-[0-9]+(?-u:\b)']
//! priority = "first"        # new categories only: "first" (default) or "last"
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::FloorError;

/// How much of the text around a hit the floor protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Keep {
    /// The span is atomic: whenever one of its tokens is kept, all are, and it is always
    /// kept inside a kept line.
    Span,
    /// The whole line holding the hit must never be evicted.
    Line,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Base {
    #[default]
    Default,
    None,
}

/// Where a new (not replacing) category goes. Earlier categories win when two patterns match
/// at the same position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Priority {
    #[default]
    First,
    Last,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    base: Base,
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
    #[serde(default, rename = "category")]
    categories: Vec<CategoryConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryConfig {
    name: String,
    keep: Keep,
    patterns: Vec<String>,
    #[serde(default)]
    priority: Priority,
}

/// A category after merging, with its patterns still unexpanded.
#[derive(Debug, Clone)]
pub(crate) struct RawCategory {
    pub name: String,
    pub keep: Keep,
    pub patterns: Vec<String>,
}

/// A category ready to compile: patterns expanded, in priority order.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedCategory {
    pub name: String,
    pub keep: Keep,
    /// `(as written, expanded)` per pattern.
    pub patterns: Vec<(String, String)>,
}

/// The merged view of one or more files: vars and categories in priority order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Merged {
    vars: BTreeMap<String, String>,
    categories: Vec<RawCategory>,
}

/// Parses `src` and lays it over `base` (the embedded defaults) when it asks for them.
/// `base` is `None` only while the embedded file itself is being loaded.
pub(crate) fn merge(src: &str, base: Option<&Merged>) -> Result<Merged, FloorError> {
    let file: FileConfig = toml::from_str(src).map_err(|source| FloorError::Toml { source })?;
    let mut merged = match (file.base, base) {
        (Base::Default, Some(b)) => b.clone(),
        _ => Merged::default(),
    };
    for (name, value) in &file.vars {
        check_name(name, &format!("vars.{name}"), true)?;
        merged.vars.insert(name.clone(), value.clone());
    }
    for (i, name) in file.disable.iter().enumerate() {
        let pos = merged.categories.iter().position(|c| &c.name == name);
        match pos {
            Some(p) => {
                merged.categories.remove(p);
            }
            None => {
                return Err(FloorError::invalid(
                    format!("disable[{i}]"),
                    format!("no category named {name:?} to disable"),
                ))
            }
        }
    }
    let mut front = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, cat) in file.categories.into_iter().enumerate() {
        check_name(&cat.name, &format!("category[{i}].name"), false)?;
        if !seen.insert(cat.name.clone()) {
            return Err(FloorError::invalid(
                format!("category[{i}].name"),
                format!("category {:?} is defined twice", cat.name),
            ));
        }
        if cat.patterns.is_empty() {
            return Err(FloorError::invalid(
                format!("category[{i}].patterns"),
                format!("category {:?} has no patterns", cat.name),
            ));
        }
        let raw = RawCategory {
            name: cat.name,
            keep: cat.keep,
            patterns: cat.patterns,
        };
        match merged.categories.iter().position(|c| c.name == raw.name) {
            Some(p) => merged.categories[p] = raw,
            None if cat.priority == Priority::First => front.push(raw),
            None => merged.categories.push(raw),
        }
    }
    front.append(&mut merged.categories);
    merged.categories = front;
    if merged.categories.len() > usize::from(u16::MAX) {
        return Err(FloorError::invalid(
            "category",
            format!(
                "{} categories, at most {}",
                merged.categories.len(),
                u16::MAX
            ),
        ));
    }
    Ok(merged)
}

/// Expands every pattern's `${var}` references.
pub(crate) fn resolve(merged: &Merged) -> Result<Vec<ResolvedCategory>, FloorError> {
    let mut out = Vec::with_capacity(merged.categories.len());
    for cat in &merged.categories {
        let mut patterns = Vec::with_capacity(cat.patterns.len());
        for (index, p) in cat.patterns.iter().enumerate() {
            let expanded = expand(p, &merged.vars, 0).map_err(|reason| FloorError::Pattern {
                category: cat.name.clone(),
                index,
                pattern: p.clone(),
                reason,
                source: None,
            })?;
            patterns.push((p.clone(), expanded));
        }
        out.push(ResolvedCategory {
            name: cat.name.clone(),
            keep: cat.keep,
            patterns,
        });
    }
    Ok(out)
}

const MAX_VAR_DEPTH: usize = 8;

/// Replaces `${NAME}` with the var's (recursively expanded) value.
fn expand(p: &str, vars: &BTreeMap<String, String>, depth: usize) -> Result<String, String> {
    if depth > MAX_VAR_DEPTH {
        return Err(format!(
            "vars nest deeper than {MAX_VAR_DEPTH} levels (a cycle?)"
        ));
    }
    let mut out = String::with_capacity(p.len() * 2);
    let mut rest = p;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let close = after
            .find('}')
            .ok_or_else(|| "unterminated `${` (write vars as ${NAME})".to_string())?;
        let name = &after[..close];
        let value = vars
            .get(name)
            .ok_or_else(|| format!("unknown variable `${{{name}}}`"))?;
        out.push_str(&expand(value, vars, depth + 1)?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn check_name(name: &str, field: &str, upper_ok: bool) -> Result<(), FloorError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || b == b'_'
                || (upper_ok && b.is_ascii_uppercase())
        });
    if ok {
        Ok(())
    } else {
        let allowed = if upper_ok {
            "[A-Za-z0-9_]"
        } else {
            "[a-z0-9_]"
        };
        Err(FloorError::invalid(
            field,
            format!("name {name:?} must be 1-64 characters of {allowed}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vars_expand_recursively() {
        let mut vars = BTreeMap::new();
        vars.insert("A".to_string(), "a${B}".to_string());
        vars.insert("B".to_string(), "b".to_string());
        assert_eq!(expand("x${A}y", &vars, 0).unwrap(), "xaby");
    }

    #[test]
    fn cyclic_vars_are_rejected() {
        let mut vars = BTreeMap::new();
        vars.insert("A".to_string(), "${A}".to_string());
        assert!(expand("${A}", &vars, 0).unwrap_err().contains("cycle"));
    }

    #[test]
    fn unknown_and_unterminated_vars_are_named() {
        let vars = BTreeMap::new();
        assert!(expand("${NOPE}", &vars, 0).unwrap_err().contains("NOPE"));
        assert!(expand("a${", &vars, 0)
            .unwrap_err()
            .contains("unterminated"));
    }
}
