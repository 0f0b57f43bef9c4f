//! Writes the card core's Verilog (top module `top`) to the given path, or to stdout.

use std::process::ExitCode;

fn main() -> ExitCode {
    let verilog = seqfab_gateware::card::card_core_verilog();
    match std::env::args().nth(1) {
        None => {
            print!("{verilog}");
            ExitCode::SUCCESS
        }
        Some(path) => match std::fs::write(&path, verilog) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write the card core's Verilog to {path}: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
