//! [`Manager`]: the failure table of DESIGN.md 2, one poll at a time.

use crate::cards::Cards;
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

/// The registers a poll reads from every card, in [`NodeReads::vals`] order.
const POLLED: [u32; 8] = [
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

/// What the durable store keeps (issue 13 persists it; here it lives in the manager, and
/// a manager that moves to another host takes it along, as a restart would reload it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Durable {
    /// The highest epoch ever used: a new one is `epoch + 1`, even after a failover that
    /// did not complete.
    pub epoch: u32,
    /// No primary issues a number at or above it; made durable before a card sees it.
    pub limit: u64,
}

/// The roles of the current epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Roles {
    pub epoch: u32,
    pub primary: u8,
    pub secondary: u8,
}

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

/// The management policy; see the crate doc.
pub struct Manager<R> {
    /// Node whose host runs the manager (CONFIGs leave through its card).
    pub home: usize,
    pub roles: Roles,
    pub durable: Durable,
    /// Numbers per window raise.
    pub window: u64,
    pub poll_period: u64,
    pub log: ManagerLog,
    quorum: u8,
    /// Every card's counter and stored value are at least this after the last failover
    /// (sent with SET_COUNTER, which the card max()es with its own STORED).
    floor: u64,
    /// Cards the home card heard at the last poll, and cards it has ever heard: a card
    /// heard again after it was lost is re-configured (start-up is not a return).
    heard: Vec<bool>,
    ever_heard: Vec<bool>,
    no_lease_polls: u32,
    /// Polls in a row whose own card heard no quorum.
    isolated_polls: u32,
    serving: bool,
    state: State<R>,
}

impl<R: Copy + std::fmt::Debug> Manager<R> {
    /// A manager for `nodes` cards that will start them with `primary` and `secondary`.
    pub fn new(
        home: usize,
        nodes: usize,
        primary: u8,
        secondary: u8,
        window: u64,
        poll_period: u64,
    ) -> Self {
        Manager {
            home,
            roles: Roles {
                epoch: 1,
                primary,
                secondary,
            },
            durable: Durable {
                epoch: 1,
                limit: window,
            },
            window,
            poll_period,
            log: ManagerLog::default(),
            quorum: quorum(nodes),
            floor: 0,
            heard: vec![false; nodes],
            ever_heard: vec![false; nodes],
            no_lease_polls: 0,
            isolated_polls: 0,
            serving: false,
            state: State::Idle { next_poll: 0 },
        }
    }

    /// The lease quorum this manager puts in every CONFIG.
    pub fn quorum(&self) -> u8 {
        self.quorum
    }

    /// The last poll saw the primary holding a lease with its hold run out.
    pub fn serving(&self) -> bool {
        self.serving
    }

    fn config(&self, counter: Option<u64>, limit: Option<u64>) -> Config {
        Config {
            epoch: self.roles.epoch,
            primary: self.roles.primary,
            secondary: self.roles.secondary,
            counter,
            limit,
            quorum: self.quorum,
        }
    }

    fn event(&mut self, now: u64, text: String) {
        self.log.events.push(format!("cycle {now}: {text}"));
    }

    /// Sends the initial configuration (epoch 1, counter 0, one window) to every card.
    pub fn configure<C: Cards<Read = R>>(&mut self, c: &mut C) {
        let cfg = self.config(Some(0), Some(self.durable.limit));
        for to in 0..c.nodes() {
            c.send_config(self.home, to as u8, &cfg);
        }
        let now = c.now();
        self.event(
            now,
            format!(
                "epoch 1, primary {}, secondary {}, limit {}, quorum {}",
                self.roles.primary, self.roles.secondary, self.durable.limit, self.quorum
            ),
        );
    }

    /// One step; call it once per clock (or as often as the host likes).
    pub fn tick<C: Cards<Read = R>>(&mut self, c: &mut C) {
        let now = c.now();
        if !c.host_up(self.home) {
            // The manager keeps no state of its own beyond `Durable`: it restarts on
            // another live host.
            if let Some(h) = (0..c.nodes()).find(|&n| c.host_up(n)) {
                self.event(now, format!("manager moves to host {h}"));
                self.home = h;
                self.state = State::Idle { next_poll: now };
            }
            return;
        }
        match &mut self.state {
            State::Idle { next_poll } => {
                if now >= *next_poll {
                    let reads = (0..c.nodes())
                        .map(|n| NodeReads {
                            pending: POLLED.map(|r| c.read(n, r)),
                            vals: [None; POLLED.len()],
                        })
                        .collect();
                    self.state = State::Polling { reads, since: now };
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
                self.state = State::Idle {
                    next_poll: now + self.poll_period,
                };
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
                if let Some(id) = *counter_read {
                    if let Some(counter) = c.result(p, id) {
                        self.commit(c, new, counter);
                    } else if now > *since + PROMOTE_PATIENCE * self.poll_period {
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
                if now > *since + PROMOTE_PATIENCE * self.poll_period {
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
        self.state = State::Idle {
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
        let p = self.roles.primary as usize;
        let s = self.roles.secondary as usize;
        self.serving = vals[p][LEASE].is_some_and(|l| l > 0) && vals[p][HOLD] == Some(0);

        // Cards that missed the current epoch (a lost CONFIG, or back from the dead)
        // get it again, with the floor, so that a zombie is fenced and rejoins.
        for m in 0..n {
            let stale = vals[m][EPOCH].is_some_and(|e| e < self.roles.epoch as u64);
            let back = home_heard[m] && self.ever_heard[m] && !self.heard[m] && m != self.home;
            if stale || back {
                let cfg = self.config(Some(self.floor), Some(self.durable.limit));
                c.send_config(self.home, m as u8, &cfg);
                if back {
                    self.log.rejoins += 1;
                    self.event(
                        now,
                        format!("node {m} is back, sent epoch {}", self.roles.epoch),
                    );
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
                let next = (1..n).map(|i| (self.home + i) % n).find(|&h| c.host_up(h));
                if let Some(h) = next {
                    self.event(
                        now,
                        format!(
                            "manager's card {} hears no quorum: manager moves to host {h}",
                            self.home
                        ),
                    );
                    self.home = h;
                    self.isolated_polls = 0;
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
        let primary_failed = !supported(p) || self.no_lease_polls >= NO_LEASE_POLLS;
        let secondary_failed = !supported(s);
        if !primary_failed && !secondary_failed {
            self.maybe_raise_window(c, vals[p][COUNTER], vals[p][LIMIT]);
            return;
        }
        let usable = |m: usize| home_heard[m] && supported(m) && m != p && m != s;
        let pick = |after: usize, not: usize| {
            (1..=n)
                .map(|i| (after + i) % n)
                .find(|&m| usable(m) && m != not)
        };
        let (new_primary, new_secondary, counter, why) = if !primary_failed {
            let Some(ns) = pick(s, p) else {
                return;
            };
            (p, ns, None, "secondary")
        } else if !secondary_failed {
            let Some(ns) = pick(s, s) else {
                return;
            };
            (s, ns, Some(vals[s][STORED].unwrap_or(0)), "primary")
        } else {
            let Some(np) = pick(p, p) else {
                return;
            };
            let Some(ns) = pick(np, np) else {
                return;
            };
            self.log.seeds += 1;
            (np, ns, Some(self.durable.limit), "primary and secondary")
        };
        // Durable first: the epoch, and the window ahead of the new counter.
        self.durable.epoch += 1;
        if let Some(counter) = counter {
            self.durable.limit = self.durable.limit.max(counter.saturating_add(self.window));
        }
        let new = Config {
            epoch: self.durable.epoch,
            primary: new_primary as u8,
            secondary: new_secondary as u8,
            counter,
            limit: Some(self.durable.limit),
            quorum: self.quorum,
        };
        let lost = match why {
            "secondary" => format!("secondary {s}"),
            "primary" => format!("primary {p}"),
            _ => format!("primary {p} and secondary {s}"),
        };
        self.event(
            now,
            format!(
                "{lost} lost: epoch {}, primary {new_primary}, secondary {new_secondary}{}",
                new.epoch,
                match counter {
                    Some(v) if why == "primary and secondary" =>
                        format!(", seeded at the durable limit {v}"),
                    Some(v) => format!(", counter from the secondary's stored value {v}"),
                    None => String::new(),
                }
            ),
        );
        c.send_config(self.home, new.primary, &new);
        self.state = State::Promoting {
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
        let old = self.roles;
        self.roles = Roles {
            epoch: new.epoch,
            primary: new.primary,
            secondary: new.secondary,
        };
        self.floor = counter;
        self.no_lease_polls = 0;
        self.serving = false;
        let cfg = self.config(Some(counter), Some(self.durable.limit));
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
        self.state = State::Idle {
            next_poll: now + self.poll_period,
        };
    }

    fn maybe_raise_window<C: Cards<Read = R>>(
        &mut self,
        c: &mut C,
        counter: Option<u64>,
        limit: Option<u64>,
    ) {
        let primary = self.roles.primary;
        if limit.is_some_and(|l| l < self.durable.limit) {
            // A raise was lost: the durable limit stands, send it again.
            let raise = self.config(None, Some(self.durable.limit));
            c.send_config(self.home, primary, &raise);
            self.log.resends += 1;
            return;
        }
        let Some(counter) = counter else {
            return;
        };
        if self.durable.limit.saturating_sub(counter) >= self.window / 2 {
            return;
        }
        // Persist first (DESIGN.md 1: the limit is raised only once it is durable).
        self.durable.limit = self.durable.limit.saturating_add(self.window);
        let raise = self.config(None, Some(self.durable.limit));
        c.send_config(self.home, primary, &raise);
        self.log.window_raises += 1;
    }
}
