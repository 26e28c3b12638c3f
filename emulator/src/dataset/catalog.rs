//! The in-memory catalogue: subscriptions, their resources, and per (resource, meter) the meter id, the
//! quantity model and the precomputed instanceData text. Its size is O(subscriptions x resources); rows
//! are never stored.

use std::collections::{BTreeMap, BTreeSet};

use chrono::TimeDelta;
use uuid::Uuid;

use super::meters::{self, Qty};
use super::rng::{self, Rng, tag};
use super::{DatasetConfig, Subscription, SubscriptionState};

/// Resource providers whose records share a reporting lag (the lag is drawn per provider and usage hour).
pub(crate) const PROVIDERS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Vm,
    Disk,
    Storage,
    PublicIp,
    Sql,
    MySql,
    AppService,
    KeyVault,
    EventHub,
}

impl Kind {
    pub(crate) fn resource_type(self) -> &'static str {
        match self {
            Kind::Vm => "Microsoft.Compute/virtualMachines",
            Kind::Disk => "Microsoft.Compute/disks",
            Kind::Storage => "Microsoft.Storage/storageAccounts",
            Kind::PublicIp => "Microsoft.Network/publicIPAddresses",
            Kind::Sql => "Microsoft.SQLAdapter/databases",
            Kind::MySql => "Microsoft.MySQLAdapter/databases",
            Kind::AppService => "Microsoft.Web/serverFarms",
            Kind::KeyVault => "Microsoft.KeyVault/vaults",
            Kind::EventHub => "Microsoft.EventHub/clusters",
        }
    }

    /// The resource provider (Compute covers VMs and disks).
    pub(crate) fn provider(self) -> u8 {
        match self {
            Kind::Vm | Kind::Disk => 0,
            Kind::Storage => 1,
            Kind::PublicIp => 2,
            Kind::Sql => 3,
            Kind::MySql => 4,
            Kind::AppService => 5,
            Kind::KeyVault => 6,
            Kind::EventHub => 7,
        }
    }
}

/// When a VM runs; deallocated hours emit nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Schedule {
    Always,
    /// Running 07:00-19:00 UTC on weekdays (dev/test boxes deallocated at night).
    OfficeHours,
    /// Deallocated for some 6-hour blocks, chosen by hash.
    Outages {
        key: u64,
    },
}

#[derive(Debug)]
pub(crate) struct Resource {
    pub sub: u32,
    pub kind: Kind,
    pub provider: u8,
    pub schedule: Schedule,
    /// Usage hours [alive_from, alive_to) relative to the data start, already clipped to the data range and
    /// to the subscription's deletion; empty when alive_from >= alive_to.
    pub alive_from: i64,
    pub alive_to: i64,
    /// Lifetime as generated (hours relative to the data start; creation may be before the start).
    pub created_h: i64,
    pub deleted_h: Option<i64>,
    pub slots_start: u32,
    pub slots_len: u32,
    pub uri: Box<str>,
}

/// One (resource, meter) series.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    pub meter: u32,
    pub instance: u32,
    pub key: u64,
    pub qty: Qty,
}

pub(crate) struct Catalogue {
    pub subscriptions: Vec<Subscription>,
    /// Lower-case hyphenated ids, as rows carry them.
    pub sub_ids: Vec<Box<str>>,
    /// (id, index), sorted by id.
    pub sub_lookup: Vec<(Uuid, u32)>,
    /// Resources of subscription i are sub_first_res[i]..sub_first_res[i + 1].
    pub sub_first_res: Vec<u32>,
    /// Union of the alive ranges of a subscription's resources.
    pub sub_alive: Vec<(i64, i64)>,
    /// 0..n, so that `One(i)` can borrow `all_subs[i..=i]`.
    pub all_subs: Vec<u32>,
    pub direct_subs: Vec<u32>,
    pub resources: Vec<Resource>,
    pub slots: Vec<Slot>,
    pub meter_ids: Vec<Box<str>>,
    pub instances: Vec<Box<str>>,
    /// The same texts as JSON string literals (quoted and escaped), ready to be copied into a response.
    pub instances_json: Vec<Box<str>>,
    pub lag_keys: [u64; PROVIDERS],
    pub delegated_provider: Uuid,
    pub unknown_meter: Box<str>,
}

const FIRST_NAMES: &[&str] = &[
    "alice", "bob", "carol", "david", "emma", "farid", "grace", "hiro", "ines", "jonas", "kira",
    "liam", "maria", "noah", "olga", "pedro", "quinn", "rosa", "sven", "tara", "umar", "vera",
    "wei", "yara", "zoe",
];
const LAST_NAMES: &[&str] = &[
    "smith", "jones", "garcia", "muller", "rossi", "tanaka", "novak", "silva", "kowalski",
    "dubois", "jensen", "kim", "nguyen", "patel", "cohen", "olsen", "schmidt", "moreau", "santos",
    "berg",
];
const DEPARTMENTS: &[&str] = &[
    "Finance",
    "Marketing",
    "Engineering",
    "Research",
    "Sales",
    "Operations",
    "Human Resources",
    "Legal",
    "Logistics",
    "Customer Support",
    "Data Science",
    "Platform",
    "Security",
    "Manufacturing",
    "Procurement",
];
const ENVIRONMENTS: &[&str] = &[
    "Production",
    "Development",
    "Test",
    "Staging",
    "Sandbox",
    "Shared Services",
    "QA",
    "Analytics",
];
const CUSTOMERS: &[&str] = &[
    "Northwind Traders",
    "Fabrikam",
    "Tailspin Toys",
    "Wide World Importers",
    "Adventure Works",
    "Litware",
    "Proseware",
    "Woodgrove Bank",
    "Coho Winery",
    "Alpine Ski House",
];
const WORKLOADS: &[&str] = &[
    "web",
    "app",
    "api",
    "data",
    "sql",
    "infra",
    "shared",
    "dev",
    "test",
    "batch",
    "analytics",
    "portal",
    "erp",
    "crm",
    "build",
];
const DIRECT_OFFERS: &[(&str, &str)] = &[
    ("rg-offers", "offer-standard"),
    ("rg-offers", "offer-premium"),
    ("rg-plans", "offer-devtest"),
    ("rg-plans", "offer-basic"),
];
const DELEGATED_OFFERS: &[(&str, &str)] = &[
    ("rg-reseller", "reseller-standard"),
    ("rg-reseller", "reseller-iaas"),
];
const TAG_ENVIRONMENTS: &[&str] = &["prod", "dev", "test", "staging"];

/// Kinds after the first four resources of a subscription, with weights (percent).
const KIND_WEIGHTS: &[(Kind, u64)] = &[
    (Kind::Vm, 26),
    (Kind::Disk, 20),
    (Kind::Storage, 12),
    (Kind::PublicIp, 10),
    (Kind::Sql, 7),
    (Kind::MySql, 5),
    (Kind::AppService, 8),
    (Kind::KeyVault, 7),
    (Kind::EventHub, 5),
];

/// Appends `s` as a JSON string literal.
fn push_json_str(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).expect("strings always serialise"));
}

struct Builder<'c> {
    config: &'c DatasetConfig,
    hours: i64,
    resources: Vec<Resource>,
    slots: Vec<Slot>,
    meter_ids: Vec<Box<str>>,
    meter_index: BTreeMap<String, u32>,
    instances: Vec<Box<str>>,
    instances_json: Vec<Box<str>>,
    unknown_meter: String,
}

impl Builder<'_> {
    fn meter(&mut self, id: &str, lower: bool) -> u32 {
        let id = if lower {
            id.to_ascii_lowercase()
        } else {
            id.to_string()
        };
        if let Some(&i) = self.meter_index.get(&id) {
            return i;
        }
        let i = self.meter_ids.len() as u32;
        self.meter_ids.push(id.clone().into_boxed_str());
        self.meter_index.insert(id, i);
        i
    }

    fn instance(&mut self, uri: &str, tags: Option<&str>, additional_info: Option<&str>) -> u32 {
        let mut s = String::with_capacity(uri.len() + 160);
        s.push_str("{\"Microsoft.Resources\":{\"resourceUri\":");
        push_json_str(&mut s, uri);
        s.push_str(",\"location\":");
        push_json_str(&mut s, &self.config.location);
        s.push_str(",\"tags\":");
        s.push_str(tags.unwrap_or("null"));
        s.push_str(",\"additionalInfo\":");
        match additional_info {
            Some(info) => push_json_str(&mut s, info),
            None => s.push_str("null"),
        }
        s.push_str("}}");
        let i = self.instances.len() as u32;
        let mut literal = String::with_capacity(s.len() + 64);
        push_json_str(&mut literal, &s);
        self.instances_json.push(literal.into_boxed_str());
        self.instances.push(s.into_boxed_str());
        i
    }
}

/// Roles of subscriptions: which are delegated-provider tenants, deleted, disabled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Direct,
    Delegated,
    Deleted,
    Disabled,
}

fn roles(config: &DatasetConfig) -> Vec<Role> {
    let n = config.subscriptions as usize;
    let mut roles = vec![Role::Direct; n];
    if n < 5 {
        return roles;
    }
    // A seeded permutation of 1..n (index 0 always stays an enabled direct tenant).
    let mut order: Vec<usize> = (1..n).collect();
    let mut rng = Rng::new(config.seed, &[tag::ROLES]);
    for i in (1..order.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    let delegated = (n / 10).max(1);
    let deleted = (n / 10).max(1);
    let disabled = usize::from(n >= 8);
    let mut it = order.into_iter();
    for (role, count) in [
        (Role::Delegated, delegated),
        (Role::Deleted, deleted),
        (Role::Disabled, disabled),
    ] {
        for i in it.by_ref().take(count) {
            roles[i] = role;
        }
    }
    roles
}

pub(crate) fn build(config: &DatasetConfig) -> Catalogue {
    let seed = config.seed;
    let n = config.subscriptions as usize;
    let hours = config.days as i64 * 24;
    let start = config
        .start
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc();
    let delegated_provider = {
        let mut id = Rng::new(seed, &[tag::DELEGATED_PROVIDER]).uuid();
        if id == config.default_provider_subscription_id {
            id = Rng::new(seed, &[tag::DELEGATED_PROVIDER, 1]).uuid();
        }
        id
    };
    let unknown_meter = Rng::new(seed, &[tag::UNKNOWN_METER])
        .uuid()
        .to_string()
        .to_uppercase();
    let roles = roles(config);

    let mut b = Builder {
        config,
        hours,
        resources: Vec::with_capacity(n * config.resources_per_subscription as usize),
        slots: Vec::new(),
        meter_ids: Vec::new(),
        meter_index: BTreeMap::new(),
        instances: Vec::new(),
        instances_json: Vec::new(),
        unknown_meter,
    };

    let mut subscriptions = Vec::with_capacity(n);
    let mut used_names = BTreeSet::new();
    let mut sub_first_res = Vec::with_capacity(n + 1);
    for (i, &role) in roles.iter().enumerate() {
        let mut rng = Rng::new(seed, &[tag::SUBSCRIPTION, i as u64]);
        let id = rng.uuid();
        let first = *rng.pick(FIRST_NAMES);
        let last = *rng.pick(LAST_NAMES);
        let owner = format!("{first}.{last}@{}", config.directory_domain);
        let base_name = if role == Role::Delegated {
            format!("{} Tenant", rng.pick(CUSTOMERS))
        } else {
            format!("{} {}", rng.pick(DEPARTMENTS), rng.pick(ENVIRONMENTS))
        };
        let mut display_name = base_name.clone();
        let mut k = 2;
        while !used_names.insert(display_name.clone()) {
            display_name = format!("{base_name} {k}");
            k += 1;
        }
        let provider = if role == Role::Delegated {
            delegated_provider
        } else {
            config.default_provider_subscription_id
        };
        let (rg, offer) = *rng.pick(if role == Role::Delegated {
            DELEGATED_OFFERS
        } else {
            DIRECT_OFFERS
        });
        let offer_id = format!(
            "/subscriptions/{provider}/resourceGroups/{rg}/providers/Microsoft.Subscriptions.Admin/offers/{offer}"
        );
        let age_h = rng.range(24, 24 * 500);
        let created = start - TimeDelta::hours(age_h);
        // Deleted subscriptions go away at some hour in the middle half of the data range.
        let deleted_h = (role == Role::Deleted && hours > 0).then(|| {
            (hours / 4 + rng.below((hours / 2).max(1) as u64) as i64).clamp(1, hours.max(1))
        });
        let state = match role {
            Role::Deleted => SubscriptionState::Deleted,
            Role::Disabled => SubscriptionState::Disabled,
            _ => SubscriptionState::Enabled,
        };
        subscriptions.push(Subscription {
            id,
            display_name,
            owner: owner.clone(),
            tenant_id: config.directory_tenant_id,
            offer_id,
            state,
            delegated_provider_subscription_id: provider,
            created,
            deleted: deleted_h.map(|h| start + TimeDelta::hours(h)),
        });
        sub_first_res.push(b.resources.len() as u32);
        build_resources(&mut b, i, &id, &owner, age_h, deleted_h.unwrap_or(hours));
    }
    sub_first_res.push(b.resources.len() as u32);

    let sub_alive = (0..n)
        .map(|i| {
            let res = &b.resources[sub_first_res[i] as usize..sub_first_res[i + 1] as usize];
            let live = res.iter().filter(|r| r.alive_from < r.alive_to);
            let from = live.clone().map(|r| r.alive_from).min().unwrap_or(0);
            let to = live.map(|r| r.alive_to).max().unwrap_or(0);
            (from, to)
        })
        .collect();
    let sub_ids = subscriptions
        .iter()
        .map(|s| s.id.to_string().into_boxed_str())
        .collect();
    let mut sub_lookup: Vec<(Uuid, u32)> = subscriptions
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id, i as u32))
        .collect();
    sub_lookup.sort_unstable();
    let direct_subs = subscriptions
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.delegated_provider_subscription_id == config.default_provider_subscription_id
        })
        .map(|(i, _)| i as u32)
        .collect();
    let mut lag_keys = [0u64; PROVIDERS];
    for (p, k) in lag_keys.iter_mut().enumerate() {
        *k = rng::hash(seed, &[tag::LAG, p as u64]);
    }

    let mut resources = b.resources;
    resources.shrink_to_fit();
    let mut slots = b.slots;
    slots.shrink_to_fit();
    Catalogue {
        subscriptions,
        sub_ids,
        sub_lookup,
        sub_first_res,
        sub_alive,
        all_subs: (0..n as u32).collect(),
        direct_subs,
        resources,
        slots,
        meter_ids: b.meter_ids,
        instances: b.instances,
        instances_json: b.instances_json,
        lag_keys,
        delegated_provider,
        unknown_meter: b.unknown_meter.into_boxed_str(),
    }
}

/// Generates the resources of subscription `i`, created `sub_age` hours before the data start; `sub_end` is
/// the hour its usage stops (deletion or the data end).
fn build_resources(
    b: &mut Builder,
    i: usize,
    sub_id: &Uuid,
    owner: &str,
    sub_age: i64,
    sub_end: i64,
) {
    let seed = b.config.seed;
    let hours = b.hours;
    let n = b.config.subscriptions as usize;
    let rps = b.config.resources_per_subscription as usize;

    // Resource groups: 1 to 4 workloads, each `rg-{workload}-{k}`.
    let mut rg_rng = Rng::new(seed, &[tag::RESOURCE_GROUPS, i as u64]);
    let rg_count = 1 + rg_rng.below(rps.clamp(1, 4) as u64) as usize;
    let mut groups: Vec<(String, &str)> = Vec::with_capacity(rg_count);
    while groups.len() < rg_count {
        let workload = *rg_rng.pick(WORKLOADS);
        if groups.iter().any(|(_, w)| *w == workload) {
            continue;
        }
        groups.push((format!("rg-{workload}-{}", rg_rng.range(1, 9)), workload));
    }

    let mut first_vm_name: Option<String> = None;
    for r in 0..rps {
        let mut rng = Rng::new(seed, &[tag::RESOURCE, i as u64, r as u64]);
        let kind = if r + 1 == rps && rps >= 5 && i == n / 2 {
            // Guarantees an unknown-meter resource in every sizeable data set.
            Kind::EventHub
        } else {
            match r {
                0 => Kind::Vm,
                1 => Kind::Disk,
                2 => Kind::Storage,
                3 => Kind::PublicIp,
                _ => {
                    let mut x = rng.below(KIND_WEIGHTS.iter().map(|&(_, w)| w).sum());
                    let mut kind = Kind::Vm;
                    for &(k, w) in KIND_WEIGHTS {
                        if x < w {
                            kind = k;
                            break;
                        }
                        x -= w;
                    }
                    kind
                }
            }
        };
        // Core resources share the first group; others pick one.
        let (rg, workload) = if r < 4 { &groups[0] } else { rng.pick(&groups) };
        let (rg, workload) = (rg.clone(), *workload);
        let nn = r + 1;
        let name = match kind {
            Kind::Vm => format!("vm-{workload}-{nn:02}"),
            Kind::Disk => match (&first_vm_name, r) {
                (Some(vm), 1) => format!("{vm}-osdisk"),
                _ => format!("disk-{workload}-{nn:02}"),
            },
            Kind::Storage => format!("st{workload}{:06x}", rng.next_u64() & 0xFF_FFFF),
            Kind::PublicIp => format!("pip-{workload}-{nn:02}"),
            Kind::Sql => format!("sqldb-{workload}-{nn:02}"),
            Kind::MySql => format!("mysqldb-{workload}-{nn:02}"),
            Kind::AppService => format!("asp-{workload}-{nn:02}"),
            Kind::KeyVault => format!("kv-{workload}-{:04x}", rng.next_u64() & 0xFFFF),
            Kind::EventHub => format!("evhc-{workload}-{nn:02}"),
        };
        if r == 0 && kind == Kind::Vm {
            first_vm_name = Some(name.clone());
        }
        let uri = format!(
            "/subscriptions/{sub_id}/resourceGroups/{rg}/providers/{}/{name}",
            kind.resource_type()
        );

        // Lifetime: most resources exist throughout, some are created and/or deleted inside the range
        // (at whole hours). Resource 0 always exists throughout, so every subscription has usage from the
        // data start.
        let class = if r == 0 || sub_end < 3 {
            0
        } else {
            rng.below(100)
        };
        let created_h = if (65..80).contains(&class) || class >= 92 {
            rng.range(1, sub_end - 2)
        } else {
            -rng.range(1, sub_age - 1)
        };
        let deleted_h = (class >= 80).then(|| rng.range(created_h.max(0) + 1, sub_end - 1));
        let alive_from = created_h.clamp(0, hours);
        let alive_to = deleted_h
            .unwrap_or(hours)
            .min(sub_end)
            .clamp(alive_from, hours);

        let tags = rng.chance(1.0 / 3.0).then(|| {
            let mut t = String::from("{\"costCenter\":");
            push_json_str(&mut t, &format!("cc-{}", rng.range(1000, 9999)));
            t.push_str(",\"environment\":");
            let environment = TAG_ENVIRONMENTS[rng.below(TAG_ENVIRONMENTS.len() as u64) as usize];
            push_json_str(&mut t, environment);
            if rng.chance(0.5) {
                t.push_str(",\"owner\":");
                push_json_str(&mut t, owner);
            }
            if rng.chance(0.3) {
                t.push_str(",\"application\":");
                push_json_str(&mut t, workload);
            }
            t.push('}');
            t
        });
        let lower = rng::hash(seed, &[tag::LOWER_CASE, i as u64, r as u64]) % 8 == 0;

        let mut schedule = Schedule::Always;
        let slots_start = b.slots.len() as u32;
        let mut plain: Option<u32> = None;
        let mut add = |b: &mut Builder, meter: &str, instance: Option<u32>, qty: Qty| {
            let instance = match instance {
                Some(x) => x,
                None => *plain.get_or_insert_with(|| b.instance(&uri, tags.as_deref(), None)),
            };
            let m = b.meter(meter, lower);
            let key = rng::hash(
                seed,
                &[
                    tag::QUANTITY,
                    i as u64,
                    r as u64,
                    b.slots.len() as u64 - slots_start as u64,
                ],
            );
            b.slots.push(Slot {
                meter: m,
                instance,
                key,
                qty,
            });
        };
        const MICRO: i64 = 1_000_000;
        match kind {
            Kind::Vm => {
                let &(size, cores) = rng.pick(meters::VM_SIZES);
                let os = rng.below(100);
                let (image, windows_meter) = if os < 40 {
                    (*rng.pick(meters::WINDOWS_IMAGES), true)
                } else if os < 60 {
                    (*rng.pick(meters::WINDOWS_IMAGES), false) // Hybrid Benefit
                } else {
                    (*rng.pick(meters::LINUX_IMAGES), false)
                };
                let info = format!("{{\"ServiceType\":\"{size}\",\"ImageType\":\"{image}\"}}");
                let inst = b.instance(&uri, tags.as_deref(), Some(&info));
                schedule = match rng.below(100) {
                    0..70 => Schedule::Always,
                    70..85 => Schedule::OfficeHours,
                    _ => Schedule::Outages {
                        key: rng::hash(seed, &[tag::SCHEDULE, i as u64, r as u64]),
                    },
                };
                add(
                    b,
                    meters::BASE_VM_SIZE_HOURS,
                    Some(inst),
                    Qty::Const(cores * MICRO),
                );
                if windows_meter {
                    add(
                        b,
                        meters::WINDOWS_VM_SIZE_HOURS,
                        Some(inst),
                        Qty::Const(cores * MICRO),
                    );
                }
                add(b, meters::VM_SIZE_HOURS, Some(inst), Qty::Const(MICRO));
            }
            Kind::Disk => {
                let premium = rng.chance(0.35);
                let &(size, standard_meter, premium_meter) = rng.pick(meters::DISK_SKUS);
                let used = size as f64 * (0.1 + 0.8 * rng.unit());
                add(
                    b,
                    if premium {
                        premium_meter
                    } else {
                        standard_meter
                    },
                    None,
                    Qty::Const(meters::to_micros(1.0 / meters::HOURS_PER_MONTH)),
                );
                add(
                    b,
                    if premium {
                        meters::ACTUAL_PREMIUM_DISK_SIZE
                    } else {
                        meters::ACTUAL_STANDARD_DISK_SIZE
                    },
                    None,
                    Qty::Drift {
                        base: used / meters::HOURS_PER_MONTH,
                        slope: rng.unit() * 0.0004,
                        noise: 0.0,
                    },
                );
            }
            Kind::Storage => {
                let growth = |rng: &mut Rng| (rng.unit() - 0.2) * 0.0003;
                let blob = rng.log_uniform(0.5, 800.0);
                let slope = growth(&mut rng);
                add(
                    b,
                    meters::BLOCK_BLOB_CAPACITY,
                    None,
                    Qty::Drift {
                        base: blob,
                        slope,
                        noise: 0.002,
                    },
                );
                let page = rng.chance(0.3).then(|| rng.log_uniform(30.0, 1000.0));
                if let Some(page) = page {
                    let slope = growth(&mut rng);
                    add(
                        b,
                        meters::PAGE_BLOB_CAPACITY,
                        None,
                        Qty::Drift {
                            base: page,
                            slope,
                            noise: 0.001,
                        },
                    );
                }
                let table = rng.chance(0.5);
                if table {
                    let base = rng.log_uniform(0.001, 5.0);
                    let slope = growth(&mut rng);
                    add(
                        b,
                        meters::TABLE_CAPACITY,
                        None,
                        Qty::Drift {
                            base,
                            slope,
                            noise: 0.004,
                        },
                    );
                }
                let queue = rng.chance(0.3);
                if queue {
                    let base = rng.log_uniform(0.0001, 0.5);
                    let slope = growth(&mut rng);
                    add(
                        b,
                        meters::QUEUE_CAPACITY,
                        None,
                        Qty::Drift {
                            base,
                            slope,
                            noise: 0.01,
                        },
                    );
                }
                let mean = rng.log_uniform(0.05, 30.0);
                add(
                    b,
                    meters::BLOB_TRANSACTIONS,
                    None,
                    Qty::Activity { mean, idle: 0.03 },
                );
                if table {
                    let mean = rng.log_uniform(0.01, 5.0);
                    add(
                        b,
                        meters::TABLE_TRANSACTIONS,
                        None,
                        Qty::Activity { mean, idle: 0.1 },
                    );
                }
                if queue {
                    let mean = rng.log_uniform(0.01, 5.0);
                    add(
                        b,
                        meters::QUEUE_TRANSACTIONS,
                        None,
                        Qty::Activity { mean, idle: 0.1 },
                    );
                }
                let mean = rng.log_uniform(0.001, 5.0);
                add(
                    b,
                    meters::BLOB_DATA_TRANS_IN,
                    None,
                    Qty::Activity { mean, idle: 0.2 },
                );
                let mean = rng.log_uniform(0.001, 8.0);
                add(
                    b,
                    meters::BLOB_DATA_TRANS_OUT,
                    None,
                    Qty::Activity { mean, idle: 0.15 },
                );
                if table {
                    let mean = rng.log_uniform(0.0001, 0.5);
                    add(
                        b,
                        meters::TABLE_DATA_TRANS_IN,
                        None,
                        Qty::Activity { mean, idle: 0.4 },
                    );
                    let mean = rng.log_uniform(0.0001, 0.5);
                    add(
                        b,
                        meters::TABLE_DATA_TRANS_OUT,
                        None,
                        Qty::Activity { mean, idle: 0.4 },
                    );
                }
                if queue {
                    let mean = rng.log_uniform(0.0001, 0.2);
                    add(
                        b,
                        meters::QUEUE_DATA_TRANS_IN,
                        None,
                        Qty::Activity { mean, idle: 0.5 },
                    );
                    let mean = rng.log_uniform(0.0001, 0.2);
                    add(
                        b,
                        meters::QUEUE_DATA_TRANS_OUT,
                        None,
                        Qty::Activity { mean, idle: 0.5 },
                    );
                }
            }
            Kind::PublicIp => {
                let meter = if rng.chance(0.6) {
                    meters::STATIC_IP
                } else {
                    meters::DYNAMIC_IP
                };
                add(b, meter, None, Qty::Const(MICRO));
            }
            Kind::Sql | Kind::MySql => {
                let mb = *rng.pick(&[1024i64, 2048, 3072, 4096, 5120, 8192, 10240]);
                let meter = if kind == Kind::Sql {
                    meters::SQL_DATABASE_SIZE
                } else {
                    meters::MYSQL_DATABASE_SIZE
                };
                add(b, meter, None, Qty::Const(mb * MICRO));
            }
            Kind::AppService => match rng.below(100) {
                0..15 => {
                    let apps = rng.range(1, 3);
                    add(
                        b,
                        meters::FREE_APP_SERVICE_HOURS,
                        None,
                        Qty::Const(apps * MICRO),
                    );
                }
                15..30 => {
                    let apps = rng.range(1, 4);
                    add(
                        b,
                        meters::SHARED_APP_SERVICE_HOURS,
                        None,
                        Qty::Const(apps * MICRO),
                    );
                }
                30..45 => {
                    // A Functions (consumption) plan.
                    let mean = rng.log_uniform(1.0, 5000.0);
                    add(
                        b,
                        meters::FUNCTIONS_REQUESTS,
                        None,
                        Qty::Activity { mean, idle: 0.1 },
                    );
                    let mean = rng.log_uniform(10.0, 20000.0);
                    add(
                        b,
                        meters::FUNCTIONS_COMPUTE,
                        None,
                        Qty::Activity { mean, idle: 0.1 },
                    );
                }
                _ => {
                    let &(tier_meter, cores) = rng.pick(meters::APP_SERVICE_TIERS);
                    let instances = rng.range(1, 4);
                    add(
                        b,
                        meters::APP_SERVICE,
                        None,
                        Qty::Const(instances * cores * MICRO),
                    );
                    add(b, tier_meter, None, Qty::Const(instances * MICRO));
                }
            },
            Kind::KeyVault => {
                let mean = rng.log_uniform(0.0005, 0.5);
                add(
                    b,
                    meters::KEY_VAULT_TRANSACTIONS,
                    None,
                    Qty::Activity { mean, idle: 0.25 },
                );
            }
            Kind::EventHub => {
                let units = rng.range(1, 2);
                // Always spelled the same, so that `Dataset::unknown_meter_id` matches rows exactly.
                let meter = b.meter(&b.unknown_meter.clone(), false);
                let instance = b.instance(&uri, tags.as_deref(), None);
                let key = rng::hash(seed, &[tag::QUANTITY, i as u64, r as u64, 0]);
                b.slots.push(Slot {
                    meter,
                    instance,
                    key,
                    qty: Qty::Const(units * MICRO),
                });
            }
        }
        let slots_len = b.slots.len() as u32 - slots_start;
        b.resources.push(Resource {
            sub: i as u32,
            kind,
            provider: kind.provider(),
            schedule,
            alive_from,
            alive_to,
            created_h,
            deleted_h,
            slots_start,
            slots_len,
            uri: uri.into_boxed_str(),
        });
    }
}
