//! How a waiting caller waits (DESIGN.md section 5; the patent's request function: spin,
//! then sleep once a set time has passed without an answer).
//!
//! 1. **Spin** on the request's result and the queue's ring (one cache line each) for
//!    `spin` of wall time. No syscall, no lock.
//! 2. **Arm** the queue's interrupt (one MMIO write), then **re-check** the ring: a
//!    completion that landed after the last check and before the arm raises no interrupt
//!    (the card fires at the next completion after arming), so sleeping without this
//!    check could cost a whole timeout. Linux virtio's `virtqueue_enable_cb_prepare` /
//!    `virtqueue_poll` and DPDK's power-monitor loop guard against the same race.
//! 3. **Sleep** on the queue's eventfd (`poll(2)`) until the interrupt, the deadline,
//!    or at most 10 ms (threads sharing a queue share its eventfd, and one may take
//!    another's wake-up), then check again; re-arm and sleep again while time remains.
//! 4. **Give up** with [`crate::Error::Timeout`] after `timeout`.

use std::time::Duration;

/// The wait policy of a [`crate::Sequencer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitPolicy {
    /// Spin this long before sleeping (default 20 µs).
    pub spin: Duration,
    /// Give up after this long on one card (default 1 s). With two cards, a request that
    /// times out on one is tried once on the other.
    pub timeout: Duration,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        WaitPolicy {
            spin: Duration::from_micros(20),
            timeout: Duration::from_secs(1),
        }
    }
}
