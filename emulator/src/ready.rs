//! The ready document: the one JSON line the emulator prints when its listeners are up (and serves at
//! `/_emulator/status`), telling clients every base URL, the CA to trust, the tenants, audiences and the
//! credentials it accepts. The server writes it from these types and tests read it back into them, so its
//! field names are defined here only.
//!
//! Every struct declares its fields in name order: the line has always been written with its keys sorted
//! (a JSON object of serde_json without `preserve_order`), and writing the structs directly must give the
//! same bytes.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::azure::Azure;
use crate::config::EmulatorConfig;
use crate::dataset::Dataset;
use crate::endpoints::{Audiences, BaseUrls};
use crate::identity::{Access, Identity, IdentityMode};
use crate::pep::Pep;
use crate::stamp_version::StampVersion;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadyDocument {
    pub admin_arm: String,
    pub audiences: Audiences,
    /// The emulated Azure side of registration.
    pub azure: AzureBlock,
    /// The CA certificate to trust; none over plain HTTP or with an operator's certificate.
    pub ca_pem: Option<String>,
    /// Base URL of the control routes.
    pub control: String,
    pub dataset: DatasetBlock,
    pub default_provider_subscription_id: Uuid,
    pub emulator_version: String,
    pub event: ReadyEvent,
    /// The stamp's identity provider.
    pub identity: String,
    pub identity_system: IdentityMode,
    pub login_endpoint: String,
    pub page_size: usize,
    /// The privileged endpoint model.
    pub pep: PepBlock,
    pub pid: u32,
    pub region: String,
    pub service_principals: Vec<ServicePrincipalEntry>,
    pub tenant_arm: String,
    pub tenant_domain: String,
    pub tenant_id: Uuid,
    pub token_issuer: String,
    pub users: Vec<UserEntry>,
}

/// The `event` a ready line announces; a client waiting on the output knows the line by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadyEvent {
    Ready,
}

/// `azure`: where the emulated Azure is and who may sign in to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AzureBlock {
    /// Its Resource Manager.
    pub arm: String,
    pub audiences: Vec<String>,
    pub environment: String,
    pub login_endpoint: String,
    pub service_principals: Vec<ServicePrincipalEntry>,
    /// Where registrations live.
    pub subscription_id: Uuid,
    pub tenant_domain: String,
    pub tenant_id: Uuid,
    pub token_issuer: String,
    pub users: Vec<UserEntry>,
}

/// `pep`: where the privileged endpoint is, its credentials and what it reports about the stamp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PepBlock {
    pub cloud_id: Uuid,
    pub deployment_id: Uuid,
    pub number_of_nodes: u32,
    pub password: String,
    pub stamp_version: StampVersion,
    pub url: String,
    pub username: String,
}

/// `dataset`: what the usage data set was generated from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetBlock {
    pub days: u32,
    pub first_tenant_subscription_id: Option<Uuid>,
    pub resources_per_subscription: u32,
    pub seed: u64,
    pub start_date: NaiveDate,
    pub subscriptions: u32,
}

/// A service principal a directory accepts, with its credentials (the ready document is how clients learn
/// them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServicePrincipalEntry {
    pub access: Access,
    /// The generated certificate principal's certificate file; only that principal has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_path: Option<String>,
    pub client_id: Uuid,
    pub client_secret: Option<String>,
    pub name: String,
    pub object_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key_path: Option<String>,
}

/// A user a directory accepts, with its password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserEntry {
    pub access: Access,
    pub object_id: Uuid,
    pub password: Option<String>,
    pub upn: String,
}

/// Where the generated certificate service principal's certificate and key were written.
pub struct CertificateFiles {
    pub certificate: PathBuf,
    pub private_key: PathBuf,
}

/// What a run's ready document is written from.
pub(crate) struct Run<'a> {
    pub config: &'a EmulatorConfig,
    pub urls: &'a BaseUrls,
    pub audiences: &'a Audiences,
    pub identity: &'a Identity,
    pub dataset: &'a Dataset,
    pub azure: &'a Azure,
    pub pep: &'a Pep,
    pub ca_pem: Option<&'a Path>,
    pub certificate_files: Option<&'a CertificateFiles>,
}

impl ReadyDocument {
    pub(crate) fn new(run: &Run<'_>) -> ReadyDocument {
        let Run {
            config,
            urls,
            identity,
            ..
        } = run;
        ReadyDocument {
            admin_arm: urls.admin_arm.clone(),
            audiences: run.audiences.clone(),
            azure: AzureBlock::new(run.azure),
            ca_pem: run.ca_pem.map(|p| p.display().to_string()),
            control: format!("{}_emulator/", urls.admin_arm),
            dataset: DatasetBlock {
                days: config.days,
                first_tenant_subscription_id: run.dataset.subscriptions().first().map(|s| s.id),
                resources_per_subscription: config.resources_per_subscription,
                seed: config.seed,
                start_date: config.effective_start_date(),
                subscriptions: config.subscriptions,
            },
            default_provider_subscription_id: config.default_provider_subscription_id,
            emulator_version: env!("CARGO_PKG_VERSION").to_string(),
            event: ReadyEvent::Ready,
            identity: urls.identity.clone(),
            identity_system: config.identity_mode,
            login_endpoint: identity.login_endpoint(),
            page_size: config.page_size,
            pep: PepBlock::new(run.pep, urls),
            pid: std::process::id(),
            region: config.region.clone(),
            service_principals: service_principals(identity, run.certificate_files),
            tenant_arm: urls.tenant_arm.clone(),
            tenant_domain: config.tenant_domain.clone(),
            tenant_id: config.tenant_id,
            token_issuer: identity.tenant_issuer(),
            users: users(identity),
        }
    }
}

impl AzureBlock {
    fn new(azure: &Azure) -> AzureBlock {
        let settings = azure.settings();
        let identity = azure.identity();
        AzureBlock {
            arm: settings.arm_url.clone(),
            audiences: settings.audiences.clone(),
            environment: crate::azure::ENVIRONMENT.to_string(),
            login_endpoint: identity.login_endpoint(),
            service_principals: service_principals(identity, None),
            subscription_id: settings.subscription_id,
            tenant_domain: settings.tenant_domain.clone(),
            tenant_id: settings.tenant_id,
            token_issuer: identity.tenant_issuer(),
            users: users(identity),
        }
    }
}

impl PepBlock {
    fn new(pep: &Pep, urls: &BaseUrls) -> PepBlock {
        let settings = pep.settings();
        PepBlock {
            cloud_id: settings.stamp.cloud_id,
            deployment_id: settings.stamp.deployment_id,
            number_of_nodes: settings.stamp.number_of_nodes,
            password: settings.password.clone(),
            stamp_version: settings.stamp.version,
            url: urls.pep.clone(),
            username: crate::pep::USERNAME.to_string(),
        }
    }
}

fn service_principals(
    identity: &Identity,
    certificate_files: Option<&CertificateFiles>,
) -> Vec<ServicePrincipalEntry> {
    identity
        .principals()
        .service_principals
        .iter()
        .map(|sp| {
            let files = certificate_files.filter(|_| sp.certificate_pem.is_some());
            ServicePrincipalEntry {
                access: sp.access.clone(),
                certificate_path: files.map(|f| f.certificate.display().to_string()),
                client_id: sp.client_id,
                client_secret: sp.client_secret.clone(),
                name: sp.name.clone(),
                object_id: sp.object_id,
                private_key_path: files.map(|f| f.private_key.display().to_string()),
            }
        })
        .collect()
}

fn users(identity: &Identity) -> Vec<UserEntry> {
    identity
        .principals()
        .users
        .iter()
        .map(|u| UserEntry {
            access: u.access.clone(),
            object_id: u.object_id,
            password: u.password.clone(),
            upn: u.upn.clone(),
        })
        .collect()
}
