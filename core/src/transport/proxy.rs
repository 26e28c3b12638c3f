//! Proxies from the environment, as curl reads them, never for loopback.

use crate::error::{Error, Result};

/// Proxy settings from the environment, as curl reads them.
#[derive(Debug, Clone, Default)]
pub(super) struct ProxyEnv {
    pub(super) https: Option<String>,
    pub(super) http: Option<String>,
    pub(super) all: Option<String>,
    pub(super) no: Option<String>,
    /// Running as a CGI script: HTTP_PROXY may come from a request's `Proxy:` header ("httpoxy").
    pub(super) cgi: bool,
}

impl ProxyEnv {
    pub(super) fn from_process() -> ProxyEnv {
        let var = |names: &[&str]| {
            names.iter().find_map(|name| {
                std::env::var(name)
                    .ok()
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            })
        };
        ProxyEnv {
            https: var(&["HTTPS_PROXY", "https_proxy"]),
            http: var(&["HTTP_PROXY", "http_proxy"]),
            all: var(&["ALL_PROXY", "all_proxy"]),
            no: var(&["NO_PROXY", "no_proxy"]),
            cgi: std::env::var_os("REQUEST_METHOD").is_some(),
        }
    }
}

/// Hosts never sent through a proxy, whatever NO_PROXY says: a proxy cannot reach this machine's loopback
/// (and the emulator lives there).
const LOOPBACK_NO_PROXY: &str = "localhost,127.0.0.0/8,::1";

/// Proxies for the environment's settings, most specific first (reqwest uses the first that matches).
/// reqwest's own environment proxy would do the same but also send loopback requests to the proxy.
pub(super) fn proxies(env: &ProxyEnv) -> Result<Vec<reqwest::Proxy>> {
    if env.cgi {
        // Like hyper-util's system proxy: under CGI the variables cannot be trusted.
        return Ok(Vec::new());
    }
    let no_proxy = match env.no.as_deref() {
        Some(list) => format!("{list},{LOOPBACK_NO_PROXY}"),
        None => LOOPBACK_NO_PROXY.to_string(),
    };
    let mut out = Vec::new();
    type MakeProxy = fn(String) -> reqwest::Result<reqwest::Proxy>;
    let candidates: [(&Option<String>, &'static str, MakeProxy); 3] = [
        (&env.https, "HTTPS_PROXY", |u| reqwest::Proxy::https(u)),
        (&env.http, "HTTP_PROXY", |u| reqwest::Proxy::http(u)),
        (&env.all, "ALL_PROXY", |u| reqwest::Proxy::all(u)),
    ];
    for (value, name, make) in candidates {
        let Some(value) = value else { continue };
        // curl accepts "host:port"; url would read "host" as a scheme.
        let value = if value.contains("://") {
            value.clone()
        } else {
            format!("http://{value}")
        };
        // The value is not echoed: proxy URLs often carry a password.
        let proxy = make(value).map_err(|_| {
            Error::invalid(
                name,
                "is not a usable proxy URL (http://host:port, socks5://host:port)",
            )
        })?;
        out.push(proxy.no_proxy(reqwest::NoProxy::from_string(&no_proxy)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{Transport, TransportOptions};

    #[test]
    fn proxy_variables_are_checked_without_echoing_them() {
        let env = ProxyEnv {
            https: Some("http://user:pa55@[bad".into()),
            ..ProxyEnv::default()
        };
        let err = Transport::with_proxy_env(&TransportOptions::default(), &env).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidArgument {
                    what: "HTTPS_PROXY",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(!err.to_string().contains("pa55"));
        // host:port without a scheme is http, as curl reads it.
        let env = ProxyEnv {
            http: Some("proxy.example:3128".into()),
            ..ProxyEnv::default()
        };
        assert_eq!(proxies(&env).unwrap().len(), 1);
        let cgi = ProxyEnv {
            http: Some("http://evil.example:80".into()),
            cgi: true,
            ..ProxyEnv::default()
        };
        assert!(proxies(&cgi).unwrap().is_empty());
    }
}
