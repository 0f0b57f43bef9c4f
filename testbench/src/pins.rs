//! The card core's ports as plain values, and the one-clock stepping contract.
//!
//! Port names follow `gateware::card::CardCore`; wide buses are byte arrays with byte 0
//! in bits 7:0, as on the hardware.

use seqfab_contract::frame::FRAME_BYTES;
use seqfab_contract::limits::QUEUES;
use seqfab_contract::ring::ENTRY_BYTES;

/// What a MAC drives into one fabric port of the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MacIn {
    pub rx_data: [u8; FRAME_BYTES],
    pub rx_valid: bool,
    pub rx_last: bool,
    pub rx_bytes: u8,
    pub tx_ready: bool,
    pub link_up: bool,
}

impl Default for MacIn {
    fn default() -> Self {
        MacIn {
            rx_data: [0; FRAME_BYTES],
            rx_valid: false,
            rx_last: false,
            rx_bytes: 0,
            tx_ready: true,
            link_up: true,
        }
    }
}

impl MacIn {
    /// Presents one whole frame (one beat) on the receive side.
    pub fn deliver(&mut self, bytes: &[u8; FRAME_BYTES]) {
        self.rx_data = *bytes;
        self.rx_valid = true;
        self.rx_last = true;
        self.rx_bytes = FRAME_BYTES as u8;
    }
}

/// What one fabric port of the card drives towards its MAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MacOut {
    pub tx_data: [u8; FRAME_BYTES],
    pub tx_valid: bool,
    pub tx_last: bool,
    pub tx_bytes: u8,
    pub rx_ready: bool,
}

impl Default for MacOut {
    fn default() -> Self {
        MacOut {
            tx_data: [0; FRAME_BYTES],
            tx_valid: false,
            tx_last: false,
            tx_bytes: 0,
            rx_ready: false,
        }
    }
}

/// The card's input ports for one clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CardInputs {
    pub mmio_addr: u32,
    pub mmio_wdata: u64,
    pub mmio_write: bool,
    pub mmio_read: bool,
    pub dma_ready: bool,
    pub x: MacIn,
    pub y: MacIn,
}

/// The card's output ports, as seen before the clock edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CardOutputs {
    pub mmio_rdata: u64,
    pub mmio_rvalid: bool,
    pub dma_addr: u64,
    pub dma_data: [u8; ENTRY_BYTES],
    pub dma_valid: bool,
    pub irq: [bool; QUEUES],
    pub x: MacOut,
    pub y: MacOut,
}

impl Default for CardOutputs {
    fn default() -> Self {
        CardOutputs {
            mmio_rdata: 0,
            mmio_rvalid: false,
            dma_addr: 0,
            dma_data: [0; ENTRY_BYTES],
            dma_valid: false,
            irq: [false; QUEUES],
            x: MacOut::default(),
            y: MacOut::default(),
        }
    }
}

/// A card core in some simulator, advanced one clock at a time.
///
/// `step` applies `inputs`, settles the combinational logic, returns the outputs as they
/// are just before the rising clock edge (so a transfer happens at this edge exactly when
/// the returned `valid` and the given `ready` are both set), then performs the edge.
/// Every simulator must implement exactly this, which is what lets the same stimulus run
/// in two simulators and be compared port by port, cycle by cycle.
pub trait CardModel {
    fn step(&mut self, inputs: &CardInputs) -> CardOutputs;
}

impl<T: CardModel + ?Sized> CardModel for Box<T> {
    fn step(&mut self, inputs: &CardInputs) -> CardOutputs {
        (**self).step(inputs)
    }
}

/// A wide port's value as little-endian 64-bit words (word 0 = bits 63:0) from its bytes
/// (byte 0 in bits 7:0, as above): the one conversion between the byte arrays of these
/// port types and a simulator's word or bit vectors. Missing bytes are zero; bytes past
/// `W` words are ignored.
pub fn words_from_bytes<const W: usize>(bytes: &[u8]) -> [u64; W] {
    let mut w = [0u64; W];
    for (k, chunk) in bytes.chunks(8).enumerate().take(W) {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        w[k] = u64::from_le_bytes(b);
    }
    w
}

/// A wide port's bytes from its little-endian 64-bit words: the inverse of
/// [`words_from_bytes`]. Missing words are zero.
pub fn bytes_from_words<const B: usize>(words: &[u64]) -> [u8; B] {
    let mut out = [0u8; B];
    for (chunk, w) in out.chunks_mut(8).zip(words) {
        chunk.copy_from_slice(&w.to_le_bytes()[..chunk.len()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_the_bytes_little_endian() {
        let bytes: [u8; 20] = std::array::from_fn(|i| i as u8 + 1);
        let w: [u64; 4] = words_from_bytes(&bytes);
        assert_eq!(w[0], 0x0807_0605_0403_0201);
        assert_eq!(w[2], 0x0000_0000_1413_1211);
        assert_eq!(w[3], 0);
        assert_eq!(bytes_from_words::<20>(&w), bytes);
        assert_eq!(bytes_from_words::<4>(&w), [1, 2, 3, 4]);
    }
}
