//! include/azs_billing.h must be what cbindgen generates from src/ffi now: CI fails on a stale header.

#[test]
fn committed_header_is_current() {
    let root = env!("CARGO_MANIFEST_DIR");
    let config =
        cbindgen::Config::from_file(format!("{root}/cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = format!("{root}/include/azs_billing.h");
    if std::env::var_os("AZSB_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("writing the header");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/azs_billing.h is stale: regenerate it with `AZSB_UPDATE_HEADER=1 cargo test --test header` and commit it"
    );
}
