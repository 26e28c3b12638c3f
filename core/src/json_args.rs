//! Caller JSON (client options, usage queries, registration arguments) into typed arguments.
//!
//! serde's own messages quote the value they refused (`invalid type: string "S3CRET"`) and name Rust types
//! (`expected struct ClientOptionsJson`): a secret put in the wrong field would land in an error message,
//! and a 10 MB argument in a 10 MB one. Here an error names the field by its JSON path and the JSON type
//! that was expected and found, never the value; the few caller texts that must be quoted (an unknown
//! field's name) are cut short.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result, quoted};

/// Parses `text` as JSON into `T`. `what` names the argument (`options_json`, `query`).
pub fn from_json<T: DeserializeOwned>(text: &str, what: &'static str) -> Result<T> {
    from_value(parse(text, what)?, what, "")
}

/// Parses `text` as JSON of any shape; a syntax error says where, never what the text held.
pub(crate) fn parse(text: &str, what: &'static str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        // serde_json's syntax messages ("expected value", "trailing characters", "EOF while parsing ...")
        // describe the position, not the content.
        Error::invalid(what, format!("is not valid JSON: {e}"))
    })
}

/// `value` (found at `prefix` in the caller's JSON, "" for the whole argument) into `T`.
pub(crate) fn from_value<T: DeserializeOwned>(
    value: Value,
    what: &'static str,
    prefix: &str,
) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = join_path(prefix, &e.path().to_string());
        Error::invalid(what, describe(&path, &e.inner().to_string()))
    })
}

/// `prefix.rest`, where serde_path_to_error writes the root as ".".
pub(crate) fn join_path(prefix: &str, rest: &str) -> String {
    let rest = if rest == "." { "" } else { rest };
    match (prefix.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) if rest.starts_with('[') => format!("{prefix}{rest}"),
        (false, false) => format!("{prefix}.{rest}"),
    }
}

/// A serde message rewritten without the refused value or Rust type names, led by the field's path.
fn describe(path: &str, message: &str) -> String {
    let at = |path: &str| {
        if path.is_empty() {
            "the JSON".to_string()
        } else {
            quoted_path(path)
        }
    };
    let field_of = |rest: &str| {
        // "`name`..." -> name; the name is the caller's text.
        rest.strip_prefix('`')
            .and_then(|r| r.split_once('`'))
            .map(|(name, _)| name.to_string())
    };
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = split_expected(rest);
        return format!(
            "{}: expected {}, found {}",
            at(path),
            expected_text(expected),
            found_kind(found)
        );
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        let (found, expected) = split_expected(rest);
        return format!(
            "{}: expected {}; the {} given is not",
            at(path),
            expected_text(expected),
            found_kind(found)
                .trim_start_matches("a ")
                .trim_start_matches("an ")
        );
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let name = field_of(rest).unwrap_or_default();
        return format!("{}: is required", at(&join_path(path, &name)));
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        let name = field_of(rest).unwrap_or_default();
        return format!("{}: is given more than once", at(&join_path(path, &name)));
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let name = field_of(rest).unwrap_or_default();
        let known = rest
            .rsplit_once("`, expected ")
            .map(|(_, list)| {
                let list = list.trim_start_matches("one of ").replace('`', "");
                format!("; the fields here are {list}")
            })
            .unwrap_or_default();
        // The path ends at the unknown key itself; the message names it once, after its parent.
        let parent = path
            .strip_suffix(name.as_str())
            .map_or(path, |p| p.trim_end_matches('.'));
        return format!("{}: unknown field {}{known}", at(parent), quoted(&name));
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let name = field_of(rest).unwrap_or_default();
        let known = rest
            .rsplit_once("`, expected ")
            .map(|(_, list)| {
                let list = list.trim_start_matches("one of ").replace('`', "\"");
                format!("; use one of {list}")
            })
            .unwrap_or_default();
        return format!("{}: unknown value {}{known}", at(path), quoted(&name));
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        let (_, expected) = split_expected(rest);
        return format!("{}: expected {}", at(path), expected_text(expected));
    }
    // A message of the library's own (a timeout's range) or of a field type's parser (a UUID's): kept,
    // but cut short, since a foreign parser may quote part of the value.
    format!("{}: {}", at(path), quoted_plain(message))
}

/// `unexpected, expected X` at the last ", expected ": the refused value (which may itself contain that
/// text) comes first; the expectation is the library's own wording and never does.
fn split_expected(rest: &str) -> (&str, &str) {
    rest.rsplit_once(", expected ").unwrap_or((rest, ""))
}

/// The JSON kind of what serde's `Unexpected` printed, without its value.
fn found_kind(unexpected: &str) -> &'static str {
    let kinds: [(&str, &str); 12] = [
        ("string", "a string"),
        ("char", "a string"),
        ("integer", "a number"),
        ("floating point", "a number"),
        ("boolean", "a boolean"),
        ("null", "null"),
        ("unit", "null"),
        ("map", "an object"),
        ("sequence", "an array"),
        ("byte array", "bytes"),
        ("option", "a value"),
        ("newtype", "a value"),
    ];
    kinds
        .iter()
        .find(|(prefix, _)| unexpected.starts_with(prefix))
        .map_or("a value of another type", |(_, kind)| kind)
}

/// What serde says a type expects, in JSON terms.
fn expected_text(expected: &str) -> String {
    let expected = expected.trim();
    let integer = |max: &str| format!("a whole number from 0 to {max}");
    match expected {
        "" => "another type".into(),
        "u8" => integer("255"),
        "u16" => integer("65535"),
        "u32" => integer("4294967295"),
        "u64" | "usize" => integer("18446744073709551615"),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a boolean" => "true or false".into(),
        "a string" | "a borrowed string" | "a character" | "path string" => "a string".into(),
        "a sequence" => "an array".into(),
        "a map" => "an object".into(),
        "unit" => "null".into(),
        _ if expected.starts_with("struct ") || expected.starts_with("a map") => "an object".into(),
        _ if expected.contains("tagged enum") => "an object with a \"type\" field".into(),
        _ if expected.starts_with("enum ") || expected.starts_with("variant identifier") => {
            "one of the documented names (a string)".into()
        }
        _ if expected.starts_with("tuple") => "an array".into(),
        _ if expected.starts_with("option") || expected.starts_with("newtype struct") => {
            "a value of the documented type".into()
        }
        // The library's own wording ("a positive number of seconds", "one of `a`, `b`").
        other => other.replace('`', "\""),
    }
}

/// A JSON path as shown in a message: as is, but cut short (map keys are the caller's text).
fn quoted_path(path: &str) -> String {
    let short = quoted(path);
    // `quoted` adds quotes for values; a field path reads better bare.
    short
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .map_or(short.clone(), str::to_string)
}

/// A message cut short, without quotes added.
fn quoted_plain(message: &str) -> String {
    let short = quoted(message);
    short
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .map_or(short.clone(), |s| s.replace("\\\"", "\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        max_retries: u32,
        allow_http: Option<bool>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        retry: Option<Inner>,
        list: Option<Vec<String>>,
    }

    fn error(json: &str) -> String {
        from_json::<Outer>(json, "options_json")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn type_errors_name_the_path_and_the_types_but_not_the_value() {
        assert_eq!(
            error(r#"{"name":{"secret":"S3CRET"}}"#),
            "options_json: name: expected a string, found an object"
        );
        assert_eq!(
            error(r#"{"name":"n","retry":{"max_retries":"S3CRET, expected u32"}}"#),
            "options_json: retry.max_retries: expected a whole number from 0 to 4294967295, found a string"
        );
        assert_eq!(
            error(r#"{"name":"n","retry":{"max_retries":1,"allow_http":"yes"}}"#),
            "options_json: retry.allow_http: expected true or false, found a string"
        );
        assert_eq!(
            error(r#"{"name":"n","list":["a",7]}"#),
            "options_json: list[1]: expected a string, found a number"
        );
        assert_eq!(
            error(r#"{"name":"n","retry":{"max_retries":-1}}"#),
            "options_json: retry.max_retries: expected a whole number from 0 to 4294967295; the number given is not"
        );
        assert_eq!(
            error(r#""S3CRET""#),
            "options_json: the JSON: expected an object, found a string"
        );
    }

    #[test]
    fn missing_unknown_and_syntax_errors() {
        assert_eq!(error(r#"{}"#), "options_json: name: is required");
        assert_eq!(
            error(r#"{"name":"n","retry":{}}"#),
            "options_json: retry.max_retries: is required"
        );
        let long = "k".repeat(10_000);
        let e = error(&format!(r#"{{"name":"n","{long}":1}}"#));
        assert!(
            e.starts_with("options_json: the JSON: unknown field \"kkk"),
            "{e}"
        );
        assert!(
            e.contains("…\"; the fields here are name, retry, list"),
            "{e}"
        );
        assert!(e.len() < 200, "{e}");
        let e = error(r#"{"name":"S3CRET" "#);
        assert!(e.starts_with("options_json: is not valid JSON"), "{e}");
        assert!(!e.contains("S3CRET"), "{e}");
    }

    #[test]
    fn paths_join() {
        assert_eq!(join_path("", "."), "");
        assert_eq!(join_path("credential", "."), "credential");
        assert_eq!(join_path("credential", "client_id"), "credential.client_id");
        assert_eq!(join_path("list", "[2]"), "list[2]");
    }
}
