//! Stamp build numbers and the gates that depend on them: which `New-RegistrationToken` parameters a build
//! accepts (reference §2.1 step 7, §9: older builds reject unknown parameters outright).

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::registration::billing::{BillingModel, ResolvedSettings};

/// A four-part build number (`1.2408.0.19`), ordered part by part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StampVersion(pub [u32; 4]);

impl StampVersion {
    /// A version from its four parts, in order.
    pub const fn new(major: u32, minor: u32, build: u32, revision: u32) -> StampVersion {
        StampVersion([major, minor, build, revision])
    }
}

/// The first build whose `New-RegistrationToken` takes `-MsAssetTag` (AzureStack-Tools#538).
pub const MS_ASSET_TAG_FROM: StampVersion = StampVersion::new(1, 1912, 0, 19);
/// The first build whose `New-RegistrationToken` takes `-TokenVersion`.
pub const TOKEN_VERSION_FROM: StampVersion = StampVersion::new(1, 2008, 0, 49);
/// Builds above this one get token version 6.0 (HCI licensing), the others 4.0.
pub const TOKEN_VERSION_6_ABOVE: StampVersion = StampVersion::new(1, 2309, 0, 4);
/// Builds above this one, with more than one node, need `Set-RegistrationKeyPair`.
pub const KEY_PAIR_ABOVE: StampVersion = StampVersion::new(1, 2209, 0, 23);

impl fmt::Display for StampVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

impl FromStr for StampVersion {
    type Err = Error;

    fn from_str(text: &str) -> Result<StampVersion> {
        let text = text.trim();
        let bad = || {
            Error::invalid(
                "stamp_version",
                format!(
                    "'{text}' is not a stamp build number; give the four-part StampVersion that \
                     Get-AzureStackStampInformation reports (like 1.2408.0.19)"
                ),
            )
        };
        let mut parts = [0u32; 4];
        let mut count = 0;
        for piece in text.split('.') {
            let slot = parts.get_mut(count).ok_or_else(bad)?;
            if piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            *slot = piece.parse().map_err(|_| bad())?;
            count += 1;
        }
        if count != 4 {
            return Err(bad());
        }
        Ok(StampVersion(parts))
    }
}

impl serde::Serialize for StampVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The `-TokenVersion` a build takes, or None for builds that do not know the parameter.
pub fn token_version(stamp: StampVersion) -> Option<&'static str> {
    if stamp < TOKEN_VERSION_FROM {
        None
    } else if stamp > TOKEN_VERSION_6_ABOVE {
        Some("6.0")
    } else {
        Some("4.0")
    }
}

/// Whether `Set-RegistrationKeyPair` applies (multi-node stamps on builds after 2209).
pub fn needs_key_pair(stamp: StampVersion, number_of_nodes: u32) -> bool {
    stamp > KEY_PAIR_ABOVE && number_of_nodes > 1
}

/// The parameters of the privileged endpoint's `New-RegistrationToken` for this build, with PowerShell's
/// names and types (switches as booleans). Parameters a build does not know are left out, because the PEP
/// refuses the whole command on one unknown parameter.
pub fn token_parameters(
    stamp: StampVersion,
    settings: &ResolvedSettings,
) -> Result<Map<String, Value>> {
    if settings.billing_model == BillingModel::Custom && stamp < MS_ASSET_TAG_FROM {
        return Err(Error::invalid(
            "billing_model",
            format!(
                "Custom BillingModel is not supported for StampVersion less than {MS_ASSET_TAG_FROM} (this \
                 stamp is {stamp}); update the stamp, or choose another billing model"
            ),
        ));
    }
    let mut parameters = Map::new();
    parameters.insert(
        "BillingModel".into(),
        settings.billing_model.as_str().into(),
    );
    parameters.insert(
        "MarketplaceSyndicationEnabled".into(),
        settings.marketplace_syndication_enabled.into(),
    );
    parameters.insert(
        "UsageReportingEnabled".into(),
        settings.usage_reporting_enabled.into(),
    );
    if let Some(agreement) = &settings.agreement_number {
        parameters.insert("AgreementNumber".into(), agreement.as_str().into());
    }
    if stamp >= MS_ASSET_TAG_FROM
        && let Some(tag) = &settings.ms_asset_tag
    {
        parameters.insert("MsAssetTag".into(), tag.as_str().into());
    }
    if let Some(version) = token_version(stamp) {
        parameters.insert("TokenVersion".into(), version.into());
    }
    Ok(parameters)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registration::billing::RegistrationSettings;

    fn v(text: &str) -> StampVersion {
        text.parse().unwrap()
    }

    fn resolved(model: BillingModel) -> ResolvedSettings {
        RegistrationSettings {
            billing_model: Some(model),
            agreement_number: Some("EA-42".into()),
            ms_asset_tag: Some("TAG-7".into()),
            ..RegistrationSettings::default()
        }
        .resolve(true)
        .unwrap()
    }

    #[test]
    fn parses_and_orders_part_by_part() {
        assert_eq!(v(" 1.2408.0.19 "), StampVersion::new(1, 2408, 0, 19));
        assert!(v("1.1912.0.19") > v("1.1912.0.18"));
        assert!(v("1.1912.0.100") > v("1.1912.0.99"), "numeric, not text");
        assert!(v("1.2008.0.0") > v("1.1912.0.999"));
        assert_eq!(v("1.2408.0.19").to_string(), "1.2408.0.19");
        for bad in [
            "",
            "1.2408.0",
            "1.2408.0.19.1",
            "1.x.0.1",
            "1..0.1",
            "-1.2.3.4",
            "1.2.3.4 5",
        ] {
            let err = bad.parse::<StampVersion>().unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidArgument {
                        what: "stamp_version",
                        ..
                    }
                ),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn ms_asset_tag_from_1_1912_0_19() {
        let settings = resolved(BillingModel::Ruggedized);
        let before = token_parameters(v("1.1912.0.18"), &settings).unwrap();
        assert!(!before.contains_key("MsAssetTag"));
        let at = token_parameters(v("1.1912.0.19"), &settings).unwrap();
        assert_eq!(at["MsAssetTag"], "TAG-7");
    }

    #[test]
    fn custom_is_refused_before_1_1912_0_19() {
        let settings = resolved(BillingModel::Custom);
        let err = token_parameters(v("1.1912.0.18"), &settings).unwrap_err();
        assert!(
            err.to_string().contains(
                "Custom BillingModel is not supported for StampVersion less than 1.1912.0.19"
            ),
            "{err}"
        );
        assert!(token_parameters(v("1.1912.0.19"), &settings).is_ok());
    }

    #[test]
    fn token_version_from_1_2008_0_49_and_6_0_above_1_2309_0_4() {
        assert_eq!(token_version(v("1.2008.0.48")), None);
        assert_eq!(token_version(v("1.2008.0.49")), Some("4.0"));
        assert_eq!(token_version(v("1.2309.0.4")), Some("4.0"));
        assert_eq!(token_version(v("1.2309.0.5")), Some("6.0"));
        let settings = resolved(BillingModel::Development);
        assert!(
            !token_parameters(v("1.2008.0.48"), &settings)
                .unwrap()
                .contains_key("TokenVersion")
        );
        assert_eq!(
            token_parameters(v("1.2008.0.49"), &settings).unwrap()["TokenVersion"],
            "4.0"
        );
        assert_eq!(
            token_parameters(v("1.2309.0.5"), &settings).unwrap()["TokenVersion"],
            "6.0"
        );
    }

    #[test]
    fn parameters_carry_the_resolved_flags() {
        let settings = resolved(BillingModel::Capacity);
        let parameters = token_parameters(v("1.2408.0.19"), &settings).unwrap();
        assert_eq!(
            Value::Object(parameters),
            serde_json::json!({
                "BillingModel": "Capacity",
                "MarketplaceSyndicationEnabled": true,
                "UsageReportingEnabled": false,
                "AgreementNumber": "EA-42",
                "MsAssetTag": "TAG-7",
                "TokenVersion": "6.0",
            })
        );
    }

    #[test]
    fn key_pair_above_1_2209_0_23_with_several_nodes() {
        assert!(!needs_key_pair(v("1.2209.0.23"), 4));
        assert!(needs_key_pair(v("1.2209.0.24"), 4));
        assert!(!needs_key_pair(v("1.2209.0.24"), 1));
    }
}
