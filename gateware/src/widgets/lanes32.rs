//! Single-bit results gathered into one 32-bit word.

use rust_hdl::prelude::*;

/// 32 single-bit lanes, bit `j` in field `bj`.
///
/// rust-hdl has no concatenation operator and its `set_bit` does not translate, so
/// independent one-bit results are gathered into a word through struct fields: each field
/// assignment becomes a Verilog part-select assignment (`lanes[(j)+:(1)] = ...`).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct Lanes32 {
    pub b0: Bit,
    pub b1: Bit,
    pub b2: Bit,
    pub b3: Bit,
    pub b4: Bit,
    pub b5: Bit,
    pub b6: Bit,
    pub b7: Bit,
    pub b8: Bit,
    pub b9: Bit,
    pub b10: Bit,
    pub b11: Bit,
    pub b12: Bit,
    pub b13: Bit,
    pub b14: Bit,
    pub b15: Bit,
    pub b16: Bit,
    pub b17: Bit,
    pub b18: Bit,
    pub b19: Bit,
    pub b20: Bit,
    pub b21: Bit,
    pub b22: Bit,
    pub b23: Bit,
    pub b24: Bit,
    pub b25: Bit,
    pub b26: Bit,
    pub b27: Bit,
    pub b28: Bit,
    pub b29: Bit,
    pub b30: Bit,
    pub b31: Bit,
}
