//! `azsb_usage_query`: paging through provider or tenant usage.

use std::ffi::{CString, c_char};

use crate::ffi::client::AzsbClient;
use crate::ffi::error::{AzsbError, AzsbStatus, finish};
use crate::ffi::strings::{c_string, to_c};
use azs_billing_core::usage::{UsagePager, UsageRecord};

/// Opaque usage query handle (one thread at a time).
pub struct AzsbUsageQuery {
    pager: UsagePager,
    /// The rows `azsb_usage_next_rows` handed out last, and the strings they point into.
    rows: Vec<AzsbUsageRow>,
    texts: Vec<CString>,
}

/// One usage record as plain fields, for reading rows without parsing JSON (`azsb_usage_next_rows`). Every
/// pointer is NUL-terminated UTF-8 owned by the query: valid until the next `azsb_usage_next_rows` or
/// `azsb_usage_next_page` on it, or `azsb_usage_free`; copy what you keep. NULL where the record has no
/// such field. The fields mean what the same-named fields of a JSON page record mean (docs/c-abi.md).
#[repr(C)]
pub struct AzsbUsageRow {
    /// The tenant subscription the usage is of.
    pub subscription_id: *const c_char,
    /// The meter id as the service sent it.
    pub meter_id: *const c_char,
    /// Lower case without hyphens: what identifies the meter.
    pub meter_id_normalized: *const c_char,
    /// From the meter catalogue; NULL for a meter it does not know.
    pub meter_name: *const c_char,
    /// The catalogue's unit (`GB-Hours`, ...); NULL with `meter_name`.
    pub unit: *const c_char,
    /// Start of the usage hour or day, Unix seconds (UTC).
    pub usage_start: i64,
    /// Its end (exclusive), Unix seconds (UTC).
    pub usage_end: i64,
    /// The quantity as a double (what the JSON number parses to).
    pub quantity: f64,
    /// The quantity's digits exactly as the service sent them (`2.4`), for sums that must be exact.
    pub quantity_text: *const c_char,
    /// From instanceData; NULL when it did not parse.
    pub resource_uri: *const c_char,
    /// The resource group of the URI; NULL when it has none.
    pub resource_group: *const c_char,
    /// The namespace, e.g. `Microsoft.Compute`.
    pub provider: *const c_char,
    /// The type without namespace, e.g. `virtualMachines`.
    pub resource_type: *const c_char,
    /// The resource's name.
    pub resource_name: *const c_char,
    /// The location instanceData names.
    pub location: *const c_char,
    /// The resource's tags as a JSON object's text; NULL when it has none.
    pub tags_json: *const c_char,
    /// instanceData's additionalInfo as JSON text.
    pub additional_info_json: *const c_char,
    /// The VM size, for compute meters.
    pub vm_size: *const c_char,
    /// instanceData exactly as sent (a JSON string's content).
    pub instance_data: *const c_char,
    /// The record's ARM id (not a row key: it repeats across days).
    pub record_id: *const c_char,
}

impl AzsbUsageQuery {
    /// Replaces the rows handed out with `records`' (the earlier ones' strings are freed).
    fn hold_rows(&mut self, records: &[UsageRecord]) {
        self.rows.clear();
        self.texts.clear();
        let texts = &mut self.texts;
        let mut text = |value: Option<&str>| -> *const c_char {
            let Some(value) = value else {
                return std::ptr::null();
            };
            let owned = c_string(value);
            // The string's bytes stay where they are when the CString moves into the vector.
            let pointer = owned.as_ptr();
            texts.push(owned);
            pointer
        };
        for r in records {
            let fields = r.resource_fields();
            let tags = fields.tags.and_then(|t| serde_json::to_string(t).ok());
            let info = fields.additional_info.map(serde_json::Value::to_string);
            let row = AzsbUsageRow {
                subscription_id: text(Some(&r.subscription_id)),
                meter_id: text(Some(&r.meter_id)),
                meter_id_normalized: text(Some(&r.meter_id_normalized)),
                meter_name: text(r.meter.map(|m| m.name.as_str())),
                unit: text(r.meter.map(|m| m.unit.as_str())),
                usage_start: r.usage_start.timestamp(),
                usage_end: r.usage_end.timestamp(),
                quantity: r.quantity,
                quantity_text: text(Some(&format!("{}", r.quantity))),
                resource_uri: text(fields.resource_uri),
                resource_group: text(fields.resource_group),
                provider: text(fields.provider),
                resource_type: text(fields.resource_type),
                resource_name: text(fields.resource_name),
                location: text(fields.location),
                tags_json: text(tags.as_deref()),
                additional_info_json: text(info.as_deref()),
                vm_size: text(fields.vm_size),
                instance_data: text(r.instance_data_raw.as_deref()),
                record_id: text(r.id.as_deref()),
            };
            self.rows.push(row);
        }
    }
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
            unsafe {
                *query_out = Box::into_raw(Box::new(AzsbUsageQuery {
                    pager,
                    rows: Vec::new(),
                    texts: Vec::new(),
                }))
            };
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

/// Fetches the next page and hands out its records as an array of `azsb_usage_row` (plain fields, no JSON
/// to parse): `*rows_out` points at `*count_out` rows, owned by the query and valid until the next
/// `azsb_usage_next_rows` or `azsb_usage_next_page` on it, or `azsb_usage_free`. Pages without records
/// before the last are skipped, so `*count_out` is never 0 with rows left; after the last page `*rows_out`
/// is NULL and `*count_out` 0, and AZSB_STATUS_OK is returned: every row has been delivered. Errors, and
/// what a retry of the call does, are as for `azsb_usage_next_page` (the query stays at the failed page;
/// the rows handed out before stay valid).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_usage_next_rows(
    query: *mut AzsbUsageQuery,
    rows_out: *mut *const AzsbUsageRow,
    count_out: *mut usize,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let query = try_mut!(query, "query", error_out);
        check_out!(rows_out, "rows_out", error_out);
        check_out!(count_out, "count_out", error_out);
        let page = loop {
            match query.pager.next_page() {
                Ok(Some(page)) if page.records.is_empty() => continue,
                other => break other,
            }
        };
        finish(page, error_out, |page| {
            let (rows, count) = match page {
                Some(page) => {
                    query.hold_rows(&page.records);
                    (query.rows.as_ptr(), query.rows.len())
                }
                None => {
                    query.hold_rows(&[]);
                    (std::ptr::null(), 0)
                }
            };
            // SAFETY: both checked non-NULL above.
            unsafe {
                *rows_out = rows;
                *count_out = count;
            }
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
