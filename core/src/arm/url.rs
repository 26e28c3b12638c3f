//! URLs on the Resource Manager endpoint: the base a path goes on, query values escaped for the wire, and
//! request URLs with their api-version.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use url::Url;

use crate::client::Client;
use crate::error::{Error, Result};

/// Query values are escaped down to the RFC 3986 unreserved characters, so ':' in times and '+', '/', '='
/// in continuation tokens never reach the server raw (a raw '+' arrives as a space and is refused).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `name=value&...` with every value escaped (names are plain ASCII and sent as they are).
pub(crate) fn encode_query(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(name, value)| {
            format!(
                "{name}={}",
                percent_encoding::utf8_percent_encode(value, QUERY_VALUE)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The Resource Manager URL as text ending in '/', without query or fragment, ready for a path.
pub(crate) fn arm_base(arm: &Url) -> Result<String> {
    if arm.cannot_be_a_base() {
        return Err(Error::invalid(
            "resourceManager",
            format!(
                "{arm} is not an http(s) base URL; give the Resource Manager endpoint, e.g. https://adminmanagement.local.azurestack.external/"
            ),
        ));
    }
    let mut base = arm.clone();
    base.set_query(None);
    base.set_fragment(None);
    let mut text = base.to_string();
    if !text.ends_with('/') {
        text.push('/');
    }
    Ok(text)
}

/// `path` (relative to the Resource Manager URL, already encoded) with api-version and extra query pairs,
/// these form-encoded (as `url` writes query pairs; the registration operations have always sent them so).
pub(crate) fn url(
    client: &Client,
    path: &str,
    api_version: &str,
    query: &[(&str, &str)],
) -> Result<Url> {
    let mut url = client.arm_url(path)?;
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("api-version", api_version);
        for (name, value) in query {
            pairs.append_pair(name, value);
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_escaped_to_unreserved() {
        assert_eq!(
            encode_query(&[
                ("api-version", "2015-11-01"),
                ("$filter", "owner eq 'a+b@contoso.com'"),
                ("continuationToken", "eyJ+/=~._-"),
            ]),
            "api-version=2015-11-01&$filter=owner%20eq%20%27a%2Bb%40contoso.com%27&continuationToken=eyJ%2B%2F%3D~._-"
        );
        assert_eq!(encode_query(&[]), "");
    }

    #[test]
    fn bases_end_in_a_slash_without_query() {
        let base = |text: &str| arm_base(&Url::parse(text).expect("url"));
        assert_eq!(
            base("https://127.0.0.1:4443/stamp?x=1#f").expect("base"),
            "https://127.0.0.1:4443/stamp/"
        );
        assert_eq!(
            base("https://management.azure.com/").expect("base"),
            "https://management.azure.com/"
        );
        assert!(matches!(
            base("mailto:ops@example.com"),
            Err(Error::InvalidArgument {
                what: "resourceManager",
                ..
            })
        ));
    }
}
