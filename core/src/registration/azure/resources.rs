//! Where a registration lives: the subscription's locations, the resource group, and the
//! `Microsoft.AzureStack` resource provider registered with the subscription.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{
    Location, PROVIDER_NAMESPACE, Provider, RESOURCES_API_VERSION, ResourceGroup,
    SUBSCRIPTIONS_API_VERSION, group_path, subscription_path,
};
use crate::arm;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::transport::Method;

/// How long to wait for the provider to become Registered, and how often to look.
const PROVIDER_WAIT: Duration = Duration::from_secs(600);

const PROVIDER_POLL: Duration = Duration::from_secs(5);

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
        log::debug!(target: super::LOG_TARGET, "resource group '{resource_group}' exists; kept as it is");
        return Ok(group);
    }
    log::info!(target: super::LOG_TARGET,
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

/// `register_provider` with the wait and poll interval given (tests shorten them).
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
        log::debug!(target: super::LOG_TARGET,
            "{PROVIDER_NAMESPACE} is registered with subscription {}",
            subscription_id.trim()
        );
        return Ok(provider);
    }
    log::info!(target: super::LOG_TARGET,
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
            return Err(Error::unexpected(format!(
                "{PROVIDER_NAMESPACE} is still '{}' in subscription {} after {} s; try again later",
                provider.registration_state.as_deref().unwrap_or("unknown"),
                subscription_id.trim(),
                wait.as_secs()
            )));
        }
        log::debug!(target: super::LOG_TARGET,
            "{PROVIDER_NAMESPACE} is '{}'; asking again in {} ms",
            provider.registration_state.as_deref().unwrap_or("unknown"),
            poll.as_millis()
        );
        std::thread::sleep(poll);
        provider = arm::get(client, &get_url, what)?;
    }
    Ok(provider)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registration::azure::test_support::*;
    use serde_json::json;

    #[test]
    fn default_location_follows_the_original_per_cloud() {
        assert_eq!(default_location("AzureCloud"), "westcentralus");
        assert_eq!(default_location("azurechinacloud"), "ChinaEast");
        assert_eq!(default_location("AzureUSGovernment"), "usgovvirginia");
        assert_eq!(default_location("CustomCloud"), "westcentralus");
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
}
