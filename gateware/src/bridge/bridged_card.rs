//! [`BridgedCard`]: a whole card whose host port is the UART bridge, and
//! [`BridgedCardSim`], which steps it in rust-hdl's simulator one clock at a time with the
//! serial pins as plain booleans.
//!
//! This is what a Versa board top holds (less its clocks and PHYs): [`UartHostBridge`]
//! wired name for name to [`CardCore`]'s host port. The fabric ports stay outside, as on
//! the card core. The stepping follows `card::RustHdlCard`: inputs set, logic settled with
//! the clock low, outputs read (the values before the edge), clock raised, settled again.

use super::UartHostBridge;
use crate::card::CardCore;
use crate::fabric::plane::WidePort;
use rust_hdl::prelude::*;

/// The card core behind a UART host bridge.
#[derive(LogicBlock)]
pub struct BridgedCard {
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Serial input from the host.
    pub rx: Signal<In, Bit>,
    /// Serial output to the host.
    pub tx: Signal<Out, Bit>,
    /// Fabric plane X, passed through to the core.
    pub x: WidePort,
    /// Fabric plane Y, passed through to the core.
    pub y: WidePort,
    bridge: UartHostBridge,
    core: CardCore,
}

impl BridgedCard {
    /// A card whose UART runs at `clocks_per_bit` card clocks per bit.
    pub fn new(clocks_per_bit: u32) -> Self {
        Self {
            clock: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            x: Default::default(),
            y: Default::default(),
            bridge: UartHostBridge::new(clocks_per_bit),
            core: CardCore::new(),
        }
    }
}

impl Logic for BridgedCard {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, bridge, core);
        self.bridge.rx.next = self.rx.val();
        self.tx.next = self.bridge.tx.val();
        // Host port, name for name.
        self.core.mmio_addr.next = self.bridge.mmio_addr.val();
        self.core.mmio_wdata.next = self.bridge.mmio_wdata.val();
        self.core.mmio_write.next = self.bridge.mmio_write.val();
        self.core.mmio_read.next = self.bridge.mmio_read.val();
        self.bridge.mmio_rdata.next = self.core.mmio_rdata.val();
        self.bridge.mmio_rvalid.next = self.core.mmio_rvalid.val();
        self.bridge.dma_addr.next = self.core.dma_addr.val();
        self.bridge.dma_data.next = self.core.dma_data.val();
        self.bridge.dma_valid.next = self.core.dma_valid.val();
        self.core.dma_ready.next = self.bridge.dma_ready.val();
        self.bridge.irq.next = self.core.irq.val();
        // Fabric ports, through.
        self.core.x.rx_data.next = self.x.rx_data.val();
        self.core.x.rx_valid.next = self.x.rx_valid.val();
        self.core.x.rx_last.next = self.x.rx_last.val();
        self.core.x.rx_bytes.next = self.x.rx_bytes.val();
        self.x.rx_ready.next = self.core.x.rx_ready.val();
        self.x.tx_data.next = self.core.x.tx_data.val();
        self.x.tx_valid.next = self.core.x.tx_valid.val();
        self.x.tx_last.next = self.core.x.tx_last.val();
        self.x.tx_bytes.next = self.core.x.tx_bytes.val();
        self.core.x.tx_ready.next = self.x.tx_ready.val();
        self.core.x.link_up.next = self.x.link_up.val();
        self.core.y.rx_data.next = self.y.rx_data.val();
        self.core.y.rx_valid.next = self.y.rx_valid.val();
        self.core.y.rx_last.next = self.y.rx_last.val();
        self.core.y.rx_bytes.next = self.y.rx_bytes.val();
        self.y.rx_ready.next = self.core.y.rx_ready.val();
        self.y.tx_data.next = self.core.y.tx_data.val();
        self.y.tx_valid.next = self.core.y.tx_valid.val();
        self.y.tx_last.next = self.core.y.tx_last.val();
        self.y.tx_bytes.next = self.core.y.tx_bytes.val();
        self.core.y.tx_ready.next = self.y.tx_ready.val();
        self.core.y.link_up.next = self.y.link_up.val();
    }
}

/// The Verilog of a bridged card (the card core needs a deep stack to generate).
pub fn bridged_card_verilog(clocks_per_bit: u32) -> String {
    crate::big_stack::run(move || {
        let mut card = BridgedCard::new(clocks_per_bit);
        card.connect_all();
        generate_verilog(&card)
    })
}

/// Passes through `simulate` allowed for the logic to settle (as `card::RustHdlCard`).
const SETTLE_ITERATIONS: usize = 200;

/// A [`BridgedCard`] in rust-hdl's simulator, one clock per [`BridgedCardSim::step`],
/// fabric links down (a lone card: the host bridge and everything behind the host port
/// work; a card issues numbers only with a fabric partner).
pub struct BridgedCardSim {
    card: Box<BridgedCard>,
    cycle: u64,
}

impl BridgedCardSim {
    pub fn new(clocks_per_bit: u32) -> Self {
        // rust-hdl's connection pass recurses through the block tree: deeper than a test
        // thread's stack for a whole card (`crate::big_stack`).
        let mut card = crate::big_stack::run(|| {
            let mut card = Box::new(BridgedCard::new(clocks_per_bit));
            card.connect_all();
            card
        });
        for p in [&mut card.x, &mut card.y] {
            p.link_up.next = false;
            p.tx_ready.next = true;
            p.rx_valid.next = false;
        }
        card.rx.next = true;
        card.clock.next = Clock { clk: false };
        assert!(
            simulate(card.as_mut(), SETTLE_ITERATIONS),
            "bridged card does not settle"
        );
        BridgedCardSim { card, cycle: 0 }
    }

    /// One clock with `rx` on the serial input; returns the serial output before the edge.
    pub fn step(&mut self, rx: bool) -> bool {
        let c = self.card.as_mut();
        c.rx.next = rx;
        c.clock.next = Clock { clk: false };
        assert!(
            simulate(c, SETTLE_ITERATIONS),
            "bridged card does not settle"
        );
        let tx = c.tx.val();
        c.clock.next = Clock { clk: true };
        assert!(
            simulate(c, SETTLE_ITERATIONS),
            "bridged card does not settle"
        );
        self.cycle += 1;
        tx
    }

    /// Clocks stepped so far.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }
}

#[cfg(test)]
mod tests;
