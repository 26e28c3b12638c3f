//! Registration through the C ABI, the flow a C caller runs (PEP token, Azure registration, activation,
//! status, CSP customers, removal), every argument and result against the contract.

use std::ffi::c_char;

use azs_billing::ffi::*;
use serde_json::{Value, json};

use crate::contract::Contract;
use crate::contract_client;
use crate::support::Stamp;
use crate::support::abi::{ClientHandle, c, call, call_json};

const REGISTRATION: &str = "arm-resources.json#/$defs/registration";
const CUSTOMER: &str = "arm-resources.json#/$defs/customer_subscription";
const REMOVED: &str = "registration-out.json#/$defs/removed";

/// An `azsb_*` function of a client and `args_json`.
type ClientFunction = extern "C" fn(
    *const AzsbClient,
    *const c_char,
    *mut *mut c_char,
    *mut *mut AzsbError,
) -> AzsbStatus;

/// A client's registration calls, each argument checked against its definition in registration-in.json
/// and each result (or each element of an array result) against `output`.
struct Calls<'a> {
    contract: &'a Contract,
    client: &'a ClientHandle,
}

impl Calls<'_> {
    fn try_call(
        &self,
        function: ClientFunction,
        input: &str,
        args: &Value,
        output: &str,
    ) -> Result<Value, Value> {
        self.contract
            .check(&format!("registration-in.json#/$defs/{input}"), args);
        let args = c(&args.to_string());
        let text = call(|o, e| function(self.client.0, args.as_ptr(), o, e))?;
        let result: Value = serde_json::from_str(&text.expect("a result")).expect("a JSON result");
        if result.is_array() {
            self.contract.check_each(output, &result);
        } else {
            self.contract.check(output, &result);
        }
        Ok(result)
    }

    fn call(&self, function: ClientFunction, input: &str, args: Value, output: &str) -> Value {
        self.try_call(function, input, &args, output)
            .unwrap_or_else(|e| panic!("{input} {args}: {e}"))
    }
}

fn pep_invoke(
    contract: &Contract,
    options: &Value,
    command: &str,
    parameters: Option<&Value>,
) -> Value {
    contract.check("registration-in.json#/$defs/pep_options", options);
    let options = c(&options.to_string());
    let command = c(command);
    let parameters = parameters.map(|p| c(&p.to_string()));
    let out = call_json("azsb_pep_invoke", |o, e| {
        azsb_pep_invoke(
            options.as_ptr(),
            command.as_ptr(),
            parameters.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
            o,
            e,
        )
    });
    contract.check("registration-out.json#/$defs/pep_output", &out);
    out["output"].clone()
}

/// A function of one string argument that writes JSON, its result checked against `output`.
fn text_call(
    contract: &Contract,
    function: extern "C" fn(*const c_char, *mut *mut c_char, *mut *mut AzsbError) -> AzsbStatus,
    text: &str,
    output: &str,
) -> Value {
    let text = c(text);
    let result = call_json(output, |o, e| function(text.as_ptr(), o, e));
    contract.check(output, &result);
    result
}

pub fn registration(contract: &Contract, stamp: &Stamp, admin: &ClientHandle) {
    let pep = stamp.pep_options_json();
    let information = pep_invoke(contract, &pep, "Get-AzureStackStampInformation", None);
    let version = information["StampVersion"].as_str().expect("StampVersion");
    let cloud_id = information["CloudID"]
        .as_str()
        .expect("CloudID")
        .to_string();

    // Settings, token parameters and the token, as Set-AzsRegistration gets them.
    let settings =
        json!({"billing_model": "payasyouuse", "connected": true, "agreement_number": null});
    contract.check("registration-in.json#/$defs/settings", &settings);
    let resolved = text_call(
        contract,
        azsb_registration_settings_resolve,
        &settings.to_string(),
        "registration-out.json#/$defs/resolved_settings",
    );
    // Resolved settings go back in as they came out.
    contract.check("registration-in.json#/$defs/settings", &resolved);
    let (version_c, resolved_c) = (c(version), c(&resolved.to_string()));
    let parameters = call_json("token parameters", |o, e| {
        azsb_registration_token_parameters(version_c.as_ptr(), resolved_c.as_ptr(), o, e)
    });
    contract.check("registration-out.json#/$defs/token_parameters", &parameters);
    let token = pep_invoke(contract, &pep, "New-RegistrationToken", Some(&parameters));
    let token = token.as_str().expect("a token").to_string();
    let decoded = text_call(
        contract,
        azsb_registration_token_decode,
        &token,
        "registration-out.json#/$defs/token_info",
    );
    assert_eq!(decoded["cloud_id"], cloud_id.as_str());

    // Azure: register, read it back every way, the activation key.
    let sp = stamp.azure_principal("azure-operator");
    let azure = contract_client(
        contract,
        &json!({
            "arm_endpoint": stamp.s("/azure/arm"),
            "tenant": stamp.s("/azure/tenant_id"),
            "credential": {"type": "client_secret", "client_id": sp["client_id"], "client_secret": sp["client_secret"]},
            "ca_bundle": stamp.ca(),
            "retry": crate::retry(),
        }),
    );
    let calls = Calls {
        contract,
        client: &azure,
    };
    let subscription = stamp.s("/azure/subscription_id");
    let locations = calls.call(
        azsb_azure_locations,
        "subscription",
        json!({"subscription_id": subscription}),
        "arm-resources.json#/$defs/location",
    );
    let name = format!("azurestack-{cloud_id}");
    let created = calls.call(
        azsb_azure_registration_create,
        "create",
        json!({"subscription_id": subscription, "name": name, "token": token, "location": locations[0]["name"]}),
        REGISTRATION,
    );
    calls.call(
        azsb_azure_registration_get,
        "get",
        json!({"subscription_id": subscription, "resource_group": "azurestack", "name": name}),
        REGISTRATION,
    );
    calls.call(
        azsb_azure_registration_get,
        "get",
        json!({"registration_id": created["id"]}),
        REGISTRATION,
    );
    let listed = calls.call(
        azsb_azure_registration_list,
        "list",
        json!({"subscription_id": subscription, "resource_group": null}),
        REGISTRATION,
    );
    assert!(!listed.as_array().expect("an array").is_empty());
    calls.call(
        azsb_azure_registration_find,
        "find",
        json!({"subscription_id": subscription, "cloud_id": cloud_id}),
        REGISTRATION,
    );
    let key = calls.call(
        azsb_azure_activation_key,
        "registration",
        json!({"subscription_id": subscription, "name": name}),
        "registration-out.json#/$defs/activation_key",
    );
    let key = key["activation_key"].as_str().expect("a key").to_string();
    text_call(
        contract,
        azsb_activation_key_decode,
        &key,
        "registration-out.json#/$defs/activation_key_info",
    );

    // The stamp: activated with the key, its activation beside the registration.
    pep_invoke(
        contract,
        &pep,
        "New-AzureStackActivation",
        Some(&json!({"ActivationKey": key, "TimeoutInSeconds": 1800})),
    );
    let activation = call_json("activation", |o, e| {
        azsb_stamp_activation_get(admin.0, o, e)
    });
    contract.check("arm-resources.json#/$defs/activation", &activation);
    let args =
        json!({"registration": created, "activation": activation, "stamp_cloud_id": cloud_id});
    contract.check("registration-in.json#/$defs/status", &args);
    let status = text_call(
        contract,
        azsb_registration_status,
        &args.to_string(),
        "registration-out.json#/$defs/status",
    );
    assert_eq!(status["state"], "RegisteredAndActivated");
    contract.check(
        "registration-in.json#/$defs/status",
        &json!({"registration": created, "activation_key": key}),
    );
    contract.refuses(
        "registration-in.json#/$defs/status",
        &json!({"registration": created, "activation": activation, "activation_key": key}),
    );

    // A role, a CSP customer mapped and unmapped, the registration removed.
    calls.call(
        azsb_azure_role_assignment_ensure,
        "role",
        json!({"scope": format!("/subscriptions/{subscription}/resourceGroups/azurestack"),
               "principal_id": stamp.azure_principal("azure-reader")["object_id"], "role_definition_id": null}),
        "arm-resources.json#/$defs/role_assignment",
    );
    let customer = json!({"subscription_id": subscription, "registration_name": name,
                          "customer_subscription_id": uuid::Uuid::new_v4().to_string(),
                          "tenant_id": uuid::Uuid::new_v4().to_string()});
    calls.call(
        azsb_azure_customer_subscription_put,
        "customer",
        customer.clone(),
        CUSTOMER,
    );
    calls.call(
        azsb_azure_customer_subscription_get,
        "customer",
        customer.clone(),
        CUSTOMER,
    );
    let all = calls.call(
        azsb_azure_customer_subscription_list,
        "customer",
        json!({"subscription_id": subscription, "registration_name": name}),
        CUSTOMER,
    );
    assert_eq!(all.as_array().map(Vec::len), Some(1));
    let removed = calls.call(
        azsb_azure_customer_subscription_remove,
        "customer",
        customer,
        REMOVED,
    );
    assert_eq!(removed["removed"], true);
    let removed = calls.call(
        azsb_azure_registration_remove,
        "remove",
        json!({"subscription_id": subscription, "name": name, "cloud_id": cloud_id}),
        REMOVED,
    );
    assert_eq!(removed["removed"], true);

    // Gone: NOT_FOUND with the service's answer in the error.
    let error = calls
        .try_call(
            azsb_azure_registration_get,
            "get",
            &json!({"subscription_id": subscription, "name": name}),
            REGISTRATION,
        )
        .expect_err("removed");
    contract.check("error.json", &error);
    assert_eq!(
        (&error["status_name"], &error["http_status"]),
        (&json!("AZSB_STATUS_NOT_FOUND"), &json!(404))
    );
    assert!(
        error["code"].is_string() && error["request_id"].is_string(),
        "{error}"
    );
}
