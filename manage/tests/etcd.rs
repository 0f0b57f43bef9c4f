//! EtcdStore against a real etcd (Debian's etcd-server, 3.4), started on loopback by each
//! test: the election with two and three candidates, hand-over on resign and drop, a
//! leader whose lease runs out (paused) or is revoked behind its back, corrupt state, and
//! etcd absent or killed. Every wait is bounded.
#![cfg(feature = "etcd")]

use seqfab_manage::store::{ClusterState, EtcdServer, EtcdStore, Roles, Store, StoreError};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// The lease TTL of the tests: etcd's minimum (with its default election timeout).
const TTL: Duration = Duration::from_secs(2);
/// How long after a lease's last renewal etcd may take to delete its keys: it checks
/// leases every 500 ms, and deleting is a raft proposal.
const EXPIRY_SLACK: Duration = Duration::from_millis(1500);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A real etcd of the test's own (`seqfab_manage::store::EtcdServer`), and what a test
/// does with it that no candidate would.
struct Etcd(EtcdServer);

impl std::ops::Deref for Etcd {
    type Target = EtcdServer;
    fn deref(&self) -> &EtcdServer {
        &self.0
    }
}

impl std::ops::DerefMut for Etcd {
    fn deref_mut(&mut self) -> &mut EtcdServer {
        &mut self.0
    }
}

impl Etcd {
    fn start() -> Etcd {
        Etcd(EtcdServer::start().unwrap_or_else(|e| panic!("etcd did not start: {e}")))
    }

    fn candidate(&self, name: &str) -> EtcdStore {
        EtcdStore::connect(&self.endpoints(), "/seqfab/test", name, TTL).unwrap()
    }

    /// A plain etcd client, for what no candidate would do: write bad state, revoke a
    /// lease behind a leader's back.
    fn raw<T>(&self, f: impl AsyncFnOnce(etcd_client::Client) -> T) -> T {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let client = etcd_client::Client::connect(self.endpoints(), None)
                .await
                .unwrap();
            tokio::time::timeout(Duration::from_secs(10), f(client))
                .await
                .expect("raw etcd call timed out")
        })
    }
}

fn state(epoch: u32) -> ClusterState {
    ClusterState {
        nodes: 3,
        window: 4096,
        epoch,
        roles: Roles {
            epoch,
            primary: 0,
            secondary: 1,
        },
        limit: 1 << 40,
        floor: 0,
        pending: None,
        removed: 0,
    }
}

/// Campaigns each candidate once (no wait) and returns which ones lead.
fn leaders(cands: &mut [EtcdStore]) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, c) in cands.iter_mut().enumerate() {
        if c.campaign(Duration::ZERO).unwrap() {
            out.push(i);
        }
    }
    for (i, c) in cands.iter_mut().enumerate() {
        assert_eq!(c.is_leader(), out.contains(&i), "candidate {i}");
    }
    out
}

#[test]
fn two_candidates_one_leader() {
    let etcd = Etcd::start();
    let mut a = etcd.candidate("a");
    let mut b = etcd.candidate("b");
    assert_eq!(a.leader().unwrap(), None);
    assert_eq!(a.load().unwrap(), None);
    assert!(a.campaign(Duration::ZERO).unwrap());
    let t = Instant::now();
    assert!(!b.campaign(Duration::from_millis(300)).unwrap());
    assert!(t.elapsed() >= Duration::from_millis(300), "campaign waits");
    assert!(a.is_leader() && !b.is_leader());
    assert_eq!(b.leader().unwrap().unwrap().name, "a");

    a.save(&state(1)).unwrap();
    assert!(matches!(b.save(&state(99)), Err(StoreError::NotLeader)));
    assert_eq!(
        b.load().unwrap(),
        Some(state(1)),
        "the refused save wrote nothing"
    );
    assert!(
        a.campaign(Duration::ZERO).unwrap(),
        "campaigning while leading says yes"
    );

    // A leader stays leader over several TTLs (the keep-alive runs while it is idle).
    std::thread::sleep(TTL * 2);
    assert!(a.is_leader());
    a.save(&state(2)).unwrap();
    assert!(!b.campaign(Duration::ZERO).unwrap());

    // Resign: the other takes over at once.
    a.resign().unwrap();
    assert!(!a.is_leader());
    assert!(matches!(a.save(&state(98)), Err(StoreError::NotLeader)));
    assert!(b.campaign(Duration::from_secs(1)).unwrap());
    assert_eq!(a.leader().unwrap().unwrap().name, "b");
    b.save(&state(3)).unwrap();
    assert_eq!(a.load().unwrap(), Some(state(3)));
    assert!(!a.campaign(Duration::ZERO).unwrap());
}

#[test]
fn three_candidates_and_hand_over() {
    let etcd = Etcd::start();
    let mut c = vec![
        etcd.candidate("a"),
        etcd.candidate("b"),
        etcd.candidate("c"),
    ];
    let first = leaders(&mut c);
    assert_eq!(first.len(), 1, "exactly one leader: {first:?}");
    let l = first[0];
    c[l].save(&state(1)).unwrap();
    for (i, other) in c.iter_mut().enumerate() {
        if i != l {
            let refused = other.save(&state(50 + i as u32));
            assert!(matches!(refused, Err(StoreError::NotLeader)), "{refused:?}");
        }
    }

    // The leader is dropped (a clean shutdown revokes its lease): one of the others
    // takes over well within the TTL.
    drop(c.remove(l));
    let t = Instant::now();
    let mut next = Vec::new();
    while next.is_empty() && t.elapsed() < TTL + EXPIRY_SLACK {
        next = leaders(&mut c);
    }
    assert_eq!(next.len(), 1, "exactly one new leader: {next:?}");
    eprintln!("hand-over after drop: {:?}", t.elapsed());
    let l = next[0];
    assert_eq!(c[l].load().unwrap(), Some(state(1)));
    c[l].save(&state(2)).unwrap();
    assert!(matches!(
        c[1 - l].save(&state(60)),
        Err(StoreError::NotLeader)
    ));

    // Both remaining candidates campaign at once, from two threads: one wins.
    let mut other = c.remove(1 - l);
    let mut lead = c.remove(0);
    lead.resign().unwrap();
    let (wa, wb) = std::thread::scope(|s| {
        let ha = s.spawn(|| lead.campaign(Duration::from_millis(500)).unwrap());
        let hb = s.spawn(|| other.campaign(Duration::from_millis(500)).unwrap());
        (ha.join().unwrap(), hb.join().unwrap())
    });
    assert!(
        wa ^ wb,
        "exactly one of two concurrent campaigns wins: {wa} {wb}"
    );
}

#[test]
fn paused_leader_is_deposed_and_its_write_refused() {
    let etcd = Etcd::start();
    let mut a = etcd.candidate("a");
    let mut b = etcd.candidate("b");
    assert!(a.campaign(Duration::ZERO).unwrap());
    a.save(&state(1)).unwrap();

    // `a` stops renewing (paused, partitioned): its lease runs out, `b` is elected.
    a.stop_keep_alive();
    let t = Instant::now();
    assert!(b
        .campaign(TTL + EXPIRY_SLACK + Duration::from_secs(1))
        .unwrap());
    let took = t.elapsed();
    eprintln!("take-over after the leader stopped renewing: {took:?}");
    assert!(
        took >= TTL - TTL / 4,
        "not before the lease could have run out: {took:?}"
    );
    assert!(took <= TTL + EXPIRY_SLACK, "{took:?}");
    b.save(&state(2)).unwrap();

    // The deposed manager's write (before it has looked at `is_leader`, as a manager
    // paused mid-step would) is refused by etcd and changes nothing.
    assert!(matches!(a.save(&state(666)), Err(StoreError::NotLeader)));
    assert_eq!(a.load().unwrap(), Some(state(2)));
    assert!(!a.is_leader(), "a knows it may no longer lead");
    assert_eq!(a.leader().unwrap().unwrap().name, "b");
    // It can stand again (new lease), and loses while b leads.
    assert!(!a.campaign(Duration::from_millis(200)).unwrap());
    assert!(b.is_leader());
}

#[test]
fn paused_leader_stops_believing_before_another_is_elected() {
    let etcd = Etcd::start();
    let mut a = etcd.candidate("a");
    let mut b = etcd.candidate("b");
    assert!(a.campaign(Duration::ZERO).unwrap());
    a.stop_keep_alive();
    let t0 = Instant::now();
    let mut a_stopped = None;
    loop {
        let a_leads = a.is_leader();
        if !a_leads && a_stopped.is_none() {
            a_stopped = Some(t0.elapsed());
        }
        if b.campaign(Duration::ZERO).unwrap() {
            assert!(!a.is_leader(), "two leaders at once");
            break;
        }
        assert!(t0.elapsed() < TTL + EXPIRY_SLACK, "b was not elected");
        std::thread::sleep(Duration::from_millis(10));
    }
    let (stopped, elected) = (a_stopped.unwrap(), t0.elapsed());
    eprintln!("a stopped believing after {stopped:?}, b elected after {elected:?}");
    assert!(
        stopped < TTL && stopped < elected,
        "{stopped:?} {elected:?}"
    );
}

#[test]
fn lease_revoked_behind_the_leaders_back() {
    let etcd = Etcd::start();
    let mut a = etcd.candidate("a");
    let mut b = etcd.candidate("b");
    assert!(a.campaign(Duration::ZERO).unwrap());
    a.save(&state(1)).unwrap();
    let id = a.lease_id().unwrap();
    etcd.raw(async |mut c| c.lease_revoke(id).await.unwrap());
    assert!(b.campaign(Duration::from_secs(1)).unwrap());
    b.save(&state(2)).unwrap();
    // etcd refuses at once, before a's keep-alive has noticed anything: the guard is in
    // the transaction, not in a's belief.
    assert!(matches!(a.save(&state(666)), Err(StoreError::NotLeader)));
    assert_eq!(a.load().unwrap(), Some(state(2)));
    assert!(!a.is_leader());

    // Same with a leader key deleted by hand (`etcdctl del`): the keep-alive notices
    // within a TTL, and a's writes are refused meanwhile.
    b.resign().unwrap();
    assert!(a.campaign(Duration::from_secs(1)).unwrap());
    etcd.raw(async |mut c| c.delete("/seqfab/test/leader", None).await.unwrap());
    assert!(matches!(a.save(&state(667)), Err(StoreError::NotLeader)));
    let t = Instant::now();
    while a.is_leader() {
        assert!(t.elapsed() < TTL, "a still believes it leads");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn corrupt_state_is_refused() {
    let etcd = Etcd::start();
    let mut a = etcd.candidate("a");
    etcd.raw(async |mut c| {
        c.put("/seqfab/test/state", "{\"nodes\":3,", None)
            .await
            .unwrap()
    });
    match a.load() {
        Err(StoreError::Corrupt { place, why }) => {
            assert!(
                place.contains("/seqfab/test/state") && place.contains(&etcd.endpoints()[0]),
                "{place}"
            );
            assert!(why.contains("JSON"), "{why}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    etcd.raw(async |mut c| c.put("/seqfab/test/state", "", None).await.unwrap());
    assert!(matches!(a.load(), Err(StoreError::Corrupt { .. })));
    // The leader can overwrite it (re-seed).
    assert!(a.campaign(Duration::ZERO).unwrap());
    a.save(&state(4)).unwrap();
    assert_eq!(a.load().unwrap(), Some(state(4)));
}

#[test]
fn etcd_not_running_is_unreachable_quickly() {
    let port = free_port();
    let endpoints = vec![format!("http://127.0.0.1:{port}")];
    let t = Instant::now();
    match EtcdStore::connect(&endpoints, "/seqfab/test", "a", TTL) {
        Err(StoreError::Unreachable { endpoints: e, why }) => {
            assert!(e.contains(&port.to_string()), "{e}: {why}");
        }
        Err(e) => panic!("expected Unreachable, got {e:?}"),
        Ok(_) => panic!("connected to nothing"),
    }
    eprintln!("unreachable after {:?}", t.elapsed());
    assert!(t.elapsed() < Duration::from_secs(8), "{:?}", t.elapsed());
}

#[test]
fn etcd_killed_under_a_leader() {
    let mut etcd = Etcd::start();
    let mut a = etcd.candidate("a");
    assert!(a.campaign(Duration::ZERO).unwrap());
    a.save(&state(1)).unwrap();
    let t = Instant::now();
    etcd.kill();
    assert!(matches!(
        a.save(&state(2)),
        Err(StoreError::Unreachable { .. })
    ));
    assert!(matches!(a.load(), Err(StoreError::Unreachable { .. })));
    eprintln!("unreachable errors after {:?}", t.elapsed());
    assert!(t.elapsed() < Duration::from_secs(8), "{:?}", t.elapsed());
    // Without renewals it stops believing it leads within the TTL.
    while a.is_leader() {
        assert!(t.elapsed() < TTL, "a still believes it leads");
        std::thread::sleep(Duration::from_millis(20));
    }
    let t = Instant::now();
    drop(a);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "drop is bounded: {:?}",
        t.elapsed()
    );
}
