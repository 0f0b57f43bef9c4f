//! The engine's state as the rest of the card reads it.

use rust_hdl::prelude::*;

/// Everything the engine exports of its configuration and counters, one register each
/// (the register file's `STATUS`, `EPOCH`, `COUNTER`, ..., the originator's roles, the
/// lease keeper's epoch, the state mirror).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct EngineStatus {
    /// Current epoch (0: never configured).
    pub epoch: Bits<32>,
    /// Primary of the current epoch.
    pub primary_id: Bits<8>,
    /// Secondary of the current epoch.
    pub secondary_id: Bits<8>,
    /// Next number the primary issues.
    pub counter: Bits<64>,
    /// The primary never issues a number at or above this.
    pub limit: Bits<64>,
    /// End of the highest range this card stored as secondary.
    pub stored: Bits<64>,
    /// This card is the configured primary (`configured && primary_id == node_id`).
    pub is_primary: Bit,
    /// This card is the configured secondary.
    pub is_secondary: Bit,
    /// `epoch != 0`: a CONFIG was applied once.
    pub configured: Bit,
    /// The lease quorum of the current epoch (CONFIG's `ConfigWord::quorum`).
    pub quorum: Bits<8>,
    /// One-cycle pulse in the first cycle of a new epoch: the lease keeper drops the old
    /// epoch's lease before the engine samples anything of the new one.
    pub new_epoch: Bit,
}
