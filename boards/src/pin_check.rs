//! Top-level ports of generated Verilog and the pins a constraint file gives them
//! (STYLE.md rule 8: every top-level port has a pin).

use seqfab_gateware::verilog_ports::parse_module_ports;
use std::collections::{BTreeMap, BTreeSet};

/// Every bit of every port of module `top`, as constraint files name them: `name` for a
/// one-bit port, `name[i]` for each bit of a vector (rust-hdl declares `[w-1:0]`). The
/// ports are read by the gateware's one Verilog port reader.
///
/// # Panics
/// If the Verilog has no readable `module top` port list.
pub fn top_port_bits(verilog: &str) -> Vec<String> {
    let ports =
        parse_module_ports(verilog, "top").unwrap_or_else(|e| panic!("generated Verilog: {e}"));
    let mut bits = Vec::new();
    for p in ports {
        match p.width {
            1 => bits.push(p.name),
            w => bits.extend((0..w).map(|i| format!("{}[{i}]", p.name))),
        }
    }
    bits
}

/// Ports given a pin by a Lattice preference file: `LOCATE COMP "port" SITE "pin";`.
pub fn lpf_pinned(lpf: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for stmt in strip_comments(lpf, &["#", "//"]).split(';') {
        let words: Vec<&str> = stmt.split_whitespace().collect();
        if words.len() >= 5
            && words[0].eq_ignore_ascii_case("LOCATE")
            && words[1].eq_ignore_ascii_case("COMP")
            && words[3].eq_ignore_ascii_case("SITE")
        {
            out.insert(words[2].trim_matches('"').to_string());
        }
    }
    out
}

/// Clock figures of a Lattice preference file, in kHz: `FREQUENCY PORT "p" 125 MHZ;` and
/// `FREQUENCY NET "n" 62.5 MHZ;` (constraints/build reads the same lines to judge each
/// clock after place and route).
pub fn lpf_frequencies_khz(lpf: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for stmt in strip_comments(lpf, &["#", "//"]).split(';') {
        let words: Vec<&str> = stmt.split_whitespace().collect();
        if words.len() == 5
            && words[0].eq_ignore_ascii_case("FREQUENCY")
            && (words[1].eq_ignore_ascii_case("PORT") || words[1].eq_ignore_ascii_case("NET"))
            && words[4].eq_ignore_ascii_case("MHZ")
        {
            if let Ok(mhz) = words[3].parse::<f64>() {
                out.insert(
                    words[2].trim_matches('"').to_string(),
                    (mhz * 1000.0).round() as u64,
                );
            }
        }
    }
    out
}

/// Ports given a pin by a Xilinx XDC file: `set_property PACKAGE_PIN pin [get_ports p]`,
/// or `PACKAGE_PIN`/`LOC` inside `set_property -dict {...} [get_ports p]`.
pub fn xdc_pinned(xdc: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in strip_comments(xdc, &["#"]).lines() {
        let line = line.trim();
        if !line.starts_with("set_property") {
            continue;
        }
        let Some((props, ports)) = line.split_once("[get_ports") else {
            continue;
        };
        let has_pin = props
            .split(|c: char| c.is_whitespace() || c == '{' || c == '}')
            .any(|w| w == "PACKAGE_PIN" || w == "LOC");
        if !has_pin {
            continue;
        }
        // `{a b[0]}` (braces may hold brackets) or a bare name ending at `]`.
        let ports = ports.trim();
        let list = match ports.strip_prefix('{') {
            Some(rest) => rest.split('}').next().unwrap_or(""),
            None => ports.split(']').next().unwrap_or(""),
        };
        out.extend(list.split_whitespace().map(str::to_string));
    }
    out
}

/// The port bits with no pin. The N leg of a differential pair (`x_n`, `x_n[i]`) counts
/// as placed when its P leg (`x_p`, `x_p[i]`) is: Vivado and nextpnr place the pair from
/// the P pin and reject a separate location for the N pin.
pub fn unpinned(ports: &[String], pinned: &BTreeSet<String>) -> Vec<String> {
    ports
        .iter()
        .filter(|p| !pinned.contains(*p) && !diff_partner(p).is_some_and(|pp| pinned.contains(&pp)))
        .cloned()
        .collect()
}

fn diff_partner(port: &str) -> Option<String> {
    let (base, idx) = match port.split_once('[') {
        Some((b, rest)) => (b, format!("[{rest}")),
        None => (port, String::new()),
    };
    base.strip_suffix("_n").map(|b| format!("{b}_p{idx}"))
}

/// `text` with everything from a comment marker to the end of its line removed (markers
/// inside double quotes are kept).
fn strip_comments(text: &str, markers: &[&str]) -> String {
    text.lines()
        .map(|line| {
            let mut in_quotes = false;
            for (i, c) in line.char_indices() {
                if c == '"' {
                    in_quotes = !in_quotes;
                } else if !in_quotes && markers.iter().any(|m| line[i..].starts_with(m)) {
                    return &line[..i];
                }
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ports_and_both_constraint_dialects() {
        let v = "\n\nmodule top(clk,led,d_p,d_n);\n// Module arguments\n\
                 input wire  clk;\noutput reg [1:0] led;\ninput wire d_p;\ninput wire d_n;\n\
                 // Local\nwire [3:0] x;\n\nendmodule\n";
        let ports = top_port_bits(v);
        assert_eq!(
            ports,
            ["clk", "led[0]", "led[1]", "d_p", "d_n"]
                .map(String::from)
                .to_vec()
        );
        let lpf = "LOCATE COMP \"clk\" SITE \"P3\"; # LOCATE COMP \"d_p\" SITE \"A1\";\n\
                   LOCATE COMP \"led[0]\" SITE \"E16\";";
        assert_eq!(
            unpinned(&ports, &lpf_pinned(lpf)),
            ["led[1]", "d_p", "d_n"].map(String::from).to_vec()
        );
        let freq = lpf_frequencies_khz(
            "FREQUENCY PORT \"clk\" 100 MHZ;\n# FREQUENCY NET \"x\" 1 MHZ;\n\
             frequency net \"core\" 62.5 MHz; IOBUF PORT \"clk\" IO_TYPE=LVDS;",
        );
        assert_eq!(
            freq.into_iter().collect::<Vec<_>>(),
            [("clk".to_string(), 100_000), ("core".to_string(), 62_500)]
        );
        let xdc = "set_property -dict {LOC AF2} [get_ports {led[1]}]\n\
                   set_property PACKAGE_PIN BC21 [get_ports d_p] ;# comment\n\
                   #set_property PACKAGE_PIN X1 [get_ports clk]\n\
                   set_property IOSTANDARD LVCMOS12 [get_ports {led[0]}]";
        assert_eq!(
            unpinned(&ports, &xdc_pinned(xdc)),
            ["clk", "led[0]"].map(String::from).to_vec()
        );
    }
}
