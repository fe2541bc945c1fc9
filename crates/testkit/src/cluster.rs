//! Throwaway PostgreSQL clusters: `initdb` + `pg_ctl start` in a temp dir.
//!
//! Everything that touches processes is synchronous here (it is short and
//! naturally blocking); the async API runs it on tokio's blocking pool.

use std::ffi::OsStr;
use std::io::Write as _;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::Connection as _;
use tempfile::TempDir;

use crate::Error;

/// The superuser every throwaway cluster is created with.
pub const SUPERUSER: &str = "postgres";

/// How many fresh ports to try when another process grabs ours between
/// picking it and the postmaster binding it.
const PORT_ATTEMPTS: usize = 5;

/// Where the PostgreSQL server binaries are, and who runs them.
#[derive(Debug, Clone)]
struct Ctl {
    /// Directory holding `initdb`, `pg_ctl`, `postgres`; `None`: rely on `PATH`.
    bin_dir: Option<PathBuf>,
    /// `(uid, gid)` to run the server as when we are root (`initdb` refuses root).
    run_as: Option<(u32, u32)>,
    /// The cluster's own directory: `data/`, the unix socket and `postgres.log`.
    base: PathBuf,
}

impl Ctl {
    fn program(&self, name: &str) -> PathBuf {
        match &self.bin_dir {
            Some(dir) => dir.join(name),
            None => PathBuf::from(name),
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.base.join("data")
    }

    fn log_file(&self) -> PathBuf {
        self.base.join("postgres.log")
    }

    /// A command for one of the server binaries, as the right user, with a
    /// stable environment (English messages, no stray `PG*` settings).
    fn command(&self, name: &str) -> Command {
        let mut cmd = Command::new(self.program(name));
        cmd.current_dir(&self.base)
            .env("LC_ALL", "C")
            .env_remove("PGDATA")
            .env_remove("PGPORT")
            .env_remove("PGHOST")
            .env_remove("PGUSER")
            .env_remove("PGDATABASE")
            .stdin(Stdio::null());
        if let Some((uid, gid)) = self.run_as {
            // std drops supplementary groups (setgroups(0)) before setuid.
            cmd.uid(uid)
                .gid(gid)
                .env("HOME", &self.base)
                .env("USER", SUPERUSER);
        }
        cmd
    }

    fn run(&self, name: &str, args: &[&OsStr]) -> Result<String, Error> {
        let out =
            self.command(name).args(args).output().map_err(|e| {
                Error::new(format!("cannot run {}: {e}", self.program(name).display()))
            })?;
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        if out.status.success() {
            Ok(text)
        } else {
            Err(Error::new(format!(
                "{} {} failed ({}):\n{}",
                self.program(name).display(),
                args.iter()
                    .map(|a| a.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(" "),
                out.status,
                text.trim_end()
            )))
        }
    }

    fn initdb(&self) -> Result<(), Error> {
        let data = self.data_dir();
        self.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                SUPERUSER.as_ref(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        )
        .map(drop)
    }

    /// Append our settings to `postgresql.conf`; later lines win, so calling
    /// it again with another port simply overrides the earlier one.
    fn configure(&self, port: u16) -> Result<(), Error> {
        let conf = self.data_dir().join("postgresql.conf");
        let socket_dir = self.base.display().to_string().replace('\'', "''");
        let settings = format!(
            "\n# propusk-testkit\n\
             listen_addresses = '127.0.0.1'\n\
             port = {port}\n\
             unix_socket_directories = '{socket_dir}'\n\
             max_connections = 200\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n"
        );
        std::fs::OpenOptions::new()
            .append(true)
            .open(&conf)
            .and_then(|mut f| f.write_all(settings.as_bytes()))
            .map_err(|e| Error::new(format!("cannot write {}: {e}", conf.display())))
    }

    fn start(&self) -> Result<(), Error> {
        let data = self.data_dir();
        let log = self.log_file();
        self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-t".as_ref(),
                "60".as_ref(),
                "start".as_ref(),
            ],
        )
        .map(drop)
        .map_err(|e| {
            Error::new(format!(
                "{e}\n--- {} (tail) ---\n{}",
                log.display(),
                self.log_tail()
            ))
        })
    }

    fn stop(&self, mode: &str) -> Result<(), Error> {
        let data = self.data_dir();
        self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-m".as_ref(),
                mode.as_ref(),
                "-w".as_ref(),
                "-t".as_ref(),
                "60".as_ref(),
                "stop".as_ref(),
            ],
        )
        .map(drop)
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log_file()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// A detached watchdog that stops the cluster and removes its directory
    /// once process `parent` is gone (even if it was killed with SIGKILL), or
    /// quits once the directory has been removed by an orderly shutdown.
    ///
    /// It is double-forked into its own process group with null stdio, so
    /// neither a Ctrl-C to the test's process group nor a test runner waiting
    /// for captured output is affected by it.
    fn spawn_watchdog(&self, parent: u32) -> Result<(), Error> {
        const SCRIPT: &str = r#"
P="$1"; D="$2"; PG_CTL="$3"
(
  trap '' INT HUP
  while { kill -0 "$P" 2>/dev/null || [ -d "/proc/$P" ]; } && [ -d "$D" ]; do sleep 1; done
  if [ -d "$D" ]; then
    "$PG_CTL" -D "$D/data" -m immediate -w -t 30 stop
    rm -rf "$D"
  fi
) </dev/null >/dev/null 2>&1 &
"#;
        // `sh` comes from PATH, not from the PostgreSQL bin dir.
        let mut cmd = Command::new("sh");
        cmd.current_dir("/")
            .arg("-c")
            .arg(SCRIPT)
            .arg("propusk-pg-watchdog")
            .arg(parent.to_string())
            .arg(&self.base)
            .arg(self.program("pg_ctl"))
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid);
        }
        let status = cmd
            .status()
            .map_err(|e| Error::new(format!("cannot start the cluster watchdog: {e}")))?;
        if status.success() {
            Ok(())
        } else {
            Err(Error::new(format!(
                "cluster watchdog shell failed: {status}"
            )))
        }
    }
}

/// Find the PostgreSQL server binaries: `$PROPUSK_PG_BIN`, else
/// `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin`, else
/// `PATH` (`None`).
fn find_bin_dir() -> Result<Option<PathBuf>, Error> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file();
    if let Some(dir) = std::env::var_os("PROPUSK_PG_BIN").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        if has_initdb(&dir) {
            return Ok(Some(dir));
        }
        return Err(Error::new(format!(
            "PROPUSK_PG_BIN={} has no initdb in it",
            dir.display()
        )));
    }
    if let Ok(out) = Command::new("pg_config")
        .arg("--bindir")
        .stderr(Stdio::null())
        .output()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_initdb(&dir) {
            return Ok(Some(dir));
        }
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let newest = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let version: Vec<u32> = e
                    .file_name()
                    .to_str()?
                    .split('.')
                    .map(|p| p.parse().ok())
                    .collect::<Option<_>>()?;
                let bin = e.path().join("bin");
                has_initdb(&bin).then_some((version, bin))
            })
            .max();
        if let Some((_, bin)) = newest {
            return Ok(Some(bin));
        }
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| has_initdb(&d)))
        .unwrap_or(false);
    if on_path {
        Ok(None)
    } else {
        Err(Error::new(
            "no PostgreSQL server binaries found (looked at $PROPUSK_PG_BIN, `pg_config --bindir`, \
             /usr/lib/postgresql/*/bin and PATH); install PostgreSQL (e.g. `apt-get install postgresql`) \
             or set PROPUSK_TEST_DATABASE_URL to an existing server",
        ))
    }
}

/// The effective uid of this process, read safely from `/proc/self`.
fn effective_uid() -> Option<u32> {
    if let Ok(meta) = std::fs::metadata("/proc/self") {
        return Some(meta.uid());
    }
    let out = Command::new("id").arg("-u").output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// `(uid, gid)` of a system user, from `/etc/passwd` (or `id` as a fallback).
fn lookup_user(name: &str) -> Option<(u32, u32)> {
    if let Ok(passwd) = std::fs::read_to_string("/etc/passwd") {
        for line in passwd.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() >= 4 && fields[0] == name {
                return Some((fields[2].parse().ok()?, fields[3].parse().ok()?));
            }
        }
    }
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").arg(flag).arg(name).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

/// Whether every ancestor of `dir` can be traversed by other users, so that a
/// cluster created beneath it is reachable by the `postgres` user.
fn world_traversable(dir: &Path) -> bool {
    dir.ancestors().all(|a| {
        std::fs::metadata(a)
            .map(|m| m.mode() & 0o001 != 0)
            .unwrap_or(false)
    })
}

/// A loopback port that is free right now.
fn free_port() -> Result<u16, Error> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Error::new(format!("cannot pick a free loopback port: {e}")))
}

/// Create, configure and start a cluster. Blocking.
fn create(parent_pid: u32) -> Result<(TempDir, Ctl, u16), Error> {
    let bin_dir = find_bin_dir()?;
    let run_as = if effective_uid() == Some(0) {
        Some(lookup_user(SUPERUSER).ok_or_else(|| {
            Error::new(
                "running as root, and initdb refuses root, but there is no `postgres` system user \
                 to run PostgreSQL as (create one, e.g. `useradd -r postgres`)",
            )
        })?)
    } else {
        None
    };

    let mut tmp_parent = std::env::temp_dir();
    if run_as.is_some() && !world_traversable(&tmp_parent) {
        tmp_parent = PathBuf::from("/tmp");
    }
    let dir = tempfile::Builder::new()
        .prefix("propusk-pg-")
        .tempdir_in(&tmp_parent)
        .map_err(|e| {
            Error::new(format!(
                "cannot create a temp dir in {}: {e}",
                tmp_parent.display()
            ))
        })?;
    if let Some((uid, gid)) = run_as {
        std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).map_err(|e| {
            Error::new(format!(
                "cannot chown {} to postgres: {e}",
                dir.path().display()
            ))
        })?;
    }
    let ctl = Ctl {
        bin_dir,
        run_as,
        base: dir.path().to_path_buf(),
    };
    // Before initdb, so that even a half-made cluster is cleaned up.
    ctl.spawn_watchdog(parent_pid)?;
    ctl.initdb()?;

    let mut last_err = None;
    for _ in 0..PORT_ATTEMPTS {
        let port = free_port()?;
        ctl.configure(port)?;
        match ctl.start() {
            Ok(()) => return Ok((dir, ctl, port)),
            Err(e) => {
                let tail = ctl.log_tail();
                let port_taken = tail.contains("could not bind") || tail.contains("already in use");
                last_err = Some(e);
                if !port_taken {
                    break;
                }
            }
        }
    }
    Err(last_err.unwrap_or_else(|| Error::new("PostgreSQL did not start")))
}

/// `postgres://postgres@127.0.0.1:{port}/{db}`
fn url_for_port(port: u16, db: &str) -> String {
    format!("postgres://{SUPERUSER}@127.0.0.1:{port}/{db}")
}

/// Retry connecting and `SELECT 1` until it works or `timeout` passes.
pub(crate) async fn wait_ready(url: &str, timeout: Duration) -> Result<(), Error> {
    let deadline = Instant::now() + timeout;
    loop {
        let attempt = async {
            let mut conn = sqlx::PgConnection::connect(url).await?;
            sqlx::query("SELECT 1").execute(&mut conn).await?;
            conn.close().await
        };
        match attempt.await {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() >= deadline => {
                return Err(Error::new(format!("PostgreSQL at {url} is not ready: {e}")));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Create a uniquely named database (`t_` + a simple UUID) through the admin
/// URL and return its name.
pub(crate) async fn create_database(admin_url: &str) -> Result<String, Error> {
    let name = format!("t_{}", uuid::Uuid::now_v7().simple());
    let mut tries = 0;
    loop {
        let attempt = async {
            let mut conn = sqlx::PgConnection::connect(admin_url).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&mut conn)
                .await?;
            conn.close().await
        };
        match attempt.await {
            Ok(()) => return Ok(name),
            // A brief hiccup (e.g. a server just restarted) is retried; a
            // real error (bad URL, no permission) shows after a few tries.
            Err(e) if tries >= 3 => {
                return Err(Error::new(format!(
                    "CREATE DATABASE {name} via {admin_url} failed: {e}"
                )));
            }
            Err(_) => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Drop a database, closing any connections still open to it. Best effort.
pub(crate) async fn drop_database(admin_url: &str, name: &str) -> Result<(), Error> {
    let err = |e: sqlx::Error| Error::new(format!("DROP DATABASE {name} failed: {e}"));
    let mut conn = sqlx::PgConnection::connect(admin_url).await.map_err(err)?;
    let forced = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await;
    if forced.is_err() {
        // Servers older than 13 have no WITH (FORCE).
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
            .bind(name)
            .execute(&mut conn)
            .await
            .map_err(err)?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\""
        )))
        .execute(&mut conn)
        .await
        .map_err(err)?;
    }
    conn.close().await.map_err(err)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::new(format!("cluster task failed: {e}")))?
}

/// A PostgreSQL cluster of its own: `initdb` in a fresh temp dir, listening
/// on a free port on 127.0.0.1 only, unix socket in that dir, `trust` auth,
/// superuser `postgres`, durability off for speed.
///
/// It can be stopped and started again (same port, same data) for fault
/// tests. Dropping it stops the server (`-m immediate`) and removes the dir;
/// a detached watchdog does the same if the process dies without dropping it.
///
/// When the process runs as root, the server runs as the `postgres` system
/// user (`initdb` refuses root), and the temp dir is owned by that user.
#[derive(Debug)]
pub struct PgCluster {
    ctl: Ctl,
    port: u16,
    /// `None` once handed over to the watchdog by [`PgCluster::leak`].
    dir: Option<TempDir>,
}

impl PgCluster {
    /// Start a new cluster. Panics with the reason (and the server log) if it
    /// cannot.
    pub async fn start() -> PgCluster {
        match Self::try_start().await {
            Ok(c) => c,
            Err(e) => panic!("propusk-testkit: cannot start a throwaway PostgreSQL cluster: {e}"),
        }
    }

    /// Start a new cluster, returning the error instead of panicking.
    pub async fn try_start() -> Result<PgCluster, Error> {
        let parent = std::process::id();
        let (dir, ctl, port) = blocking(move || create(parent)).await?;
        let cluster = PgCluster {
            ctl,
            port,
            dir: Some(dir),
        };
        wait_ready(&cluster.url(), Duration::from_secs(30)).await?;
        Ok(cluster)
    }

    /// URL of the `postgres` database as the superuser.
    pub fn url(&self) -> String {
        self.url_for("postgres")
    }

    /// URL of database `db` in this cluster.
    pub fn url_for(&self, db: &str) -> String {
        url_for_port(self.port, db)
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's directory (holds `data/`, the unix socket, the log).
    pub fn base_dir(&self) -> &Path {
        &self.ctl.base
    }

    /// The data directory (`PGDATA`).
    pub fn data_dir(&self) -> PathBuf {
        self.ctl.data_dir()
    }

    /// Directory of the unix socket (`.s.PGSQL.{port}`).
    pub fn socket_dir(&self) -> &Path {
        &self.ctl.base
    }

    /// The server log.
    pub fn log_file(&self) -> PathBuf {
        self.ctl.log_file()
    }

    /// `postmaster.pid` in the data dir; it exists while the server runs.
    pub fn pid_file(&self) -> PathBuf {
        self.ctl.data_dir().join("postmaster.pid")
    }

    /// The postmaster's pid, if it is running.
    pub fn postmaster_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.pid_file())
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// Whether the server appears to be running (its pid file exists).
    pub fn is_running(&self) -> bool {
        self.pid_file().exists()
    }

    /// The last lines of the server log, for failure messages.
    pub fn log_tail(&self) -> String {
        self.ctl.log_tail()
    }

    /// Create a uniquely named database in this cluster; returns its URL.
    pub async fn create_database(&self) -> String {
        match create_database(&self.url()).await {
            Ok(name) => self.url_for(&name),
            Err(e) => panic!("propusk-testkit: {e}"),
        }
    }

    /// Stop the server cleanly (`pg_ctl stop -m fast`): clients are
    /// disconnected, open transactions are rolled back. Panics on failure.
    pub async fn stop(&self) {
        self.stop_mode("fast").await;
    }

    /// Stop the server like a crash (`pg_ctl stop -m immediate`): no
    /// checkpoint, recovery runs on the next start. Panics on failure.
    pub async fn stop_immediate(&self) {
        self.stop_mode("immediate").await;
    }

    async fn stop_mode(&self, mode: &'static str) {
        let ctl = self.ctl.clone();
        if let Err(e) = blocking(move || ctl.stop(mode)).await {
            panic!("propusk-testkit: cannot stop PostgreSQL: {e}");
        }
    }

    /// Start the server again after [`stop`](Self::stop), on the same port
    /// with the same data, and wait until it answers. Panics on failure.
    pub async fn start_again(&self) {
        let ctl = self.ctl.clone();
        if let Err(e) = blocking(move || ctl.start()).await {
            panic!("propusk-testkit: cannot start PostgreSQL again: {e}");
        }
        if let Err(e) = wait_ready(&self.url(), Duration::from_secs(30)).await {
            panic!("propusk-testkit: {e}\n{}", self.log_tail());
        }
    }

    /// Keep the cluster running for the rest of the process: it is no
    /// longer stopped on drop; the watchdog stops it and removes its dir
    /// when the process exits. Returns the admin URL.
    pub(crate) fn leak(mut self) -> String {
        if let Some(dir) = self.dir.take() {
            let _ = dir.keep();
        }
        self.url()
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            if self.is_running() {
                let _ = self.ctl.stop("immediate");
            }
            // Removing the dir also tells the watchdog to quit.
            drop(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_initdb() {
        let dir = find_bin_dir().expect("PostgreSQL binaries");
        if let Some(dir) = dir {
            assert!(dir.join("pg_ctl").is_file(), "{}", dir.display());
        }
    }

    #[test]
    fn passwd_lookup() {
        assert_eq!(lookup_user("root"), Some((0, 0)));
        assert_eq!(lookup_user("no-such-user-propusk"), None);
    }

    #[test]
    fn uid_is_known() {
        assert!(effective_uid().is_some());
    }
}
