//! Writes the card core's Verilog (top module `top`) to the given path, or to stdout.
//!
//! `seqfab-verilog [--fabric 512|32] [PATH]`: the fabric ports' width (docs/gateware.md,
//! "MAC boundary"); 512 when not given.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut width = "512".to_string();
    if let Some(k) = args.iter().position(|a| a == "--fabric") {
        if k + 1 >= args.len() {
            eprintln!("error: --fabric needs a width: 512 or 32");
            return ExitCode::FAILURE;
        }
        width = args.remove(k + 1);
        args.remove(k);
    }
    let verilog = match width.as_str() {
        "512" => seqfab_gateware::card::card_core_verilog(),
        "32" => seqfab_gateware::card::card_core_verilog_of::<32, 3>(),
        other => {
            eprintln!(
                "error: --fabric {other}: the card core is built with 512- or 32-bit fabric ports"
            );
            return ExitCode::FAILURE;
        }
    };
    match args.first() {
        None => {
            print!("{verilog}");
            ExitCode::SUCCESS
        }
        Some(path) => match std::fs::write(path, verilog) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write the card core's Verilog to {path}: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
