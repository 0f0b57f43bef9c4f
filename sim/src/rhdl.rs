//! A rust-hdl design stepped one clock cycle at a time from a plain loop, as a
//! [`CycleSim`], so that the same stimulus can drive it and a Verilator model.
//!
//! # How rust-hdl simulates, and the cleanest way to step it
//!
//! rust-hdl's `Simulation` (`rust-hdl-core/src/simulate.rs`) runs every testbench, and
//! every clock (`add_clock` is itself a testbench that toggles `clock.next`), in its own
//! thread; the circuit is passed between threads over channels. The step it performs each
//! time a testbench hands the circuit back (`Simulation::dispatch`) is: the testbench has
//! changed some `.next` values; the simulator calls `update_all()` until `has_changed()`
//! is false, at most 100 rounds. That loop is public, as
//! `rust_hdl::core::simulate::simulate(uut, max_iters)`.
//!
//! So a design can be stepped without threads or channels by doing exactly what
//! `Simulation` does:
//!
//! ```text
//! uut.connect_all(); check_all(&uut)?;                   // as Simulation::run starts
//! uut.x.next = ...;  (inputs for this cycle)
//! uut.clock.next = false.into(); simulate(&mut uut, 100); // clock low: inputs propagate
//! uut.clock.next = true.into();  simulate(&mut uut, 100); // rising edge: DFFs sample
//! uut.y.val()        (post-edge outputs)
//! ```
//!
//! DFFs sample on `clock.pos_edge()`, true for the one `update_all` round after the clock
//! rises, exactly as under `Simulation`. The two halves are the Verilator model's tick
//! (`clock = 0; eval(); clock = 1; eval()`), so both simulators share one edge convention.
//! [`RhdlSim`] is that loop; [`RhdlPorts`] says which signal is which port.

use rust_hdl::prelude::*;

use crate::{CycleSim, Dir, Error, PortInfo};

/// Rounds of `update_all` allowed to settle, as in rust-hdl's `Simulation`.
const MAX_SETTLE_ROUNDS: usize = 100;

/// A port value type of rust-hdl that converts to and from little-endian 64-bit words.
pub trait PortValue: Synth {
    /// Writes the value as `Self::BITS.div_ceil(64)` words.
    fn to_words(&self, out: &mut [u64]);
    /// The value of `words` (bits above `Self::BITS` ignored).
    fn from_words(words: &[u64]) -> Self;
}

impl PortValue for bool {
    fn to_words(&self, out: &mut [u64]) {
        out[0] = *self as u64;
    }
    fn from_words(words: &[u64]) -> Self {
        words[0] & 1 != 0
    }
}

impl<const N: usize> PortValue for Bits<N> {
    fn to_words(&self, out: &mut [u64]) {
        if N <= 64 {
            out[0] = self.to_u64();
        } else {
            for (i, w) in out.iter_mut().enumerate().take(N.div_ceil(64)) {
                *w = self.get_bits::<64>(64 * i).to_u64();
            }
        }
    }
    fn from_words(words: &[u64]) -> Self {
        if N <= 64 {
            let mask = if N == 64 { u64::MAX } else { (1u64 << N) - 1 };
            Bits::<N>::from(words[0] & mask)
        } else {
            let mut v = Bits::<N>::default();
            for (i, &w) in words.iter().enumerate().take(N.div_ceil(64)) {
                if w != 0 {
                    v = v | (bit_cast::<N, 64>(Bits::<64>::from(w)) << (64 * i) as u64);
                }
            }
            v
        }
    }
}

type ClockFn<T> = Box<dyn Fn(&mut T) -> &mut Signal<In, Clock>>;
type SetFn<T> = Box<dyn Fn(&mut T, &[u64])>;
type GetFn<T> = Box<dyn Fn(&T, &mut [u64])>;

enum Access<T> {
    /// Writes `.next` of an input; the last value set is kept to answer `get`.
    In(SetFn<T>, Vec<u64>),
    /// Reads an output.
    Out(GetFn<T>),
}

/// Which signals of a rust-hdl design are its clock and its ports, and their Verilog
/// names. Build it with the methods below, or with [`rhdl_ports!`](crate::rhdl_ports) for
/// fields whose names are the port names:
///
/// ```
/// use seqfab_sim::{rhdl_ports, RhdlSim};
/// use seqfab_sim_testdesign::TestDesign;
///
/// let ports = rhdl_ports!(TestDesign { clock: clock, inputs: [enable, step], outputs: [count] })
///     // Array and interface ports: the Verilog name and a path to the signal.
///     .output("taps$0", |x| &x.taps[0]);
/// let mut sim = RhdlSim::new(TestDesign::default(), ports)?;
/// sim.uut_mut().enable.next = true;
/// sim.uut_mut().step.next = 5.into();
/// sim.tick()?;
/// assert_eq!(sim.uut().count.val(), 5);
/// # Ok::<(), seqfab_sim::Error>(())
/// ```
pub struct RhdlPorts<T> {
    clock: Option<ClockFn<T>>,
    ports: Vec<PortInfo>,
    access: Vec<Access<T>>,
}

impl<T: Block + 'static> Default for RhdlPorts<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Block + 'static> RhdlPorts<T> {
    /// No ports yet.
    pub fn new() -> Self {
        Self {
            clock: None,
            ports: Vec::new(),
            access: Vec::new(),
        }
    }

    /// The clock input (driven by `tick`, not a port).
    pub fn clock(mut self, f: impl Fn(&mut T) -> &mut Signal<In, Clock> + 'static) -> Self {
        self.clock = Some(Box::new(f));
        self
    }

    /// An input port named `name` (the Verilog name, e.g. `mmio$addr`).
    pub fn input<V: PortValue + 'static>(
        mut self,
        name: &'static str,
        f: impl Fn(&mut T) -> &mut Signal<In, V> + 'static,
    ) -> Self {
        let info = PortInfo {
            name,
            width: V::BITS as u32,
            dir: Dir::In,
        };
        self.ports.push(info);
        self.access.push(Access::In(
            Box::new(move |t: &mut T, w: &[u64]| f(t).next = V::from_words(w)),
            vec![0; info.words()],
        ));
        self
    }

    /// An output port named `name`.
    pub fn output<V: PortValue + 'static>(
        mut self,
        name: &'static str,
        f: impl Fn(&T) -> &Signal<Out, V> + 'static,
    ) -> Self {
        self.ports.push(PortInfo {
            name,
            width: V::BITS as u32,
            dir: Dir::Out,
        });
        self.access
            .push(Access::Out(Box::new(move |t: &T, out: &mut [u64]| {
                f(t).val().to_words(out)
            })));
        self
    }
}

/// [`RhdlPorts`] for fields whose names are the Verilog port names:
/// `rhdl_ports!(Design { clock: clock, inputs: [a, b], outputs: [c] })`.
#[macro_export]
macro_rules! rhdl_ports {
    ($t:ty { clock: $clk:ident, inputs: [$($i:ident),* $(,)?], outputs: [$($o:ident),* $(,)?] $(,)? }) => {
        $crate::RhdlPorts::<$t>::new()
            .clock(|x| &mut x.$clk)
            $(.input(stringify!($i), |x| &mut x.$i))*
            $(.output(stringify!($o), |x| &x.$o))*
    };
}

/// A rust-hdl design stepped cycle by cycle (see the [module docs](self)).
pub struct RhdlSim<T> {
    uut: T,
    clock: ClockFn<T>,
    ports: Vec<PortInfo>,
    access: Vec<Access<T>>,
    cycle: u64,
}

impl<T: Block + 'static> RhdlSim<T> {
    /// Connects and checks `uut` (as `Simulation::run` does), sets the clock low and
    /// settles the initial state.
    pub fn new(mut uut: T, ports: RhdlPorts<T>) -> Result<Self, Error> {
        let clock = ports.clock.ok_or(Error::NoClock)?;
        for (i, p) in ports.ports.iter().enumerate() {
            if ports.ports[..i].iter().any(|q| q.name == p.name) {
                return Err(Error::RhdlCheck(format!("port `{}` listed twice", p.name)));
            }
        }
        uut.connect_all();
        check_all(&uut).map_err(|e| Error::RhdlCheck(format!("{e:?}")))?;
        let mut sim = Self {
            uut,
            clock,
            ports: ports.ports,
            access: ports.access,
            cycle: 0,
        };
        sim.half(false)?;
        Ok(sim)
    }

    /// The design (read its signals directly between ticks).
    pub fn uut(&self) -> &T {
        &self.uut
    }

    /// The design, to set `.next` of signals directly (they take effect at the next tick).
    pub fn uut_mut(&mut self) -> &mut T {
        &mut self.uut
    }

    /// Clock cycles since [`new`](Self::new).
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    /// One clock cycle (clock low and settle, clock high and settle).
    pub fn tick(&mut self) -> Result<(), Error> {
        self.half(false)?;
        self.half(true)?;
        self.cycle += 1;
        Ok(())
    }

    fn half(&mut self, level: bool) -> Result<(), Error> {
        (self.clock)(&mut self.uut).next = Clock::from(level);
        if simulate(&mut self.uut, MAX_SETTLE_ROUNDS) {
            Ok(())
        } else {
            Err(Error::FailedToConverge { cycle: self.cycle })
        }
    }
}

impl<T: Block + 'static> CycleSim for RhdlSim<T> {
    fn sim_name(&self) -> &str {
        "rust-hdl"
    }

    fn ports(&self) -> &[PortInfo] {
        &self.ports
    }

    fn set(&mut self, port: usize, words: &[u64]) {
        let info = self.ports[port];
        info.check_set(words.len());
        match &mut self.access[port] {
            Access::In(set, last) => {
                set(&mut self.uut, words);
                last.copy_from_slice(words);
                // Read back what the signal holds, so `get` ignores bits above the width
                // exactly as the Verilator model does.
                let top = last.len() - 1;
                let used = info.width as usize - 64 * top;
                if used < 64 {
                    last[top] &= (1u64 << used) - 1;
                }
            }
            Access::Out(_) => unreachable!("`check_set` passed: port `{}` is an input", info.name),
        }
    }

    fn get(&self, port: usize, out: &mut [u64]) {
        self.ports[port].check_get(out.len());
        match &self.access[port] {
            Access::In(_, last) => out.copy_from_slice(last),
            Access::Out(get) => get(&self.uut, out),
        }
    }

    fn tick(&mut self) -> Result<(), Error> {
        RhdlSim::tick(self)
    }
}
