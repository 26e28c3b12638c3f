//! The embedded emulator: usable from blocking code, gone when its handle is dropped.

use azs_emulator::{EmbeddedEmulator, EmulatorConfig};

#[test]
fn answers_from_blocking_code_and_stops_when_dropped() {
    let state_dir = tempfile::tempdir().unwrap();
    let mut config = EmulatorConfig::standard_test_set();
    config.state_dir = state_dir.path().to_path_buf();
    config.tls = azs_emulator::TlsMode::Plain;
    let emulator = EmbeddedEmulator::start(config, 1).expect("starts");
    let document = emulator.ready_document().expect("typed ready document");
    let status_url = format!("{}_emulator/status", document.admin_arm);
    let http = reqwest::blocking::Client::new();
    let status: serde_json::Value = http.get(&status_url).send().unwrap().json().unwrap();
    assert_eq!(&status, emulator.ready());
    assert_eq!(
        status["dataset"]["subscriptions"], 6,
        "the standard test set"
    );

    drop(emulator);
    assert!(
        http.get(&status_url).send().is_err(),
        "nothing listens after the drop"
    );
}
