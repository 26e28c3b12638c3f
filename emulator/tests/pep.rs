//! The privileged endpoint model over HTTP: its protocol (credentials, unknown commands, parameter
//! binding), the billing-model rules and version gates of New-RegistrationToken at their boundary builds,
//! Set-RegistrationKeyPair's gate, the bridge service principal, and activation key checks.

mod common;

use azs_emulator::pep::StampVersion;
use base64::Engine as _;
use common::{AZURESTACK_API, Stamp, start, start_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn stamp_at(version: &str, nodes: u32) -> Stamp {
    let mut config = common::config();
    config.stamp.version = version.parse::<StampVersion>().unwrap();
    config.stamp.number_of_nodes = nodes;
    start_with(config).await
}

/// The PEP error of a failed command: (status, type, message).
async fn pep_error(
    stamp: &Stamp,
    command: &str,
    parameters: Value,
) -> (StatusCode, String, String) {
    let reply = stamp.pep(command, parameters).await;
    assert_ne!(
        reply.status,
        StatusCode::OK,
        "{command} should fail: {}",
        reply.text
    );
    let body = reply.json();
    (
        reply.status,
        body["error"]["type"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

fn token_claims(token: &Value) -> Value {
    serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(token.as_str().unwrap())
            .unwrap(),
    )
    .unwrap()
}

/// (type, message) of a New-RegistrationToken call that must fail with 400.
async fn token_refused(stamp: &Stamp, parameters: Value) -> (String, String) {
    let (status, kind, message) = pep_error(stamp, "New-RegistrationToken", parameters).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{message}");
    (kind, message)
}

async fn assert_no_token_version(stamp: &Stamp) {
    let (_, message) = token_refused(
        stamp,
        json!({"BillingModel": "Development", "TokenVersion": "4.0"}),
    )
    .await;
    assert_eq!(message, NO_TOKEN_VERSION);
}

const NO_MS_ASSET_TAG: &str =
    "A parameter cannot be found that matches parameter name 'MsAssetTag'.";
const NO_TOKEN_VERSION: &str =
    "A parameter cannot be found that matches parameter name 'TokenVersion'.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_credentials_commands_and_binding() {
    let stamp = start().await;
    let reply = stamp
        .pep_as("Get-AzureStackStampInformation", json!({}), "wrong")
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.headers.contains_key("www-authenticate"));
    let anonymous = stamp
        .send(stamp.http.post(format!(
            "{}commands/Get-AzureStackStampInformation",
            stamp.s("/pep/url")
        )))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let (status, kind, message) = pep_error(&stamp, "Get-AzureStackLog", json!({})).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::NOT_FOUND, "CommandNotFoundException")
    );
    assert!(
        message.starts_with("The term 'Get-AzureStackLog' is not recognized"),
        "{message}"
    );

    // Names in any case; the output is the stamp's.
    let info = stamp
        .pep_output("get-azurestackstampinformation", json!({"asjob": false}))
        .await;
    for field in [
        "StampVersion",
        "CloudID",
        "DeploymentID",
        "AADTenantID",
        "NumberOfNodes",
        "ExternalDomainSuffix",
        "RegionName",
    ] {
        assert!(!info[field].is_null(), "{field}");
    }
    assert_eq!(info["DeploymentID"], stamp.s("/pep/deployment_id").as_str());
    assert_eq!(info["AADTenantID"], stamp.s("/tenant_id").as_str());
    assert_eq!(
        info["TenantExternalEndpoints"]["TenantResourceManager"],
        stamp.s("/tenant_arm").as_str()
    );

    let (status, kind, message) = pep_error(&stamp, "New-RegistrationToken", json!({})).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::BAD_REQUEST, "ParameterBindingException")
    );
    assert_eq!(
        message,
        "Cannot process command because of one or more missing mandatory parameters: BillingModel."
    );
    let (kind, message) = token_refused(
        &stamp,
        json!({"BillingModel": "Development", "Verbose2": 1}),
    )
    .await;
    assert_eq!(kind, "ParameterBindingException");
    assert_eq!(
        message,
        "A parameter cannot be found that matches parameter name 'Verbose2'."
    );
    let (kind, message) = token_refused(
        &stamp,
        json!({"BillingModel": "Development", "UsageReportingEnabled": "yes"}),
    )
    .await;
    assert_eq!(kind, "ParameterBindingException");
    assert!(message.contains("SwitchParameter"), "{message}");
    let not_object = stamp
        .send(
            stamp
                .http
                .post(format!(
                    "{}commands/New-RegistrationToken",
                    stamp.s("/pep/url")
                ))
                .basic_auth(stamp.s("/pep/username"), Some(stamp.s("/pep/password")))
                .body("[1]"),
        )
        .await;
    assert_eq!(not_object.status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billing_model_rules() {
    let stamp = start().await;
    let (kind, message) = token_refused(&stamp, json!({"BillingModel": "Free"})).await;
    assert_eq!(kind, "ParameterBindingValidationException");
    assert!(
        message.contains("\"Capacity,PayAsYouUse,Development,Custom,Ruggedized\""),
        "{message}"
    );
    let (kind, message) = token_refused(&stamp, json!({"BillingModel": "Capacity"})).await;
    assert_eq!(kind, "RuntimeException");
    assert_eq!(
        message,
        "Agreement number is null or empty when BillingModel is set to Capacity"
    );
    let (kind, message) = token_refused(&stamp, json!({"BillingModel": "Custom"})).await;
    assert_eq!(kind, "RuntimeException");
    assert!(message.contains("MsAssetTag"), "{message}");

    let token = stamp
        .pep_output(
            "New-RegistrationToken",
            json!({"BillingModel": "custom", "MsAssetTag": "TAG-1"}),
        )
        .await;
    let claims = token_claims(&token);
    assert_eq!(claims["billingModel"], "Custom");
    assert_eq!(claims["msAssetTag"], "TAG-1");
    assert_eq!(claims["marketplaceSyndicationEnabled"], false);
    assert_eq!(
        claims["version"], "3.0",
        "the default on builds with -TokenVersion"
    );
    for key in [
        "billingModel",
        "objectId",
        "cloudId",
        "marketplaceSyndicationEnabled",
        "usageReportingEnabled",
        "agreementNumber",
        "msAssetTag",
        "hardwareInfo",
        "issuer",
        "version",
    ] {
        assert!(claims.get(key).is_some(), "{key}");
    }
    let capacity = token_claims(
        &stamp
            .pep_output(
                "New-RegistrationToken",
                json!({"BillingModel": "Capacity", "AgreementNumber": "EA-9"}),
            )
            .await,
    );
    assert_eq!(capacity["agreementNumber"], "EA-9");
    let rugged = token_claims(
        &stamp
            .pep_output(
                "New-RegistrationToken",
                json!({"BillingModel": "Ruggedized", "UsageReportingEnabled": true}),
            )
            .await,
    );
    assert_eq!(rugged["usageReportingEnabled"], true);
    let (kind, _) = token_refused(
        &stamp,
        json!({"BillingModel": "Development", "TokenVersion": "5.0"}),
    )
    .await;
    assert_eq!(kind, "ParameterBindingValidationException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_gates_at_their_boundaries() {
    // 1910: no -MsAssetTag (so no Custom), no -TokenVersion; tokens of version 1.0.
    let stamp = stamp_at("1.1910.0.58", 4).await;
    let (kind, message) = token_refused(
        &stamp,
        json!({"BillingModel": "Development", "MsAssetTag": "x"}),
    )
    .await;
    assert_eq!(
        (kind.as_str(), message.as_str()),
        ("ParameterBindingException", NO_MS_ASSET_TAG)
    );
    let (kind, message) = token_refused(&stamp, json!({"BillingModel": "Custom"})).await;
    assert_eq!(kind, "RuntimeException");
    assert_eq!(
        message,
        "Custom BillingModel is not supported for StampVersion less than 1.1912.0.19"
    );
    let token = stamp
        .pep_output(
            "New-RegistrationToken",
            json!({"BillingModel": "Development"}),
        )
        .await;
    assert_eq!(token_claims(&token)["version"], "1.0");
    stamp.emulator.shutdown().await;

    // 1.1912.0.19 exactly: -MsAssetTag and Custom, still no -TokenVersion.
    let stamp = stamp_at("1.1912.0.19", 4).await;
    stamp
        .pep_output(
            "New-RegistrationToken",
            json!({"BillingModel": "Custom", "MsAssetTag": "x"}),
        )
        .await;
    assert_no_token_version(&stamp).await;
    stamp.emulator.shutdown().await;

    // One build before -TokenVersion, and the first with it (which refuses 6.0).
    let stamp = stamp_at("1.2008.0.48", 4).await;
    assert_no_token_version(&stamp).await;
    stamp.emulator.shutdown().await;
    let stamp = stamp_at("1.2008.0.49", 4).await;
    let token = stamp
        .pep_output(
            "New-RegistrationToken",
            json!({"BillingModel": "Development", "TokenVersion": "4.0"}),
        )
        .await;
    assert_eq!(token_claims(&token)["version"], "4.0");
    let (kind, _) = token_refused(
        &stamp,
        json!({"BillingModel": "Development", "TokenVersion": "6.0"}),
    )
    .await;
    assert_eq!(kind, "RuntimeException");
    stamp.emulator.shutdown().await;

    // 6.0 only after 1.2309.0.4.
    let stamp = stamp_at("1.2309.0.4", 4).await;
    let (kind, message) = token_refused(
        &stamp,
        json!({"BillingModel": "Development", "TokenVersion": "6.0"}),
    )
    .await;
    assert_eq!(kind, "RuntimeException");
    assert!(message.contains("1.2309.0.4"), "{message}");
    stamp
        .pep_output(
            "New-RegistrationToken",
            json!({"BillingModel": "Development", "TokenVersion": "3.0"}),
        )
        .await;
    stamp.emulator.shutdown().await;
    let stamp = stamp_at("1.2309.0.5", 4).await;
    let token = stamp
        .pep_output(
            "New-RegistrationToken",
            json!({"BillingModel": "Development", "TokenVersion": "6.0"}),
        )
        .await;
    assert_eq!(token_claims(&token)["version"], "6.0");
    stamp.emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_key_pair_needs_a_late_multi_node_build() {
    let stamp = stamp_at("1.2209.0.23", 4).await;
    let (status, kind, _) = pep_error(&stamp, "Set-RegistrationKeyPair", json!({})).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::NOT_FOUND, "CommandNotFoundException")
    );
    stamp.emulator.shutdown().await;
    let stamp = stamp_at("1.2209.0.24", 4).await;
    assert_eq!(
        stamp.pep_output("Set-RegistrationKeyPair", json!({})).await,
        Value::Null
    );
    stamp.emulator.shutdown().await;
    let stamp = stamp_at("1.2209.0.24", 1).await;
    let (status, kind, _) = pep_error(&stamp, "Set-RegistrationKeyPair", json!({})).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::BAD_REQUEST, "RuntimeException")
    );
    let info = stamp
        .pep_output("Get-AzureStackStampInformation", json!({}))
        .await;
    assert_eq!(info["NumberOfNodes"], 1);
    assert_eq!(stamp.s("/pep/stamp_version"), "1.2209.0.24");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridge_service_principal_needs_an_azure_refresh_token() {
    let stamp = start().await;
    let tenant = stamp.s("/azure/tenant_id");
    let call = |refresh: &str, tenant: &str| json!({"RefreshToken": refresh, "AzureEnvironment": "AzureCloud", "TenantId": tenant});
    let (_, kind, message) = pep_error(
        &stamp,
        "New-AzureBridgeServicePrincipal",
        call("made-up", &tenant),
    )
    .await;
    assert_eq!(kind, "RuntimeException");
    assert!(message.starts_with("AADSTS9002313"), "{message}");
    let (_, _, message) = pep_error(
        &stamp,
        "New-AzureBridgeServicePrincipal",
        call("made-up", &uuid::Uuid::new_v4().to_string()),
    )
    .await;
    assert!(message.starts_with("AADSTS90002"), "{message}");
    let (_, kind, _) = pep_error(
        &stamp,
        "New-AzureBridgeServicePrincipal",
        json!({"RefreshToken": "x", "TenantId": tenant}),
    )
    .await;
    assert_eq!(kind, "ParameterBindingException");

    // A refresh token of the stamp's own directory is not one of Azure's.
    let authority = format!("{}{}", stamp.s("/login_endpoint"), stamp.s("/tenant_id"));
    let foreign = refresh_token(
        &stamp,
        &authority,
        &stamp.ready["users"][0],
        &stamp.s("/audiences/admin"),
    )
    .await;
    let (_, kind, _) = pep_error(
        &stamp,
        "New-AzureBridgeServicePrincipal",
        call(&foreign, &tenant),
    )
    .await;
    assert_eq!(kind, "RuntimeException");

    // An Azure user's refresh token (any public client), tenant by id or domain; the same SP each time.
    let authority = format!("{}{tenant}", stamp.s("/azure/login_endpoint"));
    let azure_user = &stamp.ready["azure"]["users"][0];
    let refresh = refresh_token(
        &stamp,
        &authority,
        azure_user,
        "https://management.azure.com/",
    )
    .await;
    let first = stamp
        .pep_output("New-AzureBridgeServicePrincipal", call(&refresh, &tenant))
        .await;
    let again = stamp
        .pep_output(
            "New-AzureBridgeServicePrincipal",
            call(&refresh, &stamp.s("/azure/tenant_domain")),
        )
        .await;
    assert_eq!(first["ObjectId"], again["ObjectId"]);
    assert!(first["ApplicationId"].is_string());
    let token = stamp
        .pep_output(
            "New-RegistrationToken",
            json!({"BillingModel": "Development"}),
        )
        .await;
    assert_eq!(token_claims(&token)["objectId"], first["ObjectId"]);
}

/// A refresh token of a ready document's user, by password grant through Azure PowerShell's client id.
async fn refresh_token(stamp: &Stamp, authority: &str, user: &Value, resource: &str) -> String {
    let reply = stamp
        .send(stamp.http.post(format!("{authority}/oauth2/token")).form(&[
            ("grant_type", "password"),
            ("client_id", common::AZURE_POWERSHELL),
            ("username", user["upn"].as_str().unwrap()),
            ("password", user["password"].as_str().unwrap()),
            ("resource", resource),
        ]))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()["refresh_token"].as_str().unwrap().to_string()
}

/// Registers this stamp's token and returns its activation key.
async fn activation_key(stamp: &Stamp, token: &str, name: &str) -> String {
    let azure = stamp.azure_token("azure-operator").await;
    let reply = stamp.register(&azure, "azurestack", name, token).await;
    assert!(reply.status.is_success(), "{}", reply.text);
    let url = stamp.azure_url(&format!(
        "{}/getActivationKey?api-version={AZURESTACK_API}",
        stamp.registration_path("azurestack", name)
    ));
    let reply = stamp.call(Method::POST, &url, &azure, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()["activationKey"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_refuses_tampered_foreign_and_other_cloud_keys() {
    let stamp = start().await;
    let token = stamp
        .registration_token(json!({"BillingModel": "Development"}))
        .await;
    let key = activation_key(&stamp, &token, "r1").await;
    let parts: Vec<&str> = key.split('.').collect();
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value = serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();

    // The payload changed after signing.
    claims["usageReportingEnabled"] = json!(true);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        engine.encode(claims.to_string()),
        parts[2]
    );
    let (_, kind, message) = pep_error(
        &stamp,
        "New-AzureStackActivation",
        json!({"ActivationKey": tampered}),
    )
    .await;
    assert_eq!(kind, "RuntimeException");
    assert!(message.contains("signature"), "{message}");
    // Signed by another key (the stamp's own token signer, through the control route).
    let foreign = stamp.mint(claims.clone()).await;
    let (_, _, message) = pep_error(
        &stamp,
        "New-AzureStackActivation",
        json!({"ActivationKey": foreign}),
    )
    .await;
    assert!(message.contains("signature"), "{message}");
    let (_, _, message) = pep_error(
        &stamp,
        "New-AzureStackActivation",
        json!({"ActivationKey": "not.a.key"}),
    )
    .await;
    assert!(message.contains("not a signed"), "{message}");

    // A real key, but for another cloud.
    let mut other = token_claims(&Value::String(token.clone()));
    other["cloudId"] = json!(uuid::Uuid::new_v4());
    let other_token = base64::engine::general_purpose::STANDARD.encode(other.to_string());
    let other_key = activation_key(&stamp, &other_token, "r2").await;
    let (_, _, message) = pep_error(
        &stamp,
        "New-AzureStackActivation",
        json!({"ActivationKey": other_key}),
    )
    .await;
    assert!(message.contains("cloud identifier"), "{message}");

    let operator = stamp.operator_token().await;
    let url = format!(
        "{}subscriptions/{}/resourceGroups/azurestack-activation/providers/Microsoft.AzureBridge.Admin/activations/default?api-version=2016-01-01",
        stamp.s("/admin_arm"),
        stamp.provider_subscription()
    );
    assert_eq!(
        stamp.get(&url, Some(&operator)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        stamp
            .pep_output("New-AzureStackActivation", json!({"ActivationKey": key}))
            .await,
        Value::Null
    );
    assert_eq!(
        stamp.get(&url, Some(&operator)).await.status,
        StatusCode::OK
    );
    // The tenant principal is no operator.
    let tenant = stamp.tenant_token().await;
    assert_eq!(
        stamp
            .get(
                &url.replace(&stamp.s("/admin_arm"), &stamp.s("/tenant_arm")),
                Some(&tenant)
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// `DELETE /_emulator/refresh-tokens` revokes the refresh tokens of both directories: the next refresh is
/// `invalid_grant`, as after revoking a user's sessions in Azure AD, while a new sign-in works.
#[tokio::test]
async fn revoked_refresh_tokens_are_refused() {
    let stamp = common::start().await;
    let authority = format!(
        "{}{}",
        stamp.s("/azure/login_endpoint"),
        stamp.s("/azure/tenant_id")
    );
    let azure_user = &stamp.ready["azure"]["users"][0];
    let resource = "https://management.azure.com/";
    let refresh = refresh_token(&stamp, &authority, azure_user, resource).await;
    let redeem = |token: String| {
        stamp.send(stamp.http.post(format!("{authority}/oauth2/token")).form(&[
            ("grant_type", "refresh_token".to_string()),
            ("client_id", common::AZURE_POWERSHELL.to_string()),
            ("refresh_token", token),
            ("resource", resource.to_string()),
        ]))
    };
    assert_eq!(redeem(refresh.clone()).await.status, StatusCode::OK);

    let revoked = stamp
        .send(
            stamp
                .http
                .delete(format!("{}refresh-tokens", stamp.s("/control"))),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    assert!(revoked.json()["revoked"]["azure"].as_u64().unwrap() >= 1);

    let refused = redeem(refresh).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.json()["error"], "invalid_grant");
    // Signing in again gives a refresh token that works.
    let fresh = refresh_token(&stamp, &authority, azure_user, resource).await;
    assert_eq!(redeem(fresh).await.status, StatusCode::OK);
}
