//! The HTTP client the proxy forwards with. awc clients live on one worker thread, so each
//! worker builds its own from an [`UpstreamClient`] made once from the config. With the `tls`
//! feature and `proxy.ca_file` set, the client trusts the webpki roots plus the CA
//! certificates in that PEM file; otherwise it is awc's default client (webpki roots only with
//! `tls`, plain HTTP without). Either way redirects are never followed: awc follows up to 10
//! by default, to any host, with the client's headers (`x-api-key` included), which would
//! leave the allow-list; the proxy answers an upstream 3xx itself (`proxy::send`).

use crate::config::ProxyConfig;
use crate::error::ServeError;

/// Builds one worker's upstream client.
#[derive(Clone, Default)]
pub struct UpstreamClient {
    #[cfg(feature = "tls")]
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
}

impl UpstreamClient {
    /// Reads `proxy.ca_file` when set; errors name that field.
    pub fn from_config(p: &ProxyConfig) -> Result<Self, ServeError> {
        let Some(path) = &p.ca_file else {
            return Ok(UpstreamClient::default());
        };
        #[cfg(feature = "tls")]
        {
            let pem = std::fs::read(path).map_err(|e| ca_error(path, e))?;
            Ok(UpstreamClient {
                tls: Some(std::sync::Arc::new(tls::client_config(path, &pem)?)),
            })
        }
        #[cfg(not(feature = "tls"))]
        Err(ca_error(
            path,
            "HTTPS upstreams need a build with the `tls` feature",
        ))
    }

    /// One worker's client; it never follows a redirect.
    pub fn build(&self) -> awc::Client {
        let builder = awc::Client::builder().disable_redirects();
        #[cfg(feature = "tls")]
        if let Some(cfg) = &self.tls {
            return builder
                .connector(awc::Connector::new().rustls_0_23(cfg.clone()))
                .finish();
        }
        builder.finish()
    }
}

fn ca_error(path: &std::path::Path, why: impl std::fmt::Display) -> ServeError {
    ServeError::Config {
        field: "proxy.ca_file",
        reason: format!("{}: {why}", path.display()),
    }
}

#[cfg(feature = "tls")]
mod tls {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;

    use super::ca_error;
    use crate::error::ServeError;

    /// The webpki roots plus every certificate of `pem`, with awc's own ALPN choice.
    pub(super) fn client_config(
        path: &std::path::Path,
        pem: &[u8],
    ) -> Result<rustls::ClientConfig, ServeError> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ca_error(path, format!("not PEM certificates: {e}")))?;
        if certs.is_empty() {
            return Err(ca_error(path, "holds no CERTIFICATE block"));
        }
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for (i, cert) in certs.into_iter().enumerate() {
            roots
                .add(cert)
                .map_err(|e| ca_error(path, format!("certificate {}: {e}", i + 1)))?;
        }
        let mut cfg = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(cfg)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn text_without_a_certificate_is_rejected_by_field_name() {
            let e =
                client_config(std::path::Path::new("ca.pem"), b"not a certificate\n").unwrap_err();
            assert!(e.to_string().contains("proxy.ca_file"), "{e}");
        }

        #[test]
        fn a_corrupt_certificate_block_is_rejected_by_field_name() {
            let pem = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
            let e = client_config(std::path::Path::new("ca.pem"), pem).unwrap_err();
            assert!(e.to_string().contains("proxy.ca_file"), "{e}");
        }
    }
}
