//! [`LivenessTracker`]: which nodes are heard on one plane (docs/gateware.md decision 7).
//!
//! Per node, a saturating 4-bit count of heartbeat periods without a heartbeat; the node
//! is live while the count is below the `LIVENESS_MISSES` register and the plane's link is
//! up. The card core makes one tracker per plane, and [`super::plane_select::PlaneSelect`]
//! reads both bitmaps.
//!
//! # Bit-sliced counters
//!
//! The 64 counters are stored as four 64-bit *bit planes* (`plane[b]` holds bit `b` of
//! every node's count) plus a 64-bit "ever heard" plane. Every operation is then a bitwise
//! expression on 64-bit words: a tick is a 4-bit ripple increment done for all nodes at
//! once, a heartbeat clears one column, and "count < misses" is a 4-bit comparator in
//! sliced form whose result is directly the `live` bitmap. This needs no per-node
//! submodules and no bit-by-bit assembly of the 64-bit output (rust-hdl has no
//! concatenation), and each output bit depends on its own node's 5 bits, `misses` and
//! `link_up` only.

use super::heartbeat_rx::HeartbeatRx;
use rust_hdl::prelude::*;
use seqfab_contract::limits::MAX_NODES;

/// Width of a node's count of silent periods (and of `LIVENESS_MISSES`): it saturates
/// at 15.
pub const COUNT_BITS: usize = 4;

/// Liveness of up to 64 nodes on one plane; see the module doc.
#[derive(LogicBlock)]
pub struct LivenessTracker {
    /// One-cycle pulse per heartbeat period (from [`super::heartbeat::HeartbeatTimer`]):
    /// every node's count of silent periods goes up by one, saturating at 15.
    pub tick: Signal<In, Bit>,
    /// Threshold (the `LIVENESS_MISSES` register): a node is live while its count is below
    /// this. 0 makes no node live.
    pub misses: Signal<In, Bits<COUNT_BITS>>,
    /// A heartbeat arrived on this plane (its sender's ids of 64 and above are ignored).
    /// Wins over a `tick` in the same cycle.
    pub heartbeat: Signal<In, HeartbeatRx>,
    /// The plane's link is up (from the MAC/PHY). Low makes no node live.
    pub link_up: Signal<In, Bit>,
    /// Bit `n`: node `n` is live on this plane. Registered: follows `link_up` and
    /// `misses` by 1 cycle, and `heartbeat` / `tick` (which update the counters) by 2.
    pub live: Signal<Out, Bits<64>>,
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Bit planes of the 64 counters (`plane[b]` bit `n` = bit `b` of node `n`'s count).
    plane: [DFF<Bits<64>>; COUNT_BITS],
    /// Bit `n`: node `n` has been heard at least once. Power-up value 0: a node never
    /// heard is not live, whatever `misses` says.
    heard_ever: DFF<Bits<64>>,
    /// Registered `live`.
    live_reg: DFF<Bits<64>>,
    /// One-hot column of the heard node (zero when not heard or id >= 64).
    column: Signal<Local, Bits<64>>,
    /// All ones where the count increments this cycle (tick and not saturated).
    inc: Signal<Local, Bits<64>>,
    /// `misses` bit `b` broadcast to 64 bits.
    threshold: [Signal<Local, Bits<64>>; COUNT_BITS],
    one: Constant<Bits<64>>,
    zero: Constant<Bits<64>>,
    ones: Constant<Bits<64>>,
    /// Bits 7:6 of a node id: non-zero means >= 64.
    high_ids: Constant<Bits<8>>,
    /// The heartbeat's epoch and `heard`, which only the lease reads (the `unused_` name
    /// tells lint so).
    unused_heartbeat: Signal<Local, HeartbeatRx>,
}

impl Default for LivenessTracker {
    fn default() -> Self {
        Self::new()
    }
}

impl LivenessTracker {
    pub fn new() -> Self {
        assert_eq!(
            MAX_NODES, 64,
            "one 64-bit bitmap per plane (limits::MAX_NODES)"
        );
        Self {
            tick: Default::default(),
            misses: Default::default(),
            heartbeat: Default::default(),
            unused_heartbeat: Default::default(),
            link_up: Default::default(),
            live: Default::default(),
            clock: Default::default(),
            plane: Default::default(),
            heard_ever: Default::default(),
            live_reg: Default::default(),
            column: Default::default(),
            inc: Default::default(),
            threshold: Default::default(),
            one: Constant::new(1u64.into()),
            zero: Constant::new(0u64.into()),
            ones: Constant::new(u64::MAX.into()),
            high_ids: Constant::new((0xFFu64 & !(MAX_NODES as u64 - 1)).into()),
        }
    }
}

impl Logic for LivenessTracker {
    #[hdl_gen]
    fn update(&mut self) {
        self.unused_heartbeat.next = self.heartbeat.val();
        dff_setup!(self, clock, heard_ever, live_reg);
        for b in 0..COUNT_BITS {
            self.plane[b].clock.next = self.clock.val();
            if self.misses.val().get_bit(b) {
                self.threshold[b].next = self.ones.val();
            } else {
                self.threshold[b].next = self.zero.val();
            }
        }
        self.column.next = self.zero.val();
        if self.heartbeat.val().valid & !(self.heartbeat.val().node & self.high_ids.val()).any() {
            self.column.next = self.one.val() << self.heartbeat.val().node;
        }
        self.inc.next = self.zero.val();
        if self.tick.val() {
            self.inc.next = !(self.plane[0].q.val()
                & self.plane[1].q.val()
                & self.plane[2].q.val()
                & self.plane[3].q.val());
        }
        // Ripple increment of all counters at once, then clear the heard column.
        self.plane[0].d.next = (self.plane[0].q.val() ^ self.inc.val()) & !self.column.val();
        self.plane[1].d.next =
            (self.plane[1].q.val() ^ (self.inc.val() & self.plane[0].q.val())) & !self.column.val();
        self.plane[2].d.next = (self.plane[2].q.val()
            ^ (self.inc.val() & self.plane[0].q.val() & self.plane[1].q.val()))
            & !self.column.val();
        self.plane[3].d.next = (self.plane[3].q.val()
            ^ (self.inc.val()
                & self.plane[0].q.val()
                & self.plane[1].q.val()
                & self.plane[2].q.val()))
            & !self.column.val();
        self.heard_ever.d.next = self.heard_ever.q.val() | self.column.val();
        // count < misses, most significant bit first: less at the first differing bit.
        self.live_reg.d.next = self.zero.val();
        if self.link_up.val() {
            self.live_reg.d.next = self.heard_ever.q.val()
                & ((!self.plane[3].q.val() & self.threshold[3].val())
                    | (!(self.plane[3].q.val() ^ self.threshold[3].val())
                        & ((!self.plane[2].q.val() & self.threshold[2].val())
                            | (!(self.plane[2].q.val() ^ self.threshold[2].val())
                                & ((!self.plane[1].q.val() & self.threshold[1].val())
                                    | (!(self.plane[1].q.val() ^ self.threshold[1].val())
                                        & !self.plane[0].q.val()
                                        & self.threshold[0].val()))))));
        }
        self.live.next = self.live_reg.q.val();
    }
}

#[cfg(test)]
mod tests;
