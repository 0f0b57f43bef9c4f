//! A `seqfab-sim serve` process for a test: started in a temporary folder, waited for
//! until its sockets exist, and stopped (and its folder removed) when dropped.

#![allow(dead_code)] // each test binary that includes this uses part of it

use seqfab_driver::{Card, Config, Options, Target};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Serve {
    pub child: Child,
    pub dir: tempfile::TempDir,
}

impl Serve {
    /// Starts `seqfab-sim serve --nodes N --dir TMP` with `extra` arguments.
    pub fn start(nodes: usize, extra: &[&str]) -> Serve {
        let dir = tempfile::tempdir().expect("temporary folder");
        let log = std::fs::File::create(dir.path().join("serve.log")).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_seqfab-sim"))
            .args(["serve", "--nodes", &nodes.to_string(), "--dir"])
            .arg(dir.path())
            .args(extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("seqfab-sim runs");
        let s = Serve { child, dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !s.control().exists() || !(0..nodes).all(|n| s.card(n).exists()) {
            assert!(
                Instant::now() < deadline,
                "serve did not start:\n{}",
                s.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        s
    }

    pub fn card(&self, n: usize) -> PathBuf {
        self.dir.path().join(format!("card{n}.sock"))
    }

    pub fn control(&self) -> PathBuf {
        self.dir.path().join("control.sock")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default()
    }

    /// One control-channel command and its answer.
    pub fn command(&self, line: &str) -> String {
        let mut s = UnixStream::connect(self.control()).expect("control socket");
        writeln!(s, "{line}").expect("send");
        let mut answer = String::new();
        BufReader::new(s).read_line(&mut answer).expect("answer");
        answer.trim().to_string()
    }

    pub fn status(&self) -> serde_json::Value {
        serde_json::from_str(&self.command("status")).expect("status is JSON")
    }

    /// Waits until card `n` has no client (a closed connection is released by the
    /// server asynchronously: a new client before that gets EBUSY).
    pub fn wait_free(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.status()["cards"][n]["client"] != false {
            assert!(Instant::now() < deadline, "card {n} still held");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Whether the server process is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Opens card `n` of the server in `dir` and brings it up as node `n`.
pub fn bring_up(path: &Path, n: usize) -> Card {
    let mut card = Card::open(&Target::VfioUser(path.to_path_buf())).expect("open");
    card.bring_up(&Options {
        node: n as u8,
        ..Options::default()
    })
    .expect("bring-up");
    card
}

/// The roles of every test: primary 1, secondary 2, epoch 1, from 0 with a large window.
pub fn roles(nodes: usize) -> Config {
    Config {
        epoch: 1,
        primary: 1,
        secondary: 2,
        counter: Some(0),
        limit: Some(1 << 40),
        quorum: seqfab_contract::lease::quorum(nodes),
    }
}

/// Configures every card in `0..nodes` through `via`'s management window; each must
/// acknowledge. Then waits until the primary may issue: `via` polls its own `LEASE`
/// when it is the primary; otherwise the caller waits with [`wait_serving`].
pub fn configure(via: &Card, nodes: usize) {
    for to in 0..nodes as u8 {
        let ack = via
            .configure(to, &roles(nodes), Duration::from_secs(10))
            .expect("configure")
            .unwrap_or_else(|| panic!("card {to} did not acknowledge its CONFIG"));
        assert_eq!(ack.reason, 0, "card {to} refused the CONFIG");
        assert_eq!(ack.epoch, 1);
    }
    if via.read(seqfab_contract::regs::NODE_ID).expect("node id") == 1 {
        wait_serving(via);
    }
}

/// Waits until `primary` holds its lease with the hold run out (docs/leases.md).
pub fn wait_serving(primary: &Card) {
    let ok = primary
        .wait_issuing(Duration::from_secs(30))
        .expect("lease registers");
    assert!(ok, "the primary never took its lease");
}

/// Waits for the completion at ring index `index` of queue `q`.
pub fn wait_completion(card: &Card, q: usize, index: u64) -> seqfab_contract::ring::Completion {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(c) = card.completion(q, index).expect("ring read") {
            return c;
        }
        assert!(
            Instant::now() < deadline,
            "no completion at index {index} of queue {q}"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Runs this test binary again, as another process, in the role of its test `role` (a
/// test that does nothing unless its environment variables are set), with `env` and,
/// if given as `(uid, folder)`, as that user and group: the binary is then run from a
/// copy in `folder`, which that user can reach (the checkout may sit under a folder
/// only its owner may enter). Each line the child prints is handed to `on_line`
/// on a thread of its own, until `on_line` returns false or the child's output ends
/// (stop early only when the child is about to be killed: writing to the closed pipe
/// kills it with SIGPIPE).
pub fn spawn_role(
    role: &str,
    env: &[(&str, String)],
    run_as: Option<(u32, &Path)>,
    mut on_line: impl FnMut(&str) -> bool + Send + 'static,
) -> Child {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().expect("the test binary");
    let exe = match run_as {
        Some((_, folder)) => {
            let copy = folder.join("test-binary");
            if !copy.exists() {
                std::fs::copy(&exe, &copy).expect("a copy of the test binary");
                std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755))
                    .expect("made executable");
            }
            copy
        }
        None => exe,
    };
    let mut cmd = Command::new(exe);
    cmd.args(["--exact", role, "--nocapture", "--test-threads=1"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some((u, _)) = run_as {
        cmd.uid(u).gid(u);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the test binary runs");
    let stdout = child.stdout.take().expect("piped");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if !on_line(&line) {
                break;
            }
        }
    });
    child
}

/// Monotonic wall-clock nanoseconds: the "cycles" of the histories that application
/// processes record (one clock for every process on this machine).
pub fn now_ns() -> u64 {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).expect("clock");
    t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64
}

/// A role's output: one line, flushed at once, for the parent reading its stdout.
pub fn say(line: &str) {
    let mut o = std::io::stdout().lock();
    writeln!(o, "{line}").expect("stdout");
    o.flush().expect("stdout");
}

/// The testbench's independent checker over what application processes saw, in
/// wall-clock time: I1 (unique) and I2 (real-time order); panics with the first
/// violations.
pub fn verify_wall_clock(history: &mut seqfab_testbench::history::History) {
    use seqfab_testbench::checker::{check, CheckOptions};
    history.end_cycle = now_ns();
    let v = check(
        history,
        CheckOptions {
            check_stored: false,
            ..CheckOptions::default()
        },
    );
    assert!(
        v.is_empty(),
        "{} violations over {} requests, first {:?}",
        v.len(),
        history.requests.len(),
        &v[..v.len().min(3)]
    );
}
