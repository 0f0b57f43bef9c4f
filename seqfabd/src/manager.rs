//! The manager role (DESIGN.md 5): every `seqfabd` started with `--manager` is a
//! candidate; the one the store elects runs [`seqfab_manage::Manager`] against the real
//! cards: its own through the driver (CONFIG and STATE_QUERY through its management
//! window), the others through their hosts' agents ([`crate::rpc`]).
//!
//! The manager keeps nothing that is not in the cards or the store, so a candidate that
//! wins after the active manager's host died resumes where it stopped, a pending
//! promotion included. While no manager runs, the cards keep serving: their leases
//! come from each other's heartbeats, not from the manager.

use crate::agent::{log, Shared};
use crate::rpc::{Client, FenceRequest, InitRequest, ManagerView};
use seqfab_contract::program::Config;
use seqfab_contract::regs;
use seqfab_manage::store::{FileStore, Store, StoreError};
use seqfab_manage::{Cards, Command, Manager};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a new primary's host may take to show the new epoch before the manager
/// gives the promotion up: the card adopts it within microseconds, but the CONFIG and
/// the reads go through processes that a loaded host can delay by far more than a poll.
const PROMOTE_PATIENCE_MS: u64 = 5000;

/// Where the durable state lives.
#[derive(Clone, Debug)]
pub enum StoreSpec {
    /// `file:PATH`: one manager host.
    File(PathBuf),
    /// `etcd:URL[,URL...]`: managers on several hosts.
    Etcd {
        endpoints: Vec<String>,
        prefix: String,
        ttl: Duration,
    },
}

impl std::str::FromStr for StoreSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<StoreSpec, String> {
        if let Some(p) = s.strip_prefix("file:") {
            return Ok(StoreSpec::File(p.into()));
        }
        if let Some(e) = s.strip_prefix("etcd:") {
            return Ok(StoreSpec::Etcd {
                endpoints: e.split(',').map(str::to_string).collect(),
                prefix: "/seqfab".into(),
                ttl: Duration::from_secs(2),
            });
        }
        Err(format!(
            "{s:?}: expected file:PATH or etcd:http://HOST:PORT[,http://HOST:PORT...]"
        ))
    }
}

/// How a candidate manages.
#[derive(Clone, Debug)]
pub struct ManagerOptions {
    pub store: StoreSpec,
    /// Every host's RPC address, by node id (this host's included): the cluster.
    pub peers: Vec<String>,
    /// Time between polls of every card.
    pub poll: Duration,
    /// This daemon's own RPC address, as others reach it (goes into the leader's name).
    pub advertise: String,
}

/// An operator's request to the manager.
pub enum Op {
    Init(InitRequest),
    Cmd(Command),
}

/// An answer to an [`Op`]: done, or an HTTP status, why, and the leader to ask.
pub type Answer = Result<String, (u16, String, Option<String>)>;

/// An [`Op`] on its way to the manager thread, with where its answer goes.
pub struct Ask {
    op: Op,
    reply: Sender<Answer>,
}

/// The candidate as the RPC server sees it: its last published view, and a way to ask.
pub struct Role {
    view: Mutex<ManagerView>,
    asks: Mutex<Sender<Ask>>,
}

impl Role {
    pub fn new(node: u8, _opts: &ManagerOptions) -> (Arc<Role>, Receiver<Ask>) {
        let (tx, rx) = mpsc::channel();
        let role = Role {
            view: Mutex::new(ManagerView {
                node,
                candidate: true,
                ..ManagerView::default()
            }),
            asks: Mutex::new(tx),
        };
        (Arc::new(role), rx)
    }

    pub fn view(&self) -> ManagerView {
        self.view.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn publish(&self, f: impl FnOnce(&mut ManagerView)) {
        f(&mut self.view.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// Hands `op` to the manager thread and waits for its answer.
    pub fn ask(&self, op: Op) -> Answer {
        let (tx, rx) = mpsc::channel();
        let sent = self
            .asks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(Ask { op, reply: tx });
        if sent.is_err() {
            return Err((503, "the manager thread has stopped".into(), None));
        }
        rx.recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| Err((504, "the manager did not answer within 10 s".into(), None)))
    }
}

fn name(node: u8, advertise: &str) -> String {
    format!("node{node}@{advertise}")
}

fn open_store(opts: &ManagerOptions, name: &str) -> Result<Box<dyn Store>, StoreError> {
    Ok(match &opts.store {
        StoreSpec::File(path) => Box::new(FileStore::open(path, name)?),
        StoreSpec::Etcd {
            endpoints,
            prefix,
            ttl,
        } => Box::new(seqfab_manage::store::EtcdStore::connect(
            endpoints, prefix, name, *ttl,
        )?),
    })
}

/// The candidate's life until `stop`: campaign, lead (manage), and campaign again when
/// deposed or stepped down.
pub fn run(
    shared: &Arc<Shared>,
    opts: &ManagerOptions,
    stop: &Arc<AtomicBool>,
    role: &Arc<Role>,
    asks: Receiver<Ask>,
) {
    let node = shared.opts.node;
    let me = name(node, &opts.advertise);
    let mut store: Option<Box<dyn Store>> = None;
    let mut quiet_until = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let s = match store.as_mut() {
            Some(s) => s,
            None => match open_store(opts, &me) {
                Ok(s) => store.insert(s),
                Err(e) => {
                    log(format!("manager: store: {e}; retrying"));
                    refuse_all(
                        &asks,
                        role,
                        503,
                        &format!("the store cannot be reached: {e}"),
                    );
                    std::thread::sleep(Duration::from_millis(500));
                    continue;
                }
            },
        };
        if Instant::now() < quiet_until {
            refuse_all(
                &asks,
                role,
                409,
                "this candidate stepped down; ask the active manager",
            );
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        match s.campaign(Duration::from_millis(200)) {
            Ok(true) => {}
            Ok(false) => {
                let leader = s.leader().ok().flatten().map(|l| l.name);
                let state = s.load().ok().flatten();
                role.publish(|v| {
                    v.active = false;
                    v.leader.clone_from(&leader);
                    if state.is_some() {
                        v.state = state;
                    }
                });
                refuse_all(&asks, role, 409, "not the active manager");
                continue;
            }
            Err(e) => {
                log(format!("manager: campaign: {e}"));
                refuse_all(&asks, role, 503, &format!("the store: {e}"));
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
        }
        log(format!("manager: {me} is the active manager"));
        let store_box = store.take().expect("opened above");
        let (back, stepped_down) = lead(shared, opts, stop, role, &asks, store_box, &me);
        role.publish(|v| v.active = false);
        store = back;
        if let Some(s) = store.as_mut() {
            let _ = s.resign();
        }
        if stepped_down {
            // Give the candidates whose cards hear a quorum the time to win.
            quiet_until = Instant::now() + Duration::from_secs(3);
        }
    }
    if let Some(s) = store.as_mut() {
        let _ = s.resign();
    }
}

fn refuse_all(asks: &Receiver<Ask>, role: &Role, status: u16, why: &str) {
    let leader = role.view().leader;
    for a in asks.try_iter() {
        let hint = match &leader {
            Some(l) => format!("{why}: the active manager is {l}"),
            None => format!("{why}: no manager is active yet"),
        };
        let _ = a.reply.send(Err((status, hint, leader.clone())));
    }
}

/// Leads until deposed, stepped down or stopped. Returns the store (to campaign with
/// again) and whether the manager stepped down.
fn lead(
    shared: &Arc<Shared>,
    opts: &ManagerOptions,
    stop: &Arc<AtomicBool>,
    role: &Arc<Role>,
    asks: &Receiver<Ask>,
    mut store: Box<dyn Store>,
    me: &str,
) -> (Option<Box<dyn Store>>, bool) {
    let poll_ms = opts.poll.as_millis().max(1) as u64;
    let mut cards = DaemonCards::new(shared, opts);
    let state = loop {
        if stop.load(Ordering::Relaxed) || !store.is_leader() {
            return (Some(store), false);
        }
        match store.load() {
            Ok(Some(state)) => break state,
            Ok(None) => {
                role.publish(|v| {
                    v.active = true;
                    v.leader = Some(me.to_string());
                    v.state = None;
                });
                // Not initialised: wait for `seqctl init`.
                let Ok(a) = asks.recv_timeout(Duration::from_millis(100)) else {
                    continue;
                };
                let Op::Init(i) = a.op else {
                    let _ = a.reply.send(Err((
                        409,
                        "the cluster is not initialised: run `seqctl init --primary A --secondary B` first".into(),
                        None,
                    )));
                    continue;
                };
                let nodes = opts.peers.len();
                if i.primary as usize >= nodes
                    || i.secondary as usize >= nodes
                    || i.primary == i.secondary
                {
                    let _ = a.reply.send(Err((
                        400,
                        format!(
                            "primary {} and secondary {} must be two different nodes of 0..{nodes}",
                            i.primary, i.secondary
                        ),
                        None,
                    )));
                    continue;
                }
                if i.window < 2 {
                    let _ = a
                        .reply
                        .send(Err((400, "the window must be at least 2".into(), None)));
                    continue;
                }
                let state = Manager::<u64>::initial_state(nodes, i.primary, i.secondary, i.window);
                let mut m = Manager::resume(shared.opts.node as usize, store, state, poll_ms);
                m.set_promote_patience(PROMOTE_PATIENCE_MS);
                m.configure(&mut cards);
                let ok = !m.stopped();
                let _ = a.reply.send(if ok {
                    Ok(format!(
                        "initialised: epoch 1, primary {}, secondary {}, limit {}",
                        i.primary, i.secondary, i.window
                    ))
                } else {
                    Err((
                        409,
                        "the store refused the write: this manager was deposed".into(),
                        None,
                    ))
                });
                return manage(m, cards, stop, role, asks, me);
            }
            Err(e) => {
                // A corrupt store is never read as an empty cluster: that would restart
                // the numbers. Refuse everything until an operator repairs it.
                log(format!("manager: {e}"));
                refuse_all(asks, role, 500, &e.to_string());
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    };
    log(format!(
        "manager: resuming at epoch {} (primary {}, secondary {}, limit {}{})",
        state.roles.epoch,
        state.roles.primary,
        state.roles.secondary,
        state.limit,
        if state.pending.is_some() {
            ", a promotion pending"
        } else {
            ""
        }
    ));
    let mut m = Manager::resume(shared.opts.node as usize, store, state, poll_ms);
    m.set_promote_patience(PROMOTE_PATIENCE_MS);
    manage(m, cards, stop, role, asks, me)
}

fn manage(
    mut m: Manager<u64>,
    mut cards: DaemonCards,
    stop: &Arc<AtomicBool>,
    role: &Arc<Role>,
    asks: &Receiver<Ask>,
    me: &str,
) -> (Option<Box<dyn Store>>, bool) {
    let mut logged = 0;
    while !stop.load(Ordering::Relaxed) && !m.stopped() {
        for a in asks.try_iter() {
            let answer = match a.op {
                Op::Init(_) => Err((
                    409,
                    format!(
                        "already initialised (epoch {}, limit {}): init would restart the numbers",
                        m.state().epoch,
                        m.state().limit
                    ),
                    None,
                )),
                Op::Cmd(c) => m
                    .command(c)
                    .map(|()| format!("{c:?}: accepted, acted on at the next poll"))
                    .map_err(|e| (409, e.to_string(), None)),
            };
            // What a caller reads after this answer includes the command's effect.
            role.publish(|v| v.state = Some(m.state().clone()));
            let _ = a.reply.send(answer);
        }
        m.tick(&mut cards);
        for e in &m.log.events[logged..] {
            log(format!("manager: {e}"));
        }
        logged = m.log.events.len();
        let events = m.log.events.iter().rev().take(50).rev().cloned().collect();
        role.publish(|v| {
            v.active = !m.stopped();
            v.leader = Some(me.to_string());
            v.state = Some(m.state().clone());
            v.failovers = m.log.failovers;
            v.window_raises = m.log.window_raises;
            v.seeds = m.log.seeds;
            v.mirror_recoveries = m.log.mirror_recoveries;
            v.events = events;
        });
        std::thread::sleep(Duration::from_millis(1));
    }
    let stepped_down = cards.stepped_down;
    (Some(m.into_store()), stepped_down)
}

/// [`Cards`] over real cards: this host's through the driver, the others through their
/// agents. Reads answer at once (`Read` is the value itself); each poll reads every
/// remote card once, in parallel, with a short timeout.
struct DaemonCards {
    shared: Arc<Shared>,
    peers: Vec<String>,
    client: Client,
    start: Instant,
    poll_ms: u64,
    /// Per node: when it was read (manager ms) and what (None: no answer).
    cache: Vec<Option<(u64, Option<crate::rpc::CardView>)>>,
    stepped_down: bool,
}

impl DaemonCards {
    fn new(shared: &Arc<Shared>, opts: &ManagerOptions) -> DaemonCards {
        DaemonCards {
            shared: shared.clone(),
            peers: opts.peers.clone(),
            client: Client::new(Duration::from_millis(300), shared.opts.token.clone()),
            start: Instant::now(),
            poll_ms: opts.poll.as_millis().max(1) as u64,
            cache: vec![None; opts.peers.len()],
            stepped_down: false,
        }
    }

    fn own(&self, node: usize) -> bool {
        node == self.shared.opts.node as usize
    }

    /// Every card's poll view, fetched together when the cache is older than half a poll.
    fn view(&mut self, node: usize) -> Option<&crate::rpc::CardView> {
        let now = self.now();
        let fresh = |c: &Option<(u64, _)>| {
            c.as_ref()
                .is_some_and(|(t, _)| now < t + self.poll_ms / 2 + 1)
        };
        if !fresh(&self.cache[node]) {
            let views: Vec<Option<crate::rpc::CardView>> = std::thread::scope(|sc| {
                let handles: Vec<_> = (0..self.peers.len())
                    .map(|n| {
                        let (client, addr, shared) = (&self.client, &self.peers[n], &self.shared);
                        let own = self.own(n);
                        sc.spawn(move || {
                            if own {
                                Some(crate::local::card_view(shared, false))
                            } else {
                                client.get(addr, "/v1/card?polled").ok()
                            }
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().ok().flatten())
                    .collect()
            });
            for (n, v) in views.into_iter().enumerate() {
                self.cache[n] = Some((now, v));
            }
        }
        self.cache[node].as_ref().and_then(|(_, v)| v.as_ref())
    }
}

impl Cards for DaemonCards {
    type Read = u64;

    fn nodes(&self) -> usize {
        self.peers.len()
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn unit(&self) -> &'static str {
        "ms"
    }

    fn read(&mut self, node: usize, reg: u32) -> Option<u64> {
        let name = regs::lookup(reg)?.name;
        if self.own(node) && !matches!(reg, regs::LIVE_X | regs::LIVE_Y) {
            // This host's card answers at once, fresh (the promotion reads EPOCH and
            // COUNTER of a card that may be this one).
            let v = self.shared.card.read(reg).ok()?;
            return self.view(node).is_some_and(|c| c.alive).then_some(v);
        }
        let v = self.view(node)?;
        if !v.alive {
            return None;
        }
        if seqfab_manage::POLLED.contains(&reg) {
            return v.reg(name);
        }
        // Not in the poll's set (the promotion's reads): ask that host now.
        self.client
            .get::<crate::rpc::CardView>(&self.peers[node], "/v1/card")
            .ok()
            .filter(|c| c.alive)
            .and_then(|c| c.reg(name))
    }

    fn result(&mut self, _node: usize, read: u64) -> Option<u64> {
        Some(read)
    }

    fn send_config(&mut self, _via: usize, to: u8, cfg: &Config) {
        // `via` is always this host: the manager runs here.
        if let Err(e) = self.shared.card.send_config(to, cfg) {
            log(format!("manager: CONFIG to node {to}: {e}"));
        }
        // What follows reads what the CONFIG changed.
        self.cache.iter_mut().for_each(|c| *c = None);
    }

    fn host_up(&self, node: usize) -> bool {
        self.own(node) || self.cache[node].as_ref().is_some_and(|(_, v)| v.is_some())
    }

    fn query_stored(&mut self, node: usize) -> Option<u64> {
        let r = self
            .shared
            .card
            .query_state(node as u8, Duration::from_millis(100))
            .ok()
            .flatten()?;
        Some(r.stored)
    }

    fn fenced_mirror(&mut self, node: usize, fence: &Config) -> Option<u64> {
        let f = FenceRequest {
            epoch: fence.epoch,
            primary: fence.primary,
            secondary: fence.secondary,
            quorum: fence.quorum,
        };
        let reply = if self.own(node) {
            crate::local::fence(&self.shared, &f)
        } else {
            let client = Client::new(Duration::from_secs(2), self.shared.opts.token.clone());
            match client.post::<_, crate::rpc::FenceReply>(&self.peers[node], "/v1/fence", &f) {
                Ok(r) => r,
                Err(e) => {
                    log(format!("manager: fence of node {node}: {e}"));
                    return None;
                }
            }
        };
        log(format!("manager: fence of node {node}: {reply:?}"));
        reply.final_stored()
    }

    fn hand_over(&mut self, _from: usize) -> Option<usize> {
        // Another candidate, whose card hears a quorum, is elected by the store.
        self.stepped_down = true;
        None
    }
}
