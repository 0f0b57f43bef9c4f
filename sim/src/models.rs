//! The Verilator models built by `build.rs`, one module each: `models::card` (the card
//! core, 512-bit fabric ports), `models::card_narrow` (the card core, 32-bit fabric
//! ports) and `models::testdesign` (the regression design of this infrastructure).
//!
//! Every module has a `PORTS` table and a `Model` type with:
//!
//! - `Model::new()`: inputs zero, clock low, initial state evaluated.
//! - `tick()` / `ticks(n)`: whole clock cycles. **Edge convention**: inputs set before
//!   `tick()` are sampled at its rising edge; outputs read after `tick()` are the values
//!   after that edge (registered outputs show the new state, combinational outputs follow
//!   the current inputs). One tick is `clock = 0; eval(); clock = 1; eval()`.
//! - `eval()`: settles combinational logic after setting inputs, without a clock edge (to
//!   read an output that depends combinationally on an input before the next tick).
//! - `set_<port>(value)` for inputs and `get_<port>()` for every port: `u64` for ports of
//!   at most 64 bits, `[u64; W]` (little-endian words, word 0 = bits 63:0) for wider ones.
//!   Rust names replace `$` (rust-hdl's array/interface separator) with `_`:
//!   `taps$0` -> `set_taps_0`. Bits above the port's width are ignored.
//! - `set_port(index, &words)` / `get_port(index, &mut words)` / `port_index(name)`: the
//!   same by index into `PORTS`, for generic code such as [`crate::equiv`].
//! - `trace_to(path)`, `trace_flush()`, `trace_close()`: VCD waveform (cargo feature
//!   `trace`; without it `trace_to` returns [`Error::TraceNotBuilt`](crate::Error)).
//! - `cycle()`: ticks since `new()`.
//! - It implements [`CycleSim`](crate::CycleSim), and drops cleanly (closes the trace,
//!   runs Verilog `final` blocks, frees the model).

/// The part of every generated `Model` that does not depend on its ports.
macro_rules! verilated_model {
    ($model:ident, $vtable:path) => {
        /// The Verilator model. See the [module docs](crate::models) for the edge
        /// convention and the accessors.
        pub struct Model {
            raw: crate::ffi::RawModel,
            cycle: u64,
        }

        impl Default for Model {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Debug for Model {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(concat!("models::", stringify!($model), "::Model"))
                    .field("cycle", &self.cycle)
                    .finish_non_exhaustive()
            }
        }

        impl Model {
            /// A new model: inputs zero, clock low, initial state evaluated.
            pub fn new() -> Self {
                Self {
                    raw: crate::ffi::RawModel::new($vtable(), PORTS),
                    cycle: 0,
                }
            }

            /// One clock cycle: inputs set before are sampled at the rising edge; outputs
            /// read after are the post-edge values.
            #[inline]
            pub fn tick(&mut self) {
                self.raw.tick(1);
                self.cycle += 1;
            }

            /// The first half of a cycle: clock low, eval. Outputs then show the values
            /// just before the next rising edge for the inputs set so far.
            #[inline]
            pub fn clock_low(&mut self) {
                self.raw.half(false);
            }

            /// The second half: clock high, eval (the rising edge). `clock_low()` then
            /// `clock_high()` is one `tick()` with one eval less than `eval()` + `tick()`.
            #[inline]
            pub fn clock_high(&mut self) {
                self.raw.half(true);
                self.cycle += 1;
            }

            /// `n` clock cycles with the inputs held.
            #[inline]
            pub fn ticks(&mut self, n: u64) {
                self.raw.tick(n);
                self.cycle += n;
            }

            /// Settles combinational logic after input changes, without a clock edge.
            #[inline]
            pub fn eval(&mut self) {
                self.raw.eval();
            }

            /// Clock cycles since [`new`](Self::new).
            pub fn cycle(&self) -> u64 {
                self.cycle
            }

            /// Index of the port named `name` (Verilog spelling, `$` included) in `PORTS`.
            pub fn port_index(name: &str) -> Option<usize> {
                PORTS.iter().position(|p| p.name == name)
            }

            /// Sets input `PORTS[port]` from little-endian words.
            ///
            /// # Panics
            /// If the port is not an input or `words.len()` is not its word count.
            pub fn set_port(&mut self, port: usize, words: &[u64]) {
                self.raw.set(port, words);
            }

            /// Reads `PORTS[port]` into little-endian words.
            ///
            /// # Panics
            /// If `out.len()` is not the port's word count.
            pub fn get_port(&self, port: usize, out: &mut [u64]) {
                self.raw.get(port, out);
            }

            /// Starts a VCD waveform at `path` (replacing an open one). Call it before the
            /// first tick for a complete waveform. Time is in ps at the nominal 250 MHz
            /// clock: cycle n's rising edge is at 4000*n + 2000.
            pub fn trace_to(
                &mut self,
                path: impl AsRef<std::path::Path>,
            ) -> Result<(), crate::Error> {
                self.raw.trace_open(path.as_ref())
            }

            /// Writes buffered waveform data to the file.
            pub fn trace_flush(&mut self) {
                self.raw.trace_flush();
            }

            /// Closes the waveform file (also done on drop).
            pub fn trace_close(&mut self) {
                self.raw.trace_close();
            }
        }

        impl crate::CycleSim for Model {
            fn sim_name(&self) -> &str {
                concat!("verilator:", stringify!($model))
            }
            fn ports(&self) -> &[crate::PortInfo] {
                PORTS
            }
            fn set(&mut self, port: usize, words: &[u64]) {
                self.raw.set(port, words);
            }
            fn get(&self, port: usize, out: &mut [u64]) {
                self.raw.get(port, out);
            }
            fn tick(&mut self) -> Result<(), crate::Error> {
                Model::tick(self);
                Ok(())
            }
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/models.rs"));
