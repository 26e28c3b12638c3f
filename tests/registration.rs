//! Registration through the library against the emulator's Azure side and PEP model (docs/registration.md):
//! the connected flow piece by piece, re-runs converging, the lock, finding by cloud id, removal with
//! verification, CSP customer subscriptions and their error codes, and the disconnected flow.

mod support;

use std::sync::Arc;

use azs_billing_core::client::Client;
use azs_billing_core::credential::{AZURE_POWERSHELL_CLIENT_ID, Credential, DeviceCodePrompt};
use azs_billing_core::error::Error;
use azs_billing_core::registration::azure::{
    self, LOCK_NAME, NewRegistration, RegistrationQuery, RegistrationRef,
};
use azs_billing_core::registration::pep::{PepClient, PepOptions, StampInformation};
use azs_billing_core::registration::{
    BillingModel, RegistrationSettings, StampVersion, decode_activation_key,
    decode_registration_token, stamp, token_parameters,
};
use azs_billing_core::secret::Secret;
use azs_billing_core::transport::Method;
use base64::Engine as _;
use serde_json::Value;
use support::Stamp;

/// The emulator, which must have the Azure side and the PEP model.
fn azure_stamp() -> Stamp {
    let stamp = support::start();
    assert!(
        stamp.has_azure(),
        "the emulator has no Azure side (ready document without \"azure\" and \"pep\")"
    );
    stamp
}

fn pep(stamp: &Stamp) -> PepClient {
    let options: PepOptions =
        serde_json::from_value(stamp.pep_options_json()).expect("PEP options");
    PepClient::new(options, &stamp.transport_options()).expect("PEP client")
}

/// The operator signed in to Azure with device code (so a refresh token is at hand).
fn operator_device_code(stamp: &Stamp) -> Client {
    let credential = Credential::DeviceCode {
        tenant: stamp.s("/azure/tenant_id"),
        client_id: AZURE_POWERSHELL_CLIENT_ID.to_string(),
        prompt: Arc::new(|_: &DeviceCodePrompt| {}),
    };
    Client::new(stamp.azure_options(credential)).expect("Azure client")
}

fn operator_secret(stamp: &Stamp) -> Client {
    Client::new(stamp.azure_options(stamp.azure_secret_credential("azure-operator")))
        .expect("Azure client")
}

fn admin_client(stamp: &Stamp) -> Client {
    Client::new(stamp.options("admin_arm", stamp.secret_credential("operator")))
        .expect("admin client")
}

fn subscription(stamp: &Stamp) -> String {
    stamp.s("/azure/subscription_id")
}

fn location(client: &Client, subscription: &str) -> String {
    azure::locations(client, subscription)
        .expect("locations")
        .first()
        .expect("at least one location")
        .name
        .clone()
}

/// A token from the PEP for these settings, through the same rules and gates as the module uses.
fn registration_token(
    pep: &PepClient,
    info: &StampInformation,
    settings: RegistrationSettings,
    connected: bool,
) -> Secret {
    let resolved = settings.resolve(connected).expect("settings");
    let version: StampVersion = info.stamp_version.parse().expect("stamp version");
    let parameters = token_parameters(version, &resolved).expect("token parameters");
    pep.new_registration_token(&parameters)
        .expect("New-RegistrationToken")
}

fn settings(model: BillingModel) -> RegistrationSettings {
    RegistrationSettings {
        billing_model: Some(model),
        agreement_number: Some("EA-0001".into()),
        ms_asset_tag: Some("TAG-0001".into()),
        ..RegistrationSettings::default()
    }
}

fn create(client: &Client, stamp: &Stamp, name: &str, token: &Secret) -> azure::Registration {
    let subscription = subscription(stamp);
    let new = NewRegistration {
        registration: RegistrationRef::new(&subscription, "azurestack", name),
        location: Some(location(client, &subscription)),
        token: token.clone(),
    };
    azure::create_registration(client, &new).expect("create registration")
}

/// A started emulator with the PEP, the operator's Azure client (service principal) and the stamp's
/// information: what every test but the first begins with.
struct World {
    stamp: Stamp,
    pep: PepClient,
    azure: Client,
    info: StampInformation,
}

fn world() -> World {
    let stamp = azure_stamp();
    let pep = pep(&stamp);
    let azure = operator_secret(&stamp);
    let info = pep.stamp_information().expect("stamp information");
    World {
        stamp,
        pep,
        azure,
        info,
    }
}

impl World {
    fn token(&self, model: BillingModel, connected: bool) -> Secret {
        registration_token(&self.pep, &self.info, settings(model), connected)
    }

    fn create(&self, name: &str, token: &Secret) -> azure::Registration {
        create(&self.azure, &self.stamp, name, token)
    }

    fn registration(&self, name: &str) -> RegistrationRef {
        RegistrationRef::new(subscription(&self.stamp), "azurestack", name)
    }
}

fn service_code(error: &Error) -> (u16, String) {
    let service = error
        .service_error()
        .unwrap_or_else(|| panic!("not a service error: {error:?}"));
    (service.status, service.code.clone().unwrap_or_default())
}

#[test]
fn connected_registration_piece_by_piece_then_removal() {
    let stamp = azure_stamp();
    let pep = pep(&stamp);
    let azure = operator_device_code(&stamp);
    let subscription = subscription(&stamp);

    // 1. Stamp information.
    let info = pep.stamp_information().expect("stamp information");
    assert_eq!(info.stamp_version, stamp.s("/pep/stamp_version"));
    assert_eq!(info.cloud_id, stamp.s("/pep/cloud_id"));

    // 2. The bridge service principal from the operator's refresh token.
    azure::locations(&azure, &subscription).expect("signing in");
    let refresh = azure
        .tokens()
        .refresh_token()
        .expect("a refresh token after device code");
    let bridge = pep
        .new_bridge_service_principal(&refresh, "AzureCloud", &stamp.s("/azure/tenant_id"))
        .expect("New-AzureBridgeServicePrincipal");

    // 3. The token, naming the bridge principal.
    let token = registration_token(&pep, &info, settings(BillingModel::Development), true);
    let decoded = decode_registration_token(token.expose()).expect("the PEP's token decodes");
    assert_eq!(decoded.cloud_id, info.cloud_id);
    assert_eq!(decoded.common.billing_model.as_deref(), Some("Development"));
    assert!(
        decoded
            .common
            .object_id
            .as_deref()
            .is_some_and(|o| o.eq_ignore_ascii_case(&bridge.object_id))
    );

    // 4. The registration, locked.
    let name = format!("azurestack-{}", info.cloud_id);
    let created = create(&azure, &stamp, &name, &token);
    assert!(
        created
            .properties
            .cloud_id
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(&info.cloud_id))
    );
    assert_eq!(
        created.properties.billing_model.as_deref(),
        Some("Development")
    );
    let lock = azure::get_lock(&azure, &created.id, LOCK_NAME)
        .expect("lock")
        .expect("the lock is back");
    assert_eq!(lock.properties.level.as_deref(), Some("CanNotDelete"));

    // 5. The role, twice: the second run reuses the first assignment.
    let first =
        azure::ensure_role_assignment(&azure, &created.id, &bridge.object_id, None).expect("role");
    let second = azure::ensure_role_assignment(&azure, &created.id, &bridge.object_id, None)
        .expect("role again");
    assert_eq!(first.id, second.id);

    // 6. The key, 7. activation on the stamp.
    let registration = RegistrationRef::new(&subscription, "azurestack", &name);
    let key = azure::activation_key(&azure, &registration).expect("activation key");
    let claims = decode_activation_key(key.expose()).expect("the key decodes");
    assert_eq!(claims.registration_name.as_deref(), Some(name.as_str()));
    assert!(
        claims
            .cloud_id
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(&info.cloud_id))
    );
    assert_eq!(claims.header["alg"], "RS256");
    pep.new_activation(&key).expect("New-AzureStackActivation");
    let activation = stamp::activation(&admin_client(&stamp)).expect("the stamp is activated");
    assert!(
        activation
            .properties
            .azure_registration_resource_identifier
            .as_deref()
            .is_some_and(|id| id.eq_ignore_ascii_case(&created.id))
    );

    // Remove-AzsRegistration: deactivate, then remove with verification; a second removal finds nothing.
    // Only the stamp's own registration is removed.
    let other_cloud = uuid::Uuid::new_v4().to_string();
    let err = azure::remove_registration_of_cloud(&azure, &registration, &other_cloud).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                what: "cloud_id",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        azure::get_registration(&azure, &registration).is_ok(),
        "another cloud's registration stays"
    );
    pep.remove_activation()
        .expect("Remove-AzureStackActivation");
    pep.remove_activation()
        .expect("Remove-AzureStackActivation is idempotent");
    let err = stamp::activation(&admin_client(&stamp)).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(
        azure::remove_registration_of_cloud(&azure, &registration, &info.cloud_id).expect("remove")
    );
    let err = azure::get_registration(&azure, &registration).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(
        !azure::remove_registration_of_cloud(&azure, &registration, &info.cloud_id)
            .expect("remove again")
    );
    assert!(!azure::remove_registration(&azure, &registration).expect("remove again"));
}

#[test]
fn rerunning_converges_and_may_change_the_billing_model() {
    let world = world();
    let World { stamp, azure, .. } = &world;
    let token = world.token(BillingModel::Development, true);
    let first = world.create("rerun", &token);
    let again = world.create("rerun", &token);
    assert_eq!(first.id, again.id);
    let capacity = world.token(BillingModel::Capacity, true);
    let renewed = world.create("rerun", &capacity);
    assert_eq!(
        renewed.properties.billing_model.as_deref(),
        Some("Capacity")
    );
    let all =
        azure::list_registrations(azure, &subscription(stamp), Some("azurestack")).expect("list");
    assert_eq!(
        all.iter()
            .filter(|r| r.name.eq_ignore_ascii_case("rerun"))
            .count(),
        1
    );
    let everywhere =
        azure::list_registrations(azure, &subscription(stamp), None).expect("list by subscription");
    assert!(everywhere.iter().any(|r| r.id == first.id));
    // The group was kept, the lock is in place once.
    assert!(
        azure::get_resource_group(azure, &subscription(stamp), "azurestack")
            .expect("group")
            .is_some()
    );
    assert!(
        azure::get_lock(azure, &first.id, LOCK_NAME)
            .expect("lock")
            .is_some()
    );
}

#[test]
fn the_lock_blocks_a_plain_delete_but_not_removal() {
    let world = world();
    let azure = &world.azure;
    let token = world.token(BillingModel::Development, true);
    let created = world.create("locked", &token);
    let url = azure
        .arm_url(&format!("{}?api-version=2017-06-01", created.id))
        .expect("url");
    let err = azure.send_json(Method::Delete, &url, None).unwrap_err();
    assert_eq!(service_code(&err), (409, "ScopeLocked".into()));
    let registration = world.registration("locked");
    assert!(azure::remove_registration(azure, &registration).expect("remove"));
    assert!(
        azure::get_lock(azure, &created.id, LOCK_NAME)
            .expect("lock")
            .is_none()
    );
}

#[test]
fn find_by_name_cloud_id_or_token() {
    let world = world();
    let World {
        stamp, azure, info, ..
    } = &world;
    let token = world.token(BillingModel::Development, true);
    let created = world.create("findme", &token);
    let base = RegistrationQuery {
        subscription_id: subscription(stamp),
        resource_group: Some("azurestack".into()),
        ..RegistrationQuery::default()
    };
    let by_cloud_id = azure::find_registration(
        azure,
        &RegistrationQuery {
            cloud_id: Some(info.cloud_id.to_uppercase()),
            ..base.clone()
        },
    )
    .expect("found by cloud id");
    assert_eq!(by_cloud_id.id, created.id);
    let by_token = azure::find_registration(
        azure,
        &RegistrationQuery {
            token: Some(token.clone()),
            resource_group: None,
            ..base.clone()
        },
    )
    .expect("found by token across the subscription");
    assert_eq!(by_token.id, created.id);
    // A wrong name falls back to the cloud id.
    let fallback = azure::find_registration(
        azure,
        &RegistrationQuery {
            name: Some("other".into()),
            cloud_id: Some(info.cloud_id.clone()),
            ..base.clone()
        },
    )
    .expect("found by cloud id after the name");
    assert_eq!(fallback.id, created.id);
    let err = azure::find_registration(
        azure,
        &RegistrationQuery {
            cloud_id: Some(uuid::Uuid::new_v4().to_string()),
            ..base.clone()
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

/// The token's cloud id, changed: the emulator checks the issuer, not a signature.
fn with_cloud_id(token: &Secret, cloud_id: &str) -> Secret {
    let mut json = decode_registration_token(token.expose())
        .expect("token")
        .raw;
    let key = json
        .as_object()
        .and_then(|o| {
            o.keys()
                .find(|k| k.eq_ignore_ascii_case("cloudId"))
                .cloned()
        })
        .expect("cloudId");
    json[key] = Value::String(cloud_id.into());
    Secret::new(base64::engine::general_purpose::STANDARD.encode(json.to_string()))
}

#[test]
fn cloud_id_conflicts_and_bad_tokens_keep_their_codes() {
    let world = world();
    let World { stamp, azure, .. } = &world;
    let token = world.token(BillingModel::Development, true);
    world.create("first", &token);
    let registration = |name: &str| world.registration(name);
    let other = with_cloud_id(&token, &uuid::Uuid::new_v4().to_string());
    let err = azure::put_registration(azure, &registration("first"), &other).unwrap_err();
    assert_eq!(service_code(&err), (409, "CloudIdUpdateNotAllowed".into()));
    let err = azure::put_registration(azure, &registration("second"), &token).unwrap_err();
    assert_eq!(service_code(&err), (409, "CloudIdAlreadyRegistered".into()));
    let garbage = Secret::new(base64::engine::general_purpose::STANDARD.encode("not json"));
    let err = azure::put_registration(azure, &registration("third"), &garbage).unwrap_err();
    assert_eq!(service_code(&err), (400, "InvalidRegistrationToken".into()));
    // A principal without access to the subscription.
    let reader = Client::new(stamp.azure_options(stamp.azure_secret_credential("azure-reader")))
        .expect("reader");
    let err = azure::get_registration(&reader, &registration("first")).unwrap_err();
    assert_eq!(service_code(&err), (403, "AuthorizationFailed".into()));
}

#[test]
fn csp_customer_subscriptions_and_their_codes() {
    let world = world();
    let World {
        stamp,
        pep,
        azure,
        info,
        ..
    } = &world;
    let token = world.token(BillingModel::PayAsYouUse, true);
    world.create("csp", &token);
    let registration = world.registration("csp");
    let customer = uuid::Uuid::new_v4().to_string();
    let tenant = uuid::Uuid::new_v4().to_string();
    let mapped = azure::put_customer_subscription(azure, &registration, &customer, Some(&tenant))
        .expect("put");
    assert_eq!(
        mapped.properties.tenant_id.as_deref(),
        Some(tenant.as_str())
    );
    let again = azure::put_customer_subscription(azure, &registration, &customer, Some(&tenant))
        .expect("put again");
    assert_eq!(mapped.id, again.id);
    let all = azure::list_customer_subscriptions(azure, &registration).expect("list");
    assert_eq!(all.len(), 1);
    let got = azure::get_customer_subscription(azure, &registration, &customer).expect("get");
    assert_eq!(got.properties.tenant_id.as_deref(), Some(tenant.as_str()));

    let err = azure::put_customer_subscription(azure, &registration, "not-a-guid", Some(&tenant))
        .unwrap_err();
    assert_eq!(
        service_code(&err),
        (400, "InvalidCustomerSubscriptionId".into())
    );
    let err = azure::put_customer_subscription(
        azure,
        &registration,
        &uuid::Uuid::new_v4().to_string(),
        Some("nope"),
    )
    .unwrap_err();
    assert_eq!(service_code(&err), (400, "InvalidTenantId".into()));
    let err =
        azure::get_customer_subscription(azure, &registration, &uuid::Uuid::new_v4().to_string())
            .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(
        service_code(&err),
        (404, "CustomerSubscriptionNotFound".into())
    );
    let missing = world.registration("no-such-registration");
    let err = azure::list_customer_subscriptions(azure, &missing).unwrap_err();
    assert_eq!(service_code(&err), (404, "RegistrationNotFound".into()));

    assert!(azure::delete_customer_subscription(azure, &registration, &customer).expect("remove"));
    assert!(
        !azure::delete_customer_subscription(azure, &registration, &customer)
            .expect("remove again")
    );
    assert!(
        azure::list_customer_subscriptions(azure, &registration)
            .expect("list")
            .is_empty()
    );

    // Only PayAsYouUse registrations take customer subscriptions.
    let development = with_cloud_id(
        &registration_token(pep, info, settings(BillingModel::Development), true),
        &uuid::Uuid::new_v4().to_string(),
    );
    create(azure, stamp, "not-csp", &development);
    let not_csp = world.registration("not-csp");
    let err =
        azure::put_customer_subscription(azure, &not_csp, &customer, Some(&tenant)).unwrap_err();
    assert_eq!(
        service_code(&err),
        (400, "CustomerSubscriptionsNotAllowed".into())
    );
}

#[test]
fn disconnected_flow_with_a_service_principal() {
    let stamp = azure_stamp();
    let pep = pep(&stamp);
    let info = pep.stamp_information().expect("stamp information");
    // Get-AzsRegistrationToken: Capacity, disconnected (no syndication), near the PEP.
    let token = registration_token(&pep, &info, settings(BillingModel::Capacity), false);
    let decoded = decode_registration_token(token.expose()).expect("token");
    assert_eq!(decoded.common.billing_model.as_deref(), Some("Capacity"));
    assert_eq!(decoded.common.marketplace_syndication_enabled, Some(false));
    assert_eq!(decoded.common.usage_reporting_enabled, Some(false));
    // Register-AzsEnvironment and Get-AzsActivationKey, elsewhere, with a service principal.
    let azure = operator_secret(&stamp);
    let name = "disconnected";
    create(&azure, &stamp, name, &token);
    let registration = RegistrationRef::new(subscription(&stamp), "azurestack", name);
    let key = azure::activation_key(&azure, &registration).expect("key");
    let claims = decode_activation_key(key.expose()).expect("key decodes");
    assert_eq!(claims.common.billing_model.as_deref(), Some("Capacity"));
    let expires = claims.expires_at().expect("a Capacity key expires");
    assert!(expires.timestamp() < chrono::Utc::now().timestamp() + 367 * 86_400);
    // New-AzsActivationResource back at the PEP.
    pep.new_activation(&key).expect("activation");
    let activation = stamp::activation(&admin_client(&stamp)).expect("activated");
    assert_eq!(
        activation.properties.marketplace_syndication_enabled,
        Some(false)
    );
    // A key for another cloud is refused by the stamp.
    let err = pep.new_activation(&Secret::new("a.b.c")).unwrap_err();
    assert!(matches!(err, Error::Pep(_)), "{err:?}");
}

#[test]
fn pep_refusals_are_typed() {
    let stamp = azure_stamp();
    let mut options = stamp.pep_options_json();
    options["password"] = Value::String("wrong-password".into());
    let options: PepOptions = serde_json::from_value(options).expect("options");
    let wrong = PepClient::new(options, &stamp.transport_options()).expect("client");
    let err = wrong.stamp_information().unwrap_err();
    assert!(matches!(err, Error::Authentication(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("wrong-password"));
    let pep = pep(&stamp);
    let err = pep
        .invoke("Get-Nothing", &serde_json::Map::new())
        .unwrap_err();
    assert_eq!(service_code(&err).1, "CommandNotFoundException");
    // A parameter the stamp's build does not know is the PEP's ParameterBindingException.
    let mut parameters = serde_json::Map::new();
    parameters.insert("NoSuchParameter".into(), Value::Bool(true));
    let err = pep
        .invoke("New-RegistrationToken", &parameters)
        .unwrap_err();
    assert!(matches!(err, Error::Pep(_)), "{err:?}");
    assert_eq!(service_code(&err).1, "ParameterBindingException");
}

/// The C ABI's device-code refresh token handed to the PEP through the C ABI's PEP call, as the module does
/// in Set-AzsRegistration.
#[test]
fn refresh_token_through_the_c_abi_creates_the_bridge_principal() {
    use azs_billing::ffi::*;
    use support::abi::{c, call, client_new};

    let stamp = azure_stamp();
    let client = client_new(&serde_json::json!({
        "arm_endpoint": stamp.s("/azure/arm"),
        "tenant": stamp.s("/azure/tenant_id"),
        "ca_bundle": stamp.s("/ca_pem"),
        "credential": {"type": "device_code"},
    }))
    .expect("a device code client");
    // The library says a device code client holds one before it is asked for it.
    let credential: Value = serde_json::from_str(
        &call(|o, e| azsb_client_credential(client.0, o, e))
            .expect("credential")
            .expect("not NULL"),
    )
    .unwrap();
    assert_eq!(
        credential,
        serde_json::json!({"type": "device_code", "holds_refresh_token": true})
    );
    let refresh = call(|o, e| azsb_client_refresh_token(client.0, o, e))
        .expect("a refresh token (signing in first)")
        .expect("not NULL");
    assert!(!refresh.is_empty());
    drop(client);

    let pep_options = c(&stamp.pep_options_json().to_string());
    let command = c("New-AzureBridgeServicePrincipal");
    // The long command's timeout as the module gets it, for PowerShell remoting and the emulated PEP alike.
    let defaults: Value = serde_json::from_str(
        &call(|o, e| azsb_pep_command_defaults(command.as_ptr(), o, e))
            .expect("defaults")
            .expect("not NULL"),
    )
    .unwrap();
    assert_eq!(defaults, serde_json::json!({"TimeoutInSeconds": 1800}));
    let bridge = |refresh: &str| {
        let mut parameters = defaults.clone();
        parameters["RefreshToken"] = refresh.into();
        parameters["AzureEnvironment"] = "AzureCloud".into();
        parameters["TenantId"] = stamp.s("/azure/tenant_id").into();
        let parameters = c(&parameters.to_string());
        call(|o, e| {
            azsb_pep_invoke(
                pep_options.as_ptr(),
                command.as_ptr(),
                parameters.as_ptr(),
                o,
                e,
            )
        })
    };
    let answer: Value = serde_json::from_str(
        &bridge(&refresh)
            .expect("the bridge principal")
            .expect("not NULL"),
    )
    .unwrap();
    assert!(
        answer["output"]["ObjectId"]
            .as_str()
            .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
    );

    // A refused refresh token is the PEP's error, with its exception type; the token is not repeated.
    let error = bridge("not-a-refresh-token").unwrap_err();
    assert_eq!(error["status_name"], "AZSB_STATUS_PEP_ERROR");
    assert!(error["code"].is_string(), "{error}");
    assert!(
        !error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not-a-refresh-token"),
        "{error}"
    );
}

/// A stamp of another build (and node count), for the version gates.
fn stamp_of(version: &str, nodes: u32) -> (Stamp, PepClient) {
    let mut config = support::config();
    config.stamp.version = version.parse().expect("an emulator stamp version");
    config.stamp.number_of_nodes = nodes;
    let stamp = support::start_with(config);
    assert!(stamp.has_azure());
    let pep = pep(&stamp);
    (stamp, pep)
}

/// The gates at their boundaries against the PEP model of each build: the parameters the core computes are
/// accepted by every build, the token carries the version the gate chose, and what the gates leave out
/// would indeed have been refused.
#[test]
fn version_gates_match_what_each_build_accepts() {
    let cases = [
        ("1.1912.0.18", false, "1.0"),
        ("1.1912.0.19", true, "1.0"),
        ("1.2008.0.48", true, "1.0"),
        ("1.2008.0.49", true, "4.0"),
        ("1.2309.0.4", true, "4.0"),
        ("1.2309.0.5", true, "6.0"),
    ];
    for (version, takes_asset_tag, token_version) in cases {
        let (_stamp, pep) = stamp_of(version, 4);
        let info = pep.stamp_information().expect("stamp information");
        assert_eq!(info.stamp_version, version);
        let mut wanted = settings(BillingModel::Development);
        wanted.ms_asset_tag = Some("TAG-9".into());
        let resolved = wanted.resolve(true).expect("settings");
        let parameters = token_parameters(version.parse().unwrap(), &resolved).expect("parameters");
        assert_eq!(
            parameters.contains_key("MsAssetTag"),
            takes_asset_tag,
            "{version}"
        );
        let token = pep
            .new_registration_token(&parameters)
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        let decoded = decode_registration_token(token.expose()).expect("token");
        assert_eq!(
            decoded.common.version.as_deref(),
            Some(token_version),
            "{version}"
        );
        if takes_asset_tag {
            assert_eq!(decoded.ms_asset_tag.as_deref(), Some("TAG-9"), "{version}");
        } else {
            let mut forced = parameters.clone();
            forced.insert("MsAssetTag".into(), "TAG-9".into());
            let err = pep.new_registration_token(&forced).unwrap_err();
            assert_eq!(
                service_code(&err).1,
                "ParameterBindingException",
                "{version}"
            );
            let custom = settings(BillingModel::Custom)
                .resolve(true)
                .expect("settings");
            assert!(token_parameters(version.parse().unwrap(), &custom).is_err());
        }
        if version == "1.2309.0.4" {
            let mut forced = parameters.clone();
            forced.insert("TokenVersion".into(), "6.0".into());
            let err = pep.new_registration_token(&forced).unwrap_err();
            assert_eq!(service_code(&err).1, "RuntimeException", "{version}");
        }
    }
}

#[test]
fn key_pair_gate_matches_the_pep() {
    for (version, nodes) in [("1.2209.0.23", 4), ("1.2209.0.24", 4), ("1.2209.0.24", 1)] {
        let (_stamp, pep) = stamp_of(version, nodes);
        let gate = azs_billing_core::registration::version::needs_key_pair(
            version.parse().unwrap(),
            nodes,
        );
        let result = pep.set_registration_key_pair();
        assert_eq!(
            gate,
            result.is_ok(),
            "{version} on {nodes} nodes: {result:?}"
        );
    }
}

/// A name that needs URL encoding is registered under that name, locked, found, removed (reported as removed)
/// and registered again; names ARM refuses are refused before any request.
#[test]
fn names_that_need_encoding_round_trip_and_bad_names_are_refused_locally() {
    let world = world();
    let azure = &world.azure;
    let token = world.token(BillingModel::Development, true);
    let created = world.create("azurestack test", &token);
    assert_eq!(created.name, "azurestack test");
    assert!(
        created.id.ends_with("/registrations/azurestack test"),
        "{}",
        created.id
    );
    // The lock sits on the registration itself (its scope was encoded twice before).
    let lock = azure::get_lock(azure, &created.id, LOCK_NAME).expect("lock");
    assert!(lock.is_some(), "the registration is locked");
    let registration = world.registration("azurestack test");
    assert_eq!(
        azure::get_registration(azure, &registration)
            .expect("get")
            .name,
        "azurestack test"
    );
    let listed = azure::list_registrations(azure, &subscription(&world.stamp), Some("azurestack"))
        .expect("list");
    let names: Vec<&str> = listed.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["azurestack test"]);
    assert!(azure::remove_registration(azure, &registration).expect("remove"));
    assert!(!azure::remove_registration(azure, &registration).expect("remove again"));
    // The stamp registers again (a half-done registration used to block it).
    world.create("azurestack test", &token);
    assert!(azure::remove_registration(azure, &registration).expect("remove"));

    // Anything sent from here on would fail as a service error, not as an invalid argument.
    world.stamp.set_faults(&["503:target=azure"]);
    for (group, name) in [
        ("azurestack", "azurestack%20test"),
        ("azurestack", "a/b"),
        ("azurestack", "a:b"),
        ("my group", "r"),
        ("rg.", "r"),
    ] {
        let new = NewRegistration {
            registration: RegistrationRef::new(subscription(&world.stamp), group, name),
            location: Some("westcentralus".into()),
            token: token.clone(),
        };
        let err = azure::create_registration(azure, &new).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { .. }),
            "{group:?}/{name:?}: {err}"
        );
    }
    world.stamp.set_faults(&[]);
}
