//! Service principals and users the identity provider accepts, from a file or generated defaults.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use uuid::Uuid;

use super::keys;

/// What a principal may do on the stamp's ARM endpoints.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
pub struct Access {
    /// Reader (or more) on the Default Provider Subscription: may call the admin ARM endpoint.
    #[serde(default)]
    pub admin: bool,
    /// Tenant subscriptions the principal may read through the tenant ARM endpoint; "*" means all.
    #[serde(default)]
    pub subscriptions: Vec<String>,
}

impl Access {
    pub fn can_read_subscription(&self, subscription_id: &str) -> bool {
        self.subscriptions
            .iter()
            .any(|s| s == "*" || s.eq_ignore_ascii_case(subscription_id))
    }
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct ServicePrincipal {
    pub name: String,
    pub client_id: Uuid,
    #[serde(default = "Uuid::new_v4")]
    pub object_id: Uuid,
    /// Accepted client secret, if any.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// PEM of the accepted client certificate (for client assertions), if any.
    #[serde(default)]
    pub certificate_pem: Option<String>,
    #[serde(default)]
    pub access: Access,
}

/// Never prints the client secret (nor the certificate, which is long and not useful in logs).
impl fmt::Debug for ServicePrincipal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServicePrincipal")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("object_id", &self.object_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| Redacted),
            )
            .field(
                "certificate_pem",
                &self.certificate_pem.as_ref().map(|_| Omitted),
            )
            .field("access", &self.access)
            .finish()
    }
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct User {
    pub upn: String,
    #[serde(default = "Uuid::new_v4")]
    pub object_id: Uuid,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub access: Access,
}

/// Never prints the password.
impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("upn", &self.upn)
            .field("object_id", &self.object_id)
            .field("password", &self.password.as_ref().map(|_| Redacted))
            .field("access", &self.access)
            .finish()
    }
}

struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

struct Omitted;

impl fmt::Debug for Omitted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<certificate>")
    }
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Principals {
    #[serde(default)]
    pub service_principals: Vec<ServicePrincipal>,
    #[serde(default)]
    pub users: Vec<User>,
}

/// The default principals plus the key material of the certificate principal, so that the caller can write
/// the certificate and its private key to files for clients to use.
#[derive(Clone)]
pub struct GeneratedPrincipals {
    pub principals: Principals,
    /// PEM of the `operator-certificate` service principal's self-signed certificate.
    pub certificate_pem: String,
    /// PEM (PKCS#8, "PRIVATE KEY") of that certificate's RSA private key.
    pub private_key_pem: String,
}

/// Never prints the private key.
impl fmt::Debug for GeneratedPrincipals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedPrincipals")
            .field("principals", &self.principals)
            .field("certificate_pem", &Omitted)
            .field("private_key_pem", &Redacted)
            .finish()
    }
}

/// Name of the generated administrator service principal (client secret).
pub const DEFAULT_OPERATOR_NAME: &str = "operator";
/// Name of the generated tenant service principal (client secret, first tenant subscription only).
pub const DEFAULT_TENANT_NAME: &str = "tenant";
/// Name of the generated administrator service principal that authenticates with a certificate.
pub const DEFAULT_OPERATOR_CERTIFICATE_NAME: &str = "operator-certificate";

impl Principals {
    /// Reads a principals file:
    ///
    /// ```json
    /// { "service_principals": [ { "name": "..", "client_id": "<guid>", "client_secret": "..",
    ///                             "certificate_pem": ".." | "certificate_path": "cert.pem",
    ///                             "object_id": "<guid>", "access": { "admin": true, "subscriptions": ["*"] } } ],
    ///   "users": [ { "upn": "..", "password": "..", "object_id": "<guid>", "access": { .. } } ] }
    /// ```
    ///
    /// A relative `certificate_path` is relative to the file. Unknown fields are refused (to catch typos).
    pub fn load(path: impl AsRef<Path>) -> anyhow::Result<Principals> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the principals file {}", path.display()))?;
        let file: PrincipalsFile = serde_json::from_str(&text)
            .with_context(|| format!("invalid principals file {}", path.display()))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut principals = Principals::default();
        for (i, sp) in file.service_principals.into_iter().enumerate() {
            let what = || {
                format!(
                    "principals file {}: service_principals[{i}] ('{}')",
                    path.display(),
                    sp.name
                )
            };
            let (certificate_pem, field) = match (sp.certificate_pem, sp.certificate_path) {
                (Some(_), Some(_)) => {
                    bail!(
                        "{}: give either 'certificate_pem' or 'certificate_path', not both",
                        what()
                    )
                }
                (Some(pem), None) => (Some(pem), "certificate_pem"),
                (None, Some(p)) => {
                    let full: PathBuf = if p.is_absolute() {
                        p.clone()
                    } else {
                        base.join(&p)
                    };
                    let pem = std::fs::read_to_string(&full).with_context(|| {
                        format!(
                            "{}: 'certificate_path': cannot read {}",
                            what(),
                            full.display()
                        )
                    })?;
                    (Some(pem), "certificate_path")
                }
                (None, None) => (None, ""),
            };
            if let Some(pem) = &certificate_pem {
                keys::ClientCertificate::from_pem(pem).with_context(|| {
                    format!("{}: '{field}' is not a usable RSA certificate", what())
                })?;
            }
            if sp.name.trim().is_empty() {
                bail!("{}: 'name' must not be empty", what());
            }
            if matches!(&sp.client_secret, Some(s) if s.is_empty()) {
                bail!(
                    "{}: 'client_secret' must not be empty (omit it instead)",
                    what()
                );
            }
            principals.service_principals.push(ServicePrincipal {
                name: sp.name,
                client_id: sp.client_id,
                object_id: sp.object_id.unwrap_or_else(Uuid::new_v4),
                client_secret: sp.client_secret,
                certificate_pem,
                access: sp.access,
            });
        }
        for (i, user) in file.users.into_iter().enumerate() {
            if !user.upn.contains('@') {
                bail!(
                    "principals file {}: users[{i}]: 'upn' must look like user@domain, got '{}'",
                    path.display(),
                    user.upn
                );
            }
            principals.users.push(User {
                upn: user.upn,
                object_id: user.object_id.unwrap_or_else(Uuid::new_v4),
                password: user.password,
                access: user.access,
            });
        }
        principals
            .check_unique()
            .with_context(|| format!("principals file {}", path.display()))?;
        Ok(principals)
    }

    /// The default principals: `operator` (admin, all subscriptions, client secret), `tenant` (the first tenant
    /// subscription only, client secret), `operator-certificate` (admin, all subscriptions, a generated
    /// certificate), and the users `operator@{tenant_domain}` (admin) and `tenant@{tenant_domain}` (the
    /// first tenant subscription), all with random credentials.
    pub fn defaults(first_tenant_subscription: Uuid, tenant_domain: &str) -> GeneratedPrincipals {
        let everything = Access {
            admin: true,
            subscriptions: vec!["*".to_string()],
        };
        let first_only = Access {
            admin: false,
            subscriptions: vec![first_tenant_subscription.to_string()],
        };
        let certificate = keys::generate_rsa_certificate("azs-emulator operator-certificate")
            .expect("generating an RSA key and a self-signed certificate");
        let principals = Principals {
            service_principals: vec![
                ServicePrincipal {
                    name: DEFAULT_OPERATOR_NAME.to_string(),
                    client_id: Uuid::new_v4(),
                    object_id: Uuid::new_v4(),
                    client_secret: Some(random_secret()),
                    certificate_pem: None,
                    access: everything.clone(),
                },
                ServicePrincipal {
                    name: DEFAULT_TENANT_NAME.to_string(),
                    client_id: Uuid::new_v4(),
                    object_id: Uuid::new_v4(),
                    client_secret: Some(random_secret()),
                    certificate_pem: None,
                    access: first_only.clone(),
                },
                ServicePrincipal {
                    name: DEFAULT_OPERATOR_CERTIFICATE_NAME.to_string(),
                    client_id: Uuid::new_v4(),
                    object_id: Uuid::new_v4(),
                    client_secret: None,
                    certificate_pem: Some(certificate.certificate_pem.clone()),
                    access: everything.clone(),
                },
            ],
            users: vec![
                User {
                    upn: format!("operator@{tenant_domain}"),
                    object_id: Uuid::new_v4(),
                    password: Some(random_secret()),
                    access: everything,
                },
                User {
                    upn: format!("tenant@{tenant_domain}"),
                    object_id: Uuid::new_v4(),
                    password: Some(random_secret()),
                    access: first_only,
                },
            ],
        };
        GeneratedPrincipals {
            principals,
            certificate_pem: certificate.certificate_pem,
            private_key_pem: certificate.private_key_pem,
        }
    }

    /// The service principal with this application (client) id.
    pub fn service_principal(&self, client_id: Uuid) -> Option<&ServicePrincipal> {
        self.service_principals
            .iter()
            .find(|sp| sp.client_id == client_id)
    }

    /// The service principal with this name (e.g. "operator").
    pub fn service_principal_named(&self, name: &str) -> Option<&ServicePrincipal> {
        self.service_principals.iter().find(|sp| sp.name == name)
    }

    /// The user with this UPN (compared case-insensitively).
    pub fn user(&self, upn: &str) -> Option<&User> {
        self.users.iter().find(|u| u.upn.eq_ignore_ascii_case(upn))
    }

    fn check_unique(&self) -> anyhow::Result<()> {
        let mut client_ids = HashSet::new();
        let mut object_ids = HashSet::new();
        for sp in &self.service_principals {
            if !client_ids.insert(sp.client_id) {
                bail!(
                    "client_id {} is used by more than one service principal",
                    sp.client_id
                );
            }
            if !object_ids.insert(sp.object_id) {
                bail!(
                    "object_id {} is used by more than one principal",
                    sp.object_id
                );
            }
        }
        let mut upns = HashSet::new();
        for user in &self.users {
            if !upns.insert(user.upn.to_ascii_lowercase()) {
                bail!("upn '{}' is used by more than one user", user.upn);
            }
            if !object_ids.insert(user.object_id) {
                bail!(
                    "object_id {} is used by more than one principal",
                    user.object_id
                );
            }
        }
        Ok(())
    }
}

/// A principals file entry: like [`ServicePrincipal`] plus `certificate_path`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PrincipalsFile {
    #[serde(default)]
    service_principals: Vec<ServicePrincipalEntry>,
    #[serde(default)]
    users: Vec<UserEntry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ServicePrincipalEntry {
    name: String,
    client_id: Uuid,
    #[serde(default)]
    object_id: Option<Uuid>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    certificate_pem: Option<String>,
    #[serde(default)]
    certificate_path: Option<PathBuf>,
    #[serde(default)]
    access: Access,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    upn: String,
    #[serde(default)]
    object_id: Option<Uuid>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    access: Access,
}

/// 40 random URL-safe characters (240 bits from the OS random number generator, through UUID v4), never
/// starting with '-' or '_' so that command lines do not take them for options.
pub fn random_secret() -> String {
    loop {
        let s = random_url_safe(30);
        if s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return s;
        }
    }
}

/// `bytes` random bytes, base64url-encoded without padding.
pub(crate) fn random_url_safe(bytes: usize) -> String {
    use base64::Engine as _;
    let mut buf = Vec::with_capacity(bytes + 14);
    while buf.len() < bytes {
        let u = Uuid::new_v4();
        // Bytes 6 and 8 carry the version and variant bits; the other 14 are uniformly random.
        buf.extend(
            u.as_bytes()
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != 6 && *i != 8)
                .map(|(_, b)| *b),
        );
    }
    buf.truncate(bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&buf)
}
