use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use uuid::Uuid;

use super::catalog::Kind;
use super::meters;
use super::*;

const DOMAIN: &str = "contoso.onmicrosoft.com";

fn default_provider() -> Uuid {
    Uuid::parse_str("8a9b3b6c-1f2e-4d3c-9b8a-7f6e5d4c3b2a").unwrap()
}

fn config(seed: u64, subscriptions: u32, resources: u32, days: u32) -> DatasetConfig {
    DatasetConfig {
        seed,
        subscriptions,
        resources_per_subscription: resources,
        days,
        start: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
        location: "local".to_string(),
        directory_tenant_id: Uuid::parse_str("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0").unwrap(),
        directory_domain: DOMAIN.to_string(),
        default_provider_subscription_id: default_provider(),
    }
}

/// An owned copy of a row, comparable and hashable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    sub: String,
    meter: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    quantity: i64,
    instance: String,
}

impl Row {
    fn of(r: &UsageRow<'_>) -> Row {
        Row {
            sub: r.subscription_id.to_string(),
            meter: r.meter_id.to_string(),
            start: r.usage_start,
            end: r.usage_end,
            quantity: r.quantity_micros,
            instance: r.instance_data.to_string(),
        }
    }

    fn resource_uri(&self) -> String {
        let v: serde_json::Value = serde_json::from_str(&self.instance).unwrap();
        v["Microsoft.Resources"]["resourceUri"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

fn hour(ds: &Dataset, h: i64) -> DateTime<Utc> {
    ds.usage_range().0 + TimeDelta::hours(h)
}

fn query(
    ds: &Dataset,
    from_h: i64,
    to_h: i64,
    granularity: Granularity,
    scope: SubscriptionScope,
) -> UsageQuery {
    UsageQuery {
        reported_start: hour(ds, from_h),
        reported_end: hour(ds, to_h),
        granularity,
        scope,
    }
}

/// The whole reported range of the data set (midnight-aligned, so valid for both granularities).
fn everything(ds: &Dataset, granularity: Granularity, scope: SubscriptionScope) -> UsageQuery {
    let days = ds.config().days as i64;
    query(ds, 0, (days + 1) * 24, granularity, scope)
}

fn all_rows(ds: &Dataset, q: &UsageQuery) -> Vec<Row> {
    let mut out = Vec::new();
    let next = ds.page(q, None, usize::MAX, &mut out);
    assert_eq!(next, None);
    out.iter().map(Row::of).collect()
}

fn paged_rows(ds: &Dataset, q: &UsageQuery, page_size: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let mut out = Vec::new();
        let next = ds.page(q, cursor, page_size, &mut out);
        assert!(out.len() <= page_size);
        if next.is_some() {
            assert_eq!(out.len(), page_size, "only the last page may be short");
        }
        rows.extend(out.iter().map(Row::of));
        pages += 1;
        assert!(pages < 1_000_000);
        match next {
            Some(c) => cursor = Some(c),
            None => return rows,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// A brute-force model of the same data: every hourly record, enumerated usage hour by usage hour.

struct Record {
    sub: usize,
    res: usize,
    slot: usize,
    u: i64,
    reported: i64,
    quantity: i64,
}

fn records(ds: &Dataset) -> Vec<Record> {
    let mut recs = Vec::new();
    for (g, res) in ds.cat.resources.iter().enumerate() {
        let slots =
            &ds.cat.slots[res.slots_start as usize..(res.slots_start + res.slots_len) as usize];
        for (si, slot) in slots.iter().enumerate() {
            for u in 0..ds.hours {
                if !ds.emits(res, u) {
                    continue;
                }
                let quantity = slot.qty.eval(slot.key, u, &ds.cal);
                if quantity > 0 {
                    let reported = ds.reported_hour(res.provider as usize, u);
                    recs.push(Record {
                        sub: res.sub as usize,
                        res: g,
                        slot: si,
                        u,
                        reported,
                        quantity,
                    });
                }
            }
        }
    }
    recs
}

fn model_row(ds: &Dataset, rec: &Record, start: i64, end: i64, quantity: i64) -> Row {
    let slot = &ds.cat.slots[ds.cat.resources[rec.res].slots_start as usize + rec.slot];
    Row {
        sub: ds.cat.sub_ids[rec.sub].to_string(),
        meter: ds.cat.meter_ids[slot.meter as usize].to_string(),
        start: hour(ds, start),
        end: hour(ds, end),
        quantity,
        instance: ds.cat.instances[slot.instance as usize].to_string(),
    }
}

fn in_scope(ds: &Dataset, scope: SubscriptionScope, sub: usize) -> bool {
    match scope {
        SubscriptionScope::AllDirectTenants => ds.is_direct_tenant(sub),
        SubscriptionScope::One(i) => i == sub,
    }
}

fn model_hourly(
    ds: &Dataset,
    recs: &[Record],
    from_h: i64,
    to_h: i64,
    scope: SubscriptionScope,
) -> Vec<Row> {
    let mut sel: Vec<&Record> = recs
        .iter()
        .filter(|r| r.reported >= from_h && r.reported < to_h && in_scope(ds, scope, r.sub))
        .collect();
    sel.sort_by_key(|r| (r.reported, r.sub, r.res, r.slot, r.u));
    sel.iter()
        .map(|r| model_row(ds, r, r.u, r.u + 1, r.quantity))
        .collect()
}

fn model_daily(
    ds: &Dataset,
    recs: &[Record],
    from_d: i64,
    to_d: i64,
    scope: SubscriptionScope,
) -> Vec<Row> {
    // (reported day, subscription, resource, slot, usage day) -> (sum, a record of the group)
    type Key = (i64, usize, usize, usize, i64);
    let mut groups: BTreeMap<Key, (i64, &Record)> = BTreeMap::new();
    for r in recs {
        let rd = r.reported.div_euclid(24);
        if rd >= from_d && rd < to_d && in_scope(ds, scope, r.sub) {
            groups
                .entry((rd, r.sub, r.res, r.slot, r.u.div_euclid(24)))
                .or_insert((0, r))
                .0 += r.quantity;
        }
    }
    groups
        .iter()
        .map(|(&(_, _, _, _, d), &(q, r))| model_row(ds, r, d * 24, d * 24 + 24, q))
        .collect()
}

// ---------------------------------------------------------------------------------------------------------

#[test]
fn dataset_format_quantity() {
    let cases = [
        (2_400_000, "2.4"),
        (1_370, "0.00137"),
        (3_000_000, "3"),
        (0, "0"),
        (-1_500_000, "-1.5"),
        (-500_000, "-0.5"),
        (1, "0.000001"),
        (123_456_789, "123.456789"),
        (10_000_000, "10"),
        (i64::MAX, "9223372036854.775807"),
        (i64::MIN, "-9223372036854.775808"),
    ];
    for (micros, text) in cases {
        let mut s = String::from("x");
        format_quantity(micros, &mut s);
        assert_eq!(s, format!("x{text}"), "{micros}");
        if micros.unsigned_abs() < 1 << 52 {
            assert_eq!(text.parse::<f64>().unwrap(), micros as f64 / 1e6);
        }
    }
}

#[test]
fn dataset_subscriptions_are_realistic() {
    let ds = Dataset::new(config(1, 20, 10, 7));
    let subs = ds.subscriptions();
    assert_eq!(subs.len(), 20);
    let (start, end) = ds.usage_range();
    assert_eq!(end - start, TimeDelta::days(7));
    assert_eq!(subs[0].state, SubscriptionState::Enabled);
    assert!(ds.is_direct_tenant(0));
    let ids: BTreeSet<Uuid> = subs.iter().map(|s| s.id).collect();
    assert_eq!(ids.len(), 20);
    for (i, s) in subs.iter().enumerate() {
        assert_eq!(ds.subscription_index(&s.id.to_string()), Some(i));
        assert_eq!(
            ds.subscription_index(&s.id.to_string().to_uppercase()),
            Some(i)
        );
        assert!(s.owner.ends_with(&format!("@{DOMAIN}")) && s.owner.len() > DOMAIN.len() + 3);
        assert!(!s.display_name.is_empty());
        assert_eq!(s.tenant_id, ds.config().directory_tenant_id);
        assert!(s.created <= start);
        let prefix = format!(
            "/subscriptions/{}/resourceGroups/",
            s.delegated_provider_subscription_id
        );
        assert!(s.offer_id.starts_with(&prefix), "{}", s.offer_id);
        assert!(
            s.offer_id
                .contains("/providers/Microsoft.Subscriptions.Admin/offers/")
        );
        assert_eq!(s.offer_id.split('/').count(), 9);
        match s.state {
            SubscriptionState::Deleted => {
                let d = s.deleted.unwrap();
                assert!(d > start && d < end);
                assert_eq!(d.timestamp() % 3600, 0);
                assert!(ds.is_direct_tenant(i));
            }
            _ => assert!(s.deleted.is_none()),
        }
    }
    let names: BTreeSet<&str> = subs.iter().map(|s| s.display_name.as_str()).collect();
    assert_eq!(names.len(), 20);
    let delegated: Vec<usize> = (0..20).filter(|&i| !ds.is_direct_tenant(i)).collect();
    assert_eq!(delegated.len(), 2);
    for &i in &delegated {
        assert_eq!(
            subs[i].delegated_provider_subscription_id,
            ds.delegated_provider_subscription_id()
        );
    }
    assert_ne!(ds.delegated_provider_subscription_id(), default_provider());
    assert_eq!(
        subs.iter()
            .filter(|s| s.state == SubscriptionState::Deleted)
            .count(),
        2
    );
    assert_eq!(
        subs.iter()
            .filter(|s| s.state == SubscriptionState::Disabled)
            .count(),
        1
    );
    assert_eq!(ds.subscription_index("not-a-guid"), None);
    assert_eq!(ds.subscription_index(&Uuid::nil().to_string()), None);
    assert_eq!(
        ds.subscription_index(&subs[3].id.simple().to_string()),
        None
    );

    // Small data sets: every subscription is an enabled direct tenant; at five, one of each role.
    let small = Dataset::new(config(3, 3, 4, 2));
    assert!(
        small
            .subscriptions()
            .iter()
            .all(|s| s.state == SubscriptionState::Enabled)
    );
    assert!((0..3).all(|i| small.is_direct_tenant(i)));
    for seed in 0..20 {
        let five = Dataset::new(config(seed, 5, 3, 2));
        let s = five.subscriptions();
        assert_eq!(s[0].state, SubscriptionState::Enabled);
        assert!(five.is_direct_tenant(0));
        assert_eq!((0..5).filter(|&i| !five.is_direct_tenant(i)).count(), 1);
        let deleted: Vec<usize> = (0..5)
            .filter(|&i| s[i].state == SubscriptionState::Deleted)
            .collect();
        assert_eq!(deleted.len(), 1);
        assert!(five.is_direct_tenant(deleted[0]));
    }
}

#[test]
fn dataset_resources_are_realistic() {
    let ds = Dataset::new(config(1, 20, 10, 7));
    let (start, end) = ds.usage_range();
    assert_eq!(ds.resource_count(), 200);
    let mut kinds = BTreeSet::new();
    let mut tagged = 0;
    let mut created_inside = 0;
    let mut deleted_inside = 0;
    for i in 0..20 {
        let sub = &ds.subscriptions()[i];
        for r in ds.resources(i) {
            kinds.insert(r.resource_type);
            let parts: Vec<&str> = r.resource_uri.split('/').collect();
            assert_eq!(parts.len(), 9, "{}", r.resource_uri);
            assert_eq!(parts[2], sub.id.to_string());
            assert_eq!(parts[3], "resourceGroups");
            assert!(parts[4].starts_with("rg-"));
            assert_eq!(format!("{}/{}", parts[6], parts[7]), r.resource_type);
            assert!(!parts[8].is_empty());
            assert!(r.emits_from <= r.emits_until);
            assert!(r.emits_from >= start && r.emits_until <= end);
            assert!(r.created <= r.emits_from || r.emits_from == r.emits_until);
            if r.created > start {
                created_inside += 1;
            }
            if let Some(d) = r.deleted {
                assert!(d > r.created && d < end);
                deleted_inside += 1;
            }
            if let Some(d) = sub.deleted {
                assert!(r.emits_until <= d);
            }
            assert!(!r.meter_ids.is_empty());
        }
    }
    for slot in &ds.cat.slots {
        let inst: serde_json::Value =
            serde_json::from_str(&ds.cat.instances[slot.instance as usize]).unwrap();
        if !inst["Microsoft.Resources"]["tags"].is_null() {
            tagged += 1;
        }
    }
    assert_eq!(kinds.len(), 9, "{kinds:?}");
    assert!(
        created_inside >= 10 && deleted_inside >= 10,
        "{created_inside} {deleted_inside}"
    );
    let share = tagged as f64 / ds.cat.slots.len() as f64;
    assert!((0.15..0.5).contains(&share), "{share}");
}

#[test]
fn dataset_is_deterministic() {
    let a = Dataset::new(config(7, 12, 8, 3));
    let b = Dataset::new(config(7, 12, 8, 3));
    let c = Dataset::new(config(8, 12, 8, 3));
    for g in [Granularity::Hourly, Granularity::Daily] {
        let q = everything(&a, g, SubscriptionScope::AllDirectTenants);
        let ra = all_rows(&a, &q);
        assert!(ra.len() > 1000);
        assert_eq!(ra, all_rows(&b, &q));
        assert_ne!(ra, all_rows(&c, &q));
        assert_eq!(a.totals(&q), b.totals(&q));
    }
    let ids = |d: &Dataset| {
        d.subscriptions()
            .iter()
            .map(|s| (s.id, s.display_name.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&a), ids(&b));
    assert_ne!(ids(&a), ids(&c));
}

#[test]
fn dataset_matches_brute_force_model() {
    let ds = Dataset::new(config(11, 10, 7, 3));
    let recs = records(&ds);
    let scopes = [
        SubscriptionScope::AllDirectTenants,
        SubscriptionScope::One(0),
        SubscriptionScope::One(4),
    ];
    for scope in scopes {
        for (from_h, to_h) in [
            (0, 96),
            (0, 24),
            (13, 14),
            (30, 55),
            (70, 80),
            (72, 120),
            (-100, 1000),
        ] {
            let q = query(&ds, from_h, to_h, Granularity::Hourly, scope);
            assert_eq!(
                all_rows(&ds, &q),
                model_hourly(&ds, &recs, from_h, to_h, scope),
                "{scope:?} {from_h}..{to_h}"
            );
        }
        for (from_d, to_d) in [(0, 4), (0, 1), (1, 2), (2, 4), (3, 4), (4, 5), (-3, 9)] {
            let q = query(&ds, from_d * 24, to_d * 24, Granularity::Daily, scope);
            assert_eq!(
                all_rows(&ds, &q),
                model_daily(&ds, &recs, from_d, to_d, scope),
                "{scope:?} {from_d}..{to_d}"
            );
        }
    }
}

#[test]
fn dataset_paging_visits_every_row_once() {
    let ds = Dataset::new(config(5, 10, 8, 2));
    for g in [Granularity::Hourly, Granularity::Daily] {
        for scope in [
            SubscriptionScope::AllDirectTenants,
            SubscriptionScope::One(0),
        ] {
            let q = everything(&ds, g, scope);
            let all = all_rows(&ds, &q);
            assert!(all.len() > 30, "{}", all.len());
            let unique: BTreeSet<&Row> = all.iter().collect();
            assert_eq!(unique.len(), all.len(), "rows are distinct");
            for size in [1, 7, 1000] {
                assert_eq!(
                    paged_rows(&ds, &q, size),
                    all,
                    "{g:?} {scope:?} page size {size}"
                );
            }
        }
    }
    // Cursors from a window resume exactly; a zero limit returns the cursor of the first row.
    let q = everything(
        &ds,
        Granularity::Hourly,
        SubscriptionScope::AllDirectTenants,
    );
    let mut out = Vec::new();
    let c0 = ds.page(&q, None, 0, &mut out).unwrap();
    assert!(out.is_empty());
    assert_eq!(
        ds.page(&q, Some(c0), 5, &mut out),
        ds.page(&q, None, 5, &mut Vec::new())
    );
    // An empty window has no rows and no cursor.
    let empty = query(
        &ds,
        5 * 24,
        6 * 24,
        Granularity::Hourly,
        SubscriptionScope::AllDirectTenants,
    );
    assert_eq!(ds.page(&empty, None, 10, &mut out), None);
    assert_eq!(ds.totals(&empty), QueryTotals::default());
}

#[test]
fn dataset_foreign_cursors_do_not_panic() {
    let ds = Dataset::new(config(5, 10, 8, 2));
    let hourly = everything(&ds, Granularity::Hourly, SubscriptionScope::One(2));
    let daily = everything(&ds, Granularity::Daily, SubscriptionScope::One(2));
    let mut cursors = vec![
        Cursor([0; 4]),
        Cursor([u64::MAX; 4]),
        Cursor([u64::MAX, 0, 0, 0]),
        ds.page(&hourly, None, 3, &mut Vec::new()).unwrap(),
        ds.page(&daily, None, 3, &mut Vec::new()).unwrap(),
    ];
    let mut x = 12345u64;
    for _ in 0..200 {
        x = rng::mix(x);
        let base = cursors[(x % 5) as usize].0;
        let w = (x >> 8) as usize % 4;
        let mut c = base;
        c[w] = c[w].wrapping_add(rng::mix(x) % 50).wrapping_sub(25);
        cursors.push(Cursor(c));
    }
    let other = everything(
        &ds,
        Granularity::Hourly,
        SubscriptionScope::AllDirectTenants,
    );
    for c in cursors {
        for q in [&hourly, &daily, &other] {
            let mut out = Vec::new();
            let _ = ds.page(q, Some(c), 50, &mut out);
            assert!(out.len() <= 50);
        }
    }
}

#[test]
fn dataset_hourly_and_daily_agree() {
    let ds = Dataset::new(config(3, 12, 10, 6));
    let mut late = 0;
    for (from_d, to_d) in [(0, 1), (1, 2), (2, 5), (0, 7), (5, 7), (6, 7)] {
        let scope = SubscriptionScope::AllDirectTenants;
        let hq = query(&ds, from_d * 24, to_d * 24, Granularity::Hourly, scope);
        let dq = query(&ds, from_d * 24, to_d * 24, Granularity::Daily, scope);
        let hourly = all_rows(&ds, &hq);
        let daily = all_rows(&ds, &dq);
        let mut sums: BTreeMap<(String, String, String, DateTime<Utc>), i64> = BTreeMap::new();
        for r in &hourly {
            assert_eq!(r.end - r.start, TimeDelta::hours(1));
            if r.start < hq.reported_start {
                late += 1;
            }
            let day = r.start.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
            *sums
                .entry((r.sub.clone(), r.meter.clone(), r.instance.clone(), day))
                .or_default() += r.quantity;
        }
        let mut daily_sums = BTreeMap::new();
        for r in &daily {
            assert_eq!(r.end - r.start, TimeDelta::days(1));
            assert_eq!(r.start.timestamp() % 86_400, 0);
            let key = (r.sub.clone(), r.meter.clone(), r.instance.clone(), r.start);
            *daily_sums.entry(key).or_default() += r.quantity;
        }
        if to_d == from_d + 1 {
            // One reported day: one daily row per (subscription, meter, resource, usage day).
            assert_eq!(daily_sums.len(), daily.len());
        }
        assert_eq!(sums, daily_sums, "days {from_d}..{to_d}");
        let ht = ds.totals(&hq);
        let dt = ds.totals(&dq);
        assert_eq!(ht.quantity_micros, dt.quantity_micros);
        assert_eq!(ht.rows as usize, hourly.len());
        assert_eq!(dt.rows as usize, daily.len());
    }
    assert!(late > 0, "some rows are reported after their usage day");
    // A usage day split over two reported days gives two daily rows.
    let all = all_rows(
        &ds,
        &everything(&ds, Granularity::Daily, SubscriptionScope::AllDirectTenants),
    );
    let keys: BTreeSet<(&str, &str, &str, DateTime<Utc>)> = all
        .iter()
        .map(|r| {
            (
                r.sub.as_str(),
                r.meter.as_str(),
                r.instance.as_str(),
                r.start,
            )
        })
        .collect();
    assert!(keys.len() < all.len());
}

#[test]
fn dataset_totals_match_pages() {
    let ds = Dataset::new(config(9, 10, 10, 4));
    for g in [Granularity::Hourly, Granularity::Daily] {
        for scope in [
            SubscriptionScope::AllDirectTenants,
            SubscriptionScope::One(0),
            SubscriptionScope::One(3),
        ] {
            for (from_h, to_h) in [(0, 24 * 5), (24, 48), (48, 24 * 6)] {
                let q = query(&ds, from_h, to_h, g, scope);
                let rows = all_rows(&ds, &q);
                let t = ds.totals(&q);
                assert_eq!(t.rows as usize, rows.len());
                assert_eq!(
                    t.quantity_micros,
                    rows.iter().map(|r| r.quantity as i128).sum::<i128>()
                );
            }
        }
    }
    // Out-of-range scope: nothing.
    let q = everything(&ds, Granularity::Hourly, SubscriptionScope::One(999));
    assert_eq!(ds.totals(&q), QueryTotals::default());
    assert!(all_rows(&ds, &q).is_empty());
}

#[test]
fn dataset_scopes_and_lifetimes() {
    let ds = Dataset::new(config(1, 20, 10, 7));
    let subs = ds.subscriptions();
    let all = all_rows(
        &ds,
        &everything(
            &ds,
            Granularity::Hourly,
            SubscriptionScope::AllDirectTenants,
        ),
    );
    let seen: BTreeSet<&str> = all.iter().map(|r| r.sub.as_str()).collect();
    for (i, s) in subs.iter().enumerate() {
        assert_eq!(
            seen.contains(s.id.to_string().as_str()),
            ds.is_direct_tenant(i),
            "subscription {i}"
        );
    }
    let deleted = subs
        .iter()
        .position(|s| s.state == SubscriptionState::Deleted)
        .unwrap();
    assert!(seen.contains(subs[deleted].id.to_string().as_str()));

    let resources: BTreeMap<String, ResourceInfo<'_>> = (0..subs.len())
        .flat_map(|i| ds.resources(i))
        .map(|r| (r.resource_uri.to_string(), r))
        .collect();
    let mut per_sub_total = 0;
    for (i, sub) in subs.iter().enumerate() {
        let q = everything(&ds, Granularity::Hourly, SubscriptionScope::One(i));
        let rows = all_rows(&ds, &q);
        assert!(!rows.is_empty(), "every subscription has usage");
        if ds.is_direct_tenant(i) {
            per_sub_total += rows.len();
        }
        let id = sub.id.to_string();
        for r in &rows {
            assert_eq!(r.sub, id);
            let res = &resources[&r.resource_uri()];
            assert_eq!(res.subscription_index, i);
            assert!(
                r.start >= res.emits_from && r.end <= res.emits_until,
                "{r:?} {res:?}"
            );
            assert!(res.created <= r.start);
            if let Some(d) = res.deleted {
                assert!(r.end <= d);
            }
            if let Some(d) = sub.deleted {
                assert!(r.end <= d, "no usage after the subscription's deletion");
            }
        }
    }
    assert_eq!(per_sub_total, all.len());
}

#[test]
fn dataset_meter_ids_and_instance_data() {
    let ds = Dataset::new(config(1, 20, 10, 7));
    let q = everything(
        &ds,
        Granularity::Hourly,
        SubscriptionScope::AllDirectTenants,
    );
    let mut out = Vec::new();
    ds.page(&q, None, usize::MAX, &mut out);
    let known: BTreeSet<String> = meters::known_ids()
        .iter()
        .map(|m| m.to_ascii_lowercase())
        .collect();
    let vm_sizes: BTreeSet<&str> = meters::VM_SIZES.iter().map(|&(s, _)| s).collect();
    let vm_meters = [
        meters::BASE_VM_SIZE_HOURS,
        meters::WINDOWS_VM_SIZE_HOURS,
        meters::VM_SIZE_HOURS,
    ];
    let (mut hyphenless, mut lower, mut unknown, mut vm_rows) = (0, 0, 0, 0);
    let mut lowered_resources = BTreeSet::new();
    let mut resources = BTreeSet::new();
    for r in &out {
        let v: serde_json::Value = serde_json::from_str(r.instance_data).unwrap();
        let inner = &v["Microsoft.Resources"];
        let keys: Vec<&str> = inner
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        let mut sorted = vec!["resourceUri", "location", "tags", "additionalInfo"];
        sorted.sort();
        assert_eq!(keys, sorted);
        assert!(
            r.instance_data
                .starts_with("{\"Microsoft.Resources\":{\"resourceUri\":\"/subscriptions/")
        );
        let order = [
            "\"resourceUri\"",
            "\"location\"",
            "\"tags\"",
            "\"additionalInfo\"",
        ]
        .map(|k| r.instance_data.find(k).unwrap());
        assert!(order.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(inner["location"], "local");
        assert!(inner["tags"].is_null() || inner["tags"].is_object());
        let uri = inner["resourceUri"].as_str().unwrap();
        resources.insert(uri.to_string());
        assert!(r.quantity_micros > 0);

        if r.meter_id.len() == 32 {
            hyphenless += 1;
            assert!(
                r.meter_id.eq_ignore_ascii_case(meters::STATIC_IP)
                    || r.meter_id.eq_ignore_ascii_case(meters::DYNAMIC_IP)
            );
            assert!(uri.contains("/providers/Microsoft.Network/publicIPAddresses/"));
            assert_eq!(r.quantity_micros, 1_000_000);
        }
        let is_lower = r.meter_id.chars().any(|c| c.is_ascii_alphabetic())
            && !r.meter_id.chars().any(|c| c.is_ascii_uppercase());
        let csv_lower = meters::known_ids().contains(&r.meter_id);
        if is_lower && !csv_lower {
            lower += 1;
            lowered_resources.insert(uri.to_string());
        }
        if !known.contains(&r.meter_id.to_ascii_lowercase()) {
            unknown += 1;
            assert_eq!(r.meter_id, ds.unknown_meter_id());
            assert!(uri.contains("/providers/Microsoft.EventHub/clusters/"));
        }
        if vm_meters.iter().any(|m| m.eq_ignore_ascii_case(r.meter_id)) {
            vm_rows += 1;
            // What scripts do: additionalInfo.Split('"')[3] is the VM size.
            let info = inner["additionalInfo"]
                .as_str()
                .expect("VM rows carry additionalInfo as a string");
            let size = info.split('"').nth(3).unwrap();
            assert!(vm_sizes.contains(size), "{info}");
            let parsed: serde_json::Value = serde_json::from_str(info).unwrap();
            assert_eq!(parsed["ServiceType"], size);
            assert!(uri.contains("/providers/Microsoft.Compute/virtualMachines/"));
        } else {
            assert!(inner["additionalInfo"].is_null());
        }
    }
    assert!(
        hyphenless > 0 && lower > 0 && unknown > 0 && vm_rows > 0,
        "{hyphenless} {lower} {unknown} {vm_rows}"
    );
    let share = lowered_resources.len() as f64 / resources.len() as f64;
    assert!((0.03..0.3).contains(&share), "{share}");
    // Known ids are spelled as in meters.csv (or lower-cased); check against the reference when available.
    if let Ok(csv) = std::fs::read_to_string("/work/shared/reference/meters.csv") {
        let ids: BTreeSet<&str> = csv
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next())
            .collect();
        for id in meters::known_ids() {
            assert!(ids.contains(id), "{id} is not in meters.csv");
        }
        assert!(
            !ids.iter()
                .any(|i| i.eq_ignore_ascii_case(ds.unknown_meter_id()))
        );
    }
    // The other kinds' quantities.
    let disk_count = out
        .iter()
        .filter(|r| {
            meters::DISK_SKUS
                .iter()
                .any(|&(_, s, p)| r.meter_id == s || r.meter_id == p)
        })
        .count();
    assert!(disk_count > 0);
    assert!(
        out.iter()
            .filter(|r| meters::DISK_SKUS
                .iter()
                .any(|&(_, s, p)| r.meter_id == s || r.meter_id == p))
            .all(|r| r.quantity_micros == 1370)
    );
}

#[test]
fn dataset_vm_deallocation_and_activity_gaps() {
    // Some VMs are deallocated in some hours, and some activity meters are idle in some hours.
    let ds = Dataset::new(config(1, 20, 10, 7));
    let mut vm_gaps = 0;
    let mut activity_gaps = 0;
    for res in &ds.cat.resources {
        let live = (res.alive_from..res.alive_to).count();
        if res.kind == Kind::Vm {
            vm_gaps += (res.alive_from..res.alive_to)
                .filter(|&u| !ds.emits(res, u))
                .count();
        }
        for slot in
            &ds.cat.slots[res.slots_start as usize..(res.slots_start + res.slots_len) as usize]
        {
            if matches!(slot.qty, meters::Qty::Activity { .. }) {
                let active = (res.alive_from..res.alive_to)
                    .filter(|&u| slot.qty.eval(slot.key, u, &ds.cal) > 0)
                    .count();
                activity_gaps += live - active;
            }
        }
    }
    assert!(vm_gaps > 0 && activity_gaps > 0);
}

/// A configuration of more than 10 million hourly rows.
fn big_config() -> DatasetConfig {
    config(42, 200, 60, 31)
}

#[test]
fn dataset_big_catalogue_stays_small() {
    let ds = Dataset::new(big_config());
    assert_eq!(ds.resource_count(), 12_000);
    let bytes = ds.catalogue_bytes();
    assert!(bytes < 16 << 20, "{bytes} bytes");
    // The last reported day of a 31-day set, deep into the data, pages immediately.
    let last = query(
        &ds,
        31 * 24,
        32 * 24,
        Granularity::Hourly,
        SubscriptionScope::AllDirectTenants,
    );
    let mut out = Vec::new();
    let c = ds.page(&last, None, 1000, &mut out).unwrap();
    assert_eq!(out.len(), 1000);
    let mut more = Vec::new();
    ds.page(&last, Some(c), 1000, &mut more);
    assert_eq!(more.len(), 1000);
    assert!(more[0].usage_start >= out[999].usage_start - TimeDelta::hours(MAX_REPORT_LAG_HOURS));
    // One reported hour in the middle: its totals equal its pages.
    let mid = query(
        &ds,
        15 * 24 + 13,
        15 * 24 + 14,
        Granularity::Hourly,
        SubscriptionScope::AllDirectTenants,
    );
    let t = ds.totals(&mid);
    assert!(t.rows > 1000);
    assert_eq!(paged_rows(&ds, &mid, 1000).len() as u64, t.rows);
}

#[test]
fn dataset_ten_million_rows() {
    let ds = Dataset::new(big_config());
    let q = everything(
        &ds,
        Granularity::Hourly,
        SubscriptionScope::AllDirectTenants,
    );
    let t = ds.totals(&q);
    assert!(t.rows > 10_000_000, "{}", t.rows);
    // Page through a late part of the data: from a cursor obtained on day 20.
    let late = query(
        &ds,
        20 * 24,
        32 * 24,
        Granularity::Hourly,
        SubscriptionScope::AllDirectTenants,
    );
    let mut cursor = None;
    let mut rows = 0u64;
    let mut quantity = 0i128;
    loop {
        let mut out = Vec::with_capacity(1000);
        let next = ds.page(&late, cursor, 1000, &mut out);
        rows += out.len() as u64;
        quantity += out.iter().map(|r| r.quantity_micros as i128).sum::<i128>();
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(
        QueryTotals {
            rows,
            quantity_micros: quantity
        },
        ds.totals(&late)
    );
}

#[test]
#[ignore = "throughput measurement; run with --release -- --ignored --nocapture"]
fn dataset_throughput() {
    let ds = Dataset::new(big_config());
    let q = everything(
        &ds,
        Granularity::Hourly,
        SubscriptionScope::AllDirectTenants,
    );
    let t0 = std::time::Instant::now();
    let t = ds.totals(&q);
    let totals_s = t0.elapsed().as_secs_f64();
    let t0 = std::time::Instant::now();
    let mut cursor = None;
    let mut rows = 0u64;
    let mut out = Vec::with_capacity(1000);
    loop {
        out.clear();
        let next = ds.page(&q, cursor, 1000, &mut out);
        rows += out.len() as u64;
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let page_s = t0.elapsed().as_secs_f64();
    assert_eq!(rows, t.rows);
    let dq = everything(&ds, Granularity::Daily, SubscriptionScope::AllDirectTenants);
    let t0 = std::time::Instant::now();
    let dt = ds.totals(&dq);
    let daily_s = t0.elapsed().as_secs_f64();
    println!(
        "hourly rows {}: totals {:.0} rows/s, page(1000) {:.0} rows/s; daily rows {}: totals {:.0} rows/s; catalogue {} bytes",
        t.rows,
        t.rows as f64 / totals_s,
        rows as f64 / page_s,
        dt.rows,
        dt.rows as f64 / daily_s,
        ds.catalogue_bytes()
    );
}

#[test]
fn dataset_is_shareable_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Dataset>();
}
