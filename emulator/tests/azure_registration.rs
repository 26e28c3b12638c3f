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
