//! The events the `STAT_*` counters count, by name, and the block that turns them into
//! per-counter increments.
//!
//! The card core fills one [`StatEvents`] from its blocks' event pulses, naming each
//! event; [`StatIncrements`] maps the events to the register file's `stat_inc[k]` by the
//! contract's counter order ([`super::stat`]). `#[hdl_gen]` indexes port arrays by
//! literal only, so the mapping is written with literal indices here, once, and the
//! assertions below keep each literal tied to the contract's name.

use super::stat;
use rust_hdl::prelude::*;

/// One clock's events. Events of the same counter from two planes or two blocks are
/// separate fields: two (or three) may happen in one clock, and the increment is their
/// number.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct StatEvents {
    pub doorbells: Bit,
    pub drop_doorbell: Bit,
    pub completions: Bit,
    pub req_tx: Bit,
    pub req_accepted: Bit,
    pub fwd_stored: Bit,
    pub rsp_rx: Bit,
    pub nack_tx: Bit,
    pub nack_rx: Bit,
    pub retries: Bit,
    pub timeouts: Bit,
    pub drop_dup_rsp: Bit,
    pub tx_x: Bit,
    pub tx_y: Bit,
    pub rx_x: Bit,
    pub rx_y: Bit,
    pub alternate_x: Bit,
    pub alternate_y: Bit,
    pub overflow_x: Bit,
    pub overflow_y: Bit,
    pub drop_epoch_engine: Bit,
    pub drop_epoch_originator: Bit,
    pub drop_other_engine: Bit,
    pub drop_fcs_x: Bit,
    pub drop_fcs_y: Bit,
    pub drop_length_x: Bit,
    pub drop_length_y: Bit,
    pub drop_foreign_x: Bit,
    pub drop_foreign_y: Bit,
    pub drop_version_x: Bit,
    pub drop_version_y: Bit,
    pub drop_dest_x: Bit,
    pub drop_dest_y: Bit,
    pub drop_type_x: Bit,
    pub drop_type_y: Bit,
}

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
    pub events: Signal<In, StatEvents>,
    pub inc: [Signal<Out, Bits<2>>; stat::COUNT],
    one: Constant<Bits<2>>,
    two: Constant<Bits<2>>,
    three: Constant<Bits<2>>,
    zero: Constant<Bits<2>>,
}

impl Default for StatIncrements {
    fn default() -> Self {
        Self {
            events: Default::default(),
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
        if self.events.val().doorbells {
            self.inc[0].next = self.one.val();
        }
        if self.events.val().drop_doorbell {
            self.inc[18].next = self.one.val();
        }
        if self.events.val().completions {
            self.inc[1].next = self.one.val();
        }
        if self.events.val().req_tx {
            self.inc[2].next = self.one.val();
        }
        if self.events.val().req_accepted {
            self.inc[3].next = self.one.val();
        }
        if self.events.val().fwd_stored {
            self.inc[4].next = self.one.val();
        }
        if self.events.val().rsp_rx {
            self.inc[5].next = self.one.val();
        }
        if self.events.val().nack_tx {
            self.inc[6].next = self.one.val();
        }
        if self.events.val().nack_rx {
            self.inc[7].next = self.one.val();
        }
        if self.events.val().retries {
            self.inc[8].next = self.one.val();
        }
        if self.events.val().timeouts {
            self.inc[9].next = self.one.val();
        }
        if self.events.val().drop_dup_rsp {
            self.inc[17].next = self.one.val();
        }
        if self.events.val().tx_x {
            self.inc[21].next = self.one.val();
        }
        if self.events.val().tx_y {
            self.inc[22].next = self.one.val();
        }
        if self.events.val().rx_x {
            self.inc[23].next = self.one.val();
        }
        if self.events.val().rx_y {
            self.inc[24].next = self.one.val();
        }
        if self.events.val().alternate_x | self.events.val().alternate_y {
            self.inc[25].next = self.one.val();
        }
        if self.events.val().alternate_x & self.events.val().alternate_y {
            self.inc[25].next = self.two.val();
        }
        // Counters fed from both planes (or two blocks) may see two events in one clock.
        if self.events.val().drop_fcs_x | self.events.val().drop_fcs_y {
            self.inc[10].next = self.one.val();
        }
        if self.events.val().drop_fcs_x & self.events.val().drop_fcs_y {
            self.inc[10].next = self.two.val();
        }
        if self.events.val().drop_length_x | self.events.val().drop_length_y {
            self.inc[11].next = self.one.val();
        }
        if self.events.val().drop_length_x & self.events.val().drop_length_y {
            self.inc[11].next = self.two.val();
        }
        if self.events.val().drop_foreign_x | self.events.val().drop_foreign_y {
            self.inc[12].next = self.one.val();
        }
        if self.events.val().drop_foreign_x & self.events.val().drop_foreign_y {
            self.inc[12].next = self.two.val();
        }
        if self.events.val().drop_version_x | self.events.val().drop_version_y {
            self.inc[13].next = self.one.val();
        }
        if self.events.val().drop_version_x & self.events.val().drop_version_y {
            self.inc[13].next = self.two.val();
        }
        if self.events.val().drop_dest_x | self.events.val().drop_dest_y {
            self.inc[15].next = self.one.val();
        }
        if self.events.val().drop_dest_x & self.events.val().drop_dest_y {
            self.inc[15].next = self.two.val();
        }
        if self.events.val().overflow_x | self.events.val().overflow_y {
            self.inc[20].next = self.one.val();
        }
        if self.events.val().overflow_x & self.events.val().overflow_y {
            self.inc[20].next = self.two.val();
        }
        if self.events.val().drop_epoch_engine | self.events.val().drop_epoch_originator {
            self.inc[16].next = self.one.val();
        }
        if self.events.val().drop_epoch_engine & self.events.val().drop_epoch_originator {
            self.inc[16].next = self.two.val();
        }
        // Frames a block cannot use count with the unknown types: the kind was wrong for it.
        if self.events.val().drop_type_x
            | self.events.val().drop_type_y
            | self.events.val().drop_other_engine
        {
            self.inc[14].next = self.one.val();
        }
        if (self.events.val().drop_type_x & self.events.val().drop_type_y)
            | (self.events.val().drop_type_x & self.events.val().drop_other_engine)
            | (self.events.val().drop_type_y & self.events.val().drop_other_engine)
        {
            self.inc[14].next = self.two.val();
        }
        if self.events.val().drop_type_x
            & self.events.val().drop_type_y
            & self.events.val().drop_other_engine
        {
            self.inc[14].next = self.three.val();
        }
    }
}

#[cfg(test)]
mod tests;
