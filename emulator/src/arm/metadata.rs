//! `GET /metadata/endpoints` of the stamp's admin and tenant endpoints: their login, audience, graph and
//! DNS suffixes, in the document shape `http::discovery` renders.

use crate::http::discovery::Discovery;
use crate::identity::IdentityMode;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Admin,
    Tenant,
}

/// The discovery document of the stamp's `endpoint`.
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
