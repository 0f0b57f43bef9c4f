//! Fixed XOR networks written out as Verilog `assign`s: the Ethernet FCS as a parallel
//! matrix (the contract's [`fcs_columns`]), and group-wise XOR folds.
//!
//! rust-hdl's `#[hdl_gen]` has no way to build a vector bit by bit without shift-and-mask
//! expressions that Verilator flags, so these two blocks emit their Verilog directly
//! (`Verilog::Wrapper`) and model the same function in `update()` for the simulator.

use rust_hdl::prelude::*;
use seqfab_contract::fcs::{fcs_columns, FCS_COVERED_BITS};
use std::fmt::Write;

/// The FCS's linear part applied to message bits `OFFSET..OFFSET+W`, split into `CHUNKS`
/// partial sums per output bit so a pipeline register can sit between the partial sums
/// and their fold ([`XorFold`] with `GROUP = CHUNKS`). `partial[j * CHUNKS + k]` is the
/// parity of the set bits of chunk `k` that feed FCS bit `j`. Combinational.
#[derive(LogicBlock)]
pub struct Crc32Partials<const W: usize, const OFFSET: usize, const CHUNKS: usize, const OUT: usize>
{
    /// Message bits `OFFSET..OFFSET+W` (the rest of the 480 covered bits count as zero).
    pub data_in: Signal<In, Bits<W>>,
    /// Partial parities, `OUT = 32 * CHUNKS`.
    pub partial: Signal<Out, Bits<OUT>>,
}

impl<const W: usize, const OFFSET: usize, const CHUNKS: usize, const OUT: usize>
    Crc32Partials<W, OFFSET, CHUNKS, OUT>
{
    pub fn new() -> Self {
        assert_eq!(OUT, 32 * CHUNKS, "OUT must be 32 * CHUNKS");
        assert!(
            OFFSET + W <= FCS_COVERED_BITS,
            "inputs beyond the FCS-covered bits"
        );
        assert!(CHUNKS >= 1 && CHUNKS <= W);
        Self {
            data_in: Default::default(),
            partial: Default::default(),
        }
    }

    /// Input bit indices (into `data_in`) that feed `partial[n]`.
    fn taps(n: usize) -> Vec<usize> {
        let (j, k) = (n / CHUNKS, n % CHUNKS);
        let chunk = W.div_ceil(CHUNKS);
        let cols = fcs_columns();
        (k * chunk..((k + 1) * chunk).min(W))
            .filter(|&i| cols[OFFSET + i] >> j & 1 == 1)
            .collect()
    }
}

impl<const W: usize, const OFFSET: usize, const CHUNKS: usize, const OUT: usize> Default
    for Crc32Partials<W, OFFSET, CHUNKS, OUT>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<const W: usize, const OFFSET: usize, const CHUNKS: usize, const OUT: usize> Logic
    for Crc32Partials<W, OFFSET, CHUNKS, OUT>
{
    fn update(&mut self) {
        let d = self.data_in.val();
        let mut out = Bits::<OUT>::default();
        for n in 0..OUT {
            let p = Self::taps(n).iter().fold(false, |p, &i| p ^ d.get_bit(i));
            out = out.replace_bit(n, p);
        }
        self.partial.next = out;
    }
    fn connect(&mut self) {
        self.partial.connect();
    }
    fn hdl(&self) -> Verilog {
        let mut code = String::new();
        for n in 0..OUT {
            let taps = Self::taps(n);
            if taps.is_empty() {
                writeln!(code, "assign partial[{n}] = 1'b0;").unwrap();
            } else {
                let list: Vec<String> = taps.iter().map(|i| format!("data_in[{i}]")).collect();
                writeln!(code, "assign partial[{n}] = ^{{{}}};", list.join(", ")).unwrap();
            }
        }
        Verilog::Wrapper(Wrapper {
            code,
            cores: String::new(),
        })
    }
}

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

    /// The partial sums of a chunked field fold back to the linear part of that field.
    #[test]
    fn chunked_partials_fold_to_the_linear_part() {
        type P = Crc32Partials<64, 256, 2, 64>;
        let v = 0xDEAD_BEEF_0123_4567u64;
        for j in 0..32 {
            let folded = (0..2).fold(false, |acc, k| {
                acc ^ P::taps(j * 2 + k)
                    .iter()
                    .fold(false, |p, &i| p ^ (v >> i & 1 == 1))
            });
            let want = (0..64)
                .filter(|&i| v >> i & 1 == 1)
                .fold(0u32, |c, i| c ^ fcs_columns()[256 + i]);
            assert_eq!(folded, want >> j & 1 == 1, "FCS bit {j}");
        }
    }
}
