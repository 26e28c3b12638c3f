//! Secret values (client secrets, passwords, tokens, private keys): shown redacted everywhere and wiped
//! from memory when dropped.

use zeroize::Zeroize;

/// A value that must never be shown: Debug prints it redacted, and it is zeroed when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`; from here on it is only readable through `expose`.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Read from options JSON (passwords, keys); there is no Serialize, so a secret is never written back out.
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        <String as serde::Deserialize>::deserialize(d).map(Secret::new)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn never_shown() {
        let secret = Secret::new("hunter2-very-secret");
        assert_eq!(
            format!("{secret:?} {secret}"),
            "Secret(<redacted>) <redacted>"
        );
        assert_eq!(secret.expose(), "hunter2-very-secret");
    }
}
