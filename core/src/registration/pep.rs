//! The emulated privileged endpoint: `POST {url}commands/{CommandName}` with HTTP Basic credentials and a
//! JSON object of PowerShell parameters, answered `200 {"output": ...}`, or `{"error": {"type", "message"}}`
//! with what the real PEP would throw (docs/registration.md, "Emulator: the stamp side"). Real stamps are
//! reached over PowerShell remoting by the module; this client serves the emulator and the C ABI.

use std::path::PathBuf;

use serde_json::{Map, Value};
use url::Url;

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::transport::{Auth, Method, Transport, TransportOptions};

/// Where the endpoint is and who signs in (`DOMAIN\CloudAdmin`).
#[derive(Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PepOptions {
    /// The endpoint's URL (the emulator's PEP listener).
    #[serde(deserialize_with = "url_from_text")]
    pub url: Url,
    /// Who signs in, as `DOMAIN\CloudAdmin`.
    pub username: String,
    /// The CloudAdmin password.
    pub password: Secret,
    /// PEM file of extra CA certificates (the stamp's internal CA).
    #[serde(default)]
    pub ca_bundle: Option<PathBuf>,
}

fn url_from_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    Url::parse(text.trim())
        .map_err(|e| serde::de::Error::custom(format!("'{text}' is not an absolute URL ({e})")))
}

impl std::fmt::Debug for PepOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PepOptions")
            .field("url", &self.url.as_str())
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("ca_bundle", &self.ca_bundle)
            .finish()
    }
}

/// What `Get-AzureStackStampInformation` returns, the fields registration reads (PowerShell names).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StampInformation {
    /// The stamp's build number, as `1.2408.0.19`; decides which token parameters apply.
    #[serde(rename = "StampVersion")]
    pub stamp_version: String,
    /// The stamp's cloud id: what a registration names the stamp by.
    #[serde(rename = "CloudID")]
    pub cloud_id: String,
    /// The deployment's id.
    #[serde(rename = "DeploymentID", default)]
    pub deployment_id: Option<String>,
    /// The directory the stamp was deployed against (Azure AD stamps).
    #[serde(rename = "AADTenantID", default)]
    pub aad_tenant_id: Option<String>,
    /// The admin endpoints (`AdminResourceManager`, `AdminPortal`, ...), as the PEP writes them.
    #[serde(rename = "AdminExternalEndpoints", default)]
    pub admin_external_endpoints: Option<Value>,
    /// The tenant endpoints (`TenantResourceManager`, `TenantPortal`, ...), as the PEP writes them.
    #[serde(rename = "TenantExternalEndpoints", default)]
    pub tenant_external_endpoints: Option<Value>,
    /// How many scale-unit nodes the stamp has (Capacity billing counts their cores).
    #[serde(rename = "NumberOfNodes", default)]
    pub number_of_nodes: Option<u32>,
    /// The domain after the region in the stamp's endpoints (`azurestack.external`).
    #[serde(rename = "ExternalDomainSuffix", default)]
    pub external_domain_suffix: Option<String>,
    /// The stamp's region name (`local` on an ASDK).
    #[serde(rename = "RegionName", default)]
    pub region_name: Option<String>,
}

impl StampInformation {
    /// `AdminExternalEndpoints.AdminResourceManager`: the stamp's admin ARM.
    pub fn admin_resource_manager(&self) -> Option<&str> {
        self.admin_external_endpoints
            .as_ref()?
            .get("AdminResourceManager")?
            .as_str()
    }
}

/// What `New-AzureBridgeServicePrincipal` returns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BridgeServicePrincipal {
    /// The object id of the bridge service principal: what the registration's `objectId` names.
    #[serde(rename = "ObjectId")]
    pub object_id: String,
    /// The bridge application's client id.
    #[serde(rename = "ApplicationId", default)]
    pub application_id: Option<String>,
}

/// A connection to the emulated privileged endpoint.
pub struct PepClient {
    url: Url,
    username: String,
    password: Secret,
    transport: Transport,
}

impl std::fmt::Debug for PepClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PepClient")
            .field("url", &self.url.as_str())
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The bridge service principal and activation commands run up to half an hour on a real stamp (the
/// original passes -TimeoutInSeconds 1800).
pub const LONG_COMMAND_TIMEOUT_SECONDS: u64 = 1800;

/// The commands that get `TimeoutInSeconds` = `LONG_COMMAND_TIMEOUT_SECONDS` unless the caller gives one.
const LONG_COMMANDS: [&str; 2] = [
    "New-AzureBridgeServicePrincipal",
    "New-AzureStackActivation",
];

/// The parameters a privileged endpoint command is sent with unless the caller gives them: for
/// `New-AzureBridgeServicePrincipal` and `New-AzureStackActivation`, `TimeoutInSeconds` of half an hour;
/// nothing for the others. One list for every way of reaching the PEP (this client, and the module's
/// PowerShell remoting, which asks through the C ABI). `InvalidArgument` for a name that is not a command.
pub fn command_defaults(command: &str) -> Result<Map<String, Value>> {
    let command = command_name(command)?;
    let mut defaults = Map::new();
    if LONG_COMMANDS
        .iter()
        .any(|long| long.eq_ignore_ascii_case(command))
    {
        defaults.insert(
            "TimeoutInSeconds".into(),
            LONG_COMMAND_TIMEOUT_SECONDS.into(),
        );
    }
    Ok(defaults)
}

fn command_name(command: &str) -> Result<&str> {
    let command = command.trim();
    let valid = command.split_once('-').is_some_and(|(verb, noun)| {
        !verb.is_empty()
            && !noun.is_empty()
            && verb.chars().all(|c| c.is_ascii_alphabetic())
            && noun.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if !valid {
        return Err(Error::invalid(
            "command",
            format!(
                "'{command}' is not a PowerShell command name (Verb-Noun, like Get-AzureStackStampInformation)"
            ),
        ));
    }
    Ok(command)
}

impl PepClient {
    /// `transport` supplies timeouts and retries; the options' CA bundle, when given, replaces its bundle.
    pub fn new(options: PepOptions, transport: &TransportOptions) -> Result<PepClient> {
        let mut transport = transport.clone();
        if options.ca_bundle.is_some() {
            transport.ca_bundle = options.ca_bundle.clone();
        }
        // Commands run long on a real stamp; a read timeout shorter than the PEP's own would abandon them.
        transport.read_timeout = transport
            .read_timeout
            .max(std::time::Duration::from_secs(LONG_COMMAND_TIMEOUT_SECONDS));
        let transport = Transport::new(&transport)?;
        let mut url = options.url;
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        transport.check_url(&url)?;
        if options.username.trim().is_empty() {
            return Err(Error::invalid(
                "username",
                "must not be empty; give the CloudAdmin account (like AZURESTACK\\CloudAdmin)",
            ));
        }
        Ok(PepClient {
            url,
            username: options.username,
            password: options.password,
            transport,
        })
    }

    /// Runs one command; its `output`. PEP failures are `Error::Pep` with the exception type as the code,
    /// a refused credential is `Error::Authentication`.
    pub fn invoke(&self, command: &str, parameters: &Map<String, Value>) -> Result<Value> {
        let command = command_name(command)?;
        let url = self
            .url
            .join(&format!("commands/{command}"))
            .map_err(|e| Error::invalid("url", format!("cannot address the command ({e})")))?;
        let auth = Auth::Basic {
            username: &self.username,
            password: self.password.expose(),
        };
        let body = Value::Object(parameters.clone());
        // Parameter names only: values include refresh tokens and activation keys.
        log::info!(
            "privileged endpoint {}: running {command}",
            self.url.host_str().unwrap_or_default()
        );
        if !parameters.is_empty() {
            log::trace!(
                "{command} parameters: {}",
                parameters.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        }
        let started = std::time::Instant::now();
        let response = match self
            .transport
            .send_json(Method::Post, &url, auth, Some(&body))
        {
            Ok(response) => response,
            Err(Error::Service(mut e)) if e.status == 401 => {
                e.message = format!(
                    "the privileged endpoint refused the credential of '{}' ({})",
                    self.username, e.message
                );
                return Err(Error::Authentication(e));
            }
            Err(Error::Service(e)) if e.status == 400 || e.status == 404 => {
                return Err(Error::Pep(e));
            }
            Err(e) => return Err(e),
        };
        #[derive(serde::Deserialize)]
        struct Answer {
            #[serde(default)]
            output: Value,
        }
        let answer: Answer = response.json()?;
        log::debug!("{command} finished in {} ms", started.elapsed().as_millis());
        Ok(answer.output)
    }

    fn invoke_as<T: serde::de::DeserializeOwned>(
        &self,
        command: &str,
        parameters: &Map<String, Value>,
    ) -> Result<T> {
        let output = self.invoke(command, parameters)?;
        serde_json::from_value(output).map_err(|e| {
            Error::unexpected_from(format!("{command} returned an unexpected object ({e})"), e)
        })
    }

    /// `Get-AzureStackStampInformation`: the stamp's version, cloud id and endpoints.
    pub fn stamp_information(&self) -> Result<StampInformation> {
        self.invoke_as("Get-AzureStackStampInformation", &Map::new())
    }

    /// Hands the Azure refresh token to the stamp, which creates (or reuses) its Azure bridge app and
    /// service principal in `tenant_id`.
    pub fn new_bridge_service_principal(
        &self,
        refresh_token: &Secret,
        azure_environment: &str,
        tenant_id: &str,
    ) -> Result<BridgeServicePrincipal> {
        let command = "New-AzureBridgeServicePrincipal";
        let mut parameters = command_defaults(command)?;
        parameters.insert("RefreshToken".into(), refresh_token.expose().into());
        parameters.insert("AzureEnvironment".into(), azure_environment.into());
        parameters.insert("TenantId".into(), tenant_id.into());
        self.invoke_as(command, &parameters)
    }

    /// `New-RegistrationToken` with parameters from `version::token_parameters`.
    pub fn new_registration_token(&self, parameters: &Map<String, Value>) -> Result<Secret> {
        match self.invoke("New-RegistrationToken", parameters)? {
            Value::String(token) if !token.trim().is_empty() => Ok(Secret::new(token.trim())),
            _ => Err(Error::unexpected("New-RegistrationToken returned no token")),
        }
    }

    /// `New-AzureStackActivation`: activates the stamp with an activation key; its output as returned.
    pub fn new_activation(&self, activation_key: &Secret) -> Result<Value> {
        let command = "New-AzureStackActivation";
        let mut parameters = command_defaults(command)?;
        parameters.insert("ActivationKey".into(), activation_key.expose().into());
        self.invoke(command, &parameters)
    }

    /// `Remove-AzureStackActivation`: deactivates the stamp (before unregistering it).
    pub fn remove_activation(&self) -> Result<Value> {
        self.invoke("Remove-AzureStackActivation", &Map::new())
    }

    /// `Set-RegistrationKeyPair`: renews the stamp's key pair the activation is bound to.
    pub fn set_registration_key_pair(&self) -> Result<Value> {
        self.invoke("Set-RegistrationKeyPair", &Map::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::testing::{reply, serve};

    fn client(url: &Url) -> PepClient {
        let options = PepOptions {
            url: url.clone(),
            username: "AZURESTACK\\CloudAdmin".into(),
            password: Secret::new("pep-password-1"),
            ca_bundle: None,
        };
        let transport = TransportOptions {
            retry: crate::retry::RetryPolicy {
                max_retries: 0,
                ..Default::default()
            },
            ..TransportOptions::default()
        };
        PepClient::new(options, &transport).unwrap()
    }

    #[test]
    fn sends_basic_credentials_and_json_parameters() {
        let (url, seen) = serve(vec![reply(
            "200 OK",
            &["content-type: application/json"],
            r#"{"output":{"StampVersion":"1.2408.0.19","CloudID":"c-1","NumberOfNodes":4,
                "AdminExternalEndpoints":{"AdminResourceManager":"https://adminmanagement.local/"}}}"#,
        )]);
        let info = client(&url).stamp_information().unwrap();
        assert_eq!(info.stamp_version, "1.2408.0.19");
        assert_eq!(info.number_of_nodes, Some(4));
        assert_eq!(
            info.admin_resource_manager(),
            Some("https://adminmanagement.local/")
        );
        let seen = seen.lock().unwrap();
        let (head, body) = &seen[0];
        assert!(
            head.starts_with("POST /commands/Get-AzureStackStampInformation HTTP/1.1"),
            "{head}"
        );
        // base64("AZURESTACK\CloudAdmin:pep-password-1")
        assert!(
            head.contains(
                "authorization: Basic QVpVUkVTVEFDS1xDbG91ZEFkbWluOnBlcC1wYXNzd29yZC0x\r\n"
            ),
            "{head}"
        );
        assert!(head.contains("content-type: application/json"), "{head}");
        assert_eq!(body, "{}");
    }

    #[test]
    fn pep_errors_carry_the_exception_type() {
        let (url, _) = serve(vec![
            reply(
                "400 Bad Request",
                &[],
                r#"{"error":{"type":"ParameterBindingException","message":"A parameter cannot be found that matches parameter name 'MsAssetTag'."}}"#,
            ),
            reply("401 Unauthorized", &[], ""),
            reply(
                "404 Not Found",
                &[],
                r#"{"error":{"type":"CommandNotFoundException","message":"nope"}}"#,
            ),
        ]);
        let pep = client(&url);
        let err = pep.new_registration_token(&Map::new()).unwrap_err();
        let Error::Pep(e) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(e.code.as_deref(), Some("ParameterBindingException"));
        assert!(err.to_string().contains("MsAssetTag"), "{err}");
        let err = pep.remove_activation().unwrap_err();
        assert!(matches!(err, Error::Authentication(_)), "{err:?}");
        assert!(!format!("{err} {err:?}").contains("pep-password-1"));
        let err = pep.invoke("Get-Secrets", &Map::new()).unwrap_err();
        assert_eq!(
            err.service_error().unwrap().code.as_deref(),
            Some("CommandNotFoundException")
        );
        assert!(!format!("{pep:?}").contains("pep-password-1"));
    }

    #[test]
    fn the_long_commands_get_half_an_hour_unless_given() {
        for command in [
            "New-AzureBridgeServicePrincipal",
            "new-azurestackactivation",
        ] {
            let defaults = command_defaults(command).unwrap();
            assert_eq!(
                Value::Object(defaults),
                serde_json::json!({"TimeoutInSeconds": 1800}),
                "{command}"
            );
        }
        for command in [
            "Get-AzureStackStampInformation",
            "New-RegistrationToken",
            "Remove-AzureStackActivation",
            "Set-RegistrationKeyPair",
        ] {
            assert!(command_defaults(command).unwrap().is_empty(), "{command}");
        }
        assert!(matches!(
            command_defaults("../x"),
            Err(Error::InvalidArgument { .. })
        ));

        // The typed calls send them.
        let (url, seen) = serve(vec![
            reply(
                "200 OK",
                &["content-type: application/json"],
                r#"{"output":{"ObjectId":"o"}}"#,
            ),
            reply(
                "200 OK",
                &["content-type: application/json"],
                r#"{"output":null}"#,
            ),
        ]);
        let pep = client(&url);
        pep.new_bridge_service_principal(&Secret::new("r"), "AzureCloud", "t")
            .unwrap();
        pep.new_activation(&Secret::new("k")).unwrap();
        let seen = seen.lock().unwrap();
        for (_, body) in seen.iter() {
            let body: Value = serde_json::from_str(body).unwrap();
            assert_eq!(body["TimeoutInSeconds"], 1800, "{body}");
        }
    }

    #[test]
    fn command_names_are_checked_before_sending() {
        for bad in [
            "",
            "Get",
            "Get-",
            "../x-y",
            "Get-Stamp?x=1",
            "Get-Stamp/../x",
        ] {
            assert!(command_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            command_name(" New-AzureStackActivation ").unwrap(),
            "New-AzureStackActivation"
        );
    }
}
