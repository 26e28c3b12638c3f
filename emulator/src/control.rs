//! `/_emulator/...`: the emulator's own control routes, on every listener, answered only to loopback
//! callers. Tests and runbook authors use them to read the ready document, change faults while the server
//! runs, mint tokens with chosen claims, revoke refresh tokens, and ask for the exact totals of a usage query.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use chrono::Utc;

use crate::arm::usage::{self, UsageApi};
use crate::faults::{FaultPlan, FaultRule};
use crate::http::{ArmError, QueryParams};
use crate::ready::ReadyDocument;
use crate::state::AppState;

pub fn router(app: Arc<AppState>) -> axum::Router {
    axum::Router::new()
        .route("/_emulator/status", get(status))
        .route(
            "/_emulator/faults",
            get(get_faults).put(put_faults).delete(clear_faults),
        )
        .route("/_emulator/tokens", post(mint_token))
        .route("/_emulator/refresh-tokens", delete(revoke_refresh_tokens))
        .route("/_emulator/usage/totals", get(usage_totals))
        .layer(axum::middleware::from_fn(loopback_only))
        .with_state(app)
}

async fn loopback_only(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if peer.ip().is_loopback() || peer.ip().to_canonical().is_loopback() {
        return next.run(request).await;
    }
    ArmError::new(
        StatusCode::FORBIDDEN,
        "ControlRouteForbidden",
        "The emulator's control routes answer loopback callers only.",
    )
    .into_response()
}

/// Revokes the refresh tokens of both directories (the stamp's and the Azure side's), so a client's next
/// silent sign-in fails and it has to sign in again (device code: a new prompt).
async fn revoke_refresh_tokens(State(app): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let stamp = app.identity.revoke_refresh_tokens();
    let azure = app.azure.identity().revoke_refresh_tokens();
    Json(serde_json::json!({ "revoked": { "stamp": stamp, "azure": azure } }))
}

async fn status(State(app): State<Arc<AppState>>) -> Json<ReadyDocument> {
    Json(app.ready.clone())
}

async fn get_faults(State(app): State<Arc<AppState>>) -> Json<FaultPlan> {
    Json(app.faults.current())
}

/// A rule given either as an object or as the `--fault` text form.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum RuleInput {
    Spec(String),
    Rule(FaultRule),
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanInput {
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    rules: Vec<RuleInput>,
}

async fn put_faults(State(app): State<Arc<AppState>>, body: axum::body::Bytes) -> Response {
    let plan = serde_json::from_slice::<PlanInput>(&body)
        .map_err(|e| format!("the body is not a fault plan ({{\"seed\":N,\"rules\":[...]}}): {e}"))
        .and_then(|input| {
            let rules = input
                .rules
                .into_iter()
                .map(|r| match r {
                    RuleInput::Spec(spec) => spec.parse::<FaultRule>(),
                    RuleInput::Rule(rule) => Ok(rule),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(FaultPlan {
                seed: input.seed,
                rules,
            })
        })
        .and_then(|plan| app.faults.replace(plan));
    match plan {
        Ok(()) => Json(app.faults.current()).into_response(),
        Err(message) => ArmError::bad_request("InvalidFaultPlan", message).into_response(),
    }
}

async fn clear_faults(State(app): State<Arc<AppState>>) -> Json<FaultPlan> {
    let _ = app.faults.replace(FaultPlan::default());
    Json(app.faults.current())
}

async fn mint_token(
    State(app): State<Arc<AppState>>,
    Json(body): Json<serde_json::Value>,
) -> Response {
    // `{"directory":"azure","claims":{...}}` signs with the Azure side's key; a bare object is the claims.
    let (directory, claims) = match body.get("claims") {
        Some(claims) => (
            body.get("directory")
                .cloned()
                .unwrap_or(serde_json::Value::Null),
            claims.clone(),
        ),
        None => (serde_json::Value::Null, body),
    };
    if !claims.is_object() {
        return ArmError::bad_request(
            "InvalidClaims",
            "Send the claims as a JSON object, e.g. {\"claims\":{\"aud\":\"...\",\"exp\":0}}.",
        )
        .into_response();
    }
    let identity = match directory.as_str() {
        None if directory.is_null() => &app.identity,
        Some("stamp") => &app.identity,
        Some("azure") => app.azure.identity(),
        _ => {
            return ArmError::bad_request(
                "InvalidDirectory",
                "'directory' is \"stamp\" (the default) or \"azure\" (the emulated Azure side).",
            )
            .into_response();
        }
    };
    match identity.sign_claims(&claims) {
        Ok(token) => Json(serde_json::json!({ "access_token": token })).into_response(),
        Err(e) => ArmError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SigningFailed",
            e.to_string(),
        )
        .into_response(),
    }
}

/// `?api=provider|tenant&subscription=<id>&reportedStartTime=...&reportedEndTime=...[&aggregationGranularity][&subscriberId]`:
/// the totals the usage API would page through, validated by the same rules (api-version is implied).
async fn usage_totals(State(app): State<Arc<AppState>>, uri: Uri) -> Response {
    let params = QueryParams::parse(uri.query());
    let result = (|| {
        let api = match params.get("api").unwrap_or("provider") {
            a if a.eq_ignore_ascii_case("provider") => UsageApi::Provider,
            a if a.eq_ignore_ascii_case("tenant") => UsageApi::Tenant,
            other => {
                return Err(ArmError::invalid_property(format!(
                    "api '{other}': use provider or tenant"
                )));
            }
        };
        let (subscription, index) = match api {
            UsageApi::Provider => (
                app.config.default_provider_subscription_id.to_string(),
                None,
            ),
            UsageApi::Tenant => {
                let id = params.get_non_empty("subscription").ok_or_else(|| {
                    ArmError::invalid_property("subscription is required for api=tenant")
                })?;
                let index = app
                    .dataset
                    .subscription_index(id)
                    .ok_or_else(|| ArmError::invalid_property(format!("no subscription '{id}'")))?;
                (id.to_string(), Some(index))
            }
        };
        let with_version = format!(
            "api-version={}&{}",
            usage::API_VERSION,
            uri.query().unwrap_or("")
        );
        let params = QueryParams::parse(Some(&with_version));
        let request =
            usage::validate(api, &app.dataset, &subscription, index, &params, Utc::now())?;
        Ok(app.dataset.totals(&request.query))
    })();
    match result {
        Ok(totals) => Json(serde_json::json!({
            "rows": totals.rows,
            "quantity_micros": totals.quantity_micros.to_string(),
            "pages": totals.rows.div_ceil(app.config.page_size as u64).max(1),
        }))
        .into_response(),
        Err(error) => error.into_response(),
    }
}
