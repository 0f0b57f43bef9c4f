use super::*;
use rand::{Rng, SeedableRng};
use std::sync::{Arc, Mutex};

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = ByteCrc::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}

/// The derivation from the contract gives the textbook constants: the table entry of the
/// reflected polynomial and 802.3's residue.
#[test]
fn derivation_matches_the_standard_constants() {
    // T[128] of the reflected CRC-32 is the reflected polynomial itself.
    assert_eq!(table(128), 0xEDB8_8320);
    assert_eq!(residue(), 0xDEBB_20E3);
}

#[test]
fn step_agrees_with_the_contract_crc32() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    for _ in 0..200 {
        let len = rng.gen_range(0..80);
        let msg: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        let state = msg.iter().fold(!0u32, |c, &b| step(c, b));
        assert_eq!(!state, crc32(&msg));
    }
}

/// Random messages, one byte per clock with random idle clocks between: after each
/// message `fcs` is the contract's `crc32`; after the FCS bytes, `residue_ok` is high, and
/// it stays low for a message with one flipped bit.
#[test]
fn gateware_fcs_and_residue_match_the_contract() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(6);
    let msgs: Vec<(Vec<u8>, bool)> = (0..60)
        .map(|_| {
            let len = rng.gen_range(1..70);
            let msg: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            (msg, rng.gen_bool(0.3))
        })
        .collect();
    let mut uut = ByteCrc::new();
    uut.connect_all();
    let fails = Arc::new(Mutex::new(Vec::<String>::new()));
    let fails_tb = fails.clone();
    let mut sim = simple_sim!(ByteCrc, clock, 125_000_000, ep, {
        let mut x = ep.init()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for (n, (msg, corrupt)) in msgs.iter().enumerate() {
            let mut wire = msg.clone();
            wire.extend_from_slice(&crc32(msg).to_le_bytes());
            if *corrupt {
                let bit = rng.gen_range(0..wire.len() * 8);
                wire[bit / 8] ^= 1 << (bit % 8);
            }
            for (i, b) in wire.iter().enumerate() {
                // Idle clocks between bytes must not disturb the register.
                while rng.gen_bool(0.2) {
                    x.start.next = false;
                    x.advance.next = false;
                    wait_clock_cycle!(ep, clock, x);
                }
                x.data.next = (*b as u64).into();
                x.start.next = i == 0;
                x.advance.next = i != 0;
                wait_clock_cycle!(ep, clock, x);
                if i + 1 == msg.len() && x.fcs.val().to_u64() as u32 != crc32(&wire[..msg.len()]) {
                    fails_tb.lock().unwrap().push(format!("message {n}: fcs"));
                }
            }
            x.start.next = false;
            x.advance.next = false;
            wait_clock_cycle!(ep, clock, x);
            if x.residue_ok.val() == *corrupt {
                fails_tb.lock().unwrap().push(format!(
                    "message {n} (corrupt: {corrupt}): residue_ok {}",
                    x.residue_ok.val()
                ));
            }
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 1_000_000_000).unwrap();
    let fails = fails.lock().unwrap();
    assert!(fails.is_empty(), "{fails:#?}");
}
