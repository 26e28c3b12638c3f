//! `GET /metadata/endpoints`: the anonymous discovery document clients read first. `api-version=2019-05-01`
//! and later give the array shape; anything else (2015-01-01, 1.0, none) the original object shape.

use crate::identity::IdentityMode;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Admin,
    Tenant,
}

/// What a discovery document says about one Resource Manager endpoint.
pub struct Discovery<'a> {
    /// The endpoint's own base URL (portal and gallery point there too).
    pub base: &'a str,
    pub login: String,
    pub audiences: Vec<String>,
    pub graph: String,
    /// The environment name of the array shape.
    pub name: String,
    /// `authentication.tenant` and `identityProvider` of the array shape.
    pub tenant: String,
    pub identity_provider: &'static str,
    /// DNS suffix of storage, key vault and registry names.
    pub suffixes: serde_json::Value,
}

impl Discovery<'_> {
    pub fn render(&self, api_version: Option<&str>) -> serde_json::Value {
        let array_shape = api_version.is_some_and(|v| {
            v.get(..4)
                .and_then(|y| y.parse::<u32>().ok())
                .is_some_and(|y| y >= 2019)
        });
        if !array_shape {
            return serde_json::json!({
                "galleryEndpoint": self.base,
                "graphEndpoint": self.graph,
                "portalEndpoint": self.base,
                "authentication": { "loginEndpoint": self.login, "audiences": self.audiences },
            });
        }
        // Azure Stack Hub leaves out resourceManager: clients fill it from the URL they asked.
        serde_json::json!([{
            "name": self.name,
            "portal": self.base,
            "authentication": {
                "loginEndpoint": self.login,
                "audiences": self.audiences,
                "tenant": self.tenant,
                "identityProvider": self.identity_provider,
            },
            "graph": self.graph,
            "graphAudience": self.graph,
            "suffixes": self.suffixes,
        }])
    }
}

pub fn document(
    app: &AppState,
    endpoint: Endpoint,
    api_version: Option<&str>,
) -> serde_json::Value {
    let (base, audience) = match endpoint {
        Endpoint::Admin => (&app.urls.admin_arm, &app.audiences.admin),
        Endpoint::Tenant => (&app.urls.tenant_arm, &app.audiences.tenant),
    };
    let mode = app.config.identity_mode;
    let graph = match mode {
        IdentityMode::Aad => "https://graph.windows.net/".to_string(),
        IdentityMode::Adfs => format!("{}graph/", app.urls.identity),
    };
    let (tenant, identity_provider) = match mode {
        IdentityMode::Aad => (app.config.tenant_id.to_string(), "AAD"),
        IdentityMode::Adfs => ("adfs".to_string(), "ADFS"),
    };
    let name = match endpoint {
        Endpoint::Admin => format!("AzureStack-Admin-{}", app.config.tenant_id),
        Endpoint::Tenant => format!("AzureStack-User-{}", app.config.tenant_id),
    };
    let fqdn = format!("{}.azurestack.external", app.config.region);
    Discovery {
        base,
        login: app.identity.login_endpoint(),
        audiences: vec![audience.clone()],
        graph,
        name,
        tenant,
        identity_provider,
        suffixes: serde_json::json!({
            "storage": fqdn,
            "keyVaultDns": format!("vault.{fqdn}"),
            "acrLoginServer": format!("azsacr.{fqdn}"),
        }),
    }
    .render(api_version)
}
