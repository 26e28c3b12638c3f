//! The anonymous discovery document (`GET /metadata/endpoints`) clients read first, which the stamp and the
//! emulated Azure both serve. `api-version=2019-05-01` and later give the array shape; anything else
//! (2015-01-01, 1.0, none) the original object shape.

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
