//! Builds the Verilator models that `seqfab-sim` drives from Rust.
//!
//! For every model in [`models`]: write its Verilog to `$OUT_DIR/<name>/top.v`, verilate it
//! (`verilator --cc -O3 ...`), generate a C ABI shim and the safe Rust `Model` type from
//! the port list, compile model + shim with Verilator's own makefile (`OPT_FAST=-O3`), and
//! archive them into static libraries that this crate links. The Verilator runtime
//! (`verilated.o`, `verilated_threads.o`, and `verilated_vcd_c.o` with the `trace`
//! feature) is compiled once and shared by all models. See `sim/README.md`.

#[path = "build/codegen.rs"]
mod codegen;
#[path = "build/verilator.rs"]
mod verilator;

/// The models this crate builds, as (module name under `seqfab_sim::models`, Verilog of
/// a design whose top module is `top` with one clock input `clock`).
///
/// The card core comes straight from the gateware crate at build time, so the model
/// never drifts from the rust-hdl source. The test design stays: it is the regression
/// test of this infrastructure and costs a few seconds of build time.
fn models() -> Vec<(&'static str, String)> {
    vec![
        ("testdesign", seqfab_sim_testdesign::verilog()),
        ("card", seqfab_gateware::card::card_core_verilog()),
        (
            "card_narrow",
            seqfab_gateware::card::card_core_verilog_of::<32, 3>(),
        ),
        // The Versa board's card (core, UART host bridge, two RGMII MACs) without its
        // PLL, at the board's UART divider, with a 32-clock PHY reset and the ECP5 DDR
        // I/O registers' behavioural models.
        (
            "versa_card",
            format!(
                "{}\n{}",
                seqfab_boards::ecp5::versa::versa_card_verilog(
                    seqfab_boards::ecp5::versa::host_uart_rate().clocks_per_bit,
                    VERSA_PHY_RESET_CLOCKS,
                ),
                seqfab_gateware::mac::ECP5_DDR_SIM_MODELS
            ),
        ),
    ]
}

/// The simulated Versa card's PHY reset, in TX clocks (the board's is 10 ms).
const VERSA_PHY_RESET_CLOCKS: u64 = 32;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build");
    println!("cargo:rerun-if-env-changed=VERILATOR_ROOT");
    let trace = std::env::var_os("CARGO_FEATURE_TRACE").is_some();
    let out_dir = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    if let Err(e) = verilator::build_all(&out_dir, &models(), trace) {
        // A build script reports failure by panicking; the message is what cargo shows.
        panic!("\n\nseqfab-sim: building the Verilator models failed:\n{e}\n");
    }
}
