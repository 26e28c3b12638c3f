//! The Azure side of registration: typed operations on a `Client` pointed at an Azure Resource Manager
//! endpoint (public Azure, a sovereign cloud, or the emulator's Azure listener). Every operation converges
//! when repeated (reference §2.1 step 8, §2.2, §2.5, §6, §7): an existing group is kept, the lock is
//! removed before the registration is written and put back after, a role assignment already present is
//! reused, deleting what is already gone succeeds, and a delete is verified by reading the resource again.
//!
//! api-versions: `Microsoft.AzureStack` 2017-06-01 (the original tooling's), locks 2016-09-01, role
//! assignments and definitions 2022-04-01, resource groups and providers 2021-04-01, subscriptions and
//! locations 2022-12-01.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::arm;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::registration::token::decode_registration_token;
use crate::secret::Secret;
use crate::transport::Method;

pub const AZURESTACK_API_VERSION: &str = "2017-06-01";
pub const LOCKS_API_VERSION: &str = "2016-09-01";
pub const AUTHORIZATION_API_VERSION: &str = "2022-04-01";
pub const RESOURCES_API_VERSION: &str = "2021-04-01";
pub const SUBSCRIPTIONS_API_VERSION: &str = "2022-12-01";

pub const PROVIDER_NAMESPACE: &str = "Microsoft.AzureStack";
/// The built-in role the bridge service principal gets on its registration.
pub const REGISTRATION_OWNER_ROLE: &str = "6f12a6df-dd06-4f3e-bcb1-ce8be600526a";
/// The lock the original tooling puts on a registration (and removes before changing it).
pub const LOCK_NAME: &str = "RegistrationResourceLock";
/// The resource group the original tooling uses when none is given.
pub const DEFAULT_RESOURCE_GROUP: &str = "azurestack";

/// How long to wait for the provider to become Registered, and how often to look.
const PROVIDER_WAIT: Duration = Duration::from_secs(600);
const PROVIDER_POLL: Duration = Duration::from_secs(5);
/// Reads after a delete before deciding it did not take (ARM may answer from a replica for a moment).
const VERIFY_ATTEMPTS: u32 = 3;
const VERIFY_WAIT: Duration = Duration::from_secs(2);

/// A `Microsoft.AzureStack/registrations` resource.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub resource_type: Option<String>,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub kind: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub properties: RegistrationProperties,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationProperties {
    /// The object id of the identity the stamp connects to Azure with (the bridge service principal).
    pub object_id: Option<String>,
    pub cloud_id: Option<String>,
    pub billing_model: Option<String>,
}

/// A `registrations/customerSubscriptions` resource: a CSP customer's subscription whose usage on the
/// stamp is billed to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerSubscription {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub resource_type: Option<String>,
    pub etag: Option<String>,
    #[serde(default)]
    pub properties: CustomerSubscriptionProperties,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerSubscriptionProperties {
    pub tenant_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroup {
    pub id: Option<String>,
    pub name: String,
    pub location: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub name: String,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provider {
    pub namespace: Option<String>,
    pub registration_state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lock {
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub properties: LockProperties,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LockProperties {
    pub level: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RoleAssignment {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub properties: RoleAssignmentProperties,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentProperties {
    pub role_definition_id: Option<String>,
    pub principal_id: Option<String>,
    pub scope: Option<String>,
}

/// Names one registration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRef {
    pub subscription_id: String,
    #[serde(default = "default_resource_group")]
    pub resource_group: String,
    pub name: String,
}

fn default_resource_group() -> String {
    DEFAULT_RESOURCE_GROUP.to_string()
}

impl RegistrationRef {
    pub fn new(
        subscription_id: impl Into<String>,
        resource_group: impl Into<String>,
        name: impl Into<String>,
    ) -> RegistrationRef {
        RegistrationRef {
            subscription_id: subscription_id.into(),
            resource_group: resource_group.into(),
            name: name.into(),
        }
    }

    /// The subscription, group and name, checked against ARM's rules (nothing is encoded).
    fn parts(&self) -> Result<(String, &str, &str)> {
        Ok((
            arm::guid("subscription_id", &self.subscription_id)?,
            arm::resource_group_name("resource_group", &self.resource_group)?,
            arm::resource_name("name", "registration", &self.name)?,
        ))
    }

    /// The resource id, checked and percent-encoded for a URL, without the leading '/'.
    pub fn path(&self) -> Result<String> {
        let (subscription, group, name) = self.parts()?;
        Ok(format!(
            "subscriptions/{subscription}/resourceGroups/{}/providers/{PROVIDER_NAMESPACE}/registrations/{}",
            arm::encode(group),
            arm::encode(name)
        ))
    }

    /// The resource id as Azure writes it (names as they are, not encoded): what a scope argument takes.
    pub fn resource_id(&self) -> Result<String> {
        let (subscription, group, name) = self.parts()?;
        Ok(format!(
            "/subscriptions/{subscription}/resourceGroups/{group}/providers/{PROVIDER_NAMESPACE}/registrations/{name}"
        ))
    }

    fn describe(&self) -> String {
        format!(
            "registration '{}' in resource group '{}' of subscription {}",
            self.name.trim(),
            self.resource_group.trim(),
            self.subscription_id.trim()
        )
    }
}

/// What `create_registration` needs.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    pub registration: RegistrationRef,
    /// Where the resource group is created when it does not exist (the registration itself is `global`);
    /// None: the original tooling's default for the client's cloud (`default_location`).
    pub location: Option<String>,
    /// The token from the privileged endpoint's `New-RegistrationToken`.
    pub token: Secret,
}

fn subscription_path(subscription_id: &str) -> Result<String> {
    Ok(format!(
        "subscriptions/{}",
        arm::guid("subscription_id", subscription_id)?
    ))
}

fn group_path(subscription_id: &str, resource_group: &str) -> Result<String> {
    Ok(format!(
        "{}/resourceGroups/{}",
        subscription_path(subscription_id)?,
        arm::encode(arm::resource_group_name("resource_group", resource_group)?)
    ))
}

/// The locations the subscription can use.
pub fn locations(client: &Client, subscription_id: &str) -> Result<Vec<Location>> {
    let path = format!("{}/locations", subscription_path(subscription_id)?);
    let url = arm::url(client, &path, SUBSCRIPTIONS_API_VERSION, &[])?;
    arm::list(client, &url, || {
        format!("the locations of subscription {}", subscription_id.trim())
    })
}

/// The resource group location RegisterWithAzure.psm1 defaults to for a cloud: westcentralus for AzureCloud
/// and custom clouds, ChinaEast for AzureChinaCloud, usgovvirginia for AzureUSGovernment.
pub fn default_location(environment_name: &str) -> &'static str {
    match environment_name {
        n if n.eq_ignore_ascii_case("AzureChinaCloud") => "ChinaEast",
        n if n.eq_ignore_ascii_case("AzureUSGovernment") => "usgovvirginia",
        _ => "westcentralus",
    }
}

/// Refuses a location the subscription does not offer (case-insensitive, by name or display name), before
/// anything is written: the original's `UnknownResourceGroupLocation`.
pub fn check_location(client: &Client, subscription_id: &str, location: &str) -> Result<String> {
    let wanted = location.trim();
    if wanted.is_empty() {
        return Err(Error::invalid(
            "location",
            "must not be empty; give the Azure region the resource group lives in (like westcentralus)",
        ));
    }
    let known = locations(client, subscription_id)?;
    let matches = |l: &Location| {
        l.name.eq_ignore_ascii_case(wanted)
            || l.display_name
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case(wanted))
    };
    match known.iter().find(|l| matches(l)) {
        Some(l) => Ok(l.name.clone()),
        None => Err(Error::invalid(
            "location",
            format!(
                "UnknownResourceGroupLocation: '{wanted}' is not a location of subscription {}; use one of: {}",
                subscription_id.trim(),
                known
                    .iter()
                    .map(|l| l.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// The resource group, or None.
pub fn get_resource_group(
    client: &Client,
    subscription_id: &str,
    resource_group: &str,
) -> Result<Option<ResourceGroup>> {
    let url = arm::url(
        client,
        &group_path(subscription_id, resource_group)?,
        RESOURCES_API_VERSION,
        &[],
    )?;
    arm::find(client, &url, || {
        format!("resource group '{resource_group}'")
    })
}

/// The resource group, created in `location` when it does not exist; an existing group is kept as it is.
pub fn ensure_resource_group(
    client: &Client,
    subscription_id: &str,
    resource_group: &str,
    location: &str,
) -> Result<ResourceGroup> {
    if let Some(group) = get_resource_group(client, subscription_id, resource_group)? {
        log::debug!("resource group '{resource_group}' exists; kept as it is");
        return Ok(group);
    }
    log::info!(
        "creating resource group '{resource_group}' in {}",
        location.trim()
    );
    let url = arm::url(
        client,
        &group_path(subscription_id, resource_group)?,
        RESOURCES_API_VERSION,
        &[],
    )?;
    arm::write(
        client,
        Method::Put,
        &url,
        &json!({ "location": location.trim() }),
        || format!("creating resource group '{resource_group}'"),
    )
}

/// Registers `Microsoft.AzureStack` with the subscription and waits (bounded) until it is Registered.
pub fn register_provider(client: &Client, subscription_id: &str) -> Result<Provider> {
    register_provider_within(client, subscription_id, PROVIDER_WAIT, PROVIDER_POLL)
}

fn is_registered(provider: &Provider) -> bool {
    provider
        .registration_state
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("Registered"))
}

pub fn register_provider_within(
    client: &Client,
    subscription_id: &str,
    wait: Duration,
    poll: Duration,
) -> Result<Provider> {
    let path = format!(
        "{}/providers/{PROVIDER_NAMESPACE}",
        subscription_path(subscription_id)?
    );
    let what = || format!("resource provider {PROVIDER_NAMESPACE}");
    let get_url = arm::url(client, &path, RESOURCES_API_VERSION, &[])?;
    let provider: Provider = arm::get(client, &get_url, what)?;
    if is_registered(&provider) {
        log::debug!(
            "{PROVIDER_NAMESPACE} is registered with subscription {}",
            subscription_id.trim()
        );
        return Ok(provider);
    }
    log::info!(
        "registering {PROVIDER_NAMESPACE} with subscription {} (it is '{}'); waiting up to {} s",
        subscription_id.trim(),
        provider.registration_state.as_deref().unwrap_or("unknown"),
        wait.as_secs()
    );
    let register_url = arm::url(
        client,
        &format!("{path}/register"),
        RESOURCES_API_VERSION,
        &[],
    )?;
    let mut provider: Provider = arm::write(client, Method::Post, &register_url, &json!({}), what)?;
    let started = Instant::now();
    while !is_registered(&provider) {
        if started.elapsed() >= wait {
            return Err(Error::UnexpectedResponse(format!(
                "{PROVIDER_NAMESPACE} is still '{}' in subscription {} after {} s; try again later",
                provider.registration_state.as_deref().unwrap_or("unknown"),
                subscription_id.trim(),
                wait.as_secs()
            )));
        }
        log::debug!(
            "{PROVIDER_NAMESPACE} is '{}'; asking again in {} ms",
            provider.registration_state.as_deref().unwrap_or("unknown"),
            poll.as_millis()
        );
        std::thread::sleep(poll);
        provider = arm::get(client, &get_url, what)?;
    }
    Ok(provider)
}

fn lock_url(client: &Client, scope_path: &str, name: &str) -> Result<url::Url> {
    let path = format!(
        "{scope_path}/providers/Microsoft.Authorization/locks/{}",
        arm::segment("lock_name", name)?
    );
    arm::url(client, &path, LOCKS_API_VERSION, &[])
}

/// A management lock at a scope (a resource id), or None.
pub fn get_lock(client: &Client, scope: &str, name: &str) -> Result<Option<Lock>> {
    let url = lock_url(client, &arm::scope("scope", scope)?, name)?;
    arm::find(client, &url, || format!("lock '{name}'"))
}

/// Puts a `CanNotDelete` (or `ReadOnly`) lock at a scope; an existing lock of that name is replaced.
pub fn put_lock(
    client: &Client,
    scope: &str,
    name: &str,
    level: &str,
    notes: &str,
) -> Result<Lock> {
    let url = lock_url(client, &arm::scope("scope", scope)?, name)?;
    log::info!("putting {level} lock '{name}' on {}", scope.trim());
    arm::write(
        client,
        Method::Put,
        &url,
        &json!({ "properties": { "level": level, "notes": notes } }),
        || format!("putting lock '{name}'"),
    )
}

/// Removes a lock; false when there was none (a missing scope counts as none).
pub fn delete_lock(client: &Client, scope: &str, name: &str) -> Result<bool> {
    let url = lock_url(client, &arm::scope("scope", scope)?, name)?;
    let deleted = arm::delete(client, &url, true, || format!("lock '{name}'"))?;
    if deleted {
        log::info!("removed lock '{name}' from {}", scope.trim());
    } else {
        log::debug!("no lock '{name}' on {}", scope.trim());
    }
    Ok(deleted)
}

fn registration_url(client: &Client, registration: &RegistrationRef) -> Result<url::Url> {
    arm::url(client, &registration.path()?, AZURESTACK_API_VERSION, &[])
}

pub fn get_registration(client: &Client, registration: &RegistrationRef) -> Result<Registration> {
    arm::get(client, &registration_url(client, registration)?, || {
        registration.describe()
    })
}

/// The registrations in a resource group, or in the whole subscription when `resource_group` is None.
pub fn list_registrations(
    client: &Client,
    subscription_id: &str,
    resource_group: Option<&str>,
) -> Result<Vec<Registration>> {
    let scope = match resource_group {
        Some(group) => group_path(subscription_id, group)?,
        None => subscription_path(subscription_id)?,
    };
    let path = format!("{scope}/providers/{PROVIDER_NAMESPACE}/registrations");
    let url = arm::url(client, &path, AZURESTACK_API_VERSION, &[])?;
    arm::list(client, &url, || match resource_group {
        Some(group) => format!("the registrations of resource group '{group}'"),
        None => format!(
            "the registrations of subscription {}",
            subscription_id.trim()
        ),
    })
}

fn registration_body(token: &Secret) -> Value {
    json!({ "location": "global", "properties": { "registrationToken": token.expose() } })
}

/// PUT of the registration (creates, or renews with a new token).
pub fn put_registration(
    client: &Client,
    registration: &RegistrationRef,
    token: &Secret,
) -> Result<Registration> {
    log::info!("putting {}", registration.describe());
    arm::write(
        client,
        Method::Put,
        &registration_url(client, registration)?,
        &registration_body(token),
        || registration.describe(),
    )
}

/// PATCH of the registration with a new token and, optionally, tags.
pub fn patch_registration(
    client: &Client,
    registration: &RegistrationRef,
    token: &Secret,
    tags: Option<&BTreeMap<String, String>>,
) -> Result<Registration> {
    let mut body = registration_body(token);
    if let Some(tags) = tags {
        body["tags"] = json!(tags);
    }
    log::info!("updating {} with a new token", registration.describe());
    arm::write(
        client,
        Method::Patch,
        &registration_url(client, registration)?,
        &body,
        || registration.describe(),
    )
}

fn lock_notes(name: &str) -> String {
    format!(
        "Registration resource {} is needed for syndication. Placing resource lock to prevent accidental deletion.",
        name.trim()
    )
}

/// `Register-AzsEnvironment` / the Azure part of `Set-AzsRegistration`: checks the location, registers the
/// provider, removes the registration's lock, ensures the group, PUTs the registration and locks it again.
/// Re-running with the same name renews it.
pub fn create_registration(client: &Client, new: &NewRegistration) -> Result<Registration> {
    let registration = &new.registration;
    // Everything that can be checked is checked before the first write.
    let resource_id = registration.resource_id()?;
    if new.token.expose().trim().is_empty() {
        return Err(Error::invalid(
            "token",
            "must not be empty; give the token from New-RegistrationToken",
        ));
    }
    let location = match &new.location {
        Some(location) => location.as_str(),
        None => default_location(&client.environment().name),
    };
    let location = check_location(client, &registration.subscription_id, location)?;
    log::info!(
        "creating {} (resource group location {location})",
        registration.describe()
    );
    register_provider(client, &registration.subscription_id)?;
    delete_lock(client, &resource_id, LOCK_NAME)?;
    ensure_resource_group(
        client,
        &registration.subscription_id,
        &registration.resource_group,
        &location,
    )?;
    let created = put_registration(client, registration, &new.token)?;
    put_lock(
        client,
        &resource_id,
        LOCK_NAME,
        "CanNotDelete",
        &lock_notes(&registration.name),
    )?;
    Ok(created)
}

/// Removes the registration: reads it, removes its lock and the resource, then reads it again to be sure it
/// is gone. `Ok(false)` only when there was nothing to remove; a registration that is found but still
/// there after the DELETE (whatever the DELETE answered) is an error, never `false`.
pub fn remove_registration(client: &Client, registration: &RegistrationRef) -> Result<bool> {
    let resource_id = registration.resource_id()?;
    let url = registration_url(client, registration)?;
    if arm::find::<Registration>(client, &url, || registration.describe())?.is_none() {
        log::info!(
            "{} does not exist; nothing to remove",
            registration.describe()
        );
        return Ok(false);
    }
    log::info!("removing {}", registration.describe());
    delete_lock(client, &resource_id, LOCK_NAME)?;
    let deleted = arm::delete(client, &url, true, || registration.describe())?;
    for attempt in 1..=VERIFY_ATTEMPTS {
        log::debug!(
            "checking that {} is gone ({attempt} of {VERIFY_ATTEMPTS})",
            registration.describe()
        );
        match get_registration(client, registration) {
            Err(e) if e.is_not_found() => return Ok(true),
            Err(e) => return Err(e),
            Ok(_) if attempt < VERIFY_ATTEMPTS => std::thread::sleep(VERIFY_WAIT),
            Ok(_) => {}
        }
    }
    let answer = if deleted {
        "the DELETE was accepted"
    } else {
        "the DELETE answered that there was nothing to delete"
    };
    Err(Error::UnexpectedResponse(format!(
        "Removal of registration resource failed: {} still exists after DELETE ({answer}); check for a lock on \
         it, its group or the subscription, and remove it in the portal if this repeats",
        registration.describe()
    )))
}

/// `Remove-AzsRegistration`'s removal: as `remove_registration`, but only when the registration belongs to
/// the stamp's `cloud_id` (a name reused for another stamp must not be deleted by this one). A registration
/// that is already gone is `Ok(false)`.
pub fn remove_registration_of_cloud(
    client: &Client,
    registration: &RegistrationRef,
    cloud_id: &str,
) -> Result<bool> {
    let found = match get_registration(client, registration) {
        Ok(found) => found,
        Err(e) if e.is_not_found() => return Ok(false),
        Err(e) => return Err(e),
    };
    let theirs = found
        .properties
        .cloud_id
        .as_deref()
        .unwrap_or_default()
        .trim();
    if !theirs.eq_ignore_ascii_case(cloud_id.trim()) {
        return Err(Error::invalid(
            "cloud_id",
            format!(
                "The registration resource found does not correlate the current environment's Cloud-Id: {} \
                 belongs to cloud '{theirs}', this stamp is '{}'; check the subscription, resource group and \
                 name (the portal's Region management > Properties shows them)",
                registration.describe(),
                cloud_id.trim()
            ),
        ));
    }
    remove_registration(client, registration)
}

/// How to find a registration when its name may not be known.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationQuery {
    pub subscription_id: String,
    /// Search one group; None searches the whole subscription.
    pub resource_group: Option<String>,
    pub name: Option<String>,
    pub cloud_id: Option<String>,
    /// A registration token to take the cloud id from when `cloud_id` is not given.
    pub token: Option<Secret>,
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The registration matched by name, else by cloud id (given, or read from the token): what
/// `Unregister-AzsEnvironment` meant to do. The original compared against an undefined variable, so its
/// cloud-id search never matched; here it compares the stamp's cloud id from the arguments.
pub fn find_registration(client: &Client, query: &RegistrationQuery) -> Result<Registration> {
    let name = non_empty(&query.name);
    let token = query
        .token
        .as_ref()
        .map(Secret::expose)
        .filter(|t| !t.trim().is_empty());
    let cloud_id = match (non_empty(&query.cloud_id), token) {
        (Some(id), _) => Some(id.to_string()),
        (None, Some(token)) => Some(decode_registration_token(token)?.cloud_id),
        (None, None) => None,
    };
    if name.is_none() && cloud_id.is_none() {
        return Err(Error::invalid(
            "name",
            "Unable to find registration resource with the given parameters: give name, cloud_id or token",
        ));
    }
    let group = non_empty(&query.resource_group);
    // What was searched, for the log and for the error when nothing matches.
    let searched = format!(
        "subscription {}{}{}{}",
        query.subscription_id.trim(),
        group
            .map(|g| format!(", resource group '{g}'"))
            .unwrap_or_default(),
        name.map(|n| format!(", name '{n}'")).unwrap_or_default(),
        cloud_id
            .as_deref()
            .map(|c| format!(", cloud id {c}"))
            .unwrap_or_default(),
    );
    log::debug!("finding a registration ({searched})");
    let candidates = match (name, group) {
        (Some(name), Some(group)) => {
            let direct = RegistrationRef::new(&query.subscription_id, group, name);
            match get_registration(client, &direct) {
                Ok(found) => return Ok(found),
                Err(e) if e.is_not_found() && cloud_id.is_some() => {
                    list_registrations(client, &query.subscription_id, Some(group))?
                }
                Err(e) => return Err(e),
            }
        }
        _ => list_registrations(client, &query.subscription_id, group)?,
    };
    if let Some(name) = name
        && let Some(found) = candidates
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
    {
        return Ok(found.clone());
    }
    if let Some(cloud_id) = &cloud_id {
        for candidate in &candidates {
            // Lists may leave properties out; read the resource itself then.
            let full = match candidate.properties.cloud_id {
                Some(_) => candidate.clone(),
                None => arm::get(
                    client,
                    &arm::url(
                        client,
                        candidate.id.trim_start_matches('/'),
                        AZURESTACK_API_VERSION,
                        &[],
                    )?,
                    || format!("registration '{}'", candidate.name),
                )?,
            };
            if full
                .properties
                .cloud_id
                .as_deref()
                .is_some_and(|c| c.trim().eq_ignore_ascii_case(cloud_id))
            {
                return Ok(full);
            }
        }
    }
    Err(Error::NotFound {
        message: format!(
            "Registration resource not found in Azure with the provided parameters ({searched})"
        ),
        service: None,
    })
}

/// `POST .../getactivationkey`: the key the stamp's `New-AzureStackActivation` takes.
pub fn activation_key(client: &Client, registration: &RegistrationRef) -> Result<Secret> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        activation_key: Option<String>,
    }
    let url = arm::url(
        client,
        &format!("{}/getactivationkey", registration.path()?),
        AZURESTACK_API_VERSION,
        &[],
    )?;
    log::info!(
        "requesting the activation key of {}",
        registration.describe()
    );
    let answer: Answer = arm::write(client, Method::Post, &url, &json!({}), || {
        registration.describe()
    })?;
    answer
        .activation_key
        .filter(|k| !k.trim().is_empty())
        .map(Secret::new)
        .ok_or_else(|| {
            Error::UnexpectedResponse("getactivationkey answered without an activationKey".into())
        })
}

/// A role given as a GUID, or as a full role definition id.
fn role_definition_id(scope_path: &str, role: Option<&str>) -> Result<(String, String)> {
    let role = role
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or(REGISTRATION_OWNER_ROLE);
    let guid_part = role.rsplit('/').next().unwrap_or(role);
    let guid = arm::guid("role_definition_id", guid_part)?;
    let full = if role.contains('/') {
        role.to_string()
    } else {
        let subscription = arm::scope_subscription(scope_path).unwrap_or_default();
        format!(
            "/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        )
    };
    Ok((full, guid))
}

fn assignments_for(
    client: &Client,
    scope_path: &str,
    principal_id: &str,
    role_guid: &str,
) -> Result<Option<RoleAssignment>> {
    let url = arm::url(
        client,
        &format!("{scope_path}/providers/Microsoft.Authorization/roleAssignments"),
        AUTHORIZATION_API_VERSION,
        &[("$filter", &format!("principalId eq '{principal_id}'"))],
    )?;
    let assignments: Vec<RoleAssignment> =
        arm::list(client, &url, || "role assignments".to_string())?;
    Ok(assignments.into_iter().find(|a| {
        let principal = a.properties.principal_id.as_deref().unwrap_or_default();
        let role = a
            .properties
            .role_definition_id
            .as_deref()
            .unwrap_or_default();
        principal.eq_ignore_ascii_case(principal_id)
            && role
                .rsplit('/')
                .next()
                .is_some_and(|g| g.eq_ignore_ascii_case(role_guid))
    }))
}

/// Gives `principal_id` the role (default: Azure Stack Registration Owner) at `scope`, unless it already
/// has it there (directly or inherited); returns the assignment either way.
pub fn ensure_role_assignment(
    client: &Client,
    scope: &str,
    principal_id: &str,
    role: Option<&str>,
) -> Result<RoleAssignment> {
    let scope_path = arm::scope("scope", scope)?;
    let principal_id = arm::guid("principal_id", principal_id)?;
    let (role_id, role_guid) = role_definition_id(&scope_path, role)?;
    if let Some(existing) = assignments_for(client, &scope_path, &principal_id, &role_guid)? {
        log::debug!(
            "principal {principal_id} already has role {role_guid} at {}",
            scope.trim()
        );
        return Ok(existing);
    }
    log::info!(
        "assigning role {role_guid} to principal {principal_id} at {}",
        scope.trim()
    );
    let url = arm::url(
        client,
        &format!(
            "{scope_path}/providers/Microsoft.Authorization/roleAssignments/{}",
            uuid::Uuid::new_v4()
        ),
        AUTHORIZATION_API_VERSION,
        &[],
    )?;
    let body =
        json!({ "properties": { "roleDefinitionId": role_id, "principalId": principal_id } });
    match arm::write(client, Method::Put, &url, &body, || {
        "role assignment".to_string()
    }) {
        Ok(created) => Ok(created),
        // Another run assigned it meanwhile, or the list did not show it yet: take the one that exists.
        Err(Error::Service(e)) if e.code.as_deref() == Some("RoleAssignmentExists") => {
            assignments_for(client, &scope_path, &principal_id, &role_guid)?
                .ok_or(Error::Service(e))
        }
        Err(e) => Err(e),
    }
}

fn customer_subscriptions_path(registration: &RegistrationRef) -> Result<String> {
    Ok(format!("{}/customerSubscriptions", registration.path()?))
}

fn customer_subscription_url(
    client: &Client,
    registration: &RegistrationRef,
    customer_subscription_id: &str,
) -> Result<url::Url> {
    let path = format!(
        "{}/{}",
        customer_subscriptions_path(registration)?,
        arm::encode(arm::resource_name(
            "customer_subscription_id",
            "customer subscription",
            customer_subscription_id
        )?)
    );
    arm::url(client, &path, AZURESTACK_API_VERSION, &[])
}

/// Maps a CSP customer's subscription to the registration (a PUT replaces an earlier mapping). The id is
/// sent as given: the service decides what is a valid subscription (`InvalidCustomerSubscriptionId`).
pub fn put_customer_subscription(
    client: &Client,
    registration: &RegistrationRef,
    customer_subscription_id: &str,
    tenant_id: Option<&str>,
) -> Result<CustomerSubscription> {
    let url = customer_subscription_url(client, registration, customer_subscription_id)?;
    log::info!(
        "mapping customer subscription {} to {}",
        customer_subscription_id.trim(),
        registration.describe()
    );
    let mut properties = serde_json::Map::new();
    if let Some(tenant) = tenant_id.map(str::trim).filter(|t| !t.is_empty()) {
        properties.insert("tenantId".into(), tenant.into());
    }
    let response = arm::send(
        client,
        Method::Put,
        &url,
        Some(&json!({ "properties": properties })),
        || registration.describe(),
    )?;
    // The CSP docs show 201 with no body; then the mapping is read back.
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return get_customer_subscription(client, registration, customer_subscription_id);
    }
    arm::parse(&response, "customer subscription")
}

pub fn get_customer_subscription(
    client: &Client,
    registration: &RegistrationRef,
    customer_subscription_id: &str,
) -> Result<CustomerSubscription> {
    let url = customer_subscription_url(client, registration, customer_subscription_id)?;
    arm::get(client, &url, || {
        format!(
            "customer subscription {} of {}",
            customer_subscription_id.trim(),
            registration.describe()
        )
    })
}

pub fn list_customer_subscriptions(
    client: &Client,
    registration: &RegistrationRef,
) -> Result<Vec<CustomerSubscription>> {
    let url = arm::url(
        client,
        &customer_subscriptions_path(registration)?,
        AZURESTACK_API_VERSION,
        &[],
    )?;
    arm::list(client, &url, || registration.describe())
}

/// Removes a mapping; false when there was none. A missing registration is `NotFound`.
pub fn delete_customer_subscription(
    client: &Client,
    registration: &RegistrationRef,
    customer_subscription_id: &str,
) -> Result<bool> {
    let url = customer_subscription_url(client, registration, customer_subscription_id)?;
    log::info!(
        "removing customer subscription {} from {}",
        customer_subscription_id.trim(),
        registration.describe()
    );
    arm::delete(client, &url, false, || registration.describe())
}

#[cfg(test)]
mod tests {

    #[test]
    fn default_location_follows_the_original_per_cloud() {
        assert_eq!(default_location("AzureCloud"), "westcentralus");
        assert_eq!(default_location("azurechinacloud"), "ChinaEast");
        assert_eq!(default_location("AzureUSGovernment"), "usgovvirginia");
        assert_eq!(default_location("CustomCloud"), "westcentralus");
    }
    use super::*;

    const SPECS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/specs/azurestack/resource-manager/Microsoft.AzureStack"
    );

    fn responses(path: &str) -> Vec<(String, Value)> {
        let text = std::fs::read_to_string(format!("{SPECS}/{path}")).unwrap();
        let example: Value = serde_json::from_str(&text).unwrap();
        example["responses"]
            .as_object()
            .unwrap()
            .iter()
            .filter_map(|(status, r)| Some((status.clone(), r.get("body")?.clone())))
            .collect()
    }

    #[test]
    fn every_registration_example_parses() {
        let single = [
            "AzureStack/stable/2017-06-01/examples/Registration/Put.json",
            "AzureStack/stable/2017-06-01/examples/Registration/Patch.json",
            "AzureStack/stable/2022-06-01/examples/Registration/Get.json",
            "AzureStack/stable/2022-06-01/examples/Registration/Patch.json",
            "stable/2017-06-01/examples/Registration/Get.json",
            "stable/2022-06-01/examples/Registration/Put.json",
        ];
        let mut parsed = 0;
        for path in single {
            for (status, body) in responses(path) {
                let r: Registration = serde_json::from_value(body.clone())
                    .unwrap_or_else(|e| panic!("{path} {status}: {e}"));
                assert!(
                    r.id.contains("/providers/Microsoft.AzureStack/registrations/"),
                    "{path}"
                );
                assert_eq!(
                    r.resource_type.as_deref(),
                    Some("Microsoft.AzureStack/registrations")
                );
                assert_eq!(r.location.as_deref(), Some("global"));
                assert_eq!(
                    r.properties.billing_model.as_deref(),
                    Some("Development"),
                    "{path}"
                );
                assert!(r.properties.object_id.is_some(), "{path}");
                parsed += 1;
            }
        }
        let put = responses("AzureStack/stable/2017-06-01/examples/Registration/Put.json");
        let r: Registration = serde_json::from_value(put[0].1.clone()).unwrap();
        assert_eq!(r.name, "testregistration");
        assert_eq!(
            r.properties.cloud_id.as_deref(),
            Some("5bf881b2-6be7-42a1-9f47-d6fcb6737747")
        );
        assert_eq!(
            r.etag.as_deref(),
            Some("\"0e00ab2b-0000-0000-0000-5a82517f0000\"")
        );
        let patch = responses("AzureStack/stable/2017-06-01/examples/Registration/Patch.json");
        let r: Registration = serde_json::from_value(patch[0].1.clone()).unwrap();
        assert!(!r.tags.is_empty(), "the PATCH answer carries tags");

        for path in [
            "stable/2017-06-01/examples/Registration/List.json",
            "stable/2017-06-01/examples/Registration/ListBySubscription.json",
            "stable/2022-06-01/examples/Registration/List.json",
            "AzureStack/stable/2022-06-01/examples/Registration/ListBySubscription.json",
        ] {
            for (status, body) in responses(path) {
                let list: Vec<Registration> = serde_json::from_value(body["value"].clone())
                    .unwrap_or_else(|e| panic!("{path} {status}: {e}"));
                assert!(!list.is_empty(), "{path}");
                parsed += list.len();
            }
        }
        assert!(parsed >= 12, "{parsed}");
        // Delete answers have no body; the key answer is a bare object.
        assert!(responses("stable/2022-06-01/examples/Registration/Delete.json").is_empty());
        for path in [
            "stable/2017-06-01/examples/Registration/Post.json",
            "AzureStack/stable/2022-06-01/examples/Registration/Post.json",
        ] {
            let (_, body) = &responses(path)[0];
            assert_eq!(
                body["activationKey"].as_str().unwrap().split('.').count(),
                3
            );
        }
    }

    #[test]
    fn every_customer_subscription_example_parses() {
        for path in [
            "AzureStack/stable/2017-06-01/examples/CustomerSubscription/Get.json",
            "AzureStack/stable/2017-06-01/examples/CustomerSubscription/Put.json",
            "AzureStack/stable/2022-06-01/examples/CustomerSubscription/Get.json",
            "AzureStack/stable/2022-06-01/examples/CustomerSubscription/Put.json",
        ] {
            let bodies = responses(path);
            assert!(!bodies.is_empty(), "{path}");
            for (status, body) in bodies {
                let c: CustomerSubscription =
                    serde_json::from_value(body).unwrap_or_else(|e| panic!("{path} {status}: {e}"));
                assert_eq!(
                    c.properties.tenant_id.as_deref(),
                    Some("dbab3982-796f-4d03-9908-044c08aef8a2"),
                    "{path}"
                );
                // The 2022-06-01 PUT example leaves id, name and type empty.
                assert!(
                    matches!(
                        c.resource_type.as_deref(),
                        Some("" | "Microsoft.AzureStack/registrations/customerSubscriptions")
                    ),
                    "{path}: {:?}",
                    c.resource_type
                );
            }
        }
        for path in [
            "AzureStack/stable/2017-06-01/examples/CustomerSubscription/List.json",
            "AzureStack/stable/2022-06-01/examples/CustomerSubscription/List.json",
        ] {
            let (_, body) = &responses(path)[0];
            let list: Vec<CustomerSubscription> =
                serde_json::from_value(body["value"].clone()).unwrap();
            assert_eq!(
                list[0].name.as_deref(),
                Some("testregistration/E09A4E93-29A7-4EBA-A6D4-76202383F07F")
            );
        }
        for path in [
            "AzureStack/stable/2017-06-01/examples/CustomerSubscription/Delete.json",
            "stable/2022-06-01/examples/CustomerSubscription/Delete.json",
        ] {
            assert!(
                responses(path).is_empty(),
                "{path}: DELETE answers carry no body"
            );
        }
    }

    #[test]
    fn registration_paths_are_checked_before_sending() {
        let r = RegistrationRef::new(
            "DD8597B4-8739-4467-8B10-F8679F62BFBF",
            "azurestack",
            "reg 1",
        );
        assert_eq!(
            r.resource_id().unwrap(),
            "/subscriptions/dd8597b4-8739-4467-8b10-f8679f62bfbf/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations/reg 1"
        );
        assert_eq!(
            r.path().unwrap(),
            "subscriptions/dd8597b4-8739-4467-8b10-f8679f62bfbf/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations/reg%201"
        );
        // The lock's scope is the unencoded id, encoded once on the way out (it was encoded twice).
        assert_eq!(
            arm::scope("scope", &r.resource_id().unwrap()).unwrap(),
            r.path().unwrap()
        );
        for (group, name) in [("my group", "r"), ("azurestack", "a%20b"), ("rg.", "r")] {
            let bad = RegistrationRef::new("dd8597b4-8739-4467-8b10-f8679f62bfbf", group, name);
            assert!(
                matches!(bad.path(), Err(Error::InvalidArgument { .. })),
                "{group:?} {name:?}"
            );
        }
        let bad = RegistrationRef::new("nope", "azurestack", "r");
        assert!(matches!(
            bad.path(),
            Err(Error::InvalidArgument {
                what: "subscription_id",
                ..
            })
        ));
        let bad = RegistrationRef::new("dd8597b4-8739-4467-8b10-f8679f62bfbf", "a/b", "r");
        assert!(matches!(
            bad.path(),
            Err(Error::InvalidArgument {
                what: "resource_group",
                ..
            })
        ));
        let parsed: RegistrationRef = serde_json::from_str(
            r#"{"subscription_id":"dd8597b4-8739-4467-8b10-f8679f62bfbf","name":"r"}"#,
        )
        .unwrap();
        assert_eq!(
            parsed.resource_group, "azurestack",
            "the original's default group"
        );
    }

    use crate::cloud::Environment;
    use crate::credential::Credential;
    use crate::transport::testing::{Seen, reply, serve};
    use crate::transport::{Transport, TransportOptions};

    const SUB: &str = "dd8597b4-8739-4467-8b10-f8679f62bfbf";
    const PRINCIPAL: &str = "2dbdd5f4-daf3-442a-be35-b71c3debee5a";

    /// A client for a scripted Azure Resource Manager that answers `answers` in order.
    fn scripted(answers: Vec<String>) -> (Client, Seen) {
        let (url, seen) = serve(answers);
        let environment = Environment::custom(
            "Azure",
            url.as_str(),
            url.as_str(),
            "https://management.core.windows.net/",
        )
        .unwrap();
        let options = TransportOptions {
            retry: crate::retry::RetryPolicy {
                max_retries: 0,
                ..Default::default()
            },
            ..TransportOptions::default()
        };
        let client = Client::with_parts(
            environment,
            Transport::new(&options).unwrap(),
            Credential::AccessToken(Secret::new("access-token-1")),
        );
        (client, seen)
    }

    fn ok(body: &str) -> String {
        reply("200 OK", &["content-type: application/json"], body)
    }

    fn status(line: &str, body: &str) -> String {
        reply(line, &["content-type: application/json"], body)
    }

    /// "VERB /path" of each request, without the query.
    fn requests(seen: &Seen) -> Vec<String> {
        seen.lock()
            .unwrap()
            .iter()
            .map(|(head, _)| {
                let line = head.lines().next().unwrap_or_default();
                let mut parts = line.split(' ');
                let verb = parts.next().unwrap_or_default();
                let target = parts.next().unwrap_or_default();
                format!("{verb} {}", target.split('?').next().unwrap_or_default())
            })
            .collect()
    }

    fn registration_json(name: &str, cloud_id: Option<&str>) -> String {
        let properties = match cloud_id {
            Some(id) => {
                json!({"cloudId": id, "objectId": PRINCIPAL, "billingModel": "Development"})
            }
            None => json!({"objectId": PRINCIPAL, "billingModel": "Development"}),
        };
        json!({
            "id": format!("/subscriptions/{SUB}/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations/{name}"),
            "name": name, "type": "Microsoft.AzureStack/registrations", "location": "global",
            "properties": properties
        })
        .to_string()
    }

    #[test]
    fn create_unlocks_ensures_the_group_puts_and_locks_again() {
        let (client, seen) = scripted(vec![
            ok(r#"{"value":[{"name":"westcentralus","displayName":"West Central US"}]}"#),
            ok(r#"{"namespace":"Microsoft.AzureStack","registrationState":"NotRegistered"}"#),
            ok(r#"{"namespace":"Microsoft.AzureStack","registrationState":"Registered"}"#),
            status("200 OK", ""),
            status(
                "404 Not Found",
                r#"{"error":{"code":"ResourceGroupNotFound","message":"no"}}"#,
            ),
            status(
                "201 Created",
                r#"{"name":"azurestack","location":"westcentralus"}"#,
            ),
            status("201 Created", &registration_json("reg1", Some("c-1"))),
            ok(r#"{"name":"RegistrationResourceLock","properties":{"level":"CanNotDelete"}}"#),
        ]);
        let new = NewRegistration {
            registration: RegistrationRef::new(SUB, "azurestack", "reg1"),
            location: Some("West Central US".into()),
            token: Secret::new("dG9rZW4tc2VjcmV0"),
        };
        let created = create_registration(&client, &new).unwrap();
        assert_eq!(created.properties.cloud_id.as_deref(), Some("c-1"));
        let reg = format!(
            "/subscriptions/{SUB}/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations/reg1"
        );
        let lock =
            format!("{reg}/providers/Microsoft.Authorization/locks/RegistrationResourceLock");
        assert_eq!(
            requests(&seen),
            [
                format!("GET /subscriptions/{SUB}/locations"),
                format!("GET /subscriptions/{SUB}/providers/Microsoft.AzureStack"),
                format!("POST /subscriptions/{SUB}/providers/Microsoft.AzureStack/register"),
                format!("DELETE {lock}"),
                format!("GET /subscriptions/{SUB}/resourceGroups/azurestack"),
                format!("PUT /subscriptions/{SUB}/resourceGroups/azurestack"),
                format!("PUT {reg}"),
                format!("PUT {lock}"),
            ]
        );
        let seen = seen.lock().unwrap();
        assert!(
            seen[0].0.contains("api-version=2022-12-01"),
            "{}",
            seen[0].0
        );
        assert!(
            seen[3].0.contains("api-version=2016-09-01"),
            "{}",
            seen[3].0
        );
        assert!(
            seen[6].0.contains("api-version=2017-06-01"),
            "{}",
            seen[6].0
        );
        let group: Value = serde_json::from_str(&seen[5].1).unwrap();
        assert_eq!(
            group,
            json!({"location": "westcentralus"}),
            "the location's canonical name"
        );
        let put: Value = serde_json::from_str(&seen[6].1).unwrap();
        assert_eq!(
            put,
            json!({"location": "global", "properties": {"registrationToken": "dG9rZW4tc2VjcmV0"}})
        );
        let lock: Value = serde_json::from_str(&seen[7].1).unwrap();
        assert_eq!(lock["properties"]["level"], "CanNotDelete");
        assert!(
            lock["properties"]["notes"]
                .as_str()
                .unwrap()
                .contains("Registration resource reg1 is needed")
        );
        assert!(seen[6].0.contains("authorization: Bearer access-token-1"));
    }

    #[test]
    fn create_refuses_an_unknown_location_before_writing() {
        let (client, seen) = scripted(vec![ok(r#"{"value":[{"name":"eastus"}]}"#)]);
        let new = NewRegistration {
            registration: RegistrationRef::new(SUB, "azurestack", "reg1"),
            location: Some("mars".into()),
            token: Secret::new("tok"),
        };
        let err = create_registration(&client, &new).unwrap_err();
        assert!(
            err.to_string().contains("UnknownResourceGroupLocation"),
            "{err}"
        );
        assert!(err.to_string().contains("eastus"), "{err}");
        assert_eq!(requests(&seen).len(), 1, "only the locations were read");
        assert!(
            !format!("{new:?}").contains("tok\""),
            "the token is a Secret"
        );
    }

    fn provider_states(states: &[&str]) -> Vec<String> {
        states
            .iter()
            .map(|state| ok(&json!({ "registrationState": state }).to_string()))
            .collect()
    }

    #[test]
    fn provider_registration_is_waited_for() {
        let poll = Duration::from_millis(5);
        let (client, seen) = scripted(provider_states(&[
            "NotRegistered",
            "Registering",
            "Registering",
            "Registered",
        ]));
        let provider =
            register_provider_within(&client, SUB, Duration::from_secs(10), poll).unwrap();
        assert!(is_registered(&provider));
        assert_eq!(requests(&seen).len(), 4);
        let (client, _) = scripted(provider_states(&[
            "NotRegistered",
            "Registering",
            "Registering",
        ]));
        let err =
            register_provider_within(&client, SUB, Duration::from_millis(1), poll).unwrap_err();
        assert!(err.to_string().contains("still 'Registering'"), "{err}");
    }

    #[test]
    fn remove_deletes_the_lock_then_the_resource_and_verifies() {
        let gone = || {
            status(
                "404 Not Found",
                r#"{"error":{"code":"ResourceNotFound","message":"gone"}}"#,
            )
        };
        let (client, seen) = scripted(vec![
            ok(&registration_json("reg 1", Some("c1"))),
            ok(""),
            ok(""),
            gone(),
        ]);
        let r = RegistrationRef::new(SUB, "azurestack", "reg 1");
        assert!(remove_registration(&client, &r).unwrap());
        let sent = requests(&seen);
        let verbs: Vec<&str> = sent.iter().map(|r| r.split(' ').next().unwrap()).collect();
        assert_eq!(verbs, ["GET", "DELETE", "DELETE", "GET"]);
        // Every path names the registration encoded once (the lock's scope was encoded twice).
        for request in &sent {
            assert!(request.contains("/registrations/reg%201"), "{request}");
            assert!(!request.contains("%25"), "{request}");
        }
        // Nothing there: nothing to remove, nothing else sent.
        let (client, seen) = scripted(vec![gone()]);
        assert!(!remove_registration(&client, &r).unwrap());
        assert_eq!(requests(&seen).len(), 1);
        // Found, but the DELETE says there is nothing and it is still there: an error, not `false`.
        let (client, _) = scripted(vec![
            ok(&registration_json("reg 1", Some("c1"))),
            reply("204 No Content", &[], ""),
            reply("204 No Content", &[], ""),
            ok(&registration_json("reg 1", Some("c1"))),
            ok(&registration_json("reg 1", Some("c1"))),
            ok(&registration_json("reg 1", Some("c1"))),
        ]);
        let err = remove_registration(&client, &r).unwrap_err();
        assert!(
            err.to_string().contains("still exists after DELETE"),
            "{err}"
        );
    }

    /// The original compared against an undefined variable, so finding by cloud id never matched.
    #[test]
    fn find_by_cloud_id_reads_each_registration_when_the_list_omits_it() {
        let (client, seen) = scripted(vec![
            ok(&format!(
                r#"{{"value":[{},{}]}}"#,
                registration_json("other", None),
                registration_json("mine", None)
            )),
            ok(&registration_json(
                "other",
                Some("11111111-0000-0000-0000-000000000000"),
            )),
            ok(&registration_json(
                "mine",
                Some("69464895-3A1A-450A-9824-4B7608D9203F"),
            )),
        ]);
        let query = RegistrationQuery {
            subscription_id: SUB.into(),
            resource_group: Some("azurestack".into()),
            cloud_id: Some("69464895-3a1a-450a-9824-4b7608d9203f".into()),
            ..RegistrationQuery::default()
        };
        let found = find_registration(&client, &query).unwrap();
        assert_eq!(found.name, "mine");
        assert_eq!(requests(&seen).len(), 3);

        let (client, _) = scripted(vec![ok(&format!(
            r#"{{"value":[{}]}}"#,
            registration_json("x", Some("c-2"))
        ))]);
        let err = find_registration(&client, &query).unwrap_err();
        assert!(
            matches!(err, Error::NotFound { service: None, .. }),
            "{err:?}"
        );
        let err = find_registration(
            &client,
            &RegistrationQuery {
                subscription_id: SUB.into(),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    }

    #[test]
    fn role_assignment_is_reused_or_created() {
        let existing = json!({"value": [{
            "id": "/x/providers/Microsoft.Authorization/roleAssignments/a1", "name": "a1",
            "properties": {"principalId": PRINCIPAL,
                           "roleDefinitionId": format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/6F12A6DF-DD06-4F3E-BCB1-CE8BE600526A")}
        }]});
        let scope = format!(
            "/subscriptions/{SUB}/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations/reg1"
        );
        let (client, seen) = scripted(vec![ok(&existing.to_string())]);
        let a = ensure_role_assignment(&client, &scope, PRINCIPAL, None).unwrap();
        assert_eq!(a.name.as_deref(), Some("a1"));
        assert_eq!(
            requests(&seen).len(),
            1,
            "no PUT when the assignment exists"
        );
        assert!(
            seen.lock().unwrap()[0].0.contains("principalId+eq+%27"),
            "the list is filtered"
        );

        let (client, seen) = scripted(vec![
            ok(r#"{"value":[]}"#),
            status(
                "409 Conflict",
                r#"{"error":{"code":"RoleAssignmentExists","message":"exists"}}"#,
            ),
            ok(&existing.to_string()),
        ]);
        let a = ensure_role_assignment(&client, &scope, PRINCIPAL, None).unwrap();
        assert_eq!(a.name.as_deref(), Some("a1"));
        let seen = seen.lock().unwrap();
        let put: Value = serde_json::from_str(&seen[1].1).unwrap();
        assert_eq!(put["properties"]["principalId"], PRINCIPAL);
        assert!(
            put["properties"]["roleDefinitionId"]
                .as_str()
                .unwrap()
                .ends_with(REGISTRATION_OWNER_ROLE)
        );
    }

    #[test]
    fn customer_subscription_put_reads_back_an_empty_answer_and_delete_reports_absence() {
        let r = RegistrationRef::new(SUB, "azurestack", "reg1");
        let mapping = r#"{"id":"/x","name":"reg1/e09a4e93-29a7-4eba-a6d4-76202383f07f","properties":{"tenantId":"dbab3982-796f-4d03-9908-044c08aef8a2"}}"#;
        let (client, seen) = scripted(vec![
            status("201 Created", ""),
            ok(mapping),
            reply("204 No Content", &[], ""),
        ]);
        let c = put_customer_subscription(
            &client,
            &r,
            "e09a4e93-29a7-4eba-a6d4-76202383f07f",
            Some("dbab3982-796f-4d03-9908-044c08aef8a2"),
        )
        .unwrap();
        assert_eq!(
            c.properties.tenant_id.as_deref(),
            Some("dbab3982-796f-4d03-9908-044c08aef8a2")
        );
        assert!(
            !delete_customer_subscription(&client, &r, "e09a4e93-29a7-4eba-a6d4-76202383f07f")
                .unwrap()
        );
        assert_eq!(requests(&seen)[0].split(' ').next(), Some("PUT"));
        let (client, _) = scripted(vec![status(
            "404 Not Found",
            r#"{"error":{"code":"RegistrationNotFound","message":"no such registration"}}"#,
        )]);
        let err = delete_customer_subscription(&client, &r, "e09a4e93-29a7-4eba-a6d4-76202383f07f")
            .unwrap_err();
        assert!(matches!(&err, Error::NotFound { .. }), "{err:?}");
        assert_eq!(
            err.service_error().unwrap().code.as_deref(),
            Some("RegistrationNotFound")
        );
    }

    #[test]
    fn role_definition_ids() {
        let scope = "subscriptions/dd8597b4-8739-4467-8b10-f8679f62bfbf/resourceGroups/g";
        let (full, guid) = role_definition_id(scope, None).unwrap();
        assert_eq!(guid, REGISTRATION_OWNER_ROLE);
        assert_eq!(
            full,
            "/subscriptions/dd8597b4-8739-4467-8b10-f8679f62bfbf/providers/Microsoft.Authorization/roleDefinitions/6f12a6df-dd06-4f3e-bcb1-ce8be600526a"
        );
        let given = "/providers/Microsoft.Authorization/roleDefinitions/8E3AF657-A8FF-443C-A75C-2FE8C4BCB635";
        let (full, guid) = role_definition_id(scope, Some(given)).unwrap();
        assert_eq!(full, given);
        assert_eq!(guid, "8e3af657-a8ff-443c-a75c-2fe8c4bcb635");
        assert!(role_definition_id(scope, Some("Owner")).is_err());
    }
}
