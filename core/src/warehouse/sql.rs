//! One SQL text for both stores: the reads (`filter.rs`, `read.rs`, `stored_rows.rs`) build their
//! statements once, and each store binds the values its own way. SQLite numbers its `?` placeholders
//! itself; PostgreSQL needs `$n`. SQLite keeps times as RFC 3339 text, PostgreSQL as `timestamptz`.

use chrono::{DateTime, Utc};

use crate::warehouse::rows::time_text;

/// Which store a statement is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
}

/// A statement being built, with its values in placeholder order.
#[derive(Debug)]
pub(crate) struct Sql {
    pub dialect: Dialect,
    pub text: String,
    pub params: Vec<Param>,
}

impl Sql {
    pub fn new(dialect: Dialect, text: &str) -> Sql {
        Sql {
            dialect,
            text: text.to_string(),
            params: Vec::new(),
        }
    }

    /// Appends text that holds no placeholder.
    pub fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Appends a placeholder bound to `param`.
    pub fn bind(&mut self, param: Param) {
        self.params.push(param);
        match self.dialect {
            Dialect::Sqlite => self.text.push('?'),
            Dialect::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.params.len().to_string());
            }
        }
    }

    /// Appends `text`, binding each `?` in it to the next of `params`.
    pub fn push_bound(&mut self, text: &str, params: impl IntoIterator<Item = Param>) {
        let mut params = params.into_iter();
        for (i, part) in text.split('?').enumerate() {
            if i > 0 {
                if let Some(param) = params.next() {
                    self.bind(param);
                }
            }
            self.push(part);
        }
    }

    /// The exact sum of a quantity column: SQLite's registered `decimal_sum` over decimal text,
    /// PostgreSQL's own `sum` over `numeric` (exact as well).
    pub fn decimal_sum(&self, column: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("decimal_sum({column})"),
            Dialect::Postgres => format!("sum({column})"),
        }
    }

    /// A table function over a JSON object's members, with `key` and `value` (text) columns.
    pub fn json_members(&self, column: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("json_each({column})"),
            Dialect::Postgres => format!("jsonb_each_text({column})"),
        }
    }
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value};
        Ok(match self {
            Param::Text(text) => ToSqlOutput::from(text.as_str()),
            Param::Int(value) => ToSqlOutput::from(*value),
            Param::Time(time) => ToSqlOutput::Owned(Value::Text(time_text(*time))),
        })
    }
}

impl Param {
    /// The value as the `postgres` crate binds it.
    pub fn postgres(&self) -> &(dyn postgres::types::ToSql + Sync) {
        match self {
            Param::Text(text) => text,
            Param::Int(value) => value,
            Param::Time(time) => time,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_dialect() {
        for (dialect, expected) in [
            (Dialect::Sqlite, "a = ? AND b IN (?, ?)"),
            (Dialect::Postgres, "a = $1 AND b IN ($2, $3)"),
        ] {
            let mut sql = Sql::new(dialect, "a = ");
            sql.bind(Param::Int(1));
            sql.push_bound(
                " AND b IN (?, ?)",
                [Param::Text("x".into()), Param::Text("y".into())],
            );
            assert_eq!(sql.text, expected);
            assert_eq!(sql.params.len(), 3);
        }
    }
}
