//! The card's one valid/ready stream interface.
//!
//! Every stream inside the card (frames, completions, DMA writes, queued requests, MAC
//! beats) is a [`StreamSource`] on the block that produces it and a [`StreamSink`] on the
//! block that consumes it, and a parent connects the two with one `join`:
//!
//! ```ignore
//! StreamSource::<FrameFields>::join(&mut self.engine.frames_out, &mut self.router.from_engine);
//! ```
//!
//! The shape is rust-hdl-hls's `FIFOWriteController`/`FIFOWriteResponder` pair (a
//! `LogicInterface` with `#[join]`), with AXI-Stream's handshake instead of a FIFO's:
//!
//! - a beat moves on a clock edge where `valid && ready`;
//! - `valid` never waits for `ready` (no combinational ready -> valid path between
//!   blocks), and a source holds `data` steady while `valid && !ready`;
//! - a sink may raise `ready` without `valid`.
//!
//! A stream that cannot be back-pressured (Ethernet receive, the management window) is
//! the same interface with a sink whose `ready` is constantly high; a source that can
//! lose a beat there (a receive FIFO that is full) counts the loss itself.
//!
//! **Port naming.** A block names a stream port after what flows and the direction:
//! `frames_in`/`frames_out`, or after the peer where a block has several of the same
//! kind (`from_engine`, `to_x`). The signals inside are always `data`, `valid`, `ready`,
//! so in Verilog a port reads `engine$frames_out$valid`. (`input`, `output` and `config` are
//! Verilog keywords, which rust-hdl refuses as names.)

use rust_hdl::prelude::*;

/// The producing end of a stream.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "StreamSink"]
pub struct StreamSource<T: Synth> {
    /// The beat; held while `valid && !ready`.
    pub data: Signal<Out, T>,
    /// `data` is a beat.
    pub valid: Signal<Out, Bit>,
    /// The sink takes the beat on this clock edge if `valid`.
    pub ready: Signal<In, Bit>,
}

/// The consuming end of a stream.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "StreamSource"]
pub struct StreamSink<T: Synth> {
    pub data: Signal<In, T>,
    pub valid: Signal<In, Bit>,
    pub ready: Signal<Out, Bit>,
}

#[cfg(test)]
mod tests;
