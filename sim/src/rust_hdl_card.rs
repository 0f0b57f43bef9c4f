//! The card core in rust-hdl's simulator as a [`CardModel`], stepped one clock per call.
//!
//! rust-hdl's `Simulation` runs testbenches as threads against a clock; the cluster and
//! equivalence harnesses instead step every card from one loop. rust-hdl's own
//! `simulate()` settles the combinational logic, so a clock is: set the inputs, settle
//! with the clock low, read the outputs (the pre-edge values the [`CardModel`] contract
//! asks for), raise the clock and settle again.

use rust_hdl::prelude::*;
use seqfab_contract::frame::FRAME_BYTES;
use seqfab_gateware::bits::{bits_from_bytes, bytes_from_bits};
use seqfab_gateware::card::CardCoreOf;
use seqfab_gateware::fabric::plane::{FabricPort, NARROW, WIDE};
use seqfab_testbench::pins::{CardInputs, CardModel, CardOutputs, MacIn, MacOut};

/// Passes through `simulate` allowed for the logic to settle.
const SETTLE_ITERATIONS: usize = 200;

/// The card core with `W`-bit fabric ports in rust-hdl's simulator. Narrow ports use the
/// first `W / 8` bytes of [`MacIn::rx_data`] and [`MacOut::tx_data`] (wrap the card in
/// `seqfab_testbench::narrow::Narrow` to give it whole frames).
pub struct RustHdlCardOf<const W: usize, const B: usize> {
    core: Box<CardCoreOf<W, B>>,
}

/// The 512-bit card (one frame a beat).
pub type RustHdlCard = RustHdlCardOf<{ WIDE.0 }, { WIDE.1 }>;
/// The 32-bit card.
pub type RustHdlNarrowCard = RustHdlCardOf<{ NARROW.0 }, { NARROW.1 }>;

impl<const W: usize, const B: usize> Default for RustHdlCardOf<W, B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const W: usize, const B: usize> RustHdlCardOf<W, B> {
    pub fn new() -> Self {
        let mut core = Box::new(CardCoreOf::<W, B>::new());
        core.connect_all();
        core.clock.next = Clock { clk: false };
        assert!(
            simulate(core.as_mut(), SETTLE_ITERATIONS),
            "card core does not settle"
        );
        Self { core }
    }
}

fn drive_mac<const W: usize, const B: usize>(port: &mut FabricPort<W, B>, m: &MacIn) {
    port.rx_data.next = bits_from_bytes(&m.rx_data[..W / 8]);
    port.rx_valid.next = m.rx_valid;
    port.rx_last.next = m.rx_last;
    port.rx_bytes.next = (m.rx_bytes as u64).into();
    port.tx_ready.next = m.tx_ready;
    port.link_up.next = m.link_up;
}

fn sample_mac<const W: usize, const B: usize>(port: &FabricPort<W, B>) -> MacOut {
    let mut tx_data = [0u8; FRAME_BYTES];
    let beat: [u8; FRAME_BYTES] = bytes_from_bits(port.tx_data.val());
    tx_data[..W / 8].copy_from_slice(&beat[..W / 8]);
    MacOut {
        tx_data,
        tx_valid: port.tx_valid.val(),
        tx_last: port.tx_last.val(),
        tx_bytes: port.tx_bytes.val().to_u64() as u8,
        rx_ready: port.rx_ready.val(),
    }
}

impl<const W: usize, const B: usize> CardModel for RustHdlCardOf<W, B> {
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
