//! Cursors: where each sync stands. One cursor per (stamp, API, subscription, subscriber, granularity);
//! its watermark is the reported time up to which every window is committed, moved in the same transaction
//! as the window's rows.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};
use crate::usage::{Granularity, UsageApi};
use crate::warehouse::rows::time_text;
use crate::warehouse::store::store_error;

/// What a cursor is the sync of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorKey {
    /// The stamp, as `SyncOptions::stamp` names it.
    pub stamp: String,
    /// The provider or the tenant usage API.
    pub api: UsageApi,
    /// The subscription the usage is read under.
    pub subscription: String,
    /// One direct tenant (provider API), or None for all of them (stored as '').
    pub subscriber: Option<String>,
    /// Daily or hourly records.
    pub granularity: Granularity,
}

/// A cursor as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub id: i64,
    pub start_time: DateTime<Utc>,
    pub watermark: DateTime<Utc>,
}

pub(crate) fn api_text(api: UsageApi) -> &'static str {
    match api {
        UsageApi::Provider => "provider",
        UsageApi::Tenant => "tenant",
    }
}

pub(crate) fn parse_time(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Store {
            message: format!("the stored time '{text}' is not an RFC 3339 time"),
            source: Some(Box::new(e)),
        })
}

/// The cursor of `key` in a SQLite store, created at `start` when absent ([`continued`] when present).
pub(crate) fn find_or_create(
    connection: &Connection,
    key: &CursorKey,
    start: DateTime<Utc>,
) -> Result<Cursor> {
    let subscriber = key.subscriber.clone().unwrap_or_default();
    let args = params![
        key.stamp,
        api_text(key.api),
        key.subscription,
        subscriber,
        key.granularity.as_str()
    ];
    let found: Option<(i64, String, String)> = connection
        .query_row(
            "SELECT id, start_time, watermark FROM cursors
             WHERE stamp = ?1 AND api = ?2 AND subscription = ?3 AND subscriber = ?4 AND granularity = ?5",
            args,
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(store_error("reading the sync cursor"))?;
    if let Some((id, start_time, watermark)) = found {
        let cursor = Cursor {
            id,
            start_time: parse_time(&start_time)?,
            watermark: parse_time(&watermark)?,
        };
        return continued(cursor, key, start);
    }
    connection
        .execute(
            "INSERT INTO cursors (stamp, api, subscription, subscriber, granularity, start_time, watermark)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![
                key.stamp,
                api_text(key.api),
                key.subscription,
                subscriber,
                key.granularity.as_str(),
                time_text(start)
            ],
        )
        .map_err(store_error("creating the sync cursor"))?;
    Ok(Cursor {
        id: connection.last_insert_rowid(),
        start_time: start,
        watermark: start,
    })
}

/// A stored cursor, continued by a sync from `start`: refused, naming both starts, when it began elsewhere
/// (its watermark means nothing for another start).
pub(crate) fn continued(cursor: Cursor, key: &CursorKey, start: DateTime<Utc>) -> Result<Cursor> {
    if cursor.start_time != start {
        return Err(Error::invalid(
            "start",
            format!(
                "the store's cursor for this {} {:?} sync began at {}, not {}; give start {} to continue it (a cursor's start never changes)",
                key.granularity.as_str(),
                key.api,
                time_text(cursor.start_time),
                time_text(start),
                time_text(cursor.start_time),
            ),
        ));
    }
    Ok(cursor)
}

/// Moves the watermark to `watermark` and adds `rows` to the cursor's count (inside the window's
/// transaction).
pub(crate) fn advance(
    connection: &Connection,
    cursor_id: i64,
    watermark: DateTime<Utc>,
    rows: u64,
) -> Result<()> {
    connection
        .execute(
            "UPDATE cursors SET watermark = ?2, rows = rows + ?3 WHERE id = ?1",
            params![cursor_id, time_text(watermark), rows as i64],
        )
        .map_err(store_error("advancing the sync cursor"))?;
    Ok(())
}

/// The cursor's watermark as stored now (inside a window's transaction: as this sync may move it).
pub(crate) fn watermark(connection: &Connection, cursor_id: i64) -> Result<DateTime<Utc>> {
    let text: String = connection
        .query_row(
            "SELECT watermark FROM cursors WHERE id = ?1",
            params![cursor_id],
            |r| r.get(0),
        )
        .map_err(store_error("reading the sync cursor's watermark"))?;
    parse_time(&text)
}
