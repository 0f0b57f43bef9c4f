//! The decoded fabric frame as the gateware carries it between blocks.
//!
//! Only the fabric link sees the 64-byte wire image ([`seqfab_contract::frame`]); inside
//! the card every block passes [`FrameFields`], so no block re-parses bytes and the
//! short-circuit path between functions of one card needs no framing at all.

use rust_hdl::prelude::*;
use seqfab_contract::frame::{Frame, FrameType};

/// One frame's fields (see `seqfab_contract::frame` for their meaning). 312 bits.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct FrameFields {
    /// [`FrameType`] code.
    pub kind: Bits<8>,
    pub reason: Bits<8>,
    pub src: Bits<8>,
    pub dst: Bits<8>,
    pub origin: Bits<8>,
    pub epoch: Bits<32>,
    pub tag: Bits<16>,
    pub count: Bits<32>,
    pub value: Bits<64>,
    pub aux: Bits<64>,
    pub extra: Bits<64>,
}

impl From<Frame> for FrameFields {
    fn from(f: Frame) -> Self {
        FrameFields {
            kind: (f.kind as u8 as u64).into(),
            reason: (f.reason as u64).into(),
            src: (f.src as u64).into(),
            dst: (f.dst as u64).into(),
            origin: (f.origin as u64).into(),
            epoch: (f.epoch as u64).into(),
            tag: (f.tag as u64).into(),
            count: (f.count as u64).into(),
            value: f.value.into(),
            aux: f.aux.into(),
            extra: f.extra.into(),
        }
    }
}

impl FrameFields {
    /// Back to the contract's frame; `None` if the type code is unknown.
    pub fn to_frame(&self) -> Option<Frame> {
        Some(Frame {
            kind: FrameType::from_code(self.kind.to_u64() as u8)?,
            reason: self.reason.to_u64() as u8,
            src: self.src.to_u64() as u8,
            dst: self.dst.to_u64() as u8,
            origin: self.origin.to_u64() as u8,
            epoch: self.epoch.to_u64() as u32,
            tag: self.tag.to_u64() as u16,
            count: self.count.to_u64() as u32,
            value: self.value.to_u64(),
            aux: self.aux.to_u64(),
            extra: self.extra.to_u64(),
        })
    }
}

/// A `Constant` holding a frame type code, for use inside `#[hdl_gen]` (STYLE.md: a free
/// `const` would become an undeclared Verilog identifier).
pub fn type_code(kind: FrameType) -> Constant<Bits<8>> {
    Constant::new((kind as u8 as u64).into())
}

#[cfg(test)]
mod tests;
