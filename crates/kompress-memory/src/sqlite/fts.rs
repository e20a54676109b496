//! What goes into the FTS5 index and how a search is phrased against it.
//!
//! The index is contentless, so the indexed text need not be the stored text: every word is
//! indexed as `<tenant tag>_<word>`. A search for `word` in a tenant then reads only that
//! tenant's posting lists, and BM25 ranks the tenant's matches alone, however many other
//! tenants share the file. (ANDing with one tenant token instead reads a posting list as long as
//! the tenant's whole history on every query.) Sessions are narrowed with one token per
//! (tenant, session) in the `scope` column. Tags are truncated hashes: a collision could only
//! add rows that the query's exact tenant/session filter then drops, so isolation never rests
//! on them.

use sha2::{Digest, Sha256};

fn tag(prefix: char, parts: &[&str], bytes: usize) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    format!("{prefix}{}", hex::encode(&h.finalize()[..bytes]))
}

fn tenant_tag(tenant: &str) -> String {
    tag('k', &[tenant], 6)
}

/// The `scope` column's token for a session of a tenant.
pub(super) fn session_token(tenant: &str, session: &str) -> String {
    tag('s', &[tenant, session], 12)
}

/// Splits text into words the way queries are split: runs of letters, digits and `_`.
pub(super) fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

/// The text indexed for a record of `tenant`: its words, each prefixed with the tenant tag.
pub(super) fn index_body(tenant: &str, text: &str) -> String {
    let tag = tenant_tag(tenant);
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for w in words(text) {
        out.push_str(&tag);
        out.push('_');
        out.push_str(w);
        out.push(' ');
    }
    out
}

/// The FTS5 MATCH expression for `terms` (already split by [`words`]) in the scope.
pub(super) fn match_expr(tenant: &str, session: Option<&str>, terms: &[String]) -> String {
    let tag = tenant_tag(tenant);
    let any = terms
        .iter()
        .map(|t| format!("\"{tag}_{t}\""))
        .collect::<Vec<_>>()
        .join(" OR ");
    match session {
        Some(s) => format!(
            "body : ({any}) AND scope : \"{}\"",
            session_token(tenant, s)
        ),
        None => format!("body : ({any})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_words_carry_the_tenant_tag() {
        let body = index_body("acme", "at Foo.bar(X.java:12)\n");
        let tag = tenant_tag("acme");
        assert_eq!(
            body,
            format!("{tag}_at {tag}_Foo {tag}_bar {tag}_X {tag}_java {tag}_12 ")
        );
        assert_ne!(tenant_tag("acme"), tenant_tag("acme2"));
    }

    #[test]
    fn match_expressions_quote_every_term() {
        let e = match_expr("acme", Some("s1"), &["a".into(), "b_c".into()]);
        let tag = tenant_tag("acme");
        assert!(e.starts_with(&format!(
            "body : (\"{tag}_a\" OR \"{tag}_b_c\") AND scope : \"s"
        )));
    }
}
