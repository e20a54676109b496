//! Savings you can see: per tenant and per session, the tokens compression removed, the
//! cache reads and writes the upstream reported (`usage.rs`), and an estimate of the cost
//! saved, on `/metrics` (per tenant), `GET /v1/savings` (JSON) and the page `/savings`.
//!
//! The estimate: the removed tokens would have been billed at the request's own average
//! input price, `billed / input`, where `billed = uncached + cache_write·w + cache_read·r`
//! with the upstream's cache prices (`[proxy.history]`'s table) and `input` every input token
//! the upstream reported. Units are uncached input tokens (multiply by the model's price per
//! token). Requests without usage in the answer count removed tokens at 1.0.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::history::Prices;
use crate::state::AppState;
use crate::usage::Usage;

/// Sessions remembered; past it the one least recently updated is dropped (tenants stay).
pub const MAX_SESSIONS: usize = 10_000;

/// What one tenant or session saved so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    pub requests: u64,
    /// Pipeline tokens of the compressible strings before and after compression.
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub tokens_saved: u64,
    /// What the upstream reported.
    pub upstream: Usage,
    /// Estimated cost saved, in uncached input tokens.
    pub cost_saved: f64,
    /// Estimated cost billed, in the same units.
    pub cost_billed: f64,
}

impl Totals {
    fn add(&mut self, r: &Request) {
        self.requests += 1;
        self.tokens_in += r.tokens_in;
        self.tokens_out += r.tokens_out;
        self.tokens_saved += r.tokens_in.saturating_sub(r.tokens_out);
        if let Some(u) = &r.usage {
            self.upstream.add(u);
        }
        let (saved, billed) = r.cost();
        self.cost_saved += saved;
        self.cost_billed += billed;
    }
}

/// One proxied request's part.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub usage: Option<Usage>,
    pub prices: Prices,
}

impl Request {
    /// (estimated cost saved, cost billed), in uncached input tokens.
    fn cost(&self) -> (f64, f64) {
        let saved = self.tokens_in.saturating_sub(self.tokens_out) as f64;
        let Some(u) = self.usage.filter(|u| u.input() > 0) else {
            return (saved, 0.0);
        };
        let billed = u.uncached as f64
            + u.cache_write as f64 * self.prices.cache_write
            + u.cache_read as f64 * self.prices.cache_read;
        (saved * billed / u.input() as f64, billed)
    }
}

#[derive(Default)]
struct Book {
    tenants: BTreeMap<String, Totals>,
    sessions: BTreeMap<(String, String), (u64, Totals)>,
    clock: u64,
}

/// The ledger every proxied request adds to.
#[derive(Default)]
pub struct Savings {
    book: Mutex<Book>,
}

#[derive(Serialize)]
struct SessionRow<'a> {
    tenant: &'a str,
    session: &'a str,
    #[serde(flatten)]
    totals: &'a Totals,
}

impl Savings {
    pub fn record(&self, tenant: &str, session: &str, r: &Request) {
        let mut b = self.book.lock().expect("savings lock");
        b.clock += 1;
        let now = b.clock;
        b.tenants.entry(tenant.to_string()).or_default().add(r);
        let key = (tenant.to_string(), session.to_string());
        let s = b.sessions.entry(key).or_default();
        s.0 = now;
        s.1.add(r);
        if b.sessions.len() > MAX_SESSIONS {
            let oldest = b
                .sessions
                .iter()
                .min_by_key(|(_, v)| v.0)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                b.sessions.remove(&k);
            }
        }
    }

    /// `{"tenants": {name: totals}, "sessions": [{tenant, session, ...totals}]}`.
    pub fn snapshot(&self) -> serde_json::Value {
        let b = self.book.lock().expect("savings lock");
        let sessions: Vec<SessionRow> = b
            .sessions
            .iter()
            .map(|((t, s), (_, totals))| SessionRow {
                tenant: t,
                session: s,
                totals,
            })
            .collect();
        serde_json::json!({"tenants": b.tenants, "sessions": sessions})
    }

    /// Per-tenant Prometheus lines.
    pub fn render(&self, o: &mut String) {
        let b = self.book.lock().expect("savings lock");
        let family = |o: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        let esc = |t: &str| {
            t.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        };
        family(
            o,
            "kompress_tenant_tokens_saved_total",
            "counter",
            "Pipeline tokens compression removed from proxied requests, per tenant.",
        );
        for (t, v) in &b.tenants {
            let _ = writeln!(
                o,
                "kompress_tenant_tokens_saved_total{{tenant=\"{}\"}} {}",
                esc(t),
                v.tokens_saved
            );
        }
        family(
            o,
            "kompress_tenant_upstream_input_tokens_total",
            "counter",
            "Input tokens the upstream reported, per tenant and billing kind.",
        );
        for (t, v) in &b.tenants {
            for (kind, n) in [
                ("uncached", v.upstream.uncached),
                ("cache_read", v.upstream.cache_read),
                ("cache_write", v.upstream.cache_write),
            ] {
                let _ = writeln!(o, "kompress_tenant_upstream_input_tokens_total{{tenant=\"{}\",kind=\"{kind}\"}} {n}", esc(t));
            }
        }
        family(
            o,
            "kompress_tenant_cost_saved_total",
            "counter",
            "Estimated cost saved, in uncached input tokens, per tenant.",
        );
        for (t, v) in &b.tenants {
            let _ = writeln!(
                o,
                "kompress_tenant_cost_saved_total{{tenant=\"{}\"}} {:.1}",
                esc(t),
                v.cost_saved
            );
        }
    }
}

pub async fn json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.savings.snapshot())
}

const PAGE: &str = include_str!("savings.html");

pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(PAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(usage: Option<Usage>) -> Request {
        Request {
            tokens_in: 1000,
            tokens_out: 400,
            usage,
            prices: Prices::ANTHROPIC,
        }
    }

    #[test]
    fn removed_tokens_are_priced_at_the_requests_average_input_price() {
        // 100 uncached + 900 cache reads at 0.1: 190 billed for 1000 input tokens
        let u = Usage {
            uncached: 100,
            cache_read: 900,
            cache_write: 0,
            output: 3,
        };
        let (saved, billed) = req(Some(u)).cost();
        assert!((billed - 190.0).abs() < 1e-9);
        assert!((saved - 600.0 * 0.19).abs() < 1e-9, "{saved}");
        assert_eq!(req(None).cost(), (600.0, 0.0));
    }

    #[test]
    fn tenants_and_sessions_add_up_and_show_on_metrics() {
        let s = Savings::default();
        s.record("acme", "s1", &req(None));
        s.record("acme", "s2", &req(None));
        s.record("zed", "s1", &req(None));
        let v = s.snapshot();
        assert_eq!(v["tenants"]["acme"]["tokens_saved"], 1200);
        assert_eq!(v["sessions"].as_array().unwrap().len(), 3);
        let mut o = String::new();
        s.render(&mut o);
        assert!(
            o.contains("kompress_tenant_tokens_saved_total{tenant=\"acme\"} 1200"),
            "{o}"
        );
        assert!(
            o.contains("kompress_tenant_tokens_saved_total{tenant=\"zed\"} 600"),
            "{o}"
        );
    }
}
