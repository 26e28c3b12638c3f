//! `azsb_usage_query`: paging through provider or tenant usage.

use std::ffi::c_char;

use crate::ffi::client::AzsbClient;
use crate::ffi::error::{AzsbError, AzsbStatus, finish};
use crate::ffi::strings::to_c;
use azs_billing_core::usage::UsagePager;

/// Opaque usage query handle (one thread at a time).
pub struct AzsbUsageQuery {
    pager: UsagePager,
}

/// Opens a usage query: `{"api":"provider"|"tenant","subscription_id":"…","reported_start_time":"…",
/// "reported_end_time":"…","aggregation_granularity":"Daily"|"Hourly","subscriber_id":"…",
/// "continuation_token":"…"}` (the camelCase names `subscriptionId`, `reportedStartTime`, ... are accepted
/// too; docs/c-abi.md). Times may carry any offset; they are converted to UTC and checked against the
/// service's rules here, before anything is sent. Nothing is fetched until `azsb_usage_next_page`.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_usage_open(
    client: *const AzsbClient,
    query_json: *const c_char,
    query_out: *mut *mut AzsbUsageQuery,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let client = try_ref!(client, "client", error_out);
        let query = try_str!(query_json, "query_json", error_out);
        check_out!(query_out, "query_out", error_out);
        let result = azs_billing_core::options::usage_query_from_json(query)
            .and_then(|q| UsagePager::new(client.inner.clone(), q));
        finish(result, error_out, |pager| {
            // SAFETY: checked non-NULL above.
            unsafe { *query_out = Box::into_raw(Box::new(AzsbUsageQuery { pager })) };
        })
    })
}

/// Fetches the next page and returns it as a JSON array of records (typed fields, meter name and unit, and
/// the parsed instanceData; each field, and what identifies a row, which the record's `id` does not, in
/// docs/c-abi.md). After the last page `*page_json_out` is set to NULL and AZSB_STATUS_OK returned; NULL
/// means only that: every row has been delivered.
///
/// After an error (a status other than AZSB_STATUS_OK; `*page_json_out` is not written) the query stays at
/// the page that failed: the next call on the same handle sends that page's request again, so retrying the
/// call is all a caller does to recover, and no row is skipped or delivered twice.
/// `azsb_usage_continuation_token` meanwhile still gives the failed page's token, to resume in a new query
/// instead. The request has already been retried inside the library (options "retry") before an error is
/// returned, so bound your own retries. Errors a repeat cannot cure come back on every later call, never
/// as a clean end: a malformed page or a nextLink off the Resource Manager endpoint
/// (AZSB_STATUS_UNEXPECTED_RESPONSE), the service handing out the same page again with the same nextLink
/// (a loop that would count rows twice; UNEXPECTED_RESPONSE), and the cap of 1,000,000 pages per query
/// (UNEXPECTED_RESPONSE; resume from the token in a new query).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_usage_next_page(
    query: *mut AzsbUsageQuery,
    page_json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let query = try_mut!(query, "query", error_out);
        check_out!(page_json_out, "page_json_out", error_out);
        let page = query.pager.next_page().and_then(|page| {
            page.map(|p| azs_billing_core::usage::json::records_json(&p.records))
                .transpose()
        });
        finish(page, error_out, |json| {
            // SAFETY: checked non-NULL above.
            unsafe { *page_json_out = json.map_or(std::ptr::null_mut(), to_c) };
        })
    })
}

/// The continuation token after the last page fetched (resume later with "continuation_token" in a query
/// otherwise the same: a token is valid only for the query it came from), or NULL when there is none
/// (before the first page, or after the last). After a failed `azsb_usage_next_page` it is the token of the
/// page that failed.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_usage_continuation_token(
    query: *const AzsbUsageQuery,
    token_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let query = try_ref!(query, "query", error_out);
        check_out!(token_out, "token_out", error_out);
        let token = query
            .pager
            .continuation_token()
            .map(to_c)
            .unwrap_or(std::ptr::null_mut());
        // SAFETY: checked non-NULL above.
        unsafe { *token_out = token };
        AzsbStatus::Ok
    })
}

/// Frees a usage query. NULL is accepted.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_usage_free(query: *mut AzsbUsageQuery) {
    // SAFETY: the caller promised the query came from azsb_usage_open and is freed once.
    unsafe { crate::ffi::strings::free_handle(query) }
}
