//! `seqfabd`, the seqfab host agent (DESIGN.md section 5), and `seqctl`'s client side.
//!
//! - [`agent`]: the queue service: it owns the host's card and grants its queues to
//!   local processes, admitted by [`auth`].
//! - [`rpc`] and [`http`]: the host's RPC over TCP (HTTP/JSON): the card's state and DMA
//!   mirror for the manager and `seqctl`, operator commands, and [`metrics`].
//! - [`manager`]: the manager role: a candidate in the store's election that, when
//!   elected, runs `seqfab-manage` against the real cards.
//! - [`local`]: this host's card as the RPC shows it.

pub mod agent;
pub mod auth;
pub mod http;
pub mod local;
pub mod manager;
pub mod metrics;
pub mod rpc;
