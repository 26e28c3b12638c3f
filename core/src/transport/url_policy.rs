//! Which URLs may be sent to: https, and plain http only to this machine unless allowed; and how URLs
//! appear in logs and messages.

use url::{Host, Url};

use crate::error::{Error, Result};

/// `scheme://host[:port]/path`, without the query (usage URLs carry long continuation tokens).
pub(crate) fn display_url(url: &Url) -> String {
    format!("{}{}", url.origin().ascii_serialization(), url.path())
}

/// The rule `check_url` applies, for anything that validates URLs before a transport exists (custom
/// environments): http or https only, and plain http only to a loopback host unless `allow_http`.
pub(crate) fn check_url_with(url: &Url, allow_http: bool) -> Result<()> {
    match url.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback(url) => {}
        "http" => {
            return Err(Error::invalid(
                "url",
                format!(
                    "{} uses plain http://, which is only allowed to a loopback address (localhost, 127.0.0.0/8, \
                     ::1; no other name, not even one under .localhost); use https://, or set allow_http to \
                     send requests and access tokens unencrypted",
                    url.origin().ascii_serialization()
                ),
            ));
        }
        other => {
            return Err(Error::invalid(
                "url",
                format!("'{other}:' URLs are not supported; use https://"),
            ));
        }
    }
    if url.host().is_none() {
        return Err(Error::invalid("url", "the URL has no host"));
    }
    Ok(())
}

/// The URL's host is this machine by its literal form: `localhost`, 127.0.0.0/8 or ::1. A name under
/// `.localhost` is not: whatever resolves it (DNS, a hosts file) may answer any address, and plain http
/// would then carry tokens off the machine. `localhost` itself is pinned to loopback addresses in
/// `Transport::new`, so the decision made here is the address connected to.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => LOCALHOST_NAMES.contains(&name.to_ascii_lowercase().as_str()),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback() || ip.to_canonical().is_loopback(),
        None => false,
    }
}

/// The host names taken as this machine (url lower-cases host names; the second is the fully qualified
/// form).
pub(super) const LOCALHOST_NAMES: [&str; 2] = ["localhost", "localhost."];

/// Where `localhost` connects: IPv4 first (the emulator and most test servers listen there), then IPv6.
/// Port 0 stands for the URL's port.
pub(super) const LOCALHOST_ADDRESSES: [std::net::SocketAddr; 2] = [
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0),
    std::net::SocketAddr::new(std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), 0),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_rules() {
        let ok = |u: &str| check_url_with(&Url::parse(u).unwrap(), false);
        for allowed in [
            "https://adminmanagement.local.azurestack.external/",
            "http://127.0.0.1:8080/x",
            "http://127.8.9.10/",
            "http://[::1]:9/",
            "http://localhost:1/",
            "http://LOCALHOST./",
            "http://[::ffff:127.0.0.1]/",
        ] {
            ok(allowed).unwrap_or_else(|e| panic!("{allowed}: {e}"));
        }
        for refused in [
            // A name under .localhost is whatever a resolver says it is.
            "http://api.localhost/",
            "http://evil.localhost:8080/x",
            "http://10.0.0.1/",
            "http://management.azure.com/",
            "http://localhost.example.com/",
            "http://[::2]/",
        ] {
            let err = ok(refused).unwrap_err();
            assert!(
                matches!(err, Error::InvalidArgument { what: "url", .. }),
                "{refused}"
            );
            assert!(err.to_string().contains("allow_http"), "{err}");
        }
        for other in ["ftp://host/x", "file:///etc/passwd", "data:text/plain,x"] {
            let err = ok(other).unwrap_err();
            assert!(err.to_string().contains("not supported"), "{other}: {err}");
        }
        check_url_with(&Url::parse("http://10.0.0.1/").unwrap(), true).unwrap();
        assert!(check_url_with(&Url::parse("ftp://10.0.0.1/").unwrap(), true).is_err());
    }
}
