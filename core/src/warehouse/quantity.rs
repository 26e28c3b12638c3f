//! Quantities as exact decimals. The record holds the service's number as the f64 nearest to it; printed
//! with Rust's shortest round-trip formatting (`{}`) it gives back the digits the service sent (`2.4`, not
//! `2.399999999999999911182158029987`), and those digits are what the store keeps, as a `Decimal`'s
//! canonical text. Sums are exact too: `decimal_sum`, an SQL aggregate over `Decimal`, adds the texts
//! without passing through floating point, so a month of hourly rows sums to the same digits in any order.

use std::str::FromStr;

use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// The decimal a record's quantity stands for: its shortest round-trip digits, exactly. A quantity with
/// more digits than a `Decimal` holds (28 significant, beyond any meter's) is an error rather than rounded.
pub fn quantity_decimal(quantity: f64) -> Result<Decimal> {
    let digits = format!("{quantity}");
    Decimal::from_str_exact(&digits)
        .map(|d| d.normalize())
        .map_err(|e| {
            Error::unexpected_from(
                format!("the usage quantity {digits} cannot be kept exactly as a decimal ({e})"),
                e,
            )
        })
}

/// The stored text of a quantity: no trailing zeros, so equal quantities are equal texts.
pub(crate) fn canonical(quantity: Decimal) -> String {
    quantity.normalize().to_string()
}

/// Reads a stored quantity back.
pub(crate) fn parse_stored(text: &str) -> Result<Decimal> {
    Decimal::from_str_exact(text).map_err(|e| Error::Store {
        message: format!("the stored quantity '{text}' is not a decimal"),
        source: Some(Box::new(e)),
    })
}

/// `decimal_sum(text)`: the exact sum of decimal texts (integers too; NULLs skipped), as decimal text, or
/// NULL over no rows, like SQL's `sum`. A REAL is refused: it would bring back the drift this avoids.
pub(crate) fn register_decimal_sum(connection: &rusqlite::Connection) -> rusqlite::Result<()> {
    connection.create_aggregate_function(
        "decimal_sum",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        DecimalSum,
    )
}

struct DecimalSum;

impl Aggregate<Decimal, Option<String>> for DecimalSum {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Decimal> {
        Ok(Decimal::ZERO)
    }

    fn step(&self, context: &mut Context<'_>, sum: &mut Decimal) -> rusqlite::Result<()> {
        let value = match context.get_raw(0) {
            ValueRef::Null => return Ok(()),
            ValueRef::Integer(i) => Decimal::from(i),
            ValueRef::Text(text) => std::str::from_utf8(text)
                .ok()
                .and_then(|t| Decimal::from_str(t.trim()).ok())
                .ok_or_else(|| {
                    user_error(format!(
                        "decimal_sum: '{}' is not a decimal",
                        String::from_utf8_lossy(text)
                    ))
                })?,
            ValueRef::Real(r) => {
                return Err(user_error(format!(
                    "decimal_sum: {r} is a floating-point value; store quantities as decimal text"
                )));
            }
            ValueRef::Blob(_) => return Err(user_error("decimal_sum: a blob is not a decimal")),
        };
        *sum = sum
            .checked_add(value)
            .ok_or_else(|| user_error("decimal_sum: the sum overflows a decimal"))?;
        Ok(())
    }

    fn finalize(
        &self,
        _: &mut Context<'_>,
        sum: Option<Decimal>,
    ) -> rusqlite::Result<Option<String>> {
        Ok(sum.map(canonical))
    }
}

fn user_error(message: impl Into<String>) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(message.into().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_keep_the_digits_sent() {
        assert_eq!(canonical(quantity_decimal(2.4).expect("2.4")), "2.4");
        assert_eq!(
            canonical(quantity_decimal(2.4000000000).expect("2.4")),
            "2.4"
        );
        assert_eq!(
            canonical(quantity_decimal(0.057865).expect("small")),
            "0.057865"
        );
        assert_eq!(canonical(quantity_decimal(4.0).expect("whole")), "4");
        assert_eq!(canonical(quantity_decimal(-0.0).expect("zero")), "0");
        assert_eq!(
            canonical(quantity_decimal(1e-7).expect("tiny")),
            "0.0000001"
        );
        assert!(quantity_decimal(1e300).is_err());
    }

    #[test]
    fn decimal_sum_is_exact_where_floats_drift() {
        let connection = rusqlite::Connection::open_in_memory().expect("memory");
        register_decimal_sum(&connection).expect("registered");
        connection
            .execute_batch(
                "CREATE TABLE q (v); INSERT INTO q VALUES ('0.1'), ('0.2'), (NULL), (3);",
            )
            .expect("rows");
        let exact: String = connection
            .query_row("SELECT decimal_sum(v) FROM q", [], |r| r.get(0))
            .expect("sum");
        assert_eq!(exact, "3.3");
        // SQLite's own sum compensates rounding, but a double cannot hold what a decimal text can.
        connection
            .execute_batch(
                "CREATE TABLE big (v); INSERT INTO big VALUES ('10000000000000000'), ('0.1');",
            )
            .expect("rows");
        let exact: String = connection
            .query_row("SELECT decimal_sum(v) FROM big", [], |r| r.get(0))
            .expect("sum");
        assert_eq!(exact, "10000000000000000.1");
        let float: f64 = connection
            .query_row("SELECT sum(CAST(v AS REAL)) FROM big", [], |r| r.get(0))
            .expect("float sum");
        assert_eq!(float, 1e16, "floating point loses the 0.1");
        let empty: Option<String> = connection
            .query_row("SELECT decimal_sum(v) FROM q WHERE 0", [], |r| r.get(0))
            .expect("empty");
        assert_eq!(empty, None);
        let refused =
            connection.query_row("SELECT decimal_sum(1.5)", [], |r| r.get::<_, String>(0));
        assert!(refused.is_err(), "{refused:?}");
        let refused =
            connection.query_row("SELECT decimal_sum('x')", [], |r| r.get::<_, String>(0));
        assert!(refused.is_err(), "{refused:?}");
    }
}
