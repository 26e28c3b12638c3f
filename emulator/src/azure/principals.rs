//! The Azure directory's generated principals: the operator who registers (a user, for device code sign-in
//! and the refresh token the privileged endpoint needs), a service principal with the same access, and
//! one without access to the subscription.

use uuid::Uuid;

use crate::identity::principals::random_secret;
use crate::identity::{Access, Principals, ServicePrincipal, User};

/// The service principal with access to the registration subscription.
pub const AZURE_OPERATOR_NAME: &str = "azure-operator";
/// The service principal the directory knows but the subscription does not.
pub const AZURE_READER_NAME: &str = "azure-reader";

pub fn defaults(subscription_id: Uuid, tenant_domain: &str) -> Principals {
    let subscription = Access {
        admin: false,
        subscriptions: vec![subscription_id.to_string()],
    };
    let service_principal = |name: &str, access: Access| ServicePrincipal {
        name: name.to_string(),
        client_id: Uuid::new_v4(),
        object_id: Uuid::new_v4(),
        client_secret: Some(random_secret()),
        certificate_pem: None,
        access,
    };
    Principals {
        service_principals: vec![
            service_principal(AZURE_OPERATOR_NAME, subscription.clone()),
            service_principal(AZURE_READER_NAME, Access::default()),
        ],
        users: vec![User {
            upn: format!("operator@{tenant_domain}"),
            object_id: Uuid::new_v4(),
            password: Some(random_secret()),
            access: subscription,
        }],
    }
}
