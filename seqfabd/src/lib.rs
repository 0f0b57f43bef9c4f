//! `seqfabd`, the seqfab host agent (DESIGN.md section 5).
//!
//! Today: the queue service ([`agent`]): it owns the host's card and grants its queues
//! to local processes, admitted by [`auth`]. Later (the management-process issue): the
//! manager role, the TCP RPC for the card's state and DMA mirror, Prometheus metrics.
//! Each gets a module of its own beside these.

pub mod agent;
pub mod auth;
