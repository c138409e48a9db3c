//! A private PostgreSQL cluster for fault and replication tests: made with `initdb` in a
//! temporary folder (as the `postgres` user), or as a hot standby of another with
//! `pg_basebackup`, listening on a free port of 127.0.0.1, stopped and started at will, removed
//! on drop.

use std::path::PathBuf;
use std::process::Command;

/// A running cluster of this machine's PostgreSQL.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

fn as_postgres(program: &PathBuf, args: &[&str]) -> std::process::Output {
    Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(program)
        .args(args)
        .output()
        .expect("run as postgres")
}

/// A temporary folder owned by the `postgres` user, and the path of its `data` directory.
fn postgres_folder() -> Result<(tempfile::TempDir, String), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let chown = Command::new("chown")
        .args(["postgres"])
        .arg(dir.path())
        .status()
        .map_err(|e| e.to_string())?;
    if !chown.success() {
        return Err("cannot hand a folder to the postgres user".into());
    }
    let data = dir.path().join("data");
    let data = data.to_str().ok_or("a UTF-8 temporary path")?.to_owned();
    Ok((dir, data))
}

impl Cluster {
    /// A new cluster, or why one cannot be made here.
    pub fn start() -> Result<Cluster, String> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .map_err(|e| format!("no PostgreSQL server binaries: {e}"))?
            .filter_map(Result::ok)
            .map(|d| d.path().join("bin"))
            .find(|b| b.join("initdb").exists())
            .ok_or("no initdb under /usr/lib/postgresql")?;
        let (dir, data) = postgres_folder()?;
        let init = as_postgres(
            &bin.join("initdb"),
            &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        if !init.status.success() {
            return Err(format!("initdb: {}", String::from_utf8_lossy(&init.stderr)));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let cluster = Cluster { dir, bin, port };
        cluster.resume();
        Ok(cluster)
    }

    /// A hot standby of `primary`: a base backup streamed from it with `pg_basebackup` (`-R`
    /// writes the streaming-replication settings), started on a port of its own.
    pub fn standby_of(primary: &Cluster) -> Result<Cluster, String> {
        let (dir, data) = postgres_folder()?;
        let port = primary.port.to_string();
        let backup = as_postgres(
            &primary.bin.join("pg_basebackup"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                &data,
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ],
        );
        if !backup.status.success() {
            return Err(format!(
                "pg_basebackup: {}",
                String::from_utf8_lossy(&backup.stderr)
            ));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let standby = Cluster {
            dir,
            bin: primary.bin.clone(),
            port,
        };
        standby.resume();
        Ok(standby)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// The URL of database `name` on the cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Stops the server at once (as a crash or a power cut would: no shutdown checkpoint).
    pub fn stop(&self) {
        let out = as_postgres(
            &self.bin.join("pg_ctl"),
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts the server (again), waiting until it accepts connections.
    pub fn resume(&self) {
        let socket = self.dir.path().display().to_string();
        let options = format!(
            "-p {} -k {socket} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port
        );
        let log = self.dir.path().join("log").display().to_string();
        let out = as_postgres(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres(
            &self.bin.join("pg_ctl"),
            &["-D", &self.data(), "-m", "immediate", "stop"],
        );
    }
}
