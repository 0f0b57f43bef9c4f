//! [`Iddrx1f`]: the ECP5 DDR input register `IDDRX1F`, one per bit of `T`.
//!
//! On the FPGA this block is nothing but `IDDRX1F` instances (Lattice FPGA Libraries
//! Reference Guide, "IDDRX1F: generic X1 IDDR"; FPGA-TN-02035): `D` is sampled at the
//! rising edge of `SCLK` (`Q0`) and at the falling edge (`Q1`), and both are presented
//! together in the clock domain of `SCLK`. `D` must come straight from a top-level pin
//! (Yosys maps the instance into the I/O cell).
//!
//! The pairing is what RGMII needs: `Q0` and `Q1` of one clock are the rising-edge sample
//! and the falling-edge sample that followed it, i.e. the low and the high nibble of one
//! byte (RGMII 2.0, section 3: TXD/RXD[3:0] on the rising edge, [7:4] on the falling
//! edge).
//!
//! Simulation, with one behaviour in both simulators (rust-hdl: [`Logic::update`];
//! Verilator: [`super::ECP5_DDR_SIM_MODELS`]): at each rising edge `Q0`/`Q1` take the pair
//! (rising sample of the previous rising edge, falling sample in between), and the new
//! rising sample is stored. The silicon's latency may differ by a pipeline stage (not
//! measured here); the RGMII receiver frames on RX_DV, so it does not depend on it.

use super::oddrx1f::primitive_instances;
use rust_hdl::prelude::*;

/// `IDDRX1F` per bit of `T`: `q0`/`q1` = the rising and the following falling sample of
/// `d`, presented at the next rising edge.
#[derive(LogicBlock, Default)]
pub struct Iddrx1f<T: Synth> {
    /// `SCLK`: the clock both samples are taken with (RGMII: RXC from the PHY).
    pub clock: Signal<In, Clock>,
    /// The DDR input; must come straight from a top-level pin.
    pub d: Signal<In, T>,
    /// The rising-edge sample of the pair.
    pub q0: Signal<Out, T>,
    /// The falling-edge sample that followed it.
    pub q1: Signal<Out, T>,
    /// Simulation state: the samples taken at the last rising and falling edge.
    _rise: T,
    _fall: T,
}

impl<T: Synth> Logic for Iddrx1f<T> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self.q0.next = self._rise;
            self.q1.next = self._fall;
            self._rise = self.d.val();
        }
        if self.clock.neg_edge() {
            self._fall = self.d.val();
        }
    }

    fn connect(&mut self) {
        self.q0.connect();
        self.q1.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper {
            code: primitive_instances(T::BITS, |bit| {
                format!(
                    "IDDRX1F ddr_{i} (.SCLK(clock), .RST(1'b0), .D(d{bit}), .Q0(q0{bit}), .Q1(q1{bit}));",
                    i = bit.index
                )
            }),
            cores: String::new(),
        })
    }
}

#[cfg(test)]
mod tests;
