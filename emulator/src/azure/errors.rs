//! The Azure Resource Manager errors several resource types share.

use axum::http::StatusCode;

use crate::http::ArmError;
pub(crate) use crate::http::supported_api_version;

/// Api-versions of `Microsoft.AzureStack` (registrations, customer subscriptions, operations).
pub const AZURESTACK_API_VERSIONS: &[&str] = &[
    "2016-01-01",
    "2017-06-01",
    "2020-06-01-preview",
    "2022-06-01",
];

pub fn resource_group_not_found(name: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "ResourceGroupNotFound",
        format!("Resource group '{name}' could not be found."),
    )
}

pub fn resource_not_found(resource_type: &str, name: &str, resource_group: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!(
            "The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not found. For more \
             details please go to https://aka.ms/ARMResourceNotFoundFix"
        ),
    )
}

/// What a locked scope refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Write,
    Delete,
}

pub fn scope_locked(target: &str, operation: Operation, locked: &[String]) -> ArmError {
    let verb = match operation {
        Operation::Write => "write",
        Operation::Delete => "delete",
    };
    ArmError::new(
        StatusCode::CONFLICT,
        "ScopeLocked",
        format!(
            "The scope '{target}' cannot perform {verb} operation because following scope(s) are locked: '{}'. \
             Please remove the lock and try again.",
            locked.join("', '")
        ),
    )
}

/// ARM's rule for resource group names (ARM RPC, resource-api-reference: at most 90 letters or digits in
/// the `Char.IsLetterOrDigit` sense, '-', '_', '(', ')' and '.', not ending in '.'), with the code and message
/// ARM answers (`InvalidResourceGroup`, as `az group show -g '""'` shows).
pub fn check_resource_group_name(name: &str) -> Result<(), ArmError> {
    let invalid: String = name
        .chars()
        .filter(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '(' | ')' | '.')))
        .collect();
    let message = if !invalid.is_empty() {
        format!(
            "The provided resource group name '{name}' has these invalid characters: '{invalid}'. The name can \
             only be a letter, digit, '-', '.', '(', ')' or '_'."
        )
    } else if name.is_empty() || name.chars().count() > 90 || name.ends_with('.') {
        format!(
            "The provided resource group name '{name}' is invalid: it must be 1 to 90 characters long and must not \
             end with a period."
        )
    } else {
        return Ok(());
    };
    Err(ArmError::bad_request("InvalidResourceGroup", message))
}

/// ARM's rule for resource names (ARM RPC, resource-api-reference: none of `<>%&:\?/` nor '#' nor control
/// characters, at most 260 characters). **(choice)** The code `InvalidResourceName` and the message wording:
/// the RPC names the rule, not the answer.
pub fn check_resource_name(resource_type: &str, name: &str) -> Result<(), ArmError> {
    let bad = |c: char| c.is_control() || "<>%&:\\?/#".contains(c);
    if name.is_empty() || name.chars().count() > 260 || name.chars().any(bad) {
        return Err(ArmError::bad_request(
            "InvalidResourceName",
            format!(
                "The resource name '{name}' of type '{resource_type}' is invalid: it must be 1 to 260 characters long \
                 and must not contain '<', '>', '%', '&', ':', '\\', '?', '/', '#' or control characters."
            ),
        ));
    }
    Ok(())
}
