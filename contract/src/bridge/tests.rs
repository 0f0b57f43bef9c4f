//! Property tests of the bridge protocol: random messages with fixed seeds (the crate has
//! no property-testing dependency; every case is reproducible from its seed), exhaustive
//! where the space is small (every bit of every packet, every truncation).

use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn random_host(rng: &mut StdRng) -> HostMsg {
    match rng.gen_range(0..3) {
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
            reg: rng.gen(),
        },
    }
}

fn random_card(rng: &mut StdRng) -> CardFrame {
    let msg = match rng.gen_range(0..3) {
        0 => CardMsg::ReadReply {
            id: rng.gen(),
            data: rng.gen(),
            writes: rng.gen(),
        },
        1 => {
            let mut data = [0u8; 32];
            rng.fill(&mut data[..]);
            // Plenty of delimiter and escape bytes, so escaping is exercised.
            for b in data.iter_mut() {
                if rng.gen_bool(0.2) {
                    *b = if rng.gen() { END } else { ESC };
                }
            }
            CardMsg::DmaWrite {
                addr: rng.gen(),
                data,
            }
        }
        _ => CardMsg::Irq { mask: rng.gen() },
    };
    CardFrame {
        seq: rng.gen(),
        msg,
    }
}

/// Every message `wire` yields (in order), and every refusal.
fn receive<T>(
    wire: &[u8],
    max: usize,
    decode: impl Fn(&[u8]) -> Result<T, DecodeError>,
) -> (Vec<T>, Vec<DecodeError>) {
    let mut d = Deframer::new(max);
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for &b in wire {
        match d.push(b) {
            Some(Ok(p)) => match decode(p) {
                Ok(m) => ok.push(m),
                Err(e) => bad.push(e),
            },
            Some(Err(e)) => bad.push(e),
            None => {}
        }
    }
    (ok, bad)
}

#[test]
fn body_lengths_are_the_table() {
    let mut rng = StdRng::seed_from_u64(1);
    for _ in 0..200 {
        let h = random_host(&mut rng);
        let b = h.body();
        assert_eq!(Some(b.len()), body_len_of(b[0]));
        let c = random_card(&mut rng);
        let b = c.body();
        assert_eq!(Some(b.len()), body_len_of(b[0]));
    }
    assert_eq!(MAX_HOST_PACKET, 17);
    assert_eq!(MAX_CARD_PACKET, 46);
}

#[test]
fn residue_is_the_crc_register_after_body_and_crc() {
    let mut rng = StdRng::seed_from_u64(2);
    for _ in 0..100 {
        let p = random_host(&mut rng).packet();
        assert_eq!(crc32_update(!0, &p), CRC_RESIDUE);
    }
}

#[test]
fn round_trip_through_the_wire() {
    let mut rng = StdRng::seed_from_u64(3);
    // Many messages back to back on one stream, as a link carries them.
    let host: Vec<HostMsg> = (0..2000).map(|_| random_host(&mut rng)).collect();
    let wire: Vec<u8> = host.iter().flat_map(|m| m.wire()).collect();
    let (got, bad) = receive(&wire, MAX_HOST_PACKET, HostMsg::decode);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(got, host);

    let card: Vec<CardFrame> = (0..2000).map(|_| random_card(&mut rng)).collect();
    let wire: Vec<u8> = card.iter().flat_map(|m| m.wire()).collect();
    let (got, bad) = receive(&wire, MAX_CARD_PACKET, CardFrame::decode);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(got, card);
}

#[test]
fn the_wire_never_carries_a_delimiter_inside_a_packet() {
    let mut rng = StdRng::seed_from_u64(4);
    for _ in 0..500 {
        let w = random_card(&mut rng).wire();
        assert_eq!(w[0], END);
        assert_eq!(w[w.len() - 1], END);
        assert!(!w[1..w.len() - 1].contains(&END));
    }
}

/// Flips every bit of the wire bytes of a message (delimiters and escapes included), one
/// at a time: nothing valid comes out, and the message after it still arrives (the next
/// `END` resynchronises).
#[test]
fn every_single_bit_flip_on_the_wire_is_detected() {
    let mut rng = StdRng::seed_from_u64(5);
    let mut cases = 0;
    for _ in 0..60 {
        let (h, next) = (random_host(&mut rng), random_host(&mut rng));
        let w = h.wire();
        for bit in 0..w.len() * 8 {
            let mut bad = w.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            bad.extend(next.wire());
            let (got, _) = receive(&bad, MAX_HOST_PACKET, HostMsg::decode);
            assert_eq!(got, vec![next], "host {h:?}, bit {bit}");
            cases += 1;
        }
        let (c, next) = (random_card(&mut rng), random_card(&mut rng));
        let w = c.wire();
        for bit in 0..w.len() * 8 {
            let mut bad = w.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            bad.extend(next.wire());
            let (got, _) = receive(&bad, MAX_CARD_PACKET, CardFrame::decode);
            assert_eq!(got, vec![next], "card {c:?}, bit {bit}");
            cases += 1;
        }
    }
    assert!(cases > 10_000);
}

/// Inside a packet (no framing involved) a flip of any one bit is a CRC error, never
/// another kind of error: the receivers count it where the bridge registers say.
#[test]
fn a_flipped_packet_bit_is_a_crc_error() {
    let mut rng = StdRng::seed_from_u64(6);
    for _ in 0..100 {
        let p = random_card(&mut rng).packet();
        for bit in 0..p.len() * 8 {
            let mut bad = p.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            let e = CardFrame::decode(&bad).unwrap_err();
            assert!(e.is_crc(), "{e}");
        }
    }
}

#[test]
fn every_truncation_is_rejected() {
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..200 {
        let p = random_host(&mut rng).packet();
        for k in 0..p.len() {
            assert!(HostMsg::decode(&p[..k]).is_err(), "{k} of {}", p.len());
        }
        let c = random_card(&mut rng);
        let p = c.packet();
        for k in 0..p.len() {
            assert!(CardFrame::decode(&p[..k]).is_err(), "{k} of {}", p.len());
        }
        // On the wire: the line drops mid-packet, then the next packet comes.
        let w = c.wire();
        let next = random_card(&mut rng);
        for k in 1..w.len() - 1 {
            let mut cut = w[..k].to_vec();
            cut.extend(next.wire());
            let (got, _) = receive(&cut, MAX_CARD_PACKET, CardFrame::decode);
            assert_eq!(got, vec![next]);
        }
    }
}

#[test]
fn random_garbage_never_panics_and_yields_nothing() {
    let mut rng = StdRng::seed_from_u64(8);
    let mut accepted = 0;
    let mut refused = 0;
    for round in 0..400 {
        let len = rng.gen_range(0..4096);
        let mut g: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        if round % 2 == 0 {
            // Denser framing, so that many short packets reach the CRC check.
            for b in g.iter_mut() {
                if rng.gen_bool(0.1) {
                    *b = END;
                }
            }
        }
        let (h, bh) = receive(&g, MAX_HOST_PACKET, HostMsg::decode);
        let (c, bc) = receive(&g, MAX_CARD_PACKET, CardFrame::decode);
        accepted += h.len() + c.len();
        refused += bh.len() + bc.len();
    }
    assert_eq!(accepted, 0, "garbage passed a CRC-32");
    assert!(refused > 1000);
}

#[test]
fn packets_of_the_wrong_direction_or_shape_are_frame_errors() {
    let reply = CardFrame {
        seq: 1,
        msg: CardMsg::ReadReply {
            id: 2,
            data: 3,
            writes: 4,
        },
    };
    // A card kind sent to the card: a valid CRC, an unknown kind there.
    assert_eq!(
        HostMsg::decode(&reply.packet()),
        Err(DecodeError::UnknownKind(kind::READ_REPLY))
    );
    // A known kind with a body of the wrong length.
    let mut body = HostMsg::MmioRead { id: 1, addr: 8 }.body();
    body.push(0);
    assert_eq!(
        HostMsg::decode(&packet(&body)),
        Err(DecodeError::BadLength {
            kind: kind::MMIO_READ,
            len: 7,
            expected: 6
        })
    );
    assert_eq!(
        HostMsg::decode(&[1, 2, 3]),
        Err(DecodeError::TooShort { len: 3 })
    );
    let (_, bad) = receive(&[END, 1, ESC, 7, 2, END], 17, HostMsg::decode);
    assert_eq!(bad, vec![DecodeError::BadEscape(7)]);
    let (_, bad) = receive(&[END, 1, ESC, END], 17, HostMsg::decode);
    assert_eq!(bad, vec![DecodeError::BadEscape(END)]);
    let (_, bad) = receive(&[0x55; 40], 17, HostMsg::decode);
    assert!(bad.is_empty(), "no END yet: nothing to report");
    let mut long = vec![0x55; 40];
    long.push(END);
    let (_, bad) = receive(&long, 17, HostMsg::decode);
    assert_eq!(bad, vec![DecodeError::TooLong { len: 18, max: 17 }]);
}

#[test]
fn rates_the_ft2232h_and_the_card_clock_agree_on() {
    let r = |mhz: f64| uart_rate((mhz * 1e6) as u64).unwrap();
    assert_eq!(
        r(250.0),
        UartRate {
            baud: 12_000_000,
            clocks_per_bit: 21,
            error_ppm: -7936
        }
    );
    assert_eq!((r(200.0).baud, r(200.0).clocks_per_bit), (8_000_000, 25));
    assert_eq!(r(200.0).error_ppm, 0);
    assert_eq!((r(125.0).baud, r(125.0).clocks_per_bit), (6_000_000, 21));
    assert_eq!((r(156.25).baud, r(156.25).clocks_per_bit), (12_000_000, 13));
    let first: Vec<u32> = ft2232h_rates(0).take(4).collect();
    assert_eq!(first, vec![12_000_000, 8_000_000, 6_000_000, 5_647_058]);
    // Any whole-MHz clock from 125 MHz up gets at least 3.84 Mbaud within the error bound
    // (190 MHz is the worst); the clocks a board would pick do better (above).
    for mhz in 125..=400 {
        let rate = uart_rate(mhz * 1_000_000).unwrap();
        assert!(rate.baud >= 3_840_000, "{mhz} MHz: {rate:?}");
        assert!(rate.error_ppm.abs() <= MAX_RATE_ERROR_PPM);
        assert!(rate.clocks_per_bit >= 10, "{mhz} MHz: {rate:?}");
    }
    assert_eq!(divider(100_000_000, 12_000_000), None, "8.33 clocks: -4 %");
    assert_eq!(
        divider(30_000_000, 12_000_000),
        None,
        "under 4 clocks per bit"
    );
}

#[test]
fn throughput_figures_in_the_docs() {
    let b = FT2232H_MAX_BAUD;
    assert_eq!(per_second(b, body_len::MMIO_WRITE), 63_157);
    assert_eq!(per_second(b, body_len::DMA_WRITE), 25_000);
    assert_eq!(per_second(b, body_len::IRQ), 133_333);
    assert_eq!(per_second(b, body_len::MMIO_READ), 100_000);
    assert_eq!(per_second(b, body_len::READ_REPLY), 63_157);
    assert_eq!(per_second(6_000_000, body_len::DMA_WRITE), 12_500);
}
