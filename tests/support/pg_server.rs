//! A private PostgreSQL server for the warehouse tests: `initdb` in a temporary directory, listening on
//! loopback at a free port, stopped (and its directory removed) on drop. As root (CI), the server runs as
//! the `postgres` user, since PostgreSQL refuses to run as root.
//!
//! The server's programs are found in `$AZSB_PG_BIN`, else Debian's newest `/usr/lib/postgresql/*/bin`,
//! else on PATH; `.ci/run` installs Debian's `postgresql` when it is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running server with trust authentication for the superuser `azsb`.
pub struct PrivatePostgres {
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    run_as: Option<String>,
    _dir: tempfile::TempDir,
}

fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AZSB_PG_BIN").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    debian.sort();
    if let Some((_, bin)) = debian.pop() {
        return bin;
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file());
    on_path.unwrap_or_else(|| {
        panic!(
            "the PostgreSQL server programs (initdb, pg_ctl) are not installed: install Debian's postgresql (apt-get install postgresql; .ci/run does), or set AZSB_PG_BIN to their directory"
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl PrivatePostgres {
    pub fn start() -> PrivatePostgres {
        let bin = bin_dir();
        let dir = tempfile::tempdir().expect("temp dir");
        let run_as = is_root().then(|| "postgres".to_string());
        if let Some(user) = &run_as {
            // The server's user must own its directory.
            let status = Command::new("chown")
                .arg(format!("{user}:"))
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success(), "chown of the server's directory failed");
        }
        let data = dir.path().join("data");
        let server = PrivatePostgres {
            port: free_port(),
            bin,
            data,
            run_as,
            _dir: dir,
        };
        server.run(
            "initdb",
            &[
                "-D",
                path(&server.data),
                "-U",
                "azsb",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
        );
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            server.port,
            path(server.data.parent().expect("the directory"))
        );
        server.run(
            "pg_ctl",
            &[
                "-D",
                path(&server.data),
                "-o",
                &options,
                "-l",
                path(&server.data.join("server.log")),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        server
    }

    /// One of the server's programs, as the server's user.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&program);
                c
            }
            None => Command::new(&program),
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self
            .command(program)
            .args(args)
            .current_dir(self.data.parent().expect("the directory"))
            .output()
            .unwrap_or_else(|e| panic!("{program} does not run: {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The URL of `database` on this server as the superuser.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgresql://azsb@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }

    /// The URL of `database` through the server's Unix socket.
    pub fn socket_url(&self, database: &str) -> String {
        let dir = path(self.data.parent().expect("the directory")).replace('/', "%2F");
        format!("postgresql://azsb@{dir}:{}/{database}", self.port)
    }

    /// A new, empty database; returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        let mut admin =
            postgres::Client::connect(&self.url("postgres"), postgres::NoTls).expect("admin");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        self.url(name)
    }

    /// A plain connection to `database`, for SQL of the test's own.
    pub fn connect(&self, database: &str) -> postgres::Client {
        postgres::Client::connect(&self.url(database), postgres::NoTls).expect("connect")
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D", path(&self.data), "-m", "immediate", "-w", "stop"])
            .output();
    }
}
