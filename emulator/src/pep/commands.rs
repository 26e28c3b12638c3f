//! The command table, and the commands that describe the stamp and connect it to the Azure directory:
//! `Get-AzureStackStampInformation`, `New-AzureBridgeServicePrincipal`, `Set-RegistrationKeyPair`.

use serde_json::Value;
use uuid::Uuid;

use super::params::{Bound, Param, bind};
use super::protocol::PepError;
use super::{BridgeServicePrincipal, Pep};
use crate::identity::IdentityMode;
use crate::stamp_version::StampVersion;

type Handler = fn(&Pep, &Bound) -> Result<Value, PepError>;

/// The common parameters of the long-running commands.
const TIMEOUT: Param = Param::number("TimeoutInSeconds");
const AS_JOB: Param = Param::switch("AsJob");

struct Command {
    name: &'static str,
    params: &'static [Param],
    run: Handler,
}

const COMMANDS: &[Command] = &[
    Command {
        name: "Get-AzureStackStampInformation",
        params: &[AS_JOB],
        run: |pep, _| Ok(pep.stamp_information()),
    },
    Command {
        name: "New-AzureBridgeServicePrincipal",
        params: &[
            Param::text("RefreshToken").mandatory(),
            Param::text("AzureEnvironment").mandatory(),
            Param::text("TenantId").mandatory(),
            TIMEOUT,
            AS_JOB,
        ],
        run: Pep::new_bridge_service_principal,
    },
    Command {
        name: "New-RegistrationToken",
        params: super::registration_token::PARAMS,
        run: Pep::new_registration_token,
    },
    Command {
        name: "New-AzureStackActivation",
        params: &[Param::text("ActivationKey").mandatory(), TIMEOUT, AS_JOB],
        run: Pep::new_activation,
    },
    Command {
        name: "Remove-AzureStackActivation",
        params: &[TIMEOUT, AS_JOB],
        run: |pep, _| {
            pep.remove_activation();
            Ok(Value::Null)
        },
    },
    Command {
        name: "Set-RegistrationKeyPair",
        params: &[TIMEOUT, AS_JOB],
        run: Pep::set_registration_key_pair,
    },
];

impl Pep {
    /// Runs a command by name (any case) with the caller's parameters.
    pub(super) fn run(
        &self,
        name: &str,
        parameters: serde_json::Map<String, Value>,
    ) -> Result<Value, PepError> {
        let version = self.settings.stamp.version;
        let command = COMMANDS
            .iter()
            .filter(|c| self.has_command(c.name))
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| PepError::command_not_found(name))?;
        let bound = bind(command.params, parameters, version)?;
        (command.run)(self, &bound)
    }

    /// Whether this build's PEP has the command: `Set-RegistrationKeyPair` came after 1.2209.0.23.
    fn has_command(&self, name: &str) -> bool {
        name != "Set-RegistrationKeyPair" || self.settings.stamp.version > StampVersion::KEY_PAIR
    }

    fn stamp_information(&self) -> Value {
        let s = &self.settings;
        serde_json::json!({
            "StampVersion": s.stamp.version,
            "CloudID": s.stamp.cloud_id,
            "DeploymentID": s.stamp.deployment_id,
            "AADTenantID": s.directory_tenant_id,
            "IdentitySystem": match s.identity_system {
                IdentityMode::Aad => "AzureAD",
                IdentityMode::Adfs => "ADFS",
            },
            "AdminExternalEndpoints": { "AdminResourceManager": s.admin_arm },
            "TenantExternalEndpoints": { "TenantResourceManager": s.tenant_arm },
            "NumberOfNodes": s.stamp.number_of_nodes,
            "ExternalDomainSuffix": "azurestack.external",
            "RegionName": s.region,
        })
    }

    /// Redeems the operator's refresh token in the Azure directory and creates (or finds) the stamp's
    /// bridge application and service principal there.
    fn new_bridge_service_principal(&self, args: &Bound) -> Result<Value, PepError> {
        let azure = &self.azure;
        let tenant = args.text("TenantId").unwrap_or_default();
        let directory = azure.settings();
        if !(tenant.eq_ignore_ascii_case(&directory.tenant_id.to_string())
            || tenant.eq_ignore_ascii_case(&directory.tenant_domain))
        {
            return Err(PepError::runtime(format!(
                "AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are \
                 signing into the correct cloud."
            )));
        }
        let refresh_token = args.text("RefreshToken").unwrap_or_default();
        let user = azure
            .identity()
            .refresh_token_user(refresh_token)
            .map_err(PepError::runtime)?;
        tracing::info!(user = %user.upn, "creating the Azure bridge service principal");
        // One bridge application per cloud: running the command again finds the same one.
        let cloud = self.settings.stamp.cloud_id;
        let bridge = BridgeServicePrincipal {
            object_id: Uuid::new_v5(&cloud, b"azure-bridge-service-principal"),
            application_id: Uuid::new_v5(&cloud, b"azure-bridge-application"),
        };
        azure.add_bridge_principal(bridge.object_id);
        self.lock_state().bridge = Some(bridge);
        Ok(serde_json::json!({
            "ObjectId": bridge.object_id,
            "ApplicationId": bridge.application_id,
            "DisplayName": format!("AzureStack-Bridge-{cloud}"),
        }))
    }

    fn set_registration_key_pair(&self, _: &Bound) -> Result<Value, PepError> {
        if self.settings.stamp.number_of_nodes <= 1 {
            return Err(PepError::runtime(
                "Set-RegistrationKeyPair is not supported on a single-node stamp.",
            ));
        }
        // The key pair lives in the stamp's secret store; nothing else in the model reads it.
        Ok(Value::Null)
    }
}
