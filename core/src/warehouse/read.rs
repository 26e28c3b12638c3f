//! Reading a store: where each cursor stands, and exact sums of usage by period, subscription and meter.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::usage::{Granularity, UsageApi};
use crate::warehouse::cursor::parse_time;
use crate::warehouse::filter::{RowFilter, newest_owners};
use crate::warehouse::quantity::parse_stored;
use crate::warehouse::rows::time_text;
use crate::warehouse::sql::{Param, Sql};
use crate::warehouse::store::{Store, store_error};

/// A cursor as `sync_state` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorState {
    /// The cursor's row id, which runs and rows refer to.
    pub id: i64,
    /// The stamp the cursor syncs.
    pub stamp: String,
    /// The provider or the tenant usage API.
    pub api: UsageApi,
    /// The subscription the usage is read under.
    pub subscription: String,
    /// One direct tenant (provider API), or None for all of them.
    pub subscriber: Option<String>,
    /// Daily or hourly records.
    pub granularity: Granularity,
    /// Reported time of the cursor's first window.
    pub start_time: DateTime<Utc>,
    /// Every reported window before this is committed.
    pub watermark: DateTime<Utc>,
    /// Rows stored under the cursor.
    pub rows: u64,
    /// When the last run began; None before the first run.
    pub last_run_started: Option<DateTime<Utc>>,
    /// When the last run ended; None while it runs or when it died.
    pub last_run_finished: Option<DateTime<Utc>>,
    /// The last run's error; None when it succeeded.
    pub last_error: Option<String>,
}

/// The length of an aggregate's periods, in the query's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Period {
    /// A local calendar day.
    #[default]
    Day,
    /// A local calendar month.
    Month,
}

/// Usage by usage time. A row counts in the period its `usage_start` falls in (a daily row is not split
/// across a zone's day boundary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateQuery {
    /// Usage time, inclusive.
    pub from: DateTime<Utc>,
    /// Usage time, exclusive.
    pub to: DateTime<Utc>,
    /// Days or months.
    pub period: Period,
    /// IANA zone ("Europe/Berlin") whose local days and months are the periods; None: UTC.
    pub time_zone: Option<String>,
    /// Which cursors' rows: hourly and daily rows of the same usage are the same usage twice.
    pub granularity: Granularity,
    /// Which rows of those: subscription, owner, meter, category, resource group and type, tag.
    pub filter: RowFilter,
}

/// The usage of one meter and subscription in one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateRow {
    /// The period's first local day.
    pub period: NaiveDate,
    /// When the period begins, as a UTC time.
    pub period_start: DateTime<Utc>,
    /// The subscription the usage is of.
    pub subscription_id: String,
    /// The meter id, lower case without hyphens.
    pub meter_id_normalized: String,
    /// From the meter catalogue; None for a meter it does not have.
    pub meter_name: Option<String>,
    /// The meter's unit from the catalogue (`GB-Hours`, ...).
    pub unit: Option<String>,
    /// The exact sum of the rows' quantities.
    pub quantity: Decimal,
    /// How many stored rows were summed.
    pub rows: u64,
}

fn api_of(text: &str) -> Result<UsageApi> {
    match text {
        "provider" => Ok(UsageApi::Provider),
        "tenant" => Ok(UsageApi::Tenant),
        other => Err(corrupt(format!("the cursor API '{other}' is unknown"))),
    }
}

fn granularity_of(text: &str) -> Result<Granularity> {
    match text {
        "Hourly" => Ok(Granularity::Hourly),
        "Daily" => Ok(Granularity::Daily),
        other => Err(corrupt(format!(
            "the cursor granularity '{other}' is unknown"
        ))),
    }
}

fn corrupt(message: String) -> Error {
    Error::Store {
        message,
        source: None,
    }
}

fn optional_time(text: Option<String>) -> Result<Option<DateTime<Utc>>> {
    text.as_deref().map(parse_time).transpose()
}

/// The period `time` falls in, in `zone`: its first local day.
fn period_of(time: DateTime<Utc>, zone: Tz, period: Period) -> NaiveDate {
    let local = time.with_timezone(&zone).date_naive();
    match period {
        Period::Day => local,
        Period::Month => local.with_day(1).unwrap_or(local),
    }
}

/// When a local day begins in `zone`; where midnight does not exist (a DST gap), the first hour that does.
fn day_start(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..4)
        .find_map(|hour| {
            zone.from_local_datetime(&(midnight + chrono::Duration::hours(hour)))
                .earliest()
        })
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

/// The columns `sync_state` reads, in [`CursorState`]'s order.
pub(crate) const CURSOR_COLUMNS: &str = "SELECT id, stamp, api, subscription, subscriber, granularity,
    start_time, watermark, rows, last_run_started, last_run_finished, last_error FROM cursors ORDER BY id";

/// A cursor's stored columns, with its API and granularity as text, into a [`CursorState`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn cursor_state(
    (id, stamp, api, subscription, subscriber, granularity): (
        i64,
        String,
        String,
        String,
        String,
        String,
    ),
    start_time: DateTime<Utc>,
    watermark: DateTime<Utc>,
    rows: i64,
    last_run_started: Option<DateTime<Utc>>,
    last_run_finished: Option<DateTime<Utc>>,
    last_error: Option<String>,
) -> Result<CursorState> {
    Ok(CursorState {
        id,
        stamp,
        api: api_of(&api)?,
        subscription,
        subscriber: Some(subscriber).filter(|s| !s.is_empty()),
        granularity: granularity_of(&granularity)?,
        start_time,
        watermark,
        rows: rows.max(0) as u64,
        last_run_started,
        last_run_finished,
        last_error,
    })
}

/// The cursors of a SQLite store.
pub(crate) fn sqlite_sync_state(connection: &rusqlite::Connection) -> Result<Vec<CursorState>> {
    let at = "reading the sync cursors";
    let mut statement = connection
        .prepare(CURSOR_COLUMNS)
        .map_err(store_error(at))?;
    type Raw = (
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let raw: Vec<Raw> = statement
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
                r.get(10)?,
                r.get(11)?,
            ))
        })
        .and_then(Iterator::collect)
        .map_err(store_error(at))?;
    raw.into_iter()
        .map(|r| {
            cursor_state(
                (r.0, r.1, r.2, r.3, r.4, r.5),
                parse_time(&r.6)?,
                parse_time(&r.7)?,
                r.8,
                optional_time(r.9)?,
                optional_time(r.10)?,
                r.11,
            )
        })
        .collect()
}

/// One usage hour's sum: usage start, subscription, meter, exact quantity, rows.
pub(crate) type HourSum = (DateTime<Utc>, String, String, Decimal, i64);

/// The hour sums of a SQLite store (`decimal_sum` answers decimal text).
pub(crate) fn sqlite_hour_sums(
    connection: &rusqlite::Connection,
    sql: &Sql,
) -> Result<Vec<HourSum>> {
    let at = "summing usage";
    let mut statement = connection.prepare(&sql.text).map_err(store_error(at))?;
    let hours: Vec<(String, String, String, String, i64)> = statement
        .query_map(rusqlite::params_from_iter(&sql.params), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .and_then(Iterator::collect)
        .map_err(store_error(at))?;
    hours
        .into_iter()
        .map(|(start, subscription, meter, quantity, rows)| {
            Ok((
                parse_time(&start)?,
                subscription,
                meter,
                parse_stored(&quantity)?,
                rows,
            ))
        })
        .collect()
}

impl Store {
    /// Every cursor: watermark, rows, last run, last error.
    pub fn sync_state(&self) -> Result<Vec<CursorState>> {
        self.cursor_states()
    }

    /// Usage summed exactly by period × subscription × meter, ordered by period, subscription and meter.
    /// SQL sums each usage hour exactly; the hours are then put into the zone's periods here, since SQLite
    /// knows no IANA zones (and one code path serves both stores).
    pub fn aggregate(&self, query: &AggregateQuery) -> Result<Vec<AggregateRow>> {
        let zone: Tz = match query.time_zone.as_deref().map(str::trim) {
            None | Some("") => Tz::UTC,
            Some(name) => name.parse().map_err(|_| {
                Error::invalid(
                    "time_zone",
                    format!(
                        "{} is not an IANA time zone (e.g. \"Europe/Berlin\", \"Pacific/Auckland\", \"UTC\")",
                        crate::error::quoted(name)
                    ),
                )
            })?,
        };
        if query.from >= query.to {
            return Err(Error::invalid(
                "from",
                format!(
                    "{} is not before the end {}",
                    time_text(query.from),
                    time_text(query.to)
                ),
            ));
        }
        let mut sql = Sql::new(self.dialect(), "");
        let sum = sql.decimal_sum("r.quantity");
        sql.push(&format!(
            "SELECT r.usage_start, r.subscription_id, r.meter_id_normalized, {sum}, count(*)
             FROM usage_rows r JOIN cursors c ON c.id = r.cursor_id"
        ));
        sql.push_bound(
            " WHERE c.granularity = ? AND r.usage_start >= ? AND r.usage_start < ?",
            [
                Param::Text(query.granularity.as_str().to_string()),
                Param::Time(query.from),
                Param::Time(query.to),
            ],
        );
        query.filter.push_sql(|| newest_owners(self), &mut sql)?;
        sql.push(" GROUP BY r.usage_start, r.subscription_id, r.meter_id_normalized");
        let mut sums: BTreeMap<(NaiveDate, String, String), (Decimal, u64)> = BTreeMap::new();
        for (usage_start, subscription, meter, quantity, rows) in self.hour_sums(&sql)? {
            let period = period_of(usage_start, zone, query.period);
            let sum = sums.entry((period, subscription, meter)).or_default();
            sum.0 = sum
                .0
                .checked_add(quantity)
                .ok_or_else(|| corrupt("the usage sum overflows a decimal".to_string()))?;
            sum.1 += rows.max(0) as u64;
        }
        Ok(sums
            .into_iter()
            .map(
                |((period, subscription_id, meter_id_normalized), (quantity, rows))| {
                    let meter = crate::meters::lookup(&meter_id_normalized);
                    AggregateRow {
                        period,
                        period_start: day_start(period, zone),
                        subscription_id,
                        meter_name: meter.map(|m| m.name.clone()),
                        unit: meter.map(|m| m.unit.clone()),
                        meter_id_normalized,
                        quantity: quantity.normalize(),
                        rows,
                    }
                },
            )
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("time")
    }

    #[test]
    fn periods_follow_the_zone() {
        let auckland: Tz = "Pacific/Auckland".parse().expect("zone");
        // 2026-01-05T12:00Z is already the 6th in Auckland (UTC+13 in January).
        assert_eq!(
            period_of(utc("2026-01-05T12:00:00Z"), auckland, Period::Day),
            NaiveDate::from_ymd_opt(2026, 1, 6).expect("date")
        );
        assert_eq!(
            period_of(utc("2026-01-05T10:00:00Z"), auckland, Period::Day),
            NaiveDate::from_ymd_opt(2026, 1, 5).expect("date")
        );
        assert_eq!(
            period_of(utc("2026-01-31T12:00:00Z"), auckland, Period::Month),
            NaiveDate::from_ymd_opt(2026, 2, 1).expect("date")
        );
        assert_eq!(
            day_start(NaiveDate::from_ymd_opt(2026, 1, 6).expect("date"), auckland),
            utc("2026-01-05T11:00:00Z")
        );
        // Havana skips midnight on its spring-forward day (2026-03-08): the day begins at 01:00 local.
        let havana: Tz = "America/Havana".parse().expect("zone");
        assert_eq!(
            day_start(NaiveDate::from_ymd_opt(2026, 3, 8).expect("date"), havana),
            utc("2026-03-08T05:00:00Z")
        );
    }
}
