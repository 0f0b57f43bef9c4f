//! A small RAM with a synchronous write port and an asynchronous (combinational) read port.
//!
//! This is the shape of the FPGA's distributed (LUT) RAM: on ECP5 Yosys maps a 16-deep
//! memory of this kind onto `TRELLIS_DPR16X4` cells, four bits per cell, so a 16 x 120-bit
//! FIFO costs 30 cells instead of 1920 flip-flops and a 16:1 multiplexer per bit.
//! rust-hdl's own `RAM` reads synchronously (block-RAM shape), which would add a cycle and
//! a read-during-write bypass to every FIFO built on it.
//!
//! A write at a clock edge is visible on `read_data` right after that edge.

use rust_hdl::prelude::*;
use std::collections::BTreeMap;

/// `2^N` words of `D`: written at the clock edge, read combinationally.
#[derive(LogicBlock, Default)]
pub struct AsyncRam<D: Synth, const N: usize> {
    /// Write clock.
    pub clock: Signal<In, Clock>,
    /// Write `write_data` to `write_address` at the next edge.
    pub write_enable: Signal<In, Bit>,
    /// Word to write.
    pub write_address: Signal<In, Bits<N>>,
    /// Data to write.
    pub write_data: Signal<In, D>,
    /// Word to read.
    pub read_address: Signal<In, Bits<N>>,
    /// `mem[read_address]`, combinationally.
    pub read_data: Signal<Out, D>,
    /// Simulation contents (the Verilog declares its own array).
    _sim: BTreeMap<Bits<N>, D>,
}

impl<D: Synth, const N: usize> Logic for AsyncRam<D, N> {
    fn update(&mut self) {
        if self.clock.pos_edge() && self.write_enable.val() {
            self._sim
                .insert(self.write_address.val(), self.write_data.val());
        }
        self.read_data.next = self
            ._sim
            .get(&self.read_address.val())
            .copied()
            .unwrap_or_default();
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "\
reg [{msb}:0] mem [0:{last}];

always @(posedge clock) begin
   if (write_enable) mem[write_address] <= write_data;
end

always @(*) read_data = mem[read_address];
",
            msb = D::BITS - 1,
            last = (1usize << N) - 1
        ))
    }
}

#[cfg(test)]
mod tests;
