//! Test helper: a block in rust-hdl's simulator stepped one clock at a time from the test
//! itself (as `card::RustHdlCard` does), which keeps per-cycle stimulus and checks in
//! plain Rust instead of a testbench thread.

use rust_hdl::prelude::*;

const SETTLE_ITERATIONS: usize = 100;

pub(crate) struct Clocked<T: Block> {
    pub uut: Box<T>,
    clock: fn(&mut T) -> &mut Signal<In, Clock>,
    pub cycle: u64,
}

impl<T: Block> Clocked<T> {
    pub fn new(uut: T, clock: fn(&mut T) -> &mut Signal<In, Clock>) -> Self {
        let mut uut = Box::new(uut);
        uut.connect_all();
        clock(&mut uut).next = Clock { clk: false };
        assert!(simulate(uut.as_mut(), SETTLE_ITERATIONS), "does not settle");
        Clocked {
            uut,
            clock,
            cycle: 0,
        }
    }

    /// Settles the inputs set since the last edge, clock low: outputs read after this are
    /// the values the next rising edge sees.
    pub fn settle(&mut self) {
        (self.clock)(&mut self.uut).next = Clock { clk: false };
        assert!(
            simulate(self.uut.as_mut(), SETTLE_ITERATIONS),
            "does not settle"
        );
    }

    /// The rising edge.
    pub fn edge(&mut self) {
        (self.clock)(&mut self.uut).next = Clock { clk: true };
        assert!(
            simulate(self.uut.as_mut(), SETTLE_ITERATIONS),
            "does not settle"
        );
        self.cycle += 1;
    }
}
