//! `seqfab-boards`: writes a board top's Verilog for `constraints/build`.
//!
//! Usage: `seqfab-boards list` | `seqfab-boards verilog BOARD OUT_DIR`

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["list"] => {
            for b in seqfab_boards::BOARDS {
                println!("{}", b.name);
            }
            ExitCode::SUCCESS
        }
        ["verilog", name, out] => {
            let Some(board) = seqfab_boards::board(name) else {
                eprintln!("no board `{name}`; `seqfab-boards list` names the boards");
                return ExitCode::FAILURE;
            };
            let out = PathBuf::from(out);
            if let Err(e) = std::fs::create_dir_all(&out) {
                eprintln!("cannot create {}: {e}", out.display());
                return ExitCode::FAILURE;
            }
            for (file, text) in (board.verilog)() {
                let path = out.join(file);
                if let Err(e) = std::fs::write(&path, text) {
                    eprintln!("cannot write {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
                println!("wrote {}", path.display());
            }
            println!("core {}", (board.core)());
            for p in board.placed {
                println!("placed {p}");
            }
            for p in board.not_placed {
                println!("not_placed {p}");
            }
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: seqfab-boards list | seqfab-boards verilog BOARD OUT_DIR");
            ExitCode::from(2)
        }
    }
}
