//! Reads of a PostgreSQL store: the statements `read.rs`, `filter.rs` and `stored_rows.rs` build, run with
//! PostgreSQL's own types.

use postgres::Row;

use crate::error::Result;
use crate::warehouse::filter::OWNER_PAIRS;
use crate::warehouse::pg::{PgStore, pg_error};
use crate::warehouse::read::{CURSOR_COLUMNS, CursorState, HourSum, cursor_state};
use crate::warehouse::sql::{Param, Sql};
use crate::warehouse::stored_rows::RowColumns;

fn query(store: &PgStore, sql: &Sql, at: &str) -> Result<Vec<Row>> {
    let params: Vec<_> = sql.params.iter().map(Param::postgres).collect();
    store
        .client()?
        .query(sql.text.as_str(), &params)
        .map_err(pg_error(at))
}

pub(crate) fn cursor_states(store: &PgStore) -> Result<Vec<CursorState>> {
    let at = "reading the sync cursors";
    let rows = store
        .client()?
        .query(CURSOR_COLUMNS, &[])
        .map_err(pg_error(at))?;
    rows.iter()
        .map(|r| {
            let get = pg_error(at);
            let values = (|| {
                Ok::<_, postgres::Error>((
                    (
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                        r.try_get(5)?,
                    ),
                    r.try_get(6)?,
                    r.try_get(7)?,
                    r.try_get(8)?,
                    r.try_get(9)?,
                    r.try_get(10)?,
                    r.try_get(11)?,
                ))
            })()
            .map_err(get)?;
            cursor_state(
                values.0, values.1, values.2, values.3, values.4, values.5, values.6,
            )
        })
        .collect()
}

pub(crate) fn owner_pairs(store: &PgStore) -> Result<Vec<(String, String)>> {
    let at = "reading the stored tenant lists";
    let rows = store
        .client()?
        .query(OWNER_PAIRS, &[])
        .map_err(pg_error(at))?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<std::result::Result<_, postgres::Error>>()
        .map_err(pg_error(at))
}

pub(crate) fn hour_sums(store: &PgStore, sql: &Sql) -> Result<Vec<HourSum>> {
    let at = "summing usage";
    query(store, sql, at)?
        .iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
            ))
        })
        .collect::<std::result::Result<_, postgres::Error>>()
        .map_err(pg_error(at))
}

pub(crate) fn row_batch(store: &PgStore, sql: &Sql) -> Result<Vec<RowColumns>> {
    let at = "reading stored usage rows";
    query(store, sql, at)?
        .iter()
        .map(|r| {
            Ok(RowColumns {
                id: r.try_get(0)?,
                cursor_id: r.try_get(1)?,
                reported_start: r.try_get(2)?,
                reported_end: r.try_get(3)?,
                subscription_id: r.try_get(4)?,
                meter_id: r.try_get(5)?,
                meter_id_normalized: r.try_get(6)?,
                usage_start: r.try_get(7)?,
                usage_end: r.try_get(8)?,
                quantity: r.try_get(9)?,
                resource: [
                    r.try_get(10)?,
                    r.try_get(11)?,
                    r.try_get(12)?,
                    r.try_get(13)?,
                    r.try_get(14)?,
                    r.try_get(15)?,
                ],
                tags: r.try_get(16)?,
                additional_info: r.try_get(17)?,
                vm_size: r.try_get(18)?,
                record_id: r.try_get(19)?,
            })
        })
        .collect::<std::result::Result<_, postgres::Error>>()
        .map_err(pg_error(at))
}
