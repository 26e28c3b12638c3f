//! Billing models and the rules that tie them to the registration flags, applied before anything is sent
//! (reference §2.1 step 7, §2.3, §5).

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// How the stamp is billed. Parsed in any case, as PowerShell's ValidateSet does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum BillingModel {
    /// Capacity: a yearly fee per core, under an Enterprise Agreement (needs `agreement_number`).
    Capacity,
    /// Pay-as-you-use: usage is reported to Azure and billed (connected stamps only).
    PayAsYouUse,
    /// Development: for ASDK and test stamps, not billed.
    Development,
    /// Custom: a negotiated model for special hardware (needs `ms_asset_tag`).
    Custom,
    /// Ruggedized: for the ruggedized hardware (needs `ms_asset_tag`).
    Ruggedized,
}

impl BillingModel {
    /// Every model, in the order the original tooling's ValidateSet lists them.
    pub const ALL: [BillingModel; 5] = [
        BillingModel::Capacity,
        BillingModel::PayAsYouUse,
        BillingModel::Development,
        BillingModel::Custom,
        BillingModel::Ruggedized,
    ];

    /// The spelling the privileged endpoint and Azure use.
    pub fn as_str(self) -> &'static str {
        match self {
            BillingModel::Capacity => "Capacity",
            BillingModel::PayAsYouUse => "PayAsYouUse",
            BillingModel::Development => "Development",
            BillingModel::Custom => "Custom",
            BillingModel::Ruggedized => "Ruggedized",
        }
    }

    /// Usage reporting when the caller does not choose (Set-AzsRegistration's defaults).
    pub fn default_usage_reporting(self) -> bool {
        match self {
            BillingModel::Capacity | BillingModel::Custom => false,
            BillingModel::PayAsYouUse | BillingModel::Development | BillingModel::Ruggedized => {
                true
            }
        }
    }

    /// Whether a disconnected stamp may use it (Get-AzsRegistrationToken's ValidateSet).
    pub fn allowed_disconnected(self) -> bool {
        matches!(
            self,
            BillingModel::Capacity | BillingModel::Development | BillingModel::Custom
        )
    }
}

impl fmt::Display for BillingModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BillingModel {
    type Err = Error;

    fn from_str(text: &str) -> Result<BillingModel> {
        let text = text.trim();
        BillingModel::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| {
                Error::invalid(
                    "billing_model",
                    format!(
                        "'{text}' is not a billing model; use Capacity, PayAsYouUse, Development, Custom or Ruggedized"
                    ),
                )
            })
    }
}

impl<'de> serde::Deserialize<'de> for BillingModel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<BillingModel, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What the operator asked for; unset fields take the model's defaults in `resolve`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct RegistrationSettings {
    /// None: Development when connected (Set-AzsRegistration's default); required when disconnected.
    pub billing_model: Option<BillingModel>,
    /// None: the model's default (on for PayAsYouUse, which requires it).
    pub usage_reporting_enabled: Option<bool>,
    /// None: on when connected; a disconnected stamp cannot syndicate.
    pub marketplace_syndication_enabled: Option<bool>,
    /// The Enterprise Agreement number; required for Capacity.
    pub agreement_number: Option<String>,
    /// The asset tag printed on the hardware; required for Custom and Ruggedized.
    pub ms_asset_tag: Option<String>,
}

/// Settings with every rule applied and every flag decided.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResolvedSettings {
    /// The model the registration is made with.
    pub billing_model: BillingModel,
    /// Whether the stamp reaches Azure (a disconnected one registers by token files).
    pub connected: bool,
    /// Whether the stamp reports usage to Azure.
    pub usage_reporting_enabled: bool,
    /// Whether Azure Marketplace items can be downloaded to the stamp.
    pub marketplace_syndication_enabled: bool,
    /// The Enterprise Agreement number; Some only for Capacity.
    pub agreement_number: Option<String>,
    /// The hardware's asset tag; Some only for Custom and Ruggedized.
    pub ms_asset_tag: Option<String>,
    /// What was changed from the caller's choice, for the operator to see (the original's warnings).
    pub warnings: Vec<String>,
}

/// Trimmed, and None when empty: PowerShell's ValidateNotNull lets "" through, the PEP then fails late.
fn text(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

impl RegistrationSettings {
    /// Applies the billing-model rules for a connected (Set-AzsRegistration) or disconnected
    /// (Get-AzsRegistrationToken) registration. Errors name the rule and the fix.
    pub fn resolve(&self, connected: bool) -> Result<ResolvedSettings> {
        let model = match (self.billing_model, connected) {
            (Some(model), _) => model,
            (None, true) => BillingModel::Development,
            (None, false) => {
                return Err(Error::invalid(
                    "billing_model",
                    "a disconnected registration needs a billing model: give Capacity, Development or Custom",
                ));
            }
        };
        if !connected && !model.allowed_disconnected() {
            return Err(Error::invalid(
                "billing_model",
                format!(
                    "{model} is not available to a disconnected stamp (the registration token accepts Capacity, \
                     Development or Custom); register connected, or choose one of those"
                ),
            ));
        }
        let agreement_number = text(&self.agreement_number);
        let ms_asset_tag = text(&self.ms_asset_tag);
        let mut warnings = Vec::new();
        let mut usage = self
            .usage_reporting_enabled
            .unwrap_or(model.default_usage_reporting());
        match model {
            BillingModel::Capacity => {
                if agreement_number.is_none() {
                    return Err(Error::invalid(
                        "agreement_number",
                        "Agreement number is null or empty when BillingModel is set to Capacity: give the \
                         Enterprise Agreement number the capacity was bought under",
                    ));
                }
                if usage {
                    warnings.push(
                        "Disabling Usage Reporting as it is not supported for Capacity billing model."
                            .to_string(),
                    );
                    usage = false;
                }
            }
            BillingModel::Custom | BillingModel::Ruggedized if ms_asset_tag.is_none() => {
                return Err(Error::invalid(
                    "ms_asset_tag",
                    format!(
                        "MissingMsAssetTag: the {model} billing model needs the asset tag printed on the \
                         hardware; give ms_asset_tag"
                    ),
                ));
            }
            BillingModel::PayAsYouUse if !usage => {
                return Err(Error::invalid(
                    "usage_reporting_enabled",
                    "usage reporting cannot be disabled with billing model set to PayAsYouUse (usage is what \
                     is billed); leave usage_reporting_enabled unset or true, or choose Capacity",
                ));
            }
            _ => {}
        }
        Ok(ResolvedSettings {
            billing_model: model,
            connected,
            usage_reporting_enabled: usage,
            // Disconnected stamps cannot download from the marketplace; they use the offline tool.
            marketplace_syndication_enabled: self
                .marketplace_syndication_enabled
                .unwrap_or(connected),
            agreement_number,
            ms_asset_tag,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(model: BillingModel) -> RegistrationSettings {
        RegistrationSettings {
            billing_model: Some(model),
            ..RegistrationSettings::default()
        }
    }

    fn invalid_field(result: Result<ResolvedSettings>) -> (&'static str, String) {
        match result {
            Err(Error::InvalidArgument { what, message }) => (what, message),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn parses_any_case_and_refuses_unknown_models() {
        assert_eq!(
            "payasyouuse".parse::<BillingModel>().unwrap(),
            BillingModel::PayAsYouUse
        );
        assert_eq!(
            " CAPACITY ".parse::<BillingModel>().unwrap(),
            BillingModel::Capacity
        );
        let err = "PayAsYouGo".parse::<BillingModel>().unwrap_err();
        assert!(err.to_string().contains("Capacity, PayAsYouUse"), "{err}");
        let json: RegistrationSettings =
            serde_json::from_str(r#"{"billing_model":"ruggedized"}"#).unwrap();
        assert_eq!(json.billing_model, Some(BillingModel::Ruggedized));
    }

    #[test]
    fn defaults_per_model_connected_and_disconnected() {
        let expected_usage = [
            (BillingModel::Capacity, false),
            (BillingModel::PayAsYouUse, true),
            (BillingModel::Development, true),
            (BillingModel::Custom, false),
            (BillingModel::Ruggedized, true),
        ];
        for (model, usage) in expected_usage {
            let mut s = settings(model);
            s.agreement_number = Some("EA-1".into());
            s.ms_asset_tag = Some("TAG-1".into());
            let connected = s.resolve(true).unwrap();
            assert_eq!(connected.usage_reporting_enabled, usage, "{model}");
            assert!(connected.marketplace_syndication_enabled, "{model}");
            assert!(connected.warnings.is_empty(), "{model}");
            if model.allowed_disconnected() {
                let disconnected = s.resolve(false).unwrap();
                assert_eq!(disconnected.usage_reporting_enabled, usage, "{model}");
                assert!(!disconnected.marketplace_syndication_enabled, "{model}");
            }
        }
        // No model: Development when connected.
        let resolved = RegistrationSettings::default().resolve(true).unwrap();
        assert_eq!(resolved.billing_model, BillingModel::Development);
        let (what, _) = invalid_field(RegistrationSettings::default().resolve(false));
        assert_eq!(what, "billing_model");
    }

    #[test]
    fn capacity_needs_an_agreement_and_turns_usage_reporting_off() {
        let (what, message) = invalid_field(settings(BillingModel::Capacity).resolve(true));
        assert_eq!(what, "agreement_number");
        assert!(
            message.contains("Agreement number is null or empty"),
            "{message}"
        );
        let mut s = settings(BillingModel::Capacity);
        s.agreement_number = Some("   ".into());
        assert_eq!(invalid_field(s.resolve(false)).0, "agreement_number");
        s.agreement_number = Some(" 1234567 ".into());
        s.usage_reporting_enabled = Some(true);
        let resolved = s.resolve(false).unwrap();
        assert!(!resolved.usage_reporting_enabled);
        assert_eq!(resolved.agreement_number.as_deref(), Some("1234567"));
        assert_eq!(
            resolved.warnings,
            ["Disabling Usage Reporting as it is not supported for Capacity billing model."]
        );
    }

    #[test]
    fn custom_and_ruggedized_need_an_asset_tag() {
        for model in [BillingModel::Custom, BillingModel::Ruggedized] {
            let (what, message) = invalid_field(settings(model).resolve(true));
            assert_eq!(what, "ms_asset_tag");
            assert!(message.contains("MissingMsAssetTag"), "{message}");
        }
        let mut s = settings(BillingModel::Custom);
        s.ms_asset_tag = Some("ASSET-9".into());
        assert_eq!(
            s.resolve(false).unwrap().ms_asset_tag.as_deref(),
            Some("ASSET-9")
        );
    }

    #[test]
    fn pay_as_you_use_cannot_disable_usage_reporting() {
        let mut s = settings(BillingModel::PayAsYouUse);
        s.usage_reporting_enabled = Some(false);
        let (what, message) = invalid_field(s.resolve(true));
        assert_eq!(what, "usage_reporting_enabled");
        assert!(message.contains("PayAsYouUse"), "{message}");
        s.usage_reporting_enabled = Some(true);
        assert!(s.resolve(true).unwrap().usage_reporting_enabled);
    }

    #[test]
    fn disconnected_allows_only_capacity_development_and_custom() {
        for model in [BillingModel::PayAsYouUse, BillingModel::Ruggedized] {
            let mut s = settings(model);
            s.ms_asset_tag = Some("TAG".into());
            let (what, message) = invalid_field(s.resolve(false));
            assert_eq!(what, "billing_model");
            assert!(message.contains("register connected"), "{message}");
            assert!(s.resolve(true).is_ok(), "{model} is fine connected");
        }
        assert!(settings(BillingModel::Development).resolve(false).is_ok());
    }

    #[test]
    fn explicit_flags_are_kept() {
        let mut s = settings(BillingModel::Development);
        s.usage_reporting_enabled = Some(false);
        s.marketplace_syndication_enabled = Some(true);
        let resolved = s.resolve(false).unwrap();
        assert!(!resolved.usage_reporting_enabled);
        assert!(resolved.marketplace_syndication_enabled);
        s.marketplace_syndication_enabled = Some(false);
        assert!(!s.resolve(true).unwrap().marketplace_syndication_enabled);
    }
}
