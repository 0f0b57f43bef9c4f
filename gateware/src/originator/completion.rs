//! What the originator hands the host side for each finished request.

use rust_hdl::prelude::*;

/// One finished request, as the completion writer turns it into a ring entry
/// (`seqfab_contract::ring`).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct Completion {
    /// Queue the request came from.
    pub queue: Bits<2>,
    /// First number of the request's range (0 unless `status` is Ok).
    pub value: Bits<64>,
    /// Numbers in the range (the request's count).
    pub count: Bits<32>,
    /// Epoch of the configuration that issued the range.
    pub epoch: Bits<32>,
    /// The request's doorbell tag.
    pub tag: Bits<16>,
    /// `seqfab_contract::ring::Status` code.
    pub status: Bits<8>,
}
