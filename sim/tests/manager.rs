//! The management process as real software (issue 13): `seqfab-sim serve` runs the
//! cards, one real `seqfabd` process per simulated host owns each card, one or more of
//! them are manager candidates, and `seqctl` operates the cluster. Application processes
//! take numbers through their host's agent while cards, daemons and managers are killed;
//! the independent checker of the testbench verifies I1 and I2 over what they saw, and
//! each failover is shown by the log line it leaves (which source gave the new primary's
//! counter: the stored value, the mirror through the agent, or the seed).

#[path = "common/serve.rs"]
mod harness;

use harness::{now_ns, say, spawn_role, verify_wall_clock, Serve};
use seqfab::{Error, Sequencer};
use seqfab_contract::ring::Status;
use seqfab_testbench::history::{History, RequestRecord};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

/// A binary of the workspace beside `seqfab-sim` (`cargo test --workspace` builds them).
fn bin(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_BIN_EXE_seqfab-sim")).with_file_name(name);
    assert!(
        p.exists(),
        "{} is missing: build it with `cargo build -p seqfabd` (cargo test --workspace does)",
        p.display()
    );
    p
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Role: an application on one host. `SEQFAB_MGR_APP` = its agent's socket. Prints
/// `rec ISSUED COMPLETED START COUNT` per request (wall-clock ns) until killed; requests
/// refused while a failover runs (no lease, timeout) are asked again.
#[test]
fn manager_app() {
    let Ok(sock) = std::env::var("SEQFAB_MGR_APP") else {
        return;
    };
    // libtest has written "test manager_app ... " without a newline: end that line.
    println!();
    let deadline = Instant::now() + Duration::from_secs(60);
    let seq = loop {
        match Sequencer::builder()
            .agent(&sock, 1)
            .timeout(Duration::from_secs(1))
            .open()
        {
            Ok(s) => break s,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(50))
            }
            Err(e) => panic!("no queue: {e}"),
        }
    };
    say("granted");
    loop {
        let issued = now_ns();
        match seq.next_batch(2) {
            Ok(r) => say(&format!("rec {issued} {} {} 2", now_ns(), r.start)),
            Err(
                Error::NotConfigured | Error::NoLease | Error::Timeout { .. } | Error::LimitReached,
            ) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                say(&format!("error {e}"));
                std::thread::sleep(Duration::from_millis(20))
            }
        }
    }
}

/// The applications' records, collected from their stdout.
struct Apps {
    children: Vec<Child>,
    rx: Receiver<RequestRecord>,
    tx: Sender<RequestRecord>,
    history: History,
}

impl Apps {
    fn new() -> Apps {
        let (tx, rx) = channel();
        Apps {
            children: Vec::new(),
            rx,
            tx,
            history: History::default(),
        }
    }

    fn start(&mut self, agent: &Path, node: u8) {
        let tx = self.tx.clone();
        let child = spawn_role(
            "manager_app",
            &[("SEQFAB_MGR_APP", agent.display().to_string())],
            None,
            move |line| {
                let Some(r) = line.strip_prefix("rec ") else {
                    return true;
                };
                let f: Vec<u64> = r.split(' ').map(|x| x.parse().unwrap()).collect();
                tx.send(RequestRecord {
                    node,
                    queue: 0,
                    tag: 0,
                    count: f[3] as u32,
                    issued_cycle: f[0],
                    completed_cycle: Some(f[1]),
                    value: f[2],
                    status: Some(Status::Ok as u8),
                    epoch: 0,
                })
                .is_ok()
            },
        );
        self.children.push(child);
    }

    /// Collects until `more` further numbers arrived (or fails after `within`).
    fn take(&mut self, more: usize, within: Duration, what: &str) {
        let want = self.history.requests.len() + more;
        let deadline = Instant::now() + within;
        while self.history.requests.len() < want {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(r) => self.history.requests.push(r),
                Err(_) => panic!(
                    "{what}: only {} of {want} requests completed in {within:?}",
                    self.history.requests.len()
                ),
            }
        }
    }

    /// Collects until a record satisfies `done` (or fails after `within`).
    fn take_until(&mut self, done: impl Fn(&RequestRecord) -> bool, within: Duration, what: &str) {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(r) => {
                    let hit = done(&r);
                    self.history.requests.push(r);
                    if hit {
                        return;
                    }
                }
                Err(_) => panic!("{what}: not seen within {within:?}"),
            }
        }
    }

    /// The independent checker's I1 and I2 over everything the applications saw.
    fn verify(&mut self) {
        for r in self.rx.try_iter() {
            self.history.requests.push(r);
        }
        verify_wall_clock(&mut self.history);
    }
}

impl Drop for Apps {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A simulated cluster with a `seqfabd` per host.
struct Cluster {
    serve: Serve,
    daemons: Vec<Option<Child>>,
    rpcs: Vec<String>,
    /// `--manager` store of each candidate node.
    stores: Vec<Option<String>>,
    /// The daemons' `--token-file`, and the one seqctl passes.
    token: Option<PathBuf>,
    seqctl_token: Option<PathBuf>,
}

impl Cluster {
    /// `nodes` hosts, host 0 the one manager candidate, its state in a file.
    fn with_file_store(nodes: usize) -> Cluster {
        Self::start(nodes, &[0], |d| {
            format!("file:{}", d.join("state.json").display())
        })
    }

    fn start(nodes: usize, candidates: &[usize], store: impl Fn(&Path) -> String) -> Cluster {
        Self::start_with(nodes, candidates, store, None)
    }

    fn start_with(
        nodes: usize,
        candidates: &[usize],
        store: impl Fn(&Path) -> String,
        token: Option<&Path>,
    ) -> Cluster {
        let serve = Serve::start(nodes, &[]);
        let rpcs = (0..nodes)
            .map(|_| format!("127.0.0.1:{}", free_port()))
            .collect();
        let store = store(serve.dir.path());
        let stores = (0..nodes)
            .map(|n| candidates.contains(&n).then(|| store.clone()))
            .collect();
        let mut c = Cluster {
            serve,
            daemons: (0..nodes).map(|_| None).collect(),
            rpcs,
            stores,
            token: token.map(Path::to_path_buf),
            seqctl_token: None,
        };
        for n in 0..nodes {
            c.start_daemon(n);
        }
        for n in 0..nodes {
            c.wait_rpc(n);
        }
        c
    }

    fn dir(&self) -> &Path {
        self.serve.dir.path()
    }

    fn agent(&self, n: usize) -> PathBuf {
        self.dir().join(format!("agent{n}.sock"))
    }

    fn log_path(&self, n: usize) -> PathBuf {
        self.dir().join(format!("seqfabd{n}.log"))
    }

    fn log(&self, n: usize) -> String {
        std::fs::read_to_string(self.log_path(n)).unwrap_or_default()
    }

    fn logs(&self) -> String {
        (0..self.rpcs.len())
            .map(|n| format!("--- seqfabd {n}\n{}", self.log(n)))
            .collect::<Vec<_>>()
            .join("\n")
            + &format!("\n--- serve\n{}", self.serve.log())
    }

    fn start_daemon(&mut self, n: usize) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path(n))
            .expect("log file");
        let mut cmd = Command::new(bin("seqfabd"));
        cmd.arg("--card")
            .arg(self.serve.card(n))
            .args(["--node", &n.to_string(), "--socket"])
            .arg(self.agent(n))
            .args(["--rpc", &self.rpcs[n], "--drain-ms", "500"])
            .args(["--peers", &self.rpcs.join(",")]);
        if let Some(store) = &self.stores[n] {
            cmd.args(["--manager", store]);
        }
        if let Some(t) = &self.token {
            cmd.arg("--token-file").arg(t);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("seqfabd runs");
        self.daemons[n] = Some(child);
    }

    fn wait_rpc(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(&self.rpcs[n]).is_err() || !self.agent(n).exists() {
            assert!(
                Instant::now() < deadline,
                "seqfabd {n} did not start:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL of host `n`'s daemon (its queues, RPC and manager candidate go with it).
    fn kill_daemon(&mut self, n: usize) {
        if let Some(mut c) = self.daemons[n].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn seqctl(&self, args: &[&str]) -> (bool, String, String) {
        let mut cmd = Command::new(bin("seqctl"));
        cmd.args(["--endpoints", &self.rpcs.join(",")]);
        if let Some(t) = &self.seqctl_token {
            cmd.arg("--token-file").arg(t);
        }
        let out = cmd.args(args).output().expect("seqctl runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into(),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }

    fn status(&self) -> Value {
        let (ok, out, err) = self.seqctl(&["status", "--json"]);
        assert!(ok, "seqctl status failed: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("status --json: {e}:\n{out}"))
    }

    fn init(&self, primary: u8, secondary: u8, window: u64) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (ok, out, err) = self.seqctl(&[
                "init",
                "--primary",
                &primary.to_string(),
                "--secondary",
                &secondary.to_string(),
                "--window",
                &window.to_string(),
            ]);
            if ok {
                assert!(out.contains("initialised"), "{out}");
                return;
            }
            // Right after start the candidates may still be campaigning.
            assert!(
                Instant::now() < deadline,
                "init failed: {err}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until a manager is elected; returns the status then.
    fn wait_active(&self) -> Value {
        let deadline = Instant::now() + MINUTE;
        loop {
            let s = self.status();
            if s["manager"]["active"] == true {
                return s;
            }
            assert!(Instant::now() < deadline, "no manager became active: {s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until some daemon's log has a line containing every one of `needles`;
    /// returns that line.
    fn wait_line(&self, needles: &[&str], within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            for n in 0..self.rpcs.len() {
                if let Some(l) = self
                    .log(n)
                    .lines()
                    .find(|l| needles.iter().all(|x| l.contains(x)))
                {
                    return l.to_string();
                }
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {needles:?} within {within:?}:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Card `n`'s register as the simulator reads it, beside its client.
    fn read(&self, n: usize, reg: &str) -> u64 {
        let a = self.serve.command(&format!("read {n} {reg}"));
        a.parse().unwrap_or_else(|_| panic!("read {n} {reg}: {a}"))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for n in 0..self.daemons.len() {
            if let Some(c) = self.daemons[n].as_mut() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(c.id() as i32),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        for c in self.daemons.iter_mut().flatten() {
            while c.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

const MINUTE: Duration = Duration::from_secs(60);

#[test]
fn file_store_init_then_failover_of_the_primary_and_of_the_secondary_with_apps_running() {
    // Five cards: after two of them die, three still make a quorum.
    let mut c = Cluster::with_file_store(5);
    // Before init: the manager says so, and commands other than init are refused.
    let s = c.wait_active();
    assert!(s["manager"]["state"].is_null(), "{s}");
    let (ok, _, err) = c.seqctl(&["failover"]);
    assert!(!ok && err.contains("not initialised"), "{err}");
    c.init(1, 2, 1024);
    let (ok, _, err) = c.seqctl(&["init", "--primary", "0", "--secondary", "3"]);
    assert!(
        !ok && err.contains("already initialised"),
        "a second init: {err}"
    );

    let mut apps = Apps::new();
    apps.start(&c.agent(0), 0);
    apps.start(&c.agent(4), 4);
    apps.take(300, MINUTE, "after init");

    // The primary's card dies: the secondary's stored value (STATE_QUERY) is the new
    // primary's counter.
    c.serve.command("kill:1");
    c.wait_line(&["primary 1 lost", "epoch 2", "STATE_QUERY"], MINUTE);
    c.wait_line(&["failover to epoch 2"], MINUTE);
    apps.take(300, MINUTE, "after the primary's failover");

    // The secondary's card dies: a new secondary, the primary keeps its counter.
    let s = c.status();
    let roles = &s["manager"]["state"]["roles"];
    assert_eq!(roles["epoch"], 2, "{s}");
    let secondary = roles["secondary"].as_u64().unwrap() as usize;
    assert_ne!(secondary, 1);
    c.serve.command(&format!("kill:{secondary}"));
    c.wait_line(&[&format!("secondary {secondary} lost"), "epoch 3"], MINUTE);
    c.wait_line(&["failover to epoch 3"], MINUTE);
    // An app whose host lost its card cannot go on; the others must.
    apps.take(300, MINUTE, "after the secondary's failover");
    apps.verify();

    // `seqctl status --json` agrees with the cards' registers as the simulator reads them.
    let s = c.status();
    let roles = &s["manager"]["state"]["roles"];
    assert_eq!(roles["epoch"], 3, "{s}");
    for card in s["cards"].as_array().unwrap() {
        if card["alive"] != true {
            continue;
        }
        let n = card["node"].as_u64().unwrap() as usize;
        for reg in [
            "EPOCH",
            "PRIMARY_ID",
            "SECONDARY_ID",
            "NODE_ID",
            "LEASE_PERIOD",
        ] {
            assert_eq!(
                card["regs"][reg].as_u64().unwrap(),
                c.read(n, reg),
                "card {n} {reg}"
            );
        }
        // The counter only grows: what status showed is at most what is there now.
        assert!(card["regs"]["COUNTER"].as_u64().unwrap() <= c.read(n, "COUNTER"));
        assert_eq!(
            card["regs"]["EPOCH"], roles["epoch"],
            "card {n} runs the manager's epoch"
        );
    }
    for dead in [1, secondary] {
        assert_eq!(
            s["cards"][dead]["alive"], false,
            "card {dead} was killed: {s}"
        );
    }
    // The durable state is on disk, and a window raise happened (the window is small).
    let (ok, text, _) = c.seqctl(&["status"]);
    assert!(ok && text.contains("manager: node0@"), "{text}");
    assert!(s["manager"]["window_raises"].as_u64().unwrap() > 0, "{s}");

    // Operator commands: the window size, then a drain of the secondary's host (its
    // role moves off, its agent grants no new queue), then add it back.
    let (ok, _, err) = c.seqctl(&["window", "--size", "2048"]);
    assert!(ok, "{err}");
    assert_eq!(c.status()["manager"]["state"]["window"], 2048);
    let secondary = c.status()["manager"]["state"]["roles"]["secondary"]
        .as_u64()
        .unwrap() as usize;
    let (ok, out, err) = c.seqctl(&["drain", "--node", &secondary.to_string()]);
    assert!(ok && out.contains("drain"), "{out}{err}");
    c.wait_line(
        &[&format!("secondary {secondary} removed"), "epoch 4"],
        MINUTE,
    );
    c.wait_line(&["failover to epoch 4"], MINUTE);
    let s = c.status();
    assert_ne!(
        s["manager"]["state"]["roles"]["secondary"], secondary as u64,
        "{s}"
    );
    assert_eq!(s["cards"][secondary]["agent"]["drained"], true, "{s}");
    apps.take(100, MINUTE, "after the drain");
    let (ok, _, err) = c.seqctl(&["add", "--node", &secondary.to_string()]);
    assert!(ok, "{err}");
    let s = c.status();
    assert_eq!(s["manager"]["state"]["removed"], 0, "{s}");
    assert_eq!(s["cards"][secondary]["agent"]["drained"], false, "{s}");
    apps.verify();
    c.kill_daemon(0);
}

/// The log line that completes the failover a "... lost: epoch N, ..." line started.
///
/// When two cards die together, a loaded machine may let the manager see one loss a poll
/// before the other: it tries an epoch whose new primary is gone too, abandons it, and
/// recovers at the next. So the failover to wait for is the one the recovery line names,
/// not a fixed epoch.
fn failover_of(line: &str) -> String {
    let epoch = line
        .split("epoch ")
        .nth(1)
        .and_then(|t| t.split(|ch: char| !ch.is_ascii_digit()).next())
        .unwrap_or_else(|| panic!("no epoch in {line}"));
    format!("failover to epoch {epoch}:")
}

#[test]
fn both_generators_lost_the_counter_comes_from_the_mirror_through_the_agent() {
    let c = Cluster::with_file_store(5);
    c.init(1, 2, 1 << 20);
    let mut apps = Apps::new();
    apps.start(&c.agent(0), 0);
    apps.take(300, MINUTE, "after init");
    // Both cards die at once; their hosts (and agents) live on with the mirror.
    c.serve.command("kill:1");
    c.serve.command("kill:2");
    let line = c.wait_line(&["primary 1 and secondary 2 lost", "DMA mirror"], MINUTE);
    assert!(!line.contains("seeded"), "{line}");
    c.wait_line(&[&failover_of(&line)], MINUTE);
    apps.take(300, MINUTE, "after the failover");
    apps.verify();
    assert_eq!(c.status()["manager"]["mirror_recoveries"], 1);
}

#[test]
fn both_generators_and_the_secondary_host_lost_the_counter_is_seeded() {
    let mut c = Cluster::with_file_store(5);
    c.init(1, 2, 1 << 20);
    let mut apps = Apps::new();
    apps.start(&c.agent(0), 0);
    apps.take(300, MINUTE, "after init");
    // The secondary's host goes too: no mirror to read, so the durable limit seeds.
    c.kill_daemon(2);
    c.serve.command("kill:1");
    c.serve.command("kill:2");
    let line = c.wait_line(
        &[
            "primary 1 and secondary 2 lost",
            "seeded at the durable limit",
        ],
        MINUTE,
    );
    assert!(line.contains(&(1u64 << 20).to_string()), "{line}");
    c.wait_line(&[&failover_of(&line)], MINUTE);
    // Records asked for before the failover may still be arriving: wait for the
    // first number of the new primary, which starts at the seed.
    apps.take_until(
        |r| r.value >= 1 << 20,
        MINUTE,
        "a number at or above the seed",
    );
    apps.take(100, MINUTE, "after the failover");
    apps.verify();
}

#[test]
fn metrics_are_prometheus_text_that_promtool_accepts() {
    let c = Cluster::with_file_store(3);
    c.init(1, 2, 1 << 20);
    let mut apps = Apps::new();
    apps.start(&c.agent(0), 0);
    apps.take(50, MINUTE, "after init");
    for n in [0, 1] {
        let out = Command::new("curl")
            .args(["-sf", &format!("http://{}/metrics", c.rpcs[n])])
            .output()
            .expect("curl runs (apt-get install curl)");
        assert!(out.status.success(), "curl of node {n}'s metrics failed");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("seqfab_card_epoch 1"), "{text}");
        assert!(
            text.contains("seqfab_card_events_total{event=\"doorbells\"}"),
            "{text}"
        );
        let active = if n == 0 { 1 } else { 0 };
        assert!(
            text.contains(&format!("seqfab_manager_active {active}")),
            "{text}"
        );
        let mut p = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("promtool runs (apt-get install prometheus)");
        p.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let out = p.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "promtool check metrics refused node {n}'s page: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Commands need the loopback or the token; a wrong token is refused with a reason.
    let token = c.dir().join("token");
    std::fs::write(&token, "wrong").unwrap();
    let (ok, _, err) = c.seqctl(&[
        "--token-file",
        token.to_str().unwrap(),
        "window",
        "--size",
        "1",
    ]);
    assert!(
        !ok && err.contains("at least 2"),
        "a bad window is refused: {err}"
    );
}

#[test]
fn seqctl_without_a_daemon_says_so() {
    let port = free_port();
    let out = Command::new(bin("seqctl"))
        .args(["--endpoints", &format!("127.0.0.1:{port}"), "status"])
        .output()
        .expect("seqctl runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no seqfabd answers"), "{err}");
}

#[test]
fn etcd_three_candidates_the_active_managers_host_dies_and_a_failover_still_works() {
    let etcd = seqfab_manage::store::EtcdServer::start().expect("etcd starts");
    let endpoints = etcd.endpoints().join(",");
    let token_dir = tempfile::tempdir().unwrap();
    let token = token_dir.path().join("token");
    std::fs::write(&token, "s3cret\n").unwrap();
    let mut c = Cluster::start_with(5, &[0, 2, 3], |_| format!("etcd:{endpoints}"), Some(&token));
    // Commands from a caller without the token are refused, and say why.
    c.wait_active();
    let (ok, _, err) = c.seqctl(&["init", "--primary", "1", "--secondary", "2"]);
    assert!(!ok && err.contains("not allowed"), "{err}");
    c.seqctl_token = Some(token.clone());
    c.init(1, 2, 1 << 20);
    let leader = |c: &Cluster| -> usize {
        let s = c.status();
        let name = s["manager"]["leader"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let node = name
            .strip_prefix("node")
            .and_then(|r| r.split('@').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no leader: {s}"));
        assert_eq!(s["manager"]["active"], true, "{s}");
        node
    };
    let first = leader(&c);
    // Exactly one candidate says it is active.
    let active: Vec<usize> = (0..5)
        .filter(|&n| {
            let out = Command::new("curl")
                .args(["-sf", &format!("http://{}/v1/manager", c.rpcs[n])])
                .output()
                .unwrap();
            serde_json::from_slice::<Value>(&out.stdout).unwrap()["active"] == true
        })
        .collect();
    assert_eq!(active, vec![first], "one active manager");

    // Host 4 is no candidate and holds no role at first: its application sees it all.
    let app_host = 4;
    let mut apps = Apps::new();
    apps.start(&c.agent(app_host), app_host as u8);
    apps.take(200, MINUTE, "after init");

    // The active manager's host dies: its daemon and its card.
    c.kill_daemon(first);
    c.serve.command(&format!("kill:{first}"));
    let deadline = Instant::now() + MINUTE;
    let second = loop {
        let s = c.status();
        if let Some(n) = s["manager"]["leader"]
            .as_str()
            .and_then(|l| l.strip_prefix("node"))
            .and_then(|r| r.split('@').next())
            .and_then(|n| n.parse::<usize>().ok())
        {
            if n != first && s["manager"]["active"] == true {
                break n;
            }
        }
        assert!(Instant::now() < deadline, "no new manager:\n{}", c.logs());
        std::thread::sleep(Duration::from_millis(100));
    };
    c.wait_line(
        &[&format!("node{second}@"), "is the active manager"],
        MINUTE,
    );
    apps.take(200, MINUTE, "while the manager moved");

    // A failover still works: the new manager replaces the primary.
    let primary = c.status()["manager"]["state"]["roles"]["primary"]
        .as_u64()
        .unwrap() as usize;
    if primary != app_host {
        c.serve.command(&format!("kill:{primary}"));
        c.wait_line(&[&format!("primary {primary} lost")], MINUTE);
        apps.take(200, MINUTE, "after the new manager's failover");
    }
    apps.verify();
    // The planned hand-over, through the new manager.
    // A failover still under way (the primary's) is refused with a reason: ask again.
    let deadline = Instant::now() + MINUTE;
    let out = loop {
        let (ok, out, err) = c.seqctl(&["failover"]);
        if ok {
            break out;
        }
        assert!(
            err.contains("already under way") && Instant::now() < deadline,
            "{err}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(out.contains("Handover"), "{out}");
    c.wait_line(&["planned hand-over from primary"], MINUTE);
    apps.take(200, MINUTE, "after the planned hand-over");
    apps.verify();
}
