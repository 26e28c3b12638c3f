//! The token provider: one credential against one identity provider, tokens cached per audience.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;
use zeroize::Zeroize;

use crate::cloud::IdentitySystem;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::transport::Transport;

use super::token_response::{Issued, parse_token_response};
use super::{AZURE_POWERSHELL_CLIENT_ID, Credential, check_tenant, required_client_id};

/// Renew a cached token when less than this remains of its life.
pub(super) const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

/// Obtains and caches tokens for one credential against one identity provider.
pub struct TokenProvider {
    credential: Credential,
    login_endpoint: Url,
    identity_system: IdentitySystem,
    cache: Mutex<HashMap<String, CachedToken>>,
    /// The user's refresh token after device code sign-in; it serves every audience (multi-resource).
    pub(super) refresh_token: Mutex<Option<Secret>>,
    /// Held while signing in, so that concurrent callers wait for one sign-in (one device code prompt)
    /// instead of starting their own.
    sign_in: Mutex<()>,
    /// Who the latest issued token names (shown by callers; the token itself stays in the cache).
    signed_in: Mutex<Option<crate::account::SignedInAccount>>,
}

impl std::fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenProvider")
            .field("credential", &self.credential)
            .field("login_endpoint", &self.login_endpoint.as_str())
            .field("identity_system", &self.identity_system)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub(super) struct CachedToken {
    token: Secret,
    expires_at: DateTime<Utc>,
}

/// A lock whose holder panicked still guards consistent data here (whole values are swapped in and out).
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl TokenProvider {
    /// A provider for `credential` against the identity provider at `login_endpoint`; nothing is sent
    /// until the first token is asked for.
    pub fn new(
        credential: Credential,
        login_endpoint: &Url,
        identity_system: IdentitySystem,
    ) -> TokenProvider {
        TokenProvider {
            credential,
            login_endpoint: login_endpoint.clone(),
            identity_system,
            cache: Mutex::new(HashMap::new()),
            refresh_token: Mutex::new(None),
            sign_in: Mutex::new(()),
            signed_in: Mutex::new(None),
        }
    }

    /// A valid access token for `audience`: from the cache, by refresh token, or by signing in.
    pub fn token(&self, transport: &Transport, audience: &str) -> Result<Secret> {
        let audience = audience.trim();
        if audience.is_empty() {
            return Err(Error::invalid(
                "audience",
                "a token needs an audience (resource)",
            ));
        }
        if let Credential::AccessToken(token) = &self.credential {
            return Ok(token.clone());
        }
        if let Some(token) = self.cached(audience) {
            return Ok(token);
        }
        let _signing_in = lock(&self.sign_in);
        // Another caller may have signed in while this one waited.
        if let Some(token) = self.cached(audience) {
            return Ok(token);
        }
        let issued = self.acquire(transport, audience)?;
        match issued.expires_at {
            Some(expires_at) => log::debug!(target: super::LOG_TARGET,
                "token for {audience} issued, expires {}",
                expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            None => {
                log::debug!(target: super::LOG_TARGET, "token for {audience} issued without an expiry; not cached")
            }
        }
        if let Some(account) =
            crate::account::SignedInAccount::from_token(issued.access_token.expose())
        {
            *lock(&self.signed_in) = Some(account);
        }
        if let Some(refresh) = issued.refresh_token
            && self.credential.holds_refresh_token()
        {
            *lock(&self.refresh_token) = Some(refresh);
        }
        if let Some(expires_at) = issued.expires_at {
            lock(&self.cache).insert(
                audience.to_string(),
                CachedToken {
                    token: issued.access_token.clone(),
                    expires_at,
                },
            );
        }
        Ok(issued.access_token)
    }

    /// Forgets the cached token for `audience` (after a 401), so the next call signs in again.
    pub fn invalidate(&self, audience: &str) {
        if lock(&self.cache).remove(audience.trim()).is_some() {
            log::debug!(target: super::LOG_TARGET,
                "cached token for {} dropped; the next request gets a new one",
                audience.trim()
            );
        }
    }

    /// Whether a refused token can be replaced: false for a caller-supplied access token, which is used as
    /// is until the service refuses it.
    pub fn can_renew(&self) -> bool {
        !matches!(self.credential, Credential::AccessToken(_))
    }

    /// The credential tokens are obtained with.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// Who the latest token names; None before the first token (or when the token is not a JWT).
    pub fn signed_in(&self) -> Option<crate::account::SignedInAccount> {
        match &self.credential {
            Credential::AccessToken(token) => {
                crate::account::SignedInAccount::from_token(token.expose())
            }
            _ => lock(&self.signed_in).clone(),
        }
    }

    /// The refresh token kept after a device code sign-in, if one was issued and is still held (it is
    /// dropped when the identity provider refuses it). Registration hands it to the privileged endpoint's
    /// `New-AzureBridgeServicePrincipal`; nothing else should need it.
    pub fn refresh_token(&self) -> Option<Secret> {
        lock(&self.refresh_token).clone()
    }

    fn cached(&self, audience: &str) -> Option<Secret> {
        let cache = lock(&self.cache);
        let entry = cache.get(audience)?;
        let left = (entry.expires_at - Utc::now()).to_std().ok()?;
        if left <= RENEW_BEFORE {
            log::debug!(target: super::LOG_TARGET,
                "cached token for {audience} expires in {} s; renewing it",
                left.as_secs()
            );
            return None;
        }
        log::trace!(target: super::LOG_TARGET, "cached token for {audience}, {} s left", left.as_secs());
        Some(entry.token.clone())
    }

    fn acquire(&self, transport: &Transport, audience: &str) -> Result<Issued> {
        match &self.credential {
            Credential::AccessToken(token) => Ok(Issued {
                access_token: token.clone(),
                refresh_token: None,
                expires_at: None,
            }),
            Credential::ClientSecret {
                tenant,
                client_id,
                secret,
            } => {
                let url = self.endpoint(tenant, "token")?;
                let client_id = required_client_id(client_id)?;
                log_request(
                    &url,
                    audience,
                    "client_credentials grant, client secret",
                    client_id,
                );
                request_token(
                    transport,
                    &url,
                    &[
                        ("grant_type", "client_credentials"),
                        ("client_id", client_id),
                        ("client_secret", secret.expose()),
                        ("resource", audience),
                    ],
                )
            }
            Credential::Certificate {
                tenant,
                client_id,
                certificate,
            } => {
                let url = self.endpoint(tenant, "token")?;
                let client_id = required_client_id(client_id)?;
                let assertion = certificate.assertion(&url, client_id)?;
                log_request(
                    &url,
                    audience,
                    &format!(
                        "client_credentials grant, certificate {}",
                        certificate.thumbprint()
                    ),
                    client_id,
                );
                request_token(
                    transport,
                    &url,
                    &[
                        ("grant_type", "client_credentials"),
                        ("client_id", client_id),
                        (
                            "client_assertion_type",
                            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        ),
                        ("client_assertion", assertion.expose()),
                        ("resource", audience),
                    ],
                )
            }
            Credential::DeviceCode {
                tenant,
                client_id,
                prompt,
            } => {
                let client_id = match client_id.trim() {
                    "" => AZURE_POWERSHELL_CLIENT_ID,
                    id => id,
                };
                self.device_code(transport, tenant, client_id, prompt, audience)
            }
        }
    }

    /// `{login}{tenant}/oauth2/{leaf}` (Azure AD, v1) or `{login}oauth2/{leaf}` (AD FS: the login endpoint
    /// already ends in `/adfs/` and there is no tenant segment).
    pub(super) fn endpoint(&self, tenant: &str, leaf: &str) -> Result<Url> {
        let mut url = self.login_endpoint.clone();
        let tenant = tenant.trim();
        if self.identity_system == IdentitySystem::AzureAd {
            if tenant.is_empty() {
                return Err(Error::invalid(
                    "tenant",
                    "Azure AD sign-in needs the directory tenant (a GUID or a domain such as \
                     contoso.onmicrosoft.com)",
                ));
            }
            check_tenant(tenant)?;
        }
        {
            let mut segments = url.path_segments_mut().map_err(|_| {
                Error::invalid("login_endpoint", "the login endpoint is not an http(s) URL")
            })?;
            segments.pop_if_empty();
            if self.identity_system == IdentitySystem::AzureAd {
                segments.push(tenant);
            }
            segments.push("oauth2").push(leaf);
        }
        Ok(url)
    }
}
/// Whatever the identity provider refused is a failure to sign in.
pub(super) fn identity_error(error: Error) -> Error {
    match error {
        Error::Service(e) => Error::Authentication(e),
        other => other,
    }
}

/// Logs (debug) a token request: where, for which audience, which grant and client. Never the form: it
/// holds the secret, assertion, code or refresh token.
pub(super) fn log_request(url: &Url, audience: &str, grant: &str, client_id: &str) {
    log::debug!(target: super::LOG_TARGET,
        "requesting a token for {audience} from {} ({grant}, client {client_id})",
        crate::transport::display_url(url)
    );
}

/// POSTs a token request and reads the token response.
pub(super) fn request_token(
    transport: &Transport,
    url: &Url,
    form: &[(&str, &str)],
) -> Result<Issued> {
    let mut response = transport.post_form(url, form).map_err(identity_error)?;
    let parsed = parse_token_response(&response.body, Utc::now());
    response.body.zeroize();
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::ClientCertificate;
    use crate::credential::certificate::tests::pairs;
    use std::sync::Arc;

    #[test]
    fn token_endpoints() {
        let provider = |login: &str, system| {
            TokenProvider::new(
                Credential::AccessToken(Secret::new("x")),
                &Url::parse(login).unwrap(),
                system,
            )
        };
        let aad = provider(
            "https://login.microsoftonline.com/",
            IdentitySystem::AzureAd,
        );
        assert_eq!(
            aad.endpoint("contoso.onmicrosoft.com", "token")
                .unwrap()
                .as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/token"
        );
        assert_eq!(
            aad.endpoint("5f2b", "devicecode").unwrap().as_str(),
            "https://login.microsoftonline.com/5f2b/oauth2/devicecode"
        );
        assert!(matches!(
            aad.endpoint(" ", "token"),
            Err(Error::InvalidArgument { what: "tenant", .. })
        ));
        assert!(matches!(
            aad.endpoint("../x", "token"),
            Err(Error::InvalidArgument { what: "tenant", .. })
        ));
        let adfs = provider(
            "https://adfs.local.azurestack.external/adfs/",
            IdentitySystem::Adfs,
        );
        assert_eq!(
            adfs.endpoint("ignored", "token").unwrap().as_str(),
            "https://adfs.local.azurestack.external/adfs/oauth2/token"
        );
        assert_eq!(
            adfs.endpoint("", "devicecode").unwrap().as_str(),
            "https://adfs.local.azurestack.external/adfs/oauth2/devicecode"
        );
    }

    #[test]
    fn access_token_credential_serves_every_audience() {
        let transport = Transport::new(&crate::transport::TransportOptions::default()).unwrap();
        let provider = TokenProvider::new(
            Credential::AccessToken(Secret::new("given")),
            &Url::parse("https://login.example/").unwrap(),
            IdentitySystem::AzureAd,
        );
        assert_eq!(
            provider.token(&transport, "https://a/").unwrap().expose(),
            "given"
        );
        assert_eq!(
            provider.token(&transport, "https://b/").unwrap().expose(),
            "given"
        );
        provider.invalidate("https://a/");
        assert_eq!(
            provider.token(&transport, "https://a/").unwrap().expose(),
            "given"
        );
        assert!(!provider.can_renew());
        assert!(matches!(
            provider.token(&transport, " "),
            Err(Error::InvalidArgument { .. })
        ));
    }

    #[test]
    fn only_a_device_code_sign_in_holds_a_refresh_token() {
        let (certificate, key) = &pairs()[0];
        let secret = Credential::ClientSecret {
            tenant: "t".into(),
            client_id: "c".into(),
            secret: Secret::new("s"),
        };
        let cases = [
            (secret.clone(), "client_secret", false),
            (
                Credential::Certificate {
                    tenant: "t".into(),
                    client_id: "c".into(),
                    certificate: ClientCertificate::from_pem(&format!("{certificate}{key}"))
                        .unwrap(),
                },
                "certificate",
                false,
            ),
            (
                Credential::AccessToken(Secret::new("a")),
                "access_token",
                false,
            ),
            (
                Credential::DeviceCode {
                    tenant: "t".into(),
                    client_id: "c".into(),
                    prompt: Arc::new(|_| {}),
                },
                "device_code",
                true,
            ),
        ];
        for (credential, kind, holds) in cases {
            assert_eq!(credential.kind(), kind);
            assert_eq!(credential.holds_refresh_token(), holds, "{kind}");
        }

        // A refresh token the identity provider sends a service principal anyway is not kept.
        let (url, _) = crate::transport::testing::serve(vec![crate::transport::testing::reply(
            "200 OK",
            &["content-type: application/json"],
            r#"{"access_token":"a","expires_in":3600,"refresh_token":"r-unwanted"}"#,
        )]);
        let transport = Transport::new(&crate::transport::TransportOptions::default()).unwrap();
        let provider = TokenProvider::new(secret, &url, IdentitySystem::AzureAd);
        assert_eq!(
            provider.token(&transport, "https://a/").unwrap().expose(),
            "a"
        );
        assert!(provider.refresh_token().is_none());
    }

    #[test]
    fn debug_shows_no_secret() {
        let (certificate, key) = &pairs()[0];
        let credentials = [
            Credential::ClientSecret {
                tenant: "t".into(),
                client_id: "c".into(),
                secret: Secret::new("hunter2-secret"),
            },
            Credential::Certificate {
                tenant: "t".into(),
                client_id: "c".into(),
                certificate: ClientCertificate::from_pem(&format!("{certificate}{key}")).unwrap(),
            },
            Credential::AccessToken(Secret::new("eyJ-token-value")),
            Credential::DeviceCode {
                tenant: "t".into(),
                client_id: "c".into(),
                prompt: Arc::new(|_| {}),
            },
        ];
        let key_body: String = key.lines().nth(1).unwrap().to_string();
        for credential in &credentials {
            let text = format!("{credential:?}");
            for secret in ["hunter2-secret", "eyJ-token-value", key_body.as_str()] {
                assert!(!text.contains(secret), "{text}");
            }
        }
        assert_eq!(
            format!("{:?}", credentials[0]),
            "ClientSecret { tenant: \"t\", client_id: \"c\", secret: <redacted> }"
        );
        let provider = TokenProvider::new(
            credentials[0].clone(),
            &Url::parse("https://login.example/").unwrap(),
            IdentitySystem::AzureAd,
        );
        assert!(!format!("{provider:?}").contains("hunter2-secret"));
    }
}
