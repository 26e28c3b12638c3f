//! TLS material for the listeners: a CA and server certificate generated at start (the CA written as PEM so
//! clients can trust it), or a certificate and key the operator supplies.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, anyhow};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};

/// Certificate chain and key the listeners present, plus the CA file clients should trust (when generated).
pub struct TlsMaterial {
    pub server_config: Arc<rustls::ServerConfig>,
    /// PEM of the CA that issued the server certificate; None when the operator supplied the certificate.
    pub ca_pem_path: Option<PathBuf>,
}

/// Generates a CA (written to `state_dir/ca.pem`) and a server certificate for `hosts` (plus localhost and the
/// loopback addresses).
pub fn generate(state_dir: &Path, hosts: &[String]) -> anyhow::Result<TlsMaterial> {
    let ca_key = KeyPair::generate().context("generating the CA key")?;
    let mut ca_params = CertificateParams::default();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "azs-emulator local CA");
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "azs-billing");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .context("signing the CA certificate")?;
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);

    let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    for host in hosts {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(host)) {
            names.push(host.clone());
        }
    }
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, names[0].clone());
    params.subject_alt_names = names
        .iter()
        .map(|name| match name.parse::<IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => name
                .clone()
                .try_into()
                .map(SanType::DnsName)
                .map_err(|e| anyhow!("host name {name:?}: {e}")),
        })
        .collect::<anyhow::Result<_>>()?;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let server_key = KeyPair::generate().context("generating the server key")?;
    let server_cert = params
        .signed_by(&server_key, &issuer)
        .context("signing the server certificate")?;

    std::fs::create_dir_all(state_dir)
        .with_context(|| format!("creating {}", state_dir.display()))?;
    let ca_pem_path = state_dir.join("ca.pem");
    std::fs::write(&ca_pem_path, ca_cert.pem())
        .with_context(|| format!("writing {}", ca_pem_path.display()))?;

    let chain = vec![server_cert.der().clone(), ca_cert.der().clone()];
    let key = rustls::pki_types::PrivateKeyDer::try_from(server_key.serialize_der())
        .map_err(|e| anyhow!("server key: {e}"))?;
    Ok(TlsMaterial {
        server_config: server_config(chain, key)?,
        ca_pem_path: Some(ca_pem_path),
    })
}

/// Loads an operator-supplied certificate chain and private key (PEM files).
pub fn load(cert_path: &Path, key_path: &Path) -> anyhow::Result<TlsMaterial> {
    use rustls::pki_types::pem::PemObject;
    let chain = rustls::pki_types::CertificateDer::pem_file_iter(cert_path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow!("reading the certificate chain {}: {e}", cert_path.display()))?;
    if chain.is_empty() {
        return Err(anyhow!("{} holds no PEM certificate", cert_path.display()));
    }
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| anyhow!("reading the private key {}: {e}", key_path.display()))?;
    Ok(TlsMaterial {
        server_config: server_config(chain, key)?,
        ca_pem_path: None,
    })
}

fn server_config(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the certificate and key do not match or are not supported")?;
    // HTTP/1.1 only: fault injection (a connection dropped mid-body, a truncated body) means what it says
    // only on HTTP/1.1 framing, and ARM clients speak HTTP/1.1.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
