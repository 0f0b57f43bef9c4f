//! Durable state of the management process (DESIGN.md 5): what the manager keeps outside
//! the cards, behind one [`Store`] trait, so that a manager restarted on any host resumes
//! from it.
//!
//! - [`MemStore`]: in memory, for the simulator's in-process manager (a "restart" there
//!   is a new `Manager` over the same `MemStore`).
//! - [`FileStore`]: a local file, the embedded default for one manager host (write a
//!   temporary file, fsync, rename, fsync the directory; a torn or corrupt file is refused,
//!   never read as zero). Leadership is an exclusive `flock` on a lock file beside it, so
//!   two daemons on one host never both manage.
//! - `EtcdStore` (feature `etcd`): for managers on several hosts. Candidates elect one
//!   leader with an etcd lease; every write is a transaction guarded by the leader key, so
//!   a deposed manager changes nothing.

#[cfg(feature = "etcd")]
mod etcd;
#[cfg(feature = "etcd")]
mod etcd_server;
mod file;
mod mem;

#[cfg(feature = "etcd")]
pub use etcd::EtcdStore;
#[cfg(feature = "etcd")]
pub use etcd_server::EtcdServer;
pub use file::FileStore;
pub use mem::MemStore;

use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Everything the manager must not lose. The cards hold the rest (counters, stored
/// values, leases), which is why this is small.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterState {
    /// Cards in the cluster, node ids `0..nodes`; the lease quorum is `nodes / 2 + 1`.
    pub nodes: u8,
    /// Numbers per window raise.
    pub window: u64,
    /// The highest epoch ever handed to a card. A new one is `epoch + 1`, even after a
    /// failover that did not complete, so an epoch is never used twice.
    pub epoch: u32,
    /// The roles in force, and their epoch (below `epoch` while a promotion is pending
    /// or after one was abandoned).
    pub roles: Roles,
    /// No primary issues a number at or above it. Written here before any card sees it.
    pub limit: u64,
    /// Counter every card got with the last completed failover (SET_COUNTER; the card
    /// max()es it with its own STORED). Cards that missed the epoch get it again.
    pub floor: u64,
    /// A promotion sent to the new primary and not yet confirmed: a manager that resumes
    /// finishes it rather than choose again.
    pub pending: Option<Pending>,
    /// Cards taken out by `seqctl remove` (bit n: node n): never picked for a role. They
    /// still count in `nodes` (the quorum does not change: docs/management.md).
    pub removed: u64,
}

/// The roles of one epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roles {
    pub epoch: u32,
    pub primary: u8,
    pub secondary: u8,
}

/// A promotion in flight (the CONFIG the new primary was sent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub epoch: u32,
    pub primary: u8,
    pub secondary: u8,
    /// The counter the new primary was given (`None`: it keeps its own, a secondary-only
    /// failover).
    pub counter: Option<u64>,
}

/// Who leads, as the store knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leader {
    /// The candidate's name (seqfabd uses `node<N>@<host>`).
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// This candidate does not lead (never did, or its lease ran out and another took
    /// over): nothing was written.
    #[error("not the leader: this manager was deposed or never elected; nothing was written")]
    NotLeader,
    /// The stored state is torn or corrupt (bad length, checksum or syntax). It is
    /// refused rather than read as an empty cluster, which would restart the numbers.
    #[error("stored state at {place} is corrupt ({why}); restore it from a backup or re-seed with `seqctl init --seed`")]
    Corrupt { place: String, why: String },
    #[error("store I/O at {place}: {source}")]
    Io {
        place: String,
        #[source]
        source: std::io::Error,
    },
    /// The durable store cannot be reached (etcd down, timeout).
    #[error("store unreachable ({endpoints}): {why}")]
    Unreachable { endpoints: String, why: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The manager's durable store, and the election of the one manager allowed to write it.
pub trait Store: Send {
    /// Tries to become the leader for up to `wait`. `Ok(true)`: this candidate leads
    /// (and keeps leading while [`Store::is_leader`] says so); `Ok(false)`: another
    /// candidate leads.
    fn campaign(&mut self, wait: Duration) -> Result<bool>;
    /// This candidate still leads (its lease or lock is held). Cheap: called every poll.
    fn is_leader(&mut self) -> bool;
    /// The current leader, if any.
    fn leader(&mut self) -> Result<Option<Leader>>;
    /// Gives leadership up (a planned hand-over, or shutdown).
    fn resign(&mut self) -> Result<()>;
    /// The stored state; `Ok(None)` when the cluster was never initialised.
    fn load(&mut self) -> Result<Option<ClusterState>>;
    /// Makes `state` durable. Only the leader may: otherwise [`StoreError::NotLeader`]
    /// and nothing is written. When this returns `Ok`, the state survives a crash of
    /// this process and of its host.
    fn save(&mut self, state: &ClusterState) -> Result<()>;
}

/// A campaign's loop: tries `attempt` until it succeeds or `wait` has passed (at least
/// once, even with no wait), pausing `every` between tries.
fn retry_until(
    wait: Duration,
    every: Duration,
    mut attempt: impl FnMut() -> Result<bool>,
) -> Result<bool> {
    let deadline = Instant::now() + wait;
    loop {
        if attempt()? {
            return Ok(true);
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(false);
        }
        std::thread::sleep(every.min(deadline - now));
    }
}
