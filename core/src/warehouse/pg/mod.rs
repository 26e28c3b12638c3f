//! The PostgreSQL store, for operators who sync many stamps into one database from several collectors:
//! connecting (`postgresql://` URLs), its error messages, and its schema's migrations. `write.rs` holds a
//! sync's writes (cursors, runs, windows, the cursor lease), `read.rs` the reads.
//!
//! Times are `timestamptz`, quantities `numeric` (exact; `sum` over it is exact too), tags and
//! additionalInfo `jsonb`, so the tables read naturally in SQL of the operator's own.

pub(crate) mod read;
mod schema;
pub(crate) mod write;

use std::cell::RefCell;
use std::str::FromStr;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, Config, NoTls};

use crate::error::{Error, Result};

/// How long connecting may take before it fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// One connection. In a `RefCell` because the `postgres` client needs `&mut` for every statement while the
/// store's reads take `&self`; nothing in this crate borrows it twice at once, and a second borrow would
/// be an error, not a panic.
pub(crate) struct PgStore {
    client: RefCell<Client>,
}

impl PgStore {
    /// The connection, for one statement or one sequence of them.
    pub(crate) fn client(&self) -> Result<std::cell::RefMut<'_, Client>> {
        self.client.try_borrow_mut().map_err(|_| Error::Store {
            message: "the PostgreSQL store's connection is already in use by another read of the same store handle (a bug in azs-billing)".to_string(),
            source: None,
        })
    }
}

/// Connects to the store at `url` (a libpq-style `postgresql://` URL) and brings its schema to this
/// library's version; with `create` false, a database azs-billing never wrote is `NotFound` instead.
/// Returns the store and how to name it in messages (never with the password).
pub(crate) fn open(url: &str, create: bool) -> Result<(PgStore, String)> {
    let mut config = Config::from_str(url.trim()).map_err(|e| {
        Error::invalid(
            "store",
            format!(
                "the PostgreSQL URL does not parse ({e}); give postgresql://USER@HOST:PORT/DATABASE (the password in PGPASSWORD, or in the URL)"
            ),
        )
    })?;
    if config.get_ssl_mode() == postgres::config::SslMode::Require {
        return Err(Error::invalid(
            "store",
            "sslmode=require: this build of azs-billing connects to PostgreSQL without TLS; connect over loopback, a Unix socket or an SSH tunnel, and give sslmode=disable or prefer",
        ));
    }
    if config.get_password().is_none() {
        if let Some(password) = std::env::var_os("PGPASSWORD").filter(|p| !p.is_empty()) {
            config.password(password.to_string_lossy().as_bytes());
        }
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("azs-billing");
    }
    // The server's notices ("relation already exists, skipping") are no news to an operator.
    config.notice_callback(|notice| {
        log::debug!("PostgreSQL {}: {}", notice.severity(), notice.message())
    });
    let location = describe(&config);
    let client = config
        .connect(NoTls)
        .map_err(pg_error(format!("connecting to the store {location}")))?;
    let store = PgStore {
        client: RefCell::new(client),
    };
    if !create && schema::version(&store, &format!("opening the store {location}"))? == 0 {
        return Err(Error::NotFound {
            message: format!(
                "store: there is no usage store in {location} (azs-billing never wrote to that database): name the store a sync wrote to, or sync into it first (Sync-AzsUsage, azsb_usage_sync)"
            ),
            service: None,
        });
    }
    schema::migrate(&store, &location)?;
    Ok((store, location))
}

/// The store's schema version.
pub(crate) fn schema_version(store: &PgStore, at: &str) -> Result<i64> {
    schema::version(store, at)
}

/// `postgresql://user@host:port/database`, without the password, for messages.
fn describe(config: &Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_string());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let database = config.get_dbname().unwrap_or_default();
    format!("postgresql://{user}{host}:{port}/{database}")
}

/// Maps a `postgres` error to a store error saying what was being done and, where the operator can fix
/// it, how. The server's messages name users and objects, never a password.
pub(crate) fn pg_error(message: impl Into<String>) -> impl FnOnce(postgres::Error) -> Error {
    let message = message.into();
    move |e| {
        // The crate's own text says only what kind of failure it was; the cause says what happened.
        let detail = match (e.as_db_error(), std::error::Error::source(&e)) {
            (Some(db), _) => format!("{}: {}", db.severity(), db.message()),
            (None, Some(cause)) => format!("{e}: {cause}"),
            (None, None) => e.to_string(),
        };
        crate::warehouse::store::store_failure(&message, &detail, fix_for(&e), Box::new(e))
    }
}

fn fix_for(e: &postgres::Error) -> Option<&'static str> {
    let Some(code) = e.code() else {
        if e.is_closed() || e.as_db_error().is_none() {
            return Some(
                "check that the PostgreSQL server runs and that the URL's host and port reach it (a sync keeps every window it committed)",
            );
        }
        return None;
    };
    Some(
        if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            "check the user and the password (PGPASSWORD or the URL) and the server's pg_hba.conf"
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            "create the database first (createdb), or name one that exists"
        } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
            "the user may not do this: grant it CREATE on the database (first use) and SELECT, INSERT, UPDATE on the store's tables"
        } else if *code == SqlState::READ_ONLY_SQL_TRANSACTION {
            "the server is read-only (a standby?): sync into the primary"
        } else if *code == SqlState::DISK_FULL {
            "the server's disk is full: free space and run the sync again; every committed window is kept"
        } else if *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
        {
            "another collector's transaction collided with this one: run the sync again"
        } else {
            return None;
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_is_named_without_its_password() {
        let config =
            Config::from_str("postgresql://billing:s3cret@db.example:6543/usage").expect("url");
        let shown = describe(&config);
        assert_eq!(shown, "postgresql://billing@db.example:6543/usage");
        assert!(!shown.contains("s3cret"));
    }

    #[test]
    fn bad_urls_are_refused_before_connecting_and_never_quoted() {
        for url in [
            "postgresql://u:s3cret@host:notaport/db",
            "postgresql://u:s3cret@h/db?sslmode=require",
        ] {
            let message = match open(url, true) {
                Err(Error::InvalidArgument { message, .. }) => message,
                Err(other) => panic!("{url}: expected InvalidArgument, got {other:?}"),
                Ok(_) => panic!("{url}: opened"),
            };
            assert!(!message.contains("s3cret"), "{message}");
        }
    }
}
