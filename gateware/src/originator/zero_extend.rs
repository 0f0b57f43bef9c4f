//! Zero extension without Verilator WIDTH warnings.

use rust_hdl::prelude::*;

/// `wide = {0, narrow}`.
///
/// rust-hdl's `bit_cast` becomes `(narrow & M'hff..)` in Verilog, which Verilator -Wall
/// reports as a WIDTH mismatch; this block writes the concatenation Verilog has for it.
/// It is combinational and has no state.
#[derive(LogicBlock, Default)]
pub struct ZeroExtend<const N: usize, const M: usize> {
    /// The value to extend.
    pub narrow: Signal<In, Bits<N>>,
    /// `narrow` with `M - N` zero bits above it.
    pub wide: Signal<Out, Bits<M>>,
}

impl<const N: usize, const M: usize> ZeroExtend<N, M> {
    pub fn new() -> Self {
        assert!(N < M, "ZeroExtend<{N}, {M}> must widen");
        Self::default()
    }
}

impl<const N: usize, const M: usize> Logic for ZeroExtend<N, M> {
    fn update(&mut self) {
        self.wide.next = bit_cast::<M, N>(self.narrow.val());
    }

    fn connect(&mut self) {
        self.wide.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!("always @(*) wide = {{{}'d0, narrow}};", M - N))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extends_with_zeros() {
        let mut uut = ZeroExtend::<24, 64>::new();
        uut.connect_all();
        uut.narrow.next = 0xAB_CDEFu64.into();
        assert!(simulate(&mut uut, 10));
        assert_eq!(uut.wide.val().to_u64(), 0xAB_CDEF);
    }

    #[test]
    fn generates_lint_clean_verilog() {
        let mut uut = ZeroExtend::<24, 32>::new();
        uut.connect_all();
        crate::lint::assert_lint_clean(&generate_verilog(&uut));
    }
}
