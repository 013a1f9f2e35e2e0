//! A PostgreSQL server of a test's own (`initdb` into a temporary folder, on a free port), so
//! that the test may restart it, crash it, without touching the machine's server or any
//! other test. When run as root the cluster belongs to the `postgres` user, as PostgreSQL
//! refuses to run as root.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    pub port: u16,
    /// More of the server's settings (`-c name=value …`).
    settings: String,
}

/// The folder of `initdb` and `pg_ctl`: `BATON_PG_BIN`, else the newest under
/// `/usr/lib/postgresql/*/bin` (Debian's layout), else `pg_config --bindir`.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BATON_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    debian.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(dir) = debian.pop() {
        return Some(dir);
    }
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    dir.join("initdb").is_file().then_some(dir)
}

/// What a `start` made, or `None` after saying why not (a failure under `BATON_CI_STRICT=1`).
pub fn or_skip<T>(started: Result<T, String>) -> Option<T> {
    match started {
        Ok(made) => Some(made),
        Err(why) => {
            super::skip(&format!("cannot run a PostgreSQL server of its own: {why}"));
            None
        }
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Cluster {
    /// A new cluster, started; why not when it cannot be made here.
    pub fn start() -> Result<Cluster, String> {
        Cluster::start_with(|_| Ok(String::new()))
    }

    /// A new cluster that also takes TLS connections, with a self-signed certificate for
    /// 127.0.0.1; the file of that certificate, for clients to trust.
    pub fn start_with_tls() -> Result<(Cluster, PathBuf), String> {
        let cluster = Cluster::start_with(|dir| {
            let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
                .map_err(|e| e.to_string())?;
            let (crt, key) = (dir.join("server.crt"), dir.join("server.key"));
            std::fs::write(&crt, certified.cert.pem()).map_err(|e| e.to_string())?;
            std::fs::write(&key, certified.key_pair.serialize_pem()).map_err(|e| e.to_string())?;
            // PostgreSQL refuses a key others may read.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "-c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                crt.display(),
                key.display()
            ))
        })?;
        let root = cluster.dir.path().join("server.crt");
        Ok((cluster, root))
    }

    /// A new cluster, `settings` making its files in its folder first and naming the server
    /// settings that use them.
    fn start_with(
        settings: impl FnOnce(&Path) -> Result<String, String>,
    ) -> Result<Cluster, String> {
        let bin = bin_dir().ok_or("no initdb (set BATON_PG_BIN to PostgreSQL's bin folder)")?;
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("baton-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let settings = settings(dir.path())?;
        let cluster = Cluster {
            dir,
            bin,
            as_postgres,
            port: free_port(),
            settings,
        };
        if as_postgres {
            let chown = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(cluster.dir.path())
                .status()
                .map_err(|e| e.to_string())?;
            if !chown.success() {
                return Err("cannot give the cluster's folder to the postgres user".into());
            }
        }
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        cluster.pg_ctl("start")?;
        Ok(cluster)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<Output, String> {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .map_err(|e| format!("{}: {e}", exe.display()))?;
        if out.status.success() {
            Ok(out)
        } else {
            Err(format!(
                "{tool} {}: {}{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn pg_ctl(&self, action: &str) -> Result<(), String> {
        let data = self.data();
        let log = self.dir.path().join("log").display().to_string();
        let socket = self.dir.path().display().to_string();
        let options = format!(
            "-p {} -k {socket} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 {}",
            self.port, self.settings
        );
        self.run(
            "pg_ctl",
            &[
                action,
                "-D",
                &data,
                "-l",
                &log,
                "-o",
                &options,
                "-m",
                "immediate",
                "-w",
                "-t",
                "60",
            ],
        )
        .map(|_| ())
    }

    /// Its URL, on 127.0.0.1.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Where it listens.
    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Crashes it (`immediate`: no checkpoint, every session cut) and starts it again, which
    /// replays its write-ahead log.
    pub fn restart(&self) -> Result<(), String> {
        self.pg_ctl("restart")
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl("stop");
    }
}
