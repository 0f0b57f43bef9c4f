//! The crate's error type.

use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong in seqfab-sim.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `trace_to` on a model built without the `trace` cargo feature.
    #[error("VCD tracing is not compiled in: build with `--features seqfab-sim/trace`")]
    TraceNotBuilt,
    /// The VCD file could not be created.
    #[error("cannot open VCD file {path} (does the directory exist and is it writable?)")]
    TraceOpen {
        /// The file asked for.
        path: PathBuf,
    },
    /// A port name that the simulator does not have.
    #[error("{sim}: no port named `{port}`")]
    UnknownPort {
        /// Which simulator.
        sim: String,
        /// The name asked for.
        port: String,
    },
    /// A stimulus tried to drive an output.
    #[error("{sim}: port `{port}` is an output and cannot be driven")]
    NotAnInput {
        /// Which simulator.
        sim: String,
        /// The port.
        port: String,
    },
    /// A value with more words than the port has.
    #[error("value for `{port}` has {given} words; the port has {max}")]
    ValueTooWide {
        /// The port.
        port: String,
        /// Words given.
        given: usize,
        /// Words the port has.
        max: usize,
    },
    /// The two simulators disagree on a port's width or direction.
    #[error(
        "port `{port}`: {a} has it as {a_dir:?} {a_width} bits, {b} as {b_dir:?} {b_width} bits"
    )]
    PortMismatch {
        /// The port.
        port: String,
        /// First simulator.
        a: String,
        /// Its width.
        a_width: u32,
        /// Its direction.
        a_dir: crate::Dir,
        /// Second simulator.
        b: String,
        /// Its width.
        b_width: u32,
        /// Its direction.
        b_dir: crate::Dir,
    },
    /// [`RhdlPorts`](crate::RhdlPorts) without a clock accessor.
    #[error("RhdlPorts has no clock: call .clock(|x| &mut x.clock)")]
    NoClock,
    /// rust-hdl's design checks (`check_all`: unconnected signals, loops, written inputs).
    #[error("rust-hdl design check failed: {0}")]
    RhdlCheck(String),
    /// rust-hdl's combinational settling did not converge (a combinational loop).
    #[error("rust-hdl design did not settle in cycle {cycle} (combinational loop?)")]
    FailedToConverge {
        /// The cycle being simulated.
        cycle: u64,
    },
    /// The two simulators' outputs differ.
    #[error("{0}")]
    Mismatch(Box<Mismatch>),
}

/// The first cycle in which two simulators' outputs differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The number of ticks run when the difference was seen (0: initial state).
    pub cycle: u64,
    /// Name of the first simulator.
    pub a: String,
    /// Name of the second simulator.
    pub b: String,
    /// Every compared port that differs in that cycle.
    pub diffs: Vec<PortDiff>,
    /// The inputs the stimulus set for that cycle (port, words).
    pub inputs: Vec<(String, Vec<u64>)>,
}

/// One port's two values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortDiff {
    /// The port.
    pub port: String,
    /// Value in the first simulator (little-endian words).
    pub a: Vec<u64>,
    /// Value in the second simulator.
    pub b: Vec<u64>,
}

/// Hex, most significant word first, like a Verilog literal.
pub(crate) fn hex(words: &[u64]) -> String {
    let mut s = String::from("0x");
    for (i, w) in words.iter().rev().enumerate() {
        if i == 0 {
            s.push_str(&format!("{w:x}"));
        } else {
            s.push_str(&format!("_{w:016x}"));
        }
    }
    s
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} and {} differ after {} tick(s) in {} port(s):",
            self.a,
            self.b,
            self.cycle,
            self.diffs.len()
        )?;
        for d in &self.diffs {
            writeln!(f, "  {}: {} = {}", d.port, self.a, hex(&d.a))?;
            writeln!(
                f,
                "  {}  {} = {}",
                " ".repeat(d.port.len()),
                self.b,
                hex(&d.b)
            )?;
        }
        if !self.inputs.is_empty() {
            writeln!(f, "inputs set for that cycle:")?;
            for (p, v) in &self.inputs {
                writeln!(f, "  {p} = {}", hex(v))?;
            }
        }
        Ok(())
    }
}
