//! A signed-in connection to one Resource Manager endpoint: environment, transport and tokens.

use url::Url;

use crate::account::SignedInAccount;
use crate::cloud::{Cloud, Environment};
use crate::credential::{Credential, TokenProvider};
use crate::error::{Error, Result, quoted};
use crate::transport::{Auth, Method, Response, Transport, TransportOptions};

/// Which Resource Manager endpoint to talk to.
#[derive(Debug, Clone)]
pub enum EnvironmentSpec {
    /// One of the clouds whose endpoints the library knows.
    Cloud(Cloud),
    /// An Azure Stack Hub (or any) ARM endpoint whose `/metadata/endpoints` describes it.
    Discover {
        /// The ARM endpoint to read `/metadata/endpoints` from.
        arm_endpoint: Url,
    },
    /// Endpoints given in full, for a cloud neither known nor discoverable.
    Custom(Environment),
}

/// What a [`Client`] is made from. Non-exhaustive, so fields can be added: build it with
/// [`ClientOptions::new`] and set `transport` as needed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientOptions {
    /// Which cloud or endpoint to talk to.
    pub environment: EnvironmentSpec,
    /// How to sign in.
    pub credential: Credential,
    /// Trust, timeouts and retries.
    pub transport: TransportOptions,
}

impl ClientOptions {
    /// Options for `environment` and `credential`, with the default transport.
    pub fn new(environment: EnvironmentSpec, credential: Credential) -> ClientOptions {
        ClientOptions {
            environment,
            credential,
            transport: TransportOptions::default(),
        }
    }

    /// The same options with `transport`.
    pub fn with_transport(mut self, transport: TransportOptions) -> ClientOptions {
        self.transport = transport;
        self
    }
}

/// A signed-in connection to one Resource Manager: the environment, the HTTP transport with its retry
/// policy, and the token cache every request of the library goes through.
pub struct Client {
    environment: Environment,
    transport: Transport,
    tokens: TokenProvider,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("environment", &self.environment)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds the transport and, for `Discover`, reads the endpoint's metadata. No token is requested yet.
    pub fn new(options: ClientOptions) -> Result<Client> {
        options.credential.validate()?;
        let transport = Transport::new(&options.transport)?;
        let environment = match options.environment {
            EnvironmentSpec::Cloud(cloud) => cloud.environment(),
            EnvironmentSpec::Discover { arm_endpoint } => {
                Environment::discover(&transport, &arm_endpoint)?
            }
            EnvironmentSpec::Custom(environment) => {
                check_custom_endpoints(&environment, &transport)?;
                environment
            }
        };
        Ok(Client::with_parts(
            environment,
            transport,
            options.credential,
        ))
    }

    /// A client from an environment already known and a transport already built (no request is sent).
    pub fn with_parts(
        environment: Environment,
        transport: Transport,
        credential: Credential,
    ) -> Client {
        let tokens = TokenProvider::new(
            credential,
            &environment.login_endpoint,
            environment.identity_system,
        );
        Client {
            environment,
            transport,
            tokens,
        }
    }

    /// The endpoints this client talks to (resolved when the client was made).
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The HTTP transport, for requests the library has no function for.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The token cache, for a caller that needs a bearer token for another audience.
    pub fn tokens(&self) -> &TokenProvider {
        &self.tokens
    }

    /// Who this client acts as, from the claims of its access token. Signs in first when no token was
    /// issued yet (with a device code credential that shows the prompt); the token itself is not returned.
    pub fn signed_in_account(&self) -> Result<SignedInAccount> {
        if let Some(account) = self.tokens.signed_in() {
            return Ok(account);
        }
        self.tokens
            .token(&self.transport, &self.environment.audience)?;
        Ok(self.tokens.signed_in().unwrap_or_default())
    }

    /// `path_and_query` (e.g. "subscriptions/x/providers/...?api-version=...") resolved against the
    /// Resource Manager URL.
    ///
    /// An absolute URL is accepted when it points at this Resource Manager endpoint (a `nextLink`), and
    /// refused for any other host: the request would carry this endpoint's access token.
    pub fn arm_url(&self, path_and_query: &str) -> Result<Url> {
        let text = path_and_query.trim();
        let base = &self.environment.resource_manager;
        let url = match Url::parse(text) {
            Ok(absolute) => absolute,
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                // A leading '/' would drop a base path (`https://host/arm/`); '//' would name another host.
                base.join(text.trim_start_matches('/')).map_err(|e| {
                    Error::invalid(
                        "path_and_query",
                        format!("{} is not a usable path ({e})", quoted(text)),
                    )
                })?
            }
            Err(e) => {
                return Err(Error::invalid(
                    "path_and_query",
                    format!("{} is not a usable path or URL ({e})", quoted(text)),
                ));
            }
        };
        self.check_same_endpoint(&url, "path_and_query")?;
        Ok(url)
    }

    /// Authenticated GET of a JSON resource on this endpoint, with retries; a 401 invalidates the cached
    /// token and is retried once with a fresh one.
    pub fn get_json(&self, url: &Url) -> Result<Response> {
        self.authorized(url, |token| {
            self.transport.get(url, Auth::Bearer(token), true)
        })
    }

    /// Authenticated request of any verb with an optional JSON body (ARM writes and actions), with the same
    /// retries, 401 handling and ARM error parsing as `get_json`. The answer's body is returned as is (it
    /// may be empty: DELETE, 204).
    pub fn send_json(
        &self,
        method: Method,
        url: &Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Response> {
        self.authorized(url, |token| {
            self.transport
                .send_json(method, url, Auth::Bearer(token), body)
        })
    }

    /// Runs `send` with an access token for this endpoint, after checking where it goes.
    fn authorized(&self, url: &Url, send: impl Fn(&str) -> Result<Response>) -> Result<Response> {
        self.transport.check_url(url)?;
        self.check_same_endpoint(url, "url")?;
        let audience = &self.environment.audience;
        let token = self.tokens.token(&self.transport, audience)?;
        match send(token.expose()) {
            // The token may have been revoked or signed with a key the service has since rolled; one fresh
            // token settles it, a second 401 is the answer.
            Err(Error::Service(e)) if e.status == 401 && self.tokens.can_renew() => {
                log::debug!(
                    "{} refused the token (HTTP 401, {}); trying once more with a new one",
                    crate::transport::display_url(url),
                    e.code.as_deref().unwrap_or("no code")
                );
                self.tokens.invalidate(audience);
                let token = self.tokens.token(&self.transport, audience)?;
                send(token.expose())
            }
            other => other,
        }
    }

    /// The access token is only ever sent to this environment's Resource Manager (same scheme, host and
    /// port).
    fn check_same_endpoint(&self, url: &Url, what: &'static str) -> Result<()> {
        let base = &self.environment.resource_manager;
        if url.origin() == base.origin() {
            return Ok(());
        }
        Err(Error::invalid(
            what,
            format!(
                "{} is not this client's Resource Manager endpoint ({}); its access token is not sent elsewhere",
                url.origin().ascii_serialization(),
                base.origin().ascii_serialization()
            ),
        ))
    }
}

/// A custom environment's endpoints against the client's own `allow_http`: `Environment::custom` checks
/// only their shape, as it does not know the policy; refusing here names the field instead of failing at the
/// first request.
fn check_custom_endpoints(environment: &Environment, transport: &Transport) -> Result<()> {
    for (what, url) in [
        ("resource_manager", &environment.resource_manager),
        ("login_endpoint", &environment.login_endpoint),
    ] {
        transport.check_url(url).map_err(|e| match e {
            Error::InvalidArgument { message, .. } => {
                Error::invalid(what, format!("the custom environment's {what}: {message}"))
            }
            other => other,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn client() -> Client {
        let environment = Environment::custom(
            "Stamp",
            "https://adminmanagement.local.azurestack.external/",
            "https://login.microsoftonline.com/",
            "https://adminmanagement.contoso.onmicrosoft.com/1",
        )
        .unwrap();
        let transport = Transport::new(&TransportOptions::default()).unwrap();
        Client::with_parts(
            environment,
            transport,
            Credential::AccessToken(Secret::new("token")),
        )
    }

    #[test]
    fn arm_urls() {
        let client = client();
        let base = "https://adminmanagement.local.azurestack.external/";
        assert_eq!(
            client
                .arm_url("subscriptions/s/providers/X?api-version=1")
                .unwrap()
                .as_str(),
            format!("{base}subscriptions/s/providers/X?api-version=1")
        );
        assert_eq!(
            client
                .arm_url("/metadata/endpoints?api-version=2015-01-01")
                .unwrap()
                .as_str(),
            format!("{base}metadata/endpoints?api-version=2015-01-01")
        );
        // A nextLink on the same endpoint is taken as is.
        let next = format!("{base}subscriptions/s/x?api-version=1&continuationToken=abc%2B");
        assert_eq!(client.arm_url(&next).unwrap().as_str(), next);
        // '//host' cannot switch hosts.
        assert_eq!(
            client.arm_url("//evil.example/x").unwrap().as_str(),
            format!("{base}evil.example/x")
        );
        for other in [
            "https://evil.example/subscriptions",
            "http://adminmanagement.local.azurestack.external/x",
            "https://adminmanagement.local.azurestack.external:8443/x",
        ] {
            let err = client.arm_url(other).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidArgument {
                        what: "path_and_query",
                        ..
                    }
                ),
                "{other}: {err}"
            );
        }
    }

    #[test]
    fn get_json_refuses_other_hosts_before_sending() {
        let client = client();
        let err = client
            .get_json(&Url::parse("https://evil.example/x").unwrap())
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { what: "url", .. }),
            "{err}"
        );
        let err = client
            .get_json(&Url::parse("http://evil.example/x").unwrap())
            .unwrap_err();
        assert!(err.to_string().contains("allow_http"), "{err}");
    }

    #[test]
    fn custom_environments_follow_allow_http() {
        let options = |rm: &str, login: &str, allow_http: bool| {
            let environment = Environment::custom("Stamp", rm, login, "a").unwrap();
            ClientOptions::new(
                EnvironmentSpec::Custom(environment),
                Credential::AccessToken(Secret::new("token")),
            )
            .with_transport(TransportOptions {
                allow_http,
                ..TransportOptions::default()
            })
        };
        for (rm, login, what) in [
            (
                "http://arm.contoso.com/",
                "https://login.contoso.com/",
                "resource_manager",
            ),
            (
                "https://arm.contoso.com/",
                "http://10.0.0.1/adfs/",
                "login_endpoint",
            ),
        ] {
            let err = Client::new(options(rm, login, false)).unwrap_err();
            assert!(
                matches!(err, Error::InvalidArgument { what: w, .. } if w == what),
                "{err:?}"
            );
            assert!(err.to_string().contains("allow_http"), "{err}");
            assert!(err.to_string().contains(what), "{err}");
            let client = Client::new(options(rm, login, true)).unwrap();
            assert_eq!(client.environment().resource_manager.as_str(), rm);
        }
        // Loopback http needs no allow_http.
        Client::new(options("http://127.0.0.1:9/", "http://localhost:9/", false)).unwrap();
    }
}
