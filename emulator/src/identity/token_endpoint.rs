//! The token endpoint: client credentials (secret or certificate assertion), password, refresh token and
//! device code grants, and the token responses of Azure AD v1 (string numbers), v2 (numbers) and AD FS.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;
use uuid::Uuid;

use super::errors::{OAuthError, no_cache, sanitize};
use super::principals::random_url_safe;
use super::routes::{Ctx, Endpoint};
use super::{Identity, REFRESH_TOKEN_LIFETIME, ServicePrincipal, User, trim_one_slash, unix_now};

pub(crate) const JWT_BEARER_ASSERTION: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const DEVICE_CODE_GRANT_URN: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// What a token is for: its `aud` and how the request named it.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The `aud` claim: the resource as requested (v1, AD FS) or the scope minus `/.default` (v2).
    pub aud: String,
    /// The resource scope as requested (v2 and AD FS `scope=`), without the OpenID Connect scopes.
    pub scope: Option<String>,
    /// `openid` was asked for (v2): return an id_token.
    pub openid: bool,
    /// `offline_access` was asked for (v2): return a refresh token.
    pub offline_access: bool,
}

/// A refresh token: bound to a user and a client id; a refresh may ask for any allowed resource.
#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    user_object_id: Uuid,
    client_id: Uuid,
    /// What the first token was for; used when a refresh names no resource or scope.
    target: Target,
    expires_at: i64,
}

/// Who a token is issued to.
pub(crate) enum Subject<'a> {
    /// A service principal and how it authenticated (`appidacr`: "1" secret, "2" certificate).
    App(&'a ServicePrincipal, &'static str),
    /// A user, through a public client (`appidacr` "0").
    User(&'a User),
}

impl Identity {
    /// `POST .../oauth2/token`.
    pub(crate) fn token(&self, ctx: &Ctx) -> Result<Response, OAuthError> {
        let grant_type = ctx
            .form
            .get("grant_type")
            .ok_or_else(|| OAuthError::missing("grant_type"))?;
        match grant_type {
            "client_credentials" => self.client_credentials_grant(ctx),
            "password" => self.password_grant(ctx),
            "refresh_token" => self.refresh_token_grant(ctx),
            "device_code" | DEVICE_CODE_GRANT_URN => self.device_code_grant(ctx),
            other => Err(OAuthError::bad_request(
                "unsupported_grant_type",
                70003,
                format!(
                    "The app requested an unsupported grant type '{}'. The emulator supports client_credentials, \
                     password, refresh_token and device_code.",
                    sanitize(other)
                ),
            )),
        }
    }

    fn client_credentials_grant(&self, ctx: &Ctx) -> Result<Response, OAuthError> {
        let raw_client_id = client_id_param(ctx).ok_or_else(|| OAuthError::missing("client_id"))?;
        self.require_target_parameter(ctx)?;
        let sp = Uuid::parse_str(raw_client_id)
            .ok()
            .and_then(|id| self.principals.service_principal(id))
            .ok_or_else(|| OAuthError::unknown_client(raw_client_id, &self.directory_name()))?;
        let acr = self.authenticate_client(ctx, sp)?;
        let target = self.target(ctx, false, None)?;
        self.issue(
            ctx,
            "client_credentials",
            sp.client_id,
            Subject::App(sp, acr),
            &target,
        )
    }

    fn password_grant(&self, ctx: &Ctx) -> Result<Response, OAuthError> {
        let client_id = self.public_client_id(ctx)?;
        let username = ctx
            .form
            .get("username")
            .ok_or_else(|| OAuthError::missing("username"))?;
        let password = ctx
            .form
            .get_raw("password")
            .ok_or_else(|| OAuthError::missing("password"))?;
        self.require_target_parameter(ctx)?;
        let user = self.principals.user(username).ok_or_else(|| {
            OAuthError::bad_request(
                "invalid_grant",
                50034,
                format!(
                    "The user account {} does not exist in the {} directory. To sign into this application, the \
                     account must be added to the directory.",
                    sanitize(username),
                    self.directory_name()
                ),
            )
        })?;
        let matches = user
            .password
            .as_deref()
            .is_some_and(|p| constant_time_eq(p, password));
        if !matches {
            return Err(OAuthError::bad_request(
                "invalid_grant",
                50126,
                "Error validating credentials due to invalid username or password.",
            ));
        }
        let target = self.target(ctx, true, None)?;
        self.issue(ctx, "password", client_id, Subject::User(user), &target)
    }

    fn refresh_token_grant(&self, ctx: &Ctx) -> Result<Response, OAuthError> {
        let client_id = self.public_client_id(ctx)?;
        let token = ctx
            .form
            .get_raw("refresh_token")
            .ok_or_else(|| OAuthError::missing("refresh_token"))?;
        let grant = self.live_refresh_grant(token)?;
        if grant.client_id != client_id {
            return Err(OAuthError::bad_request(
                "invalid_grant",
                70000,
                "Provided grant is invalid or malformed. (The refresh token was issued to another client.)",
            ));
        }
        let user = self.refresh_grant_user(&grant)?;
        let target = self.target(ctx, true, Some(&grant.target))?;
        self.issue(
            ctx,
            "refresh_token",
            client_id,
            Subject::User(user),
            &target,
        )
    }

    /// The grant of an unexpired refresh token (an expired one is forgotten).
    fn live_refresh_grant(&self, token: &str) -> Result<RefreshGrant, OAuthError> {
        let mut store = self.refresh_tokens.lock().expect("refresh token store");
        let Some(grant) = store.get(token).cloned() else {
            return Err(OAuthError::bad_request(
                "invalid_grant",
                9002313,
                "Invalid request. Request is malformed or invalid. (The refresh token is unknown.)",
            ));
        };
        if grant.expires_at <= unix_now() {
            store.remove(token);
            return Err(OAuthError::bad_request(
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has expired due to inactivity. Send a new \
                 interactive authorization request for this user and resource.",
            ));
        }
        Ok(grant)
    }

    fn refresh_grant_user(&self, grant: &RefreshGrant) -> Result<&User, OAuthError> {
        self.principals
            .users
            .iter()
            .find(|u| u.object_id == grant.user_object_id)
            .ok_or_else(|| {
                OAuthError::bad_request(
                    "invalid_grant",
                    50034,
                    "The user account of this refresh token no longer exists.",
                )
            })
    }

    /// Redeems a refresh token the way a confidential service holding it would (the privileged endpoint's
    /// `New-AzureBridgeServicePrincipal`): any client's token is good; the answer is its user, or the
    /// `AADSTSnnnn: ...` text Azure AD would answer with.
    pub fn refresh_token_user(&self, token: &str) -> Result<&User, String> {
        let describe = |e: OAuthError| format!("AADSTS{}: {}", e.code, e.description);
        let grant = self.live_refresh_grant(token).map_err(describe)?;
        self.refresh_grant_user(&grant).map_err(describe)
    }

    fn device_code_grant(&self, ctx: &Ctx) -> Result<Response, OAuthError> {
        let client_id = self.public_client_id(ctx)?;
        let code = ctx
            .form
            .get("device_code")
            .or_else(|| ctx.form.get("code"))
            .ok_or_else(|| {
                OAuthError::missing(if ctx.endpoint == Endpoint::V1 {
                    "code"
                } else {
                    "device_code"
                })
            })?;
        let stored = self.redeem_device_code(code, client_id)?;
        let user = self.principals.users.first().ok_or_else(|| {
            OAuthError::bad_request(
                "access_denied",
                70000,
                "The user denied the authorization request. (The emulator has no users to approve device codes.)",
            )
        })?;
        let target = self.target(ctx, true, Some(&stored))?;
        self.issue(ctx, "device_code", client_id, Subject::User(user), &target)
    }

    /// The client id of a public-client flow: any GUID.
    pub(crate) fn public_client_id(&self, ctx: &Ctx) -> Result<Uuid, OAuthError> {
        let raw = client_id_param(ctx).ok_or_else(|| OAuthError::missing("client_id"))?;
        Uuid::parse_str(raw).map_err(|_| OAuthError::unknown_client(raw, &self.directory_name()))
    }

    /// The directory name used in messages: the tenant GUID.
    pub(crate) fn directory_name(&self) -> String {
        self.settings.tenant_id.to_string()
    }

    /// Authenticates a confidential client; returns its `appidacr` ("1" secret, "2" certificate).
    fn authenticate_client(
        &self,
        ctx: &Ctx,
        sp: &ServicePrincipal,
    ) -> Result<&'static str, OAuthError> {
        let secret = ctx.form.get_raw("client_secret").or_else(|| {
            ctx.basic
                .as_ref()
                .map(|(_, s)| s.as_str())
                .filter(|s| !s.is_empty())
        });
        let assertion = ctx.form.get("client_assertion");
        match (secret, assertion) {
            (Some(_), Some(_)) => Err(OAuthError::bad_request(
                "invalid_request",
                9002313,
                "Invalid request. Request is malformed or invalid. (Present either 'client_secret' or \
                 'client_assertion', not both.)",
            )),
            (Some(secret), None) => match &sp.client_secret {
                Some(expected) if constant_time_eq(expected, secret) => Ok("1"),
                Some(_) => Err(OAuthError::invalid_client(
                    7000215,
                    format!(
                        "Invalid client secret provided. Ensure the secret being sent in the request is the client \
                         secret value, not the client secret ID, for a secret added to app '{}'.",
                        sp.client_id
                    ),
                )),
                None => Err(OAuthError::invalid_client(
                    7000218,
                    format!(
                        "The application '{}' ({}) has no client secret; the request body must contain the \
                         parameter 'client_assertion' (a JWT signed with its certificate) instead of \
                         'client_secret'.",
                        sp.name, sp.client_id
                    ),
                )),
            },
            (None, Some(assertion)) => {
                let assertion_type = ctx
                    .form
                    .get("client_assertion_type")
                    .ok_or_else(|| OAuthError::missing("client_assertion_type"))?;
                if assertion_type != JWT_BEARER_ASSERTION {
                    return Err(OAuthError::bad_request(
                        "invalid_request",
                        50027,
                        format!(
                            "Invalid client_assertion_type; it must be '{JWT_BEARER_ASSERTION}'."
                        ),
                    ));
                }
                let certificate = self.client_certificates.get(&sp.client_id).ok_or_else(|| {
                    OAuthError::invalid_client(
                        700027,
                        format!(
                            "Client assertion contains an invalid signature. [Reason - The key was not found. The \
                             application '{}' ({}) has no certificate registered; use 'client_secret'.]",
                            sp.name, sp.client_id
                        ),
                    )
                })?;
                self.validate_client_assertion(ctx, sp.client_id, certificate, assertion)?;
                Ok("2")
            }
            (None, None) => Err(OAuthError::invalid_client(
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )),
        }
    }

    /// The request names a resource (v1), a scope (v2), or either (AD FS).
    fn require_target_parameter(&self, ctx: &Ctx) -> Result<(), OAuthError> {
        let resource = ctx.form.get("resource").is_some();
        let scope = ctx.form.get("scope").is_some();
        match ctx.endpoint {
            Endpoint::V1 if !resource => Err(OAuthError::missing("resource")),
            Endpoint::V2 if !scope => Err(OAuthError::missing("scope")),
            Endpoint::Adfs if !resource && !scope => Err(OAuthError::missing("resource")),
            _ => Ok(()),
        }
    }

    /// What the requested token is for. `user_flow` allows `<resource>/<permission>` scopes besides
    /// `<resource>/.default`; `fallback` (refresh, device code) is used when the request names nothing.
    pub(crate) fn target(
        &self,
        ctx: &Ctx,
        user_flow: bool,
        fallback: Option<&Target>,
    ) -> Result<Target, OAuthError> {
        let resource = ctx.form.get("resource");
        let scope = ctx.form.get("scope");
        let from_resource = |r: &str| -> Result<Target, OAuthError> {
            self.check_resource(r)?;
            Ok(Target {
                aud: r.strip_suffix("/.default").unwrap_or(r).to_string(),
                scope: None,
                openid: true,
                offline_access: true,
            })
        };
        let target = match (ctx.endpoint, resource, scope) {
            (Endpoint::V1, Some(r), _) | (Endpoint::Adfs, Some(r), _) => from_resource(r)?,
            (Endpoint::V2, _, Some(s)) | (Endpoint::Adfs, None, Some(s)) => {
                self.parse_scope(s, user_flow)?
            }
            _ => match fallback {
                Some(f) => f.clone(),
                None => {
                    return Err(OAuthError::missing(if ctx.endpoint == Endpoint::V2 {
                        "scope"
                    } else {
                        "resource"
                    }));
                }
            },
        };
        Ok(target)
    }

    fn parse_scope(&self, scope: &str, user_flow: bool) -> Result<Target, OAuthError> {
        let mut openid = false;
        let mut offline_access = false;
        let mut resources = Vec::new();
        for s in scope.split_whitespace() {
            match s.to_ascii_lowercase().as_str() {
                "openid" => openid = true,
                "offline_access" => offline_access = true,
                "profile" | "email" => {}
                _ => resources.push(s),
            }
        }
        let requested = match resources.as_slice() {
            [one] => *one,
            [] => {
                return Err(OAuthError::bad_request(
                    "invalid_scope",
                    70011,
                    format!(
                        "The provided value for the input parameter 'scope' is not valid. The scope '{}' names no \
                         resource; ask for '<resource>/.default'.",
                        sanitize(scope)
                    ),
                ));
            }
            _ => {
                return Err(OAuthError::bad_request(
                    "invalid_scope",
                    28000,
                    format!(
                        "Provided value for the input parameter scope is not valid because it contains more than one \
                         resource. Scope {} is not valid.",
                        sanitize(scope)
                    ),
                ));
            }
        };
        let aud = if let Some(resource) = requested.strip_suffix("/.default") {
            resource.to_string()
        } else if !user_flow {
            return Err(OAuthError::bad_request(
                "invalid_scope",
                1002012,
                format!(
                    "The provided value for scope {} is not valid. Client credential flows must have a scope value \
                     with /.default suffixed to the resource identifier (application ID URI).",
                    sanitize(requested)
                ),
            ));
        } else if self.resource_known(requested) {
            requested.to_string()
        } else {
            // <resource>/<permission>, e.g. https://management.azurestack.local/<guid>/user_impersonation.
            match requested.rsplit_once('/') {
                Some((resource, _permission)) if resource.contains("://") => resource.to_string(),
                _ => requested.to_string(),
            }
        };
        self.check_resource(&aud)?;
        Ok(Target {
            aud,
            scope: Some(requested.to_string()),
            openid,
            offline_access,
        })
    }

    fn resource_known(&self, resource: &str) -> bool {
        let normalize =
            |s: &str| trim_one_slash(s.strip_suffix("/.default").unwrap_or(s)).to_string();
        let wanted = normalize(resource);
        !wanted.is_empty()
            && self
                .settings
                .audiences
                .iter()
                .any(|a| normalize(a) == wanted)
    }

    fn check_resource(&self, resource: &str) -> Result<(), OAuthError> {
        if self.resource_known(resource) {
            Ok(())
        } else {
            Err(OAuthError::invalid_resource(
                resource,
                &self.directory_name(),
            ))
        }
    }

    /// The `iss` of tokens issued by `endpoint`.
    pub(crate) fn issuer(&self, endpoint: Endpoint) -> String {
        let base = &self.settings.base_url;
        let tid = self.settings.tenant_id;
        match endpoint {
            Endpoint::V1 => format!("{base}{tid}/"),
            Endpoint::V2 => format!("{base}{tid}/v2.0"),
            Endpoint::Adfs => format!("{base}adfs"),
        }
    }

    /// Signs the access token (and for users the id token and a refresh token) and renders the response.
    pub(crate) fn issue(
        &self,
        ctx: &Ctx,
        grant: &str,
        client_id: Uuid,
        subject: Subject<'_>,
        target: &Target,
    ) -> Result<Response, OAuthError> {
        let endpoint = ctx.endpoint;
        let now = unix_now();
        let lifetime =
            i64::try_from(self.settings.access_token_lifetime.as_secs()).unwrap_or(i64::MAX / 4);
        let exp = now.saturating_add(lifetime);
        // Azure AD answers 3599 for a one-hour token.
        let expires_in = (lifetime - 1).max(0);
        let tid = self.settings.tenant_id.to_string();
        let (oid, acr, name) = match &subject {
            Subject::App(sp, acr) => (sp.object_id, *acr, sp.name.clone()),
            Subject::User(user) => (user.object_id, "0", user.upn.clone()),
        };
        let mut claims = json!({
            "aud": target.aud,
            "iss": self.issuer(endpoint),
            "iat": now,
            "nbf": now,
            "exp": exp,
            "tid": tid,
            "oid": oid.to_string(),
            "sub": oid.to_string(),
            "appidacr": acr,
            "uti": random_url_safe(16),
        });
        let c = claims.as_object_mut().expect("claims object");
        match endpoint {
            Endpoint::V2 => {
                c.insert("azp".into(), json!(client_id.to_string()));
                c.insert("azpacr".into(), json!(acr));
                c.insert("ver".into(), json!("2.0"));
            }
            Endpoint::V1 | Endpoint::Adfs => {
                c.insert("appid".into(), json!(client_id.to_string()));
                c.insert("ver".into(), json!("1.0"));
            }
        }
        match &subject {
            Subject::App(..) => {
                c.insert("idtyp".into(), json!("app"));
            }
            Subject::User(user) => {
                c.insert("idtyp".into(), json!("user"));
                c.insert("upn".into(), json!(user.upn));
                c.insert("unique_name".into(), json!(user.upn));
                c.insert("name".into(), json!(display_name(&user.upn)));
                c.insert("scp".into(), json!("user_impersonation"));
                c.insert("amr".into(), json!(["pwd"]));
                if endpoint == Endpoint::V2 {
                    c.insert("preferred_username".into(), json!(user.upn));
                }
            }
        }
        let access_token = self.key.sign(&claims).map_err(|e| server_error(&e))?;

        let mut body = match endpoint {
            Endpoint::V1 => json!({
                "token_type": "Bearer",
                "expires_in": expires_in.to_string(),
                "ext_expires_in": expires_in.to_string(),
                "expires_on": exp.to_string(),
                "not_before": now.to_string(),
                "resource": target.aud,
                "access_token": access_token,
            }),
            Endpoint::V2 => json!({
                "token_type": "Bearer",
                "scope": target.scope.clone().unwrap_or_else(|| format!("{}/.default", target.aud)),
                "expires_in": expires_in,
                "ext_expires_in": expires_in,
                "access_token": access_token,
            }),
            Endpoint::Adfs => {
                let mut b = json!({
                    "token_type": "Bearer",
                    "expires_in": expires_in,
                    "resource": target.aud,
                    "access_token": access_token,
                });
                if let Some(scope) = &target.scope {
                    b["scope"] = json!(scope);
                }
                b
            }
        };

        if let Subject::User(user) = &subject {
            let b = body.as_object_mut().expect("response object");
            // Scope-style requests (v2, and AD FS asked by MSAL) get the requested scope back, so that MSAL
            // finds the cached token for it; resource-style requests get "user_impersonation".
            let scope_style =
                endpoint == Endpoint::V2 || (endpoint == Endpoint::Adfs && target.scope.is_some());
            let scope = if scope_style {
                let requested = target
                    .scope
                    .clone()
                    .unwrap_or_else(|| format!("{}/.default", target.aud));
                let impersonation = format!("{}/user_impersonation", target.aud);
                if requested == impersonation {
                    requested
                } else {
                    format!("{impersonation} {requested}")
                }
            } else {
                "user_impersonation".to_string()
            };
            b.insert("scope".into(), json!(scope));
            let wants_refresh = endpoint != Endpoint::V2 || target.offline_access;
            if wants_refresh {
                let refresh_token = self.new_refresh_token(user, client_id, target);
                b.insert("refresh_token".into(), json!(refresh_token));
                if endpoint == Endpoint::Adfs {
                    b.insert(
                        "refresh_token_expires_in".into(),
                        json!(REFRESH_TOKEN_LIFETIME.as_secs()),
                    );
                }
            }
            let wants_id_token = endpoint != Endpoint::V2 || target.openid;
            if wants_id_token {
                let id_token = self.id_token(endpoint, client_id, user, now, exp)?;
                b.insert("id_token".into(), json!(id_token));
            }
            let wants_client_info = endpoint == Endpoint::V2
                || (endpoint == Endpoint::V1 && ctx.form.get("client_info") == Some("1"));
            if wants_client_info {
                let info = json!({ "uid": user.object_id.to_string(), "utid": self.settings.tenant_id.to_string() });
                b.insert(
                    "client_info".into(),
                    json!(
                        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(info.to_string())
                    ),
                );
            }
        }

        tracing::info!(
            grant,
            endpoint = ?endpoint,
            client_id = %client_id,
            principal = %name,
            aud = %target.aud,
            "issued an access token"
        );
        let mut response = (StatusCode::OK, axum::Json(body)).into_response();
        no_cache(&mut response);
        Ok(response)
    }

    fn id_token(
        &self,
        endpoint: Endpoint,
        client_id: Uuid,
        user: &User,
        now: i64,
        exp: i64,
    ) -> Result<String, OAuthError> {
        let mut claims = json!({
            "aud": client_id.to_string(),
            "iss": self.issuer(endpoint),
            "iat": now,
            "nbf": now,
            "exp": exp,
            "oid": user.object_id.to_string(),
            "sub": user.object_id.to_string(),
            "tid": self.settings.tenant_id.to_string(),
            "name": display_name(&user.upn),
        });
        let c = claims.as_object_mut().expect("claims object");
        match endpoint {
            Endpoint::V2 => {
                c.insert("preferred_username".into(), json!(user.upn));
                c.insert("ver".into(), json!("2.0"));
            }
            Endpoint::V1 | Endpoint::Adfs => {
                c.insert("upn".into(), json!(user.upn));
                c.insert("unique_name".into(), json!(user.upn));
                c.insert("amr".into(), json!(["pwd"]));
                c.insert("ver".into(), json!("1.0"));
            }
        }
        self.key.sign(&claims).map_err(|e| server_error(&e))
    }

    fn new_refresh_token(&self, user: &User, client_id: Uuid, target: &Target) -> String {
        let token = random_url_safe(48);
        let now = unix_now();
        let grant = RefreshGrant {
            user_object_id: user.object_id,
            client_id,
            target: target.clone(),
            expires_at: now + REFRESH_TOKEN_LIFETIME.as_secs() as i64,
        };
        let mut store = self.refresh_tokens.lock().expect("refresh token store");
        store.retain(|_, g| g.expires_at > now);
        store.insert(token.clone(), grant);
        token
    }

    /// Test hook: makes a refresh token expire now.
    #[cfg(test)]
    pub(crate) fn expire_refresh_token(&self, token: &str) {
        if let Some(g) = self
            .refresh_tokens
            .lock()
            .expect("refresh token store")
            .get_mut(token)
        {
            g.expires_at = unix_now() - 1;
        }
    }
}

fn client_id_param(ctx: &Ctx) -> Option<&str> {
    ctx.form.get("client_id").or_else(|| {
        ctx.basic
            .as_ref()
            .map(|(id, _)| id.trim())
            .filter(|s| !s.is_empty())
    })
}

/// The user's display name: the UPN's local part.
fn display_name(upn: &str) -> String {
    upn.split('@').next().unwrap_or(upn).to_string()
}

fn server_error(e: &anyhow::Error) -> OAuthError {
    tracing::error!(error = %e, "identity provider failure");
    OAuthError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        90033,
        "A transient error has occurred. Please try again.",
    )
}

/// Compares two secrets in time independent of where they differ.
pub(crate) fn constant_time_eq(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
