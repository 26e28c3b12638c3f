//! Row enumeration: which hourly records a reported hour (or day) holds, in a fixed order, resumable from a
//! cursor, without materialising anything but the page being built.
//!
//! Hourly order: reported hour R, then subscription (in scope order), resource, meter slot, usage hour.
//! The usage hours reported at R are R-1-MAX_LAG .. R-1; position j in 0..SPAN stands for usage hour
//! R - SPAN + j, and bit j of a mask says whether that hour's record is reported at R.
//!
//! Daily order: reported day D, then subscription, resource, meter slot, usage day (D-1 before D); a daily
//! row sums the hourly records of one usage day reported during D.

use chrono::{DateTime, Utc};

use super::catalog::{PROVIDERS, Resource, Schedule, Slot};
use super::rng;
use super::{Cursor, Dataset, MAX_REPORT_LAG_HOURS, QueryTotals, UsageQuery, UsageRow};

/// Candidate usage hours per reported hour (lags 0..=MAX_REPORT_LAG_HOURS, plus the hour itself).
pub(crate) const SPAN: i64 = MAX_REPORT_LAG_HOURS + 1;
const SPAN_U: usize = SPAN as usize;

/// Cumulative lag distribution (percent): lag 0 in half of the hours, rarely the maximum.
const LAG_CDF: [u64; SPAN_U] = [50, 72, 84, 91, 95, 98, 100];

/// Cursor word 3 carries the granularity in its high half and the innermost position in its low half.
const HOURLY_TAG: u64 = 0x4855_0000_0000; // "HU"
const DAILY_TAG: u64 = 0x4455_0000_0000; // "DU"
const TAG_MASK: u64 = !0xFFFF_FFFF;

struct Resume {
    period: i64,
    res: usize,
    slot: usize,
    inner: u32,
}

#[inline]
fn ceil_div(a: i64, b: i64) -> i64 {
    -((-a).div_euclid(b))
}

/// Bits [lo, hi) of a `width`-bit mask for the hours [from, to) seen from `base`.
#[inline(always)]
fn range_mask(base: i64, from: i64, to: i64, width: i64) -> u32 {
    let lo = (from - base).clamp(0, width);
    let hi = (to - base).clamp(0, width);
    if hi <= lo {
        0
    } else {
        ((1u64 << hi) - (1u64 << lo)) as u32
    }
}

impl Dataset {
    #[inline]
    pub(crate) fn ts(&self, u: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(self.start_ts + u * 3600, 0).unwrap_or_default()
    }

    /// Reporting lag (hours) of the records of `provider` for usage hour `u`.
    #[inline]
    pub(crate) fn lag(&self, provider: usize, u: i64) -> i64 {
        let x = rng::at(self.cat.lag_keys[provider], u) % 100;
        LAG_CDF.iter().position(|&c| x < c).unwrap_or(SPAN_U - 1) as i64
    }

    /// Reported hour (relative to the data start) of the records of `provider` for usage hour `u`.
    #[inline]
    pub(crate) fn reported_hour(&self, provider: usize, u: i64) -> i64 {
        u + 1 + self.lag(provider, u)
    }

    #[inline]
    fn running(&self, schedule: Schedule, u: i64) -> bool {
        match schedule {
            Schedule::Always => true,
            Schedule::OfficeHours => !self.cal.is_weekend(u) && (7..19).contains(&u.rem_euclid(24)),
            Schedule::Outages { key } => rng::at(key, u.div_euclid(6)) % 100 >= 12,
        }
    }

    /// Whether `res` emits in usage hour `u` (lifetime, subscription deletion, VM schedule).
    #[cfg(test)]
    pub(crate) fn emits(&self, res: &Resource, u: i64) -> bool {
        u >= res.alive_from && u < res.alive_to && self.running(res.schedule, u)
    }

    /// `lag_mask` restricted to the hours the resource emits, over `width` hours from `base`.
    #[inline(always)]
    fn resource_mask(&self, res: &Resource, base: i64, width: i64, lag_mask: u32) -> u32 {
        let mut m = lag_mask & range_mask(base, res.alive_from, res.alive_to, width);
        if m != 0 && res.schedule != Schedule::Always {
            let mut x = m;
            while x != 0 {
                let j = x.trailing_zeros();
                x &= x - 1;
                if !self.running(res.schedule, base + j as i64) {
                    m &= !(1 << j);
                }
            }
        }
        m
    }

    /// Per provider: bit j set when usage hour R-SPAN+j is reported at hour R.
    fn hourly_lag_masks(&self, r: i64) -> [u32; PROVIDERS] {
        let base = r - SPAN;
        std::array::from_fn(|p| {
            let mut m = 0;
            for j in 0..SPAN {
                let u = base + j;
                if u >= 0 && u < self.hours && self.reported_hour(p, u) == r {
                    m |= 1 << j;
                }
            }
            m
        })
    }

    /// Per provider: (hours of day d-1 reported during day d, hours of day d reported during day d).
    fn daily_lag_masks(&self, d: i64) -> ([u32; PROVIDERS], [u32; PROVIDERS]) {
        let day_mask = |p: usize, day: i64| {
            let mut m = 0;
            for h in 0..24 {
                let u = day * 24 + h;
                if u >= 0 && u < self.hours && self.reported_hour(p, u).div_euclid(24) == d {
                    m |= 1 << h;
                }
            }
            m
        };
        (
            std::array::from_fn(|p| day_mask(p, d - 1)),
            std::array::from_fn(|p| day_mask(p, d)),
        )
    }

    #[inline(always)]
    fn slots_of(&self, res: &Resource) -> &[Slot] {
        &self.cat.slots[res.slots_start as usize..(res.slots_start + res.slots_len) as usize]
    }

    /// Sum of a slot's hourly quantities over the usage hours in `mask` (bit h = hour base + h).
    #[inline(always)]
    fn sum_mask(&self, slot: &Slot, base: i64, mut mask: u32) -> i64 {
        if let Some(q) = slot.qty.is_const() {
            return q * mask.count_ones() as i64;
        }
        let mut sum = 0;
        while mask != 0 {
            let h = mask.trailing_zeros();
            mask &= mask - 1;
            sum += slot.qty.eval(slot.key, base + h as i64, &self.cal);
        }
        sum
    }

    /// Reported hours [from, to) of an hourly query, relative to the data start.
    fn hourly_window(&self, q: &UsageQuery) -> (i64, i64) {
        if self.hours == 0 {
            return (0, 0);
        }
        let from = ceil_div(q.reported_start.timestamp() - self.start_ts, 3600).max(1);
        let to = ceil_div(q.reported_end.timestamp() - self.start_ts, 3600).min(self.hours + SPAN);
        (from, to)
    }

    /// Reported days [from, to) of a daily query, relative to the data start.
    fn daily_window(&self, q: &UsageQuery) -> (i64, i64) {
        if self.hours == 0 {
            return (0, 0);
        }
        let last_reported_hour = self.hours + SPAN - 1;
        let from = ceil_div(q.reported_start.timestamp() - self.start_ts, 86_400).max(0);
        let to = ceil_div(q.reported_end.timestamp() - self.start_ts, 86_400)
            .min(last_reported_hour.div_euclid(24) + 1);
        (from, to)
    }

    fn scope_subs(&self, q: &UsageQuery) -> &[u32] {
        match q.scope {
            super::SubscriptionScope::AllDirectTenants => &self.cat.direct_subs,
            super::SubscriptionScope::One(i) => self.cat.all_subs.get(i..=i).unwrap_or(&[]),
        }
    }

    fn sub_resources(&self, sub: usize) -> std::ops::Range<usize> {
        self.cat.sub_first_res[sub] as usize..self.cat.sub_first_res[sub + 1] as usize
    }

    fn encode(&self, tag: u64, period_origin: i64, r: &Resume) -> Cursor {
        Cursor([
            (period_origin + r.period) as u64,
            r.res as u64,
            r.slot as u64,
            tag | r.inner as u64,
        ])
    }

    /// Decodes a cursor into a resume point inside [from, to): `Err(())` when the cursor cannot belong to
    /// this query or points past its end, `Ok(None)` when it points before the window.
    fn decode(
        &self,
        c: Cursor,
        tag: u64,
        period_origin: i64,
        from: i64,
        to: i64,
    ) -> Result<Option<Resume>, ()> {
        if c.0[3] & TAG_MASK != tag {
            return Err(());
        }
        let period = (c.0[0] as i64).wrapping_sub(period_origin);
        if period >= to {
            return Err(());
        }
        if period < from {
            return Ok(None);
        }
        Ok(Some(Resume {
            period,
            res: usize::try_from(c.0[1]).unwrap_or(usize::MAX),
            slot: usize::try_from(c.0[2]).unwrap_or(usize::MAX),
            inner: (c.0[3] & 0xFFFF_FFFF).min(32) as u32,
        }))
    }

    /// Where to resume inside a period: (position in `subs`, first resource, first slot, first inner
    /// position). A resource outside the scope resumes at the next subscription of the scope.
    fn resume_point(&self, subs: &[u32], r: &Resume) -> (usize, usize, usize, u32) {
        let Some(res) = self.cat.resources.get(r.res) else {
            return (subs.len(), 0, 0, 0);
        };
        let p = subs.partition_point(|&s| s < res.sub);
        match subs.get(p) {
            Some(&s) if s == res.sub => (p, r.res, r.slot, r.inner),
            Some(&s) => (p, self.sub_resources(s as usize).start, 0, 0),
            None => (p, 0, 0, 0),
        }
    }

    /// Where a page starts: the first period of the window, or the period and position a cursor names.
    /// Err when the cursor belongs to another granularity or lies past the window.
    #[allow(clippy::type_complexity)]
    fn start_point(
        &self,
        subs: &[u32],
        from: Option<Cursor>,
        tag: u64,
        origin: i64,
        (lo, hi): (i64, i64),
    ) -> Result<(i64, Option<(usize, usize, usize, u32)>), ()> {
        match from {
            None => Ok((lo, None)),
            Some(c) => match self.decode(c, tag, origin, lo, hi)? {
                None => Ok((lo, None)),
                Some(p) => Ok((p.period, Some(self.resume_point(subs, &p)))),
            },
        }
    }

    pub(crate) fn page_hourly<'a>(
        &'a self,
        q: &UsageQuery,
        from: Option<Cursor>,
        limit: usize,
        out: &mut Vec<UsageRow<'a>>,
    ) -> Option<Cursor> {
        let subs = self.scope_subs(q);
        let (r_from, r_to) = self.hourly_window(q);
        let origin = self.start_ts.div_euclid(3600);
        let Ok((mut r, mut resume)) =
            self.start_point(subs, from, HOURLY_TAG, origin, (r_from, r_to))
        else {
            return None;
        };
        out.reserve(limit.min(4096));
        let mut emitted = 0usize;
        while r < r_to {
            let base = r - SPAN;
            let lag = self.hourly_lag_masks(r);
            let times: [DateTime<Utc>; SPAN_U + 1] =
                std::array::from_fn(|k| self.ts(base + k as i64));
            let (p0, g0, s0, j0) = resume.take().unwrap_or((0, usize::MAX, 0, 0));
            for (p, &sub) in subs.iter().enumerate().skip(p0) {
                let sub = sub as usize;
                let (alive_from, alive_to) = self.cat.sub_alive[sub];
                if alive_from >= r || alive_to <= base {
                    continue;
                }
                let range = self.sub_resources(sub);
                let g_begin = if p == p0 && g0 != usize::MAX {
                    g0
                } else {
                    range.start
                };
                for g in g_begin..range.end {
                    let res = &self.cat.resources[g];
                    let mask = self.resource_mask(res, base, SPAN, lag[res.provider as usize]);
                    if mask == 0 {
                        continue;
                    }
                    let (s_begin, mut j_begin) = if p == p0 && g == g0 { (s0, j0) } else { (0, 0) };
                    for (si, slot) in self.slots_of(res).iter().enumerate().skip(s_begin) {
                        let mut m = mask & u32::MAX.checked_shl(j_begin).unwrap_or(0);
                        j_begin = 0;
                        while m != 0 {
                            let j = m.trailing_zeros();
                            m &= m - 1;
                            let quantity = slot.qty.eval(slot.key, base + j as i64, &self.cal);
                            if quantity <= 0 {
                                continue;
                            }
                            if emitted == limit {
                                let at = Resume {
                                    period: r,
                                    res: g,
                                    slot: si,
                                    inner: j,
                                };
                                return Some(self.encode(HOURLY_TAG, origin, &at));
                            }
                            out.push(UsageRow {
                                subscription_id: &self.cat.sub_ids[sub],
                                meter_id: &self.cat.meter_ids[slot.meter as usize],
                                usage_start: times[j as usize],
                                usage_end: times[j as usize + 1],
                                quantity_micros: quantity,
                                instance_data: &self.cat.instances[slot.instance as usize],
                                instance_data_json: &self.cat.instances_json
                                    [slot.instance as usize],
                            });
                            emitted += 1;
                        }
                    }
                }
            }
            r += 1;
        }
        None
    }

    pub(crate) fn page_daily<'a>(
        &'a self,
        q: &UsageQuery,
        from: Option<Cursor>,
        limit: usize,
        out: &mut Vec<UsageRow<'a>>,
    ) -> Option<Cursor> {
        let subs = self.scope_subs(q);
        let (d_from, d_to) = self.daily_window(q);
        let origin = self.start_ts.div_euclid(86_400);
        let Ok((mut d, mut resume)) =
            self.start_point(subs, from, DAILY_TAG, origin, (d_from, d_to))
        else {
            return None;
        };
        out.reserve(limit.min(4096));
        let mut emitted = 0usize;
        while d < d_to {
            let (late, own) = self.daily_lag_masks(d);
            let bases = [(d - 1) * 24, d * 24];
            let times = [
                self.ts((d - 1) * 24),
                self.ts(d * 24),
                self.ts((d + 1) * 24),
            ];
            let (p0, g0, s0, k0) = resume.take().unwrap_or((0, usize::MAX, 0, 0));
            for (p, &sub) in subs.iter().enumerate().skip(p0) {
                let sub = sub as usize;
                let (alive_from, alive_to) = self.cat.sub_alive[sub];
                if alive_from >= bases[1] + 24 || alive_to <= bases[0] {
                    continue;
                }
                let range = self.sub_resources(sub);
                let g_begin = if p == p0 && g0 != usize::MAX {
                    g0
                } else {
                    range.start
                };
                for g in g_begin..range.end {
                    let res = &self.cat.resources[g];
                    let pv = res.provider as usize;
                    let masks = [
                        self.resource_mask(res, bases[0], 24, late[pv]),
                        self.resource_mask(res, bases[1], 24, own[pv]),
                    ];
                    if masks == [0, 0] {
                        continue;
                    }
                    let (s_begin, mut k_begin) = if p == p0 && g == g0 { (s0, k0) } else { (0, 0) };
                    for (si, slot) in self.slots_of(res).iter().enumerate().skip(s_begin) {
                        for k in (k_begin as usize).min(2)..2 {
                            if masks[k] == 0 {
                                continue;
                            }
                            let quantity = self.sum_mask(slot, bases[k], masks[k]);
                            if quantity <= 0 {
                                continue;
                            }
                            if emitted == limit {
                                let at = Resume {
                                    period: d,
                                    res: g,
                                    slot: si,
                                    inner: k as u32,
                                };
                                return Some(self.encode(DAILY_TAG, origin, &at));
                            }
                            out.push(UsageRow {
                                subscription_id: &self.cat.sub_ids[sub],
                                meter_id: &self.cat.meter_ids[slot.meter as usize],
                                usage_start: times[k],
                                usage_end: times[k + 1],
                                quantity_micros: quantity,
                                instance_data: &self.cat.instances[slot.instance as usize],
                                instance_data_json: &self.cat.instances_json
                                    [slot.instance as usize],
                            });
                            emitted += 1;
                        }
                        k_begin = 0;
                    }
                }
            }
            d += 1;
        }
        None
    }

    pub(crate) fn totals_hourly(&self, q: &UsageQuery) -> QueryTotals {
        let subs = self.scope_subs(q);
        let (r_from, r_to) = self.hourly_window(q);
        let mut t = QueryTotals::default();
        for r in r_from..r_to {
            let base = r - SPAN;
            let lag = self.hourly_lag_masks(r);
            for &sub in subs {
                let (alive_from, alive_to) = self.cat.sub_alive[sub as usize];
                if alive_from >= r || alive_to <= base {
                    continue;
                }
                for res in &self.cat.resources[self.sub_resources(sub as usize)] {
                    let mask = self.resource_mask(res, base, SPAN, lag[res.provider as usize]);
                    if mask == 0 {
                        continue;
                    }
                    for slot in self.slots_of(res) {
                        if let Some(qty) = slot.qty.is_const() {
                            let n = mask.count_ones();
                            t.rows += n as u64;
                            t.quantity_micros += (qty * n as i64) as i128;
                            continue;
                        }
                        let mut m = mask;
                        while m != 0 {
                            let j = m.trailing_zeros();
                            m &= m - 1;
                            let quantity = slot.qty.eval(slot.key, base + j as i64, &self.cal);
                            if quantity > 0 {
                                t.rows += 1;
                                t.quantity_micros += quantity as i128;
                            }
                        }
                    }
                }
            }
        }
        t
    }

    pub(crate) fn totals_daily(&self, q: &UsageQuery) -> QueryTotals {
        let subs = self.scope_subs(q);
        let (d_from, d_to) = self.daily_window(q);
        let mut t = QueryTotals::default();
        for d in d_from..d_to {
            let (late, own) = self.daily_lag_masks(d);
            let bases = [(d - 1) * 24, d * 24];
            for &sub in subs {
                let (alive_from, alive_to) = self.cat.sub_alive[sub as usize];
                if alive_from >= bases[1] + 24 || alive_to <= bases[0] {
                    continue;
                }
                for res in &self.cat.resources[self.sub_resources(sub as usize)] {
                    let pv = res.provider as usize;
                    let masks = [
                        self.resource_mask(res, bases[0], 24, late[pv]),
                        self.resource_mask(res, bases[1], 24, own[pv]),
                    ];
                    if masks == [0, 0] {
                        continue;
                    }
                    for slot in self.slots_of(res) {
                        for k in 0..2 {
                            if masks[k] == 0 {
                                continue;
                            }
                            let quantity = self.sum_mask(slot, bases[k], masks[k]);
                            if quantity > 0 {
                                t.rows += 1;
                                t.quantity_micros += quantity as i128;
                            }
                        }
                    }
                }
            }
        }
        t
    }
}
