//! [`UartHostBridge`]: the card core's host port on one side, two serial pins on the other.
//!
//! The host-port signals have the card core's names and widths (docs/gateware.md, "Host
//! port"; `card::CardCore`), directions mirrored, so a board top wires the two blocks
//! name for name; `rx`/`tx` go to the FT2232H (its TXD drives `rx`). The one parameter is
//! `clocks_per_bit`, from [`seqfab_contract::bridge::uart_rate`] for the board's card
//! clock.

use super::{BridgeDecoder, BridgeEncoder, UartRx, UartTx};
use crate::widgets::StreamSource;
use rust_hdl::prelude::*;
use seqfab_contract::limits::QUEUES;

/// The UART host bridge (see the module doc and [`super`]).
#[derive(LogicBlock)]
pub struct UartHostBridge {
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Serial input from the host (idle high), asynchronous.
    pub rx: Signal<In, Bit>,
    /// Serial output to the host (idle high).
    pub tx: Signal<Out, Bit>,
    /// To the card: MMIO byte offset in BAR0.
    pub mmio_addr: Signal<Out, Bits<32>>,
    /// To the card: MMIO write data.
    pub mmio_wdata: Signal<Out, Bits<64>>,
    /// To the card: write strobe.
    pub mmio_write: Signal<Out, Bit>,
    /// To the card: read strobe.
    pub mmio_read: Signal<Out, Bit>,
    /// From the card: read data.
    pub mmio_rdata: Signal<In, Bits<64>>,
    /// From the card: read data valid, two cycles after the strobe.
    pub mmio_rvalid: Signal<In, Bit>,
    /// From the card: DMA write address.
    pub dma_addr: Signal<In, Bits<64>>,
    /// From the card: DMA write data (32 bytes, byte 0 in bits 7:0).
    pub dma_data: Signal<In, Bits<256>>,
    /// From the card: a DMA write is offered.
    pub dma_valid: Signal<In, Bit>,
    /// To the card: the bridge takes the DMA write (low while the UART is busy).
    pub dma_ready: Signal<Out, Bit>,
    /// From the card: interrupt pulses, bit q for queue q.
    pub irq: Signal<In, Bits<QUEUES>>,
    receiver: UartRx,
    transmitter: UartTx,
    decoder: BridgeDecoder,
    encoder: BridgeEncoder,
}

impl UartHostBridge {
    /// A bridge whose UART runs at `clocks_per_bit` card clocks per bit.
    pub fn new(clocks_per_bit: u32) -> Self {
        Self {
            clock: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            mmio_addr: Default::default(),
            mmio_wdata: Default::default(),
            mmio_write: Default::default(),
            mmio_read: Default::default(),
            mmio_rdata: Default::default(),
            mmio_rvalid: Default::default(),
            dma_addr: Default::default(),
            dma_data: Default::default(),
            dma_valid: Default::default(),
            dma_ready: Default::default(),
            irq: Default::default(),
            receiver: UartRx::new(clocks_per_bit),
            transmitter: UartTx::new(clocks_per_bit),
            decoder: BridgeDecoder::new(clocks_per_bit),
            encoder: BridgeEncoder::new(),
        }
    }
}

impl Logic for UartHostBridge {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, receiver, transmitter, decoder, encoder);
        // Host -> card.
        self.receiver.rx.next = self.rx.val();
        self.decoder.rx_data.next = self.receiver.data.val();
        self.decoder.rx_strobe.next = self.receiver.strobe.val();
        self.decoder.rx_error.next = self.receiver.error.val();
        self.mmio_addr.next = self.decoder.mmio_addr.val();
        self.mmio_wdata.next = self.decoder.mmio_wdata.val();
        self.mmio_write.next = self.decoder.mmio_write.val();
        self.mmio_read.next = self.decoder.mmio_read.val();
        self.decoder.mmio_rdata.next = self.mmio_rdata.val();
        self.decoder.mmio_rvalid.next = self.mmio_rvalid.val();
        // Card -> host.
        StreamSource::<super::ReadReply>::join(
            &mut self.decoder.replies,
            &mut self.encoder.replies,
        );
        self.encoder.dma.data.next.addr = self.dma_addr.val();
        self.encoder.dma.data.next.data = self.dma_data.val();
        self.encoder.dma.valid.next = self.dma_valid.val();
        self.dma_ready.next = self.encoder.dma.ready.val();
        self.encoder.irq.next = self.irq.val();
        StreamSource::<Bits<8>>::join(&mut self.encoder.bytes, &mut self.transmitter.bytes);
        self.tx.next = self.transmitter.tx.val();
    }
}

#[cfg(test)]
mod tests;
