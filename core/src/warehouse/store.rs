//! Opening a store: the URL, the connection's settings, and the schema migrations.

use std::path::PathBuf;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};
use crate::warehouse::pg::PgStore;
use crate::warehouse::{quantity, schema};

/// How long a write waits for another connection's transaction before failing (`busy_timeout`).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The accepted URL forms, for messages.
const ACCEPTED: &str = "sqlite:PATH (e.g. sqlite:/var/lib/azs-billing/usage.db or sqlite:usage.db), sqlite::memory:, or postgresql://USER@HOST:PORT/DATABASE";

/// A usage warehouse: one SQLite file or one PostgreSQL database, its schema at this library's version.
pub struct Store {
    pub(crate) backend: Backend,
    /// What was opened, for messages: the path, `:memory:`, or the PostgreSQL URL without its password.
    pub(crate) location: String,
}

/// The database behind a store.
pub(crate) enum Backend {
    Sqlite(Connection),
    Postgres(PgStore),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// Where a URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Location {
    File(PathBuf),
    Memory,
    Postgres,
}

fn parse_url(url: &str) -> Result<Location> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("postgresql://") || lower.starts_with("postgres://") {
        return Ok(Location::Postgres);
    }
    let Some(rest) = lower
        .starts_with("sqlite:")
        .then(|| &url["sqlite:".len()..])
    else {
        return Err(Error::invalid(
            "store",
            format!(
                "{} is not a store URL; use {ACCEPTED}",
                crate::error::quoted(url)
            ),
        ));
    };
    // `sqlite://PATH` is the form other tools write; `sqlite:///abs` is then an absolute path.
    let path = rest.strip_prefix("//").unwrap_or(rest);
    match path {
        "" => Err(Error::invalid(
            "store",
            format!("the store URL names no file; use {ACCEPTED}"),
        )),
        ":memory:" => Ok(Location::Memory),
        path => Ok(Location::File(PathBuf::from(path))),
    }
}

pub(crate) fn store_error(message: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> Error {
    let message = message.into();
    move |e| store_failure(&message, &e.to_string(), fix_for(&e), Box::new(e))
}

/// A store error: what was being done, what the database said, and the operator's fix when there is one.
pub(crate) fn store_failure(
    doing: &str,
    detail: &str,
    fix: Option<&str>,
    source: crate::error::BoxedSource,
) -> Error {
    let fix = fix.map(|fix| format!("; {fix}")).unwrap_or_default();
    Error::Store {
        message: format!("{doing}: {detail}{fix}"),
        source: Some(source),
    }
}

/// What to do about the SQLite failures an operator can fix; None for the rest (their text says enough,
/// or nothing an operator does would help).
fn fix_for(e: &rusqlite::Error) -> Option<&'static str> {
    use rusqlite::ErrorCode;
    let rusqlite::Error::SqliteFailure(failure, _) = e else {
        return None;
    };
    Some(match failure.code {
        ErrorCode::DiskFull => {
            "the disk holding the store (or its size limit) is full: free space and run the sync again; every committed window is kept"
        }
        ErrorCode::ReadOnly => {
            "the store cannot be written: give a store whose file and directory this user may write, or copy it somewhere it may"
        }
        ErrorCode::CannotOpen => {
            "check that the store's directory exists and that this user may create files in it"
        }
        ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
            "another connection held the store's write lock for longer than 30 seconds (a sync of the same store running elsewhere?): run one sync per store at a time, or try again when it ends"
        }
        ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => {
            "the file is not an intact SQLite store: name the store's file, or restore it from a backup"
        }
        _ => return None,
    })
}

/// The per-user store used when none is named, as a URL: `sqlite:` and `%LOCALAPPDATA%\azs-billing\usage.db`
/// on Windows, `$XDG_DATA_HOME/azs-billing/usage.db` (else `$HOME/.local/share/azs-billing/usage.db`)
/// elsewhere. An error when the environment names no such directory.
pub fn default_store_url() -> Result<String> {
    Ok(format!("sqlite:{}", default_store_path()?.display()))
}

fn default_store_path() -> Result<PathBuf> {
    default_store_path_from(|name| std::env::var_os(name), cfg!(windows))
}

/// [`default_store_path`] from an environment given as a lookup, so tests need not change the process's.
fn default_store_path_from(
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
    windows: bool,
) -> Result<PathBuf> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = if windows {
        var("LOCALAPPDATA")
    } else {
        var("XDG_DATA_HOME").or_else(|| var("HOME").map(|home| home.join(".local").join("share")))
    };
    let Some(base) = base else {
        let names = if windows {
            "LOCALAPPDATA"
        } else {
            "XDG_DATA_HOME and HOME"
        };
        return Err(Error::invalid(
            "store",
            format!("there is no default store: {names} are not set; name a store ({ACCEPTED})"),
        ));
    };
    Ok(base.join("azs-billing").join("usage.db"))
}

impl Store {
    /// Opens the per-user store ([`default_store_url`]), creating it and its directory when absent.
    pub fn open_default() -> Result<Store> {
        let path = default_store_path()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::Store {
                message: format!(
                    "creating the default store's directory {}: {e}",
                    dir.display()
                ),
                source: Some(Box::new(e)),
            })?;
        }
        Store::open(&format!("sqlite:{}", path.display()))
    }

    /// Opens the store at `url` to read it: as [`Store::open`], except that a SQLite file that does not
    /// exist, or a PostgreSQL database azs-billing never wrote, is `NotFound` instead of a new, empty store
    /// at a mistyped name.
    pub fn open_existing(url: &str) -> Result<Store> {
        let location = parse_url(url)?;
        if location == Location::Postgres {
            return Store::open_postgres(url, false);
        }
        if let Location::File(path) = location {
            if !path.is_file() {
                return Err(Error::NotFound {
                    message: format!(
                        "store: there is no usage store at {} (the file does not exist): name the store a sync wrote to, or sync into it first (Sync-AzsUsage, azsb_usage_sync)",
                        path.display()
                    ),
                    service: None,
                });
            }
        }
        Store::open(url)
    }

    /// Opens (creating it when absent) the store at `url` and brings its schema to this library's version.
    /// A store written by a newer library is refused, untouched. `postgresql://` URLs take libpq's form
    /// and parameters (`postgresql://billing@db.example:5432/usage?connect_timeout=10`); the password comes
    /// from the URL or, when it has none, from `PGPASSWORD`. The connection is not encrypted
    /// (`sslmode=require` is refused): reach the server over loopback, a Unix socket or a tunnel.
    pub fn open(url: &str) -> Result<Store> {
        let (mut connection, location) = match parse_url(url)? {
            Location::Postgres => return Store::open_postgres(url, true),
            Location::Memory => (
                Connection::open_in_memory().map_err(store_error("opening an in-memory store"))?,
                ":memory:".to_string(),
            ),
            Location::File(path) => {
                let shown = path.display().to_string();
                let connection = Connection::open(&path)
                    .map_err(store_error(format!("opening the store {shown}")))?;
                (connection, shown)
            }
        };
        configure(&connection, &location)?;
        migrate(&mut connection, &location)?;
        Ok(Store {
            backend: Backend::Sqlite(connection),
            location,
        })
    }

    fn open_postgres(url: &str, create: bool) -> Result<Store> {
        let (store, location) = crate::warehouse::pg::open(url, create)?;
        Ok(Store {
            backend: Backend::Postgres(store),
            location,
        })
    }

    /// The schema version of the open store (this library's, once opened).
    pub fn schema_version(&self) -> Result<i64> {
        let at = "reading the store's schema version";
        match &self.backend {
            Backend::Sqlite(connection) => connection
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(store_error(at)),
            Backend::Postgres(store) => crate::warehouse::pg::schema_version(store, at),
        }
    }

    /// What was opened, for messages: the file's path, `:memory:`, or the PostgreSQL URL without its
    /// password.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The store's URL for messages and reports, never with a password: `sqlite:PATH`, `sqlite::memory:`,
    /// or `postgresql://USER@HOST:PORT/DATABASE`.
    pub fn url(&self) -> String {
        match &self.backend {
            Backend::Sqlite(_) => format!("sqlite:{}", self.location),
            Backend::Postgres(_) => self.location.clone(),
        }
    }

    /// A SQLite store's connection, for reading with your own SQL (`decimal_sum` is registered on it); None
    /// for a PostgreSQL store.
    pub fn sqlite(&self) -> Option<&Connection> {
        match &self.backend {
            Backend::Sqlite(connection) => Some(connection),
            Backend::Postgres(_) => None,
        }
    }

    /// As [`Store::sqlite`], mutable (for transactions of your own).
    pub fn sqlite_mut(&mut self) -> Option<&mut Connection> {
        match &mut self.backend {
            Backend::Sqlite(connection) => Some(connection),
            Backend::Postgres(_) => None,
        }
    }

    /// A PostgreSQL store's connection, for SQL of your own; None for a SQLite store, and while an earlier
    /// answer of this call is still held. The store's own statements borrow it too: release it before
    /// calling the store again.
    pub fn postgres(&self) -> Option<std::cell::RefMut<'_, postgres::Client>> {
        match &self.backend {
            Backend::Sqlite(_) => None,
            Backend::Postgres(store) => store.client().ok(),
        }
    }
}

/// WAL so readers never block the sync's writer; a busy timeout so a second writer waits rather than
/// failing at once; foreign keys, which SQLite leaves off unless asked.
fn configure(c: &Connection, location: &str) -> Result<()> {
    let at = format!("configuring the store {location}");
    c.busy_timeout(BUSY_TIMEOUT).map_err(store_error(&at))?;
    c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
        .map_err(store_error(&at))?;
    c.pragma_update(None, "foreign_keys", true)
        .map_err(store_error(&at))?;
    quantity::register_decimal_sum(c).map_err(store_error(&at))?;
    Ok(())
}

/// Applies the migrations the store lacks, all in one transaction with the version they reach.
fn migrate(connection: &mut Connection, location: &str) -> Result<()> {
    let at = format!("migrating the store {location}");
    let newest = schema::current_version();
    // A store already at this version needs no write lock: opening it to read (sync state, sums) must
    // not wait for a sync that holds the lock while a window's pages arrive.
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(store_error(&at))?;
    if version == newest {
        return Ok(());
    }
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(store_error(&at))?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(store_error(&at))?;
    if version > newest {
        return Err(Error::Store {
            message: format!(
                "the store {} has schema version {version}, newer than this library's {newest}: it was written by a newer azs-billing; open it with that version or newer",
                location
            ),
            source: None,
        });
    }
    if version < 0 {
        return Err(Error::Store {
            message: format!(
                "the store {} has schema version {version}: it is not an azs-billing store",
                location
            ),
            source: None,
        });
    }
    for (index, migration) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(migration).map_err(store_error(format!(
            "{at}: migration to version {}",
            index + 1
        )))?;
    }
    tx.pragma_update(None, "user_version", newest)
        .map_err(store_error(&at))?;
    tx.commit().map_err(store_error(&at))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_store_follows_the_platform_data_directory() {
        use std::ffi::OsString;
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let at = |pairs, windows| super::default_store_path_from(env(pairs), windows);
        assert_eq!(
            at(&[("HOME", "/home/op")], false).expect("home"),
            PathBuf::from("/home/op/.local/share/azs-billing/usage.db")
        );
        assert_eq!(
            at(&[("HOME", "/home/op"), ("XDG_DATA_HOME", "/data")], false).expect("xdg"),
            PathBuf::from("/data/azs-billing/usage.db")
        );
        assert_eq!(
            at(&[("XDG_DATA_HOME", ""), ("HOME", "/h")], false).expect("empty xdg"),
            PathBuf::from("/h/.local/share/azs-billing/usage.db")
        );
        assert_eq!(
            at(&[("LOCALAPPDATA", "/appdata"), ("HOME", "/h")], true).expect("windows"),
            PathBuf::from("/appdata/azs-billing/usage.db")
        );
        let none = at(&[("HOME", "/h")], true).expect_err("no LOCALAPPDATA");
        assert!(none.to_string().contains("LOCALAPPDATA"), "{none}");
        assert!(
            at(&[], false)
                .expect_err("nothing")
                .to_string()
                .contains("name a store")
        );
    }

    use super::*;

    fn invalid(url: &str) -> String {
        match Store::open(url) {
            Err(Error::InvalidArgument { what, message }) => {
                assert_eq!(what, "store");
                message
            }
            other => panic!("{url}: expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn opening_a_current_store_does_not_wait_for_a_writer() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("u.db").display());
        let writer = Store::open(&url).expect("first open creates and migrates");
        writer
            .sqlite()
            .expect("sqlite")
            .execute_batch("BEGIN IMMEDIATE")
            .expect("the writer takes the write lock");
        let began = std::time::Instant::now();
        let reader = Store::open(&url).expect("a second open while the lock is held");
        assert!(reader.sync_state().expect("read").is_empty());
        assert!(
            began.elapsed() < BUSY_TIMEOUT / 2,
            "the open waited {:?} for the writer",
            began.elapsed()
        );
        writer
            .sqlite()
            .expect("sqlite")
            .execute_batch("ROLLBACK")
            .expect("release");
    }

    #[test]
    fn opening_an_existing_store_never_creates_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("missing.db");
        let error =
            Store::open_existing(&format!("sqlite:{}", path.display())).expect_err("missing");
        assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
        assert!(error.to_string().contains("no usage store"), "{error}");
        assert!(!path.exists());
        drop(Store::open(&format!("sqlite:{}", path.display())).expect("created"));
        assert!(Store::open_existing(&format!("sqlite:{}", path.display())).is_ok());
    }

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("sqlite:/tmp/u.db").expect("abs"),
            Location::File("/tmp/u.db".into())
        );
        assert_eq!(
            parse_url("SQLite:usage.db").expect("rel"),
            Location::File("usage.db".into())
        );
        assert_eq!(
            parse_url("sqlite:///tmp/u.db").expect("three slashes"),
            Location::File("/tmp/u.db".into())
        );
        assert_eq!(
            parse_url("sqlite::memory:").expect("memory"),
            Location::Memory
        );
        assert_eq!(
            parse_url("PostgreSQL://u@host/db").expect("pg"),
            Location::Postgres
        );
        assert_eq!(
            parse_url("postgres://host/db").expect("pg"),
            Location::Postgres
        );
        assert!(invalid("/tmp/u.db").contains("sqlite:PATH"));
        assert!(invalid("mysql://x").contains("sqlite:PATH"));
        assert!(invalid("sqlite:").contains("names no file"));
    }

    #[test]
    fn a_new_store_is_at_the_current_version() {
        let store = Store::open("sqlite::memory:").expect("store");
        assert_eq!(
            store.schema_version().expect("version"),
            schema::current_version()
        );
        let tables: i64 = store
            .sqlite()
            .expect("sqlite")
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('cursors', 'usage_rows', 'sync_runs', 'tenant_snapshots')",
                [],
                |r| r.get(0),
            )
            .expect("tables");
        assert_eq!(tables, 4);
        let foreign_keys: i64 = store
            .sqlite()
            .expect("sqlite")
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .expect("pragma");
        assert_eq!(foreign_keys, 1);
    }
}
