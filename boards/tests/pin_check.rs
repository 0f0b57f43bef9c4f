//! Tier: board constraints (fast, no synthesis). STYLE.md rule 8: every top-level port of
//! each board top's generated Verilog has a pin in that board's constraint file.

use seqfab_boards::ecp5::versa::{CARD_CLOCK_KHZ, OSC_KHZ, RGMII_CLOCK_KHZ};
use seqfab_boards::pin_check::{
    lpf_frequencies_khz, lpf_pinned, top_port_bits, unpinned, xdc_pinned,
};
use seqfab_boards::BOARDS;
use std::path::{Path, PathBuf};

fn constraints_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../constraints")
}

#[test]
fn every_top_level_port_of_every_board_has_a_pin() {
    let mut failures = Vec::new();
    for board in BOARDS {
        let verilog = (board.verilog)()
            .into_iter()
            .find(|(file, _)| *file == "top.v")
            .expect("a board generates top.v")
            .1;
        let ports = top_port_bits(&verilog);
        assert!(!ports.is_empty(), "{}: no ports found in top.v", board.name);
        let path = constraints_dir().join(board.name).join(board.pin_file);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: cannot read {}: {e}", board.name, path.display()));
        let pinned = match path.extension().and_then(|e| e.to_str()) {
            Some("lpf") => lpf_pinned(&text),
            Some("xdc") => xdc_pinned(&text),
            other => panic!("{}: unknown constraint format {other:?}", board.name),
        };
        let missing = unpinned(&ports, &pinned);
        if !missing.is_empty() {
            failures.push(format!(
                "{} ({}): no pin for port(s) {}",
                board.name,
                path.display(),
                missing.join(", ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The build script knows every board this crate generates a top for, and every board
/// folder has its pin file and a README.
#[test]
fn build_script_and_board_folders_match_the_board_list() {
    let script = std::fs::read_to_string(constraints_dir().join("build")).unwrap();
    for board in BOARDS {
        assert!(
            script.contains(&format!("\"{}\": {{", board.name)),
            "constraints/build has no entry for board `{}`",
            board.name
        );
        let dir = constraints_dir().join(board.name);
        for file in [board.pin_file, "README.md"] {
            assert!(
                dir.join(file).exists(),
                "missing {}",
                dir.join(file).display()
            );
        }
    }
}

/// The Versa's LPF states the clocks the top makes (constraints/build judges each clock
/// against its LPF line, so a stale figure there would pass or fail the wrong target).
#[test]
fn versa_lpf_clocks_match_the_top() {
    let path = constraints_dir().join("ecp5-5g-versa/versa5g.lpf");
    let lpf = std::fs::read_to_string(&path).unwrap();
    let want = [
        ("clk100", OSC_KHZ),
        ("clk_core", CARD_CLOCK_KHZ),
        ("clk_tx", RGMII_CLOCK_KHZ),
        ("eth_x_rxc", RGMII_CLOCK_KHZ),
        ("eth_y_rxc", RGMII_CLOCK_KHZ),
    ];
    let got = lpf_frequencies_khz(&lpf);
    assert_eq!(
        got,
        want.iter().map(|(n, f)| (n.to_string(), *f)).collect(),
        "FREQUENCY lines of {}",
        path.display()
    );
}
