//! The card core as a [`CardModel`] in either simulator.
//!
//! [`VerilatedCard`] drives the Verilator model built from the card core's Verilog by
//! `build.rs`; `crate::rust_hdl_card::RustHdlCard` is the same card in rust-hdl's
//! simulator. Both follow the [`CardModel`] stepping contract exactly, which is what the
//! equivalence test compares.

use crate::models::card::Model;
use seqfab_testbench::pins::{
    bytes_from_words, words_from_bytes, CardInputs, CardModel, CardOutputs, MacIn, MacOut,
};
use std::path::PathBuf;

/// Which simulator runs the cards (also the command line's `--model`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Simulator {
    /// The card core's Verilog under Verilator (fast).
    Verilator,
    /// The card core in rust-hdl's own simulator (slow; the reference).
    RustHdl,
}

/// What a cluster's cards are made of: the simulator, and for Verilator an optional VCD
/// trace of node 0's card ([`make_card`] makes one).
#[derive(Clone, Debug)]
pub struct CardKind {
    pub simulator: Simulator,
    /// Trace node 0's card here (Verilator only: rust-hdl's simulator writes no VCD, and
    /// the command line refuses `--vcd` with it).
    pub vcd: Option<PathBuf>,
}

/// The card core under Verilator.
pub struct VerilatedCard {
    model: Model,
}

impl Default for VerilatedCard {
    fn default() -> Self {
        Self::new()
    }
}

impl VerilatedCard {
    pub fn new() -> Self {
        VerilatedCard {
            model: Model::new(),
        }
    }

    /// Starts a VCD waveform of this card.
    pub fn trace_to(&mut self, path: &std::path::Path) -> Result<(), crate::Error> {
        self.model.trace_to(path)
    }
}

macro_rules! mac_ports {
    ($m:expr, $input:expr, $set_data:ident, $set_valid:ident, $set_last:ident, $set_bytes:ident, $set_tx_ready:ident, $set_link:ident) => {{
        let i: &MacIn = $input;
        $m.$set_data(&words_from_bytes::<8>(&i.rx_data));
        $m.$set_valid(i.rx_valid as u64);
        $m.$set_last(i.rx_last as u64);
        $m.$set_bytes(i.rx_bytes as u64);
        $m.$set_tx_ready(i.tx_ready as u64);
        $m.$set_link(i.link_up as u64);
    }};
}

macro_rules! mac_out {
    ($m:expr, $data:ident, $valid:ident, $last:ident, $bytes:ident, $rx_ready:ident) => {
        MacOut {
            tx_data: bytes_from_words::<64>(&$m.$data()),
            tx_valid: $m.$valid() != 0,
            tx_last: $m.$last() != 0,
            tx_bytes: $m.$bytes() as u8,
            rx_ready: $m.$rx_ready() != 0,
        }
    };
}

impl CardModel for VerilatedCard {
    fn step(&mut self, i: &CardInputs) -> CardOutputs {
        let m = &mut self.model;
        m.set_mmio_addr(i.mmio_addr as u64);
        m.set_mmio_wdata(i.mmio_wdata);
        m.set_mmio_write(i.mmio_write as u64);
        m.set_mmio_read(i.mmio_read as u64);
        m.set_dma_ready(i.dma_ready as u64);
        mac_ports!(
            m,
            &i.x,
            set_x_rx_data,
            set_x_rx_valid,
            set_x_rx_last,
            set_x_rx_bytes,
            set_x_tx_ready,
            set_x_link_up
        );
        mac_ports!(
            m,
            &i.y,
            set_y_rx_data,
            set_y_rx_valid,
            set_y_rx_last,
            set_y_rx_bytes,
            set_y_tx_ready,
            set_y_link_up
        );
        // Settle the new inputs with the clock low, read the pre-edge outputs, then the
        // rising edge: two evaluations per clock.
        m.clock_low();
        let out = CardOutputs {
            mmio_rdata: m.get_mmio_rdata(),
            mmio_rvalid: m.get_mmio_rvalid() != 0,
            dma_addr: m.get_dma_addr(),
            dma_data: bytes_from_words::<32>(&m.get_dma_data()),
            dma_valid: m.get_dma_valid() != 0,
            irq: {
                let lines = m.get_irq();
                std::array::from_fn(|q| lines >> q & 1 == 1)
            },
            x: mac_out!(
                m,
                get_x_tx_data,
                get_x_tx_valid,
                get_x_tx_last,
                get_x_tx_bytes,
                get_x_rx_ready
            ),
            y: mac_out!(
                m,
                get_y_tx_data,
                get_y_tx_valid,
                get_y_tx_last,
                get_y_tx_bytes,
                get_y_rx_ready
            ),
        };
        m.clock_high();
        out
    }
}

/// A card of the chosen kind, boxed so a cluster can hold either.
pub fn make_card(kind: &CardKind, node: usize) -> Result<Box<dyn CardModel>, crate::Error> {
    Ok(match kind.simulator {
        Simulator::Verilator => {
            let mut card = VerilatedCard::new();
            if let (0, Some(path)) = (node, &kind.vcd) {
                card.trace_to(path)?;
            }
            Box::new(card)
        }
        Simulator::RustHdl => Box::new(crate::rust_hdl_card::RustHdlCard::new()),
    })
}
