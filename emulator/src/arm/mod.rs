//! The stamp's Resource Manager endpoints (admin and tenant): ARM-style routing with case-insensitive
//! paths, authentication, and the usage-related resource providers.

pub mod activations;
pub mod metadata;
pub mod subscriptions;
pub mod usage;

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use crate::http::{
    ArmError, ArmPath, QueryParams, auth, require_api_version, require_method, respond,
    subscription_entry, subscription_format, subscription_not_found,
};
use crate::identity::Caller;
use crate::state::AppState;
pub use metadata::Endpoint;
use usage::UsageApi;

/// Per-listener routing context.
#[derive(Clone)]
pub struct ArmContext {
    pub app: Arc<AppState>,
    pub endpoint: Endpoint,
}

/// Routes every request of an ARM listener (the fallback of its router).
pub async fn dispatch(
    State(ctx): State<ArmContext>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    respond(route(&ctx, &method, &uri, &headers, &body), &uri, &headers)
}

fn route(
    ctx: &ArmContext,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ArmError> {
    let path = ArmPath::parse(uri.path());
    let (segments, lower) = (path.segments(), path.lower());
    let params = QueryParams::parse(uri.query());
    let app = &ctx.app;

    if lower == ["metadata", "endpoints"] {
        require_method(method, &Method::GET)?;
        let document = metadata::document(app, ctx.endpoint, params.get("api-version"));
        return Ok(axum::Json(document).into_response());
    }

    let audience = match ctx.endpoint {
        Endpoint::Admin => &app.audiences.admin,
        Endpoint::Tenant => &app.audiences.tenant,
    };
    let caller = auth::authenticate(&app.identity, headers, audience)?;

    match (ctx.endpoint, lower.as_slice()) {
        (Endpoint::Admin, ["providers", "microsoft.commerce.admin", "operations"]) => {
            require_method(method, &Method::GET)?;
            usage::check_api_version(
                &params,
                usage::API_VERSION,
                "Microsoft.Commerce.Admin/operations",
            )?;
            Ok(axum::Json(commerce_admin_operations()).into_response())
        }
        (
            Endpoint::Admin,
            [
                "subscriptions",
                _,
                "providers",
                "microsoft.commerce.admin" | "microsoft.commerce",
                "subscriberusageaggregates",
            ],
        ) => {
            require_method(method, &Method::GET)?;
            let subscription = provider_subscription(
                app,
                &caller,
                segments[1],
                "Microsoft.Commerce.Admin/subscriberUsageAggregates/read",
            )?;
            usage_page(
                ctx,
                UsageApi::Provider,
                &subscription,
                None,
                uri,
                headers,
                &params,
            )
        }
        (
            Endpoint::Admin,
            [
                "subscriptions",
                _,
                "providers",
                "microsoft.commerce.admin",
                "updateencryption",
            ],
        ) => {
            require_method(method, &Method::POST)?;
            provider_subscription(
                app,
                &caller,
                segments[1],
                "Microsoft.Commerce.Admin/updateEncryption/action",
            )?;
            usage::check_api_version(
                &params,
                usage::API_VERSION,
                "Microsoft.Commerce.Admin/updateEncryption",
            )?;
            Ok(StatusCode::OK.into_response())
        }
        (
            Endpoint::Admin,
            [
                "subscriptions",
                _,
                "providers",
                "microsoft.subscriptions.admin",
                "subscriptions",
                rest @ ..,
            ],
        ) if rest.len() <= 1 => {
            require_method(method, &Method::GET)?;
            let provider = provider_subscription(
                app,
                &caller,
                segments[1],
                "Microsoft.Subscriptions.Admin/subscriptions/read",
            )?;
            usage::check_api_version(
                &params,
                subscriptions::API_VERSION,
                "Microsoft.Subscriptions.Admin/subscriptions",
            )?;
            let all = app
                .dataset
                .subscriptions()
                .iter()
                .map(|s| subscriptions::definition(&provider, s));
            match rest.first() {
                None => {
                    let clauses = subscriptions::filter(params.get("$filter"))?;
                    let value: Vec<_> = all
                        .filter(|d| subscriptions::matches(d, &clauses))
                        .collect();
                    Ok(axum::Json(serde_json::json!({ "value": value })).into_response())
                }
                Some(id) => {
                    let found = app.dataset.subscription_index(id).map(|i| {
                        subscriptions::definition(&provider, &app.dataset.subscriptions()[i])
                    });
                    found
                        .map(|d| axum::Json(d).into_response())
                        .ok_or_else(|| subscription_not_found(id))
                }
            }
        }
        (_, ["subscriptions", rest @ ..]) if rest.len() <= 1 => {
            require_method(method, &Method::GET)?;
            require_api_version(&params)?;
            let visible = visible_subscriptions(app, ctx.endpoint, &caller);
            match rest.first() {
                None => Ok(axum::Json(serde_json::json!({ "value": visible })).into_response()),
                Some(id) => visible
                    .into_iter()
                    .find(|s| {
                        s["subscriptionId"]
                            .as_str()
                            .is_some_and(|v| v.eq_ignore_ascii_case(id))
                    })
                    .map(|s| axum::Json(s).into_response())
                    .ok_or_else(|| subscription_not_found(id)),
            }
        }
        (
            Endpoint::Admin,
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.azurebridge.admin",
                "activations",
                rest @ ..,
            ],
        ) if rest.len() <= 1 => {
            provider_subscription(
                app,
                &caller,
                segments[1],
                "Microsoft.AzureBridge.Admin/activations/read",
            )?;
            activations::handle(
                app,
                method,
                &params,
                activations::Target {
                    resource_group: segments[3],
                    name: segments.get(7).copied(),
                },
                body,
            )
        }
        (
            Endpoint::Tenant,
            [
                "subscriptions",
                _,
                "providers",
                "microsoft.commerce",
                "usageaggregates",
            ],
        ) => {
            require_method(method, &Method::GET)?;
            let (subscription, index) = tenant_subscription(app, &caller, segments[1])?;
            usage_page(
                ctx,
                UsageApi::Tenant,
                &subscription,
                Some(index),
                uri,
                headers,
                &params,
            )
        }
        _ => Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!(
                "No route matches '{}' on the {} Resource Manager endpoint of this stamp.",
                uri.path(),
                endpoint_name(ctx.endpoint)
            ),
        )),
    }
}

fn endpoint_name(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Admin => "admin",
        Endpoint::Tenant => "tenant",
    }
}

/// The admin endpoint answers for the Default Provider Subscription only, to callers with a role on it.
fn provider_subscription(
    app: &AppState,
    caller: &Caller,
    segment: &str,
    action: &str,
) -> Result<String, ArmError> {
    let id = subscription_format(segment)?;
    if id != app.config.default_provider_subscription_id {
        return Err(subscription_not_found(segment));
    }
    if !caller.access.admin {
        return Err(auth::forbidden(
            caller,
            action,
            &format!("/subscriptions/{segment}"),
        ));
    }
    Ok(segment.to_string())
}

/// The tenant endpoint answers for an existing (not deleted) tenant subscription the caller may read.
fn tenant_subscription(
    app: &AppState,
    caller: &Caller,
    segment: &str,
) -> Result<(String, usize), ArmError> {
    subscription_format(segment)?;
    let index = app
        .dataset
        .subscription_index(segment)
        .ok_or_else(|| subscription_not_found(segment))?;
    let subscription = &app.dataset.subscriptions()[index];
    if subscription.state == crate::dataset::SubscriptionState::Deleted {
        return Err(subscription_not_found(segment));
    }
    if !caller
        .access
        .can_read_subscription(&subscription.id.to_string())
    {
        return Err(auth::forbidden(
            caller,
            "Microsoft.Commerce/usageAggregates/read",
            &format!("/subscriptions/{segment}"),
        ));
    }
    Ok((segment.to_string(), index))
}

fn usage_page(
    ctx: &ArmContext,
    api: UsageApi,
    subscription: &str,
    subscription_index: Option<usize>,
    uri: &Uri,
    headers: &HeaderMap,
    params: &QueryParams,
) -> Result<Response, ArmError> {
    let app = &ctx.app;
    let request = usage::validate(
        api,
        &app.dataset,
        subscription,
        subscription_index,
        params,
        Utc::now(),
    )?;
    let mut rows = Vec::with_capacity(app.config.page_size);
    let next = app.dataset.page(
        &request.query,
        request.resume_from,
        app.config.page_size,
        &mut rows,
    );
    let link = next.map(|cursor| {
        let token = usage::encode_token(&request.query_key, cursor);
        usage::next_link(
            &request_base(ctx, headers),
            uri.path(),
            uri.query().unwrap_or(""),
            &token,
        )
    });
    let mut body = Vec::with_capacity(rows.len() * 700 + 64);
    usage::render_page(api, &rows, link.as_deref(), &mut body);
    Ok((
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response())
}

/// `scheme://host[:port]` the caller used (its Host header), falling back to the listener's public URL.
fn request_base(ctx: &ArmContext, headers: &HeaderMap) -> String {
    let configured = match ctx.endpoint {
        Endpoint::Admin => &ctx.app.urls.admin_arm,
        Endpoint::Tenant => &ctx.app.urls.tenant_arm,
    };
    let scheme = configured.split("://").next().unwrap_or("https");
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) if !host.is_empty() => format!("{scheme}://{host}"),
        _ => configured.trim_end_matches('/').to_string(),
    }
}

/// ARM's `GET /subscriptions`: what the caller can see on this endpoint. The admin endpoint shows the
/// Default Provider Subscription to operators (how tools find its id); the tenant endpoint shows the
/// tenant subscriptions the caller may read.
fn visible_subscriptions(
    app: &AppState,
    endpoint: Endpoint,
    caller: &Caller,
) -> Vec<serde_json::Value> {
    let entry = |id: &str, name: &str, state: &str| {
        subscription_entry(id, name, state, app.config.tenant_id, "AzureStack")
    };
    match endpoint {
        Endpoint::Admin if caller.access.admin => {
            vec![entry(
                &app.config.default_provider_subscription_id.to_string(),
                "Default Provider Subscription",
                "Enabled",
            )]
        }
        Endpoint::Admin => Vec::new(),
        Endpoint::Tenant => app
            .dataset
            .subscriptions()
            .iter()
            .filter(|s| s.state != crate::dataset::SubscriptionState::Deleted)
            .filter(|s| caller.access.can_read_subscription(&s.id.to_string()))
            .map(|s| {
                let state = if s.state == crate::dataset::SubscriptionState::Enabled {
                    "Enabled"
                } else {
                    "Disabled"
                };
                entry(&s.id.to_string(), &s.display_name, state)
            })
            .collect(),
    }
}

/// The operations of the admin commerce provider, as its specification lists them.
fn commerce_admin_operations() -> serde_json::Value {
    serde_json::json!({ "value": [
        { "name": "Microsoft.Commerce.Admin/updateEncryption/action", "display": {
            "provider": "Microsoft Commerce Service", "resource": "UpdateEncryption", "operation": "Update Encryption",
            "description": "Updates the encryption used to protect data in storage using the updated encryption configuration." } },
        { "name": "Microsoft.Commerce.Admin/operations/read", "display": {
            "provider": "Microsoft Commerce Service", "resource": "Operation", "operation": "List Operations",
            "description": "Lists the supported operations." } },
    ]})
}
