//! A fixed group-wise XOR fold, written out as Verilog `assign`s.
//!
//! rust-hdl's `#[hdl_gen]` has no way to build a vector bit by bit without shift-and-mask
//! expressions that Verilator flags, so this block emits its Verilog directly
//! (`Verilog::Wrapper`) and models the same function in `update()` for the simulator.

use rust_hdl::prelude::*;
use std::fmt::Write;

/// `out[j]` = XOR of `data_in[j*GROUP .. (j+1)*GROUP]`. Combinational.
#[derive(LogicBlock)]
pub struct XorFold<const IN: usize, const GROUP: usize, const OUT: usize> {
    /// Bits to fold, `IN = GROUP * OUT`.
    pub data_in: Signal<In, Bits<IN>>,
    /// One parity per group.
    pub out: Signal<Out, Bits<OUT>>,
}

impl<const IN: usize, const GROUP: usize, const OUT: usize> XorFold<IN, GROUP, OUT> {
    pub fn new() -> Self {
        assert_eq!(IN, GROUP * OUT, "IN must be GROUP * OUT");
        Self {
            data_in: Default::default(),
            out: Default::default(),
        }
    }
}

impl<const IN: usize, const GROUP: usize, const OUT: usize> Default for XorFold<IN, GROUP, OUT> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const IN: usize, const GROUP: usize, const OUT: usize> Logic for XorFold<IN, GROUP, OUT> {
    fn update(&mut self) {
        let d = self.data_in.val();
        let mut out = Bits::<OUT>::default();
        for j in 0..OUT {
            let p = (j * GROUP..(j + 1) * GROUP).fold(false, |p, i| p ^ d.get_bit(i));
            out = out.replace_bit(j, p);
        }
        self.out.next = out;
    }
    fn connect(&mut self) {
        self.out.connect();
    }
    fn hdl(&self) -> Verilog {
        let mut code = String::new();
        for j in 0..OUT {
            let (lo, hi) = (j * GROUP, (j + 1) * GROUP - 1);
            writeln!(code, "assign out[{j}] = ^data_in[{hi}:{lo}];").unwrap();
        }
        Verilog::Wrapper(Wrapper {
            code,
            cores: String::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Verilog folds the same groups as the simulation model.
    #[test]
    fn each_output_bit_is_the_xor_of_its_group() {
        let Verilog::Wrapper(w) = XorFold::<12, 4, 3>::new().hdl() else {
            panic!("XorFold writes its own Verilog");
        };
        assert_eq!(
            w.code,
            "assign out[0] = ^data_in[3:0];\n\
             assign out[1] = ^data_in[7:4];\n\
             assign out[2] = ^data_in[11:8];\n"
        );
    }
}
