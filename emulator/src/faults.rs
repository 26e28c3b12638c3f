//! Faults on demand: throttling (429), service unavailable (503), gateway timeout (504 after a delay), a
//! connection dropped mid-body, a truncated body and extra latency, each by rate or on every Nth request,
//! deterministic from a seed. Set at start (`--fault`) or while running (`PUT /_emulator/faults`).

use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::sync::Arc;

use crate::http::ArmError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FaultKind {
    /// 429 with Retry-After and x-ms-ratelimit-remaining-* at zero.
    #[serde(rename = "429")]
    Throttle,
    /// 503 ServiceUnavailable with Retry-After.
    #[serde(rename = "503")]
    Unavailable,
    /// 504 GatewayTimeout after `delay_ms`.
    #[serde(rename = "504")]
    GatewayTimeout,
    /// The real response starts, then the connection is cut part-way through the body.
    #[serde(rename = "drop")]
    DropConnection,
    /// The real response, cut in half, with a Content-Length that matches the cut: valid HTTP, broken JSON.
    #[serde(rename = "truncate")]
    TruncateBody,
    /// The real response after `delay_ms` of extra latency.
    #[serde(rename = "latency")]
    Latency,
    /// The real page with its first record twice: the service sending one row twice (same key, same
    /// quantity). Pages without records, and answers that are not pages, pass as they are.
    #[serde(rename = "repeat")]
    RepeatRecord,
    /// The real page with its first record again, its quantity changed: one row key with two quantities.
    #[serde(rename = "contradict")]
    ContradictRecord,
}

/// Which listeners a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultTarget {
    /// Both Resource Manager endpoints (admin and tenant).
    #[default]
    Arm,
    Admin,
    Tenant,
    Identity,
    /// The emulated Azure side (its Resource Manager and login listeners).
    Azure,
    /// The privileged endpoint model.
    Pep,
    All,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    pub kind: FaultKind,
    /// Fire on every Nth matching request (the Nth, 2Nth, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<u64>,
    /// Fire on this fraction of matching requests (0..=1), chosen deterministically from the seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Stop after firing this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Retry-After for 429/503, in milliseconds (sent as whole seconds, rounded up, and as x-ms-retry-after-ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// Delay before a 504, or the extra latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    #[serde(default)]
    pub target: FaultTarget,
    /// Only requests whose path contains this text (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_contains: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

impl FaultRule {
    pub fn validate(&self) -> Result<(), String> {
        match (self.every, self.rate) {
            (Some(0), _) => return Err("every must be at least 1".into()),
            (_, Some(rate)) if !(0.0..=1.0).contains(&rate) => {
                return Err(format!("rate must be between 0 and 1, not {rate}"));
            }
            (Some(_), Some(_)) => return Err("give either every or rate, not both".into()),
            _ => {}
        }
        Ok(())
    }
}

/// `kind[:key=value,...]`, e.g. `429:every=3,retry-after-ms=1000`, `503:rate=0.1`, `504:every=5,delay-ms=2000`,
/// `drop:every=7`, `truncate:rate=0.05`, `latency:delay-ms=50`, with `target=arm|admin|tenant|identity|azure|pep|all`,
/// `count=N` and `path=TEXT`. A rule with neither `every` nor `rate` fires on every matching request.
impl FromStr for FaultRule {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let (kind, options) = spec.split_once(':').unwrap_or((spec, ""));
        let kind = match kind.trim().to_ascii_lowercase().as_str() {
            "429" | "throttle" => FaultKind::Throttle,
            "503" | "unavailable" => FaultKind::Unavailable,
            "504" | "gateway-timeout" => FaultKind::GatewayTimeout,
            "drop" => FaultKind::DropConnection,
            "truncate" => FaultKind::TruncateBody,
            "latency" => FaultKind::Latency,
            "repeat" => FaultKind::RepeatRecord,
            "contradict" => FaultKind::ContradictRecord,
            other => {
                return Err(format!(
                    "unknown fault kind {other:?}: use 429, 503, 504, drop, truncate, latency, repeat or contradict"
                ));
            }
        };
        let mut rule = FaultRule {
            kind,
            every: None,
            rate: None,
            count: None,
            retry_after_ms: None,
            delay_ms: None,
            target: FaultTarget::default(),
            path_contains: None,
        };
        for option in options.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let (key, value) = option
                .split_once('=')
                .ok_or_else(|| format!("fault option {option:?} is not key=value"))?;
            let number = || {
                value
                    .parse::<u64>()
                    .map_err(|_| format!("{key}={value:?} is not a whole number"))
            };
            match key {
                "every" => rule.every = Some(number()?),
                "rate" => {
                    rule.rate = Some(
                        value
                            .parse()
                            .map_err(|_| format!("rate={value:?} is not a number"))?,
                    )
                }
                "count" => rule.count = Some(number()?),
                "retry-after-ms" => rule.retry_after_ms = Some(number()?),
                "retry-after" => rule.retry_after_ms = Some(number()? * 1000),
                "delay-ms" => rule.delay_ms = Some(number()?),
                "path" => rule.path_contains = Some(value.to_string()),
                "target" => {
                    rule.target = serde_json::from_value(serde_json::Value::String(
                        value.to_ascii_lowercase(),
                    ))
                    .map_err(|_| {
                        format!(
                            "target={value:?}: use arm, admin, tenant, identity, azure, pep or all"
                        )
                    })?
                }
                other => return Err(format!("unknown fault option {other:?}")),
            }
        }
        rule.validate()?;
        Ok(rule)
    }
}

/// Which listener a request arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Admin,
    Tenant,
    Identity,
    AzureArm,
    AzureLogin,
    Pep,
}

impl FaultTarget {
    fn covers(self, listener: Listener) -> bool {
        matches!(
            (self, listener),
            (FaultTarget::All, _)
                | (FaultTarget::Arm, Listener::Admin | Listener::Tenant)
                | (FaultTarget::Admin, Listener::Admin)
                | (FaultTarget::Tenant, Listener::Tenant)
                | (FaultTarget::Identity, Listener::Identity)
                | (
                    FaultTarget::Azure,
                    Listener::AzureArm | Listener::AzureLogin
                )
                | (FaultTarget::Pep, Listener::Pep)
        )
    }
}

struct RuleState {
    rule: FaultRule,
    seen: u64,
    fired: u64,
}

struct Plan {
    seed: u64,
    rules: Vec<RuleState>,
}

/// The live fault plan, shared by every listener.
pub struct FaultController {
    plan: Mutex<Plan>,
}

/// What to do to one request.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Decision {
    pub latency: Duration,
    pub fault: Option<FaultRule>,
}

impl FaultController {
    pub fn new(plan: FaultPlan) -> FaultController {
        FaultController {
            plan: Mutex::new(Plan::from(plan)),
        }
    }

    pub fn replace(&self, plan: FaultPlan) -> Result<(), String> {
        for rule in &plan.rules {
            rule.validate()?;
        }
        *self.lock() = Plan::from(plan);
        Ok(())
    }

    pub fn current(&self) -> FaultPlan {
        let plan = self.lock();
        FaultPlan {
            seed: plan.seed,
            rules: plan.rules.iter().map(|r| r.rule.clone()).collect(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Plan> {
        // A panic while holding the lock cannot leave the plan inconsistent (counters only), so keep going.
        self.plan
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts the request against every rule it matches and decides what happens to it: latency rules add
    /// up; the first other rule that fires wins.
    pub fn decide(&self, listener: Listener, path: &str) -> Decision {
        let mut plan = self.lock();
        let seed = plan.seed;
        let mut decision = Decision::default();
        for (index, state) in plan.rules.iter_mut().enumerate() {
            let rule = &state.rule;
            if !rule.target.covers(listener) {
                continue;
            }
            if let Some(text) = &rule.path_contains
                && !path
                    .to_ascii_lowercase()
                    .contains(&text.to_ascii_lowercase())
            {
                continue;
            }
            if rule.count.is_some_and(|limit| state.fired >= limit) {
                continue;
            }
            state.seen += 1;
            let fires = match (rule.every, rule.rate) {
                (Some(every), _) => state.seen % every == 0,
                (None, Some(rate)) => unit_interval(seed, index as u64, state.seen) < rate,
                (None, None) => true,
            };
            if !fires {
                continue;
            }
            if rule.kind == FaultKind::Latency {
                state.fired += 1;
                decision.latency += Duration::from_millis(rule.delay_ms.unwrap_or(0));
            } else if decision.fault.is_none() {
                state.fired += 1;
                decision.fault = Some(rule.clone());
            }
        }
        decision
    }
}

impl From<FaultPlan> for Plan {
    fn from(plan: FaultPlan) -> Plan {
        Plan {
            seed: plan.seed,
            rules: plan
                .rules
                .into_iter()
                .map(|rule| RuleState {
                    rule,
                    seen: 0,
                    fired: 0,
                })
                .collect(),
        }
    }
}

/// A deterministic number in [0, 1) for (seed, rule, request number).
fn unit_interval(seed: u64, rule: u64, n: u64) -> f64 {
    let mut x =
        seed ^ rule.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ n.wrapping_mul(0xD1B5_4A32_D192_ED03);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// State of the fault middleware of one listener.
#[derive(Clone)]
pub struct FaultLayerState {
    pub controller: Arc<FaultController>,
    pub listener: Listener,
}

/// Middleware applying the live plan. Control routes (`/_emulator/...`) are never faulted.
pub async fn apply(State(state): State<FaultLayerState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/_emulator") {
        return next.run(request).await;
    }
    let decision = state.controller.decide(state.listener, &path);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let Some(rule) = decision.fault else {
        return next.run(request).await;
    };
    tracing::info!(kind = ?rule.kind, %path, "injecting fault");
    let correlation_id = request
        .headers()
        .get("x-ms-correlation-request-id")
        .cloned();
    let answered_here = matches!(
        rule.kind,
        FaultKind::Throttle | FaultKind::Unavailable | FaultKind::GatewayTimeout
    );
    let mut response = match rule.kind {
        FaultKind::Throttle => {
            let mut response = ArmError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "SubscriptionRequestsThrottled",
                "Number of requests for subscription exceeded the limit. Please try again after some time.",
            )
            .into_response();
            set_retry_after(&mut response, rule.retry_after_ms.unwrap_or(1000));
            response.headers_mut().insert(
                "x-ms-ratelimit-remaining-subscription-reads",
                HeaderValue::from_static("0"),
            );
            response
        }
        FaultKind::Unavailable => {
            let mut response = ArmError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "The service is busy or the call is being throttled. Retry the request later.",
            )
            .into_response();
            set_retry_after(&mut response, rule.retry_after_ms.unwrap_or(1000));
            response
        }
        FaultKind::GatewayTimeout => {
            tokio::time::sleep(Duration::from_millis(rule.delay_ms.unwrap_or(0))).await;
            let provider = if path
                .to_ascii_lowercase()
                .contains("microsoft.commerce.admin")
            {
                "Microsoft.Commerce.Admin"
            } else {
                "Microsoft.Commerce"
            };
            let mut response = ArmError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "GatewayTimeout",
                format!(
                    "The gateway did not receive a response from '{provider}' within the specified time period."
                ),
            )
            .into_response();
            response
                .headers_mut()
                .insert("x-ms-failure-cause", HeaderValue::from_static("service"));
            response
        }
        FaultKind::DropConnection => {
            let response = next.run(request).await;
            let (parts, body) = response.into_parts();
            let bytes = collect(body).await;
            let keep = bytes.slice(..bytes.len() / 2);
            // The body stream yields half the bytes and then fails; hyper then closes the connection
            // without finishing the message, which is what a client sees when a connection drops.
            let stream = futures_util::stream::iter(vec![
                Ok::<Bytes, std::io::Error>(keep),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected connection drop",
                )),
            ]);
            let mut response = Response::from_parts(parts, Body::from_stream(stream));
            response.headers_mut().remove(header::CONTENT_LENGTH);
            response
        }
        FaultKind::TruncateBody => {
            let response = next.run(request).await;
            let (mut parts, body) = response.into_parts();
            let bytes = collect(body).await;
            let keep = bytes.slice(..bytes.len() / 2);
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(keep.len()));
            Response::from_parts(parts, Body::from(keep))
        }
        FaultKind::RepeatRecord | FaultKind::ContradictRecord => {
            let response = next.run(request).await;
            let (mut parts, body) = response.into_parts();
            let bytes = collect(body).await;
            let body =
                match page_with_extra_record(&bytes, rule.kind == FaultKind::ContradictRecord) {
                    Some(changed) => Bytes::from(changed),
                    None => bytes,
                };
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
            Response::from_parts(parts, Body::from(body))
        }
        FaultKind::Latency => unreachable!("latency rules never become the fault"),
    };
    if answered_here {
        // ARM's front end stamps every answer, throttling included, with request ids; clients report them.
        let request_id = uuid::Uuid::new_v4().to_string();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            headers.insert("x-ms-request-id", value.clone());
            headers.insert(
                "x-ms-correlation-request-id",
                correlation_id.unwrap_or(value),
            );
        }
    }
    response
}

/// A usage page (`{"value":[...]}`) with a copy of its first record appended, its quantity plus one when
/// `contradict`; None for anything else (no JSON, no records).
fn page_with_extra_record(body: &[u8], contradict: bool) -> Option<Vec<u8>> {
    let mut page: serde_json::Value = serde_json::from_slice(body).ok()?;
    let records = page.get_mut("value")?.as_array_mut()?;
    let mut copy = records.first()?.clone();
    if contradict {
        let quantity = copy.pointer_mut("/properties/quantity")?;
        *quantity = serde_json::json!(quantity.as_f64()? + 1.0);
    }
    records.push(copy);
    serde_json::to_vec(&page).ok()
}

fn set_retry_after(response: &mut Response, retry_after_ms: u64) {
    let seconds = retry_after_ms.div_ceil(1000);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
        .headers_mut()
        .insert("x-ms-retry-after-ms", HeaderValue::from(retry_after_ms));
}

async fn collect(body: Body) -> Bytes {
    axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(spec: &str) -> FaultRule {
        spec.parse().unwrap()
    }

    #[test]
    fn parses_specs() {
        let r = rule("429:every=3,retry-after-ms=1500,count=2,target=tenant,path=usage");
        assert_eq!(r.kind, FaultKind::Throttle);
        assert_eq!(
            (r.every, r.count, r.retry_after_ms),
            (Some(3), Some(2), Some(1500))
        );
        assert_eq!(r.target, FaultTarget::Tenant);
        assert_eq!(r.path_contains.as_deref(), Some("usage"));
        assert_eq!(rule("latency:delay-ms=50").delay_ms, Some(50));
        assert!(
            "teapot"
                .parse::<FaultRule>()
                .unwrap_err()
                .contains("unknown fault kind")
        );
        assert!(
            "503:every=0"
                .parse::<FaultRule>()
                .unwrap_err()
                .contains("at least 1")
        );
        assert!(
            "503:rate=2"
                .parse::<FaultRule>()
                .unwrap_err()
                .contains("between 0 and 1")
        );
        assert!("503:every=2,rate=0.5".parse::<FaultRule>().is_err());
        assert!(
            "503:bogus=1"
                .parse::<FaultRule>()
                .unwrap_err()
                .contains("unknown fault option")
        );
    }

    #[test]
    fn every_nth_and_count() {
        let controller = FaultController::new(FaultPlan {
            seed: 0,
            rules: vec![rule("503:every=3,count=2")],
        });
        let fired: Vec<bool> = (0..12)
            .map(|_| controller.decide(Listener::Admin, "/x").fault.is_some())
            .collect();
        let expected = [
            false, false, true, false, false, true, false, false, false, false, false, false,
        ];
        assert_eq!(fired, expected);
    }

    #[test]
    fn rate_is_deterministic_and_close_to_the_rate() {
        let plan = FaultPlan {
            seed: 42,
            rules: vec![rule("429:rate=0.25")],
        };
        let run = || {
            let controller = FaultController::new(plan.clone());
            (0..4000)
                .map(|_| controller.decide(Listener::Tenant, "/x").fault.is_some())
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let hits = first.iter().filter(|f| **f).count();
        assert!((850..1150).contains(&hits), "{hits} of 4000 at rate 0.25");
        let other = FaultController::new(FaultPlan {
            seed: 43,
            ..plan.clone()
        });
        let second: Vec<bool> = (0..4000)
            .map(|_| other.decide(Listener::Tenant, "/x").fault.is_some())
            .collect();
        assert_ne!(first, second);
    }

    #[test]
    fn targets_and_paths_filter() {
        let controller = FaultController::new(FaultPlan {
            seed: 0,
            rules: vec![
                rule("503:target=admin,path=Usage"),
                rule("latency:delay-ms=5"),
            ],
        });
        assert!(
            controller
                .decide(Listener::Tenant, "/subscriptions/x/usageAggregates")
                .fault
                .is_none()
        );
        assert!(
            controller
                .decide(Listener::Admin, "/metadata/endpoints")
                .fault
                .is_none()
        );
        let decision = controller.decide(
            Listener::Admin,
            "/subscriptions/x/subscriberUsageAggregates",
        );
        assert_eq!(decision.fault.map(|r| r.kind), Some(FaultKind::Unavailable));
        assert_eq!(decision.latency, Duration::from_millis(5));
        assert_eq!(
            controller.decide(Listener::Identity, "/t/oauth2/token"),
            Decision::default()
        );
    }
}
