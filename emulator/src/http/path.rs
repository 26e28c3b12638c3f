//! Request paths as ARM matches them: dot segments resolved, segments percent-decoded and compared
//! case-insensitively.

/// Path segments after the leading slash, with `.` and `..` resolved as a URL client would.
pub fn normalized_segments(path: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for segment in path.strip_prefix('/').unwrap_or(path).split('/') {
        match segment {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    if out.last() == Some(&"") {
        out.pop();
    }
    out
}

/// A request path as routes match it: its segments percent-decoded (ARM decodes them, so a name sent as
/// `azurestack%20test` is the resource `azurestack test`), and lower-cased (ARM matches case-insensitively).
/// Segments are split before decoding: an encoded '/' (`%2F`) stays inside its segment.
pub struct ArmPath {
    segments: Vec<String>,
    lowercase: Vec<String>,
}

impl ArmPath {
    pub fn parse(path: &str) -> ArmPath {
        let segments: Vec<String> = normalized_segments(path)
            .into_iter()
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let lowercase = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
        ArmPath {
            segments,
            lowercase,
        }
    }

    /// The decoded segments in the caller's spelling.
    pub fn segments(&self) -> Vec<&str> {
        self.segments.iter().map(String::as_str).collect()
    }

    pub fn lower(&self) -> Vec<&str> {
        self.lowercase.iter().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::normalized_segments;

    #[test]
    fn dot_segments_resolve() {
        assert_eq!(
            normalized_segments(
                "/subscriptions/s/providers/Microsoft.Commerce.Admin/locations/../subscriberUsageAggregates"
            ),
            [
                "subscriptions",
                "s",
                "providers",
                "Microsoft.Commerce.Admin",
                "subscriberUsageAggregates"
            ]
        );
        assert_eq!(
            normalized_segments("/subscriptions//providers/"),
            ["subscriptions", "", "providers"]
        );
    }
}
