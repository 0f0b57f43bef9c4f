//! The request function (`seqfab`, userlib) in application processes against
//! `seqfab-sim serve`: several processes on several simulated hosts take numbers at
//! once, each request stamped with the system-wide monotonic clock, and the independent
//! checker of the testbench verifies I1 (unique) and I2 (real-time order) over the merged
//! history of every process. Also under a kill of the primary during the load, and with a
//! host of two cards whose first card dies.

#[path = "common/serve.rs"]
mod harness;

use harness::{now_ns, spawn_role, verify_wall_clock, Serve};
use seqfab::{Error, Sequencer};
use seqfab_contract::ring::Status;
use seqfab_testbench::checker::{check, CheckOptions, Violation};
use seqfab_testbench::history::{History, RequestRecord};
use std::io::Write;
use std::process::Child;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

/// The application process: `SEQFAB_APP_CARDS` = `path:node[,path:node]`; takes
/// `SEQFAB_APP_REQUESTS` requests of 1..=8 numbers and prints one line per request:
/// `rec ISSUED_NS COMPLETED_NS START COUNT` or `err ISSUED_NS COMPLETED_NS KIND`.
#[test]
fn app_process() {
    let (Ok(cards), Ok(requests)) = (
        std::env::var("SEQFAB_APP_CARDS"),
        std::env::var("SEQFAB_APP_REQUESTS"),
    ) else {
        return; // run as an ordinary test: nothing to do
    };
    let mut b = Sequencer::builder()
        .timeout(Duration::from_millis(1500))
        .ring_log2(8);
    for c in cards.split(',') {
        let (path, node) = c.rsplit_once(':').expect("path:node");
        b = b.card(path.parse().expect("target"), node.parse().expect("node"));
    }
    let seq = b.open().expect("open the cards");
    // Wait until the manager's configuration has reached this card.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match seq.next() {
            Ok(_) => break,
            Err(Error::NotConfigured | Error::Timeout { .. } | Error::Refused { .. })
                if Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("never configured: {e}"),
        }
    }
    println!("ready");
    let out = std::io::stdout();
    for i in 0..requests.parse::<u64>().unwrap() {
        let count = 1 + (i % 8) as u32;
        let issued = now_ns();
        let r = seq.next_batch(count);
        let completed = now_ns();
        let mut out = out.lock();
        match r {
            Ok(r) => writeln!(out, "rec {issued} {completed} {} {count}", r.start),
            Err(e) => writeln!(out, "err {issued} {completed} {e:?}"),
        }
        .unwrap();
        out.flush().unwrap();
    }
    let st = seq.stats();
    println!("stats {} {}", st.card_switches, st.timeouts);
    println!("end");
}

enum Line {
    Ready,
    Rec {
        issued: u64,
        completed: u64,
        start: u64,
        count: u32,
    },
    Err {
        issued: u64,
        completed: u64,
    },
    Stats {
        switches: u64,
    },
    End,
}

fn spawn_app(cards: &str, requests: u64, who: usize, tx: Sender<(usize, Line)>) -> Child {
    let env = [
        ("SEQFAB_APP_CARDS", cards.to_string()),
        ("SEQFAB_APP_REQUESTS", requests.to_string()),
    ];
    spawn_role("app_process", &env, None, move |line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let l = match f.as_slice() {
            ["ready"] => Line::Ready,
            ["rec", i, c, s, n] => Line::Rec {
                issued: i.parse().unwrap(),
                completed: c.parse().unwrap(),
                start: s.parse().unwrap(),
                count: n.parse().unwrap(),
            },
            ["err", i, c, ..] => Line::Err {
                issued: i.parse().unwrap(),
                completed: c.parse().unwrap(),
            },
            ["stats", s, _] => Line::Stats {
                switches: s.parse().unwrap(),
            },
            ["end"] => Line::End,
            _ => return true,
        };
        // Keep reading to the end even when nobody listens: a child whose pipe closes
        // dies of SIGPIPE.
        let _ = tx.send((who, l));
        true
    })
}

/// What the apps reported.
#[derive(Default)]
struct Collected {
    history: History,
    ok: Vec<u64>,
    failed: Vec<u64>,
    switches: Vec<u64>,
    ended: usize,
    ready: usize,
}

impl Collected {
    fn take(&mut self, rx: &Receiver<(usize, Line)>, until: impl Fn(&Collected) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(180);
        while !until(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok((who, l)) = rx.recv_timeout(left) else {
                panic!(
                    "apps stalled: ok {:?} failed {:?} ended {}",
                    self.ok, self.failed, self.ended
                );
            };
            self.ok.resize(self.ok.len().max(who + 1), 0);
            self.failed.resize(self.ok.len(), 0);
            self.switches.resize(self.ok.len(), 0);
            let record = |issued, completed, value, count, status| RequestRecord {
                node: who as u8,
                queue: 0,
                tag: 0,
                count,
                issued_cycle: issued,
                completed_cycle: Some(completed),
                value,
                status: Some(status),
                epoch: 0,
            };
            match l {
                Line::Ready => self.ready += 1,
                Line::Rec {
                    issued,
                    completed,
                    start,
                    count,
                } => {
                    self.ok[who] += 1;
                    self.history.requests.push(record(
                        issued,
                        completed,
                        start,
                        count,
                        Status::Ok as u8,
                    ));
                }
                Line::Err { issued, completed } => {
                    self.failed[who] += 1;
                    self.history.requests.push(record(
                        issued,
                        completed,
                        0,
                        1,
                        Status::Timeout as u8,
                    ));
                }
                Line::Stats { switches } => self.switches[who] = switches,
                Line::End => self.ended += 1,
            }
        }
    }

    /// The independent checker over every app's history: I1 and I2 in wall-clock time.
    fn verify(&mut self) {
        verify_wall_clock(&mut self.history);
    }
}

#[test]
fn processes_on_three_hosts_take_numbers_at_once_unique_and_in_real_time_order() {
    let s = Serve::start(3, &["--manager"]);
    let (tx, rx) = channel();
    let mut apps: Vec<Child> = (0..3)
        .map(|n| spawn_app(&format!("{}:{n}", s.card(n).display()), 300, n, tx.clone()))
        .collect();
    let mut got = Collected::default();
    got.take(&rx, |c| c.ended == 3);
    for a in &mut apps {
        assert!(a.wait().unwrap().success());
    }
    assert_eq!(got.ok, vec![300; 3], "failed: {:?}", got.failed);
    got.verify();
    // The checker is independent, and able to fail: a history with one number twice.
    let mut bad = got.history.clone();
    let mut dup = bad.requests[10].clone();
    dup.issued_cycle = bad.end_cycle;
    dup.completed_cycle = Some(bad.end_cycle + 1);
    bad.requests.push(dup);
    let opts = CheckOptions {
        check_stored: false,
        ..CheckOptions::default()
    };
    let found = check(&bad, opts);
    assert!(
        found
            .iter()
            .any(|v| matches!(v, Violation::Duplicate { .. })),
        "the checker missed a duplicate: {found:?}"
    );
}

#[test]
fn requests_complete_across_a_kill_of_the_primary_without_violations() {
    let s = Serve::start(4, &["--manager"]);
    let (tx, rx) = channel();
    // Apps on hosts 0 and 3; card 1 is the primary, card 2 the secondary.
    let mut apps = vec![
        spawn_app(&format!("{}:0", s.card(0).display()), 400, 0, tx.clone()),
        spawn_app(&format!("{}:3", s.card(3).display()), 400, 1, tx.clone()),
    ];
    let mut got = Collected::default();
    got.take(&rx, |c| c.ok.len() == 2 && c.ok.iter().all(|&n| n >= 100));
    assert_eq!(s.command("kill:1"), "ok");
    got.take(&rx, |c| c.ended == 2);
    for a in &mut apps {
        assert!(a.wait().unwrap().success());
    }
    let ok: u64 = got.ok.iter().sum();
    assert!(
        ok >= 700,
        "requests after the failover: ok {:?} failed {:?}",
        got.ok,
        got.failed
    );
    assert!(s.log().contains("failover to epoch 2"), "{}", s.log());
    got.verify();
}

#[test]
fn a_host_with_two_cards_moves_to_the_second_when_the_first_dies() {
    let s = Serve::start(4, &["--manager"]);
    let (tx, rx) = channel();
    // One host with cards 0 and 3 (a duplicate fabric), one app on card 2... of its own host.
    let two = format!("{}:0,{}:3", s.card(0).display(), s.card(3).display());
    let mut apps = vec![
        spawn_app(&two, 400, 0, tx.clone()),
        spawn_app(&format!("{}:2", s.card(2).display()), 400, 1, tx.clone()),
    ];
    let mut got = Collected::default();
    got.take(&rx, |c| c.ok.len() == 2 && c.ok[0] >= 100);
    assert_eq!(s.command("kill:0"), "ok");
    got.take(&rx, |c| c.ended == 2);
    for a in &mut apps {
        assert!(a.wait().unwrap().success());
    }
    assert_eq!(got.switches[0], 1, "the two-card host moved once");
    assert!(got.ok[0] >= 390, "ok {:?} failed {:?}", got.ok, got.failed);
    got.verify();
}
