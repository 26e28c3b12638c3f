//! Metadata documents: OpenID configuration (v1, v2, AD FS), instance discovery and user realm.

use serde_json::{Value, json};
use uuid::Uuid;

use super::errors::OAuthError;
use super::routes::{Endpoint, TenantSegment};
use super::{Identity, IdentityMode};

impl Identity {
    /// Resolves an Azure AD `{tenant}` path segment: the tenant GUID, the tenant domain (case-insensitive),
    /// `common` or `organizations`.
    pub(crate) fn resolve_tenant(&self, segment: &str) -> Option<TenantSegment> {
        if segment.eq_ignore_ascii_case("common") {
            return Some(TenantSegment::Common);
        }
        if segment.eq_ignore_ascii_case("organizations") {
            return Some(TenantSegment::Organizations);
        }
        if segment.eq_ignore_ascii_case(&self.settings.tenant_domain) {
            return Some(TenantSegment::Tenant);
        }
        match Uuid::parse_str(segment) {
            Ok(id) if id == self.settings.tenant_id => Some(TenantSegment::Tenant),
            _ => None,
        }
    }

    /// `host[:port]` of the base URL.
    pub(crate) fn host_and_port(&self) -> String {
        authority_of(&self.settings.base_url).to_ascii_lowercase()
    }

    /// The tenant segment Azure AD writes into metadata URLs: the tenant GUID, or `common`/`organizations`.
    fn metadata_tenant(&self, tenant: TenantSegment) -> String {
        match tenant {
            TenantSegment::Tenant => self.settings.tenant_id.to_string(),
            TenantSegment::Common => "common".to_string(),
            TenantSegment::Organizations => "organizations".to_string(),
        }
    }

    pub(crate) fn openid_configuration(&self, endpoint: Endpoint, tenant: TenantSegment) -> Value {
        let base = &self.settings.base_url;
        let host = self.host_and_port();
        let host_name = host.split(':').next().unwrap_or(&host).to_string();
        if self.settings.mode == IdentityMode::Adfs {
            let adfs = format!("{base}adfs");
            return json!({
                "issuer": adfs,
                "access_token_issuer": adfs,
                "authorization_endpoint": format!("{adfs}/oauth2/authorize"),
                "token_endpoint": format!("{adfs}/oauth2/token"),
                "device_authorization_endpoint": format!("{adfs}/oauth2/devicecode"),
                "end_session_endpoint": format!("{adfs}/oauth2/logout"),
                "jwks_uri": format!("{adfs}/discovery/keys"),
                "token_endpoint_auth_methods_supported":
                    ["client_secret_post", "client_secret_basic", "private_key_jwt"],
                "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "response_modes_supported": ["query", "fragment", "form_post"],
                "grant_types_supported": [
                    "refresh_token", "client_credentials", "password",
                    "urn:ietf:params:oauth:grant-type:device_code", "device_code"
                ],
                "subject_types_supported": ["pairwise"],
                "scopes_supported": ["openid", "profile", "email", "offline_access", "user_impersonation"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "claims_supported": ["aud", "iss", "iat", "exp", "nbf", "sub", "oid", "tid", "upn", "unique_name"],
                "microsoft_multi_refresh_token": true,
                "capabilities": [],
            });
        }
        let t = self.metadata_tenant(tenant);
        let issuer_tenant = match tenant {
            TenantSegment::Tenant => self.settings.tenant_id.to_string(),
            TenantSegment::Common | TenantSegment::Organizations => "{tenantid}".to_string(),
        };
        let region_scope = match tenant {
            TenantSegment::Tenant => json!("NA"),
            _ => Value::Null,
        };
        let mut doc = match endpoint {
            Endpoint::V2 => json!({
                "issuer": format!("{base}{issuer_tenant}/v2.0"),
                "token_endpoint": format!("{base}{t}/oauth2/v2.0/token"),
                "authorization_endpoint": format!("{base}{t}/oauth2/v2.0/authorize"),
                "device_authorization_endpoint": format!("{base}{t}/oauth2/v2.0/devicecode"),
                "end_session_endpoint": format!("{base}{t}/oauth2/v2.0/logout"),
                "jwks_uri": format!("{base}{t}/discovery/v2.0/keys"),
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "claims_supported": [
                    "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "aud", "exp", "iat",
                    "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "email"
                ],
            }),
            _ => json!({
                "issuer": format!("{base}{issuer_tenant}/"),
                "token_endpoint": format!("{base}{t}/oauth2/token"),
                "authorization_endpoint": format!("{base}{t}/oauth2/authorize"),
                "device_authorization_endpoint": format!("{base}{t}/oauth2/devicecode"),
                "end_session_endpoint": format!("{base}{t}/oauth2/logout"),
                "jwks_uri": format!("{base}{t}/discovery/keys"),
                "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
                "scopes_supported": ["openid"],
                "claims_supported": [
                    "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "aud", "exp", "iat",
                    "auth_time", "acr", "amr", "nonce", "email", "given_name", "family_name", "nickname"
                ],
                "microsoft_multi_refresh_token": true,
            }),
        };
        let common = json!({
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "request_uri_parameter_supported": false,
            "http_logout_supported": true,
            "frontchannel_logout_supported": true,
            "tenant_region_scope": region_scope,
            "cloud_instance_name": host_name,
            "cloud_graph_host_name": host_name,
            "msgraph_host": host_name,
        });
        if let (Some(doc), Some(common)) = (doc.as_object_mut(), common.as_object()) {
            for (k, v) in common {
                doc.insert(k.clone(), v.clone());
            }
        }
        doc
    }

    /// `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=https://host/{tenant}/oauth2/v2.0/authorize`.
    pub(crate) fn instance_discovery(&self, query: &str) -> Result<Value, OAuthError> {
        let host = self.host_and_port();
        let authorization_endpoint = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "authorization_endpoint")
            .map(|(_, v)| v.into_owned());
        let tenant = match authorization_endpoint {
            None => "common".to_string(),
            Some(url) => {
                let asked = authority_of(&url).to_ascii_lowercase();
                if asked != host {
                    return Err(OAuthError::bad_request(
                        "invalid_instance",
                        50049,
                        "Unknown or invalid instance.",
                    ));
                }
                let path = url
                    .split_once("://")
                    .map(|(_, rest)| rest)
                    .unwrap_or(&url)
                    .split_once('/')
                    .map(|(_, path)| path)
                    .unwrap_or("");
                let tenant = path.split(['/', '?']).next().unwrap_or("");
                if tenant.is_empty() {
                    "common".to_string()
                } else {
                    tenant.to_string()
                }
            }
        };
        Ok(json!({
            "tenant_discovery_endpoint":
                format!("{}{tenant}/v2.0/.well-known/openid-configuration", self.settings.base_url),
            "api-version": "1.1",
            "metadata": [{
                "preferred_network": host,
                "preferred_cache": host,
                "aliases": [host],
            }],
        }))
    }

    /// `GET /common/userrealm/{upn}?api-version=1.0`: "Managed" for the tenant's domain and the domains of
    /// configured users (so MSAL.NET and ADAL go on with the password grant), "Unknown" otherwise.
    pub(crate) fn user_realm(&self, upn: &str) -> Value {
        let domain = upn.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        let managed = !domain.is_empty()
            && (domain.eq_ignore_ascii_case(&self.settings.tenant_domain)
                || self.principals.users.iter().any(|u| {
                    u.upn
                        .rsplit_once('@')
                        .is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain))
                }));
        let host = self.host_and_port();
        if managed {
            json!({
                "ver": "1.0",
                "account_type": "Managed",
                "domain_name": domain.to_ascii_lowercase(),
                "cloud_instance_name": host,
                "cloud_audience_urn": "urn:federation:MicrosoftOnline",
            })
        } else {
            json!({
                "ver": "1.0",
                "account_type": "Unknown",
                "cloud_instance_name": host,
            })
        }
    }
}

/// `host[:port]` of a URL.
fn authority_of(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split(['/', '?', '#']).next().unwrap_or("")
}
