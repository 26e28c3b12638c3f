//! `Microsoft.AzureStack/registrations`: reading, listing and writing them, creating and removing one
//! with its lock and group, finding one by name or cloud id, and its activation key.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::locks::{delete_lock, put_lock};
use super::resources::{
    check_location, default_location, ensure_resource_group, register_provider,
};
use super::{
    AZURESTACK_API_VERSION, LOCK_NAME, NewRegistration, PROVIDER_NAMESPACE, Registration,
    RegistrationRef, group_path, subscription_path,
};
use crate::arm;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::registration::token::decode_registration_token;
use crate::secret::Secret;
use crate::transport::Method;

/// Reads after a delete before deciding it did not take (ARM may answer from a replica for a moment).
const VERIFY_ATTEMPTS: u32 = 3;

const VERIFY_WAIT: Duration = Duration::from_secs(2);

fn registration_url(client: &Client, registration: &RegistrationRef) -> Result<url::Url> {
    arm::url(client, &registration.path()?, AZURESTACK_API_VERSION, &[])
}

/// Reads one registration resource; `NotFound` when it does not exist.
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
    log::info!(target: super::LOG_TARGET, "putting {}", registration.describe());
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
    log::info!(target: super::LOG_TARGET, "updating {} with a new token", registration.describe());
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
    log::info!(target: super::LOG_TARGET,
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
        log::info!(target: super::LOG_TARGET,
            "{} does not exist; nothing to remove",
            registration.describe()
        );
        return Ok(false);
    }
    log::info!(target: super::LOG_TARGET, "removing {}", registration.describe());
    delete_lock(client, &resource_id, LOCK_NAME)?;
    let deleted = arm::delete(client, &url, true, || registration.describe())?;
    for attempt in 1..=VERIFY_ATTEMPTS {
        log::debug!(target: super::LOG_TARGET,
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
    Err(Error::unexpected(format!(
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
    /// The subscription to search.
    pub subscription_id: String,
    /// Search one group; None searches the whole subscription.
    pub resource_group: Option<String>,
    /// The registration's resource name, when known.
    pub name: Option<String>,
    /// The stamp's cloud id: the registration whose `cloudId` property matches.
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
    log::debug!(target: super::LOG_TARGET, "finding a registration ({searched})");
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
    log::info!(target: super::LOG_TARGET,
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
        .ok_or_else(|| Error::unexpected("getactivationkey answered without an activationKey"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registration::azure::test_support::*;
    use crate::transport::testing::reply;
    use serde_json::json;

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
}
