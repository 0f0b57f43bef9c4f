//! Conversions between AXI4-Stream `tkeep` (one bit per byte, contiguous from byte 0)
//! and the fabric port's byte count (docs/gateware.md: `bytes`, 1..=64). Combinational,
//! written out as Verilog like the XOR networks (no bit-by-bit vectors in `#[hdl_gen]`).

use rust_hdl::prelude::*;
use std::fmt::Write;

/// `bytes` = number of set bits of a contiguous `keep` (the index after its last one).
#[derive(LogicBlock, Default)]
pub struct KeepToBytes {
    /// AXI4-Stream byte enables.
    pub keep: Signal<In, Bits<64>>,
    /// Valid bytes in the beat.
    pub bytes: Signal<Out, Bits<7>>,
}

impl Logic for KeepToBytes {
    fn update(&mut self) {
        let k = self.keep.val().to_u64();
        self.bytes.next = (k.count_ones() as u64).into();
    }
    fn connect(&mut self) {
        self.bytes.connect();
    }
    fn hdl(&self) -> Verilog {
        // end[j]: the last kept byte is byte j. bytes = j + 1 for that j: an OR per bit.
        let mut code = String::from("wire [63:0] last_one = keep & ~{1'b0, keep[63:1]};\n");
        for b in 0..7 {
            let terms: Vec<String> = (0..64)
                .filter(|j| (j + 1) >> b & 1 == 1)
                .map(|j| format!("last_one[{j}]"))
                .collect();
            writeln!(code, "assign bytes[{b}] = |{{{}}};", terms.join(", ")).unwrap();
        }
        Verilog::Wrapper(Wrapper {
            code,
            cores: String::new(),
        })
    }
}

/// `keep` with bytes `0..bytes` set.
#[derive(LogicBlock, Default)]
pub struct BytesToKeep {
    /// Valid bytes in the beat.
    pub bytes: Signal<In, Bits<7>>,
    /// AXI4-Stream byte enables.
    pub keep: Signal<Out, Bits<64>>,
}

impl Logic for BytesToKeep {
    fn update(&mut self) {
        let n = self.bytes.val().to_u64().min(64);
        self.keep.next = if n == 64 { u64::MAX } else { (1u64 << n) - 1 }.into();
    }
    fn connect(&mut self) {
        self.keep.connect();
    }
    fn hdl(&self) -> Verilog {
        let mut code = String::new();
        for i in 0..64 {
            writeln!(code, "assign keep[{i}] = bytes > 7'd{i};").unwrap();
        }
        Verilog::Wrapper(Wrapper {
            code,
            cores: String::new(),
        })
    }
}
