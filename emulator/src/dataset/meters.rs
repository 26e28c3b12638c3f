//! Meter ids (spelled exactly as in shared/reference/meters.csv), the size tables resources draw from, and
//! the hourly quantity models.

use super::rng;

// Compute.
pub(crate) const BASE_VM_SIZE_HOURS: &str = "FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5";
pub(crate) const WINDOWS_VM_SIZE_HOURS: &str = "9CD92D4C-BAFD-4492-B278-BEDC2DE8232A";
pub(crate) const VM_SIZE_HOURS: &str = "6DAB500F-A4FD-49C4-956D-229BB9C8C793";

// Managed disks (the current "month" meters).
pub(crate) const ACTUAL_STANDARD_DISK_SIZE: &str = "7ba084ec-ef9c-4d64-a179-7732c6cb5e28";
pub(crate) const ACTUAL_PREMIUM_DISK_SIZE: &str = "daef389a-06e5-4684-a7f7-8813d9f792d5";

// Network: written without hyphens, as the stamp and the docs do.
pub(crate) const STATIC_IP: &str = "F271A8A388C44D93956A063E1D2FA80B";
pub(crate) const DYNAMIC_IP: &str = "9E2739BA86744796B465F64674B822BA";

// Storage.
pub(crate) const TABLE_CAPACITY: &str = "B4438D5D-453B-4EE1-B42A-DC72E377F1E4";
pub(crate) const PAGE_BLOB_CAPACITY: &str = "B5C15376-6C94-4FDD-B655-1A69D138ACA3";
pub(crate) const QUEUE_CAPACITY: &str = "B03C6AE7-B080-4BFA-84A3-22C800F315C6";
pub(crate) const BLOCK_BLOB_CAPACITY: &str = "09F8879E-87E9-4305-A572-4B7BE209F857";
pub(crate) const TABLE_TRANSACTIONS: &str = "B9FF3CD0-28AA-4762-84BB-FF8FBAEA6A90";
pub(crate) const TABLE_DATA_TRANS_IN: &str = "50A1AEAF-8ECA-48A0-8973-A5B3077FEE0D";
pub(crate) const TABLE_DATA_TRANS_OUT: &str = "1B8C1DEC-EE42-414B-AA36-6229CF199370";
pub(crate) const BLOB_TRANSACTIONS: &str = "43DAF82B-4618-444A-B994-40C23F7CD438";
pub(crate) const BLOB_DATA_TRANS_IN: &str = "9764F92C-E44A-498E-8DC1-AAD66587A810";
pub(crate) const BLOB_DATA_TRANS_OUT: &str = "3023FEF4-ECA5-4D7B-87B3-CFBC061931E8";
pub(crate) const QUEUE_TRANSACTIONS: &str = "EB43DD12-1AA6-4C4B-872C-FAF15A6785EA";
pub(crate) const QUEUE_DATA_TRANS_IN: &str = "E518E809-E369-4A45-9274-2017B29FFF25";
pub(crate) const QUEUE_DATA_TRANS_OUT: &str = "DD0A10BA-A5D6-4CB6-88C0-7D585CEF9FC2";

// SQL / MySQL resource providers.
pub(crate) const SQL_DATABASE_SIZE: &str = "CBCFEF9A-B91F-4597-A4D3-01FE334BED82";
pub(crate) const MYSQL_DATABASE_SIZE: &str = "E6D8CFCD-7734-495E-B1CC-5AB0B9C24BD3";

// Key Vault.
pub(crate) const KEY_VAULT_TRANSACTIONS: &str = "EBF13B9F-B3EA-46FE-BF54-396E93D48AB4";

// App Service.
pub(crate) const APP_SERVICE: &str = "190C935E-9ADA-48FF-9AB8-56EA1CF9ADAA";
pub(crate) const FUNCTIONS_REQUESTS: &str = "67CC4AFC-0691-48E1-A4B8-D744D1FEDBDE";
pub(crate) const FUNCTIONS_COMPUTE: &str = "D1D04836-075C-4F27-BF65-0A1130EC60ED";
pub(crate) const SHARED_APP_SERVICE_HOURS: &str = "957E9F36-2C14-45A1-B6A1-1723EF71A01D";
pub(crate) const FREE_APP_SERVICE_HOURS: &str = "539CDEC7-B4F5-49F6-AAC4-1F15CFF0EDA9";

/// VM sizes: (name, virtual cores).
pub(crate) const VM_SIZES: &[(&str, i64)] = &[
    ("Standard_A1", 1),
    ("Standard_A2", 2),
    ("Standard_A3", 4),
    ("Standard_D1_v2", 1),
    ("Standard_D2_v2", 2),
    ("Standard_DS2_v2", 2),
    ("Standard_DS3_v2", 4),
    ("Standard_F2s", 2),
    ("Standard_F4s", 4),
    ("Standard_D4_v2", 8),
    ("Standard_DS4_v2", 8),
    ("Standard_F8s_v2", 8),
];

pub(crate) const WINDOWS_IMAGES: &[&str] = &[
    "Windows Server 2016 Datacenter",
    "Windows Server 2019 Datacenter",
    "Windows Server 2022 Datacenter",
    "Windows Server 2019 Datacenter Server Core",
];

pub(crate) const LINUX_IMAGES: &[&str] = &[
    "Ubuntu Server 20.04 LTS",
    "Ubuntu Server 22.04 LTS",
    "CentOS-based 7.9",
    "SUSE Linux Enterprise Server 15 SP4",
    "Red Hat Enterprise Linux 8.6",
    "Debian 11",
];

/// Managed disk SKUs: (size in GB, standard meter, premium meter).
pub(crate) const DISK_SKUS: &[(i64, &str, &str)] = &[
    (
        32,
        "380874f9-300c-48e0-95a0-d2d9a21ade8f",
        "7660b45b-b29d-49cb-b816-59f30fbab011",
    ),
    (
        64,
        "1b77d90f-427b-4435-b4f1-d78adec53222",
        "817007fd-a077-477f-bc01-b876f27205fd",
    ),
    (
        128,
        "d5f7731b-f639-404a-89d0-e46186e22c8d",
        "e554b6bc-96cd-4938-a5b5-0da990278519",
    ),
    (
        256,
        "ff85ef31-da5b-4eac-95dd-a69d6f97b18a",
        "cdc0f53a-62a9-4472-a06c-e99a23b02907",
    ),
    (
        512,
        "88ea9228-457a-4091-adc9-ad5194f30b6e",
        "b9cb2d1a-84c2-4275-aa8b-70d2145d59aa",
    ),
    (
        1024,
        "5b1db88a-8596-4002-8052-347947c26940",
        "06bde724-9f94-43c0-84c3-d0fc54538369",
    ),
];

/// Hours in the "month" of the disk meters.
pub(crate) const HOURS_PER_MONTH: f64 = 730.0;

/// Dedicated App Service worker tiers: (tier meter, worker cores).
pub(crate) const APP_SERVICE_TIERS: &[(&str, i64)] = &[
    ("db658d61-ef2d-4888-9843-72f5c774fd3c", 1), // Small Basic
    ("27b01104-e0df-4f30-a171-f1b00ecb76b3", 2), // Medium Basic
    ("50db6a92-5dff-4c9b-8238-8ea5fb1be107", 4), // Large Basic
    ("88039D51-A206-3A89-E9DE-C5117E2D10A6", 1), // Small Standard
    ("83A2A13E-4788-78DD-5D55-2831B68ED825", 2), // Medium Standard
    ("1083B9DB-E9BB-24BE-A5E9-D6FDD0DDEFE6", 4), // Large Standard
    ("26bd6580-c3bd-4e7e-8092-58b28eb1bb94", 1), // Small Premium
    ("a1cba406-e83e-45c3-bd36-485191c215d9", 2), // Medium Premium
];

/// Every known meter id this generator emits (for tests against meters.csv).
#[cfg(test)]
pub(crate) fn known_ids() -> Vec<&'static str> {
    let mut ids = vec![
        BASE_VM_SIZE_HOURS,
        WINDOWS_VM_SIZE_HOURS,
        VM_SIZE_HOURS,
        ACTUAL_STANDARD_DISK_SIZE,
        ACTUAL_PREMIUM_DISK_SIZE,
        STATIC_IP,
        DYNAMIC_IP,
        TABLE_CAPACITY,
        PAGE_BLOB_CAPACITY,
        QUEUE_CAPACITY,
        BLOCK_BLOB_CAPACITY,
        TABLE_TRANSACTIONS,
        TABLE_DATA_TRANS_IN,
        TABLE_DATA_TRANS_OUT,
        BLOB_TRANSACTIONS,
        BLOB_DATA_TRANS_IN,
        BLOB_DATA_TRANS_OUT,
        QUEUE_TRANSACTIONS,
        QUEUE_DATA_TRANS_IN,
        QUEUE_DATA_TRANS_OUT,
        SQL_DATABASE_SIZE,
        MYSQL_DATABASE_SIZE,
        KEY_VAULT_TRANSACTIONS,
        APP_SERVICE,
        FUNCTIONS_REQUESTS,
        FUNCTIONS_COMPUTE,
        SHARED_APP_SERVICE_HOURS,
        FREE_APP_SERVICE_HOURS,
    ];
    for &(_, s, p) in DISK_SKUS {
        ids.push(s);
        ids.push(p);
    }
    ids.extend(APP_SERVICE_TIERS.iter().map(|&(m, _)| m));
    ids
}

/// Relative activity per UTC hour of day (transactions, requests, data transfer).
const DIURNAL: [f64; 24] = [
    0.25, 0.20, 0.18, 0.18, 0.20, 0.30, 0.50, 0.75, 0.95, 1.10, 1.20, 1.25, 1.20, 1.25, 1.30, 1.25,
    1.15, 1.00, 0.85, 0.70, 0.55, 0.45, 0.35, 0.30,
];

/// Activity multiplier on Saturdays and Sundays.
const WEEKEND: f64 = 0.55;

/// How one (resource, meter) turns a usage hour into a quantity (micro-units; 0 means no record).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Qty {
    /// The same quantity every hour (cores, IP count, MB of capacity, 1/730 of a disk-month).
    Const(i64),
    /// A level that drifts slowly over the data range, with a little hourly noise: capacities.
    /// value = base * (1 + slope * u) * (1 + noise * (x - 0.5)).
    Drift { base: f64, slope: f64, noise: f64 },
    /// Bursty activity following the hour of day and the weekday, zero in some hours: transactions,
    /// requests, data transfer. `idle` is the chance of no activity in a peak hour (higher at night).
    Activity { mean: f64, idle: f64 },
}

/// The calendar facts a quantity model needs about a usage hour.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Calendar {
    /// Day of week of the data start, 0 = Monday.
    pub start_weekday: i64,
}

impl Calendar {
    #[inline]
    pub(crate) fn is_weekend(&self, u: i64) -> bool {
        (self.start_weekday + u.div_euclid(24)).rem_euclid(7) >= 5
    }
}

#[inline(always)]
pub(crate) fn to_micros(v: f64) -> i64 {
    let m = (v * 1e6).round();
    if m > 0.0 { m as i64 } else { 0 }
}

impl Qty {
    /// Quantity of usage hour `u` (hours since the data start) in micro-units; `key` identifies the
    /// (resource, meter).
    #[inline(always)]
    pub(crate) fn eval(self, key: u64, u: i64, cal: &Calendar) -> i64 {
        match self {
            Qty::Const(q) => q,
            Qty::Drift { base, slope, noise } => {
                let x = rng::unit(rng::at(key, u));
                to_micros(base * (1.0 + slope * u as f64) * (1.0 + noise * (x - 0.5)))
            }
            Qty::Activity { mean, idle } => {
                let h = rng::at(key, u);
                let r1 = (h >> 40) as f64 * (1.0 / (1u64 << 24) as f64);
                let r2 = (h & 0xFF_FFFF) as f64 * (1.0 / (1u64 << 24) as f64);
                let level = DIURNAL[u.rem_euclid(24) as usize]
                    * if cal.is_weekend(u) { WEEKEND } else { 1.0 };
                let p_idle = idle + (1.3 - level).max(0.0) * 0.3;
                if r1 < p_idle {
                    0
                } else {
                    to_micros(mean * level * (0.4 + 1.2 * r2))
                }
            }
        }
    }

    pub(crate) fn is_const(self) -> Option<i64> {
        match self {
            Qty::Const(q) => Some(q),
            _ => None,
        }
    }
}
