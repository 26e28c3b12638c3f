//! Service principals and users the identity provider accepts, from a file or generated defaults.

use uuid::Uuid;

/// What a principal may do on the stamp's ARM endpoints.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
pub struct Access {
    /// Reader (or more) on the Default Provider Subscription: may call the admin ARM endpoint.
    #[serde(default)]
    pub admin: bool,
    /// Tenant subscriptions the principal may read through the tenant ARM endpoint; "*" means all.
    #[serde(default)]
    pub subscriptions: Vec<String>,
}

impl Access {
    pub fn can_read_subscription(&self, subscription_id: &str) -> bool {
        self.subscriptions
            .iter()
            .any(|s| s == "*" || s.eq_ignore_ascii_case(subscription_id))
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ServicePrincipal {
    pub name: String,
    pub client_id: Uuid,
    #[serde(default = "Uuid::new_v4")]
    pub object_id: Uuid,
    /// Accepted client secret, if any.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// PEM of the accepted client certificate (for client assertions), if any.
    #[serde(default)]
    pub certificate_pem: Option<String>,
    #[serde(default)]
    pub access: Access,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct User {
    pub upn: String,
    #[serde(default = "Uuid::new_v4")]
    pub object_id: Uuid,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub access: Access,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Principals {
    #[serde(default)]
    pub service_principals: Vec<ServicePrincipal>,
    #[serde(default)]
    pub users: Vec<User>,
}
