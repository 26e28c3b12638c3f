//! `GET /metadata/endpoints`: the anonymous discovery document clients read first. `api-version=2019-05-01`
//! and later give the array shape; anything else (2015-01-01, 1.0, none) the original object shape.

use crate::identity::IdentityMode;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Admin,
    Tenant,
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
    let login = app.identity.login_endpoint();
    let mode = app.config.identity_mode;
    let graph = match mode {
        IdentityMode::Aad => "https://graph.windows.net/".to_string(),
        IdentityMode::Adfs => format!("{}graph/", app.urls.identity),
    };
    let array_shape = api_version.is_some_and(|v| {
        v.get(..4)
            .and_then(|y| y.parse::<u32>().ok())
            .is_some_and(|y| y >= 2019)
    });
    if !array_shape {
        return serde_json::json!({
            "galleryEndpoint": base,
            "graphEndpoint": graph,
            "portalEndpoint": base,
            "authentication": { "loginEndpoint": login, "audiences": [audience] },
        });
    }
    let (tenant, provider) = match mode {
        IdentityMode::Aad => (app.config.tenant_id.to_string(), "AAD"),
        IdentityMode::Adfs => ("adfs".to_string(), "ADFS"),
    };
    let name = match endpoint {
        Endpoint::Admin => format!("AzureStack-Admin-{}", app.config.tenant_id),
        Endpoint::Tenant => format!("AzureStack-User-{}", app.config.tenant_id),
    };
    let fqdn = format!("{}.azurestack.external", app.config.region);
    // Azure Stack Hub leaves out resourceManager: clients fill it from the URL they asked.
    serde_json::json!([{
        "name": name,
        "portal": base,
        "authentication": {
            "loginEndpoint": login,
            "audiences": [audience],
            "tenant": tenant,
            "identityProvider": provider,
        },
        "graph": graph,
        "graphAudience": graph,
        "suffixes": {
            "storage": fqdn,
            "keyVaultDns": format!("vault.{fqdn}"),
            "acrLoginServer": format!("azsacr.{fqdn}"),
        },
    }])
}
