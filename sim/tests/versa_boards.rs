//! Board tops, not only the card core: three ECP5-5G Versa cards under Verilator
//! (`seqfab_sim::versa`: core, UART host bridge and both RGMII MACs, at the board's 75 and
//! 125 MHz clocks and its UART divider), planes X and Y each an `RgmiiSwitch` at the
//! RGMII pins, every host the real driver's `uart` backend on the card's serial line.
//!
//! The hosts bring their cards up and open `seqfab::Sequencer`s through the driver, card
//! 0's host sends the CONFIG (primary 1, secondary 2) through its management window as a
//! manager does, and hosts 0 and 2 take numbers: every REQ, FWD, RSP and heartbeat
//! crosses the RGMII fabric, and every register access and DMA write the UART bridge.
//! The frames captured at the RGMII pins decode in tshark with a good FCS.
//!
//! The UART runs at the board's divider (14 card clocks a bit): a register access takes
//! a few hundred microseconds of card time, which is a fraction of a second here, so the
//! test asks for few numbers, in batches.

use seqfab::Sequencer;
use seqfab_contract::lease::quorum;
use seqfab_contract::program::Config;
use seqfab_driver::uart::{UartBackend, UartOptions};
use seqfab_driver::Card;
use seqfab_sim::versa::{socket_path, VersaBoards};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const BOARDS: usize = 3;

/// A host's end of its board's serial line, patient with a simulated card.
fn backend(dir: &Path, n: usize) -> Arc<UartBackend> {
    let opts = UartOptions {
        read_timeout: Duration::from_secs(30),
        read_attempts: 3,
        ..UartOptions::default()
    };
    let path = socket_path(dir, n);
    for _ in 0..200 {
        if path.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Arc::new(UartBackend::open(&path, &opts).expect("open the board's serial line"))
}

#[test]
fn versa_boards_hand_out_numbers_over_rgmii_and_the_uart_bridge() {
    let dir = tempfile::tempdir().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    // The models stay on the thread that made them (Verilator models are not Send).
    let (tx, rx) = std::sync::mpsc::channel();
    let sim = {
        let stop = stop.clone();
        let dir = dir.path().to_path_buf();
        std::thread::spawn(move || {
            let mut boards = VersaBoards::new(BOARDS, &dir, 7, true).unwrap();
            tx.send(boards.cycles.clone()).unwrap();
            boards.run(&stop).unwrap();
            let pcap = dir.join("versa.pcap");
            boards
                .plane_x
                .write_pcap(std::fs::File::create(&pcap).unwrap())
                .unwrap();
            (boards.plane_x.total(), boards.plane_y.total(), pcap)
        })
    };
    let cycles = rx.recv().expect("the boards start");
    // Stops the simulation even when an assertion below fails.
    struct StopOnDrop(Arc<AtomicBool>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let guard = StopOnDrop(stop.clone());

    let backends: Vec<_> = (0..BOARDS).map(|n| backend(dir.path(), n)).collect();
    let t0 = std::time::Instant::now();
    // Every host brings its card up (rings, node id, planes, heartbeats).
    let seqs: Vec<Sequencer> = (0..BOARDS)
        .map(|n| {
            Sequencer::builder()
                .backend(Box::new(backends[n].clone()), n as u8)
                .ring_log2(6)
                .timeout(Duration::from_secs(120))
                .open()
                .unwrap_or_else(|e| panic!("host {n}: bring-up: {e}"))
        })
        .collect();
    println!(
        "3 cards up over their UARTs in {:.1?} ({} card clocks)",
        t0.elapsed(),
        cycles.load(Ordering::Relaxed)
    );
    // Host 0 manages: the CONFIG to every card through its own card's window.
    let manager = Card::with_backend(Box::new(backends[0].clone())).expect("identify");
    let cfg = Config {
        epoch: 1,
        primary: 1,
        secondary: 2,
        counter: Some(1000),
        limit: Some(1 << 40),
        quorum: quorum(BOARDS),
    };
    for to in 0..BOARDS as u8 {
        let ack = manager
            .configure(to, &cfg, Duration::from_secs(120))
            .unwrap_or_else(|e| panic!("CONFIG to {to}: {e}"));
        assert!(
            ack.is_some(),
            "no CONFIG_ACK from card {to} over the fabric"
        );
    }
    let primary = Card::with_backend(Box::new(backends[1].clone())).expect("identify");
    assert!(
        primary.wait_issuing(Duration::from_secs(300)).unwrap(),
        "the primary never held its lease (heartbeats over RGMII)"
    );
    println!(
        "configured, primary issuing after {:.1?} ({} card clocks)",
        t0.elapsed(),
        cycles.load(Ordering::Relaxed)
    );

    // Numbers from hosts 0 and 2, interleaved: strictly increasing everywhere, from the
    // configured counter on.
    let mut got = Vec::new();
    for round in 0..4 {
        for host in [0usize, 2] {
            let r = seqs[host]
                .next_batch(3 + round)
                .unwrap_or_else(|e| panic!("host {host} round {round}: {e}"));
            assert_eq!(r.end - r.start, (3 + round) as u64);
            got.push((host, r));
        }
    }
    println!(
        "{} batches in {:.1?} ({} card clocks): {:?}",
        got.len(),
        t0.elapsed(),
        cycles.load(Ordering::Relaxed),
        got
    );
    assert!(
        got[0].1.start >= 1000,
        "numbers start at the counter: {got:?}"
    );
    for w in got.windows(2) {
        assert!(
            w[1].1.start >= w[0].1.end,
            "numbers not strictly increasing: {:?} then {:?}",
            w[0],
            w[1]
        );
    }

    drop(seqs);
    drop(guard);
    let (x, y, pcap) = sim.join().expect("the simulation thread");
    // The fabric carried it, with nothing bad on the wire.
    for (name, t) in [("X", &x), ("Y", &y)] {
        println!("plane {name}: {t:?}");
        assert_eq!(t.bad(), 0, "plane {name}: bad frames on the wire: {t:?}");
    }
    assert!(x.sent + y.sent > 0, "no frame crossed the RGMII fabric");
    // tshark reads every frame captured at plane X's pins with a good FCS.
    let verdicts = seqfab_testbench::pcap::tshark_fcs(&pcap);
    assert!(!verdicts.is_empty());
    for (ethertype, fcs) in &verdicts {
        assert_eq!(
            fcs, "1",
            "tshark: FCS status {fcs} for EtherType {ethertype}"
        );
    }
    println!(
        "tshark: {} frames at plane X's pins, FCS good",
        verdicts.len()
    );
}
