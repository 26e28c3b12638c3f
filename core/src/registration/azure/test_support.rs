//! What the unit tests of the Azure operations share: the spec examples, and a client for a scripted
//! Resource Manager.

use serde_json::{Value, json};

use crate::client::Client;
use crate::cloud::Environment;
use crate::credential::Credential;
use crate::secret::Secret;
use crate::transport::testing::{Seen, reply, serve};
use crate::transport::{Transport, TransportOptions};

pub(super) const SPECS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/specs/azurestack/resource-manager/Microsoft.AzureStack"
);

pub(super) fn responses(path: &str) -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(format!("{SPECS}/{path}")).unwrap();
    let example: Value = serde_json::from_str(&text).unwrap();
    example["responses"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(status, r)| Some((status.clone(), r.get("body")?.clone())))
        .collect()
}

pub(super) const SUB: &str = "dd8597b4-8739-4467-8b10-f8679f62bfbf";

pub(super) const PRINCIPAL: &str = "2dbdd5f4-daf3-442a-be35-b71c3debee5a";

/// A client for a scripted Azure Resource Manager that answers `answers` in order.
pub(super) fn scripted(answers: Vec<String>) -> (Client, Seen) {
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

pub(super) fn ok(body: &str) -> String {
    reply("200 OK", &["content-type: application/json"], body)
}

pub(super) fn status(line: &str, body: &str) -> String {
    reply(line, &["content-type: application/json"], body)
}

/// "VERB /path" of each request, without the query.
pub(super) fn requests(seen: &Seen) -> Vec<String> {
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

pub(super) fn registration_json(name: &str, cloud_id: Option<&str>) -> String {
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
