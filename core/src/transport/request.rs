//! What one request is: its verb, how it authenticates, its body.

use base64::Engine as _;
use reqwest::header::HeaderValue;
use zeroize::Zeroize;

use crate::error::{Error, Result};

/// How the caller authenticates one request.
pub enum Auth<'a> {
    /// No `Authorization` header.
    None,
    /// `Bearer <token>`.
    Bearer(&'a str),
    /// HTTP Basic (the emulated privileged endpoint).
    Basic {
        /// The user name.
        username: &'a str,
        /// The password (sent, never logged).
        password: &'a str,
    },
}

/// The verbs the library sends besides form POSTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// POST.
    Post,
    /// DELETE.
    Delete,
}

impl Method {
    /// The verb as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }

    pub(super) fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

/// A request as the retry loop sees it.
pub(super) enum Request<'a> {
    Http {
        method: Method,
        auth: Auth<'a>,
        body: Option<&'a [u8]>,
        /// The 2xx body must be JSON (checked, and a truncated one retried).
        json: bool,
    },
    PostForm(&'a [(&'a str, &'a str)]),
}

impl Request<'_> {
    pub(super) fn verb(&self) -> &'static str {
        match self {
            Request::Http { method, .. } => method.as_str(),
            Request::PostForm(_) => "POST",
        }
    }

    /// Token endpoints always answer JSON, so a form POST's answer is checked like a JSON GET's.
    pub(super) fn expects_json(&self) -> bool {
        match self {
            Request::Http { json, .. } => *json,
            Request::PostForm(_) => true,
        }
    }
}

pub(super) fn bearer(token: &str) -> Result<HeaderValue> {
    let mut text = format!("Bearer {}", token.trim());
    let value = HeaderValue::from_str(&text);
    text.zeroize();
    let mut value = value.map_err(|_| {
        Error::invalid(
            "access token",
            "contains characters that cannot be sent in an HTTP header",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// `Basic base64(user:password)`, marked sensitive so it never shows in reqwest's Debug output.
pub(super) fn basic(username: &str, password: &str) -> Result<HeaderValue> {
    let mut plain = format!("{username}:{password}");
    let mut text = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(plain.as_bytes())
    );
    plain.zeroize();
    let value = HeaderValue::from_str(&text);
    text.zeroize();
    let mut value = value.map_err(|_| {
        Error::invalid(
            "credential",
            "the user name contains characters that cannot be sent in an HTTP header",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}
