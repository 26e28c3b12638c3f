//! The Azure Stack Hub usage meter catalogue (`meters.csv`, compiled in): id → name, unit, category.
//! Lookup ignores case and hyphens, since the stamp reports network meters without hyphens and others in
//! either case; unknown meters are not an error (they pass through with no name).

use std::sync::OnceLock;

/// One meter of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Meter {
    /// As the catalogue spells it.
    pub id: String,
    /// The meter's name ("Base VM Size Hours", ...).
    pub name: String,
    /// The unit its quantities are in ("Hours", "GB", ...).
    pub unit: String,
    /// "Compute", "Storage", "Network", "Managed Disks", "SQL", "MySQL", "Key Vault", "App Service", ...
    pub category: String,
    /// The catalogue's description of what is measured.
    pub description: String,
}

/// Every category the catalogue uses; `category_of` maps each description onto one of these.
pub const CATEGORIES: &[&str] = &[
    "Network",
    "Storage",
    "Compute",
    "Managed Disks",
    "SQL",
    "MySQL",
    "Key Vault",
    "App Service",
];

/// Copied unchanged from shared/reference/meters.csv (`meter_id,meter_name,unit,description,source_url`).
const CATALOGUE_CSV: &str = include_str!("meters.csv");

struct Catalogue {
    meters: Vec<Meter>,
    /// (normalised id, index in `meters`), sorted by id. Not a HashMap: a hash table in a process-wide
    /// static is reachable only through a pointer into the middle of its allocation, which valgrind
    /// reports as "possibly lost" in every C program using the library; a sorted Vec is plainly reachable.
    by_id: Vec<(String, usize)>,
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| parse_catalogue(CATALOGUE_CSV))
}

#[derive(serde::Deserialize)]
struct CsvRow {
    meter_id: String,
    meter_name: String,
    unit: String,
    description: String,
}

/// Parses the catalogue. Rows whose id is not a GUID (the "(dynamic per custom worker tier)" note) are
/// skipped, as is any row the csv reader cannot read: the text is compiled in and a unit test checks that
/// every row is accounted for, so skipping cannot silently lose a meter. When two rows share a normalised
/// id the first one wins (the test `no_conflicting_duplicates` checks there are none).
fn parse_catalogue(text: &str) -> Catalogue {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut meters = Vec::new();
    let mut by_id: Vec<(String, usize)> = Vec::new();
    for row in reader.deserialize::<CsvRow>() {
        let Ok(row) = row else { continue };
        let normalized = normalize(&row.meter_id);
        if !is_guid_hex(&normalized) {
            continue;
        }
        if by_id.iter().any(|(id, _)| *id == normalized) {
            continue;
        }
        by_id.push((normalized, meters.len()));
        meters.push(Meter {
            id: row.meter_id.trim().to_string(),
            name: row.meter_name.trim().to_string(),
            unit: row.unit.trim().to_string(),
            category: category_of(&row.description, &row.meter_name),
            description: row.description.trim().to_string(),
        });
    }
    by_id.sort();
    by_id.shrink_to_fit();
    Catalogue { meters, by_id }
}

/// 32 hexadecimal digits: a GUID in normalised form.
fn is_guid_hex(normalized: &str) -> bool {
    normalized.len() == 32 && normalized.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The category is the description's first sentence ("Network. Count of ..."), cleaned: the resource
/// provider notes become "SQL"/"MySQL", and the one legacy note ("LEGACY (2016 Technical Preview ...).")
/// is the old public IP meter, i.e. "Network". Anything else keeps the text before the first '(' or ';',
/// which a unit test checks against `CATEGORIES` so a new kind of description is noticed.
fn category_of(description: &str, name: &str) -> String {
    let head = description.split('.').next().unwrap_or_default().trim();
    let lower = head.to_ascii_lowercase();
    if lower.starts_with("sql server") {
        return "SQL".to_string();
    }
    if lower.starts_with("mysql") {
        return "MySQL".to_string();
    }
    if lower.starts_with("legacy") && name.to_ascii_lowercase().contains("ip address") {
        return "Network".to_string();
    }
    let cut = head.find(['(', ';']).map_or(head, |i| &head[..i]).trim();
    CATEGORIES
        .iter()
        .find(|c| c.eq_ignore_ascii_case(cut))
        .map_or_else(|| cut.to_string(), |c| (*c).to_string())
}

/// Every catalogued meter, in catalogue order.
pub fn all() -> &'static [Meter] {
    &catalogue().meters
}

/// The catalogue entry for a meter id in any spelling.
pub fn lookup(meter_id: &str) -> Option<&'static Meter> {
    let catalogue = catalogue();
    let id = normalize(meter_id);
    let found = catalogue
        .by_id
        .binary_search_by(|(key, _)| key.as_str().cmp(&id))
        .ok()?;
    catalogue.meters.get(catalogue.by_id[found].1)
}

/// The comparison form of a meter id: lower case, no hyphens, no braces or spaces.
pub fn normalize(meter_id: &str) -> String {
    meter_id
        .chars()
        .filter(|c| !matches!(c, '-' | '{' | '}') && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn every_guid_row_is_catalogued() {
        // 85 data rows, one of which is the "(dynamic per custom worker tier)" note.
        let rows = CATALOGUE_CSV
            .lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .count();
        assert_eq!(rows, 85);
        assert_eq!(all().len(), 84);
        assert!(all().iter().all(|m| is_guid_hex(&normalize(&m.id))));
        assert!(
            all()
                .iter()
                .all(|m| !m.name.is_empty() && !m.unit.is_empty())
        );
    }

    #[test]
    fn no_conflicting_duplicates() {
        let mut seen = HashMap::new();
        for row in csv::Reader::from_reader(CATALOGUE_CSV.as_bytes()).deserialize::<CsvRow>() {
            let row = row.expect("the compiled-in catalogue parses");
            let key = normalize(&row.meter_id);
            if let Some(previous) = seen.insert(key.clone(), row.meter_name.clone()) {
                panic!("{key} appears twice ({previous}, {})", row.meter_name);
            }
        }
    }

    #[test]
    fn categories_are_clean() {
        for meter in all() {
            assert!(
                CATEGORIES.contains(&meter.category.as_str()),
                "{} {} has category {:?}",
                meter.id,
                meter.name,
                meter.category
            );
        }
        let category = |id: &str| lookup(id).map(|m| m.category.as_str());
        assert_eq!(
            category("F271A8A388C44D93956A063E1D2FA80B"),
            Some("Network")
        );
        assert_eq!(
            category("f114cb19-ea64-40b5-bcd7-aee474b62853"),
            Some("Network")
        );
        assert_eq!(
            category("B4438D5D-453B-4EE1-B42A-DC72E377F1E4"),
            Some("Storage")
        );
        assert_eq!(
            category("FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5"),
            Some("Compute")
        );
        assert_eq!(
            category("380874f9-300c-48e0-95a0-d2d9a21ade8f"),
            Some("Managed Disks")
        );
        assert_eq!(
            category("CBCFEF9A-B91F-4597-A4D3-01FE334BED82"),
            Some("SQL")
        );
        assert_eq!(
            category("E6D8CFCD-7734-495E-B1CC-5AB0B9C24BD3"),
            Some("MySQL")
        );
        assert_eq!(
            category("EBF13B9F-B3EA-46FE-BF54-396E93D48AB4"),
            Some("Key Vault")
        );
        assert_eq!(
            category("190C935E-9ADA-48FF-9AB8-56EA1CF9ADAA"),
            Some("App Service")
        );
        // Every category is used.
        for c in CATEGORIES {
            assert!(all().iter().any(|m| m.category == *c), "{c} unused");
        }
    }

    #[test]
    fn lookup_ignores_spelling() {
        let static_ip = lookup("F271A8A388C44D93956A063E1D2FA80B").expect("static IP meter");
        assert_eq!(static_ip.name, "Static IP Address Usage");
        assert_eq!(static_ip.unit, "IP addresses");
        assert_eq!(
            lookup("f271a8a3-88c4-4d93-956a-063e1d2fa80b"),
            Some(static_ip)
        );
        let base_vm = lookup("fab6eb84-500b-4a09-a8ca-7358f8bbaea5").expect("base VM meter");
        assert_eq!(base_vm.id, "FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5");
        assert_eq!(base_vm.name, "Base VM Size Hours");
        assert_eq!(
            lookup("{FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5}"),
            Some(base_vm)
        );
        assert_eq!(lookup(" fab6eb84500b4a09a8ca7358f8bbaea5 "), Some(base_vm));
    }

    #[test]
    fn unknown_meters_are_not_errors() {
        assert_eq!(lookup("00000000-0000-0000-0000-000000000000"), None);
        assert_eq!(lookup("AzureSql"), None);
        assert_eq!(lookup("meterID1"), None);
        assert_eq!(lookup(""), None);
        assert_eq!(lookup("(dynamic per custom worker tier)"), None);
    }

    #[test]
    fn normalisation() {
        assert_eq!(
            normalize("{FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5}"),
            "fab6eb84500b4a09a8ca7358f8bbaea5"
        );
        assert_eq!(normalize(" AzureSql\t"), "azuresql");
    }
}
