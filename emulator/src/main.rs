//! `azs-emulator`: runs a local Azure Stack Hub usage service, with both sides of registration, and prints
//! one JSON ready line.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use azs_emulator::config::{EmulatorConfig, Ports, TlsMode};
use azs_emulator::faults::{FaultPlan, FaultRule};
use azs_emulator::identity::IdentityMode;
use azs_emulator::pep::StampVersion;
use chrono::NaiveDate;
use clap::{Parser, ValueEnum};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum IdentityArg {
    Aad,
    Adfs,
}

/// A local Azure Stack Hub usage service: admin and tenant Resource Manager endpoints, identity provider,
/// provider and tenant usage APIs over a deterministic data set; and for registration, an emulated Azure
/// (Resource Manager with Microsoft.AzureStack, locks and role assignments; its own Azure AD) and a model of
/// the stamp's privileged endpoint (PEP) with the stamp's activation.
///
/// On start it prints one JSON line ({"event":"ready",...}) with every base URL, the CA to trust, the tenant,
/// the audiences and the credentials it accepts; its "azure" and "pep" blocks describe the registration
/// side. SIGINT or SIGTERM stops it cleanly.
#[derive(Debug, Parser)]
#[command(version, max_term_width = 110)]
struct Args {
    /// Address the listeners bind to.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Host name advertised in URLs (and added to the generated certificate); default: the bind address.
    #[arg(long)]
    public_host: Option<String>,
    /// Port of the admin Resource Manager endpoint (0: a free port).
    #[arg(long, default_value_t = 0)]
    admin_port: u16,
    /// Port of the tenant Resource Manager endpoint (0: a free port).
    #[arg(long, default_value_t = 0)]
    tenant_port: u16,
    /// Port of the identity provider (0: a free port).
    #[arg(long, default_value_t = 0)]
    identity_port: u16,
    /// Port of the emulated Azure Resource Manager (0: a free port).
    #[arg(long, default_value_t = 0)]
    azure_arm_port: u16,
    /// Port of the emulated Azure AD (0: a free port).
    #[arg(long, default_value_t = 0)]
    azure_login_port: u16,
    /// Port of the privileged endpoint model (0: a free port).
    #[arg(long, default_value_t = 0)]
    pep_port: u16,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    http: bool,
    /// PEM certificate chain to serve instead of a generated one (needs --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Directory for generated files (CA, certificate service principal); default: a new folder under the temp dir.
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Identity system of the stamp: Azure AD or AD FS.
    #[arg(long, value_enum, default_value = "aad")]
    identity: IdentityArg,
    /// Directory tenant id; default: derived from --seed.
    #[arg(long)]
    tenant_id: Option<Uuid>,
    /// Directory domain (owners' UPNs, audiences).
    #[arg(long, default_value = "azurestack.onmicrosoft.com")]
    tenant_domain: String,
    /// Region name of the stamp.
    #[arg(long, default_value = "local")]
    region: String,
    /// The operator's Default Provider Subscription id; default: derived from --seed.
    #[arg(long)]
    provider_subscription_id: Option<Uuid>,
    /// JSON file of service principals and users (see the README); default: generated ones, printed in the ready line.
    #[arg(long)]
    principals: Option<PathBuf>,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    token_lifetime: u64,
    /// Seconds before a device code is approved automatically.
    #[arg(long, default_value_t = 5.0)]
    device_code_delay: f64,
    /// Build the PEP reports (gates New-RegistrationToken's parameters and Set-RegistrationKeyPair).
    #[arg(long, default_value = "1.2408.0.19")]
    stamp_version: StampVersion,
    /// Number of scale unit nodes the PEP reports (and fingerprints in registration tokens).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=16))]
    nodes: u32,
    /// Seed of the data set, the cloud and deployment ids and the Azure side (same seed and start date: the
    /// same bytes).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of tenant subscriptions.
    #[arg(long, default_value_t = 20)]
    subscriptions: u32,
    /// Resources per tenant subscription.
    #[arg(long, default_value_t = 10)]
    resources_per_subscription: u32,
    /// Days of usage.
    #[arg(long, default_value_t = 14)]
    days: u32,
    /// First usage day, YYYY-MM-DD (UTC); default: --days days before today.
    #[arg(long)]
    start_date: Option<NaiveDate>,
    /// Rows per usage page.
    #[arg(long, default_value_t = 1000)]
    page_size: usize,
    /// A fault rule, e.g. 429:every=3,retry-after-ms=1000 or 503:rate=0.1 or drop:every=7 (repeatable);
    /// kinds 429, 503, 504, drop, truncate, latency, repeat (a page's first record twice), contradict (the
    /// same with another quantity); target=arm|admin|tenant|identity|azure|pep|all picks the listeners
    /// (default arm).
    #[arg(long = "fault", value_name = "SPEC")]
    faults: Vec<String>,
    /// Seed of rate-based faults.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
    /// Also write the ready line to this file.
    #[arg(long)]
    ready_file: Option<PathBuf>,
    /// Worker threads of the server runtime (1 for single-core measurements).
    #[arg(long)]
    worker_threads: Option<usize>,
    /// Log filter for stderr, e.g. info or azs_emulator=debug (RUST_LOG also works).
    #[arg(long, default_value = "warn")]
    log: String,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| args.log.clone());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&filter).context("--log")?)
        .init();
    let config = config_from(&args)?;
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.worker_threads {
        if threads == 0 {
            bail!("--worker-threads must be at least 1");
        }
        runtime.worker_threads(threads);
    }
    runtime
        .enable_all()
        .build()?
        .block_on(run(config, args.ready_file))
}

fn config_from(args: &Args) -> anyhow::Result<EmulatorConfig> {
    let mut config = EmulatorConfig::with_seed(args.seed);
    config.bind = args.bind;
    config.public_host = args.public_host.clone();
    config.ports = Ports {
        admin_arm: args.admin_port,
        tenant_arm: args.tenant_port,
        identity: args.identity_port,
        azure_arm: args.azure_arm_port,
        azure_login: args.azure_login_port,
        pep: args.pep_port,
    };
    config.stamp.version = args.stamp_version;
    config.stamp.number_of_nodes = args.nodes;
    config.tls = match (&args.tls_cert, &args.tls_key, args.http) {
        (_, _, true) => TlsMode::Plain,
        (Some(cert), Some(key), _) => TlsMode::Files {
            cert: cert.clone(),
            key: key.clone(),
        },
        _ => TlsMode::Generate,
    };
    if let Some(dir) = &args.state_dir {
        config.state_dir = dir.clone();
    }
    config.identity_mode = match args.identity {
        IdentityArg::Aad => IdentityMode::Aad,
        IdentityArg::Adfs => IdentityMode::Adfs,
    };
    if let Some(tenant) = args.tenant_id {
        config.tenant_id = tenant;
    }
    config.tenant_domain = args.tenant_domain.clone();
    config.region = args.region.clone();
    if let Some(sub) = args.provider_subscription_id {
        config.default_provider_subscription_id = sub;
    }
    config.principals_file = args.principals.clone();
    config.access_token_lifetime = Duration::from_secs(args.token_lifetime);
    if !(args.device_code_delay.is_finite() && args.device_code_delay >= 0.0) {
        bail!("--device-code-delay must be a number of seconds, 0 or more");
    }
    config.device_code_approval_delay = Duration::from_secs_f64(args.device_code_delay);
    config.subscriptions = args.subscriptions;
    config.resources_per_subscription = args.resources_per_subscription;
    config.days = args.days;
    config.start_date = args.start_date;
    if args.page_size == 0 {
        bail!("--page-size must be at least 1");
    }
    config.page_size = args.page_size;
    let rules = args
        .faults
        .iter()
        .map(|spec| {
            spec.parse::<FaultRule>()
                .map_err(|e| anyhow::anyhow!("--fault {spec}: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    config.faults = FaultPlan {
        seed: args.fault_seed,
        rules,
    };
    Ok(config)
}

async fn run(config: EmulatorConfig, ready_file: Option<PathBuf>) -> anyhow::Result<()> {
    let emulator = azs_emulator::start(config).await?;
    // Listening before the ready line goes out: a client may send SIGTERM as soon as it has read it, and
    // a signal that arrives before the handler takes the default action, which skips the clean shutdown.
    let stop = StopSignals::listen()?;
    let line = serde_json::to_string(emulator.ready_document())?;
    if let Some(path) = ready_file {
        std::fs::write(&path, format!("{line}\n"))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}")?;
        stdout.flush()?;
    }
    stop.wait().await?;
    emulator.shutdown().await;
    Ok(())
}

/// SIGINT or SIGTERM, listened for from `listen` on.
#[cfg(unix)]
struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignals {
    fn listen() -> anyhow::Result<StopSignals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(StopSignals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn wait(mut self) -> anyhow::Result<()> {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        Ok(())
    }
}

/// Ctrl+C, the one stop signal elsewhere.
#[cfg(not(unix))]
struct StopSignals;

#[cfg(not(unix))]
impl StopSignals {
    fn listen() -> anyhow::Result<StopSignals> {
        Ok(StopSignals)
    }

    async fn wait(self) -> anyhow::Result<()> {
        tokio::signal::ctrl_c().await?;
        Ok(())
    }
}
