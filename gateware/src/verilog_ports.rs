//! The port list of a Verilog module, read from the text that rust-hdl generates.
//!
//! rust-hdl writes non-ANSI module headers (`rust-hdl-core` `verilog_gen.rs`):
//!
//! ```text
//! module top(clock,enable,step,taps$0,taps$1);
//!     input wire  clock;
//!     input wire  [6:0] step;
//!     output reg  [63:0] taps$0;
//! ```
//!
//! Names of array and interface ports contain `$` (`taps$0`, `mmio$addr`). This parser
//! reads that form (and tolerates `signed`, several names per declaration and arbitrary
//! whitespace); it does not try to be a Verilog front end. It lives beside the generator
//! so that every reader of the generated Verilog reads ports the same way: the simulator's
//! build script (the Verilator shim) and the boards' "every top-level port has a pin"
//! check (STYLE.md 8).

use std::fmt;

/// Direction of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    /// `input`
    In,
    /// `output`
    Out,
}

/// One port of a module, as declared in Verilog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerilogPort {
    /// The Verilog name, `$` included (`taps$0`).
    pub name: String,
    /// Direction.
    pub dir: Dir,
    /// Width in bits (`[msb:lsb]` gives `msb - lsb + 1`; no range gives 1).
    pub width: u32,
}

/// Why a port list could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// Reads the ports of `module <module>` in `verilog`, in header order.
///
/// Fails if the module is missing, a header port has no declaration, a port is `inout`
/// (the card core has none; a tri-state port has no meaning in a cycle model), or a range
/// is not a pair of integer literals.
pub fn parse_module_ports(verilog: &str, module: &str) -> Result<Vec<VerilogPort>, ParseError> {
    let body = module_text(verilog, module)?;
    let open = body
        .find('(')
        .ok_or_else(|| ParseError(format!("module {module}: no port list")))?;
    let close = body[open..]
        .find(')')
        .map(|i| open + i)
        .ok_or_else(|| ParseError(format!("module {module}: unterminated port list")))?;
    let header: Vec<&str> = body[open + 1..close]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let decls = declarations(&body[close + 1..])?;
    header
        .iter()
        .map(|name| {
            decls
                .iter()
                .find(|p| p.name == *name)
                .cloned()
                .ok_or_else(|| {
                    ParseError(format!(
                        "module {module}: port `{name}` is in the header but has no input/output declaration"
                    ))
                })
        })
        .collect()
}

/// The text from `module <name>` to its `endmodule`.
fn module_text<'a>(verilog: &'a str, module: &str) -> Result<&'a str, ParseError> {
    let mut search = 0;
    while let Some(i) = verilog[search..].find("module") {
        let at = search + i;
        search = at + "module".len();
        let before_ok = at == 0
            || verilog[..at]
                .chars()
                .next_back()
                .is_some_and(char::is_whitespace);
        if !before_ok {
            continue;
        }
        let rest = verilog[search..].trim_start();
        let ident_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(rest.len());
        if &rest[..ident_len] == module {
            let start = verilog.len() - rest.len() + ident_len;
            let end = verilog[start..]
                .find("endmodule")
                .map(|e| start + e)
                .ok_or_else(|| ParseError(format!("module {module}: no endmodule")))?;
            return Ok(&verilog[start..end]);
        }
    }
    Err(ParseError(format!("no `module {module}` in the Verilog")))
}

/// Every `input`/`output` declaration statement in a module body.
fn declarations(body: &str) -> Result<Vec<VerilogPort>, ParseError> {
    let mut out = Vec::new();
    for stmt in body.split(';') {
        let stmt = strip_comments(stmt);
        let mut words = stmt.split_whitespace().peekable();
        let dir = match words.peek() {
            Some(&"input") => Dir::In,
            Some(&"output") => Dir::Out,
            Some(&"inout") => {
                return Err(ParseError(format!(
                    "inout port in `{}`: a cycle model has no tri-state ports",
                    stmt.trim()
                )))
            }
            _ => continue,
        };
        words.next();
        let rest: Vec<&str> = words
            .filter(|w| !matches!(*w, "wire" | "reg" | "logic" | "signed" | "unsigned"))
            .collect();
        let rest = rest.join(" ");
        let (width, names) = match rest.trim_start().strip_prefix('[') {
            Some(r) => {
                let end = r
                    .find(']')
                    .ok_or_else(|| ParseError(format!("unterminated range in `{rest}`")))?;
                (range_width(&r[..end])?, &r[end + 1..])
            }
            None => (1, rest.as_str()),
        };
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            out.push(VerilogPort {
                name: name.to_string(),
                dir,
                width,
            });
        }
    }
    Ok(out)
}

fn strip_comments(stmt: &str) -> String {
    stmt.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn range_width(range: &str) -> Result<u32, ParseError> {
    let (msb, lsb) = range
        .split_once(':')
        .ok_or_else(|| ParseError(format!("range `[{range}]` is not `[msb:lsb]`")))?;
    let parse = |s: &str| {
        s.trim()
            .parse::<u32>()
            .map_err(|_| ParseError(format!("range `[{range}]`: `{s}` is not an integer")))
    };
    let (msb, lsb) = (parse(msb)?, parse(lsb)?);
    Ok(msb.abs_diff(lsb) + 1)
}

/// A Rust identifier for a Verilog port name: `$` (rust-hdl's array/interface separator)
/// becomes `_`; anything else that is not alphanumeric or `_` also becomes `_`.
pub fn rust_ident(verilog_name: &str) -> String {
    verilog_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Decodes a C++ member name written by Verilator back to the Verilog name. Verilator
/// encodes every character that is not alphanumeric or a single `_` as `__0` and two hex
/// digits (`taps$0` -> `taps__0240`, `a__b` -> `a___05Fb`).
pub fn verilator_decode(cpp_name: &str) -> String {
    let b = cpp_name.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"__0") && i + 5 <= b.len() {
            if let Ok(v) = u8::from_str_radix(&cpp_name[i + 3..i + 5], 16) {
                out.push(v as char);
                i += 5;
                continue;
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests;
