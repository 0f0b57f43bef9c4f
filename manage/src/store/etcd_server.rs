//! [`EtcdServer`]: a single-node etcd on loopback, in a temporary directory, for tests
//! and local demonstrations of the `etcd` store (Debian's `etcd-server`). It is killed,
//! and its directory removed, when dropped, also when a test panics.

use super::{EtcdStore, Result, StoreError};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running etcd of its own (see the module doc).
pub struct EtcdServer {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn io(place: &str) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        place: place.to_string(),
        source,
    }
}

impl EtcdServer {
    /// Starts etcd on free loopback ports and waits until it serves. Ports are found free
    /// and then given to etcd, so another process could take one in between: it tries
    /// again with new ones.
    pub fn start() -> Result<EtcdServer> {
        let mut last = None;
        for _ in 0..3 {
            match EtcdServer::try_start() {
                Ok(e) => return Ok(e),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("three tries"))
    }

    fn try_start() -> Result<EtcdServer> {
        let dir = tempfile::tempdir().map_err(io("a temporary directory"))?;
        let (client, peer) = (
            free_port().map_err(io("a free port"))?,
            free_port().map_err(io("a free port"))?,
        );
        let url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let log_path = dir.path().join("etcd.log");
        let log = std::fs::File::create(&log_path).map_err(io("etcd.log"))?;
        let spawned = Command::new("etcd")
            .arg("--name=default")
            .arg(format!("--data-dir={}", dir.path().join("data").display()))
            .arg(format!("--listen-client-urls={url}"))
            .arg(format!("--advertise-client-urls={url}"))
            .arg(format!("--listen-peer-urls={peer_url}"))
            .arg(format!("--initial-advertise-peer-urls={peer_url}"))
            .arg(format!("--initial-cluster=default={peer_url}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(io("etcd.log"))?)
            .stderr(log)
            .spawn();
        let child = match spawned {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::Unreachable {
                    endpoints: url,
                    why: "`etcd` is not installed: `apt-get install etcd-server` (Debian)".into(),
                })
            }
            Err(e) => return Err(io("running etcd")(e)),
        };
        let mut etcd = EtcdServer { child, url, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = etcd.child.try_wait() {
                return Err(etcd.failed(format!("etcd exited ({status})")));
            }
            // Listening is not serving yet: wait until a store can connect.
            if TcpStream::connect(("127.0.0.1", client)).is_ok()
                && EtcdStore::connect(&etcd.endpoints(), "/probe", "probe", Duration::from_secs(2))
                    .is_ok()
            {
                return Ok(etcd);
            }
            if Instant::now() > deadline {
                return Err(etcd.failed("etcd did not answer within 20 s".into()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn failed(&self, why: String) -> StoreError {
        StoreError::Unreachable {
            endpoints: self.url.clone(),
            why: format!("{why}: {}", self.log()),
        }
    }

    /// The client URL, as a list for [`EtcdStore::connect`].
    pub fn endpoints(&self) -> Vec<String> {
        vec![self.url.clone()]
    }

    /// The last lines of etcd's log.
    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("etcd.log")).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(10).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    /// Stops etcd now (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for EtcdServer {
    fn drop(&mut self) {
        self.kill();
    }
}
