//! A card whose fabric ports are narrower than a frame, seen as the frame-level
//! [`CardModel`] that the fabric, cluster and checker models speak.
//!
//! Boards with gigabit PHYs build the card core with narrow fabric ports (DESIGN.md 7;
//! `seqfab_gateware::card::NarrowCardCore`, 32 bits): a 64-byte frame crosses the port as
//! 16 beats. [`Narrow`] wraps such a card so every cluster scenario, fault campaign and
//! equivalence run written against whole frames runs against it unchanged. Per plane it
//! plays the part of the MAC and the link:
//!
//! - **receive**: frames the fabric delivers wait in a queue (the link's and the switch
//!   port's buffering, [`RX_QUEUE_FRAMES`] deep; a frame that finds it full is lost, as a
//!   switch drops it) and go to the card one beat per clock, never back-pressured;
//! - **transmit**: the card's beats are gathered into the frame, which is offered to the
//!   fabric whole; until the fabric takes it the card's `tx_ready` is low.
//!
//! The inner card's ports use the same [`MacIn`]/[`MacOut`] types, with only the first
//! `beat_bytes` bytes of `rx_data`/`tx_data` meaningful.

use crate::pins::{CardInputs, CardModel, CardOutputs, MacIn, MacOut};
use seqfab_contract::frame::FRAME_BYTES;
use std::collections::VecDeque;

/// Frames a plane's receive queue holds before it drops: a few frames of the link's and
/// the switch port's buffering, so that a frame is delivered within [`max_delay`] or not
/// at all (the lease hold must cover that bound; docs/leases.md).
pub const RX_QUEUE_FRAMES: usize = 16;

/// The most clocks a frame spends in the adapter (both ends of a link) beyond what the
/// fabric model adds, at `beat_bytes` a beat: the card's beats gathered into the frame on
/// the sending side, and on the receiving side a full queue ahead of it and its own beats.
pub fn max_delay(beat_bytes: usize) -> u64 {
    let beats = FRAME_BYTES.div_ceil(beat_bytes) as u64;
    beats + 1 + (RX_QUEUE_FRAMES as u64 + 1) * beats + 1
}

/// A narrow-port card as a frame-level card; see the module doc.
pub struct Narrow<C> {
    inner: C,
    beat_bytes: usize,
    x: PortAdapter,
    y: PortAdapter,
}

impl<C: CardModel> Narrow<C> {
    /// Wraps `inner`, whose fabric ports carry `beat_bytes` bytes a beat (4 for 32 bits).
    pub fn new(inner: C, beat_bytes: usize) -> Self {
        assert!(
            (1..=FRAME_BYTES).contains(&beat_bytes),
            "a beat of {beat_bytes} bytes"
        );
        Self {
            inner,
            beat_bytes,
            x: PortAdapter::default(),
            y: PortAdapter::default(),
        }
    }

    /// The wrapped card.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// Frames lost to full receive queues, planes X and Y.
    pub fn rx_dropped(&self) -> (u64, u64) {
        (self.x.dropped, self.y.dropped)
    }
}

/// One plane's receive queue and transmit assembly.
#[derive(Default)]
struct PortAdapter {
    /// Frames waiting to go to the card, and how far the front one has gone.
    rx: VecDeque<Vec<u8>>,
    rx_at: usize,
    /// The frame the fabric is delivering beat by beat (wide multi-beat input).
    arriving: Vec<u8>,
    /// The frame the card is sending, so far.
    tx: Vec<u8>,
    /// A whole frame from the card, offered to the fabric.
    pending: Option<Vec<u8>>,
    dropped: u64,
}

impl PortAdapter {
    /// The frame-level output for this clock; the fabric takes it at this edge when its
    /// `tx_ready` is set.
    fn offer(&mut self, outer: &MacIn) -> MacOut {
        let mut out = MacOut {
            rx_ready: true,
            ..MacOut::default()
        };
        if let Some(f) = &self.pending {
            out.tx_data[..f.len()].copy_from_slice(f);
            out.tx_valid = true;
            out.tx_last = true;
            out.tx_bytes = f.len() as u8;
            if outer.tx_ready {
                self.pending = None;
            }
        }
        out
    }

    /// The card's receive beat and transmit ready for this clock.
    fn feed(&mut self, outer: &MacIn, beat_bytes: usize) -> MacIn {
        let mut m = MacIn {
            rx_data: [0; FRAME_BYTES],
            rx_valid: false,
            rx_last: false,
            rx_bytes: 0,
            tx_ready: self.pending.is_none(),
            link_up: outer.link_up,
        };
        if let Some(f) = self.rx.front() {
            let end = (self.rx_at + beat_bytes).min(f.len());
            m.rx_data[..end - self.rx_at].copy_from_slice(&f[self.rx_at..end]);
            m.rx_valid = true;
            m.rx_last = end == f.len();
            m.rx_bytes = (end - self.rx_at) as u8;
            self.rx_at = end;
            if m.rx_last {
                self.rx.pop_front();
                self.rx_at = 0;
            }
        }
        m
    }

    /// After the clock: what the card sent, and what the fabric delivered.
    fn settle(&mut self, outer: &MacIn, fed: &MacIn, card: &MacOut) {
        if card.tx_valid && fed.tx_ready {
            self.tx
                .extend_from_slice(&card.tx_data[..(card.tx_bytes as usize).min(FRAME_BYTES)]);
            if card.tx_last {
                self.pending = Some(std::mem::take(&mut self.tx));
            }
        }
        if outer.rx_valid {
            let n = (outer.rx_bytes as usize).min(FRAME_BYTES);
            self.arriving.extend_from_slice(&outer.rx_data[..n]);
            if outer.rx_last {
                let f = std::mem::take(&mut self.arriving);
                if self.rx.len() < RX_QUEUE_FRAMES && !f.is_empty() {
                    self.rx.push_back(f);
                } else {
                    self.dropped += 1;
                }
            }
        }
    }
}

impl<C: CardModel> CardModel for Narrow<C> {
    fn step(&mut self, i: &CardInputs) -> CardOutputs {
        let x_out = self.x.offer(&i.x);
        let y_out = self.y.offer(&i.y);
        let mut inner_in = *i;
        inner_in.x = self.x.feed(&i.x, self.beat_bytes);
        inner_in.y = self.y.feed(&i.y, self.beat_bytes);
        let mut o = self.inner.step(&inner_in);
        self.x.settle(&i.x, &inner_in.x, &o.x);
        self.y.settle(&i.y, &inner_in.y, &o.y);
        o.x = x_out;
        o.y = y_out;
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A card that sends back every frame it receives, beat for beat (a narrow loopback),
    /// so the adapter's two halves meet.
    #[derive(Default)]
    struct Echo {
        beats: VecDeque<MacOut>,
    }

    impl CardModel for Echo {
        fn step(&mut self, i: &CardInputs) -> CardOutputs {
            let mut o = CardOutputs {
                x: self.beats.front().copied().unwrap_or_default(),
                ..CardOutputs::default()
            };
            o.x.rx_ready = true;
            if o.x.tx_valid && i.x.tx_ready {
                self.beats.pop_front();
            }
            if i.x.rx_valid {
                self.beats.push_back(MacOut {
                    tx_data: i.x.rx_data,
                    tx_valid: true,
                    tx_last: i.x.rx_last,
                    tx_bytes: i.x.rx_bytes,
                    rx_ready: true,
                });
            }
            o
        }
    }

    #[test]
    fn frames_cross_as_beats_and_come_back_whole() {
        let mut n = Narrow::new(Echo::default(), 4);
        let frames: Vec<[u8; FRAME_BYTES]> = (0..5u8)
            .map(|k| std::array::from_fn(|b| k.wrapping_mul(31).wrapping_add(b as u8)))
            .collect();
        let mut got = Vec::new();
        let mut cycle = 0;
        let mut beats_seen = 0;
        while got.len() < frames.len() {
            let mut i = CardInputs::default();
            if cycle < frames.len() {
                i.x.deliver(&frames[cycle]);
            }
            // The fabric takes a frame every other clock.
            i.x.tx_ready = cycle % 2 == 0;
            let o = n.step(&i);
            if n.inner().beats.len() > beats_seen {
                beats_seen = n.inner().beats.len();
            }
            if o.x.tx_valid && i.x.tx_ready {
                assert!(o.x.tx_last);
                assert_eq!(o.x.tx_bytes as usize, FRAME_BYTES);
                got.push(o.x.tx_data);
            }
            cycle += 1;
            assert!(
                cycle < 1000,
                "frames stuck: {} of {}",
                got.len(),
                frames.len()
            );
        }
        assert_eq!(got, frames);
        // 16 beats a frame: five frames take at least 80 clocks.
        assert!(cycle >= 80, "{cycle} clocks");
        assert!(beats_seen > 0);
    }

    #[test]
    fn a_full_receive_queue_drops_and_counts() {
        let mut n = Narrow::new(Echo::default(), 4);
        let f = [7u8; FRAME_BYTES];
        let sent = RX_QUEUE_FRAMES + 10;
        for _ in 0..sent {
            let mut i = CardInputs::default();
            i.x.deliver(&f);
            i.x.tx_ready = false;
            n.step(&i);
        }
        // One frame a clock; the card takes one every 16 clocks from the second clock
        // on, so one or two have left the queue, RX_QUEUE_FRAMES wait, the rest dropped.
        let (x, y) = n.rx_dropped();
        let kept = (sent - RX_QUEUE_FRAMES) as u64;
        assert!((kept - 2..=kept).contains(&x), "{x} dropped of {sent}");
        assert_eq!(y, 0);
    }
}
