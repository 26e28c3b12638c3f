//! Clouds and their endpoints: the public Azure clouds, a custom environment, and Azure Stack Hub
//! endpoints discovered from `/metadata/endpoints`.

use url::Url;

use crate::error::Result;
use crate::transport::Transport;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum IdentitySystem {
    /// Azure AD (Entra ID): tokens from `{login}{tenant}/oauth2/token`.
    AzureAd,
    /// AD FS on a disconnected stamp: tokens from `{login}oauth2/token` where login ends in `/adfs/`.
    Adfs,
}

/// Named public clouds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    AzureCloud,
    AzureChinaCloud,
    AzureUSGovernment,
}

/// Everything needed to sign in and call one Resource Manager endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// e.g. "AzureCloud", "AzureStack-Admin-<tenant>", or a custom name.
    pub name: String,
    /// Resource Manager base URL, with a trailing slash.
    pub resource_manager: Url,
    /// Login endpoint with a trailing slash (`https://login.microsoftonline.com/`, `https://adfs.x/adfs/`).
    pub login_endpoint: Url,
    /// The token audience (resource) for this Resource Manager endpoint.
    pub audience: String,
    pub identity_system: IdentitySystem,
}

impl Cloud {
    /// Parses a cloud name case-insensitively ("AzureCloud", "AzureChinaCloud", "AzureUSGovernment").
    pub fn from_name(_name: &str) -> Result<Cloud> {
        unimplemented!()
    }

    pub fn environment(self) -> Environment {
        unimplemented!()
    }
}

impl Environment {
    /// A custom environment. Validates the URLs (https unless loopback) and derives the identity system from
    /// the login endpoint (AD FS when its path ends in `/adfs`).
    pub fn custom(
        _name: &str,
        _resource_manager: &str,
        _login_endpoint: &str,
        _audience: &str,
    ) -> Result<Environment> {
        unimplemented!()
    }

    /// Reads `{arm}/metadata/endpoints?api-version=2019-05-01` (array shape) and falls back to
    /// `api-version=2015-01-01` (object shape); the audience is `authentication.audiences[0]`; resourceManager
    /// comes from `arm` when the document leaves it out (Azure Stack Hub does).
    pub fn discover(_transport: &Transport, _arm: &Url) -> Result<Environment> {
        unimplemented!()
    }
}
