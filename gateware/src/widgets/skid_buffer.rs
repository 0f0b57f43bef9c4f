//! A two-entry skid buffer: registers a valid/ready stream in both directions.
//!
//! `beats_out`'s data and valid come straight from a register, and so does `beats_in`'s
//! ready, so the buffer cuts every combinational path through it: the producer never sees
//! the consumer's ready, which keeps the `ready` chain of a pipeline one stage long
//! (docs/gateware.md, conventions: "valid never waits for ready"). It still moves one beat
//! per clock, sustained: the second (skid) register catches the beat that was already on
//! its way when the consumer stalled. This is the classic "skid buffer" / "pipeline
//! register with full handshake" (e.g. ZipCPU, "Building a Skid Buffer for AXI
//! processing", 2019), drawn here with the output side registered too.
//!
//! Latency: a beat accepted at clock edge `t` is on `beats_out` from `t` (i.e. in the next
//! cycle) when the buffer was empty.
//!
//! Used wherever a valid/ready handshake crosses a block boundary on a timing-critical
//! path: the engine's input and output, the head of every [`crate::widgets::Fifo`], the TX
//! router's inputs (docs/gateware.md, "Timing").

use super::stream::{StreamSink, StreamSource};
use rust_hdl::prelude::*;

/// Two-register skid buffer for any `Synth` payload (see the module doc).
#[derive(LogicBlock, Default)]
pub struct SkidBuffer<D: Synth> {
    /// The clock of both sides.
    pub clock: Signal<In, Clock>,
    /// The producer's beats. `ready` is a register output: it does not depend on
    /// `beats_out.ready` in the same cycle.
    pub beats_in: StreamSink<D>,
    /// The oldest beat held (data and valid are register outputs).
    pub beats_out: StreamSource<D>,
    /// Drop both held beats (and any beat offered in this cycle) at the next edge.
    pub clear: Signal<In, Bit>,
    /// The beat presented on `out_data`.
    main: DFF<D>,
    main_valid: DFF<Bit>,
    /// The beat that arrived while `main` could not move.
    skid: DFF<D>,
    skid_valid: DFF<Bit>,
    /// `main` leaves this cycle.
    take: Signal<Local, Bit>,
    /// `beats_in.data` enters this cycle.
    accept: Signal<Local, Bit>,
}

impl<D: Synth> Logic for SkidBuffer<D> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, main, main_valid, skid, skid_valid);
        self.beats_out.data.next = self.main.q.val();
        self.beats_out.valid.next = self.main_valid.q.val();
        self.beats_in.ready.next = !self.skid_valid.q.val();
        self.take.next = self.main_valid.q.val() & self.beats_out.ready.val();
        self.accept.next = self.beats_in.valid.val() & !self.skid_valid.q.val();
        if self.skid_valid.q.val() {
            // Full: nothing enters; the skid beat moves up when main leaves.
            if self.take.val() {
                self.main.d.next = self.skid.q.val();
                self.skid_valid.d.next = false;
            }
        } else if self.accept.val() {
            if !self.main_valid.q.val() | self.take.val() {
                self.main.d.next = self.beats_in.data.val();
                self.main_valid.d.next = true;
            } else {
                self.skid.d.next = self.beats_in.data.val();
                self.skid_valid.d.next = true;
            }
        } else if self.take.val() {
            self.main_valid.d.next = false;
        }
        if self.clear.val() {
            self.main_valid.d.next = false;
            self.skid_valid.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests;
