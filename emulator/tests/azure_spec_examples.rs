//! Every specification example of Microsoft.AzureStack registrations and customer subscriptions (2017-06-01
//! and 2022-06-01, both folder layouts) and of Microsoft.AzureBridge.Admin activations, replayed against
//! the emulator: the example's request is accepted and the answer has the example's status, fields and
//! types. Only what cannot be replayed literally is replaced: the subscription (this run's) and the
//! registration token (the example's is scrambled; one from the PEP model takes its place).

mod common;

use std::path::Path;

use common::{Reply, Stamp, start};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The example files of `kind` (Registration, CustomerSubscription, Activation, Operation) below `root`.
fn examples(root: &str, kind: &str) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    let mut pending = vec![common::spec_fixtures().join(root)];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|p| p == kind)
            {
                let text = std::fs::read_to_string(&path).unwrap();
                let name = path
                    .strip_prefix(common::spec_fixtures())
                    .unwrap()
                    .display()
                    .to_string();
                found.push((name, serde_json::from_str(&text).unwrap()));
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

fn operation(name: &str) -> &str {
    Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap()
}

/// `ours` has every field of `example`, of the same JSON type, recursively (array items against the
/// example's first item).
fn assert_conforms(ours: &Value, example: &Value, at: &str) {
    match (ours, example) {
        (Value::Object(ours), Value::Object(example)) => {
            for (key, value) in example {
                let mine = ours
                    .get(key)
                    .unwrap_or_else(|| panic!("{at}: no '{key}' in {ours:?}"));
                assert_conforms(mine, value, &format!("{at}.{key}"));
            }
        }
        (Value::Array(ours), Value::Array(example)) => {
            if let Some(first) = example.first() {
                assert!(!ours.is_empty(), "{at}: empty where the example has items");
                for item in ours {
                    assert_conforms(item, first, &format!("{at}[]"));
                }
            }
        }
        (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::Null, Value::Null) => {}
        _ => panic!("{at}: {ours} is not of the example's type ({example})"),
    }
}

/// The reply's status is one the example lists, and its body conforms to that status's example body.
fn assert_answers(reply: &Reply, example: &Value, name: &str) {
    let responses = &example["responses"];
    let expected = responses.get(reply.status.as_str()).unwrap_or_else(|| {
        panic!(
            "{name}: status {} is not among the example's: {}",
            reply.status, reply.text
        )
    });
    if let Some(body) = expected.get("body") {
        assert_conforms(&reply.json(), body, name);
    }
}

fn query(parameters: &Value) -> String {
    format!(
        "api-version={}",
        parameters["api-version"].as_str().unwrap()
    )
}

/// The example's resource path with this run's subscription.
fn registration_path(stamp: &Stamp, parameters: &Value) -> String {
    let mut path = format!("subscriptions/{}", stamp.azure_subscription());
    if let Some(rg) = parameters["resourceGroup"].as_str() {
        path += &format!("/resourceGroups/{rg}");
    }
    path += "/providers/Microsoft.AzureStack/registrations";
    if let Some(name) = parameters["registrationName"].as_str() {
        path += &format!("/{name}");
    }
    path
}

/// The example's body with a registration token this emulator accepts.
fn with_token(body: &Value, token: &str) -> Value {
    let mut body = body.clone();
    body["properties"]["registrationToken"] = json!(token);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_and_customer_subscription_examples() {
    let stamp = start().await;
    let azure = stamp.azure_token("azure-operator").await;
    let token = stamp
        .registration_token(json!({"BillingModel": "PayAsYouUse", "UsageReportingEnabled": true}))
        .await;
    let registrations = examples("azurestack", "Registration");
    let customers = examples("azurestack", "CustomerSubscription");
    assert_eq!((registrations.len(), customers.len()), (14, 8));

    // The group the examples name, and the provider registration a PUT needs.
    let sub = stamp.azure_subscription();
    stamp
        .call(
            Method::POST,
            &stamp.azure_url(&format!(
                "subscriptions/{sub}/providers/Microsoft.AzureStack/register?api-version=2021-04-01"
            )),
            &azure,
            None,
        )
        .await;
    stamp
        .call(
            Method::PUT,
            &stamp.azure_url(&format!(
                "subscriptions/{sub}/resourcegroups/azurestack?api-version=2021-04-01"
            )),
            &azure,
            Some(json!({"location": "westcentralus"})),
        )
        .await;

    let mut replayed = 0;
    let mut statuses = Vec::new();
    for wanted in ["Put", "Patch", "Get", "List", "ListBySubscription", "Post"] {
        for (name, example) in registrations.iter().filter(|(n, _)| operation(n) == wanted) {
            let p = &example["parameters"];
            let url = stamp.azure_url(&format!("{}?{}", registration_path(&stamp, p), query(p)));
            let reply = match wanted {
                "Put" => {
                    stamp
                        .call(
                            Method::PUT,
                            &url,
                            &azure,
                            Some(with_token(&p["token"], &token)),
                        )
                        .await
                }
                "Patch" => {
                    // The example's resource carries tags; give it some first, then send the example's body.
                    let tags = json!({"tags": example["responses"]["200"]["body"]["tags"]});
                    assert_eq!(
                        stamp
                            .call(Method::PATCH, &url, &azure, Some(tags))
                            .await
                            .status,
                        StatusCode::OK
                    );
                    stamp
                        .call(
                            Method::PATCH,
                            &url,
                            &azure,
                            Some(with_token(&p["token"], &token)),
                        )
                        .await
                }
                "Post" => {
                    let url = url.replace("?", "/getactivationkey?");
                    stamp.call(Method::POST, &url, &azure, None).await
                }
                _ => stamp.call(Method::GET, &url, &azure, None).await,
            };
            assert_answers(&reply, example, name);
            statuses.push(reply.status);
            replayed += 1;
        }
    }
    // The first PUT creates, the second renews.
    assert_eq!(&statuses[..2], [StatusCode::CREATED, StatusCode::OK]);

    for wanted in ["Put", "Get", "List", "Delete"] {
        for (name, example) in customers.iter().filter(|(n, _)| operation(n) == wanted) {
            let p = &example["parameters"];
            let base = format!("{}/customerSubscriptions", registration_path(&stamp, p));
            let item = |id: &str| stamp.azure_url(&format!("{base}/{id}?{}", query(p)));
            let reply = match wanted {
                "Put" => {
                    let url = item(p["customerSubscriptionName"].as_str().unwrap());
                    stamp
                        .call(
                            Method::PUT,
                            &url,
                            &azure,
                            Some(p["customerCreationParameters"].clone()),
                        )
                        .await
                }
                "List" => {
                    stamp
                        .call(
                            Method::GET,
                            &stamp.azure_url(&format!("{base}?{}", query(p))),
                            &azure,
                            None,
                        )
                        .await
                }
                "Get" => {
                    stamp
                        .call(
                            Method::GET,
                            &item(p["customerSubscriptionName"].as_str().unwrap()),
                            &azure,
                            None,
                        )
                        .await
                }
                _ => {
                    let url = item(p["customerSubscriptionName"].as_str().unwrap());
                    let first = stamp.call(Method::DELETE, &url, &azure, None).await;
                    assert_answers(&first, example, name);
                    // Gone now: the example's other answer.
                    stamp.call(Method::DELETE, &url, &azure, None).await
                }
            };
            assert_answers(&reply, example, name);
            replayed += 1;
        }
    }

    for (name, example) in registrations
        .iter()
        .filter(|(n, _)| operation(n) == "Delete")
    {
        let p = &example["parameters"];
        let url = stamp.azure_url(&format!("{}?{}", registration_path(&stamp, p), query(p)));
        let reply = stamp.call(Method::DELETE, &url, &azure, None).await;
        assert_answers(&reply, example, name);
        statuses.push(reply.status);
        replayed += 1;
    }
    assert_eq!(
        &statuses[statuses.len() - 2..],
        [StatusCode::OK, StatusCode::NO_CONTENT]
    );
    assert_eq!(replayed, registrations.len() + customers.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_example() {
    let stamp = start().await;
    let azure = stamp.azure_token("azure-operator").await;
    let [(name, example)] = &examples("azurestack", "Operation")[..] else {
        panic!("one operations example");
    };
    let url = stamp.azure_url(&format!(
        "providers/Microsoft.AzureStack/operations?{}",
        query(&example["parameters"])
    ));
    let reply = stamp.call(Method::GET, &url, &azure, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{name}: {}", reply.text);
    assert_eq!(reply.json(), example["responses"]["200"]["body"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_examples() {
    let stamp = start().await;
    let operator = stamp.operator_token().await;
    let activations = examples("azsadmin/resource-manager/azurebridge", "Activation");
    assert_eq!(activations.len(), 4);
    let url = |p: &Value, name: bool| {
        // The examples' group is 'azurestack'; the stamp keeps its activation in 'azurestack-activation'.
        let mut path = format!(
            "{}subscriptions/{}/resourceGroups/azurestack-activation/providers/Microsoft.AzureBridge.Admin/activations",
            stamp.s("/admin_arm"),
            stamp.provider_subscription()
        );
        if name {
            path += &format!("/{}", p["activationName"].as_str().unwrap());
        }
        format!("{path}?{}", query(p))
    };
    let find = |wanted: &str| {
        activations
            .iter()
            .find(|(n, _)| operation(n) == wanted)
            .unwrap_or_else(|| panic!("no {wanted} example"))
    };

    // Not activated: the item is missing, the list empty, a PUT cannot create one.
    let (_, get) = find("Get");
    assert_eq!(
        stamp
            .get(&url(&get["parameters"], true), Some(&operator))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let (_, create) = find("Create");
    let reply = stamp
        .call(
            Method::PUT,
            &url(&create["parameters"], true),
            &operator,
            Some(create["parameters"]["activation"].clone()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);

    let token = stamp
        .registration_token(json!({"BillingModel": "Development", "UsageReportingEnabled": true}))
        .await;
    let azure = stamp.azure_token("azure-operator").await;
    stamp
        .register(&azure, "azurestack", "activation", &token)
        .await;
    let key = stamp
        .call(
            Method::POST,
            &stamp.azure_url(&format!(
                "{}/getactivationkey?api-version=2017-06-01",
                stamp.registration_path("azurestack", "activation")
            )),
            &azure,
            None,
        )
        .await
        .json()["activationKey"]
        .clone();
    stamp
        .pep_output("New-AzureStackActivation", json!({"ActivationKey": key}))
        .await;

    for wanted in ["Get", "List", "Create", "Delete"] {
        let (name, example) = find(wanted);
        let p = &example["parameters"];
        let reply = match wanted {
            "List" => stamp.get(&url(p, false), Some(&operator)).await,
            "Create" => {
                stamp
                    .call(
                        Method::PUT,
                        &url(p, true),
                        &operator,
                        Some(p["activation"].clone()),
                    )
                    .await
            }
            "Delete" => {
                let first = stamp
                    .call(Method::DELETE, &url(p, true), &operator, None)
                    .await;
                assert_eq!(first.status, StatusCode::OK);
                assert_answers(&first, example, name);
                stamp
                    .call(Method::DELETE, &url(p, true), &operator, None)
                    .await
            }
            _ => stamp.get(&url(p, true), Some(&operator)).await,
        };
        assert_answers(&reply, example, name);
    }
}
