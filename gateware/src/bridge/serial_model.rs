//! The host's end of the serial line in simulation: a software 8N1 UART that counts the
//! same clock as the card, one level per clock (what the FT2232H does in hardware).
//!
//! [`SerialTx`] turns bytes into the level of the card's `rx` pin clock by clock;
//! [`SerialRx`] samples the card's `tx` pin and returns the bytes. Both are plain Rust
//! (no rust-hdl), so they are an independent check of the gateware UART, not a copy of it.

use std::collections::VecDeque;

/// Bytes to line levels, `clocks_per_bit` clocks per bit.
#[derive(Clone, Debug)]
pub struct SerialTx {
    cpb: u32,
    queue: VecDeque<u8>,
    /// The byte on the line: its 10 bits (start, data LSB first, stop), the bit and the
    /// clock within the bit.
    current: Option<([bool; 10], usize, u32)>,
}

impl SerialTx {
    pub fn new(clocks_per_bit: u32) -> Self {
        assert!(clocks_per_bit >= 1);
        SerialTx {
            cpb: clocks_per_bit,
            queue: VecDeque::new(),
            current: None,
        }
    }

    /// Queues bytes to send.
    pub fn send(&mut self, bytes: &[u8]) {
        self.queue.extend(bytes);
    }

    /// Bytes queued and not yet started.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Nothing on the line and nothing queued.
    pub fn is_idle(&self) -> bool {
        self.current.is_none() && self.queue.is_empty()
    }

    /// The line level for the next clock. A byte starts as soon as the previous one's stop
    /// bit has ended (back to back, the full rate of the line).
    pub fn next_level(&mut self) -> bool {
        if self.current.is_none() {
            if let Some(b) = self.queue.pop_front() {
                let mut bits = [true; 10];
                bits[0] = false;
                for (k, bit) in bits[1..9].iter_mut().enumerate() {
                    *bit = b >> k & 1 == 1;
                }
                self.current = Some((bits, 0, 0));
            }
        }
        let Some((bits, bit, clk)) = self.current.as_mut() else {
            return true;
        };
        let level = bits[*bit];
        *clk += 1;
        if *clk == self.cpb {
            *clk = 0;
            *bit += 1;
            if *bit == 10 {
                self.current = None;
            }
        }
        level
    }
}

/// Line levels to bytes: waits for a start edge, samples each bit in its middle.
#[derive(Clone, Debug)]
pub struct SerialRx {
    cpb: u32,
    /// Clocks since the start edge, while a byte is being received.
    clock_in_byte: Option<u32>,
    shift: u8,
    last_level: bool,
}

/// What [`SerialRx::sample`] reports at the middle of a stop bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    Byte(u8),
    /// The stop bit was low.
    FramingError(u8),
}

impl SerialRx {
    pub fn new(clocks_per_bit: u32) -> Self {
        assert!(clocks_per_bit >= 2);
        SerialRx {
            cpb: clocks_per_bit,
            clock_in_byte: None,
            shift: 0,
            last_level: true,
        }
    }

    /// Takes the line level of one clock; returns a byte at the middle of its stop bit.
    pub fn sample(&mut self, level: bool) -> Option<Received> {
        let falling = self.last_level && !level;
        self.last_level = level;
        let Some(t) = self.clock_in_byte.as_mut() else {
            if falling {
                self.clock_in_byte = Some(0);
            }
            return None;
        };
        *t += 1;
        let (t, cpb) = (*t, self.cpb);
        // The middle of bit k (0: start, 1..=8: data, 9: stop) is k * cpb + cpb / 2 clocks
        // after the first low clock.
        if t < cpb / 2 || (t - cpb / 2) % cpb != 0 {
            return None;
        }
        match (t - cpb / 2) / cpb {
            0 if level => self.clock_in_byte = None, // a glitch, not a start bit
            0 => {}
            1..=8 => self.shift = self.shift >> 1 | (level as u8) << 7,
            _ => {
                self.clock_in_byte = None;
                return Some(if level {
                    Received::Byte(self.shift)
                } else {
                    Received::FramingError(self.shift)
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_models_agree_at_several_rates() {
        for cpb in [2, 4, 5, 8, 21] {
            let mut tx = SerialTx::new(cpb);
            let mut rx = SerialRx::new(cpb);
            let bytes: Vec<u8> = (0..=255).collect();
            tx.send(&bytes);
            let mut got = Vec::new();
            for _ in 0..(bytes.len() as u32 * 10 * cpb + 10 * cpb) {
                if let Some(r) = rx.sample(tx.next_level()) {
                    got.push(r);
                }
            }
            let want: Vec<Received> = bytes.iter().map(|&b| Received::Byte(b)).collect();
            assert_eq!(got, want, "cpb {cpb}");
            assert!(tx.is_idle());
        }
    }
}
