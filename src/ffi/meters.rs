//! The meter catalogue, the provider's tenant subscriptions and the caller's working subscription.

use std::ffi::c_char;

use crate::ffi::client::{AzsbClient, client_json};
use crate::ffi::error::{AzsbError, AzsbStatus, finish, finish_json, to_json};
use crate::ffi::strings::to_c;

/// Looks a meter id up in any spelling (case, hyphens): `*meter_json_out` receives
/// {"id","name","unit","category","description"}, or NULL for a meter the catalogue does not know.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_meter_lookup(
    meter_id: *const c_char,
    meter_json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let id = try_str!(meter_id, "meter_id", error_out);
        check_out!(meter_json_out, "meter_json_out", error_out);
        let json = azs_billing_core::meters::lookup(id)
            .map(to_json)
            .transpose();
        finish(json, error_out, |json| {
            // SAFETY: checked non-NULL above.
            unsafe { *meter_json_out = json.map_or(std::ptr::null_mut(), to_c) };
        })
    })
}

/// The whole meter catalogue as a JSON array.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_meters(
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        check_out!(json_out, "json_out", error_out);
        finish_json(
            to_json(azs_billing_core::meters::all()),
            json_out,
            error_out,
        )
    })
}

/// The tenant subscriptions under a provider subscription (admin endpoint), as a JSON array of
/// {subscriptionId, displayName, owner, state, offerId, tenantId, delegatedProviderSubscriptionId,
/// isDirectTenant, ...}. `filter` (an OData $filter) may be NULL. isDirectTenant is false for a delegated
/// provider's (reseller's) tenant: its delegatedProviderSubscriptionId is another provider subscription, and
/// the provider usage API of `provider_subscription_id` neither reports its usage nor accepts it as
/// subscriberId (400 SubscriberIdIsNotDirectTenant); its usage is reported to that delegated provider.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_user_subscriptions(
    client: *const AzsbClient,
    provider_subscription_id: *const c_char,
    filter: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let client = try_ref!(client, "client", error_out);
        let provider = try_str!(
            provider_subscription_id,
            "provider_subscription_id",
            error_out
        );
        let filter = if filter.is_null() {
            None
        } else {
            Some(try_str!(filter, "filter", error_out))
        };
        check_out!(json_out, "json_out", error_out);
        let result = azs_billing_core::subscriptions::list(&client.inner, provider, filter)
            .and_then(|list| to_json(&list));
        finish_json(result, json_out, error_out)
    })
}

/// One tenant subscription under a provider subscription (admin endpoint:
/// `GET .../Microsoft.Subscriptions.Admin/subscriptions/{subscription_id}`), as one JSON object of the shape
/// azsb_user_subscriptions lists, with isDirectTenant decided the same way. A subscription the service does not know under that provider is
/// AZSB_STATUS_NOT_FOUND (HTTP status 404 in the error); an id that is not a GUID is
/// AZSB_STATUS_INVALID_ARGUMENT, before anything is sent.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_user_subscription_get(
    client: *const AzsbClient,
    provider_subscription_id: *const c_char,
    subscription_id: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let client = try_ref!(client, "client", error_out);
        let provider = try_str!(
            provider_subscription_id,
            "provider_subscription_id",
            error_out
        );
        let subscription = try_str!(subscription_id, "subscription_id", error_out);
        check_out!(json_out, "json_out", error_out);
        let result = azs_billing_core::subscriptions::get(&client.inner, provider, subscription)
            .and_then(|one| to_json(&one));
        finish_json(result, json_out, error_out)
    })
}

/// The subscriptions the caller can see on the client's endpoint (ARM `GET /subscriptions`), as a JSON array
/// of {subscriptionId, displayName, state, tenantId}.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_client_subscriptions(
    client: *const AzsbClient,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_json(
        client,
        json_out,
        error_out,
        azs_billing_core::subscriptions::visible,
    )
}

/// The Default Provider Subscription id of an admin endpoint, as a string: the caller's subscription whose
/// display name is "Default Provider Subscription" (any case), and nothing else (not even the only
/// subscription visible: a tenant principal sees its own). AZSB_STATUS_NOT_FOUND when none has that name,
/// with a message saying to connect to the admin endpoint as an operator (the error's HTTP status is 0:
/// nothing answered 404).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_default_provider_subscription(
    client: *const AzsbClient,
    subscription_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let client = try_ref!(client, "client", error_out);
        check_out!(subscription_out, "subscription_out", error_out);
        finish(
            azs_billing_core::subscriptions::default_provider_subscription(&client.inner),
            error_out,
            |id| {
                // SAFETY: checked non-NULL above.
                unsafe { *subscription_out = to_c(id) };
            },
        )
    })
}

/// The subscription commands work in, chosen the way the PowerShell module chooses it after signing in:
/// `subscriptions_json` is what azsb_client_subscriptions returned (a JSON array; "[]" when that look-up
/// was not made, as on an admin endpoint, or failed), `requested_subscription_id` the subscription the
/// caller named, or NULL. Out: {"subscription_id","tenant_id"}: the requested subscription when the
/// account sees it or nothing is known of what it sees; without one, the only subscription visible
/// (null when there are several or none: the caller must name one). `tenant_id` is that subscription's
/// directory when the list says it, else null. A requested subscription the list shows the account does
/// not see is AZSB_STATUS_NOT_FOUND, naming those it does; one that is not a GUID is
/// AZSB_STATUS_INVALID_ARGUMENT. Nothing is sent.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_working_subscription(
    subscriptions_json: *const c_char,
    requested_subscription_id: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let visible = try_str!(subscriptions_json, "subscriptions_json", error_out);
        let requested = if requested_subscription_id.is_null() {
            None
        } else {
            Some(try_str!(
                requested_subscription_id,
                "requested_subscription_id",
                error_out
            ))
        };
        check_out!(json_out, "json_out", error_out);
        let result = azs_billing_core::json_args::from_json::<
            Vec<azs_billing_core::subscriptions::ArmSubscription>,
        >(visible, "subscriptions_json")
        .and_then(|visible| {
            azs_billing_core::subscriptions::working_subscription(&visible, requested)
        })
        .and_then(|working| to_json(&working));
        finish_json(result, json_out, error_out)
    })
}
