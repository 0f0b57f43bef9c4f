//! The seqfab management process's policy (DESIGN.md 2 and 5, docs/leases.md), written
//! once against a card-access trait so that the simulator's in-process manager and
//! `seqfabd` run the same code.
//!
//! - [`Cards`]: what the manager needs of the cluster: register reads of any card
//!   through that card's host (non-blocking: a read is requested and its result polled,
//!   so a simulator can step the clock meanwhile and a daemon can answer at once), CONFIG
//!   frames through its own card's management window, and which hosts can run it.
//! - [`Manager`]: the failure table. Each poll reads every card's liveness bitmaps,
//!   epoch and lease, and the primary's counter and limit; a role whose card is not
//!   heard by enough cards to renew a lease (or whose lease stays at 0) has failed, and
//!   the manager replaces it with a new epoch. It never waits on a timer for safety: a
//!   new primary's card waits out the old leases itself (its hold), so a manager that is
//!   paused or replaced mid-failover cannot promote too early.
//!
//! The manager keeps no state that is not in the cards or in [`Durable`] (the window
//! limit and the epoch, which issue 13's store makes durable), so it can restart on any
//! host.

mod cards;
mod manager;
pub mod store;

pub use cards::Cards;
pub use manager::{Command, CommandError, Manager, ManagerLog, POLLED};
pub use seqfab_contract::lease::{quorum, LeaseTiming};
pub use seqfab_contract::program::Config;
pub use store::{ClusterState, Roles, Store, StoreError};
