//! Client and query options as JSON, the form C callers and the PowerShell module pass them in. Checked
//! here, before anything is sent, with errors that name the field.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use url::Url;

use crate::client::{ClientOptions, EnvironmentSpec};
use crate::cloud::{Cloud, Environment};
use crate::credential::{
    AZURE_POWERSHELL_CLIENT_ID, ClientCertificate, Credential, DeviceCodeCallback,
};
use crate::error::{Error, Result, quoted};
use crate::json_args;
use crate::secret::Secret;
use crate::transport::TransportOptions;
use crate::usage::{Granularity, UsageApi, UsageQuery};

/// The options' own fields; every other top-level field is a transport option (`TransportOptions`).
/// Not `#[serde(flatten)]`: a flattened or internally tagged part is buffered by serde, which loses the
/// path of a type error inside it (`max_retries`, `credential.client_secret`).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientOptionsJson {
    /// One of: "cloud", "arm_endpoint" (discovered), or "environment".
    cloud: Option<String>,
    arm_endpoint: Option<String>,
    environment: Option<EnvironmentJson>,
    /// Directory tenant (GUID or domain); "adfs" or absent on AD FS stamps.
    tenant: Option<String>,
    /// An object whose "type" says which of the `CredentialJson` shapes the rest has.
    credential: serde_json::Value,
}

const OWN_FIELDS: [&str; 5] = [
    "cloud",
    "arm_endpoint",
    "environment",
    "tenant",
    "credential",
];

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvironmentJson {
    name: Option<String>,
    resource_manager: String,
    login_endpoint: String,
    audience: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientSecretJson {
    client_id: String,
    client_secret: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CertificateJson {
    client_id: String,
    certificate_path: PathBuf,
    private_key_path: Option<PathBuf>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PfxJson {
    client_id: String,
    pfx_path: PathBuf,
    password: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessTokenJson {
    access_token: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceCodeJson {
    client_id: Option<String>,
}

enum CredentialJson {
    ClientSecret(ClientSecretJson),
    Certificate(CertificateJson),
    Pfx(PfxJson),
    AccessToken(AccessTokenJson),
    DeviceCode(DeviceCodeJson),
}

const CREDENTIAL_TYPES: &str = "client_secret, certificate, pfx, access_token or device_code";

/// The "credential" object: its "type" first, then the fields of that type, each error under
/// `credential.` in the message.
fn credential_json(value: serde_json::Value) -> Result<CredentialJson> {
    let serde_json::Value::Object(mut object) = value else {
        return Err(Error::invalid(
            "options",
            format!("credential: expected an object with a \"type\" field ({CREDENTIAL_TYPES})"),
        ));
    };
    let kind = match object.remove("type") {
        Some(serde_json::Value::String(kind)) => kind,
        Some(_) => {
            return Err(Error::invalid(
                "options",
                format!("credential.type: expected a string: {CREDENTIAL_TYPES}"),
            ));
        }
        None => {
            return Err(Error::invalid(
                "options",
                format!("credential.type: is required: {CREDENTIAL_TYPES}"),
            ));
        }
    };
    let rest = serde_json::Value::Object(object);
    Ok(match kind.as_str() {
        "client_secret" => CredentialJson::ClientSecret(credential_fields(rest)?),
        "certificate" => CredentialJson::Certificate(credential_fields(rest)?),
        "pfx" => CredentialJson::Pfx(credential_fields(rest)?),
        "access_token" => CredentialJson::AccessToken(credential_fields(rest)?),
        "device_code" => CredentialJson::DeviceCode(credential_fields(rest)?),
        other => {
            return Err(Error::invalid(
                "options",
                format!(
                    "credential.type: unknown credential type {}; use {CREDENTIAL_TYPES}",
                    quoted(other)
                ),
            ));
        }
    })
}

fn credential_fields<T: serde::de::DeserializeOwned>(rest: serde_json::Value) -> Result<T> {
    json_args::from_value(rest, "options", "credential")
}

/// Parses client options JSON. Device code sign-in shows its prompt through `prompt` (stderr when None).
pub fn client_options_from_json(
    json: &str,
    prompt: Option<DeviceCodeCallback>,
) -> Result<ClientOptions> {
    let root: serde_json::Map<String, serde_json::Value> =
        json_args::from_value(json_args::parse(json, "options")?, "options", "")?;
    let (own, transport): (serde_json::Map<_, _>, serde_json::Map<_, _>) = root
        .into_iter()
        .partition(|(key, _)| OWN_FIELDS.contains(&key.as_str()));
    let parsed: ClientOptionsJson =
        json_args::from_value(serde_json::Value::Object(own), "options", "")?;
    let transport: TransportOptions =
        json_args::from_value(serde_json::Value::Object(transport), "options", "")?;
    let environment = match (parsed.cloud, parsed.arm_endpoint, parsed.environment) {
        (Some(cloud), None, None) => EnvironmentSpec::Cloud(Cloud::from_name(&cloud)?),
        (None, Some(arm), None) => EnvironmentSpec::Discover {
            arm_endpoint: Url::parse(arm.trim()).map_err(|e| {
                Error::invalid(
                    "arm_endpoint",
                    format!("{} is not a URL: {e}", quoted(&arm)),
                )
            })?,
        },
        (None, None, Some(env)) => EnvironmentSpec::Custom(Environment::custom(
            env.name.as_deref().unwrap_or("Custom"),
            &env.resource_manager,
            &env.login_endpoint,
            &env.audience,
        )?),
        _ => {
            return Err(Error::invalid(
                "options",
                "give exactly one of cloud (e.g. \"AzureCloud\"), arm_endpoint (an Azure Stack Hub Resource Manager URL) or environment",
            ));
        }
    };
    let tenant = || {
        parsed.tenant.clone().filter(|t| !t.trim().is_empty()).ok_or_else(|| {
            Error::invalid("tenant", "this credential needs the directory tenant (GUID or domain; \"adfs\" on AD FS stamps)")
        })
    };
    let credential = match credential_json(parsed.credential)? {
        CredentialJson::ClientSecret(ClientSecretJson {
            client_id,
            client_secret,
        }) => Credential::ClientSecret {
            tenant: tenant()?,
            client_id: required("client_id", client_id)?,
            secret: Secret::new(client_secret),
        },
        CredentialJson::Certificate(CertificateJson {
            client_id,
            certificate_path,
            private_key_path,
        }) => {
            let key = private_key_path.unwrap_or_else(|| certificate_path.clone());
            Credential::Certificate {
                tenant: tenant()?,
                client_id: required("client_id", client_id)?,
                certificate: ClientCertificate::from_pem_files(&certificate_path, &key)?,
            }
        }
        CredentialJson::Pfx(PfxJson {
            client_id,
            pfx_path,
            password,
        }) => Credential::Certificate {
            tenant: tenant()?,
            client_id: required("client_id", client_id)?,
            certificate: ClientCertificate::from_pfx_file(
                &pfx_path,
                password.map(Secret::new).as_ref(),
            )?,
        },
        CredentialJson::AccessToken(AccessTokenJson { access_token }) => {
            Credential::AccessToken(Secret::new(required("access_token", access_token)?))
        }
        CredentialJson::DeviceCode(DeviceCodeJson { client_id }) => Credential::DeviceCode {
            tenant: parsed
                .tenant
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| "organizations".into()),
            client_id: client_id.unwrap_or_else(|| AZURE_POWERSHELL_CLIENT_ID.into()),
            prompt: prompt.unwrap_or_else(|| std::sync::Arc::new(|p| eprintln!("{}", p.message))),
        },
    };
    // Checked here too, not only in Client::new: callers may inspect options before connecting.
    credential.validate()?;
    Ok(ClientOptions {
        environment,
        credential,
        transport,
    })
}

fn required(what: &'static str, value: String) -> Result<String> {
    if value.trim().is_empty() {
        return Err(Error::invalid(what, "must not be empty"));
    }
    Ok(value)
}

/// The usage query's keys are snake_case like every other JSON the library defines (docs/c-abi.md); the
/// camelCase names of the service's query parameters, which this took before, stay accepted as aliases so
/// no caller breaks. Giving both spellings of one key is refused as a duplicate.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageQueryJson {
    /// "provider" or "tenant".
    api: String,
    #[serde(alias = "subscriptionId")]
    subscription_id: String,
    #[serde(alias = "reportedStartTime")]
    reported_start_time: String,
    #[serde(alias = "reportedEndTime")]
    reported_end_time: String,
    #[serde(alias = "aggregationGranularity")]
    aggregation_granularity: Option<String>,
    #[serde(alias = "subscriberId")]
    subscriber_id: Option<String>,
    #[serde(alias = "continuationToken")]
    continuation_token: Option<String>,
}

/// Parses a usage query: `{"api":"provider","subscription_id":"…","reported_start_time":"2026-01-05T00:00:00Z",
/// "reported_end_time":"…","aggregation_granularity":"Hourly","subscriber_id":"…","continuation_token":"…"}`
/// (or the camelCase names of the service's parameters: `subscriptionId`, `reportedStartTime`, ...).
/// Times may carry any offset (converted to UTC) or none (taken as UTC), or be a bare date.
pub fn usage_query_from_json(json: &str) -> Result<UsageQuery> {
    let parsed: UsageQueryJson = json_args::from_json(json, "query")?;
    let api = parse_api("api", &parsed.api)?;
    let granularity = match parsed.aggregation_granularity.as_deref() {
        None | Some("") => Granularity::Daily,
        Some(text) => parse_granularity("aggregationGranularity", text)?,
    };
    let non_empty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    Ok(UsageQuery {
        api,
        subscription_id: parsed.subscription_id,
        reported_start: parse_time("reportedStartTime", &parsed.reported_start_time)?,
        reported_end: parse_time("reportedEndTime", &parsed.reported_end_time)?,
        granularity,
        subscriber_id: non_empty(parsed.subscriber_id),
        continuation_token: non_empty(parsed.continuation_token),
    })
}

/// `provider` or `tenant`, any case.
pub(crate) fn parse_api(what: &'static str, text: &str) -> Result<UsageApi> {
    match text.to_ascii_lowercase().as_str() {
        "provider" => Ok(UsageApi::Provider),
        "tenant" => Ok(UsageApi::Tenant),
        other => Err(Error::invalid(
            what,
            format!("{}: use \"provider\" or \"tenant\"", quoted(other)),
        )),
    }
}

/// `Daily` or `Hourly`, any case.
pub(crate) fn parse_granularity(what: &'static str, text: &str) -> Result<Granularity> {
    match text.to_ascii_lowercase().as_str() {
        "daily" => Ok(Granularity::Daily),
        "hourly" => Ok(Granularity::Hourly),
        other => Err(Error::invalid(
            what,
            format!("{}: use Daily or Hourly", quoted(other)),
        )),
    }
}

/// ISO 8601 with `Z` or an offset, without an offset (UTC), or a bare date (UTC midnight).
pub fn parse_time(what: &'static str, text: &str) -> Result<DateTime<Utc>> {
    let text = text.trim();
    DateTime::<FixedOffset>::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc())
        })
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        })
        .map_err(|_| {
            Error::invalid(
                what,
                format!(
                    "{} is not an ISO 8601 time; use e.g. 2026-01-05T00:00:00Z",
                    quoted(text)
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_json_with_offsets_becomes_utc() {
        let q = usage_query_from_json(
            r#"{"api":"Provider","subscriptionId":"s","reportedStartTime":"2026-01-05T02:00:00+02:00","reportedEndTime":"2026-01-06","aggregationGranularity":"hourly","subscriberId":"","continuationToken":null}"#,
        )
        .unwrap();
        assert_eq!(
            q.reported_start,
            "2026-01-05T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            q.reported_end,
            "2026-01-06T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            (q.api, q.granularity, q.subscriber_id),
            (UsageApi::Provider, Granularity::Hourly, None)
        );
    }

    #[test]
    fn query_keys_are_snake_case_and_the_camel_case_names_stay_accepted() {
        let snake = usage_query_from_json(
            r#"{"api":"tenant","subscription_id":"s","reported_start_time":"2026-01-05T00:00:00Z","reported_end_time":"2026-01-06T00:00:00Z","aggregation_granularity":"Hourly","subscriber_id":"x","continuation_token":"t"}"#,
        )
        .unwrap();
        let camel = usage_query_from_json(
            r#"{"api":"tenant","subscriptionId":"s","reportedStartTime":"2026-01-05T00:00:00Z","reportedEndTime":"2026-01-06T00:00:00Z","aggregationGranularity":"Hourly","subscriberId":"x","continuationToken":"t"}"#,
        )
        .unwrap();
        assert_eq!(snake, camel);
        assert_eq!(snake.granularity, Granularity::Hourly);
        assert_eq!(snake.subscriber_id.as_deref(), Some("x"));
        assert_eq!(snake.continuation_token.as_deref(), Some("t"));
        // Both spellings of one key: refused, not one silently winning.
        let e = usage_query_from_json(
            r#"{"api":"tenant","subscription_id":"s","subscriptionId":"s","reported_start_time":"2026-01-05","reported_end_time":"2026-01-06"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("more than once"), "{e}");
        // A missing key is named by its canonical spelling.
        let e = usage_query_from_json(
            r#"{"api":"tenant","subscription_id":"s","reported_end_time":"2026-01-06"}"#,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("reported_start_time: is required"),
            "{e}"
        );
    }

    #[test]
    fn bad_query_json_names_the_field() {
        let e = usage_query_from_json(
            r#"{"api":"both","subscriptionId":"s","reportedStartTime":"x","reportedEndTime":"y"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("api:"), "{e}");
        let e = usage_query_from_json(r#"{"api":"tenant","subscriptionId":"s","reportedStartTime":"20/08/2015","reportedEndTime":"y"}"#).unwrap_err();
        assert!(e.to_string().starts_with("reportedStartTime:"), "{e}");
        let e = usage_query_from_json(r#"{"api":"tenant","subscriptionId":"s","reportedStartTime":"2026-01-01","reportedEndTime":"2026-01-02","extra":1}"#).unwrap_err();
        assert!(e.to_string().contains("extra"), "{e}");
    }

    #[test]
    fn client_options_need_exactly_one_environment_and_a_tenant() {
        let e = client_options_from_json(
            r#"{"credential":{"type":"access_token","access_token":"t"}}"#,
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("exactly one of cloud"), "{e}");
        let e = client_options_from_json(
            r#"{"arm_endpoint":"https://127.0.0.1:1/","credential":{"type":"client_secret","client_id":"c","client_secret":"s3cr3t-value"}}"#,
            None,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("tenant:"), "{e}");
        assert!(!e.to_string().contains("s3cr3t"));
        let e = client_options_from_json(
            r#"{"arm_endpoint":"https://x/","credential":{"type":"kerberos"}}"#,
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("kerberos"), "{e}");
    }
}
