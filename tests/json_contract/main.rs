//! The C ABI's JSON contract (docs/c-abi.md and docs/schema/*.json) held against the library: real calls
//! through the C ABI against the emulator, every JSON they take and give validated against the schema
//! files; every field table of docs/c-abi.md compared with its schema (names, aliases, types, required) and
//! every example in it validated; and the row-key statements of the page record checked on real pages. A
//! field renamed in the code, the schema or the doc alone fails here.

#[path = "../support/mod.rs"]
mod support;

mod contract;
mod registration;
mod usage;
mod warehouse;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use azs_billing::ffi::*;
use contract::{Contract, Walker};
use serde_json::{Value, json};
use support::Stamp;
use support::abi::{ClientHandle, c, call, call_json, client_new, read};

/// A client from options the contract describes, checked against it first.
fn contract_client(contract: &Contract, options: &Value) -> ClientHandle {
    contract.check("options.json", options);
    let credential = format!(
        "options.json#/$defs/{}",
        options["credential"]["type"]
            .as_str()
            .expect("credential.type")
    );
    contract.check(&credential, &options["credential"]);
    for (field, def) in [("environment", "environment"), ("retry", "retry")] {
        if let Some(value) = options.get(field) {
            contract.check(&format!("options.json#/$defs/{def}"), value);
        }
    }
    client_new(options).unwrap_or_else(|e| panic!("azsb_client_new refused {options}: {e}"))
}

/// A path from the current directory to `path`, to show that relative paths are the process's.
fn relative_to_cwd(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().expect("cwd");
    let common = cwd
        .components()
        .zip(path.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut relative = PathBuf::new();
    for _ in cwd.components().skip(common) {
        relative.push("..");
    }
    for part in path.components().skip(common) {
        relative.push(part);
    }
    relative
}

#[test]
fn every_table_lists_exactly_the_fields_of_its_schema() {
    let contract = Contract::load();
    assert!(
        contract.tables.len() >= 30,
        "{} tables found in docs/c-abi.md",
        contract.tables.len()
    );
    let walker = Walker {
        schemas: &contract.schemas,
        documented: contract.tables.iter().map(|t| t.target.clone()).collect(),
    };
    let mut problems = Vec::new();
    for table in &contract.tables {
        let (file, node) = walker.node(&table.target);
        let mut schema = BTreeMap::new();
        walker.fields(&file, node, "", &mut schema);
        for (name, documented) in &table.fields {
            match schema.get(name) {
                None => problems.push(format!(
                    "{}: `{name}` is in docs/c-abi.md, not in the schema",
                    table.target
                )),
                Some(described) if described != documented => problems.push(format!(
                    "{}: `{name}` is {documented:?} in docs/c-abi.md but {described:?} in the schema",
                    table.target
                )),
                Some(_) => {}
            }
        }
        for name in schema.keys() {
            if !table.fields.contains_key(name) {
                problems.push(format!(
                    "{}: `{name}` is in the schema, not in docs/c-abi.md",
                    table.target
                ));
            }
        }
        // An output's keys are always written: its schema must require every one and allow no other.
        if table.output {
            assert_eq!(
                node["additionalProperties"], false,
                "{}: an output schema refuses keys it does not list",
                table.target
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_example_in_the_doc_matches_its_schema() {
    let contract = Contract::load();
    assert!(
        contract.examples.len() >= 8,
        "{} examples",
        contract.examples.len()
    );
    for (target, example) in &contract.examples {
        let problems = contract.problems(target, example);
        assert!(
            problems.is_empty(),
            "the example for {target} in docs/c-abi.md does not match it:\n  {}",
            problems.join("\n  ")
        );
    }
}

#[test]
fn the_error_schema_knows_every_status_the_library_names() {
    let contract = Contract::load();
    let named: BTreeSet<u64> = (1..10_000u32)
        .filter(|s| read(azsb_status_name(*s)).as_deref() != Some("AZSB_STATUS_UNKNOWN"))
        .map(u64::from)
        .collect();
    let listed: BTreeSet<u64> = contract.schemas["error.json"]["properties"]["status"]["enum"]
        .as_array()
        .expect("status enum")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert_eq!(
        named, listed,
        "error.json's statuses against azsb_status_name"
    );
}

/// Everything a C caller does, through the C ABI against the emulator, every JSON checked against the
/// contract; at the end, every table of docs/c-abi.md has met a real JSON.
#[test]
fn real_inputs_and_outputs_match_the_contract() {
    let contract = Contract::load();
    let stamp = support::start();
    assert!(stamp.has_azure(), "the emulator has the Azure side");
    let state = tempfile::tempdir().expect("temp dir");

    let admin = clients_and_their_outputs(&contract, &stamp, state.path());
    usage::usage_pages_and_row_keys(&contract, &stamp, &admin);
    errors(&contract, &stamp, &admin);
    registration::registration(&contract, &stamp, &admin);
    warehouse::warehouse(&contract, &stamp, &admin);

    let seen = contract.seen.lock().unwrap();
    let unseen: Vec<&str> = contract
        .tables
        .iter()
        .map(|t| t.target.as_str())
        .filter(|t| !seen.contains(*t))
        .collect();
    assert!(
        unseen.is_empty(),
        "tables of docs/c-abi.md no real JSON was checked against: {unseen:?}"
    );
}

pub fn retry() -> Value {
    json!({"max_retries": 4, "initial_delay": 10, "max_delay": 200, "max_total": 10000})
}

/// Options of a stamp principal on the admin endpoint, with `ca_bundle` relative to the current directory.
fn admin_options(stamp: &Stamp, credential: Value) -> Value {
    json!({
        "arm_endpoint": stamp.s("/admin_arm"),
        "tenant": stamp.s("/tenant_id"),
        "credential": credential,
        "ca_bundle": relative_to_cwd(&stamp.ca()).display().to_string(),
        "connect_timeout": 5,
        "read_timeout": 20.5,
        "retry": retry(),
        "allow_http": false,
        "user_agent_suffix": "json-contract/1",
    })
}

fn clients_and_their_outputs(contract: &Contract, stamp: &Stamp, state: &Path) -> ClientHandle {
    let operator = stamp.principal("operator");
    let secret = json!({"type": "client_secret", "client_id": operator["client_id"], "client_secret": operator["client_secret"]});
    let admin = contract_client(contract, &admin_options(stamp, secret));

    let environment = call_json("environment", |o, e| azsb_client_environment(admin.0, o, e));
    contract.check("environment.json", &environment);
    let account = call_json("account", |o, e| azsb_client_account(admin.0, o, e));
    contract.check("account.json", &account);
    assert_eq!(account["account_type"], "application");

    let visible = call_json("subscriptions", |o, e| {
        azsb_client_subscriptions(admin.0, o, e)
    });
    assert!(contract.check_each("subscriptions.json#/$defs/subscription", &visible) > 0);
    let provider = call(|o, e| azsb_default_provider_subscription(admin.0, o, e))
        .expect("default provider subscription")
        .expect("an id");
    assert_eq!(provider, stamp.s("/default_provider_subscription_id"));
    let provider_c = c(&provider);
    let tenants = call_json("user subscriptions", |o, e| {
        azsb_user_subscriptions(admin.0, provider_c.as_ptr(), std::ptr::null(), o, e)
    });
    assert!(contract.check_each("subscriptions.json#/$defs/user_subscription", &tenants) > 0);

    let meters = call_json("meters", |o, e| azsb_meters(o, e));
    assert!(contract.check_each("meter.json", &meters) > 50);
    let id = c("fab6eb84500b4a09a8ca7358f8bbaea5");
    let meter = call_json("meter lookup", |o, e| azsb_meter_lookup(id.as_ptr(), o, e));
    contract.check("meter.json", &meter);
    let unknown = c("not-a-meter");
    assert_eq!(
        call(|o, e| azsb_meter_lookup(unknown.as_ptr(), o, e)).expect("lookup"),
        None
    );

    // Every credential type and environment form the options take.
    let certificate = stamp.principal("operator-certificate");
    let pem = json!({"type": "certificate", "client_id": certificate["client_id"],
                     "certificate_path": certificate["certificate_path"], "private_key_path": certificate["private_key_path"]});
    let client = contract_client(contract, &admin_options(stamp, pem));
    let account = call_json("account", |o, e| azsb_client_account(client.0, o, e));
    contract.check("account.json", &account);
    assert_eq!(account["account"], certificate["client_id"]);

    let pfx = state.join("operator.pfx");
    support::write_pfx(
        Path::new(certificate["certificate_path"].as_str().unwrap()),
        Path::new(certificate["private_key_path"].as_str().unwrap()),
        "pfx-Passw0rd",
        &pfx,
    );
    let pfx = json!({"type": "pfx", "client_id": certificate["client_id"], "pfx_path": pfx, "password": "pfx-Passw0rd"});
    let client = contract_client(contract, &admin_options(stamp, pfx));
    contract.check(
        "account.json",
        &call_json("account", |o, e| azsb_client_account(client.0, o, e)),
    );

    let device = json!({"type": "device_code", "client_id": null});
    let client = contract_client(contract, &admin_options(stamp, device));
    let account = call_json("account", |o, e| azsb_client_account(client.0, o, e));
    contract.check("account.json", &account);
    assert_eq!(account["account_type"], "user");

    // An opaque token names nobody: every field null.
    let opaque = json!({"cloud": "azurecloud", "credential": {"type": "access_token", "access_token": "opaque"}});
    let client = contract_client(contract, &opaque);
    let account = call_json("account", |o, e| azsb_client_account(client.0, o, e));
    contract.check("account.json", &account);
    assert_eq!(
        account,
        json!({"account": null, "account_type": null, "tenant_id": null})
    );
    let environment = call_json("environment", |o, e| {
        azsb_client_environment(client.0, o, e)
    });
    contract.check("environment.json", &environment);
    assert_eq!(environment["name"], "AzureCloud");

    let custom = json!({
        "environment": {"name": "Lab", "resource_manager": stamp.s("/admin_arm"),
                        "login_endpoint": stamp.s("/login_endpoint"), "audience": stamp.s("/audiences/admin")},
        "tenant": stamp.s("/tenant_id"),
        "credential": {"type": "client_secret", "client_id": operator["client_id"], "client_secret": operator["client_secret"]},
        "ca_bundle": stamp.ca(),
    });
    let client = contract_client(contract, &custom);
    let environment = call_json("environment", |o, e| {
        azsb_client_environment(client.0, o, e)
    });
    contract.check("environment.json", &environment);
    assert_eq!(environment["name"], "Lab");
    contract.check(
        "account.json",
        &call_json("account", |o, e| azsb_client_account(client.0, o, e)),
    );
    admin
}

fn errors(contract: &Contract, stamp: &Stamp, admin: &ClientHandle) {
    let operator = stamp.principal("operator");
    // Refused locally: an unknown key (the schema refuses it too), both spellings of a query key.
    let mut options = admin_options(
        stamp,
        json!({"type": "client_secret", "client_id": operator["client_id"], "client_secret": "S3CRET-value"}),
    );
    options["retries"] = json!(3);
    contract.refuses("options.json", &options);
    let error = client_new(&options).err().expect("an unknown key");
    contract.check("error.json", &error);
    assert_eq!(
        (&error["status_name"], &error["http_status"], &error["code"]),
        (
            &json!("AZSB_STATUS_INVALID_ARGUMENT"),
            &json!(0),
            &Value::Null
        )
    );
    assert!(
        !error["message"].as_str().unwrap().contains("S3CRET"),
        "{error}"
    );

    let provider = stamp.s("/default_provider_subscription_id");
    let mut both = usage::hourly(&provider, "2026-01-06T00:00:00Z", "2026-01-06T01:00:00Z");
    both["subscriptionId"] = Value::String(provider.clone());
    contract.refuses("usage-query.json", &both);
    let error = usage::usage_open(admin, &both)
        .err()
        .expect("both spellings");
    contract.check("error.json", &error);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("more than once"),
        "{error}"
    );

    // Refused by the identity provider: its code, an HTTP status.
    options.as_object_mut().unwrap().remove("retries");
    let client = client_new(&options).expect("the options are well formed");
    let error = call(|o, e| azsb_client_account(client.0, o, e)).expect_err("a wrong secret");
    contract.check("error.json", &error);
    assert_eq!(error["status_name"], "AZSB_STATUS_AUTHENTICATION");
    assert!(error["http_status"].as_u64().unwrap() >= 400, "{error}");
    assert!(error["code"].is_string(), "{error}");

    // docs/c-abi.md, "allow_http": plain http to a host that is not loopback is refused before anything
    // is sent, an environment option's URLs included (allowed by allow_http like any other).
    // (10.255.255.1 is never contacted: a request to it would hang, not fail fast.)
    let token = json!({"type": "access_token", "access_token": "t"});
    let plain = json!({"arm_endpoint": "http://10.255.255.1/", "credential": token});
    contract.check("options.json", &plain);
    let error = client_new(&plain).err().expect("plain http off loopback");
    assert_eq!(
        error["status_name"], "AZSB_STATUS_INVALID_ARGUMENT",
        "{error}"
    );
    assert!(
        error["message"].as_str().unwrap().contains("allow_http"),
        "{error}"
    );
    let custom = json!({"environment": {"resource_manager": "http://10.255.255.1/", "login_endpoint": "http://10.255.255.1/",
                                        "audience": "a"}, "credential": token});
    contract.check("options.json", &custom);
    let error = client_new(&custom)
        .err()
        .expect("environment URLs follow allow_http");
    assert_eq!(
        error["status_name"], "AZSB_STATUS_INVALID_ARGUMENT",
        "{error}"
    );
    let message = error["message"].as_str().unwrap();
    assert!(message.starts_with("resource_manager:"), "{error}");
    assert!(message.contains("allow_http"), "{error}");
    let mut allowed = custom.clone();
    allowed["allow_http"] = json!(true);
    contract.check("options.json", &allowed);
    // Nothing is sent when the client is made from an environment, so 10.255.255.1 is not contacted.
    client_new(&allowed).expect("allow_http covers environment URLs");
    let loopback = json!({"environment": {"resource_manager": "http://127.0.0.1:1/", "login_endpoint": "http://localhost:1/",
                                          "audience": "a"}, "credential": token});
    contract.check("options.json", &loopback);
    client_new(&loopback).expect("plain http to loopback needs no allow_http");

    // A file that cannot be read: named as given, relative to the current directory.
    let mut missing = admin_options(stamp, json!({"type": "access_token", "access_token": "t"}));
    missing["ca_bundle"] = json!("no-such-dir/ca.pem");
    contract.check("options.json", &missing);
    let error = client_new(&missing).err().expect("no such file");
    contract.check("error.json", &error);
    assert_eq!(error["status_name"], "AZSB_STATUS_FILE");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("no-such-dir/ca.pem"),
        "{error}"
    );
}
