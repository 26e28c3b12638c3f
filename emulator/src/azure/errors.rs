//! The Azure Resource Manager errors several resource types share.

use axum::http::StatusCode;

use crate::arm::error::ArmError;
pub(crate) use crate::arm::supported_api_version;

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
