//! Registration of a stamp with Azure, and CSP customer subscriptions (docs/registration.md, "Core").
//!
//! - `billing`: billing models and the rules between them and the flags;
//! - `version`: stamp build numbers and the `New-RegistrationToken` parameters each build takes;
//! - `token`: reading registration tokens and activation keys (no verification);
//! - `azure`: the Azure Resource Manager operations (registrations, locks, roles, customer subscriptions);
//! - `pep`: the emulated privileged endpoint;
//! - `stamp`: the stamp's activation resource on its admin endpoint;
//! - `status`: a registration beside the stamp's activation (registered, activated, expired, matching).

pub mod azure;
pub mod billing;
pub mod pep;
pub mod stamp;
pub mod status;
pub mod token;
pub mod version;

pub use billing::{BillingModel, RegistrationSettings, ResolvedSettings};
pub use token::{
    ActivationKeyInfo, RegistrationTokenInfo, decode_activation_key, decode_registration_token,
};
pub use version::{StampVersion, token_parameters};
