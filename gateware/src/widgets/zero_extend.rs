//! Zero extension from `N` to `M` bits, written as a Verilog concatenation.
//!
//! rust-hdl 0.46 emits `bit_cast::<M, N>(x)` as `(x) & M'h...`, which Verilator `-Wall`
//! reports as a WIDTH mismatch whenever `N < M` (TOOLCHAIN.md). This widget emits
//! `always @(*) wide = {(M-N)'d0, narrow};` instead, which is the exact-width idiom, and
//! simulates the same thing in Rust.

use rust_hdl::prelude::*;

/// `wide = narrow` zero-extended (a wire, no register).
#[derive(LogicBlock, Default)]
pub struct ZeroExtend<const N: usize, const M: usize> {
    /// The value to widen.
    pub narrow: Signal<In, Bits<N>>,
    /// `narrow` with `M - N` zero bits on top.
    pub wide: Signal<Out, Bits<M>>,
}

impl<const N: usize, const M: usize> ZeroExtend<N, M> {
    pub fn new() -> Self {
        assert!(N <= M, "ZeroExtend widens: N ({N}) must not exceed M ({M})");
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
        // rust-hdl declares outputs `reg`, so a combinational block, not `assign`.
        // N == M: a block generic over a width (a fabric plane) may widen by nothing.
        Verilog::Custom(if N == M {
            "always @(*) wide = narrow;".into()
        } else {
            format!("always @(*) wide = {{{}'d0, narrow}};", M - N)
        })
    }
}

#[cfg(test)]
mod tests;
