//! A `redis-server` of the test's own on a free port of 127.0.0.1, for the tests of the shared
//! (Redis) stores: persistent (append-only file, fsync on every write, in a directory of its
//! own) so that a restart keeps what was written, as a production Redis must; stopped and its
//! directory removed when dropped. `.ci/run` installs Redis from Debian's packages; on a
//! machine without it the tests say so and skip, except under `CI`, where they fail.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts one, or `None` (with a hint on stderr) when `redis-server` is not installed
    /// outside CI.
    ///
    /// # Panics
    /// Under `CI` when Redis is missing, or when it does not start within 10 s.
    pub fn start() -> Option<RedisServer> {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("qiwi-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory for Redis");
        let mut server = RedisServer {
            child: None,
            port,
            dir,
        };
        match server.spawn() {
            Ok(()) => Some(server),
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!(
                    "skipped: redis-server could not start ({e}); install it \
                     (apt-get install redis-server) or run `bash .ci/run`"
                );
                None
            }
            Err(e) => panic!("redis-server could not start under CI: {e}"),
        }
    }

    fn spawn(&mut self) -> std::io::Result<()> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&self.dir)
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Its URL, `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops it now, as a crash would (what it wrote stays on disk).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, with what it had written.
    ///
    /// # Panics
    /// When it does not start.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn().expect("redis-server restarts");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
