//! Role assignments: the bridge service principal's role on its registration, reused when present.

use serde_json::json;

use super::{AUTHORIZATION_API_VERSION, REGISTRATION_OWNER_ROLE, RoleAssignment};
use crate::arm;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::transport::Method;

/// A role given as a GUID, or as a full role definition id.
fn role_definition_id(scope_path: &str, role: Option<&str>) -> Result<(String, String)> {
    let role = role
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or(REGISTRATION_OWNER_ROLE);
    let guid_part = role.rsplit('/').next().unwrap_or(role);
    let guid = arm::guid("role_definition_id", guid_part)?;
    let full = if role.contains('/') {
        role.to_string()
    } else {
        let subscription = arm::scope_subscription(scope_path).unwrap_or_default();
        format!(
            "/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        )
    };
    Ok((full, guid))
}

fn assignments_for(
    client: &Client,
    scope_path: &str,
    principal_id: &str,
    role_guid: &str,
) -> Result<Option<RoleAssignment>> {
    let url = arm::url(
        client,
        &format!("{scope_path}/providers/Microsoft.Authorization/roleAssignments"),
        AUTHORIZATION_API_VERSION,
        &[("$filter", &format!("principalId eq '{principal_id}'"))],
    )?;
    let assignments: Vec<RoleAssignment> =
        arm::list(client, &url, || "role assignments".to_string())?;
    Ok(assignments.into_iter().find(|a| {
        let principal = a.properties.principal_id.as_deref().unwrap_or_default();
        let role = a
            .properties
            .role_definition_id
            .as_deref()
            .unwrap_or_default();
        principal.eq_ignore_ascii_case(principal_id)
            && role
                .rsplit('/')
                .next()
                .is_some_and(|g| g.eq_ignore_ascii_case(role_guid))
    }))
}

/// Gives `principal_id` the role (default: Azure Stack Registration Owner) at `scope`, unless it already
/// has it there (directly or inherited); returns the assignment either way.
pub fn ensure_role_assignment(
    client: &Client,
    scope: &str,
    principal_id: &str,
    role: Option<&str>,
) -> Result<RoleAssignment> {
    let scope_path = arm::scope("scope", scope)?;
    let principal_id = arm::guid("principal_id", principal_id)?;
    let (role_id, role_guid) = role_definition_id(&scope_path, role)?;
    if let Some(existing) = assignments_for(client, &scope_path, &principal_id, &role_guid)? {
        log::debug!(target: super::LOG_TARGET,
            "principal {principal_id} already has role {role_guid} at {}",
            scope.trim()
        );
        return Ok(existing);
    }
    log::info!(target: super::LOG_TARGET,
        "assigning role {role_guid} to principal {principal_id} at {}",
        scope.trim()
    );
    let url = arm::url(
        client,
        &format!(
            "{scope_path}/providers/Microsoft.Authorization/roleAssignments/{}",
            uuid::Uuid::new_v4()
        ),
        AUTHORIZATION_API_VERSION,
        &[],
    )?;
    let body =
        json!({ "properties": { "roleDefinitionId": role_id, "principalId": principal_id } });
    match arm::write(client, Method::Put, &url, &body, || {
        "role assignment".to_string()
    }) {
        Ok(created) => Ok(created),
        // Another run assigned it meanwhile, or the list did not show it yet: take the one that exists.
        Err(Error::Service(e)) if e.code.as_deref() == Some("RoleAssignmentExists") => {
            assignments_for(client, &scope_path, &principal_id, &role_guid)?
                .ok_or(Error::Service(e))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registration::azure::test_support::*;
    use serde_json::{Value, json};

    #[test]
    fn role_assignment_is_reused_or_created() {
        let existing = json!({"value": [{
            "id": "/x/providers/Microsoft.Authorization/roleAssignments/a1", "name": "a1",
            "properties": {"principalId": PRINCIPAL,
                           "roleDefinitionId": format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/6F12A6DF-DD06-4F3E-BCB1-CE8BE600526A")}
        }]});
        let scope = format!(
            "/subscriptions/{SUB}/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations/reg1"
        );
        let (client, seen) = scripted(vec![ok(&existing.to_string())]);
        let a = ensure_role_assignment(&client, &scope, PRINCIPAL, None).unwrap();
        assert_eq!(a.name.as_deref(), Some("a1"));
        assert_eq!(
            requests(&seen).len(),
            1,
            "no PUT when the assignment exists"
        );
        assert!(
            seen.lock().unwrap()[0].0.contains("principalId+eq+%27"),
            "the list is filtered"
        );

        let (client, seen) = scripted(vec![
            ok(r#"{"value":[]}"#),
            status(
                "409 Conflict",
                r#"{"error":{"code":"RoleAssignmentExists","message":"exists"}}"#,
            ),
            ok(&existing.to_string()),
        ]);
        let a = ensure_role_assignment(&client, &scope, PRINCIPAL, None).unwrap();
        assert_eq!(a.name.as_deref(), Some("a1"));
        let seen = seen.lock().unwrap();
        let put: Value = serde_json::from_str(&seen[1].1).unwrap();
        assert_eq!(put["properties"]["principalId"], PRINCIPAL);
        assert!(
            put["properties"]["roleDefinitionId"]
                .as_str()
                .unwrap()
                .ends_with(REGISTRATION_OWNER_ROLE)
        );
    }

    #[test]
    fn role_definition_ids() {
        let scope = "subscriptions/dd8597b4-8739-4467-8b10-f8679f62bfbf/resourceGroups/g";
        let (full, guid) = role_definition_id(scope, None).unwrap();
        assert_eq!(guid, REGISTRATION_OWNER_ROLE);
        assert_eq!(
            full,
            "/subscriptions/dd8597b4-8739-4467-8b10-f8679f62bfbf/providers/Microsoft.Authorization/roleDefinitions/6f12a6df-dd06-4f3e-bcb1-ce8be600526a"
        );
        let given = "/providers/Microsoft.Authorization/roleDefinitions/8E3AF657-A8FF-443C-A75C-2FE8C4BCB635";
        let (full, guid) = role_definition_id(scope, Some(given)).unwrap();
        assert_eq!(full, given);
        assert_eq!(guid, "8e3af657-a8ff-443c-a75c-2fe8c4bcb635");
        assert!(role_definition_id(scope, Some("Owner")).is_err());
    }
}
