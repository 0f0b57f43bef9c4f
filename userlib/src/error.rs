//! What the request function can fail with: a typed enum an application can match on,
//! with messages that say what to do. No path an application reaches panics.

use seqfab_contract::ring::Status;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No answer within the wait policy's timeout (on every card of the host). The
    /// request may still be answered by the card later; that answer is dropped, and its
    /// numbers become a gap, never a duplicate.
    #[error("no answer within {waited_ms} ms: the card is cut off from the primary or secondary, or the cluster is failing over (raise the timeout, or check `seqctl status`)")]
    Timeout { waited_ms: u64 },
    /// The primary reached the window limit the management process set and no raise
    /// came in time.
    #[error("the primary reached its window limit: the management process has not raised it (is the manager running?)")]
    LimitReached,
    /// The card reads all ones or its connection is gone: it was removed, reset, or
    /// died.
    #[error("the card {device} is gone (reads all ones or its connection failed): {detail}")]
    DeviceGone { device: String, detail: String },
    /// Every queue this sequencer holds is at its depth of outstanding requests.
    #[error("every queue is full ({depth} requests outstanding on each): wait for tickets before submitting more")]
    QueueFull { depth: usize },
    /// The card has no configuration yet (epoch 0) or is not enabled.
    #[error("the card is not configured yet: the management process has not set roles (start seqfabd, or run `seqctl init`)")]
    NotConfigured,
    /// The primary or the secondary holds no lease until the timeout: this host's side
    /// of the fabric cannot reach a quorum of cards, or a new primary is still waiting
    /// out the old one's lease (docs/leases.md).
    #[error("no card holds a lease to issue numbers: this side of the fabric is cut off from a majority of the cards, or a failover is still in progress (check `seqctl status`)")]
    NoLease,
    /// The card refused the request for a reason that did not clear before the timeout.
    #[error("the request was refused ({status:?}) until the timeout")]
    Refused { status: Status },
    /// The host agent could not be reached, or broke its protocol.
    #[error("host agent: {0}")]
    Agent(String),
    /// The host agent said no: not allowed, the per-process limit, no free queue.
    #[error("the host agent {by} refused: {reason} ({})", std::io::Error::from_raw_os_error(*errno))]
    Denied {
        by: String,
        errno: i32,
        reason: String,
    },
    /// A count of 0 or above the card's maximum.
    #[error("bad argument: {0}")]
    BadArgument(String),
    /// Opening or driving the card failed.
    #[error(transparent)]
    Driver(#[from] seqfab_driver::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
