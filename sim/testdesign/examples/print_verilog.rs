//! Prints the test design's Verilog.
fn main() {
    print!("{}", seqfab_sim_testdesign::verilog());
}
