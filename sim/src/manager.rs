//! The scripted management process (DESIGN.md section 5), until the real `seqctl`
//! daemon exists.
//!
//! It does what the daemon will do, through the same doors: MMIO reads of its own card's
//! liveness bitmaps, MMIO reads of a card's stored value through that card's host, and
//! CONFIG frames sent through its card's management window. It keeps no state that is
//! not also in the cards, except the durable limit (what the real daemon persists before
//! it raises a window).
//!
//! - Initial configuration: epoch 1, the given primary and secondary, counter 0, limit
//!   one window.
//! - Failover: when its card has heard no heartbeat from the primary on either plane,
//!   promote the secondary, pick the next live node as secondary, set the counter to the
//!   promoted card's stored value (or, if the secondary died too, to the last durable
//!   limit: the seed operation), bump the epoch and tell every live card.
//! - Window: when the primary's counter comes within half a window of the limit, make
//!   `limit + window` durable, then raise the limit with a same-epoch CONFIG.
//! - A card that comes back (its heartbeats return) gets the current roles and epoch, so
//!   a zombie primary is fenced and then rejoins as a plain originator.

use seqfab_contract::regs;
use seqfab_testbench::cluster::{Cluster, Config};
use seqfab_testbench::host::ReadId;
use seqfab_testbench::pins::CardModel;

/// Clocks the manager waits for MMIO answers from other hosts before it goes on.
const READ_PATIENCE: u64 = 200;

#[derive(Debug)]
enum State {
    Idle {
        next_poll: u64,
    },
    Polling {
        live_x: ReadId,
        live_y: ReadId,
        counter: Option<ReadId>,
        limit: Option<ReadId>,
        /// Each card's EPOCH register, read through its own host, to confirm the
        /// configuration landed (a CONFIG frame can be lost like any other).
        epochs: Vec<(usize, ReadId)>,
        /// When the reads went out: a host that does not answer within
        /// [`READ_PATIENCE`] clocks is skipped this round (its card may be dead).
        since: u64,
    },
    Fetching {
        id: ReadId,
        new_primary: u8,
        new_secondary: u8,
    },
}

/// What the manager did, for the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ManagerLog {
    pub failovers: u64,
    pub window_raises: u64,
    pub rejoins: u64,
    /// CONFIGs sent again because a card did not show them applied.
    pub resends: u64,
    pub events: Vec<String>,
}

pub struct Manager {
    /// Node whose host runs the manager.
    pub home: usize,
    pub config: Config,
    pub window: u64,
    pub durable_limit: u64,
    pub poll_period: u64,
    live: Vec<bool>,
    state: State,
    pub log: ManagerLog,
}

impl Manager {
    pub fn new(
        home: usize,
        nodes: usize,
        primary: u8,
        secondary: u8,
        window: u64,
        poll_period: u64,
    ) -> Self {
        let config = Config {
            epoch: 1,
            primary,
            secondary,
            counter: Some(0),
            limit: Some(window),
        };
        Manager {
            home,
            config,
            window,
            durable_limit: window,
            poll_period,
            live: vec![true; nodes],
            state: State::Idle { next_poll: 0 },
            log: ManagerLog::default(),
        }
    }

    /// Sends the initial configuration to every card.
    pub fn configure<M: CardModel>(&mut self, c: &mut Cluster<M>) {
        c.configure_all(self.home, self.config);
        self.log.events.push(format!(
            "cycle {}: epoch 1, primary {}, secondary {}, limit {}",
            c.cycle, self.config.primary, self.config.secondary, self.durable_limit
        ));
    }

    fn roles_only(&self) -> Config {
        Config {
            counter: None,
            ..self.config
        }
    }

    /// Called once per clock, after the cluster stepped.
    pub fn tick<M: CardModel>(&mut self, c: &mut Cluster<M>) {
        if !c.nodes[self.home].alive {
            // The daemon keeps no state of its own: it restarts on another live host.
            if let Some(h) = (0..c.nodes.len()).find(|&n| c.nodes[n].alive) {
                self.log
                    .events
                    .push(format!("cycle {}: manager moves to host {h}", c.cycle));
                self.home = h;
                self.state = State::Idle { next_poll: c.cycle };
            }
            return;
        }
        match self.state {
            State::Idle { next_poll } if c.cycle >= next_poll => {
                let h = &mut c.nodes[self.home].host;
                let live_x = h.read(regs::LIVE_X);
                let live_y = h.read(regs::LIVE_Y);
                let primary = self.config.primary as usize;
                let counter = c.nodes[primary]
                    .alive
                    .then(|| c.nodes[primary].host.read(regs::COUNTER));
                let limit = c.nodes[primary]
                    .alive
                    .then(|| c.nodes[primary].host.read(regs::LIMIT));
                let mut epochs = Vec::new();
                for (n, node) in c.nodes.iter_mut().enumerate() {
                    if self.live[n] && node.alive {
                        epochs.push((n, node.host.read(regs::EPOCH)));
                    }
                }
                self.state = State::Polling {
                    live_x,
                    live_y,
                    counter,
                    limit,
                    epochs,
                    since: c.cycle,
                };
            }
            State::Polling {
                live_x,
                live_y,
                counter,
                limit,
                ref epochs,
                since,
            } => {
                let h = &c.nodes[self.home].host;
                let (Some(x), Some(y)) = (h.read_result(live_x), h.read_result(live_y)) else {
                    return;
                };
                let answered = epochs
                    .iter()
                    .all(|&(n, id)| c.nodes[n].host.read_result(id).is_some());
                if !answered && c.cycle < since + READ_PATIENCE {
                    return;
                }
                let primary = self.config.primary as usize;
                let counter = counter.and_then(|id| c.nodes[primary].host.read_result(id));
                let limit = limit.and_then(|id| c.nodes[primary].host.read_result(id));
                let stale: Vec<usize> = epochs
                    .iter()
                    .filter(|&&(n, id)| {
                        c.nodes[n]
                            .host
                            .read_result(id)
                            .is_some_and(|e| e < self.config.epoch as u64)
                    })
                    .map(|&(n, _)| n)
                    .collect();
                for n in stale {
                    // The CONFIG was lost on the way (or the card is back): send it again.
                    c.configure(self.home, n as u8, self.config);
                    self.log.resends += 1;
                    self.log.events.push(format!(
                        "cycle {}: node {n} has no epoch {} yet: CONFIG sent again",
                        c.cycle, self.config.epoch
                    ));
                }
                if limit.is_some_and(|l| l < self.durable_limit) {
                    // A window raise was lost: the durable limit stands, send it again.
                    let raise = Config {
                        counter: None,
                        limit: Some(self.durable_limit),
                        ..self.config
                    };
                    c.configure(self.home, self.config.primary, raise);
                    self.log.resends += 1;
                }
                let mut live: Vec<bool> =
                    (0..c.nodes.len()).map(|n| (x | y) >> n & 1 == 1).collect();
                live[self.home] = true; // a card does not hear its own heartbeats
                let next_poll = c.cycle + self.poll_period;
                self.state = State::Idle { next_poll };
                for (n, (&now, &before)) in live.iter().zip(&self.live).enumerate() {
                    if now && !before && n != self.home {
                        // Back from the dead: fence it with the current epoch and roles.
                        c.configure(self.home, n as u8, self.roles_only());
                        self.log.rejoins += 1;
                        self.log.events.push(format!(
                            "cycle {}: node {n} is back, sent epoch {}",
                            c.cycle, self.config.epoch
                        ));
                    }
                }
                self.live = live.clone();
                if !live[primary] {
                    self.fail_over(c, &live);
                } else if let Some(counter) = counter {
                    self.maybe_raise_window(c, counter);
                }
            }
            State::Fetching {
                id,
                new_primary,
                new_secondary,
            } => {
                let Some(stored) = c.nodes[new_primary as usize].host.read_result(id) else {
                    return;
                };
                self.commit_failover(c, new_primary, new_secondary, stored);
            }
            State::Idle { .. } => {}
        }
    }

    fn fail_over<M: CardModel>(&mut self, c: &mut Cluster<M>, live: &[bool]) {
        let old = self.config;
        let n = live.len();
        let pick = |after: usize, not: usize| {
            (1..=n)
                .map(|i| (after + i) % n)
                .find(|&m| live[m] && m != not)
        };
        let secondary_alive = live[old.secondary as usize];
        let new_primary = if secondary_alive {
            old.secondary as usize
        } else {
            match pick(old.primary as usize, old.primary as usize) {
                Some(p) => p,
                None => return,
            }
        };
        let Some(new_secondary) = pick(new_primary, new_primary) else {
            self.log.events.push(format!(
                "cycle {}: primary {} dead and no second live card: waiting",
                c.cycle, old.primary
            ));
            return;
        };
        if secondary_alive {
            // The promoted secondary's stored value is where numbers continue.
            let id = c.nodes[new_primary].host.read(regs::STORED);
            self.state = State::Fetching {
                id,
                new_primary: new_primary as u8,
                new_secondary: new_secondary as u8,
            };
        } else {
            // Seed operation: no stored copy survives, start at the last durable limit.
            let seed = self.durable_limit;
            self.log.events.push(format!(
                "cycle {}: primary and secondary lost, seeding at durable limit {seed}",
                c.cycle
            ));
            self.commit_failover(c, new_primary as u8, new_secondary as u8, seed);
        }
    }

    fn commit_failover<M: CardModel>(
        &mut self,
        c: &mut Cluster<M>,
        primary: u8,
        secondary: u8,
        counter: u64,
    ) {
        let old = self.config;
        // Keep the window ahead of the new counter too, durable first.
        self.durable_limit = self.durable_limit.max(counter.saturating_add(self.window));
        self.config = Config {
            epoch: old.epoch + 1,
            primary,
            secondary,
            counter: Some(counter),
            limit: Some(self.durable_limit),
        };
        for n in 0..c.nodes.len() {
            if self.live.get(n).copied().unwrap_or(false) || n == self.home {
                c.configure(self.home, n as u8, self.config);
            }
        }
        self.log.failovers += 1;
        self.log.events.push(format!(
            "cycle {}: failover to epoch {}: primary {} -> {primary}, secondary {secondary}, counter {counter}",
            c.cycle, self.config.epoch, old.primary
        ));
        self.state = State::Idle {
            next_poll: c.cycle + self.poll_period,
        };
    }

    fn maybe_raise_window<M: CardModel>(&mut self, c: &mut Cluster<M>, counter: u64) {
        if self.durable_limit.saturating_sub(counter) >= self.window / 2 {
            return;
        }
        // Persist first (DESIGN.md 1: the limit is raised only once it is durable).
        self.durable_limit = self.durable_limit.saturating_add(self.window);
        let raise = Config {
            counter: None,
            limit: Some(self.durable_limit),
            ..self.config
        };
        c.configure(self.home, self.config.primary, raise);
        self.log.window_raises += 1;
    }
}
