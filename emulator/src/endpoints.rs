//! Where a run's listeners are and which token audience each Resource Manager endpoint accepts: what the
//! listeners, the discovery documents and the ready document all say the same way.

use uuid::Uuid;

use crate::config::EmulatorConfig;
use crate::identity::IdentityMode;

/// Public base URLs of the listeners, each with a trailing slash.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BaseUrls {
    pub admin_arm: String,
    pub tenant_arm: String,
    pub identity: String,
    pub azure_arm: String,
    pub azure_login: String,
    pub pep: String,
}

/// The token audience of each Resource Manager endpoint.
// Fields in name order: the ready document is written with its keys sorted (see `ready`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Audiences {
    pub admin: String,
    pub tenant: String,
}

impl Audiences {
    /// The audiences of a run: stable for a tenant (application ids derived from it), under the directory's
    /// domain in Azure AD and under the stamp's AD FS domain otherwise.
    pub fn of(config: &EmulatorConfig) -> Audiences {
        let app_id = |what: &str| Uuid::new_v5(&config.tenant_id, what.as_bytes());
        let domain = match config.identity_mode {
            IdentityMode::Aad => config.tenant_domain.as_str(),
            IdentityMode::Adfs => "adfs.azurestack.local",
        };
        Audiences {
            admin: format!("https://adminmanagement.{domain}/{}", app_id("admin-arm")),
            tenant: format!("https://management.{domain}/{}", app_id("tenant-arm")),
        }
    }
}
