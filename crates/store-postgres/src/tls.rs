//! TLS to the server, from the URL's `sslmode` and `sslrootcert` (libpq's names).
//!
//! - No `sslmode`, or `disable`, `allow`, `prefer`: plain connections. libpq's `allow` and
//!   `prefer` encrypt without checking whom they talk to; Baton does not make unverified TLS
//!   connections, so these stay plain, as before TLS was supported.
//! - `require`, `verify-ca`, `verify-full`: TLS, refused unless the server's certificate
//!   chains to a trusted authority and names the host connected to. That is libpq's
//!   `verify-full` for all three: stricter than libpq's `require` and `verify-ca`, which a
//!   certificate for another host, or none at all, would pass.
//! - `sslrootcert=PATH`: the authorities trusted, a PEM file (for a private CA, or a self-signed
//!   server certificate); without it, the system's.
//!
//! tokio-postgres parses `sslmode` (not `verify-*`) and rejects `sslrootcert`: both are taken
//! out of the URL here, and the connection's mode set from them.

use std::sync::Arc;

use baton_store::{Error, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// What every connection of a store connects with: TLS when its mode asks for it.
pub(crate) type Connector = MakeRustlsConnect;

/// A connection's stream: TLS or plain, as its mode says.
pub(crate) type Stream =
    <Connector as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::Stream;

/// The URL's TLS settings, and the URL without those tokio-postgres does not know.
pub(crate) struct Settings {
    /// The URL to hand tokio-postgres.
    pub url: String,
    /// Whether every connection must be TLS.
    pub required: bool,
    /// `sslrootcert`, if given.
    pub root_cert: Option<String>,
}

/// Splits the TLS settings out of `url` (`postgres://…?sslmode=…&sslrootcert=…`, or the
/// `key=value` form).
pub(crate) fn settings(url: &str) -> Settings {
    let mut required = false;
    let mut root_cert = None;
    let mut take = |key: &str, value: &str| match key {
        "sslmode" => {
            required = matches!(value, "require" | "verify-ca" | "verify-full");
            true
        }
        "sslrootcert" => {
            root_cert = Some(value.to_string());
            true
        }
        _ => false,
    };
    let url = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        match url.split_once('?') {
            Some((base, query)) => {
                let kept: Vec<&str> = query
                    .split('&')
                    .filter(|pair| {
                        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                        !take(
                            k,
                            &percent_encoding::percent_decode_str(v).decode_utf8_lossy(),
                        )
                    })
                    .collect();
                if kept.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
            None => url.to_string(),
        }
    } else {
        // key=value pairs separated by spaces (values with spaces are quoted, which
        // neither of these keys needs).
        url.split_whitespace()
            .filter(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                !take(k.trim(), v.trim_matches('\''))
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    Settings {
        url,
        required,
        root_cert,
    }
}

/// Sets `config`'s mode from `settings` and makes the connector every connection uses.
pub(crate) fn connector(
    settings: &Settings,
    config: &mut tokio_postgres::Config,
) -> Result<Connector> {
    config.ssl_mode(if settings.required {
        SslMode::Require
    } else {
        SslMode::Disable
    });
    let mut roots = rustls::RootCertStore::empty();
    if settings.required {
        match &settings.root_cert {
            Some(path) => {
                let certs = CertificateDer::pem_file_iter(path)
                    .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
                    .map_err(|e| Error::Backend(format!("sslrootcert {path}: {e}")))?;
                if certs.is_empty() {
                    return Err(Error::Backend(format!(
                        "sslrootcert {path}: no PEM certificate in it"
                    )));
                }
                for cert in certs {
                    roots
                        .add(cert)
                        .map_err(|e| Error::Backend(format!("sslrootcert {path}: {e}")))?;
                }
            }
            None => {
                let native = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(native.certs);
                if roots.is_empty() {
                    return Err(Error::Backend(
                        "sslmode asks for TLS but this system trusts no certificate authority: \
                         name one with sslrootcert"
                            .into(),
                    ));
                }
            }
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::Backend(format!("TLS: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(tls))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_out_what_tokio_postgres_does_not_know() {
        let s = settings(
            "postgres://u:p@db:5432/baton?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x",
        );
        assert!(s.required);
        assert_eq!(s.root_cert.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(s.url, "postgres://u:p@db:5432/baton?application_name=x");

        let s = settings("postgres://u@db/baton?sslmode=prefer");
        assert!(!s.required);
        assert_eq!(s.url, "postgres://u@db/baton");

        let s = settings("host=db user=u sslmode=require sslrootcert='/ca.pem' dbname=b");
        assert!(s.required);
        assert_eq!(s.root_cert.as_deref(), Some("/ca.pem"));
        assert_eq!(s.url, "host=db user=u dbname=b");

        let s = settings("postgres://u@db/baton");
        assert!(!s.required && s.root_cert.is_none());
        assert_eq!(s.url, "postgres://u@db/baton");
    }

    #[test]
    fn a_root_file_without_certificates_is_refused() {
        let dir = std::env::temp_dir().join(format!("baton-tls-{}", std::process::id()));
        std::fs::write(&dir, "not a certificate").unwrap();
        let s = settings(&format!(
            "postgres://u@db/b?sslmode=require&sslrootcert={}",
            dir.display()
        ));
        let mut config = tokio_postgres::Config::new();
        let e = connector(&s, &mut config).err().expect("refused");
        assert!(e.to_string().contains("no PEM certificate"), "{e}");
        let _ = std::fs::remove_file(&dir);
    }
}
