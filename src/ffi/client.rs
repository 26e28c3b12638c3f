//! `azsb_client`: a signed-in connection to one Resource Manager endpoint.

use std::ffi::{CString, c_char, c_void};
use std::sync::Arc;

use crate::ffi::error::{AzsbError, AzsbStatus, finish, finish_json, to_json};
use crate::ffi::strings::to_c;
use azs_billing_core::client::Client;
use azs_billing_core::credential::DeviceCodePrompt;

/// Opaque client handle.
pub struct AzsbClient {
    pub(crate) inner: Arc<Client>,
}

/// The shape of the exports that read a client and answer JSON: borrow the client, check `json_out`, run
/// `operation`, write its result as JSON (a result that cannot be serialised is an error).
pub(crate) fn client_json<R: serde::Serialize>(
    client: *const AzsbClient,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
    operation: impl FnOnce(&Client) -> azs_billing_core::error::Result<R>,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let client = try_ref!(client, "client", error_out);
        check_out!(json_out, "json_out", error_out);
        let result = operation(&client.inner).and_then(|value| to_json(&value));
        finish_json(result, json_out, error_out)
    })
}

/// Receives the device code sign-in message ("To sign in, use a web browser to open ... and enter the code
/// ..."). Called on the thread that called `azsb_client_new` or a later call that needed a token; `message`
/// is valid for the duration of the call only.
pub type AzsbDeviceCodeCallback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, message: *const c_char)>;

struct CallbackTarget {
    callback: unsafe extern "C" fn(*mut c_void, *const c_char),
    userdata: *mut c_void,
}

impl CallbackTarget {
    fn call(&self, message: &str) {
        let message = CString::new(message.replace('\0', " ")).unwrap_or_default();
        // SAFETY: the caller supplied this function pointer for exactly this use, with `userdata`.
        unsafe { (self.callback)(self.userdata, message.as_ptr()) };
    }
}

// SAFETY: the header documents that the callback may be invoked from the calling thread of any later call
// on the client, so the caller guarantees `userdata` may be used from those threads.
unsafe impl Send for CallbackTarget {}
// SAFETY: as above; the library never invokes the callback concurrently with itself for one client.
unsafe impl Sync for CallbackTarget {}

/// Creates a client from options JSON, for example
/// `{"arm_endpoint":"https://adminmanagement.local.azurestack.external/","tenant":"contoso.onmicrosoft.com",
///   "credential":{"type":"client_secret","client_id":"…","client_secret":"…"},"ca_bundle":"/path/ca.pem"}`.
/// Credential types: client_secret, certificate (certificate_path, private_key_path), pfx (pfx_path,
/// password), access_token, device_code (client_id optional). Also: cloud or environment instead of
/// arm_endpoint; connect_timeout and read_timeout (seconds), retry {max_retries, initial_delay, max_delay,
/// max_total (milliseconds)}, allow_http, user_agent_suffix (each field: docs/c-abi.md, "Client options";
/// relative paths are the process's current directory's). An `arm_endpoint` is discovered through its
/// `/metadata/endpoints` now; no token is requested until the first call that needs one.
/// `device_code_callback` may be NULL (the message then goes to stderr).
/// Checked before anything is sent (`AZSB_STATUS_INVALID_ARGUMENT`): the JSON's shape (the message names
/// the field's path and the expected type, never the value given), an empty client_secret, the tenant's
/// form. Plain http:// only to a host written as localhost, 127.0.0.0/8 or ::1 (a name under .localhost
/// is not loopback), unless allow_http is true. An arm_endpoint that answers 404 for
/// `/metadata/endpoints` is not Resource Manager: `AZSB_STATUS_NOT_FOUND`, naming the URL tried.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_client_new(
    options_json: *const c_char,
    device_code_callback: AzsbDeviceCodeCallback,
    userdata: *mut c_void,
    client_out: *mut *mut AzsbClient,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let options = try_str!(options_json, "options_json", error_out);
        check_out!(client_out, "client_out", error_out);
        let prompt = device_code_callback.map(|callback| {
            let target = CallbackTarget { callback, userdata };
            let prompt: azs_billing_core::credential::DeviceCodeCallback =
                Arc::new(move |p: &DeviceCodePrompt| {
                    target.call(&p.message);
                });
            prompt
        });
        let result = azs_billing_core::options::client_options_from_json(options, prompt)
            .and_then(Client::new);
        finish(result, error_out, |client| {
            let handle = Box::new(AzsbClient {
                inner: Arc::new(client),
            });
            // SAFETY: checked non-NULL above; the caller provided storage for one pointer.
            unsafe { *client_out = Box::into_raw(handle) };
        })
    })
}

/// The client's environment as JSON: {"name","resource_manager","login_endpoint","audience","identity_system",
/// "endpoint_type"}. `endpoint_type` is "admin" (an Azure Stack Hub operator endpoint, `adminmanagement.*`,
/// or one whose token audience is), "azure" (a public Azure cloud's Resource Manager or audience) or
/// "tenant" (anything else: an Azure Stack Hub user endpoint), as the library tells them apart.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_client_environment(
    client: *const AzsbClient,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let client = try_ref!(client, "client", error_out);
        check_out!(json_out, "json_out", error_out);
        let env = client.inner.environment();
        let json = serde_json::json!({
            "name": env.name,
            "resource_manager": env.resource_manager.as_str(),
            "login_endpoint": env.login_endpoint.as_str(),
            "audience": env.audience,
            "identity_system": env.identity_system,
            "endpoint_type": env.endpoint_type(),
        });
        // SAFETY: checked non-NULL above.
        unsafe { *json_out = to_c(json.to_string()) };
        AzsbStatus::Ok
    })
}

/// Who the client acts as, as JSON: {"account","account_type","tenant_id"}, read from the claims of its
/// access token. `account` is a user's sign-in name (upn, unique_name, preferred_username or email claim;
/// `account_type` "user") or, for a service principal, its application id ("application"); `tenant_id` is
/// the directory tenant (tid claim). Each is null when the token does not say (an opaque access token names
/// nobody). Signs in first when the client holds no token yet, so a device code client may call its
/// callback here; the token itself is never returned.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_client_account(
    client: *const AzsbClient,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_json(client, json_out, error_out, Client::signed_in_account)
}

/// The client's credential as JSON: {"type","holds_refresh_token"}. `type` is "client_secret",
/// "certificate" (a PEM or pfx certificate), "access_token" or "device_code"; `holds_refresh_token` says
/// whether its sign-in leaves a refresh token the library keeps, which azsb_client_refresh_token returns
/// (true only for device_code: a user's sign-in). Nothing is sent and nothing secret is returned.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_client_credential(
    client: *const AzsbClient,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    client_json(client, json_out, error_out, |client| {
        let credential = client.tokens().credential();
        Ok(serde_json::json!({
            "type": credential.kind(),
            "holds_refresh_token": credential.holds_refresh_token(),
        }))
    })
}

/// Frees a client. NULL is accepted. Usage queries opened from it stay valid (they share the connection).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_client_free(client: *mut AzsbClient) {
    // SAFETY: the caller promised the client came from azsb_client_new and is freed once.
    unsafe { crate::ffi::strings::free_handle(client) }
}
