//! Many processes on one host: `seqfabd`'s queue service owns a simulated card and
//! grants its queues to application processes (`seqfab::Builder::agent`). Two granted
//! processes get numbers at the same time; a killed one's queue drains and is granted
//! again; a process outside the agent's group is refused with a clear error; the
//! per-process limit holds. The agent and the applications are real processes (this test
//! binary run again in another role), and the numbers of all of them pass the
//! independent checker's I1 and I2 in wall-clock time.

#[path = "common/serve.rs"]
mod harness;

use harness::{now_ns, say, spawn_role, verify_wall_clock, Serve};
use seqfab::{Error, Sequencer};
use seqfab_contract::ring::Status;
use seqfab_testbench::history::{History, RequestRecord};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Child;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

/// Role: the agent. `SEQFAB_AGENT` = `card-socket,node,agent-socket,mode,group,queues`.
#[test]
fn agent_process() {
    let Ok(spec) = std::env::var("SEQFAB_AGENT") else {
        return;
    };
    let f: Vec<&str> = spec.split(',').collect();
    let opts = seqfabd::agent::AgentOptions {
        card: f[0].parse().unwrap(),
        node: f[1].parse().unwrap(),
        socket: f[2].into(),
        socket_mode: u32::from_str_radix(f[3], 8).unwrap(),
        group: f[4].parse().ok(),
        max_per_process: 1,
        grantable: f[5].parse().unwrap(),
        drain: Duration::from_millis(1500),
        ring_log2: 8,
        rpc: None,
        token: None,
        manager: None,
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    seqfabd::agent::run(opts, stop).unwrap();
}

/// Role: an application. `SEQFAB_APP_AGENT` = the agent's socket. Prints `granted Q`,
/// then `rec ISSUED COMPLETED START COUNT` per request until killed (or
/// `SEQFAB_APP_REQUESTS` are done); `denied MESSAGE` and exits if refused for good.
#[test]
fn granted_app() {
    let Ok(sock) = std::env::var("SEQFAB_APP_AGENT") else {
        return;
    };
    let requests: u64 = std::env::var("SEQFAB_APP_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX);
    // libtest has written "test granted_app ... " without a newline: end that line.
    println!();
    let deadline = Instant::now() + Duration::from_secs(60);
    let seq = loop {
        match Sequencer::builder()
            .agent(&sock, 1)
            .timeout(Duration::from_secs(2))
            .open()
        {
            Ok(s) => break s,
            // No free queue yet (held or draining): ask again.
            Err(Error::Denied { errno, .. })
                if errno == nix::errno::Errno::EBUSY as i32 && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(50))
            }
            Err(e) => {
                say(&format!("denied {e}"));
                return;
            }
        }
    };
    let q = seq.devices()[0].clone();
    say(&format!("granted {q}"));
    let mut taken = 0;
    while taken < requests {
        let issued = now_ns();
        match seq.next_batch(3) {
            Ok(r) => {
                say(&format!("rec {issued} {} {} 3", now_ns(), r.start));
                taken += 1;
            }
            Err(Error::NotConfigured) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("{e}"),
        }
    }
}

enum Line {
    Granted(String),
    Denied(String),
    Rec(RequestRecord),
}

fn spawn(
    env: &[(&str, String)],
    run_as: Option<(u32, &Path)>,
    who: usize,
    tx: Option<Sender<(usize, Line)>>,
) -> Child {
    let role = if env.iter().any(|(k, _)| *k == "SEQFAB_AGENT") {
        "agent_process"
    } else {
        "granted_app"
    };
    spawn_role(role, env, run_as, move |line| {
        let Some(tx) = &tx else { return true };
        let l = if let Some(q) = line.strip_prefix("granted ") {
            Line::Granted(q.to_string())
        } else if let Some(m) = line.strip_prefix("denied ") {
            Line::Denied(m.to_string())
        } else if let Some(r) = line.strip_prefix("rec ") {
            let f: Vec<u64> = r.split(' ').map(|x| x.parse().unwrap()).collect();
            Line::Rec(RequestRecord {
                node: who as u8,
                queue: 0,
                tag: 0,
                count: f[3] as u32,
                issued_cycle: f[0],
                completed_cycle: Some(f[1]),
                value: f[2],
                status: Some(Status::Ok as u8),
                epoch: 0,
            })
        } else {
            return true;
        };
        tx.send((who, l)).is_ok()
    })
}

fn start_agent(s: &Serve, mode: &str, group: &str, queues: usize) -> (Child, std::path::PathBuf) {
    let sock = s.dir.path().join("agent.sock");
    let spec = format!(
        "{},0,{},{mode},{group},{queues}",
        s.card(0).display(),
        sock.display()
    );
    let agent = spawn(&[("SEQFAB_AGENT", spec)], None, 99, None);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sock.exists() {
        assert!(Instant::now() < deadline, "the agent did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    (agent, sock)
}

fn app(sock: &Path, who: usize, tx: &Sender<(usize, Line)>, uid: Option<u32>) -> Child {
    // Another user runs a copy of this binary from the socket's folder, which it can reach.
    let folder = sock.parent().expect("the socket is in a folder");
    spawn(
        &[("SEQFAB_APP_AGENT", sock.display().to_string())],
        uid.map(|u| (u, folder)),
        who,
        Some(tx.clone()),
    )
}

#[derive(Default)]
struct Seen {
    history: History,
    count: Vec<usize>,
    granted: Vec<Option<String>>,
    denied: Vec<Option<String>>,
}

impl Seen {
    fn until(&mut self, rx: &Receiver<(usize, Line)>, done: impl Fn(&Seen) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            let (who, l) = rx.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "stalled: counts {:?} granted {:?} denied {:?}",
                    self.count, self.granted, self.denied
                )
            });
            let n = (who + 1).max(self.count.len());
            self.count.resize(n, 0);
            self.granted.resize(n, None);
            self.denied.resize(n, None);
            match l {
                Line::Granted(q) => self.granted[who] = Some(q),
                Line::Denied(m) => self.denied[who] = Some(m),
                Line::Rec(r) => {
                    self.count[who] += 1;
                    self.history.requests.push(r);
                }
            }
        }
    }

    fn n(&self, who: usize) -> usize {
        self.count.get(who).copied().unwrap_or(0)
    }

    fn span(&self, who: usize) -> (u64, u64) {
        let mine = self.history.requests.iter().filter(|r| r.node == who as u8);
        let first = mine.clone().map(|r| r.issued_cycle).min().unwrap();
        let last = mine.filter_map(|r| r.completed_cycle).max().unwrap();
        (first, last)
    }
}

#[test]
fn two_granted_processes_share_a_card_and_a_killed_ones_queue_is_granted_again() {
    let s = Serve::start(3, &["--manager"]);
    let (mut agent, sock) = start_agent(&s, "660", "-", 2);
    let (tx, rx) = channel();
    let mut a = app(&sock, 0, &tx, None);
    let mut b = app(&sock, 1, &tx, None);
    let mut seen = Seen::default();
    seen.until(&rx, |s| s.n(0) >= 40 && s.n(1) >= 40);
    // At the same time: each one's requests began before the other's last one ended.
    let (a0, a1) = seen.span(0);
    let (b0, b1) = seen.span(1);
    assert!(
        a0 < b1 && b0 < a1,
        "one ran after the other: {a0}..{a1} vs {b0}..{b1}"
    );
    assert_ne!(
        seen.granted[0], seen.granted[1],
        "two processes got the same queue"
    );
    let a_queue = seen.granted[0].clone().unwrap();

    // Both grantable queues are held: a third process waits, and once A is killed and
    // its queue has drained, it is granted A's queue.
    let mut c = app(&sock, 2, &tx, None);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(seen.n(2), 0);
    a.kill().unwrap();
    a.wait().unwrap();
    let b_then = seen.n(1);
    seen.until(&rx, |s| s.n(2) >= 40 && s.n(1) >= b_then + 40);
    assert_eq!(
        seen.granted[2].as_deref(),
        Some(a_queue.as_str()),
        "C got A's queue back"
    );
    for p in [&mut b, &mut c, &mut agent] {
        p.kill().unwrap();
        p.wait().unwrap();
    }
    verify_wall_clock(&mut seen.history);
}

#[test]
fn the_agent_refuses_processes_outside_its_group_and_holds_the_per_process_limit() {
    let s = Serve::start(2, &["--manager"]);
    // The folder must be reachable by the other user for the peer check to be reached.
    std::fs::set_permissions(s.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (mut agent, sock) = start_agent(&s, "666", "4242", 4);
    let (tx, rx) = channel();
    let nobody = 65534;
    let mut outsider = app(&sock, 0, &tx, Some(nobody));
    let mut seen = Seen::default();
    seen.until(&rx, |s| s.denied.first().is_some_and(|d| d.is_some()));
    let why = seen.denied[0].clone().unwrap();
    assert!(
        why.contains("not in group 4242") && why.contains("uid 65534"),
        "{why}"
    );
    outsider.wait().unwrap();

    // The socket's mode is the first gate: without access to it, the error says so.
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o660)).unwrap();
    let mut outsider = app(&sock, 1, &tx, Some(nobody));
    seen.until(&rx, |s| s.denied.get(1).is_some_and(|d| d.is_some()));
    let why = seen.denied[1].clone().unwrap();
    assert!(why.contains("permission denied"), "{why}");
    outsider.wait().unwrap();

    // Root is admitted, for one queue per process.
    match Sequencer::builder().agent(&sock, 2).open() {
        Err(Error::Denied { errno, reason, .. }) => {
            assert_eq!(errno, nix::errno::Errno::EDQUOT as i32);
            assert!(reason.contains("limit per process"), "{reason}");
        }
        other => panic!("a second queue for one process: {:?}", other.err()),
    }
    let seq = Sequencer::builder().agent(&sock, 1).open().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match seq.next() {
            Ok(_) => break,
            Err(Error::NotConfigured) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("{e}"),
        }
    }
    agent.kill().unwrap();
    agent.wait().unwrap();
}
