//! The `azs-emulator` binary: one ready line, both metadata shapes, AD FS mode over plain HTTP, clean
//! shutdown on SIGTERM, clear errors for bad flags.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use azs_emulator::ReadyDocument;
use serde_json::Value;

struct Running {
    child: Child,
    /// The ready line as printed.
    line: String,
    ready: Value,
    _dir: tempfile::TempDir,
}

/// A failed assertion must not leave the emulator running.
impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn spawn(extra: &[&str]) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let state_dir = dir.path().to_path_buf();
    spawn_in(dir, &state_dir, extra)
}

/// Runs the binary with `dir` as its working directory and `state_dir` as given (relative to `dir` or not).
fn spawn_in(dir: tempfile::TempDir, state_dir: &std::path::Path, extra: &[&str]) -> Running {
    let ready_file = dir.path().join("ready.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_azs-emulator"))
        .current_dir(dir.path())
        .args([
            "--seed",
            "3",
            "--subscriptions",
            "4",
            "--resources-per-subscription",
            "3",
            "--days",
            "2",
        ])
        .args(["--start-date", "2026-02-01", "--state-dir"])
        .arg(state_dir)
        .arg("--ready-file")
        .arg(&ready_file)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the emulator binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("a ready line");
    let ready: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("ready line is JSON ({e}): {line:?}"));
    assert_eq!(
        std::fs::read_to_string(&ready_file).unwrap().trim(),
        line.trim()
    );
    Running {
        child,
        line,
        ready,
        _dir: dir,
    }
}

fn terminate(mut running: Running) {
    let pid = running.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = running.child.try_wait().unwrap() {
            assert!(status.success(), "clean exit on SIGTERM: {status}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the emulator did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn client(ready: &Value) -> reqwest::blocking::Client {
    let mut builder = reqwest::blocking::Client::builder();
    if let Some(ca) = ready["ca_pem"].as_str() {
        builder = builder
            .tls_certs_only([reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap()]);
    }
    builder.build().unwrap()
}

#[test]
fn https_run_prints_a_ready_line_and_serves_both_metadata_shapes() {
    let running = spawn(&[]);
    let ready = &running.ready;
    assert_eq!(ready["event"], "ready");
    let urls: Vec<&str> = ["admin_arm", "tenant_arm", "identity"]
        .iter()
        .map(|k| ready[*k].as_str().unwrap())
        .collect();
    assert!(
        urls.iter()
            .all(|u| u.starts_with("https://127.0.0.1:") && u.ends_with('/')),
        "{urls:?}"
    );
    assert_eq!(
        urls.iter().collect::<std::collections::HashSet<_>>().len(),
        3,
        "separate listeners"
    );
    assert!(std::path::Path::new(ready["ca_pem"].as_str().unwrap()).exists());
    assert!(
        ready["service_principals"]
            .as_array()
            .unwrap()
            .iter()
            .all(|sp| sp["client_id"].is_string())
    );
    assert_ne!(ready["audiences"]["admin"], ready["audiences"]["tenant"]);

    let http = client(ready);
    let object: Value = http
        .get(format!(
            "{}metadata/endpoints?api-version=2015-01-01",
            urls[0]
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        object["authentication"]["loginEndpoint"],
        ready["login_endpoint"]
    );
    assert_eq!(
        object["authentication"]["audiences"][0],
        ready["audiences"]["admin"]
    );
    let array: Value = http
        .get(format!(
            "{}metadata/endpoints?api-version=2019-05-01",
            urls[1]
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let entry = &array[0];
    assert_eq!(
        entry["authentication"]["audiences"][0],
        ready["audiences"]["tenant"]
    );
    assert_eq!(entry["authentication"]["tenant"], ready["tenant_id"]);
    assert!(
        entry.get("resourceManager").is_none(),
        "Azure Stack Hub leaves resourceManager out"
    );
    assert!(
        entry["name"]
            .as_str()
            .unwrap()
            .starts_with("AzureStack-User-")
    );
    terminate(running);
}

/// The line is the typed document the server and the tests share, byte for byte: no field only one side
/// knows, none renamed, keys in the order the line has always had. The control route serves the same one.
#[test]
fn the_ready_line_is_the_typed_document() {
    let running = spawn(&["--http"]);
    let line = running.line.trim_end();
    let document: ReadyDocument = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("the ready line reads as a ReadyDocument ({e}): {line}"));
    assert_eq!(serde_json::to_string(&document).unwrap(), line);
    let status: ReadyDocument = client(&running.ready)
        .get(format!("{}status", document.control))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(status, document);
    terminate(running);
}

#[test]
fn adfs_over_plain_http() {
    let running = spawn(&["--http", "--identity", "adfs"]);
    let ready = &running.ready;
    let login = ready["login_endpoint"].as_str().unwrap();
    assert!(
        login.starts_with("http://") && login.ends_with("/adfs/"),
        "{login}"
    );
    assert!(ready["ca_pem"].is_null());
    let http = client(ready);
    let metadata: Value = http
        .get(format!(
            "{}metadata/endpoints",
            ready["tenant_arm"].as_str().unwrap()
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(metadata["authentication"]["loginEndpoint"], login);
    let tenant = ready["service_principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|sp| sp["name"] == "tenant")
        .unwrap();
    let token: Value = http
        .post(format!("{login}oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", tenant["client_id"].as_str().unwrap()),
            ("client_secret", tenant["client_secret"].as_str().unwrap()),
            ("resource", ready["audiences"]["tenant"].as_str().unwrap()),
        ])
        .send()
        .unwrap()
        .json()
        .unwrap();
    let url = format!(
        "{}subscriptions/{}/providers/Microsoft.Commerce/usageAggregates?api-version=2015-06-01-preview&reportedStartTime=2026-02-01T00:00:00Z&reportedEndTime=2026-02-02T00:00:00Z",
        ready["tenant_arm"].as_str().unwrap(),
        ready["dataset"]["first_tenant_subscription_id"]
            .as_str()
            .unwrap()
    );
    let response = http
        .get(url)
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    terminate(running);
}

#[test]
fn registration_side_in_the_ready_line() {
    let running = spawn(&[
        "--stamp-version",
        "1.2209.0.24",
        "--nodes",
        "2",
        "--fault",
        "503:count=1,target=pep",
    ]);
    let ready = &running.ready;
    let pep = &ready["pep"];
    assert_eq!(pep["stamp_version"], "1.2209.0.24");
    assert_eq!(pep["number_of_nodes"], 2);
    assert_eq!(pep["username"], "AZURESTACK\\CloudAdmin");
    assert_eq!(
        pep["cloud_id"],
        azs_emulator::config::derived_uuid(3, "cloud-id").to_string()
    );
    let azure = &ready["azure"];
    for field in ["arm", "login_endpoint", "tenant_id", "subscription_id"] {
        assert!(azure[field].is_string(), "{field}");
    }
    assert_eq!(azure["tenant_domain"], "contosoazure.onmicrosoft.com");
    assert_eq!(azure["environment"], "AzureCloud");
    assert_eq!(azure["audiences"].as_array().unwrap().len(), 3);
    assert_eq!(
        azure["users"][0]["upn"],
        "operator@contosoazure.onmicrosoft.com"
    );

    let http = client(ready);
    let command = |name: &str| {
        http.post(format!("{}commands/{name}", pep["url"].as_str().unwrap()))
            .basic_auth(pep["username"].as_str().unwrap(), pep["password"].as_str())
            .json(&serde_json::json!({}))
            .send()
            .unwrap()
    };
    // The fault hits the PEP listener only, once.
    assert_eq!(command("Get-AzureStackStampInformation").status(), 503);
    let metadata = http
        .get(format!(
            "{}metadata/endpoints?api-version=2015-01-01",
            azure["arm"].as_str().unwrap()
        ))
        .send()
        .unwrap();
    assert_eq!(metadata.status(), 200);
    let info: Value = command("Get-AzureStackStampInformation").json().unwrap();
    assert_eq!(info["output"]["StampVersion"], "1.2209.0.24");
    assert_eq!(info["output"]["NumberOfNodes"], 2);
    assert_eq!(command("Set-RegistrationKeyPair").status(), 200);
    terminate(running);
}

/// Every file path of the ready line, found by its field name wherever it sits.
fn ready_paths(value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match value.as_str() {
                    Some(path) if key == "ca_pem" || key.ends_with("_path") => {
                        out.push((key.clone(), path.to_string()));
                    }
                    _ => ready_paths(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| ready_paths(item, out)),
        _ => {}
    }
}

#[test]
fn a_relative_state_dir_still_gives_absolute_paths_in_the_ready_line() {
    let dir = tempfile::tempdir().unwrap();
    let running = spawn_in(dir, std::path::Path::new("state"), &[]);
    let mut paths = Vec::new();
    ready_paths(&running.ready, &mut paths);
    let names: Vec<&str> = paths.iter().map(|(name, _)| name.as_str()).collect();
    for expected in ["ca_pem", "certificate_path", "private_key_path"] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    for (name, path) in &paths {
        let path = std::path::Path::new(path);
        assert!(path.is_absolute(), "{name} is absolute: {}", path.display());
        // Usable from any working directory, as a client started elsewhere would read it.
        assert!(path.is_file(), "{name} exists: {}", path.display());
    }
    // Still the directory the flag named, under the working directory.
    let ca = std::path::Path::new(running.ready["ca_pem"].as_str().unwrap());
    assert_eq!(
        ca.parent().unwrap().file_name().unwrap(),
        std::ffi::OsStr::new("state")
    );
    terminate(running);
}

#[test]
fn bad_flags_are_refused_with_the_reason() {
    for (args, expected) in [
        (vec!["--fault", "teapot"], "unknown fault kind"),
        (vec!["--page-size", "0"], "--page-size must be at least 1"),
        (vec!["--start-date", "yesterday"], "--start-date"),
        (vec!["--stamp-version", "1.2408"], "is not a stamp version"),
        (vec!["--nodes", "0"], "--nodes"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_azs-emulator"))
            .args(&args)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?} must fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn an_operator_supplied_certificate_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let running = spawn(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert!(
        running.ready["ca_pem"].is_null(),
        "no CA is generated when the certificate is supplied"
    );
    let http = reqwest::blocking::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap()])
        .build()
        .unwrap();
    let response = http
        .get(format!(
            "{}metadata/endpoints?api-version=2015-01-01",
            running.ready["admin_arm"].as_str().unwrap()
        ))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    terminate(running);
}
