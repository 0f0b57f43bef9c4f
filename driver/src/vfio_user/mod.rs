//! The vfio-user backend for simulated cards: the protocol QEMU, SPDK and
//! cloud-hypervisor use for devices in another process. `seqfab-sim serve` is the server;
//! [`wire`] and [`socket`] are shared by both sides.

mod client;
pub mod socket;
pub mod wire;

pub use client::{Client, REPLY_TIMEOUT};
