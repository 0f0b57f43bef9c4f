//! What travels on the card's DMA write streams.

use rust_hdl::prelude::*;

/// One posted DMA write: 32 bytes (one ring entry or the state mirror, a single PCIe
/// TLP) to a host address. Byte 0 of `data` is bits 7:0.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct DmaWrite {
    /// Host (IOVA) address of the 32-byte write.
    pub addr: Bits<64>,
    /// The 32 bytes.
    pub data: Bits<256>,
}
