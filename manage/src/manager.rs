//! [`Manager`]: the failure table of DESIGN.md 2, one poll at a time.

use crate::cards::Cards;
use crate::store::{ClusterState, MemStore, Pending, Roles, Store, StoreError};
use seqfab_contract::lease::quorum;
use seqfab_contract::program::Config;
use seqfab_contract::regs;

/// Cycles the manager waits for a poll's reads before it decides without the missing
/// ones (a card that does not answer is treated as hearing nobody).
const READ_PATIENCE: u64 = 200;
/// Polls in a row that may show the primary without a lease (while a quorum hears it)
/// before it counts as failed: a card that hears nobody keeps being heard by others,
/// and only its own `LEASE` tells.
const NO_LEASE_POLLS: u32 = 4;
/// Poll periods the manager waits for a new primary to show its new epoch before it
/// gives the failover up (and chooses again at the next poll, with a newer epoch).
const PROMOTE_PATIENCE: u64 = 20;
/// Polls in a row in which the manager's own card hears no quorum before the manager
/// moves to another host (the simulator's stand-in for another candidate winning the
/// election of issue 13).
const ISOLATED_POLLS: u32 = 4;

/// The registers a poll reads from every card, in this order ([`Manager::last_poll`]).
pub const POLLED: [u32; 8] = [
    regs::LIVE_X,
    regs::LIVE_Y,
    regs::EPOCH,
    regs::LEASE,
    regs::LEASE_HOLD_LEFT,
    regs::STORED,
    regs::COUNTER,
    regs::LIMIT,
];
const LIVE_X: usize = 0;
const LIVE_Y: usize = 1;
const EPOCH: usize = 2;
const LEASE: usize = 3;
const HOLD: usize = 4;
const STORED: usize = 5;
const COUNTER: usize = 6;
const LIMIT: usize = 7;

/// What the manager did, for the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ManagerLog {
    pub failovers: u64,
    pub window_raises: u64,
    pub rejoins: u64,
    /// CONFIGs sent again because a card did not show them applied.
    pub resends: u64,
    /// Failovers that seeded the new primary from the durable limit.
    pub seeds: u64,
    /// Failovers whose counter came from the old secondary host's DMA mirror.
    pub mirror_recoveries: u64,
    pub events: Vec<String>,
}

struct NodeReads<R> {
    pending: [Option<R>; POLLED.len()],
    vals: [Option<u64>; POLLED.len()],
}

enum State<R> {
    Idle {
        next_poll: u64,
    },
    Polling {
        reads: Vec<NodeReads<R>>,
        since: u64,
    },
    /// The new primary has its CONFIG; waiting until it shows the epoch, then reading
    /// its counter, which every other card gets as its floor.
    Promoting {
        new: Config,
        epoch_read: Option<R>,
        counter_read: Option<R>,
        since: u64,
        next_read: u64,
    },
}

/// A request from an operator (`seqctl`), carried out at the next poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Planned failover: the secondary becomes primary, a new secondary is picked. The
    /// service pauses for the new primary's hold (about one lease), no longer.
    Handover,
    /// Numbers per window raise from now on.
    Window(u64),
    /// Take the card out of the roles (they move off it first if it holds one).
    Remove(u8),
    /// Make a removed card eligible for roles again.
    Add(u8),
}

/// Why a [`Command`] was refused.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("node {0} is not in this cluster (nodes 0..{1})")]
    NoSuchNode(u8, u8),
    #[error("the window must be at least 2 numbers")]
    BadWindow,
    #[error("a failover is already under way; try again when it has finished")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The management policy; see the crate doc.
pub struct Manager<R> {
    /// Node whose host runs the manager (CONFIGs leave through its card).
    pub home: usize,
    pub poll_period: u64,
    pub log: ManagerLog,
    /// Everything durable: roles, epoch, limit, window, floor, a pending promotion.
    state: ClusterState,
    store: Box<dyn Store>,
    quorum: u8,
    /// Cards the home card heard at the last poll, and cards it has ever heard: a card
    /// heard again after it was lost is re-configured (start-up is not a return).
    heard: Vec<bool>,
    ever_heard: Vec<bool>,
    no_lease_polls: u32,
    /// Polls in a row whose own card heard no quorum.
    isolated_polls: u32,
    serving: bool,
    /// The store refused a write (this manager was deposed), or it handed over: it acts
    /// no more.
    stopped: bool,
    handover: bool,
    /// The last poll's view of every card, for `seqctl status`.
    last_poll: Vec<[Option<u64>; POLLED.len()]>,
    fsm: State<R>,
    /// The unit of the clock the events are stamped with ([`Cards::unit`]).
    unit: &'static str,
    patience: Option<u64>,
}

impl<R: Copy + std::fmt::Debug> Manager<R> {
    /// A manager for `nodes` cards that will start them with `primary` and `secondary`,
    /// its durable state in memory (the simulator's manager).
    pub fn new(
        home: usize,
        nodes: usize,
        primary: u8,
        secondary: u8,
        window: u64,
        poll_period: u64,
    ) -> Self {
        let mut store = MemStore::new("sim");
        let _ = store.campaign(std::time::Duration::ZERO);
        let state = Self::initial_state(nodes, primary, secondary, window);
        Self::resume(home, Box::new(store), state, poll_period)
    }

    /// The state of a cluster before its first CONFIG: epoch 1, counter 0, one window.
    pub fn initial_state(nodes: usize, primary: u8, secondary: u8, window: u64) -> ClusterState {
        ClusterState {
            nodes: nodes as u8,
            window,
            epoch: 1,
            roles: Roles {
                epoch: 1,
                primary,
                secondary,
            },
            limit: window,
            floor: 0,
            pending: None,
            removed: 0,
        }
    }

    /// A manager that goes on from `state` (loaded from `store`, which this candidate
    /// leads). A promotion the last manager left pending is finished, not chosen again.
    pub fn resume(
        home: usize,
        store: Box<dyn Store>,
        state: ClusterState,
        poll_period: u64,
    ) -> Self {
        let nodes = state.nodes as usize;
        let fsm = match state.pending {
            Some(p) => State::Promoting {
                new: Config {
                    epoch: p.epoch,
                    primary: p.primary,
                    secondary: p.secondary,
                    counter: p.counter,
                    limit: Some(state.limit),
                    quorum: quorum(nodes),
                },
                epoch_read: None,
                counter_read: None,
                since: 0,
                next_read: 0,
            },
            None => State::Idle { next_poll: 0 },
        };
        Manager {
            home,
            poll_period,
            log: ManagerLog::default(),
            quorum: quorum(nodes),
            state,
            store,
            heard: vec![false; nodes],
            ever_heard: vec![false; nodes],
            no_lease_polls: 0,
            isolated_polls: 0,
            serving: false,
            stopped: false,
            handover: false,
            last_poll: vec![[None; POLLED.len()]; nodes],
            fsm,
            unit: "cycle",
            patience: None,
        }
    }

    /// How long a new primary may take to show its epoch before the promotion is given
    /// up (in the clock's units; default [`PROMOTE_PATIENCE`] polls).
    pub fn set_promote_patience(&mut self, patience: u64) {
        self.patience = Some(patience);
    }

    /// The lease quorum this manager puts in every CONFIG.
    pub fn quorum(&self) -> u8 {
        self.quorum
    }

    /// The last poll saw the primary holding a lease with its hold run out.
    pub fn serving(&self) -> bool {
        self.serving
    }

    /// The roles of the current epoch.
    pub fn roles(&self) -> Roles {
        self.state.roles
    }

    /// The durable state as this manager last wrote it.
    pub fn state(&self) -> &ClusterState {
        &self.state
    }

    /// The store, for a daemon that campaigns again after this manager stopped.
    pub fn into_store(self) -> Box<dyn Store> {
        self.store
    }

    /// The manager acts no more: the store refused a write (deposed), or it handed over.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// A failover is under way (the new primary has its CONFIG, not yet confirmed).
    pub fn promoting(&self) -> bool {
        matches!(self.fsm, State::Promoting { .. })
    }

    /// Card `node`'s registers as the last poll read them (`None`: no answer):
    /// `LIVE_X, LIVE_Y, EPOCH, LEASE, LEASE_HOLD_LEFT, STORED, COUNTER, LIMIT`.
    pub fn last_poll(&self, node: usize) -> Option<&[Option<u64>; POLLED.len()]> {
        self.last_poll.get(node)
    }

    /// Takes an operator's command; it is made durable now and acted on at the next poll.
    pub fn command(&mut self, cmd: Command) -> Result<(), CommandError> {
        let nodes = self.state.nodes;
        let check = |n: u8| {
            if n < nodes {
                Ok(())
            } else {
                Err(CommandError::NoSuchNode(n, nodes))
            }
        };
        let mut next = self.state.clone();
        match cmd {
            Command::Handover => {
                if self.promoting() {
                    return Err(CommandError::Busy);
                }
                self.handover = true;
                return Ok(());
            }
            Command::Window(w) if w < 2 => return Err(CommandError::BadWindow),
            Command::Window(w) => next.window = w,
            Command::Remove(n) => {
                check(n)?;
                next.removed |= 1 << n;
            }
            Command::Add(n) => {
                check(n)?;
                next.removed &= !(1 << n);
            }
        }
        self.store.save(&next)?;
        self.state = next;
        Ok(())
    }

    fn removed(&self, node: usize) -> bool {
        self.state.removed >> node & 1 == 1
    }

    fn config(&self, counter: Option<u64>, limit: Option<u64>) -> Config {
        let r = self.state.roles;
        Config {
            epoch: r.epoch,
            primary: r.primary,
            secondary: r.secondary,
            counter,
            limit,
            quorum: self.quorum,
        }
    }

    fn event(&mut self, now: u64, text: String) {
        let at = match self.unit {
            "cycle" => format!("cycle {now}"),
            unit => format!("at {now} {unit}"),
        };
        self.log.events.push(format!("{at}: {text}"));
    }

    /// Writes `next` to the store before any card may act on it. A refused write stops
    /// this manager (another was elected): nothing it decided reaches a card.
    fn persist(&mut self, now: u64, next: ClusterState) -> bool {
        match self.store.save(&next) {
            Ok(()) => {
                self.state = next;
                true
            }
            Err(e) => {
                self.event(now, format!("store refused the write, manager stops: {e}"));
                self.stopped = true;
                false
            }
        }
    }

    /// Sends the initial configuration (epoch 1, counter 0, one window) to every card,
    /// once it is durable.
    pub fn configure<C: Cards<Read = R>>(&mut self, c: &mut C) {
        self.unit = c.unit();
        let now = c.now();
        if !self.persist(now, self.state.clone()) {
            return;
        }
        let cfg = self.config(Some(self.state.floor), Some(self.state.limit));
        for to in 0..c.nodes() {
            c.send_config(self.home, to as u8, &cfg);
        }
        self.event(
            now,
            format!(
                "epoch {}, primary {}, secondary {}, limit {}, quorum {}",
                cfg.epoch, cfg.primary, cfg.secondary, self.state.limit, self.quorum
            ),
        );
    }

    /// One step; call it once per clock (or as often as the host likes).
    pub fn tick<C: Cards<Read = R>>(&mut self, c: &mut C) {
        if self.stopped {
            return;
        }
        self.unit = c.unit();
        let now = c.now();
        let patience = self.patience.unwrap_or(PROMOTE_PATIENCE * self.poll_period);
        if !self.store.is_leader() {
            self.event(now, "no longer the leader: manager stops".into());
            self.stopped = true;
            return;
        }
        if !c.host_up(self.home) {
            // The manager keeps no state of its own beyond the store's: it restarts on
            // another live host.
            if let Some(h) = (0..c.nodes()).find(|&n| c.host_up(n)) {
                self.event(now, format!("manager moves to host {h}"));
                self.home = h;
                self.fsm = State::Idle { next_poll: now };
            }
            return;
        }
        match &mut self.fsm {
            State::Idle { next_poll } => {
                if now >= *next_poll {
                    let reads = (0..c.nodes())
                        .map(|n| NodeReads {
                            pending: POLLED.map(|r| c.read(n, r)),
                            vals: [None; POLLED.len()],
                        })
                        .collect();
                    self.fsm = State::Polling { reads, since: now };
                }
            }
            State::Polling { reads, since } => {
                let mut done = true;
                for (n, r) in reads.iter_mut().enumerate() {
                    for k in 0..POLLED.len() {
                        if let Some(id) = r.pending[k] {
                            match c.result(n, id) {
                                Some(v) => {
                                    r.vals[k] = Some(v);
                                    r.pending[k] = None;
                                }
                                None => done = false,
                            }
                        }
                    }
                }
                if !done && now < *since + READ_PATIENCE {
                    return;
                }
                let vals: Vec<[Option<u64>; POLLED.len()]> = reads.iter().map(|r| r.vals).collect();
                self.fsm = State::Idle {
                    next_poll: now + self.poll_period,
                };
                self.last_poll.clone_from(&vals);
                self.decide(c, &vals);
            }
            State::Promoting {
                new,
                epoch_read,
                counter_read,
                since,
                next_read,
            } => {
                let new = *new;
                let p = new.primary as usize;
                if *since == 0 {
                    // Resumed from the store: the patience counts from now.
                    *since = now.max(1);
                }
                if let Some(id) = *counter_read {
                    if let Some(counter) = c.result(p, id) {
                        self.commit(c, new, counter);
                    } else if now > *since + patience {
                        self.abandon(now, new);
                    }
                    return;
                }
                if let Some(id) = *epoch_read {
                    if let Some(e) = c.result(p, id) {
                        *epoch_read = None;
                        if e == new.epoch as u64 {
                            *counter_read = c.read(p, regs::COUNTER);
                            return;
                        }
                    }
                }
                if now > *since + patience {
                    self.abandon(now, new);
                } else if epoch_read.is_none() && now >= *next_read {
                    // The CONFIG may have been lost: send it again with the read.
                    c.send_config(self.home, new.primary, &new);
                    *epoch_read = c.read(p, regs::EPOCH);
                    *next_read = now + self.poll_period / 4 + 1;
                }
            }
        }
    }

    fn abandon(&mut self, now: u64, new: Config) {
        self.event(
            now,
            format!(
                "new primary {} never showed epoch {}: failover abandoned",
                new.primary, new.epoch
            ),
        );
        // The epoch stays used (the store keeps it); the next choice takes a newer one.
        // The roles go back to the ones in force.
        let mut next = self.state.clone();
        next.pending = None;
        self.persist(now, next);
        self.fsm = State::Idle {
            next_poll: now + self.poll_period,
        };
    }

    /// The failure table, on one poll's answers.
    fn decide<C: Cards<Read = R>>(&mut self, c: &mut C, vals: &[[Option<u64>; POLLED.len()]]) {
        let now = c.now();
        let n = vals.len();
        let hears =
            |m: usize| -> u64 { vals[m][LIVE_X].unwrap_or(0) | vals[m][LIVE_Y].unwrap_or(0) };
        // A card renews its lease from heartbeats of cards that hear it, so it needs a
        // quorum (itself included) of cards it hears and that hear it.
        let q = self.quorum as usize;
        let support: Vec<bool> = (0..n)
            .map(|r| {
                let both = |m: usize| hears(m) >> r & 1 == 1 && hears(r) >> m & 1 == 1;
                (0..n).filter(|&m| m != r && both(m)).count() + 1 >= q
            })
            .collect();
        let supported = |r: usize| support[r];
        let home_heard: Vec<bool> = (0..n)
            .map(|m| m == self.home || hears(self.home) >> m & 1 == 1)
            .collect();
        let roles = self.state.roles;
        let p = roles.primary as usize;
        let s = roles.secondary as usize;
        self.serving = vals[p][LEASE].is_some_and(|l| l > 0) && vals[p][HOLD] == Some(0);

        // Cards that missed the current epoch (a lost CONFIG, or back from the dead)
        // get it again, with the floor, so that a zombie is fenced and rejoins.
        for m in 0..n {
            let stale = vals[m][EPOCH].is_some_and(|e| e < roles.epoch as u64);
            let back = home_heard[m] && self.ever_heard[m] && !self.heard[m] && m != self.home;
            if stale || back {
                let cfg = self.config(Some(self.state.floor), Some(self.state.limit));
                c.send_config(self.home, m as u8, &cfg);
                if back {
                    self.log.rejoins += 1;
                    self.event(now, format!("node {m} is back, sent epoch {}", roles.epoch));
                } else {
                    self.log.resends += 1;
                }
            }
        }
        for (e, &h) in self.ever_heard.iter_mut().zip(&home_heard) {
            *e |= h;
        }
        self.heard = home_heard.clone();

        // The manager acts only where its own card is part of a quorum: a manager cut
        // off with a minority would only churn epochs nobody can serve.
        let home_count = home_heard.iter().filter(|&&h| h).count();
        if home_count < self.quorum as usize {
            // A manager whose own card is cut off from the cluster is as good as failed
            // (DESIGN.md 2): after a few polls another host's candidate takes over.
            self.isolated_polls += 1;
            if self.isolated_polls >= ISOLATED_POLLS {
                let from = self.home;
                self.isolated_polls = 0;
                match c.hand_over(from) {
                    Some(h) => {
                        self.event(
                            now,
                            format!(
                                "manager's card {from} hears no quorum: manager moves to host {h}"
                            ),
                        );
                        self.home = h;
                    }
                    None => {
                        let heard: Vec<String> = (0..n)
                            .filter(|&m| home_heard[m])
                            .map(|m| m.to_string())
                            .collect();
                        self.event(
                            now,
                            format!(
                                "manager's card {from} hears no quorum (only {}): manager steps down",
                                heard.join(",")
                            ),
                        );
                        self.stopped = true;
                    }
                }
            }
            return;
        }
        self.isolated_polls = 0;
        if vals[p][LEASE] == Some(0) && supported(p) {
            self.no_lease_polls += 1;
        } else {
            self.no_lease_polls = 0;
        }
        let planned = std::mem::take(&mut self.handover);
        let primary_failed = !supported(p) || self.no_lease_polls >= NO_LEASE_POLLS;
        let secondary_failed = !supported(s);
        // Roles leave a removed card, and a planned hand-over moves the primary's, as a
        // failure would (the same safe path, the new primary's hold included).
        let primary_moves = primary_failed || planned || self.removed(p);
        let secondary_moves = secondary_failed || self.removed(s);
        if !primary_moves && !secondary_moves {
            self.maybe_raise_window(c, vals[p][COUNTER], vals[p][LIMIT]);
            return;
        }
        let usable =
            |m: usize| home_heard[m] && supported(m) && m != p && m != s && !self.removed(m);
        let pick = |after: usize, not: usize| {
            (1..=n)
                .map(|i| (after + i) % n)
                .find(|&m| usable(m) && m != not)
        };
        let next_epoch = self.state.epoch + 1;
        let (new_primary, new_secondary, counter, why) = if !primary_moves {
            let Some(ns) = pick(s, p) else {
                return;
            };
            (p, ns, None, String::new())
        } else if !secondary_moves {
            let Some(ns) = pick(s, s) else {
                return;
            };
            // The first source of the new primary's counter: the secondary's own stored
            // value, asked over the fabric (or as this poll read it).
            let (v, how) = match c.query_stored(s) {
                Some(v) => (v, "STATE_QUERY"),
                None => (vals[s][STORED].unwrap_or(0), "its register"),
            };
            (
                s,
                ns,
                Some(v),
                format!(", counter from the secondary's stored value {v} ({how})"),
            )
        } else {
            let Some(np) = pick(p, p) else {
                return;
            };
            let Some(ns) = pick(np, np) else {
                return;
            };
            // Both lost: the old secondary host's mirror, once its card is fenced or
            // gone (so nothing more is stored), else the seed from the durable limit.
            let fence = Config {
                epoch: next_epoch,
                primary: np as u8,
                secondary: ns as u8,
                counter: None,
                limit: None,
                quorum: self.quorum,
            };
            match c.fenced_mirror(s, &fence) {
                Some(v) => {
                    self.log.mirror_recoveries += 1;
                    (
                        np,
                        ns,
                        Some(v),
                        format!(", counter from the secondary host's DMA mirror {v}"),
                    )
                }
                None => {
                    self.log.seeds += 1;
                    let v = self.state.limit;
                    (
                        np,
                        ns,
                        Some(v),
                        format!(", seeded at the durable limit {v}"),
                    )
                }
            }
        };
        // Durable first: the epoch, the promotion, and the window ahead of the counter.
        let mut next = self.state.clone();
        next.epoch = next_epoch;
        if let Some(counter) = counter {
            next.limit = next.limit.max(counter.saturating_add(next.window));
        }
        next.pending = Some(Pending {
            epoch: next_epoch,
            primary: new_primary as u8,
            secondary: new_secondary as u8,
            counter,
        });
        if !self.persist(now, next) {
            return;
        }
        let new = Config {
            epoch: next_epoch,
            primary: new_primary as u8,
            secondary: new_secondary as u8,
            counter,
            limit: Some(self.state.limit),
            quorum: self.quorum,
        };
        let lost = match (primary_moves, secondary_moves, planned) {
            (true, false, true) => format!("planned hand-over from primary {p}"),
            (false, true, _) => format!("secondary {s}"),
            (true, false, false) => format!("primary {p}"),
            _ => format!("primary {p} and secondary {s}"),
        };
        let failed = (primary_moves && primary_failed) || (secondary_moves && secondary_failed);
        let verb = if failed {
            " lost"
        } else if planned {
            ""
        } else {
            " removed (roles move off it)"
        };
        self.event(
            now,
            format!(
                "{lost}{verb}: epoch {next_epoch}, primary {new_primary}, secondary {new_secondary}{why}"
            ),
        );
        c.send_config(self.home, new.primary, &new);
        self.fsm = State::Promoting {
            new,
            epoch_read: c.read(new_primary, regs::EPOCH),
            counter_read: None,
            since: now,
            next_read: now + self.poll_period / 4 + 1,
        };
    }

    /// The new primary runs the new epoch: every other card gets it with the primary's
    /// counter as floor (the new secondary's stored value starts there).
    fn commit<C: Cards<Read = R>>(&mut self, c: &mut C, new: Config, counter: u64) {
        let now = c.now();
        let old = self.state.roles;
        let mut next = self.state.clone();
        next.roles = Roles {
            epoch: new.epoch,
            primary: new.primary,
            secondary: new.secondary,
        };
        next.floor = counter;
        next.pending = None;
        if !self.persist(now, next) {
            return;
        }
        self.no_lease_polls = 0;
        self.serving = false;
        let cfg = self.config(Some(counter), Some(self.state.limit));
        for to in 0..c.nodes() {
            if to != new.primary as usize {
                c.send_config(self.home, to as u8, &cfg);
            }
        }
        self.log.failovers += 1;
        self.event(
            now,
            format!(
                "failover to epoch {}: primary {} -> {}, secondary {} -> {}, counter {counter}",
                new.epoch, old.primary, new.primary, old.secondary, new.secondary
            ),
        );
        self.fsm = State::Idle {
            next_poll: now + self.poll_period,
        };
    }

    fn maybe_raise_window<C: Cards<Read = R>>(
        &mut self,
        c: &mut C,
        counter: Option<u64>,
        limit: Option<u64>,
    ) {
        let primary = self.state.roles.primary;
        if limit.is_some_and(|l| l < self.state.limit) {
            // A raise was lost: the durable limit stands, send it again.
            let raise = self.config(None, Some(self.state.limit));
            c.send_config(self.home, primary, &raise);
            self.log.resends += 1;
            return;
        }
        let Some(counter) = counter else {
            return;
        };
        if self.state.limit.saturating_sub(counter) >= self.state.window / 2 {
            return;
        }
        // Persist first (DESIGN.md 1: the limit is raised only once it is durable).
        let mut next = self.state.clone();
        next.limit = next.limit.saturating_add(next.window);
        if !self.persist(c.now(), next) {
            return;
        }
        let raise = self.config(None, Some(self.state.limit));
        c.send_config(self.home, primary, &raise);
        self.log.window_raises += 1;
    }
}
