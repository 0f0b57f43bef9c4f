//! The card core as a [`CardModel`] in either simulator.
//!
//! [`VerilatedCard`] drives the Verilator model built from the card core's Verilog by
//! `build.rs`; `crate::rust_hdl_card::RustHdlCard` is the same card in rust-hdl's
//! simulator. Both follow the [`CardModel`] stepping contract exactly, which is what the
//! equivalence test compares.

use seqfab_contract::frame::FRAME_BYTES;
use seqfab_testbench::narrow::Narrow;
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

/// The width of the cards' fabric ports (also the command line's `--fabric`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FabricWidth {
    /// 512-bit beats, one frame a beat (a 100G MAC; the figures in the README).
    #[default]
    #[value(name = "512")]
    Wide,
    /// 32-bit beats, 16 a frame (gigabit PHYs, as on the ECP5-5G Versa), each plane
    /// behind `seqfab_testbench::narrow::Narrow`.
    #[value(name = "32")]
    Narrow,
}

impl FabricWidth {
    /// Clocks a frame may spend on a card's links at this width beyond the fabric model.
    pub fn link_delay(self) -> u64 {
        match self {
            FabricWidth::Wide => 0,
            FabricWidth::Narrow => seqfab_testbench::narrow::max_delay(NARROW_BEAT_BYTES),
        }
    }
}

/// What a cluster's cards are made of: the simulator, the fabric width, and for Verilator
/// an optional VCD trace of node 0's card ([`make_card`] makes one).
#[derive(Clone, Debug)]
pub struct CardKind {
    pub simulator: Simulator,
    pub width: FabricWidth,
    /// Trace node 0's card here (Verilator only: rust-hdl's simulator writes no VCD, and
    /// the command line refuses `--vcd` with it).
    pub vcd: Option<PathBuf>,
}

/// Generates a card type over one Verilator model of the card core; the two models
/// differ only in the width of the fabric ports' data, which `$to_port`/`$from_port`
/// convert from and to the testbench's frame-sized byte arrays (`&` last when the data
/// setter takes its words by reference, as it does for ports wider than 64 bits).
macro_rules! verilated_card {
    ($(#[$doc:meta])* $name:ident, $model:path, $to_port:expr, $from_port:expr $(, $by_ref:tt)?) => {
        $(#[$doc])*
        pub struct $name {
            model: $model,
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl $name {
            pub fn new() -> Self {
                Self {
                    model: <$model>::new(),
                }
            }

            /// Starts a VCD waveform of this card.
            pub fn trace_to(&mut self, path: &std::path::Path) -> Result<(), crate::Error> {
                self.model.trace_to(path)
            }
        }

        impl CardModel for $name {
            fn step(&mut self, i: &CardInputs) -> CardOutputs {
                let to_port = $to_port;
                let from_port = $from_port;
                let m = &mut self.model;
                m.set_mmio_addr(i.mmio_addr as u64);
                m.set_mmio_wdata(i.mmio_wdata);
                m.set_mmio_write(i.mmio_write as u64);
                m.set_mmio_read(i.mmio_read as u64);
                m.set_dma_ready(i.dma_ready as u64);
                m.set_x_rx_data($($by_ref)? to_port(&i.x));
                m.set_x_rx_valid(i.x.rx_valid as u64);
                m.set_x_rx_last(i.x.rx_last as u64);
                m.set_x_rx_bytes(i.x.rx_bytes as u64);
                m.set_x_tx_ready(i.x.tx_ready as u64);
                m.set_x_link_up(i.x.link_up as u64);
                m.set_y_rx_data($($by_ref)? to_port(&i.y));
                m.set_y_rx_valid(i.y.rx_valid as u64);
                m.set_y_rx_last(i.y.rx_last as u64);
                m.set_y_rx_bytes(i.y.rx_bytes as u64);
                m.set_y_tx_ready(i.y.tx_ready as u64);
                m.set_y_link_up(i.y.link_up as u64);
                // Settle the new inputs with the clock low, read the pre-edge outputs, then
                // the rising edge: two evaluations per clock.
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
                    x: MacOut {
                        tx_data: from_port(m.get_x_tx_data()),
                        tx_valid: m.get_x_tx_valid() != 0,
                        tx_last: m.get_x_tx_last() != 0,
                        tx_bytes: m.get_x_tx_bytes() as u8,
                        rx_ready: m.get_x_rx_ready() != 0,
                    },
                    y: MacOut {
                        tx_data: from_port(m.get_y_tx_data()),
                        tx_valid: m.get_y_tx_valid() != 0,
                        tx_last: m.get_y_tx_last() != 0,
                        tx_bytes: m.get_y_tx_bytes() as u8,
                        rx_ready: m.get_y_rx_ready() != 0,
                    },
                };
                m.clock_high();
                out
            }
        }
    };
}

verilated_card!(
    /// The card core with 512-bit fabric ports under Verilator.
    VerilatedCard,
    crate::models::card::Model,
    |m: &MacIn| words_from_bytes::<8>(&m.rx_data),
    |w: [u64; 8]| bytes_from_words::<FRAME_BYTES>(&w),
    &
);

verilated_card!(
    /// The card core with 32-bit fabric ports under Verilator; the beat is the first
    /// 4 bytes of the testbench's arrays (wrap it in `seqfab_testbench::narrow::Narrow`
    /// to give it whole frames).
    VerilatedNarrowCard,
    crate::models::card_narrow::Model,
    |m: &MacIn| words_from_bytes::<1>(&m.rx_data[..4])[0],
    |w: u64| bytes_from_words::<FRAME_BYTES>(&[w])
);

/// Bytes a beat of the narrow fabric port.
pub const NARROW_BEAT_BYTES: usize = seqfab_gateware::fabric::plane::NARROW.0 / 8;

/// A card of the chosen kind, boxed so a cluster can hold either.
pub fn make_card(kind: &CardKind, node: usize) -> Result<Box<dyn CardModel>, crate::Error> {
    use crate::rust_hdl_card::{RustHdlCard, RustHdlNarrowCard};
    let trace = match (node, &kind.vcd) {
        (0, Some(path)) => Some(path.as_path()),
        _ => None,
    };
    Ok(match (kind.simulator, kind.width) {
        (Simulator::Verilator, FabricWidth::Wide) => {
            let mut card = VerilatedCard::new();
            if let Some(path) = trace {
                card.trace_to(path)?;
            }
            Box::new(card)
        }
        (Simulator::Verilator, FabricWidth::Narrow) => {
            let mut card = VerilatedNarrowCard::new();
            if let Some(path) = trace {
                card.trace_to(path)?;
            }
            Box::new(Narrow::new(card, NARROW_BEAT_BYTES))
        }
        (Simulator::RustHdl, FabricWidth::Wide) => Box::new(RustHdlCard::new()),
        (Simulator::RustHdl, FabricWidth::Narrow) => {
            Box::new(Narrow::new(RustHdlNarrowCard::new(), NARROW_BEAT_BYTES))
        }
    })
}
