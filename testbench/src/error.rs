//! Breaches of a card's port and ring contract, seen while a cluster is stepped.
//!
//! These are judged clock by clock at the card's boundary, where the invariant checker
//! ([`crate::checker`], which reads only the request history) cannot see them: a beat
//! that is not one whole frame, a received beat refused, a completion that matches no
//! request. The invariants themselves are [`crate::checker::Violation`].

use thiserror::Error;

/// A card broke the contract of its fabric ports (every beat one whole frame, every
/// received beat taken) or of its completion rings (one completion per outstanding tag,
/// carrying the count asked for). Each variant names the card and where it happened.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ContractError {
    /// A transmit beat that is not a whole frame in one beat (`FRAME_BYTES` bytes with
    /// `tx_last` set).
    #[error(
        "cycle {cycle}: node {node} plane {plane} sent a beat that is not one whole frame (last {last}, bytes {bytes})"
    )]
    PartialBeat {
        cycle: u64,
        node: usize,
        plane: char,
        last: bool,
        bytes: u8,
    },
    /// `rx_ready` low while a beat was offered: the fabric port must take every beat.
    #[error("cycle {cycle}: node {node} plane {plane} refused a received beat")]
    RefusedBeat {
        cycle: u64,
        node: usize,
        plane: char,
    },
    /// A completion for an outstanding tag with another count than its request's.
    #[error(
        "node {node} queue {queue} tag {tag}: completion count {completed} != requested {requested}"
    )]
    CountMismatch {
        node: u8,
        queue: usize,
        tag: u16,
        completed: u32,
        requested: u32,
    },
    /// A completion whose tag is neither waited for nor given up on.
    #[error("node {node} queue {queue}: completion for tag {tag} that is not outstanding")]
    UnknownTag { node: u8, queue: usize, tag: u16 },
}
