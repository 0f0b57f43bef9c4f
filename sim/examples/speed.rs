//! Cycles per wall-clock second of the Verilator model (and of rust-hdl's simulator, for
//! comparison), on the test design. `cargo run --release -p seqfab-sim --example speed
//! [verilator_cycles [rust_hdl_cycles]]`.

#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("a number"));
    let n = args.next().unwrap_or(20_000_000);
    let n_hdl = args.next().unwrap_or(200_000);
    common::speed::print(&common::speed::measure(n, n_hdl));
}
