//! Request dispatch for the identity listener.
//!
//! Paths are matched by hand rather than with axum routes because Azure AD and AD FS match them
//! case-insensitively (ADAL asks for `/common/UserRealm/...`, MSAL for `/common/userrealm/...`), tolerate a
//! trailing slash (AD FS publishes `/adfs/oauth2/token/`), and the tenant segment needs Azure AD's own
//! error. Azure AD routes:
//!
//! | method | path |
//! |---|---|
//! | POST | `/{tenant}/oauth2/token`, `/{tenant}/oauth2/v2.0/token` |
//! | POST | `/{tenant}/oauth2/devicecode`, `/{tenant}/oauth2/v2.0/devicecode` |
//! | GET | `/{tenant}/.well-known/openid-configuration`, `/{tenant}/v2.0/.well-known/openid-configuration` |
//! | GET | `/{tenant}/discovery/keys`, `/{tenant}/discovery/v2.0/keys` |
//! | GET | `/{tenant}/discovery/instance` (instance discovery, normally asked of `common`) |
//! | GET | `/common/userrealm/{upn}` (MSAL.NET and ADAL ask it before a password grant) |
//! | GET | `/{tenant}/oauth2/authorize`, `/{tenant}/oauth2/v2.0/authorize` (refused: no interactive sign-in) |
//! | GET | `/{tenant}/oauth2/logout`, `/{tenant}/oauth2/v2.0/logout` |
//! | GET | `/devicelogin` (the device code verification page) |
//!
//! AD FS routes: `POST /adfs/oauth2/token`, `POST /adfs/oauth2/devicecode`,
//! `GET /adfs/.well-known/openid-configuration`, `GET /adfs/discovery/keys`, `GET /adfs/oauth2/authorize`,
//! `GET /adfs/oauth2/logout`, `GET /adfs/devicelogin`. Everything else is 404.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::errors::OAuthError;
use super::{Identity, IdentityMode};

/// Largest request body read (form bodies are small; a client assertion with a certificate chain is a few KiB).
const MAX_BODY_BYTES: usize = 256 * 1024;

/// Which protocol flavour an endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// Azure AD v1 (`resource=`, string numbers in token responses).
    V1,
    /// Azure AD v2 (`scope=`, numbers).
    V2,
    /// AD FS (`resource=` or `scope=`).
    Adfs,
}

/// How the `{tenant}` path segment resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TenantSegment {
    /// The tenant GUID or domain (or, in AD FS mode, "adfs").
    Tenant,
    Common,
    Organizations,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Token(Endpoint),
    DeviceCode(Endpoint),
    OpenIdConfiguration(Endpoint),
    Keys(Endpoint),
    InstanceDiscovery,
    UserRealm(String),
    Authorize,
    Logout,
    DeviceLogin,
}

impl Route {
    fn method(&self) -> Method {
        match self {
            Route::Token(_) | Route::DeviceCode(_) => Method::POST,
            _ => Method::GET,
        }
    }
}

/// A parsed request to a token or device code endpoint.
pub(crate) struct Ctx {
    pub endpoint: Endpoint,
    /// The tenant path segment as sent ("adfs" for AD FS).
    pub tenant_segment: String,
    pub form: Form,
    /// `client_id` and `client_secret` from an `Authorization: Basic` header (client_secret_basic).
    pub basic: Option<(String, String)>,
}

/// A form-urlencoded body; the first occurrence of a parameter wins and empty values count as absent.
pub(crate) struct Form(HashMap<String, String>);

impl Form {
    pub fn parse(body: &[u8]) -> Form {
        let mut map = HashMap::new();
        for (k, v) in form_urlencoded::parse(body) {
            map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
        Form(map)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// Like `get` but without trimming (secrets and passwords are compared as sent).
    pub fn get_raw(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

pub(crate) async fn dispatch(State(identity): State<Arc<Identity>>, request: Request) -> Response {
    let correlation_id = correlation_id(request.headers());
    let mut response = handle(&identity, request, &correlation_id).await;
    if let Ok(value) = HeaderValue::from_str(&correlation_id) {
        response.headers_mut().insert("client-request-id", value);
    }
    response
}

async fn handle(identity: &Identity, request: Request, correlation_id: &str) -> Response {
    let mode = identity.settings.mode;
    let path = request.uri().path().to_string();
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    let route = match mode {
        IdentityMode::Aad => aad_route(&lower, &segments),
        IdentityMode::Adfs => adfs_route(&lower),
    };
    let Some(route) = route else {
        return not_found();
    };
    if request.method() != route.method()
        && !(route.method() == Method::GET && request.method() == Method::HEAD)
    {
        let mut response = (StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed").into_response();
        response.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static(if route.method() == Method::POST {
                "POST"
            } else {
                "GET, HEAD"
            }),
        );
        return response;
    }

    // The tenant segment (Azure AD) is the first path segment, except for the tenant-less routes.
    let tenant_segment = segments.first().cloned().unwrap_or_default();
    let tenant = match (mode, &route) {
        (_, Route::DeviceLogin) => TenantSegment::Tenant,
        (IdentityMode::Adfs, _) => TenantSegment::Tenant,
        (IdentityMode::Aad, _) => match identity.resolve_tenant(&tenant_segment) {
            Some(t) => t,
            None => {
                return OAuthError::tenant_not_found(&tenant_segment).render(mode, correlation_id);
            }
        },
    };

    match route {
        Route::Token(endpoint) | Route::DeviceCode(endpoint) => {
            let is_token = matches!(route, Route::Token(_));
            let ctx = match read_form(request, endpoint, tenant_segment).await {
                Ok(ctx) => ctx,
                Err(e) => return e.render(mode, correlation_id),
            };
            let result = if is_token {
                identity.token(&ctx)
            } else {
                identity.device_authorization(&ctx)
            };
            match result {
                Ok(response) => response,
                Err(e) => e.render(mode, correlation_id),
            }
        }
        Route::OpenIdConfiguration(endpoint) => {
            axum::Json(identity.openid_configuration(endpoint, tenant)).into_response()
        }
        Route::Keys(_) => axum::Json(identity.jwks()).into_response(),
        Route::InstanceDiscovery => match identity.instance_discovery(request.uri().query().unwrap_or("")) {
            Ok(body) => axum::Json(body).into_response(),
            Err(e) => e.render(mode, correlation_id),
        },
        Route::UserRealm(upn) => axum::Json(identity.user_realm(&upn)).into_response(),
        Route::Authorize => OAuthError::bad_request(
            "unsupported_response_type",
            900144,
            "The emulator does not support interactive (browser) sign-in; use the device code flow, a \
             password grant or a service principal.",
        )
        .render(mode, correlation_id),
        Route::Logout => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "You have signed out of the azs-emulator identity provider.\n",
        )
            .into_response(),
        Route::DeviceLogin => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "azs-emulator: device codes are approved automatically (as the first configured user) after a \
             short delay; there is nothing to enter here.\n",
        )
            .into_response(),
    }
}

fn aad_route(lower: &[&str], original: &[String]) -> Option<Route> {
    let route = match lower {
        ["devicelogin"] => Route::DeviceLogin,
        ["adfs", ..] => return None,
        [_, "oauth2", "token"] => Route::Token(Endpoint::V1),
        [_, "oauth2", "v2.0", "token"] => Route::Token(Endpoint::V2),
        [_, "oauth2", "devicecode"] => Route::DeviceCode(Endpoint::V1),
        [_, "oauth2", "v2.0", "devicecode"] => Route::DeviceCode(Endpoint::V2),
        [_, ".well-known", "openid-configuration"] => Route::OpenIdConfiguration(Endpoint::V1),
        [_, "v2.0", ".well-known", "openid-configuration"] => {
            Route::OpenIdConfiguration(Endpoint::V2)
        }
        [_, "discovery", "keys"] => Route::Keys(Endpoint::V1),
        [_, "discovery", "v2.0", "keys"] => Route::Keys(Endpoint::V2),
        [_, "discovery", "instance"] => Route::InstanceDiscovery,
        ["common", "userrealm", _] => Route::UserRealm(original[2].clone()),
        [_, "oauth2", "authorize"] | [_, "oauth2", "v2.0", "authorize"] => Route::Authorize,
        [_, "oauth2", "logout"] | [_, "oauth2", "v2.0", "logout"] => Route::Logout,
        _ => return None,
    };
    Some(route)
}

fn adfs_route(lower: &[&str]) -> Option<Route> {
    let route = match lower {
        ["adfs", "oauth2", "token"] => Route::Token(Endpoint::Adfs),
        ["adfs", "oauth2", "devicecode"] => Route::DeviceCode(Endpoint::Adfs),
        ["adfs", ".well-known", "openid-configuration"] => {
            Route::OpenIdConfiguration(Endpoint::Adfs)
        }
        ["adfs", "discovery", "keys"] => Route::Keys(Endpoint::Adfs),
        ["adfs", "oauth2", "authorize"] => Route::Authorize,
        ["adfs", "oauth2", "logout"] => Route::Logout,
        ["adfs", "devicelogin"] => Route::DeviceLogin,
        _ => return None,
    };
    Some(route)
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Not Found\n",
    )
        .into_response()
}

/// `client-request-id` as sent by MSAL and ADAL (a GUID), else a new one.
fn correlation_id(headers: &HeaderMap) -> String {
    headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v.trim()).ok())
        .unwrap_or_else(Uuid::new_v4)
        .to_string()
}

async fn read_form(
    request: Request,
    endpoint: Endpoint,
    tenant_segment: String,
) -> Result<Ctx, OAuthError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::bad_request(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'. (The body must be \
             'application/x-www-form-urlencoded'.)",
        ));
    }
    let basic = basic_credentials(request.headers());
    let body: Body = request.into_body();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            OAuthError::bad_request(
                "invalid_request",
                90015,
                format!("The request body is unreadable or larger than {MAX_BODY_BYTES} bytes."),
            )
        })?;
    Ok(Ctx {
        endpoint,
        tenant_segment,
        form: Form::parse(&bytes),
        basic,
    })
}

/// `Authorization: Basic base64(urlencode(client_id):urlencode(client_secret))` (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine as _;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    Some((unescape(id), unescape(secret)))
}
