//! The Azure side of registration over HTTP: the connected and disconnected flows end to end (Azure sign-in,
//! PEP, registration, lock, role assignment, activation key, stamp activation), and every rule and error
//! code of docs/registration.md.

mod common;

use base64::Engine as _;
use common::{AZURE_POWERSHELL, AZURESTACK_API, Stamp, start};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const OWNER_ROLE: &str = "6f12a6df-dd06-4f3e-bcb1-ce8be600526a";
const LOCKS_API: &str = "api-version=2016-09-01";
const ROLES_API: &str = "api-version=2022-04-01";

fn api() -> String {
    format!("api-version={AZURESTACK_API}")
}

/// The claims of a JWS (no verification), and its header.
fn jws_parts(key: &str) -> (Value, Value) {
    let part = |i: usize| -> Value {
        let text = key.split('.').nth(i).expect("a compact JWS");
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(text)
                .unwrap(),
        )
        .unwrap()
    };
    (part(0), part(1))
}

fn decode_token(token: &str) -> Value {
    serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(token)
            .unwrap(),
    )
    .unwrap()
}

/// Device code sign-in of the Azure operator with Azure PowerShell's client id: (access, refresh) tokens.
async fn device_code_sign_in(stamp: &Stamp) -> (String, String) {
    let base = format!(
        "{}{}/oauth2/",
        stamp.s("/azure/login_endpoint"),
        stamp.s("/azure/tenant_id")
    );
    let reply = stamp
        .send(stamp.http.post(format!("{base}devicecode")).form(&[
            ("client_id", AZURE_POWERSHELL),
            ("resource", "https://management.core.windows.net/"),
        ]))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let device_code = reply.json()["device_code"].as_str().unwrap().to_string();
    for _ in 0..100 {
        let reply = stamp
            .send(stamp.http.post(format!("{base}token")).form(&[
                ("grant_type", "device_code"),
                ("code", device_code.as_str()),
                ("client_id", AZURE_POWERSHELL),
                ("resource", "https://management.core.windows.net/"),
            ]))
            .await;
        if reply.status == StatusCode::OK {
            let body = reply.json();
            return (
                body["access_token"].as_str().unwrap().to_string(),
                body["refresh_token"].as_str().unwrap().to_string(),
            );
        }
        assert_eq!(
            reply.json()["error"],
            "authorization_pending",
            "{}",
            reply.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the device code was never approved");
}

fn activation_url(stamp: &Stamp) -> String {
    format!(
        "{}subscriptions/{}/resourceGroups/azurestack-activation/providers/Microsoft.AzureBridge.Admin/activations/default?api-version=2016-01-01",
        stamp.s("/admin_arm"),
        stamp.provider_subscription()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connected_flow_registers_activates_and_removes() {
    let stamp = start().await;
    let (azure_token, refresh_token) = device_code_sign_in(&stamp).await;

    let info = stamp
        .pep_output("Get-AzureStackStampInformation", json!({}))
        .await;
    assert_eq!(info["CloudID"], stamp.s("/pep/cloud_id").as_str());
    assert_eq!(info["StampVersion"], "1.2408.0.19");
    assert_eq!(info["NumberOfNodes"], 4);
    assert_eq!(
        info["AdminExternalEndpoints"]["AdminResourceManager"],
        stamp.s("/admin_arm").as_str()
    );
    let cloud_id = stamp.s("/pep/cloud_id");

    let bridge = stamp
        .pep_output(
            "New-AzureBridgeServicePrincipal",
            json!({
                "RefreshToken": refresh_token,
                "AzureEnvironment": "AzureCloud",
                "TenantId": stamp.s("/azure/tenant_id"),
                "TimeoutInSeconds": 1800,
            }),
        )
        .await;
    let bridge_id = bridge["ObjectId"].as_str().unwrap().to_string();

    let token = stamp
        .registration_token(json!({
            "BillingModel": "PayAsYouUse",
            "MarketplaceSyndicationEnabled": true,
            "UsageReportingEnabled": true,
            "AgreementNumber": "",
            "MsAssetTag": "",
            "TokenVersion": "6.0",
        }))
        .await;
    let claims = decode_token(&token);
    assert_eq!(claims["objectId"], bridge_id.as_str());
    assert_eq!(claims["cloudId"], cloud_id.as_str());
    assert_eq!(claims["version"], "6.0");
    assert_eq!(claims["hardwareInfo"].as_array().unwrap().len(), 4);

    let name = format!("azurestack-{cloud_id}");
    let reply = stamp
        .register(&azure_token, "azurestack", &name, &token)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let registration = reply.json();
    let registration_id = registration["id"].as_str().unwrap().to_string();
    assert_eq!(
        registration_id,
        format!("/{}", stamp.registration_path("azurestack", &name))
    );
    assert_eq!(registration["properties"]["cloudId"], cloud_id.as_str());
    assert_eq!(registration["properties"]["objectId"], bridge_id.as_str());
    assert_eq!(registration["properties"]["billingModel"], "PayAsYouUse");

    let lock_url = stamp.azure_url(&format!(
        "{}/providers/Microsoft.Authorization/locks/RegistrationResourceLock?{LOCKS_API}",
        &registration_id[1..]
    ));
    let reply = stamp
        .call(
            Method::PUT,
            &lock_url,
            &azure_token,
            Some(json!({"properties": {"level": "CanNotDelete", "notes": "syndication"}})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);

    let roles = stamp
        .call(
            Method::GET,
            &stamp.azure_url(&format!(
                "{}/providers/Microsoft.Authorization/roleDefinitions?{ROLES_API}&$filter=roleName%20eq%20'Azure%20Stack%20Registration%20Owner'",
                &registration_id[1..]
            )),
            &azure_token,
            None,
        )
        .await
        .json();
    let role_id = roles["value"][0]["id"].as_str().unwrap().to_string();
    assert!(role_id.ends_with(OWNER_ROLE), "{role_id}");
    let assignment_url = stamp.azure_url(&format!(
        "{}/providers/Microsoft.Authorization/roleAssignments/{}?{ROLES_API}",
        &registration_id[1..],
        uuid::Uuid::new_v4()
    ));
    let reply = stamp
        .call(
            Method::PUT,
            &assignment_url,
            &azure_token,
            Some(json!({"properties": {"roleDefinitionId": role_id, "principalId": bridge_id}})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(
        reply.json()["properties"]["principalType"],
        "ServicePrincipal"
    );
    let listed = stamp
        .call(
            Method::GET,
            &stamp.azure_url(&format!(
                "{}/providers/Microsoft.Authorization/roleAssignments?{ROLES_API}&$filter=principalId%20eq%20'{bridge_id}'",
                &registration_id[1..]
            )),
            &azure_token,
            None,
        )
        .await
        .json();
    assert_eq!(listed["value"].as_array().unwrap().len(), 1);

    let reply = stamp
        .call(
            Method::POST,
            &stamp.azure_url(&format!(
                "{}/GetActivationKey?{}",
                &registration_id[1..],
                api()
            )),
            &azure_token,
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let key = reply.json()["activationKey"].as_str().unwrap().to_string();
    let (header, key_claims) = jws_parts(&key);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    assert!(header["kid"].is_string());
    assert_eq!(key_claims["expires"], "9999-12-30T23:59:59.9999999Z");
    assert_eq!(key_claims["registrationName"], name.as_str());
    assert_eq!(key_claims["resourceGroupName"], "azurestack");
    assert_eq!(
        key_claims["subscriptionId"],
        stamp.azure_subscription().as_str()
    );
    assert_eq!(key_claims["cloudId"], cloud_id.as_str());
    assert_eq!(key_claims["usageReportingEnabled"], true);

    let operator = stamp.operator_token().await;
    assert_eq!(
        stamp
            .get(&activation_url(&stamp), Some(&operator))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        stamp
            .pep_output(
                "New-AzureStackActivation",
                json!({"ActivationKey": key, "TimeoutInSeconds": 1800})
            )
            .await,
        Value::Null
    );
    let activation = stamp.get(&activation_url(&stamp), Some(&operator)).await;
    assert_eq!(activation.status, StatusCode::OK, "{}", activation.text);
    let activation = activation.json();
    assert_eq!(
        activation["properties"]["azureRegistrationResourceIdentifier"],
        registration_id.as_str()
    );
    assert_eq!(
        activation["properties"]["expiration"],
        "9999-12-30T23:59:59"
    );
    assert_eq!(activation["properties"]["usageReportingEnabled"], true);
    assert_eq!(
        activation["properties"]["marketplaceSyndicationEnabled"],
        true
    );
    assert_eq!(activation["location"], "local");

    for _ in 0..2 {
        assert_eq!(
            stamp
                .pep_output("Remove-AzureStackActivation", json!({}))
                .await,
            Value::Null
        );
    }
    let gone = stamp.get(&activation_url(&stamp), Some(&operator)).await;
    assert_eq!(
        (gone.status, gone.error_code().as_str()),
        (StatusCode::NOT_FOUND, "ResourceNotFound")
    );

    let registration_url = stamp.azure_url(&format!("{}?{}", &registration_id[1..], api()));
    let blocked = stamp
        .call(Method::DELETE, &registration_url, &azure_token, None)
        .await;
    assert_eq!(
        (blocked.status, blocked.error_code().as_str()),
        (StatusCode::CONFLICT, "ScopeLocked")
    );
    assert_eq!(
        stamp
            .call(Method::DELETE, &lock_url, &azure_token, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        stamp
            .call(Method::DELETE, &registration_url, &azure_token, None)
            .await
            .status,
        StatusCode::OK
    );
    let get = stamp
        .call(Method::GET, &registration_url, &azure_token, None)
        .await;
    assert_eq!(
        (get.status, get.error_code().as_str()),
        (StatusCode::NOT_FOUND, "ResourceNotFound")
    );
    assert_eq!(
        stamp
            .call(Method::DELETE, &registration_url, &azure_token, None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    // The role assignment went with the registration.
    let listed = stamp
        .call(
            Method::GET,
            &stamp.azure_url(&format!(
                "subscriptions/{}/providers/Microsoft.Authorization/roleAssignments?{ROLES_API}",
                stamp.azure_subscription()
            )),
            &azure_token,
            None,
        )
        .await
        .json();
    assert_eq!(listed["value"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnected_flow_uses_a_stamp_identity_and_a_yearly_capacity_key() {
    let stamp = start().await;
    let token = stamp
        .registration_token(json!({
            "BillingModel": "Capacity",
            "AgreementNumber": "EA-1234",
            "UsageReportingEnabled": false,
            "MarketplaceSyndicationEnabled": false,
            "TokenVersion": "4.0",
        }))
        .await;
    let claims = decode_token(&token);
    assert_eq!(claims["agreementNumber"], "EA-1234");
    assert_eq!(claims["usageReportingEnabled"], false);
    let identity = claims["objectId"].as_str().unwrap().to_string();

    let azure = stamp.azure_token("azure-operator").await;
    let reply = stamp
        .register(&azure, "azurestack", "offline", &token)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.json()["properties"]["objectId"], identity.as_str());
    let key_url = stamp.azure_url(&format!(
        "{}/getactivationkey?{}",
        stamp.registration_path("azurestack", "offline"),
        api()
    ));
    let key = stamp
        .call(Method::POST, &key_url, &azure, None)
        .await
        .json()["activationKey"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, key_claims) = jws_parts(&key);
    let expires =
        chrono::DateTime::parse_from_rfc3339(key_claims["expires"].as_str().unwrap()).unwrap();
    let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days();
    assert!(
        (364..=365).contains(&days),
        "a Capacity key lasts a year, not {days} days"
    );

    stamp
        .pep_output("New-AzureStackActivation", json!({"ActivationKey": key}))
        .await;
    let operator = stamp.operator_token().await;
    let activation = stamp
        .get(&activation_url(&stamp), Some(&operator))
        .await
        .json();
    assert_eq!(activation["properties"]["usageReportingEnabled"], false);
    assert_eq!(
        activation["properties"]["marketplaceSyndicationEnabled"],
        false
    );
    assert_eq!(
        activation["properties"]["expiration"].as_str().unwrap()[..10],
        expires.format("%Y-%m-%d").to_string()
    );
    // The list shows the one activation; the admin DELETE removes it.
    let list_url = activation_url(&stamp).replace("/activations/default?", "/activations?");
    let list = stamp.get(&list_url, Some(&operator)).await.json();
    assert_eq!(list["value"].as_array().unwrap().len(), 1);
    let deleted = stamp
        .send(
            stamp
                .http
                .delete(activation_url(&stamp))
                .bearer_auth(&operator),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert_eq!(
        stamp.get(&list_url, Some(&operator)).await.json()["value"],
        json!([])
    );
}

/// A stamp with the Development registration `azurestack/r1`: (stamp, Azure token, registration token).
async fn registered_stamp() -> (Stamp, String, String) {
    let stamp = start().await;
    let azure = stamp.azure_token("azure-operator").await;
    let token = stamp
        .registration_token(json!({"BillingModel": "Development"}))
        .await;
    let reply = stamp.register(&azure, "azurestack", "r1", &token).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    (stamp, azure, token)
}

fn encode_token(claims: &Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(claims.to_string())
}

/// A token of this stamp's issuer for another cloud (as a second stamp would mint).
fn other_cloud_token(token: &str) -> String {
    let mut claims = decode_token(token);
    claims["cloudId"] = json!(uuid::Uuid::new_v4());
    encode_token(&claims)
}

async fn put_registration(
    stamp: &Stamp,
    token: &str,
    rg: &str,
    name: &str,
    body: Value,
) -> common::Reply {
    let url = stamp.azure_url(&format!("{}?{}", stamp.registration_path(rg, name), api()));
    stamp.call(Method::PUT, &url, token, Some(body)).await
}

fn registration_body(registration_token: &str) -> Value {
    json!({ "location": "global", "properties": { "registrationToken": registration_token } })
}

fn assert_error(reply: &common::Reply, status: StatusCode, code: &str) {
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (status, code),
        "{}",
        reply.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_tokens_cloud_ids_and_renewal() {
    let stamp = start().await;
    let azure = stamp.azure_token("azure-operator").await;
    let token = stamp
        .registration_token(json!({"BillingModel": "Development"}))
        .await;

    // The provider must be registered first.
    let reply = put_registration(
        &stamp,
        &azure,
        "azurestack",
        "r1",
        registration_body(&token),
    )
    .await;
    assert_error(
        &reply,
        StatusCode::CONFLICT,
        "MissingSubscriptionRegistration",
    );
    assert_eq!(
        stamp
            .register(&azure, "azurestack", "r1", &token)
            .await
            .status,
        StatusCode::CREATED
    );

    // Tokens that do not decode, lack a field or come from another issuer are malformed.
    let example =
        "EyjIAWXSAw5nTw9KZWWiOiJeZxZlbg9wBwvUdCiSIM9iaMVjdeLkijoinwIzyJa2Ytgtowm2yy00OdG4lTlLyJm";
    let mut foreign = decode_token(&token);
    foreign["issuer"] = json!("AzureStack-another-stamp");
    let mut incomplete = decode_token(&token);
    incomplete.as_object_mut().unwrap().remove("cloudId");
    for bad in [
        example.to_string(),
        encode_token(&foreign),
        encode_token(&incomplete),
        "not base64!".into(),
    ] {
        let reply =
            put_registration(&stamp, &azure, "azurestack", "r2", registration_body(&bad)).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "InvalidRegistrationToken");
        assert_eq!(
            reply.error_message(),
            "The registration token is malformed."
        );
    }
    let no_location = put_registration(
        &stamp,
        &azure,
        "azurestack",
        "r2",
        json!({"properties": {"registrationToken": token}}),
    )
    .await;
    assert_error(&no_location, StatusCode::BAD_REQUEST, "LocationRequired");

    // Same name, another cloud; same cloud, another name.
    let reply = put_registration(
        &stamp,
        &azure,
        "azurestack",
        "r1",
        registration_body(&other_cloud_token(&token)),
    )
    .await;
    assert_error(&reply, StatusCode::CONFLICT, "CloudIdUpdateNotAllowed");
    assert_eq!(
        reply.error_message(),
        "The registration 'r1' is already associated with another Cloud identifier"
    );
    let reply = put_registration(
        &stamp,
        &azure,
        "azurestack",
        "r2",
        registration_body(&token),
    )
    .await;
    assert_error(&reply, StatusCode::CONFLICT, "CloudIdAlreadyRegistered");
    assert_eq!(
        reply.error_message(),
        format!(
            "Cloud identifier [{}] is already registered. Reusing cloud identifiers is not allowed.",
            stamp.s("/pep/cloud_id")
        )
    );

    // A re-PUT renews and may change the model; the name matches in any case.
    let capacity = stamp
        .registration_token(json!({"BillingModel": "Capacity", "AgreementNumber": "EA-1"}))
        .await;
    let first_etag = stamp
        .call(
            Method::GET,
            &stamp.azure_url(&format!(
                "{}?{}",
                stamp.registration_path("AzureStack", "R1"),
                api()
            )),
            &azure,
            None,
        )
        .await
        .json()["etag"]
        .clone();
    let reply = put_registration(
        &stamp,
        &azure,
        "AZURESTACK",
        "R1",
        registration_body(&capacity),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["properties"]["billingModel"], "Capacity");
    assert_eq!(reply.json()["name"], "r1");
    assert_ne!(reply.json()["etag"], first_etag);

    // PATCH applies tags and a token of the same cloud only.
    let url = stamp.azure_url(&format!(
        "{}?{}",
        stamp.registration_path("azurestack", "r1"),
        api()
    ));
    let reply = stamp
        .call(
            Method::PATCH,
            &url,
            &azure,
            Some(json!({"tags": {"key1": "value1"}})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["tags"], json!({"key1": "value1"}));
    assert_eq!(reply.json()["properties"]["billingModel"], "Capacity");
    let reply = stamp
        .call(
            Method::PATCH,
            &url,
            &azure,
            Some(registration_body(&other_cloud_token(&token))),
        )
        .await;
    assert_error(&reply, StatusCode::CONFLICT, "CloudIdUpdateNotAllowed");
    let reply = stamp
        .call(Method::PATCH, &url, &azure, Some(registration_body(&token)))
        .await;
    assert_eq!(reply.json()["properties"]["billingModel"], "Development");
    let missing = stamp.azure_url(&format!(
        "{}?{}",
        stamp.registration_path("azurestack", "nope"),
        api()
    ));
    assert_error(
        &stamp
            .call(Method::PATCH, &missing, &azure, Some(json!({})))
            .await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    );

    // Lists by subscription and by group; versions of the provider only.
    let by_sub = stamp.azure_url(&format!(
        "subscriptions/{}/providers/Microsoft.AzureStack/registrations?{}",
        stamp.azure_subscription(),
        api()
    ));
    assert_eq!(
        stamp.call(Method::GET, &by_sub, &azure, None).await.json()["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    for version in ["2016-01-01", "2020-06-01-preview", "2022-06-01"] {
        let url = by_sub.replace(AZURESTACK_API, version);
        assert_eq!(
            stamp.call(Method::GET, &url, &azure, None).await.status,
            StatusCode::OK,
            "{version}"
        );
    }
    let by_group = stamp.azure_url(&format!(
        "subscriptions/{}/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations?{}",
        stamp.azure_subscription(),
        api()
    ));
    assert_eq!(
        stamp
            .call(Method::GET, &by_group, &azure, None)
            .await
            .json()["value"][0]["name"],
        "r1"
    );
    let unknown_group = by_group.replace("/azurestack/", "/elsewhere/");
    assert_error(
        &stamp.call(Method::GET, &unknown_group, &azure, None).await,
        StatusCode::NOT_FOUND,
        "ResourceGroupNotFound",
    );
    let old = by_sub.replace(AZURESTACK_API, "2015-01-01");
    assert_error(
        &stamp.call(Method::GET, &old, &azure, None).await,
        StatusCode::BAD_REQUEST,
        "NoRegisteredProviderFound",
    );
    let none = by_sub.replace(&format!("?{}", api()), "");
    assert_error(
        &stamp.call(Method::GET, &none, &azure, None).await,
        StatusCode::BAD_REQUEST,
        "MissingApiVersionParameter",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locks_guard_registrations_and_their_groups() {
    let (stamp, azure, token) = registered_stamp().await;
    let sub = stamp.azure_subscription();
    let registration = stamp.azure_url(&format!(
        "{}?{}",
        stamp.registration_path("azurestack", "r1"),
        api()
    ));
    let lock = |scope: &str, name: &str| {
        stamp.azure_url(&format!(
            "{scope}/providers/Microsoft.Authorization/locks/{name}?{LOCKS_API}"
        ))
    };
    let group_scope = format!("subscriptions/{sub}/resourceGroups/azurestack");
    let sub_scope = format!("subscriptions/{sub}");

    // ReadOnly on the group: no PUT, PATCH or DELETE of the registration inside.
    let read_only = lock(&group_scope, "ro");
    let reply = stamp
        .call(
            Method::PUT,
            &read_only,
            &azure,
            Some(json!({"properties": {"level": "ReadOnly"}})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.json()["properties"]["level"], "ReadOnly");
    assert_error(
        &put_registration(
            &stamp,
            &azure,
            "azurestack",
            "r1",
            registration_body(&token),
        )
        .await,
        StatusCode::CONFLICT,
        "ScopeLocked",
    );
    assert_error(
        &stamp
            .call(
                Method::PATCH,
                &registration,
                &azure,
                Some(json!({"tags": {}})),
            )
            .await,
        StatusCode::CONFLICT,
        "ScopeLocked",
    );
    let reply = stamp
        .call(Method::DELETE, &registration, &azure, None)
        .await;
    assert_error(&reply, StatusCode::CONFLICT, "ScopeLocked");
    assert!(
        reply.error_message().contains("delete operation"),
        "{}",
        reply.text
    );
    assert_eq!(
        stamp
            .call(Method::DELETE, &read_only, &azure, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        stamp
            .call(Method::DELETE, &read_only, &azure, None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );

    // CanNotDelete on the subscription: writes pass, deletes are refused below it.
    let no_delete = lock(&sub_scope, "keep");
    assert_eq!(
        stamp
            .call(
                Method::PUT,
                &no_delete,
                &azure,
                Some(json!({"properties": {"level": "CanNotDelete"}}))
            )
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        put_registration(
            &stamp,
            &azure,
            "azurestack",
            "r1",
            registration_body(&token)
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_error(
        &stamp
            .call(Method::DELETE, &registration, &azure, None)
            .await,
        StatusCode::CONFLICT,
        "ScopeLocked",
    );
    assert_eq!(
        stamp
            .call(Method::GET, &no_delete, &azure, None)
            .await
            .json()["properties"]["level"],
        "CanNotDelete"
    );
    assert_eq!(
        stamp
            .call(Method::DELETE, &no_delete, &azure, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_error(
        &stamp.call(Method::GET, &no_delete, &azure, None).await,
        StatusCode::NOT_FOUND,
        "LockNotFound",
    );

    // A group holding a locked resource cannot be deleted; the list at the group shows the lock.
    let registration_scope = stamp.registration_path("azurestack", "r1");
    let resource_lock = lock(&registration_scope, "RegistrationResourceLock");
    assert_eq!(
        stamp
            .call(
                Method::PUT,
                &resource_lock,
                &azure,
                Some(json!({"properties": {"level": "CanNotDelete"}}))
            )
            .await
            .status,
        StatusCode::CREATED
    );
    let listed = stamp
        .call(
            Method::GET,
            &stamp.azure_url(&format!(
                "{group_scope}/providers/Microsoft.Authorization/locks?{LOCKS_API}"
            )),
            &azure,
            None,
        )
        .await
        .json();
    assert_eq!(listed["value"][0]["name"], "RegistrationResourceLock");
    let group = stamp.azure_url(&format!("{group_scope}?api-version=2021-04-01"));
    assert_error(
        &stamp.call(Method::DELETE, &group, &azure, None).await,
        StatusCode::CONFLICT,
        "ScopeLocked",
    );
    assert_error(
        &stamp
            .call(
                Method::PUT,
                &resource_lock,
                &azure,
                Some(json!({"properties": {"level": "Sometimes"}})),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "LockLevelRequired",
    );
    let old_api = resource_lock.replace(LOCKS_API, "api-version=2015-01-01");
    assert_error(
        &stamp.call(Method::GET, &old_api, &azure, None).await,
        StatusCode::BAD_REQUEST,
        "NoRegisteredProviderFound",
    );
    assert_eq!(
        stamp
            .call(Method::DELETE, &resource_lock, &azure, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        stamp
            .call(Method::DELETE, &group, &azure, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_error(
        &stamp.call(Method::GET, &registration, &azure, None).await,
        StatusCode::NOT_FOUND,
        "ResourceGroupNotFound",
    );
    let head = stamp
        .send(stamp.http.head(&group).bearer_auth(&azure))
        .await;
    assert_eq!(head.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_groups_locations_provider_and_access() {
    let stamp = start().await;
    let azure = stamp.azure_token("azure-operator").await;
    let sub = stamp.azure_subscription();
    let group = stamp.azure_url(&format!(
        "subscriptions/{sub}/resourcegroups/azurestack?api-version=2021-04-01"
    ));
    let reply = stamp
        .call(
            Method::PUT,
            &group,
            &azure,
            Some(json!({"location": "Mars Central"})),
        )
        .await;
    assert_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "LocationNotAvailableForResourceGroup",
    );
    let reply = stamp
        .call(
            Method::PUT,
            &group,
            &azure,
            Some(json!({"location": "West Central US"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.json()["location"], "westcentralus");
    assert_eq!(
        stamp
            .call(
                Method::PUT,
                &group,
                &azure,
                Some(json!({"location": "westcentralus"}))
            )
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        stamp
            .send(stamp.http.head(&group).bearer_auth(&azure))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        stamp.call(Method::GET, &group, &azure, None).await.json()["name"],
        "azurestack"
    );

    let locations = stamp
        .call(
            Method::GET,
            &stamp.azure_url(&format!(
                "subscriptions/{sub}/locations?api-version=2022-12-01"
            )),
            &azure,
            None,
        )
        .await
        .json();
    assert!(
        locations["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["name"] == "westcentralus")
    );

    let provider = stamp.azure_url(&format!(
        "subscriptions/{sub}/providers/Microsoft.AzureStack?api-version=2021-04-01"
    ));
    assert_eq!(
        stamp
            .call(Method::GET, &provider, &azure, None)
            .await
            .json()["registrationState"],
        "NotRegistered"
    );
    let register = provider.replace("Microsoft.AzureStack?", "Microsoft.AzureStack/register?");
    assert_eq!(
        stamp
            .call(Method::POST, &register, &azure, None)
            .await
            .json()["registrationState"],
        "Registered"
    );
    assert_eq!(
        stamp
            .call(Method::GET, &provider, &azure, None)
            .await
            .json()["registrationState"],
        "Registered"
    );

    let subscriptions = stamp
        .call(
            Method::GET,
            &stamp.azure_url("subscriptions?api-version=2022-12-01"),
            &azure,
            None,
        )
        .await
        .json();
    assert_eq!(subscriptions["value"][0]["subscriptionId"], sub.as_str());
    assert_eq!(
        subscriptions["value"][0]["tenantId"],
        stamp.s("/azure/tenant_id").as_str()
    );

    // Access: no token, a principal without the subscription, a stamp token, another subscription.
    let reply = stamp.get(&group, None).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "AuthenticationFailed");
    assert!(reply.headers.contains_key("www-authenticate"));
    let reader = stamp.azure_token("azure-reader").await;
    assert_error(
        &stamp.call(Method::GET, &group, &reader, None).await,
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
    );
    assert_eq!(
        stamp
            .call(
                Method::GET,
                &stamp.azure_url("subscriptions?api-version=2022-12-01"),
                &reader,
                None
            )
            .await
            .json()["value"],
        json!([])
    );
    let stamp_token = stamp.operator_token().await;
    assert_eq!(
        stamp
            .call(Method::GET, &group, &stamp_token, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let elsewhere = group.replace(&sub, &uuid::Uuid::new_v4().to_string());
    assert_error(
        &stamp.call(Method::GET, &elsewhere, &azure, None).await,
        StatusCode::NOT_FOUND,
        "SubscriptionNotFound",
    );
    // Tokens for any of Azure's audiences are good.
    for audience in stamp.ready["azure"]["audiences"].as_array().unwrap() {
        let sp = stamp.ready["azure"]["service_principals"][0].clone();
        let login = format!(
            "{}{}",
            stamp.s("/azure/login_endpoint"),
            stamp.s("/azure/tenant_id")
        );
        let token = stamp
            .client_secret_token(&login, &sp, audience.as_str().unwrap())
            .await;
        assert_eq!(
            stamp.call(Method::GET, &group, &token, None).await.status,
            StatusCode::OK,
            "{audience}"
        );
    }

    // Discovery in Azure Stack's shape points at the Azure login.
    let metadata = stamp
        .get(
            &stamp.azure_url("metadata/endpoints?api-version=2015-01-01"),
            None,
        )
        .await
        .json();
    assert_eq!(
        metadata["authentication"]["loginEndpoint"],
        stamp.s("/azure/login_endpoint").as_str()
    );
    assert_eq!(
        metadata["authentication"]["audiences"],
        stamp.ready["azure"]["audiences"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_assignments_know_principals_and_refuse_duplicates() {
    let (stamp, azure, _) = registered_stamp().await;
    let scope = stamp.registration_path("azurestack", "r1");
    let role = format!(
        "/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{OWNER_ROLE}",
        stamp.azure_subscription()
    );
    let url = |name: &str| {
        stamp.azure_url(&format!(
            "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?{ROLES_API}"
        ))
    };
    let body = |principal: &str| json!({"properties": {"roleDefinitionId": role, "principalId": principal}});

    let stranger = uuid::Uuid::new_v4().to_string();
    let reply = stamp
        .call(
            Method::PUT,
            &url(&uuid::Uuid::new_v4().to_string()),
            &azure,
            Some(body(&stranger)),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "PrincipalNotFound");
    let user = stamp.ready["azure"]["users"][0]["object_id"]
        .as_str()
        .unwrap()
        .to_string();
    let first = uuid::Uuid::new_v4().to_string();
    let reply = stamp
        .call(Method::PUT, &url(&first), &azure, Some(body(&user)))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.json()["properties"]["principalType"], "User");
    assert_eq!(
        stamp
            .call(Method::PUT, &url(&first), &azure, Some(body(&user)))
            .await
            .status,
        StatusCode::OK
    );
    let reply = stamp
        .call(
            Method::PUT,
            &url(&uuid::Uuid::new_v4().to_string()),
            &azure,
            Some(body(&user)),
        )
        .await;
    assert_error(&reply, StatusCode::CONFLICT, "RoleAssignmentExists");
    assert_error(
        &stamp
            .call(Method::PUT, &url("not-a-guid"), &azure, Some(body(&user)))
            .await,
        StatusCode::BAD_REQUEST,
        "InvalidRoleAssignmentId",
    );
    let unknown_role = json!({"properties": {"roleDefinitionId": role.replace(OWNER_ROLE, &stranger), "principalId": user}});
    assert_error(
        &stamp
            .call(
                Method::PUT,
                &url(&uuid::Uuid::new_v4().to_string()),
                &azure,
                Some(unknown_role),
            )
            .await,
        StatusCode::NOT_FOUND,
        "RoleDefinitionDoesNotExist",
    );
    assert_eq!(
        stamp
            .call(Method::GET, &url(&first), &azure, None)
            .await
            .json()["properties"]["principalId"],
        user.as_str()
    );
    assert_eq!(
        stamp
            .call(Method::DELETE, &url(&first), &azure, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_error(
        &stamp.call(Method::GET, &url(&first), &azure, None).await,
        StatusCode::NOT_FOUND,
        "RoleAssignmentNotFound",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_subscriptions_follow_the_csp_rules() {
    let stamp = start().await;
    let azure = stamp.azure_token("azure-operator").await;
    let payg = stamp
        .registration_token(json!({"BillingModel": "PayAsYouUse", "UsageReportingEnabled": true}))
        .await;
    assert_eq!(
        stamp
            .register(&azure, "azurestack", "csp", &payg)
            .await
            .status,
        StatusCode::CREATED
    );
    let base = |registration: &str| {
        stamp.azure_url(&format!(
            "{}/customerSubscriptions",
            stamp.registration_path("azurestack", registration)
        ))
    };
    let customer = "E09A4E93-29A7-4EBA-A6D4-76202383F07F";
    let tenant = "dbab3982-796f-4d03-9908-044c08aef8a2";
    let item = format!("{}/{customer}?{}", base("csp"), api());

    let reply = stamp
        .call(
            Method::PUT,
            &item,
            &azure,
            Some(json!({"properties": {"tenantId": tenant}})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let mapping = reply.json();
    assert_eq!(mapping["name"], format!("csp/{customer}"));
    assert_eq!(
        mapping["type"],
        "Microsoft.AzureStack/registrations/customerSubscriptions"
    );
    assert_eq!(mapping["properties"]["tenantId"], tenant);
    assert_eq!(
        stamp
            .call(Method::GET, &item.to_lowercase(), &azure, None)
            .await
            .status,
        StatusCode::OK
    );
    let list = stamp
        .call(
            Method::GET,
            &format!("{}?{}", base("csp"), api()),
            &azure,
            None,
        )
        .await
        .json();
    assert_eq!(list["value"].as_array().unwrap().len(), 1);

    let not_guid = format!("{}/not-a-subscription?{}", base("csp"), api());
    assert_error(
        &stamp
            .call(
                Method::PUT,
                &not_guid,
                &azure,
                Some(json!({"properties": {"tenantId": tenant}})),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "InvalidCustomerSubscriptionId",
    );
    assert_error(
        &stamp
            .call(
                Method::PUT,
                &item,
                &azure,
                Some(json!({"properties": {"tenantId": "contoso"}})),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "InvalidTenantId",
    );
    let unknown = format!("{}/{customer}?{}", base("missing"), api());
    assert_error(
        &stamp.call(Method::GET, &unknown, &azure, None).await,
        StatusCode::NOT_FOUND,
        "RegistrationNotFound",
    );

    assert_eq!(
        stamp.call(Method::DELETE, &item, &azure, None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        stamp.call(Method::DELETE, &item, &azure, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &stamp.call(Method::GET, &item, &azure, None).await,
        StatusCode::NOT_FOUND,
        "CustomerSubscriptionNotFound",
    );

    // Only PayAsYouUse registrations take customer subscriptions.
    let development = stamp
        .registration_token(json!({"BillingModel": "Development"}))
        .await;
    let other_cloud = other_cloud_token(&development);
    assert_eq!(
        put_registration(
            &stamp,
            &azure,
            "azurestack",
            "dev",
            registration_body(&other_cloud)
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let dev_item = format!("{}/{customer}?{}", base("dev"), api());
    assert_error(
        &stamp
            .call(
                Method::PUT,
                &dev_item,
                &azure,
                Some(json!({"properties": {"tenantId": tenant}})),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "CustomerSubscriptionsNotAllowed",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_in_paths_are_percent_decoded_and_checked_as_arm_does() {
    let stamp = start().await;
    let azure = stamp.azure_token("azure-operator").await;
    let token = stamp
        .registration_token(json!({"BillingModel": "Development"}))
        .await;
    // A name with a space is a valid ARM resource name; on the wire it is `azurestack%20test`.
    let reply = stamp
        .register(&azure, "azurestack", "azurestack%20test", &token)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.json()["name"], "azurestack test", "{}", reply.text);
    assert!(
        reply.json()["id"]
            .as_str()
            .unwrap()
            .ends_with("/registrations/azurestack test"),
        "{}",
        reply.text
    );
    let path = stamp.registration_path("azurestack", "azurestack%20test");
    let get = stamp
        .get(&stamp.azure_url(&format!("{path}?{}", api())), Some(&azure))
        .await;
    assert_eq!(get.status, StatusCode::OK, "{}", get.text);
    assert_eq!(get.json()["name"], "azurestack test");
    let list = stamp
        .get(
            &stamp.azure_url(&format!(
                "subscriptions/{}/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations?{}",
                stamp.azure_subscription(),
                api()
            )),
            Some(&azure),
        )
        .await;
    let names: Vec<String> = list.json()["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["azurestack test"], "{}", list.text);

    // A lock at the encoded scope guards the decoded resource.
    let lock = stamp
        .call(
            Method::PUT,
            &stamp.azure_url(&format!(
                "{path}/providers/Microsoft.Authorization/locks/keep?{LOCKS_API}"
            )),
            &azure,
            Some(json!({"properties": {"level": "CanNotDelete"}})),
        )
        .await;
    assert!(lock.status.is_success(), "{}", lock.text);
    let url = stamp.azure_url(&format!("{path}?{}", api()));
    let refused = stamp.call(Method::DELETE, &url, &azure, None).await;
    assert_error(&refused, StatusCode::CONFLICT, "ScopeLocked");
    let unlock = stamp
        .call(
            Method::DELETE,
            &stamp.azure_url(&format!(
                "{path}/providers/Microsoft.Authorization/locks/keep?{LOCKS_API}"
            )),
            &azure,
            None,
        )
        .await;
    assert_eq!(unlock.status, StatusCode::OK, "{}", unlock.text);
    let deleted = stamp.call(Method::DELETE, &url, &azure, None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    let gone = stamp.get(&url, Some(&azure)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.text);

    // What ARM refuses: '%' (here an encoded "%25") in a resource name, a space in a group name.
    let reply = put_registration(
        &stamp,
        &azure,
        "azurestack",
        "a%2520b",
        registration_body(&token),
    )
    .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "InvalidResourceName");
    let reply = stamp
        .call(
            Method::PUT,
            &stamp.azure_url(&format!(
                "subscriptions/{}/resourcegroups/my%20group?api-version=2021-04-01",
                stamp.azure_subscription()
            )),
            &azure,
            Some(json!({"location": "westcentralus"})),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "InvalidResourceGroup");
    assert!(
        reply.error_message().contains("invalid characters: ' '"),
        "{}",
        reply.text
    );
}
