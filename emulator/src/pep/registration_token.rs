//! `New-RegistrationToken`: the billing-model rules and version gates of the real command, and the token
//! (base64 of UTF-8 JSON) it mints.
//!
//! Choices where the sources are silent: Ruggedized does not require `-MsAssetTag` here (the script does
//! not enforce it either; the core does); flags not given are false (they are switches); builds without
//! `-TokenVersion` mint version "1.0" (the public example's), builds with it default to "3.0" (what the
//! AzureRM tooling got by not passing it); `-TimeoutInSeconds` and `-AsJob` are accepted and ignored.

use base64::Engine as _;
use serde_json::Value;
use uuid::Uuid;

use super::Pep;
use super::params::{Bound, Param, validate_set};
use super::protocol::PepError;
use crate::stamp_version::StampVersion;

pub const PARAMS: &[Param] = &[
    Param::text("BillingModel").mandatory(),
    Param::switch("MarketplaceSyndicationEnabled"),
    Param::switch("UsageReportingEnabled"),
    Param::text("AgreementNumber"),
    Param::text("MsAssetTag").since(StampVersion::MS_ASSET_TAG),
    Param::text("TokenVersion").since(StampVersion::TOKEN_VERSION),
    Param::number("TimeoutInSeconds"),
    Param::switch("AsJob"),
];

const BILLING_MODELS: &[&str] = &[
    "Capacity",
    "PayAsYouUse",
    "Development",
    "Custom",
    "Ruggedized",
];
const TOKEN_VERSIONS: &[&str] = &["3.0", "4.0", "6.0"];

impl Pep {
    pub(super) fn new_registration_token(&self, args: &Bound) -> Result<Value, PepError> {
        let stamp = &self.settings.stamp;
        let billing_model = validate_set(
            "BillingModel",
            args.text("BillingModel").unwrap_or_default(),
            BILLING_MODELS,
        )?;
        let version = match args.text("TokenVersion") {
            Some(given) => {
                let version = validate_set("TokenVersion", given, TOKEN_VERSIONS)?;
                if version == "6.0" && stamp.version <= StampVersion::TOKEN_VERSION_6 {
                    return Err(PepError::runtime(format!(
                        "TokenVersion 6.0 is not supported for StampVersion {} (it needs a build after {}).",
                        stamp.version,
                        StampVersion::TOKEN_VERSION_6
                    )));
                }
                version
            }
            None if stamp.version >= StampVersion::TOKEN_VERSION => "3.0",
            None => "1.0",
        };
        let agreement_number = args
            .text("AgreementNumber")
            .filter(|s| !s.trim().is_empty());
        let ms_asset_tag = args.text("MsAssetTag").filter(|s| !s.trim().is_empty());
        match billing_model {
            "Capacity" if agreement_number.is_none() => {
                return Err(PepError::runtime(
                    "Agreement number is null or empty when BillingModel is set to Capacity",
                ));
            }
            "Custom" if stamp.version < StampVersion::MS_ASSET_TAG => {
                return Err(PepError::runtime(format!(
                    "Custom BillingModel is not supported for StampVersion less than {}",
                    StampVersion::MS_ASSET_TAG
                )));
            }
            "Custom" if ms_asset_tag.is_none() => {
                return Err(PepError::runtime(
                    "MsAssetTag is null or empty when BillingModel is set to Custom",
                ));
            }
            _ => {}
        }
        let object_id = self
            .lock_state()
            .bridge
            .map(|b| b.object_id)
            .unwrap_or_else(|| Uuid::new_v5(&stamp.cloud_id, b"stamp-identity"));
        let token = serde_json::json!({
            "billingModel": billing_model,
            "objectId": object_id,
            "cloudId": stamp.cloud_id,
            "marketplaceSyndicationEnabled": args.flag("MarketplaceSyndicationEnabled").unwrap_or(false),
            "usageReportingEnabled": args.flag("UsageReportingEnabled").unwrap_or(false),
            "agreementNumber": agreement_number,
            "msAssetTag": ms_asset_tag,
            "hardwareInfo": self.hardware_info(),
            "issuer": super::issuer(stamp),
            "version": version,
        });
        let text = serde_json::to_string(&token).map_err(|e| PepError::runtime(e.to_string()))?;
        Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(text),
        ))
    }

    /// The hosts' fingerprint a token carries, one entry per node, stable for the cloud.
    fn hardware_info(&self) -> Value {
        let cloud = self.settings.stamp.cloud_id;
        let nodes: Vec<Value> = (1..=self.settings.stamp.number_of_nodes)
            .map(|n| {
                let id = |what: &str| Uuid::new_v5(&cloud, format!("node-{n}-{what}").as_bytes());
                serde_json::json!({
                    "name": format!("AZS-NODE{n:02}"),
                    "uuid": id("uuid"),
                    "numCores": 64,
                    "bios": [format!("{}", id("bios").simple())],
                    "cpu": ["Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz"],
                    "memory": ["1099511627776"],
                    "nic": [format!("{}", id("nic").simple())],
                    "disk": [format!("{}", id("disk").simple())],
                })
            })
            .collect();
        Value::Array(nodes)
    }
}
