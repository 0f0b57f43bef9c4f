//! The manager's rules about its store and its recovery order, against a scripted
//! cluster: every decision is durable before a card sees it, a deposed manager sends
//! nothing, a resumed manager finishes the promotion it finds pending, and the new
//! primary's counter comes from the stored value, else the fenced mirror, else the seed.

use seqfab_contract::program::Config;
use seqfab_contract::regs;
use seqfab_manage::store::{ClusterState, MemStore, Store};
use seqfab_manage::{Cards, Manager};
use std::sync::{Arc, Mutex};

/// What happened, in order: saves to the store and CONFIGs to cards.
#[derive(Clone, Debug, PartialEq)]
enum Event {
    Saved { epoch: u32, pending: bool },
    Sent { to: u8, epoch: u32 },
}

type Journal = Arc<Mutex<Vec<Event>>>;

/// A store that journals every accepted save.
struct Journaled(MemStore, Journal);

impl Store for Journaled {
    fn campaign(&mut self, w: std::time::Duration) -> seqfab_manage::store::Result<bool> {
        self.0.campaign(w)
    }
    fn is_leader(&mut self) -> bool {
        self.0.is_leader()
    }
    fn leader(&mut self) -> seqfab_manage::store::Result<Option<seqfab_manage::store::Leader>> {
        self.0.leader()
    }
    fn resign(&mut self) -> seqfab_manage::store::Result<()> {
        self.0.resign()
    }
    fn load(&mut self) -> seqfab_manage::store::Result<Option<ClusterState>> {
        self.0.load()
    }
    fn save(&mut self, s: &ClusterState) -> seqfab_manage::store::Result<()> {
        self.0.save(s)?;
        self.1.lock().unwrap().push(Event::Saved {
            epoch: s.epoch,
            pending: s.pending.is_some(),
        });
        Ok(())
    }
}

/// A cluster of cards that apply CONFIGs at once and hear each other unless dead.
struct Scripted {
    epoch: Vec<u32>,
    counter: Vec<u64>,
    stored: Vec<u64>,
    dead: Vec<bool>,
    now: u64,
    journal: Journal,
    stored_by_query: Option<u64>,
    mirror: Option<u64>,
}

impl Scripted {
    fn new(n: usize, journal: &Journal) -> Scripted {
        Scripted {
            epoch: vec![0; n],
            counter: vec![0; n],
            stored: vec![0; n],
            dead: vec![false; n],
            now: 0,
            journal: journal.clone(),
            stored_by_query: None,
            mirror: None,
        }
    }

    fn live(&self) -> u64 {
        (0..self.dead.len())
            .filter(|&m| !self.dead[m])
            .fold(0, |b, m| b | 1 << m)
    }
}

impl Cards for Scripted {
    type Read = u64;
    fn nodes(&self) -> usize {
        self.epoch.len()
    }
    fn now(&self) -> u64 {
        self.now
    }
    fn read(&mut self, node: usize, reg: u32) -> Option<u64> {
        if self.dead[node] {
            return None;
        }
        Some(match reg {
            regs::LIVE_X | regs::LIVE_Y => self.live() & !(1 << node),
            regs::EPOCH => self.epoch[node] as u64,
            regs::LEASE => 100,
            regs::LEASE_HOLD_LEFT => 0,
            regs::STORED => self.stored[node],
            regs::COUNTER => self.counter[node],
            regs::LIMIT => 1 << 30,
            _ => 0,
        })
    }
    fn result(&mut self, _node: usize, read: u64) -> Option<u64> {
        Some(read)
    }
    fn send_config(&mut self, _via: usize, to: u8, cfg: &Config) {
        self.journal.lock().unwrap().push(Event::Sent {
            to,
            epoch: cfg.epoch,
        });
        let t = to as usize;
        if !self.dead[t] && cfg.epoch >= self.epoch[t] {
            self.epoch[t] = cfg.epoch;
            if let Some(c) = cfg.counter {
                self.counter[t] = c.max(self.stored[t]);
            }
        }
    }
    fn host_up(&self, node: usize) -> bool {
        !self.dead[node]
    }
    fn query_stored(&mut self, _node: usize) -> Option<u64> {
        self.stored_by_query
    }
    fn fenced_mirror(&mut self, _node: usize, _fence: &Config) -> Option<u64> {
        self.mirror
    }
}

fn run(m: &mut Manager<u64>, c: &mut Scripted, ticks: u64) {
    for _ in 0..ticks {
        c.now += 1;
        m.tick(c);
    }
}

fn setup(n: usize) -> (Manager<u64>, Scripted, MemStore, Journal) {
    let journal: Journal = Arc::default();
    let mut store = MemStore::new("a");
    store.campaign(std::time::Duration::ZERO).unwrap();
    let state = Manager::<u64>::initial_state(n, 1, 2, 1 << 20);
    let mut m = Manager::resume(
        0,
        Box::new(Journaled(store.clone(), journal.clone())),
        state,
        10,
    );
    let mut c = Scripted::new(n, &journal);
    m.configure(&mut c);
    run(&mut m, &mut c, 50);
    (m, c, store, journal)
}

fn events_from(journal: &Journal, from: usize) -> Vec<Event> {
    journal.lock().unwrap()[from..].to_vec()
}

#[test]
fn the_new_epoch_is_durable_before_any_card_sees_it() {
    let (mut m, mut c, _store, journal) = setup(5);
    let mark = journal.lock().unwrap().len();
    c.stored[2] = 500;
    c.dead[1] = true;
    run(&mut m, &mut c, 100);
    let ev = events_from(&journal, mark);
    let saved = ev
        .iter()
        .position(|e| {
            matches!(
                e,
                Event::Saved {
                    epoch: 2,
                    pending: true
                }
            )
        })
        .expect("epoch 2 saved with the promotion pending");
    let sent = ev
        .iter()
        .position(|e| matches!(e, Event::Sent { epoch: 2, .. }))
        .expect("epoch 2 sent");
    assert!(saved < sent, "{ev:?}");
    let committed = ev
        .iter()
        .position(|e| {
            matches!(
                e,
                Event::Saved {
                    epoch: 2,
                    pending: false
                }
            )
        })
        .expect("the roles committed");
    // The other cards get the epoch only once the roles are durable.
    let others = ev
        .iter()
        .position(|e| matches!(e, Event::Sent { to, epoch: 2 } if *to != 2))
        .expect("the others told");
    assert!(committed < others, "{ev:?}");
    assert_eq!(m.roles().primary, 2);
    assert_eq!(c.counter[2], 500, "the secondary's stored value");
    assert!(m
        .log
        .events
        .iter()
        .any(|e| e.contains("stored value 500 (its register)")));
}

#[test]
fn a_deposed_manager_changes_nothing() {
    let (mut m, mut c, store, journal) = setup(5);
    store.depose();
    // Another manager was elected meanwhile and wrote its own state.
    let mut other = store.candidate("b");
    other.campaign(std::time::Duration::ZERO).unwrap();
    let mark = journal.lock().unwrap().len();
    c.dead[1] = true;
    run(&mut m, &mut c, 100);
    assert!(m.stopped());
    assert_eq!(events_from(&journal, mark), vec![], "no save, no CONFIG");
    assert_eq!(c.epoch[2], 1);
}

#[test]
fn a_resumed_manager_finishes_the_pending_promotion() {
    let (mut m, mut c, store, journal) = setup(5);
    c.stored[2] = 700;
    c.dead[1] = true;
    // Poll until the promotion is decided, then "crash" before it is confirmed: the
    // new primary never got its CONFIG.
    for _ in 0..100 {
        c.now += 1;
        m.tick(&mut c);
        if m.promoting() {
            break;
        }
    }
    assert!(m.promoting());
    c.epoch[2] = 1;
    let mut s = store.clone();
    let state = s.load().unwrap().unwrap();
    let pending = state.pending.expect("the promotion is in the store");
    assert_eq!(pending.counter, Some(700));
    drop(m);
    store.depose();
    let mut next = store.candidate("b");
    next.campaign(std::time::Duration::ZERO).unwrap();
    let mark = journal.lock().unwrap().len();
    let mut m = Manager::resume(0, Box::new(Journaled(next, journal.clone())), state, 10);
    run(&mut m, &mut c, 100);
    let ev = events_from(&journal, mark);
    assert!(
        ev.contains(&Event::Sent {
            to: 2,
            epoch: pending.epoch
        }),
        "the same promotion is sent again: {ev:?}"
    );
    assert_eq!(m.roles().epoch, pending.epoch, "{:?}", m.log.events);
    assert_eq!(c.counter[2], 700);
}

#[test]
fn the_counter_comes_from_the_query_then_the_mirror_then_the_seed() {
    // Primary lost: STATE_QUERY's answer wins over the poll's register.
    let (mut m, mut c, _, _) = setup(5);
    c.stored[2] = 10;
    c.stored_by_query = Some(40);
    c.dead[1] = true;
    run(&mut m, &mut c, 100);
    assert!(
        m.log
            .events
            .iter()
            .any(|e| e.contains("stored value 40 (STATE_QUERY)")),
        "{:?}",
        m.log.events
    );

    // Both lost, the secondary's host answers with the fenced mirror.
    let (mut m, mut c, _, _) = setup(5);
    c.mirror = Some(900);
    c.dead[1] = true;
    c.dead[2] = true;
    run(&mut m, &mut c, 100);
    assert!(
        m.log.events.iter().any(|e| e.contains("DMA mirror 900")),
        "{:?}",
        m.log.events
    );
    assert_eq!(m.log.mirror_recoveries, 1);

    // Both lost and no mirror: the durable limit seeds.
    let (mut m, mut c, _, _) = setup(5);
    c.dead[1] = true;
    c.dead[2] = true;
    run(&mut m, &mut c, 100);
    assert!(
        m.log
            .events
            .iter()
            .any(|e| e.contains(&format!("seeded at the durable limit {}", 1 << 20))),
        "{:?}",
        m.log.events
    );
    assert_eq!(m.log.seeds, 1);
}
