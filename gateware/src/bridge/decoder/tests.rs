use super::*;
use crate::bridge::testing::Clocked;
use rand::{Rng, SeedableRng};
use seqfab_contract::bridge::{packet, slip_frame, Deframer, HostMsg, MAX_HOST_PACKET};

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = BridgeDecoder::new(21);
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}

/// What a register of the fake card reads: its address, marked.
fn card_reg(addr: u32) -> u64 {
    0x5EC0_0000_0000_0000 | addr as u64
}

/// The decoder with a fake card behind its MMIO port (reads answered two clocks after
/// the strobe, as the card core does) and a reply consumer.
struct Rig {
    c: Clocked<BridgeDecoder>,
    writes: Vec<(u32, u64)>,
    reads: Vec<u32>,
    replies: Vec<(u8, u64, u16)>,
    rvalid_at: Option<(u64, u64)>,
    reply_ready: bool,
}

impl Rig {
    fn new() -> Self {
        Rig {
            c: Clocked::new(BridgeDecoder::new(21), |u| &mut u.clock),
            writes: Vec::new(),
            reads: Vec::new(),
            replies: Vec::new(),
            rvalid_at: None,
            reply_ready: true,
        }
    }

    fn clock(&mut self, byte: Option<u8>, error: bool) {
        let u = &mut self.c.uut;
        u.rx_strobe.next = byte.is_some();
        u.rx_data.next = (byte.unwrap_or(0) as u64).into();
        u.rx_error.next = error;
        let due = matches!(self.rvalid_at, Some((t, _)) if t == self.c.cycle);
        u.mmio_rvalid.next = due;
        u.mmio_rdata.next = self.rvalid_at.map_or(0, |(_, d)| d).into();
        u.replies.ready.next = self.reply_ready;
        self.c.settle();
        let u = &self.c.uut;
        assert!(!(u.mmio_write.val() && u.mmio_read.val()));
        if u.mmio_write.val() {
            self.writes.push((
                u.mmio_addr.val().to_u64() as u32,
                u.mmio_wdata.val().to_u64(),
            ));
        }
        if u.mmio_read.val() {
            let addr = u.mmio_addr.val().to_u64() as u32;
            self.reads.push(addr);
            self.rvalid_at = Some((self.c.cycle + 2, card_reg(addr)));
        }
        if u.replies.valid.val() && self.reply_ready {
            let r = u.replies.data.val();
            self.replies.push((
                r.id.to_u64() as u8,
                r.data.to_u64(),
                r.writes.to_u64() as u16,
            ));
        }
        if due {
            self.rvalid_at = None;
        }
        self.c.edge();
    }

    /// Feeds wire bytes, each followed by `gap` idle clocks (a real UART leaves at least
    /// 40 between bytes).
    fn send(&mut self, wire: &[u8], gap: u32) {
        for &b in wire {
            self.clock(Some(b), false);
            self.idle(gap);
        }
    }

    fn idle(&mut self, n: u32) {
        for _ in 0..n {
            self.clock(None, false);
        }
    }

    fn bridge_reg(&mut self, reg: u8) -> u64 {
        let before = self.replies.len();
        self.send(
            &HostMsg::BridgeRead {
                id: 0xB0 ^ reg,
                reg,
            }
            .wire(),
            3,
        );
        self.idle(8);
        assert_eq!(
            self.replies.len(),
            before + 1,
            "no reply to BRIDGE_READ {reg}"
        );
        let (id, data, _) = self.replies.pop().unwrap();
        assert_eq!(id, 0xB0 ^ reg);
        data
    }

    fn counters(&mut self) -> [u64; 5] {
        [
            self.bridge_reg(reg::FRAMES_OK),
            self.bridge_reg(reg::CRC_ERRORS),
            self.bridge_reg(reg::FRAME_ERRORS),
            self.bridge_reg(reg::UART_ERRORS),
            self.bridge_reg(reg::READS_DROPPED),
        ]
    }
}

#[test]
fn good_packets_drive_the_mmio_port() {
    let mut r = Rig::new();
    r.send(
        &HostMsg::MmioWrite {
            addr: 0x28,
            data: 0xC0DB_0102_0304_05C0, // END and ESC bytes: escaped on the wire
        }
        .wire(),
        3,
    );
    r.send(
        &HostMsg::MmioWrite {
            addr: 0x1_0000,
            data: 7,
        }
        .wire(),
        3,
    );
    r.send(
        &HostMsg::MmioRead {
            id: 0x42,
            addr: 0x58,
        }
        .wire(),
        3,
    );
    r.idle(8);
    assert_eq!(r.writes, vec![(0x28, 0xC0DB_0102_0304_05C0), (0x1_0000, 7)]);
    assert_eq!(r.reads, vec![0x58]);
    assert_eq!(r.replies, vec![(0x42, card_reg(0x58), 2)]);
    assert_eq!(r.bridge_reg(reg::ID), seqfab_contract::bridge::ID_WORD);
    assert_eq!(r.bridge_reg(reg::CLOCKS_PER_BIT), 21);
    assert_eq!(r.bridge_reg(0x77), 0, "an unknown bridge register reads 0");
    // 3 + the three bridge reads above; the reads themselves reach no MMIO strobe.
    assert_eq!(r.counters(), [6, 0, 0, 0, 0]);
    assert_eq!(r.reads, vec![0x58]);
}

#[test]
fn corrupted_and_malformed_packets_are_dropped_and_counted() {
    let mut r = Rig::new();
    let write = HostMsg::MmioWrite {
        addr: 0x38,
        data: 0x1234,
    };
    // One flipped bit in the data: a CRC error.
    let mut bad = write.wire();
    bad[8] ^= 0x10;
    r.send(&bad, 3);
    // One flipped bit in the CRC itself: a CRC error.
    let mut bad = write.wire();
    let n = bad.len();
    bad[n - 2] ^= 0x01;
    r.send(&bad, 3);
    assert_eq!(r.counters()[..3], [0, 2, 0]);
    // Frame errors: a bad escape; ESC right before END; 18 bytes; 4 bytes; a kind the
    // card does not take (valid CRC); a known kind with the wrong length (valid CRC).
    let mut p = write.packet();
    p.insert(3, ESC);
    let mut w = vec![END];
    w.extend(&p);
    w.push(END);
    r.send(&w, 3);
    r.send(&[END, 1, 2, ESC, END], 3);
    let mut long = write.packet();
    long.push(0);
    let mut w = Vec::new();
    slip_frame(&long, &mut w);
    r.send(&w, 3);
    r.send(&[END, 1, 2, 3, 4, END], 3);
    let mut w = Vec::new();
    slip_frame(&packet(&[0x81, 1, 2]), &mut w);
    r.send(&w, 3);
    let mut w = Vec::new();
    slip_frame(&packet(&[kind::MMIO_READ, 1, 2, 3, 4]), &mut w);
    r.send(&w, 3);
    // A UART framing error inside a packet spoils it (and counts once as a UART error).
    let w = write.wire();
    r.send(&w[..5], 3);
    r.clock(None, true);
    r.send(&w[5..], 3);
    // Empty packets (END END) are not errors.
    r.send(&[END, END, END], 3);
    // FRAMES_OK: the five bridge reads of the first `counters()`.
    assert_eq!(r.counters(), [5, 2, 7, 1, 0]);
    assert!(r.writes.is_empty() && r.reads.is_empty());
    // And the decoder is not stuck: the next good packet works.
    r.send(&write.wire(), 3);
    assert_eq!(r.writes, vec![(0x38, 0x1234)]);
}

#[test]
fn a_read_while_the_reply_waits_is_dropped_and_counted() {
    let mut r = Rig::new();
    r.reply_ready = false;
    r.send(&HostMsg::MmioRead { id: 1, addr: 0x8 }.wire(), 3);
    r.send(&HostMsg::MmioRead { id: 2, addr: 0x10 }.wire(), 3);
    r.send(&HostMsg::BridgeRead { id: 3, reg: 0 }.wire(), 3);
    r.reply_ready = true;
    r.idle(4);
    assert_eq!(r.reads, vec![0x8]);
    assert_eq!(r.replies, vec![(1, card_reg(0x8), 0)]);
    assert_eq!(r.bridge_reg(reg::READS_DROPPED), 2);
}

/// A random stream of good, bit-flipped, truncated and garbage packets: the decoder
/// executes exactly what the contract's reference receiver (`Deframer` +
/// `HostMsg::decode`) accepts, in order, and counts every refusal where the contract
/// classifies it.
#[test]
fn random_stream_matches_the_contract_receiver() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    let mut wire = Vec::new();
    for _ in 0..250 {
        let m = match rng.gen_range(0..3) {
            0 => HostMsg::MmioWrite {
                addr: rng.gen(),
                data: rng.gen(),
            },
            1 => HostMsg::MmioRead {
                id: rng.gen(),
                addr: rng.gen(),
            },
            _ => HostMsg::BridgeRead {
                id: rng.gen(),
                reg: rng.gen_range(0..8),
            },
        };
        let mut w = m.wire();
        match rng.gen_range(0..10) {
            0..=5 => {}
            6 | 7 => {
                let bit = rng.gen_range(8..w.len() * 8 - 8);
                w[bit / 8] ^= 1 << (bit % 8);
            }
            8 => {
                let keep = rng.gen_range(1..w.len() - 1);
                w.truncate(keep);
            }
            _ => {
                for b in w[1..].iter_mut() {
                    *b = rng.gen();
                }
            }
        }
        wire.extend(w);
    }
    wire.push(END);
    // The reference.
    let mut d = Deframer::new(MAX_HOST_PACKET);
    let (mut ok, mut crc, mut frame) = (Vec::new(), 0u64, 0u64);
    for &b in &wire {
        match d.push(b) {
            Some(Ok(p)) => match HostMsg::decode(p) {
                Ok(m) => ok.push(m),
                Err(e) if e.is_crc() => crc += 1,
                Err(_) => frame += 1,
            },
            Some(Err(_)) => frame += 1,
            None => {}
        }
    }
    assert!(
        ok.len() > 100 && crc > 20 && frame > 10,
        "{} {crc} {frame}",
        ok.len()
    );
    // The gateware.
    let mut r = Rig::new();
    r.send(&wire, 3);
    r.idle(8);
    let want_writes: Vec<(u32, u64)> = ok
        .iter()
        .filter_map(|m| match *m {
            HostMsg::MmioWrite { addr, data } => Some((addr, data)),
            _ => None,
        })
        .collect();
    let want_reads: Vec<u32> = ok
        .iter()
        .filter_map(|m| match *m {
            HostMsg::MmioRead { addr, .. } => Some(addr),
            _ => None,
        })
        .collect();
    let reply_ids: Vec<u8> = ok
        .iter()
        .filter_map(|m| match *m {
            HostMsg::MmioRead { id, .. } | HostMsg::BridgeRead { id, .. } => Some(id),
            _ => None,
        })
        .collect();
    assert_eq!(r.writes, want_writes);
    assert_eq!(r.reads, want_reads);
    assert_eq!(r.replies.iter().map(|r| r.0).collect::<Vec<_>>(), reply_ids);
    let got = r.counters();
    assert_eq!(got, [ok.len() as u64, crc, frame, 0, 0]);
}
