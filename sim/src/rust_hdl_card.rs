//! The card core in rust-hdl's simulator as a [`CardModel`], stepped one clock per call.
//!
//! rust-hdl's `Simulation` runs testbenches as threads against a clock; the cluster and
//! equivalence harnesses instead step every card from one loop. rust-hdl's own
//! `simulate()` settles the combinational logic, so a clock is: set the inputs, settle
//! with the clock low, read the outputs (the pre-edge values the [`CardModel`] contract
//! asks for), raise the clock and settle again.

use rust_hdl::prelude::*;
use seqfab_gateware::bits::{bits_from_bytes, bytes_from_bits};
use seqfab_gateware::card::CardCore;
use seqfab_gateware::fabric::plane::FabricPort;
use seqfab_testbench::pins::{CardInputs, CardModel, CardOutputs, MacIn, MacOut};

/// Passes through `simulate` allowed for the logic to settle.
const SETTLE_ITERATIONS: usize = 200;

pub struct RustHdlCard {
    core: Box<CardCore>,
}

impl Default for RustHdlCard {
    fn default() -> Self {
        Self::new()
    }
}

impl RustHdlCard {
    pub fn new() -> Self {
        let mut core = Box::new(CardCore::new());
        core.connect_all();
        core.clock.next = Clock { clk: false };
        assert!(
            simulate(core.as_mut(), SETTLE_ITERATIONS),
            "card core does not settle"
        );
        RustHdlCard { core }
    }
}

fn drive_mac(port: &mut FabricPort, m: &MacIn) {
    port.rx_data.next = bits_from_bytes(&m.rx_data);
    port.rx_valid.next = m.rx_valid;
    port.rx_last.next = m.rx_last;
    port.rx_bytes.next = (m.rx_bytes as u64).into();
    port.tx_ready.next = m.tx_ready;
    port.link_up.next = m.link_up;
}

fn sample_mac(port: &FabricPort) -> MacOut {
    MacOut {
        tx_data: bytes_from_bits(port.tx_data.val()),
        tx_valid: port.tx_valid.val(),
        tx_last: port.tx_last.val(),
        tx_bytes: port.tx_bytes.val().to_u64() as u8,
        rx_ready: port.rx_ready.val(),
    }
}

impl CardModel for RustHdlCard {
    fn step(&mut self, i: &CardInputs) -> CardOutputs {
        let c = self.core.as_mut();
        c.mmio_addr.next = (i.mmio_addr as u64).into();
        c.mmio_wdata.next = i.mmio_wdata.into();
        c.mmio_write.next = i.mmio_write;
        c.mmio_read.next = i.mmio_read;
        c.dma_ready.next = i.dma_ready;
        drive_mac(&mut c.x, &i.x);
        drive_mac(&mut c.y, &i.y);
        c.clock.next = Clock { clk: false };
        assert!(simulate(c, SETTLE_ITERATIONS), "card core does not settle");
        let lines = c.irq.val().to_u64();
        let irq = std::array::from_fn(|q| lines >> q & 1 == 1);
        let out = CardOutputs {
            mmio_rdata: c.mmio_rdata.val().to_u64(),
            mmio_rvalid: c.mmio_rvalid.val(),
            dma_addr: c.dma_addr.val().to_u64(),
            dma_data: bytes_from_bits(c.dma_data.val()),
            dma_valid: c.dma_valid.val(),
            irq,
            x: sample_mac(&c.x),
            y: sample_mac(&c.y),
        };
        c.clock.next = Clock { clk: true };
        assert!(simulate(c, SETTLE_ITERATIONS), "card core does not settle");
        out
    }
}
