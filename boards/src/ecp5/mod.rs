//! Lattice ECP5 boards (open flow: Yosys, nextpnr-ecp5, ecppack).

pub mod pll;
pub mod versa;
