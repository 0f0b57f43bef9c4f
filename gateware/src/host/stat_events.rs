//! The events the `STAT_*` counters count, by name, and the block that turns them into
//! per-counter increments.
//!
//! Each block reports its events as one struct of one-cycle pulses
//! ([`EngineEvents`], [`OriginatorEvents`], [`RxEvents`]) or a single pulse;
//! [`StatIncrements`] maps them, by name, to the register file's `stat_inc[k]` in the
//! contract's counter order ([`super::stat`]). `#[hdl_gen]` indexes port arrays by
//! literal only, so the mapping is written with literal indices here, once, and the
//! assertions below keep each literal tied to the contract's name.

use super::stat;
use crate::engine::sequence_engine::EngineEvents;
use crate::fabric::rx_deframer::RxEvents;
use crate::originator::originator::OriginatorEvents;
use rust_hdl::prelude::*;

const _: () = assert!(stat::DOORBELLS == 0);
const _: () = assert!(stat::COMPLETIONS == 1);
const _: () = assert!(stat::REQ_TX == 2);
const _: () = assert!(stat::REQ_ACCEPTED == 3);
const _: () = assert!(stat::FWD_STORED == 4);
const _: () = assert!(stat::RSP_RX == 5);
const _: () = assert!(stat::NACK_TX == 6);
const _: () = assert!(stat::NACK_RX == 7);
const _: () = assert!(stat::RETRIES == 8);
const _: () = assert!(stat::TIMEOUTS == 9);
const _: () = assert!(stat::DROP_FCS == 10);
const _: () = assert!(stat::DROP_LENGTH == 11);
const _: () = assert!(stat::DROP_FOREIGN == 12);
const _: () = assert!(stat::DROP_VERSION == 13);
const _: () = assert!(stat::DROP_TYPE == 14);
const _: () = assert!(stat::DROP_DEST == 15);
const _: () = assert!(stat::DROP_EPOCH == 16);
const _: () = assert!(stat::DROP_DUP_RSP == 17);
const _: () = assert!(stat::DROP_DOORBELL == 18);
const _: () = assert!(stat::RX_OVERFLOW == 20);
const _: () = assert!(stat::TX_X == 21);
const _: () = assert!(stat::TX_Y == 22);
const _: () = assert!(stat::RX_X == 23);
const _: () = assert!(stat::RX_Y == 24);
const _: () = assert!(stat::TX_ALT_PLANE == 25);

/// `inc[k]`: how many of this clock's events counter k counts (combinational).
/// `STAT_DROP_REGISTER` is counted inside the register file; its increment stays 0.
#[derive(LogicBlock)]
pub struct StatIncrements {
    /// A doorbell was accepted by some queue.
    pub doorbells: Signal<In, Bit>,
    /// A doorbell was dropped by some queue.
    pub drop_doorbell: Signal<In, Bit>,
    /// A ring entry was written.
    pub completions: Signal<In, Bit>,
    pub engine: Signal<In, EngineEvents>,
    pub originator: Signal<In, OriginatorEvents>,
    /// Plane X's and Y's receive events.
    pub rx_x: Signal<In, RxEvents>,
    pub rx_y: Signal<In, RxEvents>,
    /// A frame left on plane X / Y.
    pub tx_x: Signal<In, Bit>,
    pub tx_y: Signal<In, Bit>,
    /// A frame left on the non-preferred plane X / Y.
    pub alternate_x: Signal<In, Bit>,
    pub alternate_y: Signal<In, Bit>,
    pub inc: [Signal<Out, Bits<2>>; stat::COUNT],
    one: Constant<Bits<2>>,
    two: Constant<Bits<2>>,
    three: Constant<Bits<2>>,
    zero: Constant<Bits<2>>,
}

impl Default for StatIncrements {
    fn default() -> Self {
        Self {
            doorbells: Default::default(),
            drop_doorbell: Default::default(),
            completions: Default::default(),
            engine: Default::default(),
            originator: Default::default(),
            rx_x: Default::default(),
            rx_y: Default::default(),
            tx_x: Default::default(),
            tx_y: Default::default(),
            alternate_x: Default::default(),
            alternate_y: Default::default(),
            inc: Default::default(),
            one: Constant::new(1.into()),
            two: Constant::new(2.into()),
            three: Constant::new(3.into()),
            zero: Constant::new(0.into()),
        }
    }
}

impl Logic for StatIncrements {
    #[hdl_gen]
    fn update(&mut self) {
        for k in 0..stat::COUNT {
            self.inc[k].next = self.zero.val();
        }
        if self.doorbells.val() {
            self.inc[0].next = self.one.val();
        }
        if self.drop_doorbell.val() {
            self.inc[18].next = self.one.val();
        }
        if self.completions.val() {
            self.inc[1].next = self.one.val();
        }
        if self.originator.val().req_tx {
            self.inc[2].next = self.one.val();
        }
        if self.engine.val().req_accepted {
            self.inc[3].next = self.one.val();
        }
        if self.engine.val().fwd_stored {
            self.inc[4].next = self.one.val();
        }
        if self.originator.val().rsp_rx {
            self.inc[5].next = self.one.val();
        }
        if self.engine.val().nack_tx {
            self.inc[6].next = self.one.val();
        }
        if self.originator.val().nack_rx {
            self.inc[7].next = self.one.val();
        }
        if self.originator.val().retries {
            self.inc[8].next = self.one.val();
        }
        if self.originator.val().timeouts {
            self.inc[9].next = self.one.val();
        }
        if self.originator.val().drop_dup_rsp {
            self.inc[17].next = self.one.val();
        }
        if self.tx_x.val() {
            self.inc[21].next = self.one.val();
        }
        if self.tx_y.val() {
            self.inc[22].next = self.one.val();
        }
        if self.rx_x.val().good {
            self.inc[23].next = self.one.val();
        }
        if self.rx_y.val().good {
            self.inc[24].next = self.one.val();
        }
        if self.alternate_x.val() | self.alternate_y.val() {
            self.inc[25].next = self.one.val();
        }
        if self.alternate_x.val() & self.alternate_y.val() {
            self.inc[25].next = self.two.val();
        }
        // Counters fed from both planes (or two blocks) may see two events in one clock.
        if self.rx_x.val().drop_fcs | self.rx_y.val().drop_fcs {
            self.inc[10].next = self.one.val();
        }
        if self.rx_x.val().drop_fcs & self.rx_y.val().drop_fcs {
            self.inc[10].next = self.two.val();
        }
        if self.rx_x.val().drop_length | self.rx_y.val().drop_length {
            self.inc[11].next = self.one.val();
        }
        if self.rx_x.val().drop_length & self.rx_y.val().drop_length {
            self.inc[11].next = self.two.val();
        }
        if self.rx_x.val().drop_foreign | self.rx_y.val().drop_foreign {
            self.inc[12].next = self.one.val();
        }
        if self.rx_x.val().drop_foreign & self.rx_y.val().drop_foreign {
            self.inc[12].next = self.two.val();
        }
        if self.rx_x.val().drop_version | self.rx_y.val().drop_version {
            self.inc[13].next = self.one.val();
        }
        if self.rx_x.val().drop_version & self.rx_y.val().drop_version {
            self.inc[13].next = self.two.val();
        }
        if self.rx_x.val().drop_dest | self.rx_y.val().drop_dest {
            self.inc[15].next = self.one.val();
        }
        if self.rx_x.val().drop_dest & self.rx_y.val().drop_dest {
            self.inc[15].next = self.two.val();
        }
        if self.rx_x.val().overflow | self.rx_y.val().overflow {
            self.inc[20].next = self.one.val();
        }
        if self.rx_x.val().overflow & self.rx_y.val().overflow {
            self.inc[20].next = self.two.val();
        }
        if self.engine.val().drop_epoch | self.originator.val().drop_epoch {
            self.inc[16].next = self.one.val();
        }
        if self.engine.val().drop_epoch & self.originator.val().drop_epoch {
            self.inc[16].next = self.two.val();
        }
        // Frames a block cannot use count with the unknown types: the kind was wrong for it.
        if self.rx_x.val().drop_type | self.rx_y.val().drop_type | self.engine.val().drop_other {
            self.inc[14].next = self.one.val();
        }
        if (self.rx_x.val().drop_type & self.rx_y.val().drop_type)
            | (self.rx_x.val().drop_type & self.engine.val().drop_other)
            | (self.rx_y.val().drop_type & self.engine.val().drop_other)
        {
            self.inc[14].next = self.two.val();
        }
        if self.rx_x.val().drop_type & self.rx_y.val().drop_type & self.engine.val().drop_other {
            self.inc[14].next = self.three.val();
        }
    }
}

#[cfg(test)]
mod tests;
