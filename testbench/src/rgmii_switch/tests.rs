use super::*;
use seqfab_contract::frame::{Frame, FrameType};
use seqfab_contract::mac::{node_mac, BROADCAST_NODE};

/// A card frame from node `src` to node `dst` (its MACs are `node_mac(src/dst)`), with
/// `tag` to tell frames apart.
fn frame(src: u8, dst: u8, tag: u16) -> Vec<u8> {
    let mut f = Frame::new(FrameType::Req, src, dst);
    f.tag = tag;
    f.encode().to_vec()
}

/// A frame of another length than the card's (`len` bytes, FCS included) from `src` to
/// `dst`, so the switch is not tied to 64-byte frames.
fn long_frame(src: u8, dst: u8, len: usize) -> Vec<u8> {
    let mut f: Vec<u8> = (0..len - 4).map(|i| (i * 7) as u8).collect();
    f[..6].copy_from_slice(&node_mac(dst));
    f[6..12].copy_from_slice(&node_mac(src));
    f.extend_from_slice(&crc32(&f).to_le_bytes());
    f
}

/// The switch with a board model per port: an encoder in place of each board's
/// transmitter, a decoder reading each port's RX pins, and the raw RX pins kept.
struct Rig {
    sw: RgmiiSwitch,
    boards: Vec<RgmiiEncoder>,
    readers: Vec<RgmiiDecoder>,
    got: Vec<Vec<Decoded>>,
    rx_trace: Vec<Vec<RgmiiPins>>,
}

impl Rig {
    fn new(ports: usize) -> Self {
        Rig {
            sw: RgmiiSwitch::new(ports, 7),
            boards: vec![RgmiiEncoder::new(); ports],
            readers: vec![RgmiiDecoder::new(); ports],
            got: vec![Vec::new(); ports],
            rx_trace: vec![Vec::new(); ports],
        }
    }

    fn clock(&mut self) {
        let tx: Vec<RgmiiPins> = self.boards.iter_mut().map(|b| b.step()).collect();
        let rx = self.sw.step(&tx).to_vec();
        for (p, pins) in rx.into_iter().enumerate() {
            self.rx_trace[p].push(pins);
            if let Some(d) = self.readers[p].step(pins) {
                self.got[p].push(d);
            }
        }
    }

    /// Runs until the boards, the switch and the readers are all idle (two idle clocks
    /// in a row, so a burst's end is seen), at most `max` clocks.
    fn run_until_idle(&mut self, max: usize) {
        let mut quiet = 0;
        for _ in 0..max {
            self.clock();
            let idle = self.boards.iter().all(|b| b.is_idle())
                && self.sw.is_idle()
                && self.readers.iter().all(|r| !r.busy());
            quiet = if idle { quiet + 1 } else { 0 };
            if quiet == 2 {
                return;
            }
        }
        panic!("not idle after {max} clocks");
    }

    /// The good frames each port received, bytes only.
    fn frames(&self, port: usize) -> Vec<Vec<u8>> {
        self.got[port]
            .iter()
            .map(|d| {
                assert_eq!(d.verdict, Verdict::Good, "port {port} got a bad frame");
                d.frame.clone()
            })
            .collect()
    }
}

#[test]
fn pins_carry_the_low_nibble_first_and_en_xor_er_on_the_falling_edge() {
    let g = GmiiByte {
        data: 0xA7,
        en: true,
        er: false,
    };
    let p = RgmiiPins::from_gmii(g);
    assert_eq!(
        (p.d_rise, p.d_fall, p.ctl_rise, p.ctl_fall),
        (7, 0xA, true, true)
    );
    assert_eq!(p.gmii(), g);
    let err = RgmiiPins::from_gmii(GmiiByte { er: true, ..g });
    assert_eq!((err.ctl_rise, err.ctl_fall), (true, false));
    assert_eq!(RgmiiPins::default(), RgmiiPins::IDLE);
    assert!(!RgmiiPins::IDLE.gmii().en);
}

/// The encoder's wire, read directly (not through the decoder): idle, 7 x 0x55, 0xD5,
/// the frame, exactly 12 idle clocks, the next frame.
#[test]
fn encoder_sends_preamble_sfd_frame_and_the_gap() {
    let (a, b) = (frame(0, 1, 1), frame(0, 1, 2));
    let mut enc = RgmiiEncoder::new();
    enc.send(&a);
    enc.send(&b);
    assert_eq!(enc.queued(), 2);
    let wire: Vec<GmiiByte> = (0..2 * 72 + 2 * 12).map(|_| enc.step().gmii()).collect();
    let mut want: Vec<u8> = [PREAMBLE; 7].to_vec();
    want.push(SFD);
    for (k, f) in [&a, &b].into_iter().enumerate() {
        let at = k * (72 + 12);
        let burst: Vec<u8> = wire[at..at + 72].iter().map(|g| g.data).collect();
        assert_eq!(burst[..8], want[..]);
        assert_eq!(&burst[8..], &f[..]);
        assert!(wire[at..at + 72].iter().all(|g| g.en && !g.er));
    }
    assert!(wire[72..84].iter().all(|g| *g == GmiiByte::default()));
    assert!(wire[2 * 72 + 12..].iter().all(|g| !g.en));
    assert!(enc.is_idle(), "the gap after the last frame is over");
}

#[test]
fn decoder_reads_back_what_the_encoder_sends_and_judges_it() {
    let good = frame(3, 4, 9);
    let mut bad_fcs = good.clone();
    bad_fcs[30] ^= 0x10;
    let mut enc = RgmiiEncoder::new();
    enc.send(&good);
    enc.send_with_error(&good, 40);
    enc.send(&bad_fcs);
    enc.send(&reseal_short(&good[..40]));
    enc.send(&long_frame(1, 2, 1000));
    enc.send(&long_frame(1, 2, MAX_FRAME + 1));
    let mut dec = RgmiiDecoder::new();
    let mut got = vec![];
    for _ in 0..4000 {
        got.extend(dec.step(enc.step()));
    }
    let verdicts: Vec<Verdict> = got.iter().map(|d| d.verdict).collect();
    assert_eq!(
        verdicts,
        [
            Verdict::Good,
            Verdict::TxError,
            Verdict::BadFcs,
            Verdict::Runt,
            Verdict::Good,
            Verdict::Oversize
        ]
    );
    assert_eq!(got[0].frame, good);
    assert_eq!(got[4].frame, long_frame(1, 2, 1000));
    assert_eq!(got[0].start, 0);
    assert_eq!(got[1].start, 72 + 12);
}

/// `bytes` with a correct FCS appended (a runt when short).
fn reseal_short(bytes: &[u8]) -> Vec<u8> {
    let mut f = bytes.to_vec();
    f.extend_from_slice(&crc32(bytes).to_le_bytes());
    f
}

#[test]
fn decoder_refuses_a_short_or_damaged_preamble() {
    let f = frame(0, 1, 1);
    let mut bursts: Vec<Vec<u8>> = vec![];
    let mut short = vec![PREAMBLE; 6];
    short.push(SFD);
    short.extend(&f);
    bursts.push(short);
    let mut damaged = vec![PREAMBLE; 7];
    damaged[2] = 0x5D;
    damaged.push(SFD);
    damaged.extend(&f);
    bursts.push(damaged);
    bursts.push(vec![PREAMBLE; 5]);
    let mut dec = RgmiiDecoder::new();
    for b in &bursts {
        for &data in b {
            let pins = RgmiiPins::from_gmii(GmiiByte {
                data,
                en: true,
                er: false,
            });
            assert_eq!(dec.step(pins), None);
        }
        let d = dec.step(RgmiiPins::IDLE).expect("burst ended");
        assert_eq!((d.verdict, d.frame.len()), (Verdict::BadPreamble, 0));
    }
}

/// An unknown destination floods; once both ends are learned, frames go to their port
/// only, byte for byte.
#[test]
fn learns_sources_floods_unknown_and_forwards_to_the_learned_port() {
    let mut rig = Rig::new(3);
    let first = frame(0, 1, 1);
    rig.boards[0].send(&first);
    rig.run_until_idle(1000);
    assert_eq!(rig.frames(1), std::slice::from_ref(&first));
    assert_eq!(
        rig.frames(2),
        std::slice::from_ref(&first),
        "unknown destination floods"
    );
    assert!(rig.got[0].is_empty(), "never back to the source port");
    assert_eq!(rig.sw.learned(node_mac(0)), Some(0));
    assert_eq!(rig.sw.stats(0).flooded, 1);

    let reply = frame(1, 0, 2);
    rig.boards[1].send(&reply);
    rig.run_until_idle(1000);
    assert_eq!(
        rig.frames(0),
        std::slice::from_ref(&reply),
        "learned destination"
    );
    assert_eq!(rig.got[2].len(), 1, "port 2 saw only the flooded frame");
    assert_eq!(rig.sw.learned(node_mac(1)), Some(1));

    let again = long_frame(0, 1, 300);
    rig.boards[0].send(&again);
    rig.run_until_idle(2000);
    assert_eq!(rig.frames(1), [first, again]);
    assert_eq!(rig.got[2].len(), 1);
    let t = rig.sw.total();
    assert_eq!((t.received, t.flooded, t.sent, t.bad()), (3, 1, 4, 0));
}

#[test]
fn broadcast_floods_every_other_port_and_a_same_port_destination_is_filtered() {
    let mut rig = Rig::new(4);
    // Learn 0 and 1 first, then broadcast from 2.
    rig.boards[0].send(&frame(0, 1, 1));
    rig.boards[1].send(&frame(1, 0, 2));
    rig.run_until_idle(1000);
    let bc = frame(2, BROADCAST_NODE, 3);
    rig.boards[2].send(&bc);
    rig.run_until_idle(1000);
    for p in [0, 1, 3] {
        assert_eq!(rig.frames(p).last(), Some(&bc), "port {p}");
    }
    assert!(!rig.frames(2).contains(&bc), "not back to its sender");
    assert_eq!(
        rig.sw.learned([0xFF; 6]),
        None,
        "group addresses are not learned"
    );
    // A frame to a station learned on its own port (two stations behind one port).
    rig.boards[0].send(&frame(5, 0, 4));
    rig.run_until_idle(1000);
    assert_eq!(rig.sw.stats(0).filtered, 1);
    assert_eq!(rig.sw.learned(node_mac(5)), Some(0));
}

#[test]
fn bad_fcs_tx_error_runts_and_preamble_errors_are_counted_and_dropped() {
    let mut rig = Rig::new(2);
    let good = frame(0, 1, 1);
    let mut flipped = good.clone();
    flipped[17] ^= 0x80;
    rig.boards[0].send(&flipped);
    rig.boards[0].send_with_error(&good, 63);
    rig.boards[0].send_with_error(&good, 0);
    rig.boards[0].send(&reseal_short(&good[..20]));
    rig.boards[0].send(&good);
    rig.run_until_idle(2000);
    let s = rig.sw.stats(0);
    assert_eq!(
        (s.bad_fcs, s.tx_error, s.runt, s.received),
        (1, 2, 1, 1),
        "{s:?}"
    );
    assert_eq!(rig.frames(1), [good], "only the good frame is forwarded");
    assert_eq!(rig.sw.stats(1).sent, 1);
}

/// Two boards send to a third at once: its queue holds the second frame while the first
/// goes out, and they leave back to back with exactly the 12-clock gap; the RX pins are
/// read raw here (preamble, SFD, frame, idle as 0).
#[test]
fn back_to_back_frames_leave_with_the_minimum_gap() {
    let mut rig = Rig::new(3);
    let (a, b) = (frame(0, 2, 1), frame(1, 2, 2));
    rig.boards[0].send(&a);
    rig.boards[1].send(&b);
    rig.run_until_idle(1000);
    let wire: Vec<GmiiByte> = rig.rx_trace[2].iter().map(|p| p.gmii()).collect();
    let starts: Vec<usize> = (0..wire.len())
        .filter(|&i| wire[i].en && (i == 0 || !wire[i - 1].en))
        .collect();
    assert_eq!(starts.len(), 2);
    assert_eq!(
        starts[1] - starts[0],
        72 + IFG_CLOCKS,
        "12 idle clocks between"
    );
    for (start, f) in starts.iter().zip([&a, &b]) {
        let bytes: Vec<u8> = wire[*start..start + 72].iter().map(|g| g.data).collect();
        assert_eq!(bytes[..7], [PREAMBLE; 7]);
        assert_eq!(bytes[7], SFD);
        assert_eq!(&bytes[8..], &f[..]);
    }
    assert!(rig.rx_trace[2][starts[0] + 72..starts[1]]
        .iter()
        .all(|p| *p == RgmiiPins::IDLE));
    // Store and forward: the first frame leaves the clock after its last byte came in
    // (it came in at clocks 0..72 and ended with TX_EN low at clock 72).
    assert_eq!(starts[0], 73);
}

#[test]
fn a_full_output_queue_drops_and_counts() {
    let mut rig = Rig::new(3);
    rig.sw.queue_frames = 2;
    const EACH: u16 = 10;
    for k in 0..EACH {
        rig.boards[0].send(&frame(0, 2, k));
        rig.boards[1].send(&frame(1, 2, 100 + k));
    }
    rig.run_until_idle(10_000);
    let s = rig.sw.stats(2);
    let delivered = rig.frames(2).len() as u64;
    assert!(
        s.overflow > 0,
        "two inputs at line rate into one output overflow"
    );
    assert_eq!(delivered + s.overflow, 2 * EACH as u64);
    assert_eq!(s.sent, delivered);
}

#[test]
fn loss_and_link_down_drop_and_count() {
    let mut rig = Rig::new(3);
    rig.sw.loss = 1.0;
    rig.boards[0].send(&frame(0, 1, 1));
    rig.run_until_idle(1000);
    assert_eq!(rig.sw.total().lost, 2, "flooded to two ports, lost at both");
    rig.sw.loss = 0.0;

    rig.boards[1].send(&frame(1, 0, 2));
    rig.run_until_idle(1000);
    assert_eq!(rig.sw.learned(node_mac(1)), Some(1));
    rig.sw.set_link(1, false);
    assert_eq!(rig.sw.learned(node_mac(1)), None, "forgotten with its link");
    rig.boards[0].send(&frame(0, 1, 3));
    rig.boards[1].send(&frame(1, 0, 4));
    rig.run_until_idle(1000);
    assert_eq!(rig.sw.stats(1).link_down_tx, 1, "flooded to 1 while down");
    assert_eq!(rig.sw.stats(1).link_down_rx, 1, "1's frame dropped");
    assert_eq!(rig.got[1].len(), 0);
    assert_eq!(rig.got[2].len(), 1, "the flood still reached port 2");
    assert!(rig.rx_trace[1].iter().all(|p| *p == RgmiiPins::IDLE));

    // Down in the middle of a frame on the wire: cut, counted, and the reader sees a
    // bad frame, not a good one.
    rig.sw.set_link(1, true);
    rig.boards[0].send(&frame(0, 1, 5));
    for _ in 0..72 + 20 {
        rig.clock();
    }
    rig.sw.set_link(1, false);
    rig.run_until_idle(1000);
    assert_eq!(rig.sw.stats(1).link_down_tx, 2);
    assert_eq!(rig.got[1].len(), 1);
    assert_eq!(rig.got[1][0].verdict, Verdict::Runt);
}

#[test]
fn corruption_flips_one_bit_and_the_receiver_sees_a_bad_fcs() {
    let mut rig = Rig::new(2);
    rig.sw.corrupt = 1.0;
    let sent: Vec<Vec<u8>> = (0..20).map(|k| frame(0, 1, k)).collect();
    for f in &sent {
        rig.boards[0].send(f);
    }
    rig.run_until_idle(5000);
    assert_eq!(rig.sw.stats(1).corrupted, 20);
    assert_eq!(rig.sw.stats(0).received, 20, "they were good on the way in");
    assert_eq!(rig.got[1].len(), 20);
    for (d, f) in rig.got[1].iter().zip(&sent) {
        assert_eq!(d.verdict, Verdict::BadFcs);
        let flipped: u32 = d
            .frame
            .iter()
            .zip(f)
            .map(|(a, b)| (a ^ b).count_ones())
            .sum();
        assert_eq!(flipped, 1);
    }
}

/// The capture holds every frame from the TX pins with its FCS: tshark reads the good
/// ones as FCS Good and the damaged one as Bad.
#[test]
fn captured_frames_decode_in_tshark_with_their_fcs() {
    let mut rig = Rig::new(2);
    rig.sw.capture = Some(Vec::new());
    let mut frames = [frame(0, 1, 1), long_frame(1, 0, 200), frame(0, 1, 2)];
    frames[2][25] ^= 4;
    rig.boards[0].send(&frames[0]);
    rig.boards[1].send(&frames[1]);
    rig.run_until_idle(1000);
    rig.boards[0].send(&frames[2]);
    rig.run_until_idle(1000);
    let cap = rig.sw.capture.as_ref().unwrap();
    let verdicts: Vec<_> = cap.iter().map(|c| (c.port, c.verdict)).collect();
    assert_eq!(
        verdicts,
        [(0, Verdict::Good), (1, Verdict::Good), (0, Verdict::BadFcs)]
    );
    let path =
        std::env::temp_dir().join(format!("seqfab-rgmii-switch-{}.pcap", std::process::id()));
    rig.sw
        .write_pcap(std::fs::File::create(&path).unwrap())
        .unwrap();
    let fields = crate::pcap::tshark_fcs(&path);
    let _ = std::fs::remove_file(&path);
    let status: Vec<&str> = fields.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(status, ["1", "1", "0"], "{fields:?}");
    assert_eq!(fields[0].0, "0x88b5", "the seqfab ethertype");
}
