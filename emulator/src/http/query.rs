//! Query strings as ARM reads them: names case-insensitive, values form-decoded (so an unescaped `+`
//! arrives as a space, which is how the usage service ends up rejecting local-offset timestamps).

pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> QueryParams {
        let pairs = raw
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        QueryParams { pairs }
    }

    /// The first value of `name`, matched case-insensitively.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Like `get`, but an empty value counts as absent (clients send `subscriberId=` for "not set").
    pub fn get_non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }
}

/// The raw query without any `name=...` pair (name matched case-insensitively), every other pair kept byte
/// for byte, so a nextLink repeats the caller's own encoding.
pub fn raw_query_without(raw: &str, name: &str) -> String {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or("");
            let decoded = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
            !decoded.eq_ignore_ascii_case(name)
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_plus_is_a_space() {
        let q = QueryParams::parse(Some(
            "API-VERSION=2015-06-01-preview&reportedStartTime=2021-05-20T00:00:00+00:00&subscriberId=",
        ));
        assert_eq!(q.get("api-version"), Some("2015-06-01-preview"));
        assert_eq!(
            q.get("reportedstarttime"),
            Some("2021-05-20T00:00:00 00:00")
        );
        assert_eq!(q.get("subscriberId"), Some(""));
        assert_eq!(q.get_non_empty("subscriberId"), None);
        assert_eq!(q.get("missing"), None);
    }

    #[test]
    fn removes_only_the_named_pair() {
        let raw =
            "api-version=1&reportedStartTime=2017-08-01T00%3a00%3a00Z&ContinuationToken=abc%3D&x=1";
        assert_eq!(
            raw_query_without(raw, "continuationToken"),
            "api-version=1&reportedStartTime=2017-08-01T00%3a00%3a00Z&x=1"
        );
    }
}
