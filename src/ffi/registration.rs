//! Registration with Azure and CSP customer subscriptions, over JSON (docs/registration.md, "C ABI").
//!
//! Every function takes its arguments as one JSON object (unknown fields are refused, so a misspelt
//! optional field is an error rather than silently ignored) and writes one library-owned JSON string,
//! freed with `azsb_string_free`, only on success. A resource that does not exist is
//! `AZSB_STATUS_NOT_FOUND`, with the service's code (`ResourceNotFound`, `RegistrationNotFound`, ...) in the
//! error when the service said so. The functions taking an `azsb_client` may be called from several threads
//! at once on the same client; the others hold no state.

use std::ffi::c_char;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::ffi::client::{AzsbClient, client_json};
use crate::ffi::error::{AzsbError, AzsbStatus, finish, finish_json, report, to_json};
use crate::ffi::strings::{borrow_str, to_c};
use azs_billing_core::client::Client;
use azs_billing_core::error::{Error, Result};
use azs_billing_core::registration::azure::{
    self, NewRegistration, Registration, RegistrationQuery, RegistrationRef,
};
use azs_billing_core::registration::billing::{BillingModel, RegistrationSettings};
use azs_billing_core::registration::pep::{self, PepClient, PepOptions};
use azs_billing_core::registration::stamp::Activation;
use azs_billing_core::registration::status::{ActivationView, status};
use azs_billing_core::registration::{stamp, token, version};
use azs_billing_core::secret::Secret;
use azs_billing_core::transport::TransportOptions;

/// Reads a JSON argument into `T`; a shape error names the argument, the field's JSON path and the
/// expected type, never the value (a secret in the wrong field stays out of the message).
fn parse_args<T: DeserializeOwned>(text: &str, what: &'static str) -> Result<T> {
    azs_billing_core::json_args::from_json(text, what)
}

/// The common shape of the client functions: borrow the client, parse the arguments, run, write JSON.
fn client_call<A: DeserializeOwned, R: Serialize>(
    client: *const AzsbClient,
    args_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
    operation: impl FnOnce(&Client, A) -> Result<R>,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let client = try_ref!(client, "client", error_out);
        let args = try_str!(args_json, "args_json", error_out);
        check_out!(json_out, "json_out", error_out);
        let result = parse_args::<A>(args, "args_json")
            .and_then(|args| operation(&client.inner, args))
            .and_then(|value| to_json(&value));
        finish_json(result, json_out, error_out)
    })
}

/// The common shape of the functions of one string: borrow it, run, write JSON.
fn text_call<R: Serialize>(
    text: *const c_char,
    name: &'static str,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
    operation: impl FnOnce(&str) -> Result<R>,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let text = match borrow_str(text, name) {
            Ok(text) => text,
            Err(e) => return report(error_out, e),
        };
        check_out!(json_out, "json_out", error_out);
        let result = operation(text).and_then(|value| to_json(&value));
        finish_json(result, json_out, error_out)
    })
}

/// Decodes a registration token (standard or URL-safe base64, padded or not, surrounding whitespace and a
/// UTF-8 byte order mark ignored) without verifying it. `*json_out` receives {cloud_id, object_id,
/// billing_model, usage_reporting_enabled, marketplace_syndication_enabled, agreement_number, ms_asset_tag,
/// issuer, version, raw}; fields the token lacks are null. A token that does not decode is
/// AZSB_STATUS_INVALID_ARGUMENT (the message never quotes the token).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_registration_token_decode(
    token: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    text_call(
        token,
        "token",
        json_out,
        error_out,
        token::decode_registration_token,
    )
}

/// Decodes an activation key (compact JWS, base64url) without verifying its signature. `*json_out` receives
/// {registration_id, subscription_id, resource_group, registration_name, cloud_id, object_id, billing_model,
/// expires, usage_reporting_enabled, marketplace_syndication_enabled, issuer, version, header, raw}.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_activation_key_decode(
    key: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    text_call(
        key,
        "key",
        json_out,
        error_out,
        token::decode_activation_key,
    )
}

/// Registration settings as the C ABI reads them: the core's settings plus whether the stamp is connected.
/// `warnings` is accepted (and ignored) so that resolved settings can be passed back in.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsArgs {
    billing_model: Option<BillingModel>,
    connected: bool,
    usage_reporting_enabled: Option<bool>,
    marketplace_syndication_enabled: Option<bool>,
    agreement_number: Option<String>,
    ms_asset_tag: Option<String>,
    #[serde(default, rename = "warnings")]
    _warnings: Option<Value>,
}

impl SettingsArgs {
    fn resolve(self) -> Result<azs_billing_core::registration::ResolvedSettings> {
        RegistrationSettings {
            billing_model: self.billing_model,
            usage_reporting_enabled: self.usage_reporting_enabled,
            marketplace_syndication_enabled: self.marketplace_syndication_enabled,
            agreement_number: self.agreement_number,
            ms_asset_tag: self.ms_asset_tag,
        }
        .resolve(self.connected)
    }
}

/// Applies the billing-model rules before anything is sent. In: {billing_model?, connected,
/// usage_reporting_enabled?, marketplace_syndication_enabled?, agreement_number?, ms_asset_tag?}
/// (billing_model: Capacity, PayAsYouUse, Development, Custom or Ruggedized, any case; Development when
/// omitted and connected). Out: the same with every field decided, plus "warnings": [..]. A broken rule is
/// AZSB_STATUS_INVALID_ARGUMENT whose message names the rule and the fix.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_registration_settings_resolve(
    settings_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    text_call(
        settings_json,
        "settings_json",
        json_out,
        error_out,
        |text| parse_args::<SettingsArgs>(text, "settings_json")?.resolve(),
    )
}

/// The parameters of the privileged endpoint's New-RegistrationToken for a stamp build (e.g.
/// "1.2408.0.19"), as a JSON object with PowerShell's names: MsAssetTag only from 1.1912.0.19, TokenVersion
/// only from 1.2008.0.49 ("6.0" above 1.2309.0.4, else "4.0"). `settings_json` is as for
/// azsb_registration_settings_resolve (resolved settings may be passed back in); the rules are applied
/// again. Custom before 1.1912.0.19 is AZSB_STATUS_INVALID_ARGUMENT.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_registration_token_parameters(
    stamp_version: *const c_char,
    settings_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let stamp_version = try_str!(stamp_version, "stamp_version", error_out);
        let settings = try_str!(settings_json, "settings_json", error_out);
        check_out!(json_out, "json_out", error_out);
        let result = (|| {
            let stamp: version::StampVersion = stamp_version.parse()?;
            let resolved = parse_args::<SettingsArgs>(settings, "settings_json")?.resolve()?;
            to_json(&version::token_parameters(stamp, &resolved)?)
        })();
        finish_json(result, json_out, error_out)
    })
}

/// Whether the privileged endpoint's Set-RegistrationKeyPair applies to a stamp: builds after 1.2209.0.23
/// with more than one node (the HCI key pair the original tooling creates before minting the token). Writes
/// the answer to `*needs_out`; a version that is not four dot-separated numbers is
/// AZSB_STATUS_INVALID_ARGUMENT.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_registration_needs_key_pair(
    stamp_version: *const c_char,
    number_of_nodes: u32,
    needs_out: *mut bool,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let stamp_version = try_str!(stamp_version, "stamp_version", error_out);
        check_out!(needs_out, "needs_out", error_out);
        let result = stamp_version
            .parse::<version::StampVersion>()
            .map(|stamp| version::needs_key_pair(stamp, number_of_nodes));
        finish(result, error_out, |needs| {
            // SAFETY: checked non-NULL above; the caller provided storage for one bool.
            unsafe { *needs_out = needs };
        })
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateArgs {
    subscription_id: String,
    #[serde(default = "default_group")]
    resource_group: String,
    location: Option<String>,
    name: String,
    token: Secret,
}

fn default_group() -> String {
    azure::DEFAULT_RESOURCE_GROUP.to_string()
}

/// Registers the stamp with Azure (Register-AzsEnvironment): checks the location against the subscription's,
/// registers the Microsoft.AzureStack provider (waiting until Registered), removes the registration's lock,
/// ensures the resource group, PUTs the registration with the token and locks it again. Re-running
/// converges (same name: renewed). In: {subscription_id, resource_group? ("azurestack"), location? (default:
/// westcentralus, ChinaEast on AzureChinaCloud, usgovvirginia on AzureUSGovernment), name, token}. Out: the
/// registration resource as Azure returns it. Names are given as they are (the library encodes them for the
/// URL) and checked against Azure's rules before anything is sent (AZSB_STATUS_INVALID_ARGUMENT naming the
/// field): a resource group of 1 to 90 letters, digits, '-', '_', '(', ')' and '.' not ending in '.'; a
/// registration name of 1 to 260 characters without '<', '>', '%', '&', ':', '\', '?', '/', '#' or control
/// characters. The same rules apply wherever a function takes these names.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_azure_registration_create(
    client: *const AzsbClient,
    args_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_call(
        client,
        args_json,
        json_out,
        error_out,
        |client, args: CreateArgs| {
            let new = NewRegistration {
                registration: RegistrationRef::new(
                    args.subscription_id,
                    args.resource_group,
                    args.name,
                ),
                location: args.location,
                token: args.token,
            };
            azure::create_registration(client, &new)
        },
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriptionArgs {
    subscription_id: String,
}

/// The locations an Azure subscription offers, as a JSON array of {name, displayName}: the values
/// azsb_azure_registration_create accepts as "location". In: {subscription_id}.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_azure_locations(
    client: *const AzsbClient,
    args_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_call(
        client,
        args_json,
        json_out,
        error_out,
        |client, args: SubscriptionArgs| azure::locations(client, &args.subscription_id),
    )
}

/// Names a registration by its parts or by its resource id (as an activation names it).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GetArgs {
    subscription_id: Option<String>,
    resource_group: Option<String>,
    name: Option<String>,
    registration_id: Option<String>,
}

impl GetArgs {
    fn registration(self) -> Result<RegistrationRef> {
        match (self.registration_id, self.subscription_id, self.name) {
            (Some(id), None, None) if self.resource_group.is_none() => {
                RegistrationRef::from_resource_id(&id)
            }
            (None, Some(subscription_id), Some(name)) => Ok(RegistrationRef::new(
                subscription_id,
                self.resource_group.unwrap_or_else(default_group),
                name,
            )),
            _ => Err(Error::invalid(
                "args_json",
                "give either registration_id (a registration's resource id) or subscription_id, \
                 resource_group and name",
            )),
        }
    }
}

/// One registration. In: {subscription_id, resource_group? ("azurestack"), name} or {registration_id} (the
/// resource id, as the stamp's activation names it). AZSB_STATUS_NOT_FOUND when it does not exist.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_azure_registration_get(
    client: *const AzsbClient,
    args_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_call(
        client,
        args_json,
        json_out,
        error_out,
        |client, args: GetArgs| azure::get_registration(client, &args.registration()?),
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusArgs {
    registration: Registration,
    activation: Option<Activation>,
    activation_key: Option<Secret>,
    stamp_cloud_id: Option<String>,
}

/// A registration beside the stamp's activation (no request is sent). In: {registration (the resource as
/// azsb_azure_registration_get returns it), activation? (as azsb_stamp_activation_get returns it) or
/// activation_key? (the key the stamp was activated with), stamp_cloud_id?}. Out: {name, resource_group,
/// subscription_id, resource_id, billing_model, cloud_id, object_id, state (Registered,
/// RegisteredAndActivated, ActivatedForAnotherRegistration or Expired), activated, activation_registration_id,
/// activation_matches_registration, cloud_id_matches_stamp, usage_reporting_enabled,
/// marketplace_syndication_enabled, expiration}; what was not given is null.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_registration_status(
    args_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    text_call(args_json, "args_json", json_out, error_out, |text| {
        let args = parse_args::<StatusArgs>(text, "args_json")?;
        let view = match (&args.activation, &args.activation_key) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "args_json",
                    "give activation or activation_key, not both",
                ));
            }
            (Some(activation), None) => Some(ActivationView::from(activation)),
            (None, Some(key)) => Some(ActivationView::from(&token::decode_activation_key(
                key.expose(),
            )?)),
            (None, None) => None,
        };
        Ok(status(
            &args.registration,
            view.as_ref(),
            args.stamp_cloud_id.as_deref(),
            chrono::Utc::now(),
        ))
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ListArgs {
    subscription_id: String,
    resource_group: Option<String>,
}

/// The registrations of a resource group, or of the whole subscription when resource_group is omitted, as a
/// JSON array (every page). In: {subscription_id, resource_group?}.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_azure_registration_list(
    client: *const AzsbClient,
    args_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_call(
        client,
        args_json,
        json_out,
        error_out,
        |client, args: ListArgs| {
            azure::list_registrations(
                client,
                &args.subscription_id,
                args.resource_group.as_deref(),
            )
        },
    )
}

/// Finds a registration by name, else by cloud id (given, or read from a registration token). In:
/// {subscription_id, resource_group?, name?, cloud_id?, token?}; without resource_group the whole
/// subscription is searched. AZSB_STATUS_NOT_FOUND when nothing matches; AZSB_STATUS_INVALID_ARGUMENT when
/// none of name, cloud_id and token is given.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_azure_registration_find(
    client: *const AzsbClient,
    args_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_call(
        client,
        args_json,
        json_out,
        error_out,
        |client, query: RegistrationQuery| azure::find_registration(client, &query),
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoveArgs {
    subscription_id: String,
    #[serde(default = "default_group")]
    resource_group: String,
    name: String,
    cloud_id: Option<String>,
}

/// Removes a registration: its lock, the resource, then reads it again to make sure it is gone. In:
/// {subscription_id, resource_group? ("azurestack"), name, cloud_id?}; with cloud_id (the stamp's), a
/// registration of another cloud is refused (AZSB_STATUS_INVALID_ARGUMENT) and left in place, as
/// Remove-AzsRegistration does. Out: {"removed": true|false} (false: there was nothing to remove, which is
/// success). A registration that exists but is still there after the DELETE is an error
/// (AZSB_STATUS_UNEXPECTED_RESPONSE), never false. Does not deactivate the stamp (that is the PEP's Remove-AzureStackActivation).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_azure_registration_remove(
    client: *const AzsbClient,
    args_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_call(
        client,
        args_json,
        json_out,
        error_out,
        |client, args: RemoveArgs| {
            let registration =
                RegistrationRef::new(args.subscription_id, args.resource_group, args.name);
            let removed = match args.cloud_id.as_deref().filter(|c| !c.trim().is_empty()) {
                Some(cloud_id) => {
                    azure::remove_registration_of_cloud(client, &registration, cloud_id)
                }
                None => azure::remove_registration(client, &registration),
            }?;
            Ok(json!({ "removed": removed }))
        },
    )
}

/// The activation key of a registration (POST getactivationkey). In: {subscription_id, resource_group?
/// ("azurestack"), name}. Out: `{"activation_key": "<JWS>"}`; the key is a secret for the stamp's
/// New-AzureStackActivation.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_azure_activation_key(
    client: *const AzsbClient,
    args_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_call(
        client,
        args_json,
        json_out,
        error_out,
        |client, r: RegistrationRef| {
            azure::activation_key(client, &r).map(|key| json!({ "activation_key": key.expose() }))
        },
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleArgs {
    scope: String,
    principal_id: String,
    role_definition_id: Option<String>,
}

/// Gives a principal a role at a scope unless it already has it there (directly or inherited). In: {scope
/// (a resource id), principal_id, role_definition_id? (a GUID or full id; default Azure Stack Registration
/// Owner 6f12a6df-dd06-4f3e-bcb1-ce8be600526a)}. Out: the role assignment, existing or new.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_azure_role_assignment_ensure(
    client: *const AzsbClient,
    args_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_call(
        client,
        args_json,
        json_out,
        error_out,
        |client, args: RoleArgs| {
            azure::ensure_role_assignment(
                client,
                &args.scope,
                &args.principal_id,
                args.role_definition_id.as_deref(),
            )
        },
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerArgs {
    subscription_id: String,
    #[serde(default = "default_group")]
    resource_group: String,
    registration_name: String,
    customer_subscription_id: Option<String>,
    tenant_id: Option<String>,
}

impl CustomerArgs {
    fn registration(&self) -> RegistrationRef {
        RegistrationRef::new(
            &self.subscription_id,
            &self.resource_group,
            &self.registration_name,
        )
    }

    fn customer(&self) -> Result<&str> {
        self.customer_subscription_id
            .as_deref()
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| {
                Error::invalid(
                    "customer_subscription_id",
                    "is required: give the CSP customer's subscription id",
                )
            })
    }
}

/// Maps a CSP customer's subscription to a registration (a PUT replaces an earlier mapping of the same
/// subscription). In: {subscription_id, resource_group? ("azurestack"), registration_name,
/// customer_subscription_id, tenant_id?}. Out: the mapping. The service's refusals keep their codes:
/// RegistrationNotFound (AZSB_STATUS_NOT_FOUND), CustomerSubscriptionsNotAllowed,
/// InvalidCustomerSubscriptionId, InvalidTenantId (AZSB_STATUS_SERVICE).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_azure_customer_subscription_put(
    client: *const AzsbClient,
    args_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_call(
        client,
        args_json,
        json_out,
        error_out,
        |client, args: CustomerArgs| {
            azure::put_customer_subscription(
                client,
                &args.registration(),
                args.customer()?,
                args.tenant_id.as_deref(),
            )
        },
    )
}

/// One customer subscription mapping; In as for _put (tenant_id unused). AZSB_STATUS_NOT_FOUND when the
/// registration or the mapping does not exist (CustomerSubscriptionNotFound).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_azure_customer_subscription_get(
    client: *const AzsbClient,
    args_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_call(
        client,
        args_json,
        json_out,
        error_out,
        |client, args: CustomerArgs| {
            azure::get_customer_subscription(client, &args.registration(), args.customer()?)
        },
    )
}

/// Every customer subscription mapped to a registration, as a JSON array. In: {subscription_id,
/// resource_group? ("azurestack"), registration_name}.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_azure_customer_subscription_list(
    client: *const AzsbClient,
    args_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_call(
        client,
        args_json,
        json_out,
        error_out,
        |client, args: CustomerArgs| {
            azure::list_customer_subscriptions(client, &args.registration())
        },
    )
}

/// Removes a customer subscription mapping. Out: {"removed": true|false} (false: it was not mapped). A
/// missing registration is AZSB_STATUS_NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_azure_customer_subscription_remove(
    client: *const AzsbClient,
    args_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_call(
        client,
        args_json,
        json_out,
        error_out,
        |client, args: CustomerArgs| {
            azure::delete_customer_subscription(client, &args.registration(), args.customer()?)
                .map(|removed| json!({ "removed": removed }))
        },
    )
}

/// The stamp's activation resource (Microsoft.AzureBridge.Admin/activations/default in the Default Provider
/// Subscription), read through a client of the stamp's admin endpoint. AZSB_STATUS_NOT_FOUND when the stamp
/// is not activated; AZSB_STATUS_INVALID_ARGUMENT when the client sees no Default Provider Subscription
/// (not an operator on the admin endpoint).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_stamp_activation_get(
    client: *const AzsbClient,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_json(client, json_out, error_out, stamp::activation)
}

/// The parameters a privileged endpoint command is sent with unless the caller gives them, as a JSON
/// object: {"TimeoutInSeconds":1800} for New-AzureBridgeServicePrincipal and New-AzureStackActivation (they
/// run up to half an hour on a real stamp), {} for the other commands. For callers that reach the PEP
/// themselves (PowerShell remoting) and for azsb_pep_invoke, which sends only what it is given. A name that
/// is not a command (Verb-Noun) is AZSB_STATUS_INVALID_ARGUMENT. Nothing is sent.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_pep_command_defaults(
    command: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    text_call(
        command,
        "command",
        json_out,
        error_out,
        pep::command_defaults,
    )
}

/// Runs one command on the emulated privileged endpoint. `options_json`: {url, username, password,
/// ca_bundle?}; `command`: a command name (Get-AzureStackStampInformation, New-RegistrationToken, ...);
/// `parameters_json`: a JSON object of PowerShell parameters, or NULL for none. Out: `{"output": <what the
/// command returned>}`. A command that fails on the endpoint is AZSB_STATUS_PEP_ERROR with the PowerShell
/// exception type (ParameterBindingException, RuntimeException, CommandNotFoundException, ...) as the
/// error's code; a refused credential is AZSB_STATUS_AUTHENTICATION. No state is kept between calls.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_pep_invoke(
    options_json: *const c_char,
    command: *const c_char,
    parameters_json: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let options = try_str!(options_json, "options_json", error_out);
        let command = try_str!(command, "command", error_out);
        let parameters = if parameters_json.is_null() {
            "{}"
        } else {
            try_str!(parameters_json, "parameters_json", error_out)
        };
        check_out!(json_out, "json_out", error_out);
        let result = (|| {
            let options: PepOptions = parse_args(options, "options_json")?;
            let parameters: Map<String, Value> = parse_args(parameters, "parameters_json")?;
            let pep = PepClient::new(options, &TransportOptions::default())?;
            let output = pep.invoke(command, &parameters)?;
            to_json(&json!({ "output": output }))
        })();
        finish_json(result, json_out, error_out)
    })
}

/// The refresh token of a device-code client (signing in first, with the device code prompt, when it has
/// not yet), for handing to the privileged endpoint's New-AzureBridgeServicePrincipal. `*token_out` is the
/// token itself (not JSON): a secret; free it with azsb_string_free (which wipes it) as soon as it has been
/// passed on. A client whose credential holds none (azsb_client_credential's `holds_refresh_token` is
/// false: every credential but device_code) gets AZSB_STATUS_INVALID_ARGUMENT.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_client_refresh_token(
    client: *const AzsbClient,
    token_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let client = try_ref!(client, "client", error_out);
        check_out!(token_out, "token_out", error_out);
        finish(refresh_token(&client.inner), error_out, |token| {
            // SAFETY: checked non-NULL above.
            unsafe { *token_out = to_c(token.expose()) };
        })
    })
}

fn refresh_token(client: &Client) -> Result<Secret> {
    let tokens = client.tokens();
    if !tokens.credential().holds_refresh_token() {
        return Err(Error::invalid(
            "client",
            format!(
                "a {} client holds no refresh token; connect with a device_code credential (a user's sign-in)",
                tokens.credential().kind()
            ),
        ));
    }
    if let Some(token) = tokens.refresh_token() {
        return Ok(token);
    }
    tokens.token(client.transport(), &client.environment().audience)?;
    tokens.refresh_token().ok_or_else(|| {
        Error::unexpected("the identity provider issued no refresh token with the sign-in")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::error::{
        azsb_error_code, azsb_error_free, azsb_error_message, azsb_error_status,
    };
    use crate::ffi::strings::azsb_string_free;
    use base64::Engine as _;
    use std::ffi::{CStr, CString};

    /// Runs `call` and returns its status, output (as text) and error message.
    fn run(
        call: impl FnOnce(*mut *mut c_char, *mut *mut AzsbError) -> AzsbStatus,
    ) -> (AzsbStatus, Option<String>, Option<String>) {
        let mut out: *mut c_char = std::ptr::null_mut();
        let mut error: *mut AzsbError = std::ptr::null_mut();
        let status = call(&mut out, &mut error);
        let text = (!out.is_null()).then(|| {
            // SAFETY: a string this library returned, read before it is freed.
            let text = unsafe { CStr::from_ptr(out) }
                .to_string_lossy()
                .into_owned();
            azsb_string_free(out);
            text
        });
        let message = (!error.is_null()).then(|| {
            assert_eq!(azsb_error_status(error), status);
            // SAFETY: the message is owned by the live error.
            let text = unsafe { CStr::from_ptr(azsb_error_message(error)) }
                .to_string_lossy()
                .into_owned();
            azsb_error_free(error);
            text
        });
        (status, text, message)
    }

    #[test]
    fn decodes_through_the_boundary() {
        let token = base64::engine::general_purpose::STANDARD.encode(
            br#"{"cloudId":"c-1","billingModel":"Capacity","usageReportingEnabled":false}"#,
        );
        let token = CString::new(format!("\u{feff}{token}\r\n")).unwrap();
        let (status, out, _) = run(|o, e| azsb_registration_token_decode(token.as_ptr(), o, e));
        assert_eq!(status, AzsbStatus::Ok);
        let out: Value = serde_json::from_str(&out.unwrap()).unwrap();
        assert_eq!(out["cloud_id"], "c-1");
        assert_eq!(out["billing_model"], "Capacity");
        assert_eq!(out["usage_reporting_enabled"], false);
        assert_eq!(out["ms_asset_tag"], Value::Null);
        assert_eq!(out["raw"]["cloudId"], "c-1");
    }

    #[test]
    fn status_of_a_registration_beside_its_activation() {
        let id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations/r1";
        let args = CString::new(
            json!({
                "registration": {"id": id, "name": "r1", "properties": {"cloudId": "c-1", "billingModel": "Development"}},
                "activation": {"properties": {"azureRegistrationResourceIdentifier": id, "expiration": "9999-12-30T15:59:59",
                                              "usageReportingEnabled": true, "marketplaceSyndicationEnabled": false}},
                "stamp_cloud_id": "C-1"
            })
            .to_string(),
        )
        .unwrap();
        let (status, out, message) = run(|o, e| azsb_registration_status(args.as_ptr(), o, e));
        assert_eq!(status, AzsbStatus::Ok, "{message:?}");
        let out: Value = serde_json::from_str(&out.unwrap()).unwrap();
        assert_eq!(out["state"], "RegisteredAndActivated");
        assert_eq!(out["resource_group"], "azurestack");
        assert_eq!(out["cloud_id_matches_stamp"], true);
        assert_eq!(out["usage_reporting_enabled"], true);
        assert_eq!(out["expiration"], "9999-12-30T15:59:59Z");

        let both = CString::new(
            json!({"registration": {"id": id, "name": "r1"}, "activation": {}, "activation_key": "a.b.c"}).to_string(),
        )
        .unwrap();
        let (status, _, message) = run(|o, e| azsb_registration_status(both.as_ptr(), o, e));
        assert_eq!(status, AzsbStatus::InvalidArgument);
        assert!(message.unwrap().contains("not both"));
    }

    #[test]
    fn registration_get_takes_parts_or_a_resource_id_but_not_both() {
        let parts = parse_args::<GetArgs>(r#"{"subscription_id":"s","name":"r"}"#, "args_json")
            .unwrap()
            .registration()
            .unwrap();
        assert_eq!(parts.resource_group, "azurestack");
        let by_id = parse_args::<GetArgs>(
            r#"{"registration_id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.AzureStack/registrations/r"}"#,
            "args_json",
        )
        .unwrap()
        .registration()
        .unwrap();
        assert_eq!(
            (
                by_id.subscription_id.as_str(),
                by_id.resource_group.as_str(),
                by_id.name.as_str()
            ),
            ("s", "g", "r")
        );
        for bad in [
            r#"{"registration_id":"/subscriptions/s","subscription_id":"s","name":"r"}"#,
            r#"{"subscription_id":"s"}"#,
            r#"{}"#,
        ] {
            let error = parse_args::<GetArgs>(bad, "args_json")
                .unwrap()
                .registration()
                .unwrap_err();
            assert!(
                error.to_string().contains("registration_id"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn key_pair_gate_by_build_and_nodes() {
        let needs = |version: &str, nodes: u32| {
            let version = CString::new(version).unwrap();
            let mut needs = false;
            let mut error = std::ptr::null_mut();
            let status =
                azsb_registration_needs_key_pair(version.as_ptr(), nodes, &mut needs, &mut error);
            (status, needs)
        };
        assert_eq!(needs("1.2209.0.23", 4), (AzsbStatus::Ok, false));
        assert_eq!(needs("1.2209.0.24", 4), (AzsbStatus::Ok, true));
        assert_eq!(needs("1.2209.0.24", 1), (AzsbStatus::Ok, false));
        assert_eq!(needs("not a version", 4).0, AzsbStatus::InvalidArgument);
        let mut error = std::ptr::null_mut();
        assert_eq!(
            azsb_registration_needs_key_pair(std::ptr::null(), 4, std::ptr::null_mut(), &mut error),
            AzsbStatus::NullPointer
        );
        crate::ffi::error::azsb_error_free(error);
    }

    #[test]
    fn settings_and_parameters() {
        let settings = CString::new(r#"{"billing_model":"capacity","connected":false,"agreement_number":"EA-1","usage_reporting_enabled":true}"#).unwrap();
        let (status, out, _) =
            run(|o, e| azsb_registration_settings_resolve(settings.as_ptr(), o, e));
        assert_eq!(status, AzsbStatus::Ok);
        let resolved = out.unwrap();
        let value: Value = serde_json::from_str(&resolved).unwrap();
        assert_eq!(value["billing_model"], "Capacity");
        assert_eq!(value["usage_reporting_enabled"], false);
        assert_eq!(value["marketplace_syndication_enabled"], false);
        assert_eq!(value["warnings"].as_array().unwrap().len(), 1);
        // Resolved settings go back in as they came out.
        let resolved = CString::new(resolved).unwrap();
        let version = CString::new("1.2008.0.49").unwrap();
        let (status, out, _) = run(|o, e| {
            azsb_registration_token_parameters(version.as_ptr(), resolved.as_ptr(), o, e)
        });
        assert_eq!(status, AzsbStatus::Ok);
        let parameters: Value = serde_json::from_str(&out.unwrap()).unwrap();
        assert_eq!(parameters["TokenVersion"], "4.0");
        assert_eq!(parameters["AgreementNumber"], "EA-1");

        let bad = CString::new(r#"{"billing_model":"PayAsYouUse","connected":false}"#).unwrap();
        let (status, out, message) =
            run(|o, e| azsb_registration_settings_resolve(bad.as_ptr(), o, e));
        assert_eq!(status, AzsbStatus::InvalidArgument);
        assert!(out.is_none());
        assert!(message.unwrap().contains("billing_model"));
        let typo = CString::new(
            r#"{"billing_model":"Development","connected":true,"usage_reporting":true}"#,
        )
        .unwrap();
        let (status, _, message) =
            run(|o, e| azsb_registration_settings_resolve(typo.as_ptr(), o, e));
        assert_eq!(status, AzsbStatus::InvalidArgument);
        assert!(
            message
                .unwrap()
                .contains("unknown field \"usage_reporting\"")
        );
    }

    #[test]
    fn pep_command_defaults_through_the_boundary() {
        let defaults = |command: &str| {
            let command = CString::new(command).unwrap();
            run(|o, e| azsb_pep_command_defaults(command.as_ptr(), o, e))
        };
        let (status, out, _) = defaults("New-AzureStackActivation");
        assert_eq!(status, AzsbStatus::Ok);
        assert_eq!(
            serde_json::from_str::<Value>(&out.unwrap()).unwrap(),
            json!({"TimeoutInSeconds": 1800})
        );
        let (status, out, _) = defaults("Get-AzureStackStampInformation");
        assert_eq!((status, out.as_deref()), (AzsbStatus::Ok, Some("{}")));
        let (status, out, message) = defaults("../x");
        assert_eq!((status, out), (AzsbStatus::InvalidArgument, None));
        assert!(message.unwrap().starts_with("command"));
        let (status, _, _) = run(|o, e| azsb_pep_command_defaults(std::ptr::null(), o, e));
        assert_eq!(status, AzsbStatus::NullPointer);
    }

    #[test]
    fn misuse_is_reported_not_crashed() {
        let (status, _, message) =
            run(|o, e| azsb_registration_token_decode(std::ptr::null(), o, e));
        assert_eq!(status, AzsbStatus::NullPointer);
        assert_eq!(message.unwrap(), "token must not be NULL");
        let invalid = [0xffu8, 0xfe, 0];
        let (status, _, _) = run(|o, e| azsb_activation_key_decode(invalid.as_ptr().cast(), o, e));
        assert_eq!(status, AzsbStatus::InvalidUtf8);
        let key = CString::new("a.b").unwrap();
        let (status, _, _) =
            run(|_, e| azsb_activation_key_decode(key.as_ptr(), std::ptr::null_mut(), e));
        assert_eq!(status, AzsbStatus::NullPointer);
        let args = CString::new("{").unwrap();
        let (status, _, message) =
            run(|o, e| azsb_azure_registration_get(std::ptr::null(), args.as_ptr(), o, e));
        assert_eq!(status, AzsbStatus::NullPointer, "{message:?}");
        let options =
            CString::new(r#"{"url":"https://127.0.0.1:1/","username":"u","password":"p"}"#)
                .unwrap();
        let command = CString::new("Get-AzureStackStampInformation").unwrap();
        let parameters = CString::new("[1]").unwrap();
        let (status, _, message) = run(|o, e| {
            azsb_pep_invoke(
                options.as_ptr(),
                command.as_ptr(),
                parameters.as_ptr(),
                o,
                e,
            )
        });
        assert_eq!(status, AzsbStatus::InvalidArgument);
        assert!(message.unwrap().starts_with("parameters_json"));
        // An error with no code has a NULL code.
        let mut error: *mut AzsbError = std::ptr::null_mut();
        let mut out: *mut c_char = std::ptr::null_mut();
        azsb_registration_token_decode(args.as_ptr(), &mut out, &mut error);
        assert!(azsb_error_code(error).is_null());
        azsb_error_free(error);
    }
}
