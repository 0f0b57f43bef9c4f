//! `seqfab`: strictly increasing numbers from a seqfab card (DESIGN.md section 5).
//!
//! ```no_run
//! use seqfab::Sequencer;
//! let seq = Sequencer::open("/tmp/seqfab/card0.sock".parse()?, 0)?;
//! let n = seq.next()?;                 // one number
//! let r = seq.next_batch(64)?;         // [r.start, r.end)
//! let t = seq.submit(8)?;              // pipelined: up to 32 per queue outstanding
//! let r8 = seq.wait(t)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A request is one doorbell (a 64-bit MMIO store) on one of the card's queues; the card
//! writes the answer by DMA into the queue's completion ring, where the caller finds it
//! by its phase bit and tag. The caller spins, then sleeps on the queue's interrupt
//! ([`WaitPolicy`]), then gives up with [`Error::Timeout`].
//!
//! **Threads.** A `Sequencer` is `Send + Sync`; share it (an `Arc`, or a reference in
//! scoped threads). The uncontended path takes no lock and makes no syscall on a VFIO
//! card: one compare-and-swap takes the thread's queue for one request (the fast claim),
//! then the doorbell store, a look at the ring entry (one cache line), and plain stores;
//! when the answer is not there at the first look, or threads share the queue, a
//! request claims a result cell and waits under the shared protocol (`queue` module
//! docs). Under vfio-user (a simulated card) the doorbell is a socket message: the same
//! code path, at the speed of the simulator.
//!
//! **Numbers.** Every number is delivered at most once, and a request issued after
//! another was answered gets larger numbers (I1, I2 of DESIGN.md). A request that fails
//! or is given up leaves a gap, never a duplicate.
//!
//! **Two cards.** [`Builder::card`] twice: requests go to one card and move to the other
//! when it stops answering.

pub mod agent;
mod error;
mod ffi;
mod policy;
pub mod port;
mod queue;
mod sequencer;

pub use error::{Error, Result};
pub use policy::WaitPolicy;
pub use queue::{CELLS as QUEUE_DEPTH, MIN_RING_LOG2};
pub use seqfab_driver::Target;
pub use sequencer::{Builder, Sequencer, Stats, Ticket};
