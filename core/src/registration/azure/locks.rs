//! Management locks at a scope: the `CanNotDelete` lock the original tooling keeps on a registration.

use serde_json::json;

use super::{LOCKS_API_VERSION, Lock};
use crate::arm;
use crate::client::Client;
use crate::error::Result;
use crate::transport::Method;

fn lock_url(client: &Client, scope_path: &str, name: &str) -> Result<url::Url> {
    let path = format!(
        "{scope_path}/providers/Microsoft.Authorization/locks/{}",
        arm::segment("lock_name", name)?
    );
    arm::url(client, &path, LOCKS_API_VERSION, &[])
}

/// A management lock at a scope (a resource id), or None.
pub fn get_lock(client: &Client, scope: &str, name: &str) -> Result<Option<Lock>> {
    let url = lock_url(client, &arm::scope("scope", scope)?, name)?;
    arm::find(client, &url, || format!("lock '{name}'"))
}

/// Puts a `CanNotDelete` (or `ReadOnly`) lock at a scope; an existing lock of that name is replaced.
pub fn put_lock(
    client: &Client,
    scope: &str,
    name: &str,
    level: &str,
    notes: &str,
) -> Result<Lock> {
    let url = lock_url(client, &arm::scope("scope", scope)?, name)?;
    log::info!(target: super::LOG_TARGET, "putting {level} lock '{name}' on {}", scope.trim());
    arm::write(
        client,
        Method::Put,
        &url,
        &json!({ "properties": { "level": level, "notes": notes } }),
        || format!("putting lock '{name}'"),
    )
}

/// Removes a lock; false when there was none (a missing scope counts as none).
pub fn delete_lock(client: &Client, scope: &str, name: &str) -> Result<bool> {
    let url = lock_url(client, &arm::scope("scope", scope)?, name)?;
    let deleted = arm::delete(client, &url, true, || format!("lock '{name}'"))?;
    if deleted {
        log::info!(target: super::LOG_TARGET, "removed lock '{name}' from {}", scope.trim());
    } else {
        log::debug!(target: super::LOG_TARGET, "no lock '{name}' on {}", scope.trim());
    }
    Ok(deleted)
}
