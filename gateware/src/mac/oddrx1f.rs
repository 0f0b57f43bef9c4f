//! [`Oddrx1f`]: the ECP5 DDR output register `ODDRX1F`, one per bit of `T`.
//!
//! On the FPGA this block is nothing but `ODDRX1F` instances (Lattice FPGA Libraries
//! Reference Guide, "ODDRX1F: generic X1 ODDR"; ECP5 and ECP5-5G High-Speed I/O Interface,
//! FPGA-TN-02035): `D0` and `D1` are taken at the rising edge of `SCLK`, and `Q` drives
//! `D0` for the high half of the clock and `D1` for the low half ("D0 first to be sent
//! out"). Yosys maps the instance to the I/O cell (`synth_ecp5` knows the primitive; its
//! `cells_bb.v` declares it a black box), so `Q` must go straight to a top-level pin.
//!
//! Simulation, in two places, with one behaviour:
//!
//! - rust-hdl: [`Logic::update`] below: `D0`/`D1` registered at the rising edge, `Q`
//!   selected by the clock level.
//! - Verilator: the generated Verilog instantiates `ODDRX1F`, which Verilator does not
//!   know; [`super::ECP5_DDR_SIM_MODELS`] (`ecp5_ddr_sim_models.v`) has a behavioural
//!   model of the same behaviour, for simulation and lint only (never for synthesis: Yosys
//!   must see the primitive).
//!
//! Both models present `D0` in the same cycle as the edge that took it. The silicon's
//! IOLOGIC may add pipeline latency (not measured here); the RGMII transmitter does not
//! depend on it, because every TX pin (TXD, TX_CTL and the forwarded TXC) goes through
//! the same primitive and so keeps its alignment.

use rust_hdl::prelude::*;

/// `ODDRX1F` per bit of `T`: `q` = `d0` while `clock` is high, `d1` while it is low,
/// both taken at the rising edge.
#[derive(LogicBlock, Default)]
pub struct Oddrx1f<T: Synth> {
    /// `SCLK`: the clock whose two halves carry `d0` and `d1`.
    pub clock: Signal<In, Clock>,
    /// Sent during the high half of the next clock (the first of the pair).
    pub d0: Signal<In, T>,
    /// Sent during the low half (the second of the pair).
    pub d1: Signal<In, T>,
    /// The DDR output; must drive a top-level pin directly.
    pub q: Signal<Out, T>,
    /// Simulation state: `d0` and `d1` as taken at the last rising edge.
    _held0: T,
    _held1: T,
}

impl<T: Synth> Logic for Oddrx1f<T> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self._held0 = self.d0.val();
            self._held1 = self.d1.val();
        }
        self.q.next = if self.clock.val().clk {
            self._held0
        } else {
            self._held1
        };
    }

    fn connect(&mut self) {
        self.q.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper {
            code: primitive_instances(T::BITS, |bit| {
                format!(
                    "ODDRX1F ddr_{i} (.SCLK(clock), .RST(1'b0), .D0(d0{bit}), .D1(d1{bit}), .Q(q{bit}));",
                    i = bit.index
                )
            }),
            cores: String::new(),
        })
    }
}

/// One bit of a primitive's port: `index` and the select to append to the port name
/// (nothing for a one-bit port, which rust-hdl declares without a range).
pub(crate) struct BitSelect {
    pub index: usize,
    select: String,
}

impl std::fmt::Display for BitSelect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.select)
    }
}

/// One primitive instance per bit of a `bits`-wide port, one per line.
pub(crate) fn primitive_instances(bits: usize, instance: impl Fn(BitSelect) -> String) -> String {
    (0..bits)
        .map(|index| {
            instance(BitSelect {
                index,
                select: if bits == 1 {
                    String::new()
                } else {
                    format!("[{index}]")
                },
            })
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests;
