//! A heartbeat as the receive side reports it to the liveness trackers and the lease.

use rust_hdl::prelude::*;

/// One received heartbeat, a one-cycle pulse per plane (no back-pressure: the trackers
/// take one every clock).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct HeartbeatRx {
    /// A heartbeat arrived this cycle.
    pub valid: Bit,
    /// Its sender.
    pub node: Bits<8>,
    /// The sender's epoch.
    pub epoch: Bits<32>,
    /// Its `value`: the nodes the sender hears (bit n: node n), for the lease.
    pub heard: Bits<64>,
}
