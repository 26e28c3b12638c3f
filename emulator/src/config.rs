//! Everything a run of the emulator is configured with. The binary fills it from flags; tests and other
//! crates fill it in code.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use uuid::Uuid;

use crate::faults::FaultPlan;
use crate::identity::IdentityMode;
use crate::stamp_version::StampVersion;

#[derive(Debug, Clone)]
pub enum TlsMode {
    /// Generate a CA and server certificate at start; the CA is written to `state_dir/ca.pem`.
    Generate,
    /// Use an operator-supplied certificate chain and key (PEM files).
    Files { cert: PathBuf, key: PathBuf },
    /// Plain HTTP.
    Plain,
}

/// Ports of the listeners; 0 picks a free port.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ports {
    pub admin_arm: u16,
    pub tenant_arm: u16,
    pub identity: u16,
    /// The emulated Azure Resource Manager (registrations).
    pub azure_arm: u16,
    /// The emulated Azure AD of the registration subscription.
    pub azure_login: u16,
    /// The privileged endpoint model.
    pub pep: u16,
}

/// The Azure side of registration: the directory and subscription a stamp registers into.
#[derive(Debug, Clone)]
pub struct AzureConfig {
    pub tenant_id: Uuid,
    pub tenant_domain: String,
    pub subscription_id: Uuid,
}

/// What the privileged endpoint reports about the stamp.
#[derive(Debug, Clone)]
pub struct StampConfig {
    pub version: StampVersion,
    pub number_of_nodes: u32,
    pub cloud_id: Uuid,
    pub deployment_id: Uuid,
}

#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub bind: IpAddr,
    /// Host name used in the advertised URLs; defaults to the bind address.
    pub public_host: Option<String>,
    pub ports: Ports,
    pub tls: TlsMode,
    /// Where generated files (CA, service principal certificate and key) go.
    pub state_dir: PathBuf,
    pub identity_mode: IdentityMode,
    pub tenant_id: Uuid,
    pub tenant_domain: String,
    pub region: String,
    pub default_provider_subscription_id: Uuid,
    /// JSON file of service principals and users; generated defaults when None.
    pub principals_file: Option<PathBuf>,
    pub access_token_lifetime: Duration,
    pub device_code_approval_delay: Duration,
    pub seed: u64,
    pub subscriptions: u32,
    pub resources_per_subscription: u32,
    pub days: u32,
    /// First usage day (UTC); None: `days` days before today, so the data ends now.
    pub start_date: Option<NaiveDate>,
    /// Rows per usage page; the real service pages at 1,000.
    pub page_size: usize,
    pub faults: FaultPlan,
    pub azure: AzureConfig,
    pub stamp: StampConfig,
}

impl EmulatorConfig {
    /// A configuration with everything derived from `seed`: the directory tenant, the provider subscription,
    /// the data set, the cloud and deployment ids and the Azure side, so two runs with the same seed describe
    /// the same stamp.
    pub fn with_seed(seed: u64) -> EmulatorConfig {
        EmulatorConfig {
            bind: IpAddr::from([127, 0, 0, 1]),
            public_host: None,
            ports: Ports::default(),
            tls: TlsMode::Generate,
            state_dir: std::env::temp_dir().join(format!("azs-emulator-{}", std::process::id())),
            identity_mode: IdentityMode::Aad,
            tenant_id: derived_uuid(seed, "directory-tenant"),
            tenant_domain: "azurestack.onmicrosoft.com".into(),
            region: "local".into(),
            default_provider_subscription_id: derived_uuid(seed, "default-provider-subscription"),
            principals_file: None,
            access_token_lifetime: Duration::from_secs(3600),
            device_code_approval_delay: Duration::from_secs(5),
            seed,
            subscriptions: 20,
            resources_per_subscription: 10,
            days: 14,
            start_date: None,
            page_size: 1000,
            faults: FaultPlan::default(),
            azure: AzureConfig {
                tenant_id: derived_uuid(seed, "azure-directory-tenant"),
                tenant_domain: "contosoazure.onmicrosoft.com".into(),
                subscription_id: derived_uuid(seed, "azure-registration-subscription"),
            },
            stamp: StampConfig {
                version: StampVersion::DEFAULT,
                number_of_nodes: 4,
                cloud_id: derived_uuid(seed, "cloud-id"),
                deployment_id: derived_uuid(seed, "deployment-id"),
            },
        }
    }

    /// The standard test data set every test suite of the project uses: seed 7, 6 subscriptions of 8
    /// resources, 7 days from 2026-01-05, device codes approved after 200 ms. Tests assert exact totals
    /// of it, so it changes only with them.
    pub fn standard_test_set() -> EmulatorConfig {
        let mut config = EmulatorConfig::with_seed(7);
        config.subscriptions = 6;
        config.resources_per_subscription = 8;
        config.days = 7;
        config.start_date = NaiveDate::from_ymd_opt(2026, 1, 5);
        config.device_code_approval_delay = Duration::from_millis(200);
        config
    }

    /// The first usage day: the configured one, or `days` days before today (UTC).
    pub fn effective_start_date(&self) -> NaiveDate {
        self.start_date
            .unwrap_or_else(|| Utc::now().date_naive() - chrono::Days::new(u64::from(self.days)))
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig::with_seed(1)
    }
}

/// A stable GUID for a named thing of the run with this seed.
pub fn derived_uuid(seed: u64, what: &str) -> Uuid {
    const NAMESPACE: Uuid = Uuid::from_u128(0x6f3e_1c55_8a2b_4e0f_9d3c_51a7_2b8e_44c1);
    Uuid::new_v5(&NAMESPACE, format!("{what}/{seed}").as_bytes())
}
