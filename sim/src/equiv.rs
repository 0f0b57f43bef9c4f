//! Equivalence harness: the same stimulus into two [`CycleSim`]s (typically rust-hdl's
//! simulator and the Verilator model of the same design), every compared output checked
//! after every tick.
//!
//! ```
//! use seqfab_sim::{equiv, models::testdesign::Model, rhdl_ports, RhdlSim};
//! use seqfab_sim_testdesign::TestDesign;
//!
//! let ports = rhdl_ports!(TestDesign {
//!     clock: clock,
//!     inputs: [enable, step, addend],
//!     outputs: [count, acc],
//! });
//! let mut hdl = RhdlSim::new(TestDesign::default(), ports)?;
//! let mut vm = Model::new();
//! equiv::run_lockstep(&mut hdl, &mut vm, 100, &["count", "acc"], |d| {
//!     d.set_u64("enable", (d.cycle() % 3 != 0) as u64);
//!     d.set_u64("step", d.cycle() & 0x7f);
//!     let acc = d.get_u64("acc"); // a reactive stimulus reads the first simulator
//!     d.set_u64("addend", acc | 1);
//! })?;
//! # Ok::<(), seqfab_sim::Error>(())
//! ```
//!
//! The stimulus closure is called once per cycle before the tick; its assignments are
//! recorded and applied to both simulators, so they see identical inputs by construction.
//! Inputs hold their value until set again. Reads in the closure see the first simulator
//! (`a`) after the previous tick; as long as the two agree (which is checked every cycle)
//! this is also what `b` shows.

use crate::error::{Error, Mismatch, PortDiff};
use crate::{CycleSim, Dir, PortInfo};

/// One compared port: its indices in both simulators and scratch space for the values.
struct Compared {
    name: &'static str,
    ia: usize,
    ib: usize,
    wa: Vec<u64>,
    wb: Vec<u64>,
}

/// Compares every port in `cmp`; the inputs are only for the report.
fn compare_now<A: CycleSim, B: CycleSim>(
    a: &A,
    b: &B,
    cmp: &mut [Compared],
    cycle: u64,
    sets: &[(usize, usize, Vec<u64>)],
) -> Result<(), Error> {
    let mut diffs = Vec::new();
    for c in cmp.iter_mut() {
        a.get(c.ia, &mut c.wa);
        b.get(c.ib, &mut c.wb);
        if c.wa != c.wb {
            diffs.push(PortDiff {
                port: c.name.to_string(),
                a: c.wa.clone(),
                b: c.wb.clone(),
            });
        }
    }
    if diffs.is_empty() {
        return Ok(());
    }
    Err(Error::Mismatch(Box::new(Mismatch {
        cycle,
        a: a.sim_name().to_string(),
        b: b.sim_name().to_string(),
        diffs,
        inputs: sets
            .iter()
            .map(|(ia, _, w)| (a.ports()[*ia].name.to_string(), w.clone()))
            .collect(),
    })))
}

/// What a lockstep run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockstep {
    /// Ticks run (each followed by a comparison; the initial state is compared too).
    pub cycles: u64,
    /// Ports compared every cycle.
    pub ports: Vec<&'static str>,
}

/// The stimulus's view of one cycle: set inputs (applied to both simulators before the
/// tick), read the first simulator's ports.
pub struct Drive<'a> {
    cycle: u64,
    a: &'a dyn CycleSim,
    b_ports: &'a [PortInfo],
    b_name: &'a str,
    sets: Vec<(usize, usize, Vec<u64>)>,
    error: Option<Error>,
}

impl Drive<'_> {
    /// The cycle about to be run (0 for the first tick).
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    /// Sets input `port` (Verilog name) to `words` (little-endian; fewer words than the
    /// port has are zero-extended). A wrong name or an output is reported by
    /// [`run_lockstep`] as an error.
    pub fn set(&mut self, port: &str, words: &[u64]) {
        match self.resolve_input(port, words.len()) {
            Ok((ia, ib, n)) => {
                let mut w = vec![0u64; n];
                w[..words.len()].copy_from_slice(words);
                self.sets.retain(|s| s.0 != ia);
                self.sets.push((ia, ib, w));
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    /// Sets input `port` to `value` (ports of any width; higher words zero).
    pub fn set_u64(&mut self, port: &str, value: u64) {
        self.set(port, &[value]);
    }

    /// Port `port` of the first simulator, after the previous tick (inputs: as set).
    pub fn get(&mut self, port: &str) -> Vec<u64> {
        match self.a.port_index(port) {
            Some(i) => {
                let mut w = vec![0u64; self.a.ports()[i].words()];
                self.a.get(i, &mut w);
                w
            }
            None => {
                self.error.get_or_insert(Error::UnknownPort {
                    sim: self.a.sim_name().to_string(),
                    port: port.to_string(),
                });
                vec![0]
            }
        }
    }

    /// The low 64 bits of [`get`](Self::get).
    pub fn get_u64(&mut self, port: &str) -> u64 {
        self.get(port)[0]
    }

    fn resolve_input(&self, port: &str, given: usize) -> Result<(usize, usize, usize), Error> {
        let unknown = |sim: &str| Error::UnknownPort {
            sim: sim.to_string(),
            port: port.to_string(),
        };
        let ia = self
            .a
            .port_index(port)
            .ok_or_else(|| unknown(self.a.sim_name()))?;
        let ib = self
            .b_ports
            .iter()
            .position(|p| p.name == port)
            .ok_or_else(|| unknown(self.b_name))?;
        let (pa, pb) = (&self.a.ports()[ia], &self.b_ports[ib]);
        for (p, sim) in [(pa, self.a.sim_name()), (pb, self.b_name)] {
            if p.dir != Dir::In {
                return Err(Error::NotAnInput {
                    sim: sim.to_string(),
                    port: port.to_string(),
                });
            }
        }
        check_same(pa, self.a.sim_name(), pb, self.b_name)?;
        if given > pa.words() {
            return Err(Error::ValueTooWide {
                port: port.to_string(),
                given,
                max: pa.words(),
            });
        }
        Ok((ia, ib, pa.words()))
    }
}

fn check_same(pa: &PortInfo, a: &str, pb: &PortInfo, b: &str) -> Result<(), Error> {
    if pa.width != pb.width || pa.dir != pb.dir {
        return Err(Error::PortMismatch {
            port: pa.name.to_string(),
            a: a.to_string(),
            a_width: pa.width,
            a_dir: pa.dir,
            b: b.to_string(),
            b_width: pb.width,
            b_dir: pb.dir,
        });
    }
    Ok(())
}

/// Runs `a` and `b` in lockstep for `cycles` ticks with the inputs `stimulus` sets, and
/// compares the ports named in `compare` in the initial state and after every tick.
///
/// `compare` empty means every output port of either simulator (each must exist in
/// both: a missing output is an error, not a silent skip). Returns the first cycle in
/// which any compared port differs as [`Error::Mismatch`], with every differing port and
/// the inputs set for that cycle.
pub fn run_lockstep<A: CycleSim, B: CycleSim>(
    a: &mut A,
    b: &mut B,
    cycles: u64,
    compare: &[&str],
    mut stimulus: impl FnMut(&mut Drive<'_>),
) -> Result<Lockstep, Error> {
    let names: Vec<&str> = if compare.is_empty() {
        let mut n = a.output_names();
        for o in b.output_names() {
            if !n.contains(&o) {
                n.push(o);
            }
        }
        n
    } else {
        compare.to_vec()
    };
    let mut cmp: Vec<Compared> = Vec::new();
    for name in &names {
        let unknown = |sim: &str| Error::UnknownPort {
            sim: sim.to_string(),
            port: name.to_string(),
        };
        let ia = a.port_index(name).ok_or_else(|| unknown(a.sim_name()))?;
        let ib = b.port_index(name).ok_or_else(|| unknown(b.sim_name()))?;
        let (pa, pb) = (a.ports()[ia], b.ports()[ib]);
        check_same(&pa, a.sim_name(), &pb, b.sim_name())?;
        cmp.push(Compared {
            name: pa.name,
            ia,
            ib,
            wa: vec![0; pa.words()],
            wb: vec![0; pa.words()],
        });
    }

    compare_now(a, b, &mut cmp, 0, &[])?;
    let b_ports: Vec<PortInfo> = b.ports().to_vec();
    let b_name = b.sim_name().to_string();
    for cycle in 0..cycles {
        let mut drive = Drive {
            cycle,
            a: &*a,
            b_ports: &b_ports,
            b_name: &b_name,
            sets: Vec::new(),
            error: None,
        };
        stimulus(&mut drive);
        let Drive { sets, error, .. } = drive;
        if let Some(e) = error {
            return Err(e);
        }
        for (ia, ib, w) in &sets {
            a.set(*ia, w);
            b.set(*ib, w);
        }
        a.tick()?;
        b.tick()?;
        compare_now(a, b, &mut cmp, cycle + 1, &sets)?;
    }
    Ok(Lockstep {
        cycles,
        ports: cmp.iter().map(|c| c.name).collect(),
    })
}
