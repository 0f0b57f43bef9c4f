//! What travels between the RGMII MAC and the card: one byte of a frame per beat.

use rust_hdl::prelude::*;

/// One byte of an Ethernet frame on the MAC's user side, from the first byte of the
/// destination MAC to the last byte of the FCS. Preamble and SFD never appear here.
///
/// `error` means something only on the beat with `last` set:
///
/// - **RX** ([`super::RgmiiRx`], [`super::GmiiRx`]): the frame is bad and must be
///   dropped: its FCS fails the CRC-32 residue check, the PHY flagged a receive error
///   (RX_ER) inside it, or it is shorter than the 64-byte Ethernet minimum (truncated).
///   A frame with `error` clear at `last` passed all three checks; its 4 FCS bytes are
///   still delivered (the card's deframer checks the FCS again on the whole 64 bytes).
/// - **TX** ([`super::RgmiiTx`], [`super::GmiiTx`]): the sender wants the frame spoiled:
///   the MAC drives TX_ER with the last byte, so the link partner's PHY sends an error
///   symbol and its MAC drops the frame (IEEE 802.3 clause 35.2.2.5, "transmit error
///   propagation").
///
/// On beats without `last`, `error` is zero from the RX MAC and ignored by the TX MAC.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct MacByte {
    /// The byte, as it goes on the wire (bit 0 first).
    pub data: Bits<8>,
    /// The byte ends its frame.
    pub last: Bit,
    /// With `last`: the frame is bad (RX) / spoil the frame (TX). See the type's doc.
    pub error: Bit,
}
