//! A model of seqfab's failover protocol for the `stateright` model checker (issue 12,
//! point 6): epochs, fabric leases with the hold, CONFIG, the manager's promotion and
//! window raise, and the REQ -> FWD -> RSP chain, under message loss, reordering,
//! duplication, card death, partitions and manager restarts.
//!
//! The model is a hand-written [`Model`] with explicit actions (no actor framework), so
//! that a state is a few dozen bytes and an action one small step. Every action cites
//! what it mirrors: `docs/leases.md` ("The mechanism", numbered steps 1-7), the card's
//! reference model (`gateware/src/engine/sequence_engine.rs`, `Model::handle_leased`),
//! the lease keeper (`gateware/src/fabric/lease.rs`) and the manager
//! (`manage/src/manager.rs`: `decide`, `commit`, `maybe_raise_window`).
//! `modelcheck/README.md` lists the abstractions and why each one is sound.
//!
//! Properties (DESIGN.md 2):
//! - **I1** no number is delivered twice;
//! - **I2** a request issued after another completed gets a larger number (a ghost per
//!   request: the largest number delivered anywhere when it was issued);
//! - **I3** a delivered number was stored by the secondary of the RSP's epoch, with its
//!   lease, before the RSP left;
//! - **I4** no card acts on a FWD or RSP of another epoch, and no number issued in an
//!   epoch after a number of a later epoch was delivered is ever delivered (a deposed
//!   primary stops before the new one serves: DESIGN.md I4 and I6);
//! - a `sometimes` property: some number is delivered in an epoch after a failover, so
//!   the model is not vacuous.

use seqfab_contract::lease::{hold_for, quorum};
use stateright::{Model, Property};
use std::fmt;

/// Largest cluster the state layout holds.
pub const MAX_CARDS: usize = 5;
/// Epochs `0..MAX_EPOCHS` (0: never configured).
pub const MAX_EPOCHS: usize = 6;
/// The heartbeat period `h` in model ticks: one round per tick (docs/leases.md step 3).
pub const HEARTBEAT: u8 = 1;
/// Card cycles in a tick (`HEARTBEAT_PERIOD` out of reset: `LeaseTiming::DEFAULT`).
pub const CYCLES_PER_TICK: u64 =
    seqfab_contract::lease::LeaseTiming::DEFAULT.heartbeat_period as u64;

/// The protocol, or one planted bug in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Variant {
    /// The protocol as implemented (docs/leases.md, manager.rs).
    Correct,
    /// A new primary issues as soon as it holds a lease: no hold (`LEASE_HOLD` = 0).
    NoHold,
    /// The primary answers the originator itself when it issues, before the secondary
    /// stored the range.
    DeliverBeforeStore,
    /// The secondary stores FWDs and the originator takes RSPs whatever their epoch.
    NoEpochFence,
    /// The manager sends a raised limit to the primary before the new limit is durable
    /// (it persists it in a later step; a restart in between loses it).
    RaiseBeforeDurable,
}

/// Sizes, timing and fault budgets of one run.
#[derive(Clone, Debug)]
pub struct Params {
    pub cards: usize,
    pub variant: Variant,
    /// `L`, ticks.
    pub lease: u8,
    /// `D`: a heartbeat arrives within `D` ticks or never.
    pub delay: u8,
    /// `H`, ticks (by default [`Params::hold_rule`]).
    pub hold: u8,
    /// Numbers per window raise; also the first limit.
    pub window: u8,
    /// Requests the originators issue in a run.
    pub requests: u8,
    /// REQ frames per request (the first and the re-issues).
    pub sends: u8,
    /// Highest epoch the manager may create (failovers = `max_epoch - 1`).
    pub max_epoch: u8,
    pub kills: u8,
    pub dups: u8,
    pub restarts: u8,
    pub partitions: u8,
    /// No number at or above it is issued, no limit raised past it (keeps the model
    /// finite; a primary at this bound behaves as at its limit: NACK).
    pub max_value: u8,
    /// Relabel the cards into a representative order after each step (symmetry
    /// reduction). Off: counterexamples keep the node ids of the first state.
    pub symmetry: bool,
}

impl Params {
    /// The hold the card is programmed with, in ticks: a tick is one heartbeat period
    /// of [`CYCLES_PER_TICK`] cycles (the card's reset value), `D` and `L` are whole
    /// ticks, and `H` is the smallest number of cycles with
    /// `H (1 - rho) >= D + (h + L)(1 + rho) + 2`, computed by the same function as the
    /// card's and the manager's values (`seqfab_contract::lease::hold_for`), rounded up
    /// to whole ticks.
    pub fn hold_rule(delay: u8, lease: u8) -> u8 {
        let t = CYCLES_PER_TICK;
        let cycles = hold_for(delay as u64 * t, t, lease as u64 * t);
        u8::try_from(cycles.div_ceil(t)).expect("hold fits a tick counter")
    }

    /// The default run for `cards` cards: `D` = 1, `L` = 2h + D = 3, the hold from the
    /// rule, two requests, two failovers, one of each fault.
    pub fn new(cards: usize, variant: Variant) -> Params {
        assert!((3..=MAX_CARDS).contains(&cards), "3 to {MAX_CARDS} cards");
        let delay = 1;
        let lease = 2 * HEARTBEAT + delay;
        Params {
            cards,
            variant,
            lease,
            delay,
            hold: Self::hold_rule(delay, lease),
            window: 2,
            requests: 2,
            sends: 2,
            max_epoch: 3,
            kills: 1,
            dups: 1,
            restarts: 1,
            partitions: 0,
            max_value: 8,
            symmetry: true,
        }
    }

    /// The hold the cards actually use (0 in [`Variant::NoHold`]).
    pub fn effective_hold(&self) -> u8 {
        if self.variant == Variant::NoHold {
            0
        } else {
            self.hold
        }
    }
}

/// One card's registers that the protocol reads (docs/registers.md names).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Card {
    pub alive: bool,
    /// `EPOCH` (0: never configured).
    pub epoch: u8,
    /// `COUNTER`: the next number this card issues as primary.
    pub counter: u8,
    /// `STORED`: end of the highest range stored as secondary.
    pub stored: u8,
    /// `LIMIT`.
    pub limit: u8,
    /// `LEASE`, ticks left.
    pub lease: u8,
    /// `LEASE_HOLD_LEFT`.
    pub hold: u8,
    /// Ticks since the card last sent a heartbeat of epoch `e` (0: it sends them now;
    /// saturates at `D + 1`: none can arrive any more).
    pub hb_age: [u8; MAX_EPOCHS],
}

/// A frame in the fabric (or a CONFIG through the manager's card). The fabric holds a
/// set of them and delivers any, in any order, or loses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Msg {
    /// CONFIG: `counter` is SET_COUNTER, `limit` SET_LIMIT (roles come from the epoch).
    Config {
        to: u8,
        epoch: u8,
        counter: Option<u8>,
        limit: Option<u8>,
    },
    Req {
        to: u8,
        orig: u8,
        req: u8,
        epoch: u8,
    },
    /// `stale` is a ghost: when it was issued, a number of a later epoch had been
    /// delivered already.
    Fwd {
        to: u8,
        from: u8,
        orig: u8,
        req: u8,
        epoch: u8,
        value: u8,
        stale: bool,
    },
    Rsp {
        to: u8,
        from: u8,
        req: u8,
        epoch: u8,
        value: u8,
        stale: bool,
    },
}

impl Msg {
    fn to(&self) -> u8 {
        match *self {
            Msg::Config { to, .. }
            | Msg::Req { to, .. }
            | Msg::Fwd { to, .. }
            | Msg::Rsp { to, .. } => to,
        }
    }
    /// The sending card, for a fabric frame (a CONFIG comes from the manager's card,
    /// wherever it is: `None`).
    fn from(&self) -> Option<u8> {
        match *self {
            Msg::Config { .. } => None,
            Msg::Req { orig, .. } => Some(orig),
            Msg::Fwd { from, .. } | Msg::Rsp { from, .. } => Some(from),
        }
    }
    fn relabel(&mut self, map: &[u8; MAX_CARDS]) {
        match self {
            Msg::Config { to, .. } => *to = map[*to as usize],
            Msg::Req { to, orig, .. } => {
                *to = map[*to as usize];
                *orig = map[*orig as usize];
            }
            Msg::Fwd { to, from, orig, .. } => {
                *to = map[*to as usize];
                *from = map[*from as usize];
                *orig = map[*orig as usize];
            }
            Msg::Rsp { to, from, .. } => {
                *to = map[*to as usize];
                *from = map[*from as usize];
            }
        }
    }
}

/// One request of an originator (count 1).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Request {
    pub orig: u8,
    pub done: bool,
    /// Ghost: the largest number delivered anywhere when the request was issued.
    pub floor: Option<u8>,
    /// REQ frames sent for it.
    pub sends: u8,
}

/// A promotion sent to the new primary, not yet confirmed (manager.rs `Promoting`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pending {
    pub epoch: u8,
    pub counter: Option<u8>,
}

/// The manager. `epoch`, `limit`, `committed` and `floor` are durable (manager.rs
/// `Durable`, and issue 13's `ClusterState` with the roles and the floor); `pending` and
/// `unpersisted` are lost by a restart.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Manager {
    /// Highest epoch ever used.
    pub epoch: u8,
    /// Durable window limit.
    pub limit: u8,
    /// Epoch of the roles in force (the last committed failover).
    pub committed: u8,
    /// Counter every card got with the last committed failover.
    pub floor: u8,
    pub pending: Option<Pending>,
    /// [`Variant::RaiseBeforeDurable`] only: a raise sent but not yet persisted.
    pub unpersisted: Option<u8>,
}

impl Manager {
    /// The limit the running manager believes in.
    fn limit(&self) -> u8 {
        self.unpersisted.unwrap_or(self.limit)
    }
}

/// Property violations seen on the way (ghost flags).
pub mod flag {
    pub const I1: u8 = 1;
    pub const I2: u8 = 2;
    pub const I3: u8 = 4;
    pub const I4_EPOCH: u8 = 8;
    pub const I4_DEPOSED: u8 = 16;
}

/// History variables, never read by the protocol.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ghost {
    /// Bit `v`: number `v` was delivered.
    pub delivered: u64,
    pub max_delivered: Option<u8>,
    /// Highest epoch of a delivered number.
    pub max_epoch_delivered: u8,
    /// Bit `v` of `stored[e]`: the secondary of epoch `e` stored `v`.
    pub stored: [u64; MAX_EPOCHS],
    pub violations: u8,
}

/// Faults used so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Used {
    pub kills: u8,
    pub dups: u8,
    pub restarts: u8,
    pub partitions: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct State {
    pub cards: Vec<Card>,
    /// `(primary, secondary)` of each epoch, fixed when the manager creates it (the
    /// CONFIG carries them).
    pub roles: [(u8, u8); MAX_EPOCHS],
    /// Frames in flight, sorted, no two equal (a second copy is a duplication fault).
    pub net: Vec<Msg>,
    pub reqs: Vec<Request>,
    pub mgr: Manager,
    /// Partition: bit `n` set for the cards on one side (0: none).
    pub side: u8,
    /// Ticks since the partition began (saturates at `D + 1`).
    pub cut_age: u8,
    pub used: Used,
    pub ghost: Ghost,
}

/// What the manager found failed (manager.rs `decide`, the failure table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lost {
    Secondary,
    Primary,
    Both,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// One heartbeat period: every round ends, leases and holds count.
    Tick,
    Deliver(Msg),
    /// Deliver a copy and keep the frame (a duplicate, e.g. a plane switch).
    Duplicate(Msg),
    Lose(Msg),
    /// Originator `orig` starts a request.
    Issue(u8),
    /// The originator re-issues request `req` (timeout or NACK).
    Retry(u8),
    Kill(u8),
    Partition(u8),
    Heal,
    /// manager.rs `decide`: a new epoch with these roles.
    Failover {
        lost: Lost,
        primary: u8,
        secondary: u8,
    },
    /// manager.rs `commit`: the new primary shows its epoch.
    Commit,
    /// manager.rs `Promoting`: the CONFIG again, as a read did not show it applied.
    ResendPromote,
    /// manager.rs `abandon`: the new primary never showed its epoch.
    Abandon,
    /// The manager process restarts: volatile state lost.
    Restart,
    /// manager.rs `decide`: a card of an older epoch gets the current one again.
    Resend(u8),
    /// manager.rs `maybe_raise_window`.
    Raise,
    /// manager.rs `maybe_raise_window`: the primary's limit is below the durable one.
    ResendRaise,
    /// [`Variant::RaiseBeforeDurable`]: the late durable write.
    Persist,
}

/// The model: [`Params`] plus the [`Model`] implementation.
#[derive(Clone, Debug)]
pub struct Failover {
    pub p: Params,
}

impl Failover {
    pub fn new(p: Params) -> Self {
        assert!(p.cards >= 3 && p.cards <= MAX_CARDS);
        assert!((p.max_epoch as usize) < MAX_EPOCHS);
        assert!(p.max_value <= 64);
        Failover { p }
    }

    fn quorum(&self) -> usize {
        quorum(self.p.cards) as usize
    }

    fn across(&self, s: &State, a: u8, b: u8) -> bool {
        s.side != 0 && ((s.side >> a) & 1) != ((s.side >> b) & 1)
    }

    fn deliverable(&self, s: &State, m: &Msg) -> bool {
        if !s.cards[m.to() as usize].alive {
            return false;
        }
        match m.from() {
            Some(f) => !self.across(s, f, m.to()),
            None => true,
        }
    }

    fn send(s: &mut State, m: Msg) {
        if let Err(i) = s.net.binary_search(&m) {
            s.net.insert(i, m);
        }
    }

    /// A CONFIG reaches card `to` (sequence_engine.rs `handle_leased`, CONFIG; the lease
    /// keeper's `new_epoch`: docs/leases.md step 5).
    fn config(&self, s: &mut State, to: u8, epoch: u8, counter: Option<u8>, limit: Option<u8>) {
        let roles = s.roles;
        let c = &mut s.cards[to as usize];
        if epoch > c.epoch {
            let old = c.epoch;
            // lease.rs `exempt`: primary of the epoch it leaves and of exactly the next.
            let exempt = old != 0
                && roles[old as usize].0 == to
                && roles[epoch as usize].0 == to
                && epoch == old + 1;
            c.epoch = epoch;
            if let Some(v) = counter {
                // SET_COUNTER takes max(value, stored).
                let m = v.max(c.stored);
                c.counter = m;
                c.stored = m;
            }
            if let Some(l) = limit {
                c.limit = l;
            }
            c.lease = 0;
            c.hold = if exempt { 0 } else { self.p.effective_hold() };
            c.hb_age[epoch as usize] = 0;
        } else if epoch == c.epoch && counter.is_none() {
            // A window raise (SET_LIMIT alone, a higher limit, the same epoch).
            if let Some(l) = limit {
                if l > c.limit {
                    c.limit = l;
                }
            }
        }
    }

    fn deliver(&self, s: &mut State, m: Msg) {
        let v = self.p.variant;
        match m {
            Msg::Config {
                to,
                epoch,
                counter,
                limit,
            } => self.config(s, to, epoch, counter, limit),
            Msg::Req {
                to,
                orig,
                req,
                epoch,
            } => {
                // sequence_engine.rs, REQ: epoch, role, issue_ok (lease and hold:
                // docs/leases.md step 7), limit.
                let c = &s.cards[to as usize];
                let e = c.epoch;
                if epoch != e || s.roles[e as usize].0 != to {
                    return;
                }
                if c.lease == 0 || c.hold != 0 {
                    return;
                }
                if c.counter >= c.limit || c.counter >= self.p.max_value {
                    return;
                }
                let value = c.counter;
                s.cards[to as usize].counter += 1;
                let stale = e < s.ghost.max_epoch_delivered;
                let sec = s.roles[e as usize].1;
                Self::send(
                    s,
                    Msg::Fwd {
                        to: sec,
                        from: to,
                        orig,
                        req,
                        epoch: e,
                        value,
                        stale,
                    },
                );
                if v == Variant::DeliverBeforeStore {
                    Self::send(
                        s,
                        Msg::Rsp {
                            to: orig,
                            from: to,
                            req,
                            epoch: e,
                            value,
                            stale,
                        },
                    );
                }
            }
            Msg::Fwd {
                to,
                from,
                orig,
                req,
                epoch,
                value,
                stale,
            } => {
                // sequence_engine.rs, FWD: epoch first (silent drop), then the roles,
                // then the lease (NACK(NoLease), nothing stored).
                let c = &s.cards[to as usize];
                let e = c.epoch;
                let fenced = epoch == e;
                if !fenced && v != Variant::NoEpochFence {
                    return;
                }
                let (pr, sec) = s.roles[e as usize];
                if sec != to || pr != from || c.lease == 0 {
                    return;
                }
                if !fenced {
                    s.ghost.violations |= flag::I4_EPOCH;
                }
                let c = &mut s.cards[to as usize];
                c.stored = c.stored.max(value + 1);
                s.ghost.stored[e as usize] |= 1 << value;
                Self::send(
                    s,
                    Msg::Rsp {
                        to: orig,
                        from: to,
                        req,
                        epoch: e,
                        value,
                        stale,
                    },
                );
            }
            Msg::Rsp {
                to,
                req,
                epoch,
                value,
                stale,
                ..
            } => {
                // batch_table.rs: the answer's epoch must be the card's; a second RSP
                // for a finished tag is dropped.
                let fenced = epoch == s.cards[to as usize].epoch;
                if !fenced && v != Variant::NoEpochFence {
                    return;
                }
                let r = &mut s.reqs[req as usize];
                if r.done {
                    return;
                }
                r.done = true;
                let floor = r.floor;
                let g = &mut s.ghost;
                if !fenced {
                    g.violations |= flag::I4_EPOCH;
                }
                if g.delivered >> value & 1 == 1 {
                    g.violations |= flag::I1;
                }
                if floor.is_some_and(|f| value <= f) {
                    g.violations |= flag::I2;
                }
                if g.stored[epoch as usize] >> value & 1 == 0 {
                    g.violations |= flag::I3;
                }
                if stale {
                    g.violations |= flag::I4_DEPOSED;
                }
                g.delivered |= 1 << value;
                g.max_delivered = Some(g.max_delivered.map_or(value, |m| m.max(value)));
                g.max_epoch_delivered = g.max_epoch_delivered.max(epoch);
            }
        }
    }

    /// One heartbeat period (docs/leases.md steps 2-6; lease.rs): a round ends at every
    /// card, which renews when it and the cards whose heartbeats of its epoch reached it
    /// make a quorum; then the lease counts down, the hold counts down where a lease was
    /// held, and heartbeats age.
    ///
    /// Support is the most the fabric allows: every card's heartbeat of epoch `e`
    /// arrives, a card that left `e` (or died, or was cut off) supports `e` for `D` more
    /// ticks, and every card hears every other (a heartbeat's "whom I hear" bit only
    /// takes support away; the bound does not rely on it).
    fn tick(&self, s: &mut State) {
        let n = self.p.cards;
        let d = self.p.delay;
        let q = self.quorum();
        let mut renew = [false; MAX_CARDS];
        for (p, r) in renew.iter_mut().enumerate().take(n) {
            let c = &s.cards[p];
            if !c.alive || c.epoch == 0 {
                continue;
            }
            let e = c.epoch as usize;
            let support = (0..n)
                .filter(|&o| o != p)
                .filter(|&o| {
                    let mut age = s.cards[o].hb_age[e];
                    if self.across(s, o as u8, p as u8) {
                        age = age.max(s.cut_age);
                    }
                    age <= d
                })
                .count();
            *r = 1 + support >= q;
        }
        for (c, r) in s.cards.iter_mut().zip(renew) {
            if !c.alive {
                continue;
            }
            if c.lease > 0 && c.hold > 0 {
                c.hold -= 1;
            }
            c.lease = if r {
                self.p.lease
            } else {
                c.lease.saturating_sub(1)
            };
        }
        for c in s.cards.iter_mut() {
            for e in 1..=self.p.max_epoch as usize {
                if c.alive && c.epoch as usize == e {
                    c.hb_age[e] = 0;
                } else {
                    c.hb_age[e] = (c.hb_age[e] + 1).min(d + 1);
                }
            }
        }
        if s.side != 0 {
            s.cut_age = (s.cut_age + 1).min(d + 1);
        }
    }

    fn req_msg(s: &State, r: u8) -> Msg {
        let o = s.reqs[r as usize].orig;
        let e = s.cards[o as usize].epoch;
        Msg::Req {
            to: s.roles[e as usize].0,
            orig: o,
            req: r,
            epoch: e,
        }
    }

    fn resend_msg(s: &State, m: u8) -> Msg {
        Msg::Config {
            to: m,
            epoch: s.mgr.committed,
            counter: Some(s.mgr.floor),
            limit: Some(s.mgr.limit()),
        }
    }

    fn promote_msg(s: &State, pend: Pending) -> Msg {
        Msg::Config {
            to: s.roles[pend.epoch as usize].0,
            epoch: pend.epoch,
            counter: pend.counter,
            limit: Some(s.mgr.limit()),
        }
    }
}

/// Drops frames whose delivery can no longer change anything (epochs only grow, the
/// roles of an epoch never change, a limit only grows within an epoch, a finished
/// request takes no second RSP): they would only keep apart states that behave alike.
/// A frame to a dead card goes too (crash-stop).
pub fn collect_garbage(s: &mut State, fence: bool) {
    // The lease and the hold of a card without a role in its epoch are never read (they
    // are cleared and reloaded when the card adopts an epoch where it has one).
    for (k, c) in s.cards.iter_mut().enumerate() {
        let (p, sec) = s.roles[c.epoch as usize];
        if c.epoch == 0 || (p as usize != k && sec as usize != k) {
            c.lease = 0;
            c.hold = 0;
        }
    }
    let (cards, reqs, roles) = (&s.cards, &s.reqs, &s.roles);
    s.net.retain(|m| {
        let to = m.to();
        let c = &cards[to as usize];
        if !c.alive {
            return false;
        }
        match *m {
            Msg::Config {
                epoch,
                counter,
                limit,
                ..
            } => {
                epoch > c.epoch
                    || (epoch == c.epoch && counter.is_none() && limit.is_some_and(|l| l > c.limit))
            }
            Msg::Req { epoch, .. } => {
                epoch > c.epoch || (epoch == c.epoch && roles[epoch as usize].0 == to)
            }
            Msg::Fwd { epoch, from, .. } => {
                !fence
                    || epoch > c.epoch
                    || (epoch == c.epoch && roles[epoch as usize] == (from, to))
            }
            Msg::Rsp { epoch, req, .. } => !reqs[req as usize].done && (!fence || epoch >= c.epoch),
        }
    });
}

/// Relabels the cards into a representative order (symmetry reduction: node ids carry
/// no meaning beyond identity, so a state and its relabellings behave alike). Cards are
/// sorted by their registers and their roles in every epoch; ties keep their order,
/// which leaves some equivalent states apart but never merges different ones.
pub fn canonical(s: &mut State, max_epoch: u8) {
    let n = s.cards.len();
    let key = |i: usize| {
        let mut roles = [0u8; MAX_EPOCHS];
        for (e, r) in roles.iter_mut().enumerate().take(max_epoch as usize + 1) {
            let (p, sec) = s.roles[e];
            *r = if e > s.mgr.epoch as usize {
                0
            } else if p as usize == i {
                1
            } else if sec as usize == i {
                2
            } else {
                3
            };
        }
        let reqs: u32 = s
            .reqs
            .iter()
            .enumerate()
            .filter(|(_, r)| r.orig as usize == i)
            .map(|(k, _)| 1 << k)
            .sum();
        (roles, s.cards[i].clone(), reqs, (s.side >> i) & 1)
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_cached_key(|&i| key(i));
    if order.iter().enumerate().all(|(k, &i)| k == i) {
        return;
    }
    let mut map = [0u8; MAX_CARDS];
    for (new, &old) in order.iter().enumerate() {
        map[old] = new as u8;
    }
    s.cards = order.iter().map(|&i| s.cards[i].clone()).collect();
    for e in 1..=s.mgr.epoch as usize {
        let (p, sec) = s.roles[e];
        s.roles[e] = (map[p as usize], map[sec as usize]);
    }
    for m in s.net.iter_mut() {
        m.relabel(&map);
    }
    s.net.sort_unstable();
    for r in s.reqs.iter_mut() {
        r.orig = map[r.orig as usize];
    }
    let mut side = 0u8;
    for (old, &new) in map.iter().enumerate().take(n) {
        side |= ((s.side >> old) & 1) << new;
    }
    s.side = side;
}

impl Model for Failover {
    type State = State;
    type Action = Action;

    /// A cluster that has been serving for a while: everyone in epoch 1 with primary 0
    /// and secondary 1, leases held, holds run out, the first window.
    fn init_states(&self) -> Vec<State> {
        let p = &self.p;
        let mut hb_age = [p.delay + 1; MAX_EPOCHS];
        hb_age[1] = 0;
        let card = Card {
            alive: true,
            epoch: 1,
            counter: 0,
            stored: 0,
            limit: p.window,
            lease: p.lease,
            hold: 0,
            hb_age,
        };
        let mut roles = [(0, 0); MAX_EPOCHS];
        roles[1] = (0, 1);
        vec![State {
            cards: vec![card; p.cards],
            roles,
            net: Vec::new(),
            reqs: Vec::new(),
            mgr: Manager {
                epoch: 1,
                limit: p.window,
                committed: 1,
                floor: 0,
                pending: None,
                unpersisted: None,
            },
            side: 0,
            cut_age: 0,
            used: Used::default(),
            ghost: Ghost {
                delivered: 0,
                max_delivered: None,
                max_epoch_delivered: 0,
                stored: [0; MAX_EPOCHS],
                violations: 0,
            },
        }]
    }

    fn actions(&self, s: &State, out: &mut Vec<Action>) {
        if s.ghost.violations != 0 {
            return;
        }
        let p = &self.p;
        let n = p.cards as u8;
        out.push(Action::Tick);
        for m in &s.net {
            if self.deliverable(s, m) {
                out.push(Action::Deliver(*m));
                // Only a duplicated REQ can change anything: a second CONFIG is refused
                // (same epoch), a second RSP finds its request finished, a second FWD
                // stores the same range again (max) and answers with the RSP already
                // sent (README, "Faults").
                if s.used.dups < p.dups && matches!(m, Msg::Req { .. }) {
                    out.push(Action::Duplicate(*m));
                }
            }
            out.push(Action::Lose(*m));
        }
        if s.reqs.len() < p.requests as usize {
            for o in 0..n {
                if s.cards[o as usize].alive {
                    out.push(Action::Issue(o));
                }
            }
        }
        for (k, r) in s.reqs.iter().enumerate() {
            if !r.done
                && r.sends < p.sends
                && s.cards[r.orig as usize].alive
                && s.net.binary_search(&Self::req_msg(s, k as u8)).is_err()
            {
                out.push(Action::Retry(k as u8));
            }
        }
        if s.used.kills < p.kills {
            for c in 0..n {
                if s.cards[c as usize].alive {
                    out.push(Action::Kill(c));
                }
            }
        }
        if s.side == 0 && s.used.partitions < p.partitions {
            // One side holds card 0; the other is its complement.
            let all = (1u8 << n) - 1;
            for side in (1..all).filter(|m| m & 1 == 1) {
                out.push(Action::Partition(side));
            }
        }
        if s.side != 0 {
            out.push(Action::Heal);
        }
        let m = &s.mgr;
        if m.unpersisted.is_some() {
            out.push(Action::Persist);
        }
        // A restart loses `pending` and `unpersisted`; with nothing unpersisted it is the
        // same step as `Abandon` (README, "Manager").
        if m.unpersisted.is_some() && s.used.restarts < p.restarts {
            out.push(Action::Restart);
        }
        if let Some(pend) = m.pending {
            let np = s.roles[pend.epoch as usize].0;
            let c = &s.cards[np as usize];
            if c.alive && c.epoch == pend.epoch {
                out.push(Action::Commit);
            }
            if c.alive && s.net.binary_search(&Self::promote_msg(s, pend)).is_err() {
                out.push(Action::ResendPromote);
            }
            out.push(Action::Abandon);
            return;
        }
        // Idle: manager.rs `decide`.
        for c in 0..n {
            let card = &s.cards[c as usize];
            if card.alive
                && card.epoch < m.committed
                && s.net.binary_search(&Self::resend_msg(s, c)).is_err()
            {
                out.push(Action::Resend(c));
            }
        }
        let (pr, se) = s.roles[m.committed as usize];
        if m.epoch < p.max_epoch {
            let others: Vec<u8> = (0..n).filter(|&c| c != pr && c != se).collect();
            for &ns in &others {
                out.push(Action::Failover {
                    lost: Lost::Secondary,
                    primary: pr,
                    secondary: ns,
                });
                out.push(Action::Failover {
                    lost: Lost::Primary,
                    primary: se,
                    secondary: ns,
                });
                for &np in &others {
                    if np != ns {
                        out.push(Action::Failover {
                            lost: Lost::Both,
                            primary: np,
                            secondary: ns,
                        });
                    }
                }
            }
        }
        // maybe_raise_window reads the primary's LIMIT and COUNTER (it runs when the
        // primary and secondary are both fine; the model lets it run whenever the
        // primary answers its reads).
        let c = &s.cards[pr as usize];
        if c.alive && c.epoch == m.committed {
            if c.limit < m.limit() {
                let raise = Msg::Config {
                    to: pr,
                    epoch: m.committed,
                    counter: None,
                    limit: Some(m.limit()),
                };
                if s.net.binary_search(&raise).is_err() {
                    out.push(Action::ResendRaise);
                }
            } else if m.limit().saturating_sub(c.counter) < (p.window / 2).max(1)
                && m.limit() + p.window <= p.max_value
                && m.unpersisted.is_none()
            {
                out.push(Action::Raise);
            }
        }
    }

    fn next_state(&self, last: &State, action: Action) -> Option<State> {
        let p = &self.p;
        let mut s = last.clone();
        match action {
            Action::Tick => self.tick(&mut s),
            Action::Deliver(m) => {
                let i = s.net.binary_search(&m).ok()?;
                s.net.remove(i);
                self.deliver(&mut s, m);
            }
            Action::Duplicate(m) => {
                s.used.dups += 1;
                self.deliver(&mut s, m);
            }
            Action::Lose(m) => {
                let i = s.net.binary_search(&m).ok()?;
                s.net.remove(i);
            }
            Action::Issue(o) => {
                s.reqs.push(Request {
                    orig: o,
                    done: false,
                    floor: s.ghost.max_delivered,
                    sends: 0,
                });
                let k = (s.reqs.len() - 1) as u8;
                let m = Self::req_msg(&s, k);
                s.reqs[k as usize].sends = 1;
                Self::send(&mut s, m);
            }
            Action::Retry(k) => {
                let m = Self::req_msg(&s, k);
                s.reqs[k as usize].sends += 1;
                Self::send(&mut s, m);
            }
            Action::Kill(c) => {
                s.used.kills += 1;
                // Crash-stop: the registers no longer matter; heartbeats already sent
                // still arrive for D ticks (hb_age keeps aging).
                let card = &mut s.cards[c as usize];
                *card = Card {
                    alive: false,
                    epoch: 0,
                    counter: 0,
                    stored: 0,
                    limit: 0,
                    lease: 0,
                    hold: 0,
                    hb_age: card.hb_age,
                };
                s.net.retain(|m| m.to() != c);
            }
            Action::Partition(side) => {
                s.used.partitions += 1;
                s.side = side;
                s.cut_age = 0;
            }
            Action::Heal => {
                s.side = 0;
                s.cut_age = 0;
            }
            Action::Failover {
                lost,
                primary,
                secondary,
            } => {
                // manager.rs `decide`: durable first (the epoch, and the window ahead of
                // the new counter), then the CONFIG to the new primary.
                let (_, old_s) = s.roles[s.mgr.committed as usize];
                let counter = match lost {
                    Lost::Secondary => None,
                    Lost::Primary => {
                        let c = &s.cards[old_s as usize];
                        Some(if c.alive { c.stored } else { 0 })
                    }
                    Lost::Both => Some(s.mgr.limit()),
                };
                let mut limit = s.mgr.limit();
                if let Some(c) = counter {
                    limit = limit.max(c.saturating_add(p.window));
                }
                s.mgr.limit = limit;
                s.mgr.unpersisted = None;
                s.mgr.epoch += 1;
                let e = s.mgr.epoch;
                s.roles[e as usize] = (primary, secondary);
                let pend = Pending { epoch: e, counter };
                s.mgr.pending = Some(pend);
                let m = Self::promote_msg(&s, pend);
                Self::send(&mut s, m);
            }
            Action::Commit => {
                // manager.rs `commit`: the new primary's COUNTER is every other card's
                // floor.
                let pend = s.mgr.pending.take()?;
                let e = pend.epoch;
                let np = s.roles[e as usize].0;
                let counter = s.cards[np as usize].counter;
                s.mgr.committed = e;
                s.mgr.floor = counter;
                let limit = s.mgr.limit();
                for to in 0..p.cards as u8 {
                    if to != np && s.cards[to as usize].alive {
                        Self::send(
                            &mut s,
                            Msg::Config {
                                to,
                                epoch: e,
                                counter: Some(counter),
                                limit: Some(limit),
                            },
                        );
                    }
                }
            }
            Action::ResendPromote => {
                let pend = s.mgr.pending?;
                let m = Self::promote_msg(&s, pend);
                Self::send(&mut s, m);
            }
            Action::Abandon => s.mgr.pending = None,
            Action::Restart => {
                s.used.restarts += 1;
                s.mgr.pending = None;
                s.mgr.unpersisted = None;
            }
            Action::Resend(c) => {
                let m = Self::resend_msg(&s, c);
                Self::send(&mut s, m);
            }
            Action::Raise => {
                let (pr, _) = s.roles[s.mgr.committed as usize];
                let new = s.mgr.limit() + p.window;
                if p.variant == Variant::RaiseBeforeDurable {
                    s.mgr.unpersisted = Some(new);
                } else {
                    // Persist first (DESIGN.md 1), then send.
                    s.mgr.limit = new;
                }
                let m = Msg::Config {
                    to: pr,
                    epoch: s.mgr.committed,
                    counter: None,
                    limit: Some(new),
                };
                Self::send(&mut s, m);
            }
            Action::ResendRaise => {
                let (pr, _) = s.roles[s.mgr.committed as usize];
                let m = Msg::Config {
                    to: pr,
                    epoch: s.mgr.committed,
                    counter: None,
                    limit: Some(s.mgr.limit()),
                };
                Self::send(&mut s, m);
            }
            Action::Persist => {
                s.mgr.limit = s.mgr.unpersisted.take()?;
            }
        }
        collect_garbage(&mut s, p.variant != Variant::NoEpochFence);
        if p.symmetry {
            canonical(&mut s, p.max_epoch);
        }
        Some(s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("I1 unique", |_, s: &State| {
                s.ghost.violations & flag::I1 == 0
            }),
            Property::always("I2 real-time monotonic", |_, s: &State| {
                s.ghost.violations & flag::I2 == 0
            }),
            Property::always("I3 stored before delivered", |_, s: &State| {
                s.ghost.violations & flag::I3 == 0
            }),
            Property::always("I4 no frame of another epoch used", |_, s: &State| {
                s.ghost.violations & flag::I4_EPOCH == 0
            }),
            Property::always(
                "I4 deposed primary delivers nothing after the new epoch",
                |_, s: &State| s.ghost.violations & flag::I4_DEPOSED == 0,
            ),
            Property::sometimes("a number delivered after a failover", |_, s: &State| {
                s.ghost.max_epoch_delivered >= 2
            }),
        ]
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Deliver(m) => write!(f, "deliver {m:?}"),
            Action::Duplicate(m) => write!(f, "deliver a duplicate of {m:?}"),
            Action::Lose(m) => write!(f, "lose {m:?}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// How to search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Search {
    /// Breadth first: shortest counterexamples.
    Bfs,
    /// Depth first.
    Dfs,
}

/// A property the checker found a discovery for.
#[derive(Clone, Debug)]
pub struct Found {
    pub property: &'static str,
    /// `true`: a counterexample of an `always` property.
    pub failure: bool,
    /// Actions from the initial state.
    pub steps: Vec<String>,
}

/// What a run found.
#[derive(Clone, Debug)]
pub struct Report {
    pub unique_states: usize,
    pub states: usize,
    pub max_depth: usize,
    pub seconds: f64,
    /// Neither a depth bound nor a counterexample cut the search short: every reachable
    /// state was checked.
    pub exhaustive: bool,
    pub found: Vec<Found>,
}

impl Report {
    pub fn failures(&self) -> impl Iterator<Item = &Found> {
        self.found.iter().filter(|f| f.failure)
    }
}

/// Checks `params` with breadth-first (or depth-first) search, up to `depth` steps if
/// given. `stop_at_failure`: stop at the first counterexample (for the planted bugs).
pub fn check(
    params: Params,
    depth: Option<usize>,
    search: Search,
    stop_at_failure: bool,
) -> Report {
    use stateright::{Checker, HasDiscoveries};
    let model = Failover::new(params);
    let props = model.properties();
    let start = std::time::Instant::now();
    let mut b = model.checker();
    if let Some(d) = depth {
        b = b.target_max_depth(d);
    }
    if stop_at_failure {
        b = b.finish_when(HasDiscoveries::AnyFailures);
    }
    match search {
        Search::Bfs => report(&props, b.spawn_bfs().join(), start, depth),
        Search::Dfs => report(&props, b.spawn_dfs().join(), start, depth),
    }
}

fn report<C: stateright::Checker<Failover>>(
    props: &[Property<Failover>],
    c: C,
    start: std::time::Instant,
    depth: Option<usize>,
) -> Report {
    let seconds = start.elapsed().as_secs_f64();
    let mut found: Vec<Found> = c
        .discoveries()
        .into_iter()
        .map(|(name, path)| Found {
            property: name,
            failure: props
                .iter()
                .any(|p| p.name == name && p.expectation.discovery_is_failure()),
            steps: path
                .into_actions()
                .into_iter()
                .map(|a| a.to_string())
                .collect(),
        })
        .collect();
    found.sort_by_key(|f| (!f.failure, f.property));
    let max_depth = c.max_depth();
    Report {
        unique_states: c.unique_state_count(),
        states: c.state_count(),
        max_depth,
        seconds,
        exhaustive: depth.is_none_or(|d| max_depth < d) && !found.iter().any(|f| f.failure),
        found,
    }
}
