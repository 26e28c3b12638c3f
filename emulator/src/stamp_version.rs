//! Azure Stack Hub build numbers (`1.2408.0.19`): four numbers, ordered part by part, which is how the
//! registration tooling gates parameters and commands.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StampVersion([u32; 4]);

impl StampVersion {
    /// The build the emulator reports unless told otherwise (2408).
    pub const DEFAULT: StampVersion = StampVersion([1, 2408, 0, 19]);
    /// First build whose `New-RegistrationToken` has `-MsAssetTag` (and so the Custom model).
    pub const MS_ASSET_TAG: StampVersion = StampVersion([1, 1912, 0, 19]);
    /// First build whose `New-RegistrationToken` has `-TokenVersion`.
    pub const TOKEN_VERSION: StampVersion = StampVersion([1, 2008, 0, 49]);
    /// Token version 6.0 needs a build after this one.
    pub const TOKEN_VERSION_6: StampVersion = StampVersion([1, 2309, 0, 4]);
    /// `Set-RegistrationKeyPair` exists on builds after this one.
    pub const KEY_PAIR: StampVersion = StampVersion([1, 2209, 0, 23]);

    pub const fn new(parts: [u32; 4]) -> StampVersion {
        StampVersion(parts)
    }
}

impl fmt::Display for StampVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a stamp version: give four numbers, e.g. 1.2408.0.19")]
pub struct InvalidStampVersion(String);

impl FromStr for StampVersion {
    type Err = InvalidStampVersion;

    fn from_str(text: &str) -> Result<StampVersion, InvalidStampVersion> {
        let invalid = || InvalidStampVersion(text.to_string());
        let parts = text
            .trim()
            .split('.')
            .map(|p| p.parse::<u32>().map_err(|_| invalid()))
            .collect::<Result<Vec<_>, _>>()?;
        let parts: [u32; 4] = parts.try_into().map_err(|_| invalid())?;
        Ok(StampVersion(parts))
    }
}

impl serde::Serialize for StampVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for StampVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<StampVersion, D::Error> {
        // Owned: a document read through `serde_json::Value` has no borrowed strings to lend.
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_part_by_part() {
        let v = |s: &str| s.parse::<StampVersion>().unwrap();
        assert!(v("1.1910.0.58") < StampVersion::MS_ASSET_TAG);
        assert!(v("1.1912.0.19") == StampVersion::MS_ASSET_TAG);
        assert!(v("1.2008.0.100") > StampVersion::TOKEN_VERSION);
        assert!(v("1.10000.0.0") > v("1.9999.9.9"));
        assert_eq!(v(" 1.2408.0.19 ").to_string(), "1.2408.0.19");
        assert!("1.2408.0".parse::<StampVersion>().is_err());
        assert!("1.2408.0.x".parse::<StampVersion>().is_err());
    }
}
