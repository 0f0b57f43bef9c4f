//! The request history: what the hosts saw, and nothing else.
//!
//! The checker judges a run from this alone. One [`RequestRecord`] per request issued by
//! any client, and one [`StoreEvent`] per state-mirror write a host received (the only
//! host-visible evidence of what a secondary stored).

use seqfab_contract::ring::Status;

/// One request, from doorbell to completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub node: u8,
    pub queue: u8,
    pub tag: u16,
    pub count: u32,
    /// Cycle of the doorbell write.
    pub issued_cycle: u64,
    /// Cycle the host saw the completion land; `None` if it never did.
    pub completed_cycle: Option<u64>,
    /// First number of the range (meaningful when `status` is Ok).
    pub value: u64,
    /// Completion status code (`seqfab_contract::ring::Status`).
    pub status: Option<u8>,
    /// Epoch reported in the completion.
    pub epoch: u32,
}

impl RequestRecord {
    pub fn ok(&self) -> bool {
        self.status == Some(Status::Ok as u8)
    }
    /// One past the last number of the range.
    pub fn end(&self) -> u128 {
        self.value as u128 + self.count as u128
    }
}

/// A state-mirror write seen in a host's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreEvent {
    pub node: u8,
    pub cycle: u64,
    pub stored: u64,
    pub counter: u64,
    pub epoch: u32,
}

/// Everything the checker reads.
#[derive(Clone, Debug, Default)]
pub struct History {
    pub requests: Vec<RequestRecord>,
    pub stores: Vec<StoreEvent>,
    /// Cycle the run ended (requests still open then are hangs unless the run was cut).
    pub end_cycle: u64,
}
