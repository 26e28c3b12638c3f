//! Clouds and their endpoints: the public Azure clouds, a custom environment, and Azure Stack Hub
//! endpoints discovered from `/metadata/endpoints`.

use url::Url;

use crate::error::{Error, Result};
use crate::transport::{Auth, Transport, check_url_with};

/// Which identity provider an environment signs in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum IdentitySystem {
    /// Azure AD (Entra ID): tokens from `{login}{tenant}/oauth2/token`.
    AzureAd,
    /// AD FS on a disconnected stamp: tokens from `{login}oauth2/token` where login ends in `/adfs/`.
    Adfs,
}

/// What kind of Resource Manager an environment is: which commands and defaults apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointType {
    /// An Azure Stack Hub admin (operator) endpoint, `adminmanagement.*`: the provider APIs, the Default
    /// Provider Subscription.
    Admin,
    /// An Azure Stack Hub user (tenant) endpoint, `management.*`, or any other Resource Manager that is
    /// neither of the other two.
    Tenant,
    /// A public Azure cloud (where registrations live).
    Azure,
}

impl EndpointType {
    /// The name as it appears in JSON: "admin", "tenant" or "azure".
    pub fn name(self) -> &'static str {
        match self {
            EndpointType::Admin => "admin",
            EndpointType::Tenant => "tenant",
            EndpointType::Azure => "azure",
        }
    }
}

/// Named public clouds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    /// Global Azure (`management.azure.com`).
    AzureCloud,
    /// Azure operated by 21Vianet (`management.chinacloudapi.cn`).
    AzureChinaCloud,
    /// Azure Government (`management.usgovcloudapi.net`).
    AzureUSGovernment,
}

/// Everything needed to sign in and call one Resource Manager endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// e.g. "AzureCloud", `"AzureStack-Admin-<tenant>"`, or a custom name.
    pub name: String,
    /// Resource Manager base URL, with a trailing slash.
    pub resource_manager: Url,
    /// Login endpoint with a trailing slash (`https://login.microsoftonline.com/`, `https://adfs.x/adfs/`).
    pub login_endpoint: Url,
    /// The token audience (resource) for this Resource Manager endpoint.
    pub audience: String,
    /// Azure AD or AD FS: decides the token endpoint and the issuer.
    pub identity_system: IdentitySystem,
}

impl Cloud {
    /// Every named cloud, in the order they are listed to users.
    pub const ALL: [Cloud; 3] = [
        Cloud::AzureCloud,
        Cloud::AzureChinaCloud,
        Cloud::AzureUSGovernment,
    ];

    /// The name as Azure PowerShell and the CLI spell it.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "AzureCloud",
            Cloud::AzureChinaCloud => "AzureChinaCloud",
            Cloud::AzureUSGovernment => "AzureUSGovernment",
        }
    }

    /// Parses a cloud name case-insensitively ("AzureCloud", "AzureChinaCloud", "AzureUSGovernment").
    pub fn from_name(name: &str) -> Result<Cloud> {
        let name = name.trim();
        Cloud::ALL
            .into_iter()
            .find(|cloud| cloud.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let names: Vec<&str> = Cloud::ALL.iter().map(|c| c.name()).collect();
                Error::invalid(
                    "cloud",
                    format!(
                        "unknown cloud {}; use one of {} (or discover an Azure Stack Hub endpoint)",
                        crate::error::quoted(name),
                        names.join(", ")
                    ),
                )
            })
    }

    /// The cloud's endpoints (Resource Manager, login, audience), Azure AD.
    pub fn environment(self) -> Environment {
        let (resource_manager, login, audience) = match self {
            Cloud::AzureCloud => (
                "https://management.azure.com/",
                "https://login.microsoftonline.com/",
                "https://management.core.windows.net/",
            ),
            Cloud::AzureChinaCloud => (
                "https://management.chinacloudapi.cn/",
                "https://login.chinacloudapi.cn/",
                "https://management.core.chinacloudapi.cn/",
            ),
            Cloud::AzureUSGovernment => (
                "https://management.usgovcloudapi.net/",
                "https://login.microsoftonline.us/",
                "https://management.core.usgovcloudapi.net/",
            ),
        };
        Environment {
            name: self.name().to_string(),
            resource_manager: constant_url(resource_manager),
            login_endpoint: constant_url(login),
            audience: audience.to_string(),
            identity_system: IdentitySystem::AzureAd,
        }
    }
}

impl std::fmt::Display for Cloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Cloud {
    type Err = Error;

    fn from_str(s: &str) -> Result<Cloud> {
        Cloud::from_name(s)
    }
}

/// One of the literal URLs above; they are known to parse.
fn constant_url(text: &'static str) -> Url {
    match Url::parse(text) {
        Ok(url) => url,
        // Unreachable with the literals above; a unit test parses each of them.
        Err(e) => panic!("built-in URL {text} does not parse: {e}"),
    }
}

impl IdentitySystem {
    /// AD FS when the login endpoint's path, without trailing slashes, ends in `/adfs` (how Azure Stack
    /// tooling decides); Azure AD otherwise.
    pub fn from_login_endpoint(login_endpoint: &Url) -> IdentitySystem {
        let path = login_endpoint
            .path()
            .trim_end_matches('/')
            .to_ascii_lowercase();
        if path.ends_with("/adfs") {
            IdentitySystem::Adfs
        } else {
            IdentitySystem::AzureAd
        }
    }
}

impl Environment {
    /// What kind of endpoint this is. Admin when the Resource Manager's host is `adminmanagement.*` or, for an
    /// endpoint reached by another name (an IP, a load balancer, the emulator on loopback), when the token
    /// audience is: Azure Stack Hub gives its admin Resource Manager the audience
    /// `https://adminmanagement.<domain>/<id>`. Azure when the Resource Manager or the audience is a public
    /// cloud's. Tenant otherwise.
    pub fn endpoint_type(&self) -> EndpointType {
        let host = self
            .resource_manager
            .host_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let audience = self.audience.trim().to_ascii_lowercase();
        let audience_host = Url::parse(&audience)
            .ok()
            .filter(|a| matches!(a.scheme(), "https" | "http"))
            .and_then(|a| a.host_str().map(str::to_string))
            .unwrap_or_default();
        if host.starts_with("adminmanagement.") || audience_host.starts_with("adminmanagement.") {
            return EndpointType::Admin;
        }
        let same = |a: &str, b: &str| {
            a.trim_end_matches('/')
                .eq_ignore_ascii_case(b.trim_end_matches('/'))
        };
        let public = Cloud::ALL.into_iter().map(Cloud::environment).any(|cloud| {
            cloud.resource_manager.origin() == self.resource_manager.origin()
                || same(&cloud.audience, &audience)
                || same(cloud.resource_manager.as_str(), &audience)
        });
        if public {
            EndpointType::Azure
        } else {
            EndpointType::Tenant
        }
    }

    /// A custom environment. Validates the URLs' shape (absolute http or https, a host, no query) and derives
    /// the identity system from the login endpoint (AD FS when its path ends in `/adfs`). Plain http to a
    /// host other than loopback is refused later, by `Client::new`, unless the client's `allow_http` is
    /// set: the policy is the client's, which this function does not know.
    pub fn custom(
        name: &str,
        resource_manager: &str,
        login_endpoint: &str,
        audience: &str,
    ) -> Result<Environment> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid("name", "the environment needs a name"));
        }
        let resource_manager = endpoint_url("resource_manager", resource_manager)?;
        let login_endpoint = endpoint_url("login_endpoint", login_endpoint)?;
        let audience = audience.trim();
        if audience.is_empty() {
            return Err(Error::invalid(
                "audience",
                "the token audience (the Resource Manager's application id URI) is required",
            ));
        }
        Ok(Environment {
            name: name.to_string(),
            identity_system: IdentitySystem::from_login_endpoint(&login_endpoint),
            resource_manager,
            login_endpoint,
            audience: audience.to_string(),
        })
    }

    /// Reads `{arm}/metadata/endpoints?api-version=2019-05-01` (array shape) and falls back to
    /// `api-version=2015-01-01` (object shape); the audience is `authentication.audiences[0]`; resourceManager
    /// comes from `arm` when the document leaves it out (Azure Stack Hub does).
    pub fn discover(transport: &Transport, arm: &Url) -> Result<Environment> {
        transport.check_url(arm)?;
        let arm = with_trailing_slash(arm.clone());
        let metadata = |api_version: &str| -> Result<serde_json::Value> {
            let mut url = join(&arm, "metadata/endpoints")?;
            url.query_pairs_mut()
                .append_pair("api-version", api_version);
            transport.get(&url, Auth::None, true)?.json()
        };
        let document = match metadata("2019-05-01") {
            Ok(document) if document.is_array() => document,
            // Endpoints that predate the array shape answer something else, or refuse the api-version.
            Ok(_) => metadata("2015-01-01").map_err(|e| not_resource_manager(&arm, e))?,
            Err(Error::Service(e)) if (400..500).contains(&e.status) => {
                metadata("2015-01-01").map_err(|e| not_resource_manager(&arm, e))?
            }
            Err(e) => return Err(not_resource_manager(&arm, e)),
        };
        Environment::from_metadata(&arm, &document).map_err(|e| not_resource_manager(&arm, e))
    }

    /// An environment from a `metadata/endpoints` document of either shape, read from `arm`.
    ///
    /// Array shape: the element whose `resourceManager` is `arm` (public Azure lists every cloud), else the
    /// first; its `name`, or `"AzureStack-<host>"`. Object shape: named `"AzureStack-<host>"`.
    pub fn from_metadata(arm: &Url, document: &serde_json::Value) -> Result<Environment> {
        let arm = with_trailing_slash(arm.clone());
        let fail = |what: &str| {
            Error::unexpected(format!("the metadata/endpoints document of {arm} {what}"))
        };
        let fail_from = |what: &str, e: url::ParseError| {
            Error::unexpected_from(
                format!("the metadata/endpoints document of {arm} {what}"),
                e,
            )
        };
        let entry = match document {
            serde_json::Value::Array(entries) => {
                let same_host = entries.iter().find(|entry| {
                    text(entry, &["resourceManager"])
                        .and_then(|rm| Url::parse(&rm).ok())
                        .is_some_and(|rm| rm.origin() == arm.origin())
                });
                same_host
                    .or_else(|| entries.first())
                    .ok_or_else(|| fail("is an empty list"))?
            }
            serde_json::Value::Object(_) => document,
            _ => return Err(fail("is not a JSON object or list")),
        };
        if !entry.is_object() {
            return Err(fail("lists something other than an environment object"));
        }
        let authentication = entry.get("authentication").filter(|a| a.is_object());
        let authentication =
            authentication.ok_or_else(|| fail("has no 'authentication' object"))?;
        let login = text(authentication, &["loginEndpoint"])
            .ok_or_else(|| fail("has no 'authentication.loginEndpoint'"))?;
        let login = Url::parse(&login).map(with_trailing_slash).map_err(|e| {
            fail_from(
                &format!("has an unreadable 'authentication.loginEndpoint' ({e})"),
                e,
            )
        })?;
        let audience = authentication
            .get("audiences")
            .and_then(|a| a.as_array())
            .and_then(|a| a.first())
            .and_then(|a| a.as_str())
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| fail("has no 'authentication.audiences[0]'"))?;
        let resource_manager = match text(entry, &["resourceManager"]) {
            Some(rm) => Url::parse(&rm)
                .map(with_trailing_slash)
                .map_err(|e| fail_from(&format!("has an unreadable 'resourceManager' ({e})"), e))?,
            None => arm.clone(),
        };
        let name = match (document.is_array(), text(entry, &["name"])) {
            (true, Some(name)) => name,
            _ => format!("AzureStack-{}", arm.host_str().unwrap_or("unknown")),
        };
        Ok(Environment {
            name,
            identity_system: IdentitySystem::from_login_endpoint(&login),
            resource_manager,
            login_endpoint: login,
            audience: audience.to_string(),
        })
    }
}

/// What to check when an endpoint does not describe itself as Resource Manager does.
const NOT_ARM_HINT: &str = "is this the Resource Manager endpoint? On Azure Stack Hub it is \
     https://adminmanagement.<region>.<fqdn>/ for operators and https://management.<region>.<fqdn>/ for \
     users (the portal is another host)";

/// A refusal, or a document of another shape, from `{arm}/metadata/endpoints`: the endpoint is most likely
/// not Resource Manager at all, which a bare "HTTP 404: Not Found" does not tell.
fn not_resource_manager(arm: &Url, error: Error) -> Error {
    let tried = format!("{}metadata/endpoints", crate::transport::display_url(arm));
    match error {
        Error::Service(e) if e.status == 404 => Error::NotFound {
            message: format!(
                "GET {tried} answered HTTP 404 ({}): Resource Manager describes its endpoints there; \
                 {NOT_ARM_HINT}",
                e.message
            ),
            service: Some(Box::new(e)),
        },
        Error::UnexpectedResponse { message, source } => Error::UnexpectedResponse {
            message: format!("{message}; {NOT_ARM_HINT}"),
            source,
        },
        other => other,
    }
}

fn text(value: &serde_json::Value, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| {
        value
            .get(*name)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    })
}

/// A base URL that relative paths can be joined onto.
fn with_trailing_slash(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

fn join(base: &Url, relative: &str) -> Result<Url> {
    base.join(relative)
        .map_err(|e| Error::invalid("url", format!("cannot join '{relative}' onto {base}: {e}")))
}

/// A custom environment's endpoint: an absolute http(s) URL without query or fragment, with a trailing
/// slash. Whether plain http may be used is the client's `allow_http`, checked in `Client::new`.
fn endpoint_url(what: &'static str, text: &str) -> Result<Url> {
    let url = Url::parse(text.trim()).map_err(|e| {
        Error::invalid(
            what,
            format!(
                "{} is not an absolute URL ({e})",
                crate::error::quoted(text.trim())
            ),
        )
    })?;
    check_url_with(&url, true).map_err(|e| match e {
        Error::InvalidArgument { message, .. } => Error::InvalidArgument { what, message },
        other => other,
    })?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(
            what,
            "an endpoint URL cannot have a query or a fragment",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(
            what,
            "an endpoint URL cannot carry credentials",
        ));
    }
    Ok(with_trailing_slash(url))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cloud_names() {
        assert_eq!(Cloud::from_name("azurecloud").unwrap(), Cloud::AzureCloud);
        assert_eq!(
            Cloud::from_name(" AZURECHINACLOUD ").unwrap(),
            Cloud::AzureChinaCloud
        );
        assert_eq!(
            "AzureUSGovernment".parse::<Cloud>().unwrap(),
            Cloud::AzureUSGovernment
        );
        let err = Cloud::from_name("AzureGermanCloud").unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::InvalidArgument { what: "cloud", .. }));
        for name in [
            "AzureCloud",
            "AzureChinaCloud",
            "AzureUSGovernment",
            "AzureGermanCloud",
        ] {
            assert!(text.contains(name), "{text}");
        }
        for cloud in Cloud::ALL {
            assert_eq!(Cloud::from_name(&cloud.to_string()).unwrap(), cloud);
        }
    }

    #[test]
    fn cloud_environments() {
        let public = Cloud::AzureCloud.environment();
        assert_eq!(public.name, "AzureCloud");
        assert_eq!(
            public.resource_manager.as_str(),
            "https://management.azure.com/"
        );
        assert_eq!(
            public.login_endpoint.as_str(),
            "https://login.microsoftonline.com/"
        );
        assert_eq!(public.audience, "https://management.core.windows.net/");
        assert_eq!(public.identity_system, IdentitySystem::AzureAd);
        let china = Cloud::AzureChinaCloud.environment();
        assert_eq!(
            china.resource_manager.as_str(),
            "https://management.chinacloudapi.cn/"
        );
        assert_eq!(
            china.login_endpoint.as_str(),
            "https://login.chinacloudapi.cn/"
        );
        assert_eq!(china.audience, "https://management.core.chinacloudapi.cn/");
        let gov = Cloud::AzureUSGovernment.environment();
        assert_eq!(
            gov.resource_manager.as_str(),
            "https://management.usgovcloudapi.net/"
        );
        assert_eq!(
            gov.login_endpoint.as_str(),
            "https://login.microsoftonline.us/"
        );
        assert_eq!(gov.audience, "https://management.core.usgovcloudapi.net/");
    }

    #[test]
    fn custom_environment_validation() {
        let env = Environment::custom(
            "Stamp",
            "https://adminmanagement.local.azurestack.external",
            "https://adfs.local.azurestack.external/adfs",
            "https://adminmanagement.adfs.azurestack.local/5f2b",
        )
        .unwrap();
        assert_eq!(
            env.resource_manager.as_str(),
            "https://adminmanagement.local.azurestack.external/"
        );
        assert_eq!(
            env.login_endpoint.as_str(),
            "https://adfs.local.azurestack.external/adfs/"
        );
        assert_eq!(env.identity_system, IdentitySystem::Adfs);

        let aad = Environment::custom(
            "Stamp",
            "https://management.local.azurestack.external/",
            "https://login.microsoftonline.com/",
            "https://management.contoso.onmicrosoft.com/1",
        )
        .unwrap();
        assert_eq!(aad.identity_system, IdentitySystem::AzureAd);

        // Plain http is accepted in any host's shape here; `Client::new` applies allow_http
        // (client::tests::custom_environments_follow_allow_http).
        let local = Environment::custom(
            "Local",
            "http://127.0.0.1:8443/",
            "http://localhost:9/",
            "a",
        )
        .unwrap();
        assert_eq!(local.login_endpoint.as_str(), "http://localhost:9/");
        let remote = Environment::custom(
            "Stamp",
            "http://arm.contoso.com/",
            "http://10.0.0.1/adfs/",
            "a",
        )
        .unwrap();
        assert_eq!(remote.resource_manager.as_str(), "http://arm.contoso.com/");
        assert_eq!(remote.identity_system, IdentitySystem::Adfs);

        for (rm, login, audience, what) in [
            ("not a url", "https://login/", "a", "resource_manager"),
            ("ftp://arm/", "https://login/", "a", "resource_manager"),
            (
                "https://arm/?x=1",
                "https://login/",
                "a",
                "resource_manager",
            ),
            (
                "https://user:pw@arm/",
                "https://login/",
                "a",
                "resource_manager",
            ),
            ("https://arm/", "https://login/", "  ", "audience"),
        ] {
            let err = Environment::custom("Stamp", rm, login, audience).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidArgument { what: w, .. } if *w == what),
                "{rm}: {err}"
            );
        }
        assert!(matches!(
            Environment::custom(" ", "https://arm/", "https://login/", "a").unwrap_err(),
            Error::InvalidArgument { what: "name", .. }
        ));
    }

    fn arm() -> Url {
        Url::parse("https://adminmanagement.local.azurestack.external").unwrap()
    }

    #[test]
    fn endpoint_types() {
        let env = |rm: &str, audience: &str| {
            Environment::custom("E", rm, "https://login.microsoftonline.com/", audience).unwrap()
        };
        for (rm, audience, expected) in [
            // By host name, whatever the audience.
            (
                "https://adminmanagement.local.azurestack.external/",
                "https://contoso.onmicrosoft.com/4de154de",
                EndpointType::Admin,
            ),
            (
                "https://AdminManagement.east.contoso.com/",
                "x",
                EndpointType::Admin,
            ),
            // By audience, on an address that does not say (the emulator on loopback, an IP).
            (
                "https://127.0.0.1:40527/",
                "https://adminmanagement.azurestack.onmicrosoft.com/5f2b",
                EndpointType::Admin,
            ),
            (
                "https://10.0.0.5/",
                "http://AdminManagement.adfs.azurestack.local/5f2b",
                EndpointType::Admin,
            ),
            (
                "https://management.local.azurestack.external/",
                "https://management.contoso.onmicrosoft.com/1",
                EndpointType::Tenant,
            ),
            (
                "https://127.0.0.1:41333/",
                "https://management.azurestack.onmicrosoft.com/9a1c",
                EndpointType::Tenant,
            ),
            // A host that merely contains the word is not an admin endpoint.
            (
                "https://notadminmanagement.contoso.com/",
                "https://portal.contoso.com/adminmanagement.x",
                EndpointType::Tenant,
            ),
            // Public Azure by its Resource Manager or by its audience (the emulated Azure on loopback).
            (
                "https://management.azure.com/",
                "https://management.core.windows.net/",
                EndpointType::Azure,
            ),
            (
                "https://127.0.0.1:45000/",
                "https://management.core.windows.net",
                EndpointType::Azure,
            ),
            (
                "https://127.0.0.1:45000/",
                "https://management.azure.com/",
                EndpointType::Azure,
            ),
            (
                "https://127.0.0.1:45000/",
                "https://management.core.usgovcloudapi.net/",
                EndpointType::Azure,
            ),
        ] {
            assert_eq!(
                env(rm, audience).endpoint_type(),
                expected,
                "{rm} {audience}"
            );
        }
        for cloud in Cloud::ALL {
            assert_eq!(cloud.environment().endpoint_type(), EndpointType::Azure);
        }
        assert_eq!(
            serde_json::to_value(EndpointType::Admin).unwrap(),
            json!(EndpointType::Admin.name())
        );
    }

    #[test]
    fn metadata_object_shape_from_the_reference() {
        let document = json!({
            "galleryEndpoint": "https://adminportal.local.azurestack.external:30015/",
            "graphEndpoint": "https://graph.windows.net/",
            "portalEndpoint": "https://adminportal.local.azurestack.external/",
            "authentication": {
                "loginEndpoint": "https://login.windows.net/",
                "audiences": ["https://contoso.onmicrosoft.com/4de154de-f8a8-4017-af41-df619da68155"]
            }
        });
        let env = Environment::from_metadata(&arm(), &document).unwrap();
        assert_eq!(
            env.name,
            "AzureStack-adminmanagement.local.azurestack.external"
        );
        assert_eq!(
            env.resource_manager.as_str(),
            "https://adminmanagement.local.azurestack.external/"
        );
        assert_eq!(env.login_endpoint.as_str(), "https://login.windows.net/");
        assert_eq!(
            env.audience,
            "https://contoso.onmicrosoft.com/4de154de-f8a8-4017-af41-df619da68155"
        );
        assert_eq!(env.identity_system, IdentitySystem::AzureAd);
    }

    #[test]
    fn metadata_array_shape() {
        let document = json!([{
            "name": "AzureStack-User-1a2b",
            "portal": "https://portal.local.azurestack.external/",
            "authentication": {
                "loginEndpoint": "https://adfs.local.azurestack.external/adfs",
                "audiences": ["https://management.adfs.azurestack.local/1a2b", "second"],
                "tenant": "adfs",
                "identityProvider": "ADFS"
            },
            "suffixes": { "storage": "local.azurestack.external" }
        }]);
        let env = Environment::from_metadata(&arm(), &document).unwrap();
        assert_eq!(env.name, "AzureStack-User-1a2b");
        // resourceManager left out: the URL asked.
        assert_eq!(
            env.resource_manager.as_str(),
            "https://adminmanagement.local.azurestack.external/"
        );
        assert_eq!(
            env.login_endpoint.as_str(),
            "https://adfs.local.azurestack.external/adfs/"
        );
        assert_eq!(
            env.audience,
            "https://management.adfs.azurestack.local/1a2b"
        );
        assert_eq!(env.identity_system, IdentitySystem::Adfs);
    }

    #[test]
    fn metadata_array_of_every_cloud_picks_the_one_asked() {
        let document = json!([
            { "name": "AzureCloud", "resourceManager": "https://management.azure.com/",
              "authentication": { "loginEndpoint": "https://login.microsoftonline.com/",
                                  "audiences": ["https://management.core.windows.net/"] } },
            { "name": "AzureUSGovernment", "resourceManager": "https://management.usgovcloudapi.net",
              "authentication": { "loginEndpoint": "https://login.microsoftonline.us/",
                                  "audiences": ["https://management.core.usgovcloudapi.net/"] } }
        ]);
        let gov = Url::parse("https://management.usgovcloudapi.net/").unwrap();
        let env = Environment::from_metadata(&gov, &document).unwrap();
        assert_eq!(env.name, "AzureUSGovernment");
        assert_eq!(
            env.resource_manager.as_str(),
            "https://management.usgovcloudapi.net/"
        );
        // No element matches: the first.
        let env = Environment::from_metadata(&arm(), &document).unwrap();
        assert_eq!(env.name, "AzureCloud");
        assert_eq!(
            env.resource_manager.as_str(),
            "https://management.azure.com/"
        );
    }

    #[test]
    fn metadata_missing_fields_are_named() {
        for (document, field) in [
            (
                json!({"authentication": {"audiences": ["a"]}}),
                "authentication.loginEndpoint",
            ),
            (
                json!({"authentication": {"loginEndpoint": "https://login/"}}),
                "authentication.audiences[0]",
            ),
            (
                json!({"authentication": {"loginEndpoint": "https://login/", "audiences": []}}),
                "authentication.audiences[0]",
            ),
            (json!({"galleryEndpoint": "x"}), "'authentication'"),
            (json!([]), "empty list"),
            (json!("text"), "not a JSON object"),
        ] {
            let err = Environment::from_metadata(&arm(), &document).unwrap_err();
            assert!(matches!(err, Error::UnexpectedResponse { .. }), "{err}");
            assert!(err.to_string().contains(field), "{field}: {err}");
        }
    }

    fn discover_with(responses: Vec<String>) -> (Result<Environment>, Vec<String>) {
        use crate::transport::TransportOptions;
        let (base, seen) = crate::transport::testing::serve(responses);
        let mut options = TransportOptions::default();
        options.retry.max_retries = 1;
        options.retry.initial_delay = std::time::Duration::from_millis(1);
        let transport = Transport::new(&options).unwrap();
        let result = Environment::discover(&transport, &base);
        let lines = seen
            .lock()
            .unwrap()
            .iter()
            .map(|(head, _)| head.lines().next().unwrap_or_default().to_string())
            .collect();
        (result, lines)
    }

    const OBJECT: &str = r#"{"authentication":{"loginEndpoint":"https://login.example/","audiences":["https://arm.example/1"]}}"#;

    #[test]
    fn discovery_falls_back_to_the_object_shape() {
        use crate::transport::testing::reply;
        let asked = |lines: &[String]| -> Vec<String> {
            lines
                .iter()
                .map(|l| l.split(' ').nth(1).unwrap_or_default().to_string())
                .collect()
        };
        // Refused: 4xx, then the older api-version.
        let (env, lines) = discover_with(vec![
            reply(
                "400 Bad Request",
                &[],
                r#"{"error":{"code":"InvalidApiVersionParameter","message":"no"}}"#,
            ),
            reply("200 OK", &[], OBJECT),
        ]);
        let env = env.unwrap();
        assert_eq!(
            asked(&lines),
            [
                "/metadata/endpoints?api-version=2019-05-01",
                "/metadata/endpoints?api-version=2015-01-01"
            ]
        );
        assert_eq!(env.audience, "https://arm.example/1");
        assert!(env.name.starts_with("AzureStack-127.0.0.1"), "{}", env.name);

        // Not an array: the older api-version too.
        let (env, lines) = discover_with(vec![
            reply("200 OK", &[], OBJECT),
            reply("200 OK", &[], OBJECT),
        ]);
        assert_eq!(lines.len(), 2);
        assert_eq!(
            env.unwrap().login_endpoint.as_str(),
            "https://login.example/"
        );

        // An array: one request.
        let array = format!("[{OBJECT}]");
        let (env, lines) = discover_with(vec![reply("200 OK", &[], &array)]);
        assert_eq!(lines.len(), 1);
        assert_eq!(env.unwrap().audience, "https://arm.example/1");

        // A server error is not a reason to fall back: it is reported after the retries.
        let busy = reply("500 Internal Server Error", &[], "{}");
        let (env, lines) = discover_with(vec![busy.clone(), busy]);
        assert_eq!(
            env.unwrap_err().service_error().map(|e| e.status),
            Some(500)
        );
        assert_eq!(
            asked(&lines),
            ["/metadata/endpoints?api-version=2019-05-01"; 2]
        );
    }

    #[test]
    fn identity_system_from_login() {
        let system = |u: &str| IdentitySystem::from_login_endpoint(&Url::parse(u).unwrap());
        assert_eq!(system("https://adfs.x/adfs/"), IdentitySystem::Adfs);
        assert_eq!(system("https://adfs.x/ADFS"), IdentitySystem::Adfs);
        assert_eq!(
            system("https://login.microsoftonline.com/"),
            IdentitySystem::AzureAd
        );
        assert_eq!(system("https://adfs.x/"), IdentitySystem::AzureAd);
        assert_eq!(system("https://x/notadfs/"), IdentitySystem::AzureAd);
    }
}
