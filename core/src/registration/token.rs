//! Reading the registration token and the activation key for display and matching. Neither is verified:
//! the token is minted by the privileged endpoint and checked by Azure, the key is signed by Azure and
//! checked by the stamp (reference §4). Errors never quote the input.

use base64::Engine as _;
use base64::alphabet::{STANDARD, URL_SAFE};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// What a registration token says (base64 of UTF-8 JSON). Field names are the token's, matched in any case
/// as PowerShell's `ConvertFrom-Json` does.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RegistrationTokenInfo {
    /// The stamp's cloud id.
    pub cloud_id: String,
    /// What the token shares with an activation key.
    #[serde(flatten)]
    pub common: CommonFields,
    /// The Enterprise Agreement number (Capacity).
    pub agreement_number: Option<String>,
    /// The hardware's asset tag (Custom, Ruggedized).
    pub ms_asset_tag: Option<String>,
    /// The whole decoded JSON (hardware fingerprint included).
    pub raw: Value,
}

/// What an activation key (compact JWS) says, signature unchecked.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ActivationKeyInfo {
    /// The Azure resource id of the registration, built from the key's subscription, group and name.
    pub registration_id: Option<String>,
    /// The subscription the registration is in.
    pub subscription_id: Option<String>,
    /// The registration's resource group.
    pub resource_group: Option<String>,
    /// The registration resource's name.
    pub registration_name: Option<String>,
    /// The stamp's cloud id.
    pub cloud_id: Option<String>,
    /// What the key copies from the registration token.
    #[serde(flatten)]
    pub common: CommonFields,
    /// As written in the key (`9999-12-30T23:59:59.9999999Z`); see `expires_at`.
    pub expires: Option<String>,
    /// The JWS header (`kid`, `alg`, `typ`).
    pub header: Value,
    /// The whole payload.
    pub raw: Value,
}

/// What the token and the key both carry (the key copies them from the token).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CommonFields {
    /// The bridge service principal's object id.
    pub object_id: Option<String>,
    /// The billing model, as written (`PayAsYouUse`, `Capacity`, ...).
    pub billing_model: Option<String>,
    /// Whether the stamp reports usage.
    pub usage_reporting_enabled: Option<bool>,
    /// Whether Marketplace downloads are allowed.
    pub marketplace_syndication_enabled: Option<bool>,
    /// Who issued it (the stamp's deployment for a token, Azure for a key).
    pub issuer: Option<String>,
    /// The format version.
    pub version: Option<String>,
}

impl CommonFields {
    fn read(object: &Map<String, Value>) -> CommonFields {
        CommonFields {
            object_id: string(object, "objectId"),
            billing_model: string(object, "billingModel"),
            usage_reporting_enabled: flag(object, "usageReportingEnabled"),
            marketplace_syndication_enabled: flag(object, "marketplaceSyndicationEnabled"),
            issuer: string(object, "issuer"),
            version: string(object, "version"),
        }
    }
}

impl ActivationKeyInfo {
    /// `expires` as a time, when it is one.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        let text = self.expires.as_deref()?;
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// Either alphabet, padded or not; trailing bits tolerated (some encoders leave them set).
fn engine(url_safe: bool) -> GeneralPurpose {
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    GeneralPurpose::new(if url_safe { &URL_SAFE } else { &STANDARD }, config)
}

/// The text as a file or a clipboard hands it over: a UTF-8 byte order mark (Windows PowerShell's
/// `Out-File -Encoding utf8`) and line breaks or spaces anywhere are not part of the value.
fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| *c != '\u{feff}' && !c.is_whitespace())
        .collect()
}

/// Standard or URL-safe base64 (told apart by their two differing symbols), with or without padding.
fn decode_base64(text: &str, what: &'static str) -> Result<Vec<u8>> {
    let url_safe = text.contains(['-', '_']);
    engine(url_safe).decode(text).map_err(|e| {
        Error::invalid(
            what,
            format!("is not base64 ({e}); give the value exactly as it was produced"),
        )
    })
}

/// Decoded bytes as a JSON object (a BOM inside is tolerated too).
fn json_object(bytes: &[u8], what: &'static str, part: &str) -> Result<Map<String, Value>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::invalid(
            what,
            format!(
                "{part} does not decode to UTF-8 text (invalid byte at {}); the value is damaged or is not {}",
                e.valid_up_to(),
                what.replace('_', " ")
            ),
        )
    })?;
    let text = text.trim_start_matches('\u{feff}');
    match serde_json::from_str(text) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Error::invalid(
            what,
            format!("{part} is JSON but not an object"),
        )),
        Err(e) => Err(Error::invalid(what, format!("{part} is not JSON ({e})"))),
    }
}

/// A field by name in any case.
fn field<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    })
}

fn string(object: &Map<String, Value>, name: &str) -> Option<String> {
    match field(object, name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A flag as a boolean, or as "true"/"false" text (older tokens serialise PowerShell switches as text).
fn flag(object: &Map<String, Value>, name: &str) -> Option<bool> {
    match field(object, name)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Decodes a registration token: base64 (standard or URL-safe, padding optional) of UTF-8 JSON carrying at
/// least `cloudId`.
pub fn decode_registration_token(token: &str) -> Result<RegistrationTokenInfo> {
    const WHAT: &str = "registration_token";
    let text = compact(token);
    if text.is_empty() {
        return Err(Error::invalid(
            WHAT,
            "is empty; give the token New-RegistrationToken (Get-AzsRegistrationToken) produced",
        ));
    }
    let object = json_object(&decode_base64(&text, WHAT)?, WHAT, "the token")?;
    let cloud_id = string(&object, "cloudId").ok_or_else(|| {
        Error::invalid(
            WHAT,
            "decodes to JSON without a cloudId, so it is not a registration token",
        )
    })?;
    Ok(RegistrationTokenInfo {
        cloud_id,
        common: CommonFields::read(&object),
        agreement_number: string(&object, "agreementNumber"),
        ms_asset_tag: string(&object, "msAssetTag"),
        raw: Value::Object(object),
    })
}

/// Decodes an activation key: a compact JWS (`header.payload.signature`, base64url) whose payload names the
/// registration. The signature is not checked.
pub fn decode_activation_key(key: &str) -> Result<ActivationKeyInfo> {
    const WHAT: &str = "activation_key";
    let text = compact(key);
    let parts: Vec<&str> = text.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Err(Error::invalid(
            WHAT,
            format!(
                "is not a compact JWS (header.payload.signature): it has {} part{}; give the key \
                 Get-AzsActivationKey produced",
                parts.len(),
                if parts.len() == 1 { "" } else { "s" }
            ),
        ));
    };
    if header.is_empty() || payload.is_empty() || signature.is_empty() {
        return Err(Error::invalid(
            WHAT,
            "has an empty header, payload or signature; the key was cut short",
        ));
    }
    let header = json_object(&decode_base64(header, WHAT)?, WHAT, "the key's header")?;
    let payload = json_object(&decode_base64(payload, WHAT)?, WHAT, "the key's payload")?;
    decode_base64(signature, WHAT)?;
    let subscription_id = string(&payload, "subscriptionId");
    let resource_group = string(&payload, "resourceGroupName");
    let registration_name = string(&payload, "registrationName");
    let registration_id = match (&subscription_id, &resource_group, &registration_name) {
        (Some(s), Some(g), Some(n)) => Some(format!(
            "/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.AzureStack/registrations/{n}"
        )),
        _ => None,
    };
    Ok(ActivationKeyInfo {
        registration_id,
        subscription_id,
        resource_group,
        registration_name,
        cloud_id: string(&payload, "cloudId"),
        common: CommonFields::read(&payload),
        expires: string(&payload, "expires"),
        header: Value::Object(header),
        raw: Value::Object(payload),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use serde_json::json;

    const SPECS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/specs/azurestack/resource-manager/Microsoft.AzureStack"
    );

    fn example(path: &str) -> Value {
        let text = std::fs::read_to_string(format!("{SPECS}/{path}")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// The token as the reference decodes it from the specification example (field names reliable).
    fn token_json() -> Value {
        json!({
            "billingModel": "Development",
            "objectId": "5b3b06a8-9c6c-4888-9eb3-e8cdace74795",
            "cloudId": "69464895-3a1a-450a-9824-4b7608d9203f",
            "marketplaceSyndicationEnabled": true,
            "usageReportingEnabled": false,
            "agreementNumber": "EA-1",
            "msAssetTag": "TAG-1",
            "hardwareInfo": [{"numCores": 2, "name": "HC1u15a0212"}],
            "issuer": "someone",
            "version": "1.0"
        })
    }

    fn invalid_message(result: Result<impl std::fmt::Debug>, what: &str) -> String {
        match result {
            Err(Error::InvalidArgument { what: w, message }) if w == what => message,
            other => panic!("expected InvalidArgument({what}), got {other:?}"),
        }
    }

    #[test]
    fn decodes_a_token_in_every_form_it_may_arrive_in() {
        let mut bytes = serde_json::to_vec(&token_json()).unwrap();
        // Trailing whitespace keeps the JSON valid and makes the base64 need padding.
        while bytes.len() % 3 == 0 {
            bytes.push(b' ');
        }
        let standard = STANDARD.encode(&bytes);
        let unpadded = standard.trim_end_matches('=').to_string();
        assert_ne!(standard, unpadded, "the fixture exercises padding");
        let url_safe = base64::engine::general_purpose::URL_SAFE.encode(&bytes);
        let mut with_bom = vec![0xef, 0xbb, 0xbf];
        with_bom.extend_from_slice(&bytes);
        let forms = [
            standard.clone(),
            unpadded,
            url_safe.clone(),
            url_safe.trim_end_matches('=').to_string(),
            format!("\u{feff}{standard}\r\n"),
            format!("  {}\n{}  ", &standard[..40], &standard[40..]),
            STANDARD.encode(&with_bom),
        ];
        for form in forms {
            let info = decode_registration_token(&form).unwrap_or_else(|e| panic!("{form}: {e}"));
            assert_eq!(info.cloud_id, "69464895-3a1a-450a-9824-4b7608d9203f");
            assert_eq!(
                info.common.object_id.as_deref(),
                Some("5b3b06a8-9c6c-4888-9eb3-e8cdace74795")
            );
            assert_eq!(info.common.billing_model.as_deref(), Some("Development"));
            assert_eq!(info.common.marketplace_syndication_enabled, Some(true));
            assert_eq!(info.common.usage_reporting_enabled, Some(false));
            assert_eq!(info.agreement_number.as_deref(), Some("EA-1"));
            assert_eq!(info.ms_asset_tag.as_deref(), Some("TAG-1"));
            assert_eq!(info.common.issuer.as_deref(), Some("someone"));
            assert_eq!(info.common.version.as_deref(), Some("1.0"));
            assert_eq!(info.raw["hardwareInfo"][0]["numCores"], 2);
        }
    }

    #[test]
    fn token_field_names_in_any_case() {
        let text = STANDARD.encode(
            br#"{"CloudId":"c-1","OBJECTID":"o-1","UsageReportingEnabled":"True","version":4.0}"#,
        );
        let info = decode_registration_token(&text).unwrap();
        assert_eq!(info.cloud_id, "c-1");
        assert_eq!(info.common.object_id.as_deref(), Some("o-1"));
        assert_eq!(info.common.usage_reporting_enabled, Some(true));
        assert_eq!(info.common.version.as_deref(), Some("4.0"));
    }

    #[test]
    fn malformed_tokens_say_what_is_wrong_without_quoting_the_token() {
        let cases: [(String, &str); 7] = [
            (String::new(), "is empty"),
            ("  \u{feff}\n".into(), "is empty"),
            ("not*base64!".into(), "is not base64"),
            (STANDARD.encode([0xff, 0xfe, 0x00, 0x41]), "UTF-8"),
            (STANDARD.encode("hello"), "is not JSON"),
            (STANDARD.encode("[1,2]"), "not an object"),
            (STANDARD.encode(r#"{"objectId":"x"}"#), "without a cloudId"),
        ];
        for (input, expected) in cases {
            let message = invalid_message(decode_registration_token(&input), "registration_token");
            assert!(message.contains(expected), "{input:?}: {message}");
            if input.len() > 4 {
                assert!(
                    !message.contains(input.trim()),
                    "{message} quotes the input"
                );
            }
        }
    }

    /// The specification examples are case-scrambled (the reference case-corrected them by hand to read
    /// the field names): their base64 layer is intact, but the bytes under it are not UTF-8 text. The
    /// decoder must say so, not return garbage.
    #[test]
    fn specification_example_tokens_are_refused_as_not_text() {
        for path in [
            "AzureStack/stable/2017-06-01/examples/Registration/Put.json",
            "AzureStack/stable/2017-06-01/examples/Registration/Patch.json",
            "AzureStack/stable/2022-06-01/examples/Registration/Patch.json",
            "stable/2022-06-01/examples/Registration/Put.json",
        ] {
            let example = example(path);
            let token = example["parameters"]["token"]["properties"]["registrationToken"]
                .as_str()
                .unwrap();
            assert!(
                decode_base64(&compact(token), "registration_token").is_ok(),
                "{path}: the base64 layer decodes"
            );
            let message = invalid_message(decode_registration_token(token), "registration_token");
            assert!(
                message.contains("does not decode to UTF-8 text"),
                "{path}: {message}"
            );
        }
    }

    fn key(header: &Value, payload: &Value) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap()),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(payload).unwrap()),
            URL_SAFE_NO_PAD.encode([0xfb, 0xff, 0x01, 0x02])
        )
    }

    /// The payload as the reference decodes it from the specification example.
    fn key_payload() -> Value {
        json!({
            "subscriptionId": "9001f36e-41de-4edb-9913-780fa5d06b36",
            "resourceGroupName": "test",
            "registrationName": "azstests5616",
            "certPinningRootSubjects": ["CN=Baltimore CyberTrust Root, OU=CyberTrust, O=Baltimore, C=IE"],
            "usageEndpoint": "https://azstusgtestwcu001.trafficmanager.net",
            "expires": "9999-12-30T23:59:59.9999999Z",
            "cloudId": "69464895-3a1a-450a-9824-4b7608d9203f",
            "objectId": "5b3b06a8-9c6c-4888-9eb3-e8cdace74795",
            "billingModel": "Development",
            "usageReportingEnabled": false,
            "marketplaceSyndicationEnabled": true,
            "issuer": "someone",
            "version": "1.0"
        })
    }

    #[test]
    fn decodes_an_activation_key() {
        let header =
            json!({"kid": "3c92806f4c97488588e3fbb1c16dbd6c", "alg": "RS256", "typ": "JWT"});
        let text = key(&header, &key_payload());
        for form in [text.clone(), format!("\u{feff}{text}\r\n")] {
            let info = decode_activation_key(&form).unwrap();
            assert_eq!(
                info.registration_id.as_deref(),
                Some(
                    "/subscriptions/9001f36e-41de-4edb-9913-780fa5d06b36/resourceGroups/test/providers/Microsoft.AzureStack/registrations/azstests5616"
                )
            );
            assert_eq!(info.registration_name.as_deref(), Some("azstests5616"));
            assert_eq!(info.resource_group.as_deref(), Some("test"));
            assert_eq!(
                info.cloud_id.as_deref(),
                Some("69464895-3a1a-450a-9824-4b7608d9203f")
            );
            assert_eq!(info.common.billing_model.as_deref(), Some("Development"));
            assert_eq!(info.common.usage_reporting_enabled, Some(false));
            assert_eq!(info.common.marketplace_syndication_enabled, Some(true));
            assert_eq!(info.header["alg"], "RS256");
            assert_eq!(
                info.raw["usageEndpoint"],
                "https://azstusgtestwcu001.trafficmanager.net"
            );
            let expires = info.expires_at().unwrap();
            assert_eq!(expires.to_rfc3339(), "9999-12-30T23:59:59.999999900+00:00");
        }
        // Padded base64url segments are accepted too.
        let padded = text
            .split('.')
            .map(|s| format!("{s}{}", "=".repeat((4 - s.len() % 4) % 4)))
            .collect::<Vec<_>>()
            .join(".");
        assert_eq!(
            decode_activation_key(&padded)
                .unwrap()
                .registration_name
                .as_deref(),
            Some("azstests5616")
        );
    }

    #[test]
    fn malformed_activation_keys() {
        let good = key(&json!({"alg": "RS256"}), &key_payload());
        let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "it has 1 part"),
            ("abc.def".into(), "it has 2 parts"),
            (format!("{good}.x"), "it has 4 parts"),
            (format!("{}..{}", parts[0], parts[2]), "cut short"),
            (format!("{}.{}.%%", parts[0], parts[1]), "is not base64"),
            (
                format!(
                    "{}.{}.{}",
                    URL_SAFE_NO_PAD.encode("nope"),
                    parts[1],
                    parts[2]
                ),
                "header is not JSON",
            ),
            (
                {
                    parts[1] = URL_SAFE_NO_PAD.encode([0xc3, 0x28]);
                    parts.join(".")
                },
                "payload does not decode to UTF-8",
            ),
        ];
        for (input, expected) in cases {
            let message = invalid_message(decode_activation_key(&input), "activation_key");
            assert!(message.contains(expected), "{input:?}: {message}");
        }
    }

    /// The example keys are case-scrambled like the tokens: three base64url parts, header not text.
    #[test]
    fn specification_example_keys_are_refused_as_not_text() {
        for path in [
            "stable/2017-06-01/examples/Registration/Post.json",
            "AzureStack/stable/2022-06-01/examples/Registration/Post.json",
        ] {
            let example = example(path);
            let key = example["responses"]["200"]["body"]["activationKey"]
                .as_str()
                .unwrap();
            assert_eq!(key.split('.').count(), 3, "{path}");
            for part in key.split('.') {
                assert!(decode_base64(part, "activation_key").is_ok(), "{path}");
            }
            let message = invalid_message(decode_activation_key(key), "activation_key");
            assert!(
                message.contains("the key's header does not decode to UTF-8 text"),
                "{path}: {message}"
            );
        }
    }
}
