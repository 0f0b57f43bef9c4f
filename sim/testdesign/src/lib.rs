//! A small rust-hdl design that exercises every kind of port the card core has, so that
//! `seqfab-sim`'s Verilator infrastructure (generated shim, wide-port layout, tick
//! convention, equivalence harness) can be built and tested before the card core exists.
//!
//! Ports cover widths 1, 7, 64, 100 (a partial top word), 256 and 512 bits, an array of
//! ports (rust-hdl names its elements `taps$0`, `taps$1`), combinational paths from inputs
//! to outputs and registered state (a counter, an accumulator, a 512-bit rotator).

use rust_hdl::prelude::*;

/// The test design. Every register updates on the rising edge of `clock`.
#[derive(LogicBlock)]
pub struct TestDesign {
    /// The only clock.
    pub clock: Signal<In, Clock>,
    /// Counter and accumulator advance, and the rotator rotates, only while this is high.
    pub enable: Signal<In, Bit>,
    /// Added to `count` on every enabled edge (wraps at 7 bits).
    pub step: Signal<In, Bits<7>>,
    /// Added to `acc` on every enabled edge (wraps at 64 bits).
    pub addend: Signal<In, Bits<64>>,
    /// Registered, inverted, into `wide_q`.
    pub wide_in: Signal<In, Bits<256>>,
    /// Registered into `odd_q`; 100 bits, so its top 32-bit word is partial.
    pub odd_in: Signal<In, Bits<100>>,
    /// When high, the next edge loads `rot_in` into the rotator (load wins over rotate).
    pub load: Signal<In, Bit>,
    /// Value loaded into the rotator.
    pub rot_in: Signal<In, Bits<512>>,
    /// The counter.
    pub count: Signal<Out, Bits<7>>,
    /// The accumulator.
    pub acc: Signal<Out, Bits<64>>,
    /// `!wide_in`, one clock late.
    pub wide_q: Signal<Out, Bits<256>>,
    /// `odd_in`, one clock late.
    pub odd_q: Signal<Out, Bits<100>>,
    /// The rotator: rotates left by one bit on every enabled edge.
    pub rot: Signal<Out, Bits<512>>,
    /// XOR of all bits of the rotator (combinational).
    pub parity: Signal<Out, Bit>,
    /// Combinational: `rot_in` passed straight through (same-eval round trip).
    pub echo: Signal<Out, Bits<512>>,
    /// The lowest and highest 64-bit words of the rotator (an array port: `taps$0`, `taps$1`).
    pub taps: [Signal<Out, Bits<64>>; 2],
    count_r: DFF<Bits<7>>,
    acc_r: DFF<Bits<64>>,
    wide_r: DFF<Bits<256>>,
    odd_r: DFF<Bits<100>>,
    rot_r: DFF<Bits<512>>,
    one: Constant<Bits<10>>,
    top_shift: Constant<Bits<10>>,
}

impl Default for TestDesign {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            enable: Default::default(),
            step: Default::default(),
            addend: Default::default(),
            wide_in: Default::default(),
            odd_in: Default::default(),
            load: Default::default(),
            rot_in: Default::default(),
            count: Default::default(),
            acc: Default::default(),
            wide_q: Default::default(),
            odd_q: Default::default(),
            rot: Default::default(),
            parity: Default::default(),
            echo: Default::default(),
            taps: Default::default(),
            count_r: Default::default(),
            acc_r: Default::default(),
            wide_r: Default::default(),
            odd_r: Default::default(),
            rot_r: Default::default(),
            one: Constant::new(1u64.into()),
            top_shift: Constant::new(511u64.into()),
        }
    }
}

impl Logic for TestDesign {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, count_r, acc_r, wide_r, odd_r, rot_r);
        if self.enable.val() {
            self.count_r.d.next = self.count_r.q.val() + self.step.val();
            self.acc_r.d.next = self.acc_r.q.val() + self.addend.val();
            self.rot_r.d.next = (self.rot_r.q.val() << self.one.val())
                | (self.rot_r.q.val() >> self.top_shift.val());
        }
        if self.load.val() {
            self.rot_r.d.next = self.rot_in.val();
        }
        self.wide_r.d.next = !self.wide_in.val();
        self.odd_r.d.next = self.odd_in.val();
        self.count.next = self.count_r.q.val();
        self.acc.next = self.acc_r.q.val();
        self.wide_q.next = self.wide_r.q.val();
        self.odd_q.next = self.odd_r.q.val();
        self.rot.next = self.rot_r.q.val();
        self.parity.next = self.rot_r.q.val().xor();
        self.echo.next = self.rot_in.val();
        self.taps[0].next = self.rot_r.q.val().get_bits::<64>(0);
        self.taps[1].next = self.rot_r.q.val().get_bits::<64>(448);
    }
}

/// The design's Verilog, top module `top`, as the sim crate's build script compiles it.
pub fn verilog() -> String {
    let mut uut = TestDesign::default();
    uut.connect_all();
    generate_verilog(&uut)
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    /// `verilator --lint-only -Wall` is clean. DECLFILENAME is waived as in the project's
    /// waiver file: rust-hdl writes every submodule (`top$count_r`) into the one file.
    #[test]
    fn generates_lint_clean_verilog() {
        let dir =
            std::env::temp_dir().join(format!("seqfab-testdesign-lint-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let top = dir.join("top.v");
        std::fs::write(&top, super::verilog()).unwrap();
        let out = Command::new("verilator")
            .args([
                "--lint-only",
                "-Wall",
                "-Wno-DECLFILENAME",
                "--top-module",
                "top",
            ])
            .arg(&top)
            .output()
            .expect("cannot run verilator: install it with `apt-get install -y verilator`");
        std::fs::remove_dir_all(&dir).unwrap();
        let msgs = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && msgs.trim().is_empty(), "{msgs}");
    }
}
