//! AMD/Xilinx Alveo boards (vendor flow: Vivado; Yosys gives a utilisation estimate here).

pub mod host_bridge;
pub mod ip;
pub mod keep;
pub mod mac_bridge;
pub mod u250;
