//! `registrations/customerSubscriptions`: CSP customers' subscriptions mapped to a registration.

use serde_json::json;

use super::{AZURESTACK_API_VERSION, CustomerSubscription, RegistrationRef};
use crate::arm;
use crate::client::Client;
use crate::error::Result;
use crate::transport::Method;

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
    log::info!(target: super::LOG_TARGET,
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

/// Reads the mapping of `customer_subscription_id` under `registration`; `NotFound` when it is not mapped.
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

/// Every customer subscription mapped under `registration`, all pages.
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
    log::info!(target: super::LOG_TARGET,
        "removing customer subscription {} from {}",
        customer_subscription_id.trim(),
        registration.describe()
    );
    arm::delete(client, &url, false, || registration.describe())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::registration::azure::test_support::*;
    use crate::transport::testing::reply;

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
}
