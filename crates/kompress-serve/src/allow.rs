//! The allow-list of upstreams, held on scheme, host and port. A `proxy.upstreams` URL is
//! parsed strictly at start ([`Upstream::parse`]): `http` or `https`, a host, an optional
//! port and base path, and nothing else (no userinfo, query, fragment, dot segments, `@` or
//! `\` in the path; the reason never repeats the URL, which could carry a password). Scheme
//! and host are lower-cased and the scheme's default port made explicit, so `HTTP://Api:80/`
//! and `http://api` are one origin. Each request's URL (base path, then the route's path and
//! the client's query) is parsed again with the parser the HTTP client uses
//! ([`Upstream::uri`]) and sent only when its origin is the configured one.

use actix_web::http::Uri;

/// Scheme, host and port after normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `http` or `https`.
    pub scheme: &'static str,
    /// Lower case; an IPv6 address in brackets, as a URL writes it.
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// The origin `uri` connects to, or `None` for a URL without scheme and host or with
    /// userinfo.
    pub fn of(uri: &Uri) -> Option<Origin> {
        let scheme = scheme(uri.scheme_str()?)?;
        let authority = uri.authority()?;
        if authority.as_str().contains('@') {
            return None;
        }
        let port = authority.port_u16().unwrap_or(default_port(scheme));
        Some(Origin {
            scheme,
            host: authority.host().to_ascii_lowercase(),
            port,
        })
    }
}

fn scheme(s: &str) -> Option<&'static str> {
    match s.to_ascii_lowercase().as_str() {
        "http" => Some("http"),
        "https" => Some("https"),
        _ => None,
    }
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "https" {
        443
    } else {
        80
    }
}

/// One configured upstream: where the proxy may connect and the path it prefixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub origin: Origin,
    /// Empty or `/…` without a trailing `/`.
    pub base_path: String,
}

impl Upstream {
    /// Parses a `proxy.upstreams` value; the error is a reason without the URL in it.
    pub fn parse(url: &str) -> Result<Upstream, String> {
        if let Some(c) = url.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("contains the character {c:?}"));
        }
        let (scheme_str, rest) = url
            .split_once("://")
            .ok_or("must start with http:// or https://")?;
        let scheme = scheme(scheme_str).ok_or("must start with http:// or https://")?;
        if url.contains('#') {
            return Err("has a fragment (#…); give scheme, host, port and path only".into());
        }
        if url.contains('?') {
            return Err("has a query (?…); give scheme, host, port and path only".into());
        }
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.contains('@') {
            return Err("has userinfo (user:password@), which is not allowed; \
                 send upstream credentials as request headers"
                .into());
        }
        let (host, port) = host_port(authority)?;
        Ok(Upstream {
            origin: Origin {
                scheme,
                host,
                port: port.unwrap_or(default_port(scheme)),
            },
            base_path: base_path(path)?,
        })
    }

    /// The normalised base URL: the default port left out, no trailing `/`.
    pub fn base(&self) -> String {
        let o = &self.origin;
        if o.port == default_port(o.scheme) {
            format!("{}://{}{}", o.scheme, o.host, self.base_path)
        } else {
            format!("{}://{}:{}{}", o.scheme, o.host, o.port, self.base_path)
        }
    }

    /// The URL of a request to `path_q` (a path from `/`, with the client's query), parsed
    /// as the HTTP client will parse it; `None` when that names any other origin.
    pub fn uri(&self, path_q: &str) -> Option<Uri> {
        if !path_q.starts_with('/') || path_q.starts_with("//") {
            return None;
        }
        let uri: Uri = format!("{}{path_q}", self.base()).parse().ok()?;
        (Origin::of(&uri)? == self.origin).then_some(uri)
    }
}

/// Lower-cased host (IPv6 in brackets) and the port, if one is given.
fn host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, after) = v6.split_once(']').ok_or("has an unclosed [ in its host")?;
        addr.parse::<std::net::Ipv6Addr>()
            .map_err(|_| "has a host in [ ] that is not an IPv6 address")?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("has bytes after its ] host")?),
        };
        (format!("[{}]", addr.to_ascii_lowercase()), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
            None => (authority.to_ascii_lowercase(), None),
        }
    };
    if host.is_empty() {
        return Err("has no host".into());
    }
    let name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    if !host.starts_with('[') && !host.chars().all(name) {
        return Err("has a host that is not a plain name or address".into());
    }
    let port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or("has a port that is not a number from 1 to 65535")?,
        ),
    };
    Ok((host, port))
}

/// The base path without its trailing `/`; no dot segments, `@` or `\`.
fn base_path(path: &str) -> Result<String, String> {
    if path.contains(['@', '\\']) {
        return Err("has an @ or \\ in its path".into());
    }
    let dots = path.split('/').any(|seg| {
        let seg = seg.to_ascii_lowercase();
        matches!(
            seg.as_str(),
            "." | ".." | "%2e" | "%2e%2e" | ".%2e" | "%2e."
        )
    });
    if dots {
        return Err("has a . or .. segment in its path".into());
    }
    Ok(path.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str) -> Upstream {
        Upstream::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn scheme_host_and_default_port_are_normalised() {
        let a = ok("HTTP://Api.Example:80/");
        assert_eq!(a, ok("http://api.example"));
        assert_eq!(a.origin.port, 80);
        assert_eq!(a.base(), "http://api.example");
        assert_eq!(ok("https://h:8443/gw/").base(), "https://h:8443/gw");
        assert_eq!(ok("http://[::1]:9").origin.host, "[::1]");
    }

    #[test]
    fn anything_beyond_scheme_host_port_and_path_is_refused() {
        for bad in [
            "http://u:p@h",
            "http://u@h/",
            "http://h?x",
            "http://h/#f",
            "http://",
            "http://:80",
            "http://h:0",
            "http://h:99999",
            "http://h:x",
            "http://h/a/../b",
            "http://h/%2E%2e/b",
            "http://h/a@b",
            "http://h\\@b",
            "http://h b",
            "ftp://h",
            "h:80",
            "http://[::1",
            "http://[nope]",
        ] {
            let e = Upstream::parse(bad).expect_err(bad);
            assert!(
                !e.contains("u:p"),
                "{bad}: the reason repeats the userinfo: {e}"
            );
        }
    }

    #[test]
    fn request_urls_keep_the_configured_origin_or_are_refused() {
        let up = ok("http://h:81/gw");
        let uri = up.uri("/v1/messages?next=@evil:80/x").unwrap();
        assert_eq!(
            uri.to_string(),
            "http://h:81/gw/v1/messages?next=@evil:80/x"
        );
        assert_eq!(Origin::of(&uri), Some(up.origin.clone()));
        let root = ok("http://h:81");
        assert!(root.uri("//evil/v1").is_none());
        assert!(root.uri("@evil/v1").is_none());
        assert!(root.uri("evil/v1").is_none());
    }
}
