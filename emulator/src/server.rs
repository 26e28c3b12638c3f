//! Starting and stopping a run: bind the listeners (the stamp's admin and tenant ARM and identity provider,
//! the emulated Azure's ARM and login, the privileged endpoint), build the shared state, describe the run in
//! the ready document, serve until shut down.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum_server::Handle;

use crate::arm::{self, ArmContext, Endpoint};
use crate::azure::{Azure, AzureSettings};
use crate::config::{EmulatorConfig, TlsMode};
use crate::control;
use crate::dataset::{Dataset, DatasetConfig};
use crate::endpoints::{Audiences, BaseUrls};
use crate::faults::{self, FaultController, FaultLayerState, Listener};
use crate::identity::principals::random_secret;
use crate::identity::{Identity, IdentitySettings, Principals};
use crate::pep::{Pep, PepSettings};
use crate::ready::{CertificateFiles, ReadyDocument, Run};
use crate::state::AppState;

/// A started emulator. Dropping it does not stop the servers; call `shutdown`.
pub struct RunningEmulator {
    state: Arc<AppState>,
    ready_json: serde_json::Value,
    handle: Handle<SocketAddr>,
    servers: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl RunningEmulator {
    /// The ready document printed at start, as the JSON clients index.
    pub fn ready(&self) -> &serde_json::Value {
        &self.ready_json
    }

    /// The ready document printed at start.
    pub fn ready_document(&self) -> &ReadyDocument {
        &self.state.ready
    }

    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Stops accepting connections, lets requests in flight finish (up to five seconds), and waits.
    pub async fn shutdown(self) {
        self.handle.graceful_shutdown(Some(Duration::from_secs(5)));
        for server in self.servers {
            match server.await {
                Ok(Err(e)) => tracing::warn!("listener stopped with an error: {e}"),
                Err(e) => tracing::warn!("listener task failed: {e}"),
                Ok(Ok(())) => {}
            }
        }
    }
}

pub async fn start(config: EmulatorConfig) -> anyhow::Result<RunningEmulator> {
    let bind = |port: u16, what: &str| {
        TcpListener::bind(SocketAddr::new(config.bind, port))
            .with_context(|| format!("binding the {what} listener to {}:{port}", config.bind))
    };
    let admin_listener = bind(config.ports.admin_arm, "admin ARM")?;
    let tenant_listener = bind(config.ports.tenant_arm, "tenant ARM")?;
    let identity_listener = bind(config.ports.identity, "identity")?;
    let azure_arm_listener = bind(config.ports.azure_arm, "Azure ARM")?;
    let azure_login_listener = bind(config.ports.azure_login, "Azure login")?;
    let pep_listener = bind(config.ports.pep, "privileged endpoint")?;

    let host = config
        .public_host
        .clone()
        .unwrap_or_else(|| match config.bind {
            IpAddr::V6(ip) if ip.is_unspecified() => "::1".to_string(),
            IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
            ip => ip.to_string(),
        });
    let url_host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let scheme = if matches!(config.tls, TlsMode::Plain) {
        "http"
    } else {
        "https"
    };
    let url = |listener: &TcpListener| -> anyhow::Result<String> {
        Ok(format!(
            "{scheme}://{url_host}:{}/",
            listener.local_addr()?.port()
        ))
    };
    let urls = BaseUrls {
        admin_arm: url(&admin_listener)?,
        tenant_arm: url(&tenant_listener)?,
        identity: url(&identity_listener)?,
        azure_arm: url(&azure_arm_listener)?,
        azure_login: url(&azure_login_listener)?,
        pep: url(&pep_listener)?,
    };

    let mut config = config;
    std::fs::create_dir_all(&config.state_dir).with_context(|| {
        format!(
            "creating the state directory {}",
            config.state_dir.display()
        )
    })?;
    // The ready document's file paths are read by clients started in other directories: never relative.
    config.state_dir = std::fs::canonicalize(&config.state_dir).with_context(|| {
        format!(
            "resolving the state directory {}",
            config.state_dir.display()
        )
    })?;
    let tls = match &config.tls {
        TlsMode::Generate => Some(crate::tls::generate(
            &config.state_dir,
            std::slice::from_ref(&host),
        )?),
        TlsMode::Files { cert, key } => Some(crate::tls::load(cert, key)?),
        TlsMode::Plain => None,
    };

    let start_date = config.effective_start_date();
    let dataset = Arc::new(Dataset::new(DatasetConfig {
        seed: config.seed,
        subscriptions: config.subscriptions,
        resources_per_subscription: config.resources_per_subscription,
        days: config.days,
        start: start_date,
        location: config.region.clone(),
        directory_tenant_id: config.tenant_id,
        directory_domain: config.tenant_domain.clone(),
        default_provider_subscription_id: config.default_provider_subscription_id,
    }));
    let first_tenant_subscription = dataset.subscriptions().first().map(|s| s.id).context(
        "the data set needs at least one tenant subscription (--subscriptions 1 or more)",
    )?;

    let (principals, certificate_files) = match &config.principals_file {
        Some(path) => (Principals::load(path)?, None),
        None => {
            let generated = Principals::defaults(first_tenant_subscription, &config.tenant_domain);
            let files = write_certificate(
                &config.state_dir,
                &generated.certificate_pem,
                &generated.private_key_pem,
            )?;
            (generated.principals, Some(files))
        }
    };

    let audiences = Audiences::of(&config);
    let identity = Arc::new(Identity::new(
        IdentitySettings {
            mode: config.identity_mode,
            tenant_id: config.tenant_id,
            tenant_domain: config.tenant_domain.clone(),
            base_url: urls.identity.clone(),
            audiences: vec![audiences.admin.clone(), audiences.tenant.clone()],
            access_token_lifetime: config.access_token_lifetime,
            device_code_approval_delay: config.device_code_approval_delay,
        },
        principals,
    )?);

    let azure = Arc::new(Azure::new(AzureSettings {
        tenant_id: config.azure.tenant_id,
        tenant_domain: config.azure.tenant_domain.clone(),
        subscription_id: config.azure.subscription_id,
        arm_url: urls.azure_arm.clone(),
        login_url: urls.azure_login.clone(),
        audiences: vec![
            "https://management.core.windows.net/".to_string(),
            "https://management.azure.com/".to_string(),
            urls.azure_arm.clone(),
        ],
        stamp_issuer: crate::pep::issuer(&config.stamp),
        access_token_lifetime: config.access_token_lifetime,
        device_code_approval_delay: config.device_code_approval_delay,
    })?);
    let pep = Arc::new(Pep::new(
        PepSettings {
            stamp: config.stamp.clone(),
            password: random_secret(),
            directory_tenant_id: config.tenant_id,
            identity_system: config.identity_mode,
            admin_arm: urls.admin_arm.clone(),
            tenant_arm: urls.tenant_arm.clone(),
            region: config.region.clone(),
        },
        azure.clone(),
    ));

    let ready = ReadyDocument::new(&Run {
        config: &config,
        urls: &urls,
        audiences: &audiences,
        identity: &identity,
        dataset: &dataset,
        azure: &azure,
        pep: &pep,
        ca_pem: tls.as_ref().and_then(|t| t.ca_pem_path.as_deref()),
        certificate_files: certificate_files.as_ref(),
    });
    // Rendered once: callers index the JSON, and the document does not change during a run.
    let ready_json = serde_json::to_value(&ready).context("rendering the ready document")?;
    let faults = Arc::new(FaultController::new(config.faults.clone()));
    let state = Arc::new(AppState {
        config,
        urls,
        audiences,
        identity: identity.clone(),
        dataset,
        faults: faults.clone(),
        azure: azure.clone(),
        pep: pep.clone(),
        ready,
    });

    // Every listener answers the control routes and goes through the fault layer.
    let finish = |router: axum::Router, listener: Listener| {
        router
            .merge(control::router(state.clone()))
            .layer(axum::middleware::from_fn_with_state(
                FaultLayerState {
                    controller: faults.clone(),
                    listener,
                },
                faults::apply,
            ))
    };
    let arm_router = |endpoint: Endpoint, listener: Listener| {
        let router = axum::Router::new()
            .fallback(arm::dispatch)
            .with_state(ArmContext {
                app: state.clone(),
                endpoint,
            });
        finish(router, listener)
    };

    let handle = Handle::new();
    let mut servers = Vec::new();
    for (listener, router) in [
        (admin_listener, arm_router(Endpoint::Admin, Listener::Admin)),
        (
            tenant_listener,
            arm_router(Endpoint::Tenant, Listener::Tenant),
        ),
        (
            identity_listener,
            finish(identity.clone().router(), Listener::Identity),
        ),
        (
            azure_arm_listener,
            finish(azure.clone().router(), Listener::AzureArm),
        ),
        (
            azure_login_listener,
            finish(azure.identity().clone().router(), Listener::AzureLogin),
        ),
        (pep_listener, finish(pep.clone().router(), Listener::Pep)),
    ] {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        // TCP_NODELAY: without it a TLS response's last partial record waits for the client's delayed ACK,
        // which throttled 850 KB usage pages to a tenth of the speed the handler can produce them.
        let nodelay = axum_server::accept::NoDelayAcceptor::new();
        let server = match &tls {
            Some(tls) => {
                let config =
                    axum_server::tls_rustls::RustlsConfig::from_config(tls.server_config.clone());
                let acceptor =
                    axum_server::tls_rustls::RustlsAcceptor::new(config).acceptor(nodelay);
                let server = axum_server::from_tcp(listener)?
                    .acceptor(acceptor)
                    .handle(handle.clone());
                tokio::spawn(server.serve(service))
            }
            None => {
                let server = axum_server::from_tcp(listener)?
                    .acceptor(nodelay)
                    .handle(handle.clone());
                tokio::spawn(server.serve(service))
            }
        };
        servers.push(server);
    }
    Ok(RunningEmulator {
        state,
        ready_json,
        handle,
        servers,
    })
}

fn write_certificate(
    dir: &Path,
    certificate_pem: &str,
    private_key_pem: &str,
) -> anyhow::Result<CertificateFiles> {
    let files = CertificateFiles {
        certificate: dir.join("operator-certificate.pem"),
        private_key: dir.join("operator-certificate.key"),
    };
    std::fs::write(&files.certificate, certificate_pem)
        .with_context(|| format!("writing {}", files.certificate.display()))?;
    write_private(&files.private_key, private_key_pem.as_bytes())?;
    Ok(files)
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}
