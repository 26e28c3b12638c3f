//! The Azure Stack Hub usage meter catalogue (`meters.csv`, compiled in): id → name, unit, category.
//! Lookup ignores case and hyphens, since the stamp reports network meters without hyphens and others in
//! either case; unknown meters are not an error (they pass through with no name).

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Meter {
    /// As the catalogue spells it.
    pub id: String,
    pub name: String,
    pub unit: String,
    /// "Compute", "Storage", "Network", "Managed Disks", "SQL", "MySQL", "Key Vault", "App Service", ...
    pub category: String,
    pub description: String,
}

/// Every catalogued meter, in catalogue order.
pub fn all() -> &'static [Meter] {
    unimplemented!()
}

/// The catalogue entry for a meter id in any spelling.
pub fn lookup(_meter_id: &str) -> Option<&'static Meter> {
    unimplemented!()
}

/// The comparison form of a meter id: lower case, no hyphens, no braces or spaces.
pub fn normalize(_meter_id: &str) -> String {
    unimplemented!()
}
