//! [`LeaseKeeper`]: the card's lease of its epoch, renewed by the fabric itself
//! (docs/leases.md, "The mechanism"; DESIGN.md 1).
//!
//! A heartbeat *supports* this card when it carries this card's epoch (not 0) and its
//! `value` (the sender's `LIVE_X | LIVE_Y`) has this card's bit set. Supporters are
//! collected per round, a round ending at each of this card's own heartbeat ticks; at
//! that tick `1 + supporters >= quorum` renews the lease to `LEASE_PERIOD` cycles. The
//! lease counts down every cycle. A new epoch drops it and loads the hold, which counts
//! down while the lease is held; the primary issues only once the hold is 0.
//!
//! # Pipeline
//!
//! The heartbeat inputs are registered first (they come from the dispatcher's FIFO
//! heads), then turned into one-hot *columns* (registered), then OR-ed into the round's
//! bitmap while a small counter counts the new bits, so no stage has more than a 32-bit
//! compare or a 64-bit AND-reduce. A heartbeat therefore counts 3 cycles after the
//! dispatcher takes it; docs/leases.md's `CARD_PIPELINE_CYCLES` includes them.
//!
//! `lease_ok` and `issue_ok` are registers whose next values are built from tests that
//! need no carry chain (`lease >= 2` is "any bit above bit 0"), and both are forced low
//! in the cycle `new_epoch` pulses, the first cycle of a new epoch, so nothing can use
//! the old epoch's lease in the new one.

use super::heartbeat_rx::HeartbeatRx;
use crate::engine::EngineStatus;
use rust_hdl::prelude::*;
use seqfab_contract::limits::MAX_NODES;

/// The lease of one card; see the module doc.
#[derive(LogicBlock)]
pub struct LeaseKeeper {
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// One-cycle pulse per heartbeat period: the round ends.
    pub tick: Signal<In, Bit>,
    /// This card's node id.
    pub node_id: Signal<In, Bits<8>>,
    /// The engine's epoch, roles and quorum, and its pulse in the first cycle of a new
    /// epoch.
    pub status: Signal<In, EngineStatus>,
    /// `LEASE_PERIOD` and `LEASE_HOLD`.
    pub lease_period: Signal<In, Bits<32>>,
    pub hold_period: Signal<In, Bits<32>>,
    /// The heartbeats received on plane X and on plane Y (both may arrive in one cycle).
    pub heartbeat_x: Signal<In, HeartbeatRx>,
    pub heartbeat_y: Signal<In, HeartbeatRx>,
    /// `LEASE`: cycles left.
    pub lease: Signal<Out, Bits<32>>,
    /// `LEASE_HOLD_LEFT`.
    pub hold_left: Signal<Out, Bits<32>>,
    /// `SUPPORT`: the supporters of the last round that ended.
    pub support: Signal<Out, Bits<64>>,
    /// The lease is held (registered).
    pub lease_ok: Signal<Out, Bit>,
    /// The lease is held and the hold is 0: the primary may issue (registered).
    pub issue_ok: Signal<Out, Bit>,

    // Stage 0: registered heartbeat inputs.
    s0_x: DFF<Bit>,
    s0_x_node: DFF<Bits<8>>,
    s0_x_epoch: DFF<Bits<32>>,
    s0_x_heard: DFF<Bits<64>>,
    s0_y: DFF<Bit>,
    s0_y_node: DFF<Bits<8>>,
    s0_y_epoch: DFF<Bits<32>>,
    s0_y_heard: DFF<Bits<64>>,
    /// This card's one-hot bit, from `node_id`.
    me: DFF<Bits<64>>,
    /// Stage 1: the supporting heartbeats as one-hot columns (0: no support).
    col_x: DFF<Bits<64>>,
    col_y: DFF<Bits<64>>,
    /// The round: supporters so far and how many there are.
    round: DFF<Bits<64>>,
    round_count: DFF<Bits<8>>,
    last_support: DFF<Bits<64>>,
    lease_r: DFF<Bits<32>>,
    hold_r: DFF<Bits<32>>,
    lease_ok_r: DFF<Bit>,
    issue_ok_r: DFF<Bit>,
    /// The engine's epoch and primary test of the previous cycle (the exemption test).
    prev_epoch: DFF<Bits<32>>,
    prev_primary: DFF<Bit>,

    // Combinational.
    ok_x: Signal<Local, Bit>,
    ok_y: Signal<Local, Bit>,
    /// The round the new columns join (empty at a tick).
    base: Signal<Local, Bits<64>>,
    new_x: Signal<Local, Bit>,
    new_y: Signal<Local, Bit>,
    now_primary: Signal<Local, Bit>,
    exempt: Signal<Local, Bit>,
    renew: Signal<Local, Bit>,
    lease_next_ok: Signal<Local, Bit>,
    hold_next_zero: Signal<Local, Bit>,
    step: Signal<Local, Bits<8>>,
    zero8: Constant<Bits<8>>,
    zero32: Constant<Bits<32>>,
    one8: Constant<Bits<8>>,
    two8: Constant<Bits<8>>,
    one32: Constant<Bits<32>>,
    one64: Constant<Bits<64>>,
    zero64: Constant<Bits<64>>,
    /// Every bit but bit 0: `x & upper != 0` means `x >= 2`.
    upper: Constant<Bits<32>>,
    /// Bits 7:6 of a node id: non-zero means >= 64.
    high_ids: Constant<Bits<8>>,
    /// The engine's counters, which the lease does not read (the `unused_` name tells
    /// lint so).
    unused_status: Signal<Local, EngineStatus>,
}

impl Default for LeaseKeeper {
    fn default() -> Self {
        Self::new()
    }
}

impl LeaseKeeper {
    pub fn new() -> Self {
        assert_eq!(MAX_NODES, 64, "one 64-bit support bitmap");
        Self {
            clock: Default::default(),
            tick: Default::default(),
            node_id: Default::default(),
            status: Default::default(),
            unused_status: Default::default(),
            lease_period: Default::default(),
            hold_period: Default::default(),
            heartbeat_x: Default::default(),
            heartbeat_y: Default::default(),
            lease: Default::default(),
            hold_left: Default::default(),
            support: Default::default(),
            lease_ok: Default::default(),
            issue_ok: Default::default(),
            s0_x: Default::default(),
            s0_x_node: Default::default(),
            s0_x_epoch: Default::default(),
            s0_x_heard: Default::default(),
            s0_y: Default::default(),
            s0_y_node: Default::default(),
            s0_y_epoch: Default::default(),
            s0_y_heard: Default::default(),
            me: Default::default(),
            col_x: Default::default(),
            col_y: Default::default(),
            round: Default::default(),
            round_count: Default::default(),
            last_support: Default::default(),
            lease_r: Default::default(),
            hold_r: Default::default(),
            lease_ok_r: Default::default(),
            issue_ok_r: Default::default(),
            prev_epoch: Default::default(),
            prev_primary: Default::default(),
            ok_x: Default::default(),
            ok_y: Default::default(),
            base: Default::default(),
            new_x: Default::default(),
            new_y: Default::default(),
            now_primary: Default::default(),
            exempt: Default::default(),
            renew: Default::default(),
            lease_next_ok: Default::default(),
            hold_next_zero: Default::default(),
            step: Default::default(),
            zero8: Constant::new(0u64.into()),
            zero32: Constant::new(0u64.into()),
            one8: Constant::new(1u64.into()),
            two8: Constant::new(2u64.into()),
            one32: Constant::new(1u64.into()),
            one64: Constant::new(1u64.into()),
            zero64: Constant::new(0u64.into()),
            upper: Constant::new((u32::MAX as u64 & !1).into()),
            high_ids: Constant::new((0xFFu64 & !(MAX_NODES as u64 - 1)).into()),
        }
    }
}

impl Logic for LeaseKeeper {
    #[hdl_gen]
    fn update(&mut self) {
        self.unused_status.next = self.status.val();
        dff_setup!(
            self,
            clock,
            s0_x,
            s0_x_node,
            s0_x_epoch,
            s0_x_heard,
            s0_y,
            s0_y_node,
            s0_y_epoch,
            s0_y_heard,
            me,
            col_x,
            col_y,
            round,
            round_count,
            last_support,
            lease_r,
            hold_r,
            lease_ok_r,
            issue_ok_r,
            prev_epoch,
            prev_primary
        );
        // ---- Stage 0: register the heartbeats.
        self.s0_x.d.next = self.heartbeat_x.val().valid
            & !(self.heartbeat_x.val().node & self.high_ids.val()).any();
        self.s0_x_node.d.next = self.heartbeat_x.val().node;
        self.s0_x_epoch.d.next = self.heartbeat_x.val().epoch;
        self.s0_x_heard.d.next = self.heartbeat_x.val().heard;
        self.s0_y.d.next = self.heartbeat_y.val().valid
            & !(self.heartbeat_y.val().node & self.high_ids.val()).any();
        self.s0_y_node.d.next = self.heartbeat_y.val().node;
        self.s0_y_epoch.d.next = self.heartbeat_y.val().epoch;
        self.s0_y_heard.d.next = self.heartbeat_y.val().heard;
        self.me.d.next = self.one64.val() << self.node_id.val();

        // ---- Stage 1: which heartbeats support this card, as one-hot columns.
        self.ok_x.next = self.s0_x.q.val()
            & self.status.val().configured
            & (self.s0_x_epoch.q.val() == self.status.val().epoch)
            & (self.s0_x_heard.q.val() & self.me.q.val()).any();
        self.ok_y.next = self.s0_y.q.val()
            & self.status.val().configured
            & (self.s0_y_epoch.q.val() == self.status.val().epoch)
            & (self.s0_y_heard.q.val() & self.me.q.val()).any();
        self.col_x.d.next = self.zero64.val();
        if self.ok_x.val() {
            self.col_x.d.next = self.one64.val() << self.s0_x_node.q.val();
        }
        self.col_y.d.next = self.zero64.val();
        if self.ok_y.val() {
            self.col_y.d.next = self.one64.val() << self.s0_y_node.q.val();
        }

        // ---- Stage 2: the round. New supporters this cycle: 0, 1 or 2 (X and Y may
        // carry two nodes' heartbeats, or the same node's twice).
        // At a tick the new round starts empty, so this cycle's columns are all new.
        self.base.next = self.round.q.val();
        if self.tick.val() {
            self.base.next = self.zero64.val();
        }
        self.new_x.next = (self.col_x.q.val() & !self.base.val()).any();
        self.new_y.next = (self.col_y.q.val() & !self.base.val() & !self.col_x.q.val()).any();
        self.step.next = self.zero8.val();
        if self.new_x.val() ^ self.new_y.val() {
            self.step.next = self.one8.val();
        }
        if self.new_x.val() & self.new_y.val() {
            self.step.next = self.two8.val();
        }
        // Renew at the round's end when the supporters so far, and this card, make a
        // quorum (quorum 0: never; the counts are below 64, so `count + 1` fits).
        self.renew.next = self.tick.val()
            & self.status.val().quorum.any()
            & ((self.round_count.q.val() + self.one8.val()) >= self.status.val().quorum);
        if self.tick.val() {
            self.last_support.d.next = self.round.q.val();
            self.round.d.next = self.col_x.q.val() | self.col_y.q.val();
            self.round_count.d.next = self.step.val();
        } else {
            self.round.d.next = self.round.q.val() | self.col_x.q.val() | self.col_y.q.val();
            self.round_count.d.next = self.round_count.q.val() + self.step.val();
        }

        // ---- The lease and the hold.
        self.now_primary.next =
            self.status.val().configured & (self.status.val().primary_id == self.node_id.val());
        self.prev_epoch.d.next = self.status.val().epoch;
        self.prev_primary.d.next = self.now_primary.val();
        // The primary of the epoch it leaves, primary again in exactly the next one:
        // nobody else could issue in the old epoch, so there is nothing to wait out.
        self.exempt.next = self.prev_primary.q.val()
            & self.now_primary.val()
            & (self.status.val().epoch == self.prev_epoch.q.val() + self.one32.val());
        if self.lease_r.q.val().any() {
            self.lease_r.d.next = self.lease_r.q.val() - self.one32.val();
        }
        if self.renew.val() {
            self.lease_r.d.next = self.lease_period.val();
        }
        if self.lease_r.q.val().any() & self.hold_r.q.val().any() {
            self.hold_r.d.next = self.hold_r.q.val() - self.one32.val();
        }
        // `lease` after this edge is not 0: renewed to a non-zero period, or >= 2 now.
        self.lease_next_ok.next = self.lease_period.val().any();
        if !self.renew.val() {
            self.lease_next_ok.next = (self.lease_r.q.val() & self.upper.val()).any();
        }
        self.hold_next_zero.next = !self.hold_r.q.val().any()
            | (!(self.hold_r.q.val() & self.upper.val()).any() & self.lease_r.q.val().any());
        if self.status.val().new_epoch {
            self.lease_r.d.next = self.zero32.val();
            self.round.d.next = self.zero64.val();
            self.round_count.d.next = self.zero8.val();
            self.last_support.d.next = self.zero64.val();
            self.lease_next_ok.next = false;
            if self.exempt.val() {
                self.hold_r.d.next = self.zero32.val();
            } else {
                self.hold_r.d.next = self.hold_period.val();
            }
        }
        self.lease_ok_r.d.next = self.lease_next_ok.val();
        self.issue_ok_r.d.next = self.lease_next_ok.val() & self.hold_next_zero.val();

        self.lease.next = self.lease_r.q.val();
        self.hold_left.next = self.hold_r.q.val();
        self.support.next = self.last_support.q.val();
        self.lease_ok.next = self.lease_ok_r.q.val() & !self.status.val().new_epoch;
        self.issue_ok.next = self.issue_ok_r.q.val() & !self.status.val().new_epoch;
    }
}

#[cfg(test)]
mod tests;
