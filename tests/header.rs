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

/// Every name the header declares (macros, tags, enumerators, typedefs, functions) carries the library's
/// prefix, so none can collide with a caller's. Parameter names are not declarations and are not checked.
/// The version macros a C caller compiles against are the version the library reports at run time.
#[test]
fn the_version_macros_match_azsb_version() {
    use azs_billing::ffi::{
        AZSB_VERSION_MAJOR, AZSB_VERSION_MINOR, AZSB_VERSION_PATCH, azsb_version,
    };
    // SAFETY: azsb_version returns a pointer to a static NUL-terminated string.
    let reported = unsafe { std::ffi::CStr::from_ptr(azsb_version()) }
        .to_str()
        .unwrap();
    assert_eq!(
        reported,
        format!("{AZSB_VERSION_MAJOR}.{AZSB_VERSION_MINOR}.{AZSB_VERSION_PATCH}")
    );
    assert_eq!(reported, env!("CARGO_PKG_VERSION"));
    let header = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/include/azs_billing.h"
    ))
    .unwrap();
    for (name, value) in [
        ("AZSB_VERSION_MAJOR", AZSB_VERSION_MAJOR),
        ("AZSB_VERSION_MINOR", AZSB_VERSION_MINOR),
        ("AZSB_VERSION_PATCH", AZSB_VERSION_PATCH),
    ] {
        assert!(
            header.contains(&format!("#define {name} {value}")),
            "{name} {value} in the header"
        );
    }
}

/// azsb_status_name derives each name from the enum: it must be the header's enumerator of that value, and
/// every enumerator of the header must have its name.
#[test]
fn every_status_name_is_the_header_enumerator() {
    let header = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/include/azs_billing.h"
    ))
    .unwrap();
    let mut enumerators = Vec::new();
    for line in header.lines() {
        let line = line.trim().trim_end_matches(',');
        if let Some((name, value)) = line.split_once(" = ") {
            if name.starts_with("AZSB_STATUS_") {
                enumerators.push((name.to_string(), value.parse::<u32>().unwrap()));
            }
        }
    }
    assert!(enumerators.len() >= 12, "{enumerators:?}");
    for (name, value) in &enumerators {
        // SAFETY: azsb_status_name returns a static NUL-terminated string.
        let given = unsafe { std::ffi::CStr::from_ptr(azs_billing::ffi::azsb_status_name(*value)) };
        assert_eq!(given.to_str().unwrap(), name);
    }
    // SAFETY: as above.
    let unknown = unsafe { std::ffi::CStr::from_ptr(azs_billing::ffi::azsb_status_name(6999)) };
    assert_eq!(unknown.to_str().unwrap(), "AZSB_STATUS_UNKNOWN");
}

#[test]
fn the_header_declares_only_prefixed_names() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/include/azs_billing.h");
    let header = std::fs::read_to_string(path).expect("the header");
    let unprefixed: Vec<String> = declared_names(&header)
        .into_iter()
        .filter(|name| !(name.starts_with("azsb_") || name.starts_with("AZSB_")))
        // The include guard, named after the header file.
        .filter(|name| name != "AZS_BILLING_H")
        .collect();
    assert!(
        unprefixed.is_empty(),
        "include/azs_billing.h declares names without the azsb_/AZSB_ prefix: {unprefixed:?}; keep core items out of src/ffi (cbindgen reads only it) or give them the prefix"
    );
}

#[test]
fn the_prefix_check_finds_every_kind_of_declaration() {
    let sample = "/* BillingModel */\n#define AZSB_A 1\n#define MAX_PAGES 10\n#if defined(__cplusplus)\n#endif\n\
        enum azsb_status : uint32_t {\n  AZSB_STATUS_OK = 0,\n  OTHER = 1,\n};\n\
        typedef uint32_t azsb_status;\ntypedef struct BillingModel BillingModel;\n\
        typedef void (*callback)(void *userdata, const char *message);\n\
        typedef struct azsb_record {\n  uint32_t level;\n  const char *message;\n} azsb_record;\n\
        extern \"C\" {\nconst char *version(const struct azsb_client *client);\n}\n";
    let mut names = declared_names(sample);
    names.sort();
    assert_eq!(
        names,
        [
            "AZSB_A",
            "AZSB_STATUS_OK",
            "BillingModel",
            "MAX_PAGES",
            "OTHER",
            "azsb_client",
            "azsb_record",
            "azsb_status",
            "callback",
            "version"
        ]
    );
}

/// The names a cbindgen header declares: a small C tokenizer, enough for what cbindgen writes.
fn declared_names(header: &str) -> Vec<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut code = String::new();
    for line in strip_comments(header).lines() {
        let trimmed = line.trim_start();
        if let Some(define) = trimmed.strip_prefix("#define") {
            if let Some(name) = define.split_whitespace().next() {
                names.insert(name.to_string());
            }
        } else if !trimmed.starts_with('#') {
            code.push_str(line);
            code.push('\n');
        }
    }
    let tokens = tokenize(&code);
    let keywords = [
        "void",
        "char",
        "const",
        "int",
        "unsigned",
        "signed",
        "long",
        "short",
        "float",
        "double",
        "bool",
        "struct",
        "enum",
        "union",
        "typedef",
        "extern",
        "static",
        "inline",
        "uint8_t",
        "uint16_t",
        "uint32_t",
        "uint64_t",
        "int8_t",
        "int16_t",
        "int32_t",
        "int64_t",
        "size_t",
        "uintptr_t",
        "intptr_t",
    ];
    let is_name = |t: &str| {
        t.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && !keywords.contains(&t)
    };
    let mut parens = 0usize;
    let mut enum_pending = false;
    let mut enum_depth: Option<usize> = None;
    // A struct's members are scoped to it and cannot collide with a caller's names: not declarations.
    let mut record_pending = false;
    let mut record_depth: Option<usize> = None;
    let mut braces = 0usize;
    for (i, token) in tokens.iter().enumerate() {
        let next = tokens.get(i + 1).map(String::as_str);
        match token.as_str() {
            "(" => parens += 1,
            ")" => parens = parens.saturating_sub(1),
            "{" => {
                braces += 1;
                if enum_pending {
                    enum_depth = Some(braces);
                    enum_pending = false;
                }
                if record_pending && record_depth.is_none() {
                    record_depth = Some(braces);
                }
                record_pending = false;
            }
            "}" => {
                if enum_depth == Some(braces) {
                    enum_depth = None;
                }
                if record_depth == Some(braces) {
                    record_depth = None;
                }
                braces = braces.saturating_sub(1);
            }
            ";" => {
                enum_pending = false;
                record_pending = false;
            }
            "enum" => enum_pending = true,
            "struct" | "union" => record_pending = true,
            t if is_name(t) => {
                let previous = i.checked_sub(1).map(|p| tokens[p].as_str());
                let tag = matches!(previous, Some("struct" | "enum" | "union"));
                let enumerator = enum_depth == Some(braces)
                    && parens == 0
                    && matches!(next, Some("=" | "," | "}"));
                let member = record_depth.is_some();
                let function_or_typedef = parens == 0 && !member && matches!(next, Some("(" | ";"));
                let function_pointer =
                    previous == Some("*") && i >= 2 && tokens[i - 2] == "(" && next == Some(")");
                if tag || enumerator || function_or_typedef || function_pointer {
                    names.insert(t.to_string());
                }
            }
            _ => {}
        }
    }
    names.into_iter().collect()
}

fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, tail)| tail);
        } else if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |n| &after[n..]);
        } else if let Some(after) = rest.strip_prefix('"') {
            // String literals (`extern "C"`) carry no declarations.
            rest = after.split_once('"').map_or("", |(_, tail)| tail);
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn tokenize(code: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    for c in code.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            tokens.push(std::mem::take(&mut word));
        }
        if !c.is_whitespace() {
            tokens.push(c.to_string());
        }
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    tokens
}
