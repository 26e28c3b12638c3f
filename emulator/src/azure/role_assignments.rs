//! Role assignments (`PUT|GET|DELETE {scope}/providers/Microsoft.Authorization/roleAssignments/{guid}` and
//! the list with `$filter=principalId eq '...'`) and the built-in role definitions they name.

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use uuid::Uuid;

use super::routes::{AzureRequest, json};
use super::scope::Scope;
use super::state::RoleAssignment;
use crate::http::{
    ArmError,
    body::{json_object, member},
    require_api_version, require_method,
};

/// The built-in "Azure Stack Registration Owner" role the bridge service principal gets on a registration.
pub const REGISTRATION_OWNER: Uuid = Uuid::from_u128(0x6f12a6df_dd06_4f3e_bcb1_ce8be600526a);

/// Built-in roles: id, name, description, actions.
const ROLES: &[(Uuid, &str, &str, &[&str])] = &[
    (
        Uuid::from_u128(0x8e3af657_a8ff_443c_a75c_2fe8c4bcb635),
        "Owner",
        "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
        &["*"],
    ),
    (
        Uuid::from_u128(0xb24988ac_6180_42a0_ab88_20f7382dd24c),
        "Contributor",
        "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC.",
        &["*"],
    ),
    (
        Uuid::from_u128(0xacdd72a7_3385_48ef_bd42_f606fba81ae7),
        "Reader",
        "View all resources, but does not allow you to make any changes.",
        &["*/read"],
    ),
    (
        REGISTRATION_OWNER,
        "Azure Stack Registration Owner",
        "Lets you manage Azure Stack registrations.",
        &[
            "Microsoft.AzureStack/edgeSubscriptions/read",
            "Microsoft.AzureStack/registrations/products/*/action",
            "Microsoft.AzureStack/registrations/products/read",
            "Microsoft.AzureStack/registrations/read",
        ],
    ),
];

fn definition_id(subscription: Uuid, id: Uuid) -> String {
    format!("/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{id}")
}

fn definition(subscription: Uuid, role: &(Uuid, &str, &str, &[&str])) -> serde_json::Value {
    let (id, name, description, actions) = role;
    serde_json::json!({
        "id": definition_id(subscription, *id),
        "name": id,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": "BuiltInRole",
            "description": description,
            "assignableScopes": ["/"],
            "permissions": [{ "actions": actions, "notActions": [], "dataActions": [], "notDataActions": [] }],
        },
    })
}

/// `GET {scope}/providers/Microsoft.Authorization/roleDefinitions[/{id}]` (`$filter=roleName eq '...'`).
pub fn definitions(request: &AzureRequest, id: Option<&str>) -> Result<Response, ArmError> {
    require_method(request.method, &Method::GET)?;
    require_api_version(&request.params)?;
    let subscription = request.azure.settings.subscription_id;
    if let Some(id) = id {
        let wanted = Uuid::parse_str(id).ok();
        return ROLES
            .iter()
            .find(|r| Some(r.0) == wanted)
            .map(|r| json(StatusCode::OK, definition(subscription, r)))
            .unwrap_or_else(|| Err(role_definition_not_found(id)));
    }
    let name = match request.params.get("$filter") {
        Some(filter) => Some(filter_value(filter, "roleName")?),
        None => None,
    };
    let value: Vec<_> = ROLES
        .iter()
        .filter(|r| name.as_deref().is_none_or(|n| r.1.eq_ignore_ascii_case(n)))
        .map(|r| definition(subscription, r))
        .collect();
    json(StatusCode::OK, serde_json::json!({ "value": value }))
}

fn role_definition_not_found(id: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "RoleDefinitionDoesNotExist",
        format!("The specified role definition with ID '{id}' does not exist."),
    )
}

/// The value of the only filter clause supported: `{field} eq '{value}'`.
fn filter_value(filter: &str, field: &str) -> Result<String, ArmError> {
    let invalid = || {
        ArmError::bad_request(
            "InvalidFilterInQueryString",
            format!("The filter '{filter}' is not supported. Use \"{field} eq '...'\"."),
        )
    };
    let mut words = filter.trim().splitn(3, ' ');
    let (Some(name), Some(op), Some(value)) = (words.next(), words.next(), words.next()) else {
        return Err(invalid());
    };
    if !name.eq_ignore_ascii_case(field) || !op.eq_ignore_ascii_case("eq") {
        return Err(invalid());
    }
    let value = value.trim();
    value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .map(str::to_string)
        .ok_or_else(invalid)
}

fn resource(subscription: Uuid, assignment: &RoleAssignment) -> serde_json::Value {
    let scope = assignment.scope.id(subscription);
    serde_json::json!({
        "id": format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{}", assignment.name),
        "name": assignment.name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": assignment.role_definition_id,
            "principalId": assignment.principal_id,
            "principalType": assignment.principal_type,
            "scope": scope,
            "createdOn": assignment.created_on.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        },
    })
}

pub fn handle(
    request: &AzureRequest,
    scope: Scope,
    name: Option<&str>,
) -> Result<Response, ArmError> {
    require_api_version(&request.params)?;
    let azure = request.azure;
    let subscription = azure.settings.subscription_id;
    let mut state = azure.lock_state();
    state.require(&scope)?;
    let Some(name) = name else {
        require_method(request.method, &Method::GET)?;
        let filter = request.params.get("$filter").map(str::trim);
        let at_scope_only = filter.is_some_and(|f| f.eq_ignore_ascii_case("atScope()"));
        let principal = match filter {
            Some(f) if !at_scope_only => Some(filter_value(f, "principalId")?),
            _ => None,
        };
        let value: Vec<_> = state
            .role_assignments
            .iter()
            .filter(|a| {
                if at_scope_only {
                    a.scope.contains(&scope)
                } else {
                    a.scope.related(&scope)
                }
            })
            .filter(|a| {
                principal
                    .as_deref()
                    .is_none_or(|p| a.principal_id.to_string().eq_ignore_ascii_case(p))
            })
            .map(|a| resource(subscription, a))
            .collect();
        return json(StatusCode::OK, serde_json::json!({ "value": value }));
    };
    let name = Uuid::parse_str(name).map_err(|_| {
        ArmError::bad_request(
            "InvalidRoleAssignmentId",
            format!("The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID."),
        )
    })?;
    let same_place = |a: &RoleAssignment| a.scope.contains(&scope) && scope.contains(&a.scope);
    let position = state
        .role_assignments
        .iter()
        .position(|a| a.name == name && same_place(a));
    match *request.method {
        Method::GET => match position {
            Some(i) => json(
                StatusCode::OK,
                resource(subscription, &state.role_assignments[i]),
            ),
            None => Err(ArmError::new(
                StatusCode::NOT_FOUND,
                "RoleAssignmentNotFound",
                format!("The role assignment '{name}' is not found."),
            )),
        },
        Method::PUT => {
            let body = json_object(request.body, false)?;
            let properties = member(&body, "properties").and_then(|p| p.as_object());
            let text = |field: &str| {
                properties
                    .and_then(|p| member(p, field))
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let role_definition_id = text("roleDefinitionId");
            let role = role_definition_id
                .rsplit('/')
                .next()
                .and_then(|id| Uuid::parse_str(id).ok())
                .filter(|id| ROLES.iter().any(|r| r.0 == *id))
                .ok_or_else(|| role_definition_not_found(&role_definition_id))?;
            let principal_text = text("principalId");
            let principal_id = Uuid::parse_str(&principal_text).ok();
            let principal_type = principal_id.and_then(|id| {
                let principals = azure.identity.principals();
                if principals.users.iter().any(|u| u.object_id == id) {
                    Some("User")
                } else if state.bridge_principals.contains(&id)
                    || principals
                        .service_principals
                        .iter()
                        .any(|sp| sp.object_id == id)
                {
                    Some("ServicePrincipal")
                } else {
                    None
                }
            });
            let (Some(principal_id), Some(principal_type)) = (principal_id, principal_type) else {
                return Err(ArmError::bad_request(
                    "PrincipalNotFound",
                    format!(
                        "Principal {} does not exist in the directory {}.",
                        principal_text.replace('-', ""),
                        azure.settings.tenant_id
                    ),
                ));
            };
            let same_grant = |a: &RoleAssignment| {
                same_place(a)
                    && a.principal_id == principal_id
                    && a.role_definition_id.rsplit('/').next() == Some(role.to_string().as_str())
            };
            if let Some(i) = position {
                let existing = &state.role_assignments[i];
                if !same_grant(existing) {
                    return Err(ArmError::new(
                        StatusCode::CONFLICT,
                        "RoleAssignmentUpdateNotPermitted",
                        "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                    ));
                }
                return json(StatusCode::OK, resource(subscription, existing));
            }
            if state.role_assignments.iter().any(same_grant) {
                return Err(ArmError::new(
                    StatusCode::CONFLICT,
                    "RoleAssignmentExists",
                    "The role assignment already exists.",
                ));
            }
            let assignment = RoleAssignment {
                scope,
                name,
                role_definition_id: definition_id(subscription, role),
                principal_id,
                principal_type,
                created_on: Utc::now(),
            };
            let body = resource(subscription, &assignment);
            state.role_assignments.push(assignment);
            json(StatusCode::CREATED, body)
        }
        Method::DELETE => match position {
            Some(i) => {
                let removed = state.role_assignments.remove(i);
                json(StatusCode::OK, resource(subscription, &removed))
            }
            None => Ok(StatusCode::NO_CONTENT.into_response()),
        },
        _ => require_method(request.method, &Method::GET).map(|_| StatusCode::OK.into_response()),
    }
}
