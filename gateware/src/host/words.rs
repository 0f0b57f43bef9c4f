//! Register words the host port assembles from several fields. (A word that is one
//! narrower value is a [`crate::widgets::ZeroExtend`].)
//!
//! rust-hdl has no concatenation operator, and `bit_cast` widening is not lint-clean
//! (Verilator flags the mask it emits), so a read word built from fields is a
//! `LogicStruct` whose first field sits at bit 0. Each layout follows the register's
//! documentation in `seqfab_contract::regs`; where the contract names bit positions
//! (`regs::Status`, `regs::MgmtHeader`, `regs::MgmtCount`), [`check_layouts`] asserts them.

use rust_hdl::prelude::*;
use seqfab_contract::regs;

/// The `STATUS` register (`regs::Status`).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct StatusWord {
    pub link_x: bool,
    pub link_y: bool,
    pub primary: bool,
    pub secondary: bool,
    pub configured: bool,
    pub lease: bool,
    pub zero: Bits<58>,
}

/// `Q_STATUS`: FIFO level in 15:0, FIFO full in 16, producer index in 63:32.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct QueueStatusWord {
    pub fill: Bits<16>,
    pub full: bool,
    pub zero: Bits<15>,
    pub produced: Bits<32>,
}

/// `MGMT_TX_HEADER` / `MGMT_RX_HEADER` (`regs::MgmtHeader`, whose bit positions
/// [`check_layouts`] asserts).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct MgmtHeaderWord {
    pub kind: Bits<8>,
    pub node: Bits<8>,
    pub reason: Bits<8>,
    pub zero: Bits<8>,
    pub epoch: Bits<32>,
}

/// `MGMT_TX_COUNT` (`regs::MgmtCount`, whose bit positions [`check_layouts`] asserts).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct MgmtCountWord {
    pub count: Bits<32>,
    pub tag: Bits<16>,
    pub zero: Bits<16>,
}

/// Bit position of a single-bit flag.
pub(crate) fn flag_bit(bits: u64) -> usize {
    assert_eq!(bits.count_ones(), 1, "a flag is one bit");
    bits.trailing_zeros() as usize
}

/// Asserts that the word layouts agree with the contract where it names bit positions.
pub(crate) fn check_layouts() {
    let s = StatusWord::default();
    assert_eq!(
        s.get_my_offset_link_x(),
        flag_bit(regs::Status::LINK_X.bits())
    );
    assert_eq!(
        s.get_my_offset_link_y(),
        flag_bit(regs::Status::LINK_Y.bits())
    );
    assert_eq!(
        s.get_my_offset_primary(),
        flag_bit(regs::Status::PRIMARY.bits())
    );
    assert_eq!(
        s.get_my_offset_secondary(),
        flag_bit(regs::Status::SECONDARY.bits())
    );
    assert_eq!(
        s.get_my_offset_configured(),
        flag_bit(regs::Status::CONFIGURED.bits())
    );
    assert_eq!(
        s.get_my_offset_lease(),
        flag_bit(regs::Status::LEASE.bits())
    );
    let h = MgmtHeaderWord::default();
    let at = |bit: u32| bit as usize;
    assert_eq!(h.get_my_offset_kind(), at(regs::MgmtHeader::KIND_BIT));
    assert_eq!(h.get_my_offset_node(), at(regs::MgmtHeader::NODE_BIT));
    assert_eq!(h.get_my_offset_reason(), at(regs::MgmtHeader::REASON_BIT));
    assert_eq!(h.get_my_offset_epoch(), at(regs::MgmtHeader::EPOCH_BIT));
    let c = MgmtCountWord::default();
    assert_eq!(c.get_my_offset_count(), at(regs::MgmtCount::COUNT_BIT));
    assert_eq!(c.get_my_offset_tag(), at(regs::MgmtCount::TAG_BIT));
    for w in [
        StatusWord::BITS,
        QueueStatusWord::BITS,
        MgmtHeaderWord::BITS,
        MgmtCountWord::BITS,
    ] {
        assert_eq!(w, 64, "a register word is 64 bits");
    }
}

#[cfg(test)]
mod tests;
