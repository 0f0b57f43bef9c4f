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
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn generates_lint_clean_verilog() {
        let mut uut = AsyncRam::<Bits<24>, 4>::default();
        uut.connect_all();
        crate::lint::assert_lint_clean(&generate_verilog(&uut));
    }

    /// Random writes and reads against a plain array: reads are combinational and see
    /// a write right after its edge.
    #[test]
    fn reads_what_was_written() {
        let mut uut = AsyncRam::<Bits<24>, 4>::default();
        uut.connect_all();
        let mut sim = simple_sim!(AsyncRam<Bits<24>, 4>, clock, 100_000_000, ep, {
            let mut x = ep.init()?;
            let mut rng = rand::rngs::StdRng::seed_from_u64(3);
            let mut shadow = [0u64; 16];
            for _ in 0..2000 {
                wait_clock_true!(ep, clock, x);
                let (wa, wd, we) = (rng.gen_range(0..16), rng.gen_range(0..1 << 24), rng.gen());
                let ra = rng.gen_range(0..16usize);
                x.write_address.next = (wa as u64).into();
                x.write_data.next = wd.into();
                x.write_enable.next = we;
                x.read_address.next = (ra as u64).into();
                wait_clock_false!(ep, clock, x);
                sim_assert_eq!(ep, x.read_data.val().to_u64(), shadow[ra], x);
                if we {
                    shadow[wa] = wd;
                }
            }
            ep.done(x)
        });
        sim.run(Box::new(uut), 100_000_000_000).unwrap();
    }
}
