//! Resource ids and their parts: names checked against ARM's rules, GUIDs, scopes, and path segments
//! percent-encoded for a URL.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use uuid::Uuid;

use crate::error::{Error, Result};

/// What must be encoded in a path segment (RFC 3986 pchar), plus '%' so that a value is never read as an
/// escape it did not mean.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// One path segment (a name), trimmed, checked and percent-encoded. `what` names the argument in errors.
pub(crate) fn segment(what: &'static str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(what, "must not be empty"));
    }
    if value.contains(['/', '?', '#']) || value.chars().any(char::is_control) {
        return Err(Error::invalid(
            what,
            format!(
                "'{value}' is a name, not a path: it may not contain '/', '?', '#' or control characters"
            ),
        ));
    }
    if value == "." || value == ".." {
        return Err(Error::invalid(
            what,
            format!("'{value}' is not a usable name"),
        ));
    }
    Ok(utf8_percent_encode(value, SEGMENT).to_string())
}

/// Characters ARM refuses in a resource name (ARM RPC, resource-api-reference: `<>%&:\?/` and control
/// characters; '#' since it ends the URL's path).
const NAME_REFUSED: &str = "<>%&:\\?/#";

/// A resource name as ARM accepts it (1 to 260 characters, none of `<>%&:\?/#` or control characters),
/// trimmed and not encoded: checked before anything is sent, so a name ARM would refuse never leaves a
/// half-done registration behind. A '%' is refused too, which also catches a name given URL-encoded.
pub(crate) fn resource_name<'a>(what: &'static str, kind: &str, value: &'a str) -> Result<&'a str> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(
            what,
            format!("the {kind} name must not be empty"),
        ));
    }
    let refused: String = value
        .chars()
        .filter(|c| c.is_control() || NAME_REFUSED.contains(*c))
        .collect::<std::collections::BTreeSet<char>>()
        .into_iter()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if !refused.is_empty() || value.chars().count() > 260 || value == "." || value == ".." {
        return Err(Error::invalid(
            what,
            format!(
                "'{}' is not a valid {kind} name{}: Azure resource names are 1 to 260 characters without '<', '>', \
                 '%', '&', ':', '\\', '?', '/', '#' or control characters; give the name itself (not URL-encoded)",
                quoted(value),
                contains(&refused)
            ),
        ));
    }
    Ok(value)
}

/// A resource group name as ARM accepts it (ARM RPC: 1 to 90 letters or digits, '-', '_', '(', ')' and '.',
/// not ending in '.'), trimmed and not encoded.
pub(crate) fn resource_group_name<'a>(what: &'static str, value: &'a str) -> Result<&'a str> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(
            what,
            "the resource group name must not be empty",
        ));
    }
    let refused: String = value
        .chars()
        .filter(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '(' | ')' | '.')))
        .collect::<std::collections::BTreeSet<char>>()
        .into_iter()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if !refused.is_empty() || value.chars().count() > 90 || value.ends_with('.') {
        return Err(Error::invalid(
            what,
            format!(
                "'{}' is not a valid resource group name{}: Azure allows 1 to 90 letters, digits, '-', '_', '(', ')' \
                 and '.', not ending in '.'",
                quoted(value),
                contains(&refused)
            ),
        ));
    }
    Ok(value)
}

/// " (it contains '...')" for a message, or nothing.
fn contains(refused: &str) -> String {
    if refused.is_empty() {
        String::new()
    } else {
        format!(" (it contains '{refused}')")
    }
}

/// A name for a message: control characters shown as U+FFFD, and at most 100 characters.
fn quoted(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(100)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if value.chars().count() > 100 {
        out.push_str("...");
    }
    out
}

/// Percent-encodes a checked name for one path segment.
pub(crate) fn encode(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// A GUID as ARM ids take it: trimmed, in any spelling `uuid` reads (braces, upper case, no hyphens).
/// None when it is not one; callers word the error for what they asked for.
pub(crate) fn parse_guid(value: &str) -> Option<Uuid> {
    Uuid::parse_str(value.trim()).ok()
}

/// A GUID argument (subscription, tenant, principal ids), in its canonical lowercase form.
pub(crate) fn guid(what: &'static str, value: &str) -> Result<String> {
    parse_guid(value)
        .map(|id| id.hyphenated().to_string())
        .ok_or_else(|| {
            Error::invalid(
                what,
                format!(
                    "'{}' is not a GUID (like 8f9e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b)",
                    value.trim()
                ),
            )
        })
}

/// A resource id used as a scope (`/subscriptions/{id}/...`), checked and without its leading '/'.
pub(crate) fn scope(what: &'static str, value: &str) -> Result<String> {
    let value = value.trim().trim_end_matches('/');
    let rest = value.strip_prefix('/').unwrap_or(value);
    let mut parts = rest.split('/');
    let ok = parts
        .next()
        .is_some_and(|p| p.eq_ignore_ascii_case("subscriptions"))
        && parts.next().is_some_and(|s| guid(what, s).is_ok());
    if !ok {
        return Err(Error::invalid(
            what,
            format!("'{value}' is not a resource id (/subscriptions/{{id}}/...)"),
        ));
    }
    // Resource ids as Azure writes them carry names unencoded; an encoded one would be encoded twice.
    if rest.contains('%') {
        return Err(Error::invalid(
            what,
            format!(
                "'{}' contains '%': give the resource id as Azure writes it (names not URL-encoded)",
                quoted(value)
            ),
        ));
    }
    let mut out = Vec::new();
    for part in rest.split('/') {
        out.push(segment(what, part)?);
    }
    Ok(out.join("/"))
}

/// The subscription id at the start of a scope (`subscriptions/{id}/...`).
pub(crate) fn scope_subscription(scope: &str) -> Option<&str> {
    scope.split('/').nth(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_checked_and_encoded() {
        assert_eq!(segment("name", " azurestack ").unwrap(), "azurestack");
        assert_eq!(segment("name", "a b%c").unwrap(), "a%20b%25c");
        assert_eq!(segment("name", "rg(1).x").unwrap(), "rg(1).x");
        for bad in ["", "  ", "a/b", "a?b", "a#b", "..", "a\nb"] {
            let err = segment("name", bad).unwrap_err();
            assert!(
                matches!(err, Error::InvalidArgument { what: "name", .. }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn names_follow_arms_rules() {
        assert_eq!(
            resource_name("name", "registration", " azurestack test ").unwrap(),
            "azurestack test"
        );
        assert_eq!(encode("azurestack test"), "azurestack%20test");
        for bad in [
            "", "a%20b", "a/b", "a?b", "a#b", "a:b", "a&b", "a<b", "a\\b", "a\tb", "..",
        ] {
            let err = resource_name("name", "registration", bad).unwrap_err();
            assert!(
                matches!(err, Error::InvalidArgument { what: "name", .. }),
                "{bad:?}"
            );
        }
        let long = "n".repeat(261);
        assert!(resource_name("name", "registration", &long).is_err());
        let err = resource_name("name", "registration", "a%20b").unwrap_err();
        assert!(err.to_string().contains("(it contains '%')"), "{err}");
        assert!(err.to_string().contains("not URL-encoded"), "{err}");

        for good in ["azurestack", "rg(1).x_y-z", "Grüße", &"g".repeat(90)] {
            assert!(
                resource_group_name("resource_group", good).is_ok(),
                "{good:?}"
            );
        }
        for bad in ["", "my group", "rg.", "a/b", "a%b", &"g".repeat(91)] {
            let err = resource_group_name("resource_group", bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidArgument {
                        what: "resource_group",
                        ..
                    }
                ),
                "{bad:?}"
            );
        }
        let err = resource_group_name("resource_group", "my group").unwrap_err();
        assert!(err.to_string().contains("(it contains ' ')"), "{err}");
    }

    #[test]
    fn guids_and_scopes() {
        assert_eq!(
            guid("id", " 8F9E1A2B-0C3D-4E5F-8A9B-0C1D2E3F4A5B ").unwrap(),
            "8f9e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b"
        );
        assert!(guid("id", "not-a-guid").is_err());
        let s = "/subscriptions/8f9e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b/resourceGroups/rg/providers/Microsoft.AzureStack/registrations/r1/";
        let scoped = scope("scope", s).unwrap();
        assert_eq!(
            scoped,
            "subscriptions/8f9e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b/resourceGroups/rg/providers/Microsoft.AzureStack/registrations/r1"
        );
        assert_eq!(
            scope_subscription(&scoped),
            Some("8f9e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b")
        );
        for bad in [
            "",
            "/resourceGroups/rg",
            "/subscriptions/x/rg",
            "/subscriptions/8f9e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b//x",
            "/subscriptions/8f9e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b/resourceGroups/a%20b",
        ] {
            assert!(scope("scope", bad).is_err(), "{bad:?}");
        }
    }
}
