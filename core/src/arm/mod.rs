//! The Azure Resource Manager plumbing every ARM caller in the core shares (registration, tenant
//! subscriptions, usage): one place for how ids are checked and encoded, how URLs and queries are written,
//! and how lists are followed, so the rules cannot drift apart between callers.
//!
//! - `id`: resource names, resource group names, GUIDs and scopes checked against ARM's rules, and path
//!   segments percent-encoded;
//! - `url`: the endpoint's base, query values escaped for the wire, request URLs with their api-version;
//! - `list`: nextLinks checked to stay on the endpoint, and lists followed page by page;
//! - `request`: sending through the client, 404 as `NotFound`, JSON bodies into types.

mod id;
mod list;
mod request;
mod url;

pub(crate) use id::{
    encode, guid, parse_guid, resource_group_name, resource_name, scope, scope_subscription,
    segment,
};
pub(crate) use list::{Page, check_next_link, follow};
pub(crate) use request::{delete, find, get, list, parse, send, write};
pub(crate) use url::{arm_base, encode_query, url};
