//! End to end over the UART host bridge, with the real pieces: the driver's `uart`
//! backend (and the driver's `Card` on top of it) on one end of a UNIX socket; on the
//! other, the gateware `UartHostBridge` and the whole `CardCore` in rust-hdl's
//! simulator (`BridgedCardSim`), their serial pins driven bit by bit from the socket's
//! bytes (`bridge::socket_link`, in the FT2232H's place).
//!
//! The simulator runs the card core at a few hundred clocks per second, so the UART runs
//! at 4 clocks per bit (40 per byte): a register read is 31 bytes on the wire, about
//! 1 240 card clocks, a few seconds here. The read timeout of the corruption test is
//! calibrated from a measured read for the same reason.
//!
//! Not covered: numbers end to end through `userlib` (a card issues numbers only with a
//! fabric partner, and two simulated cards in this simulator would take minutes per
//! request), interrupts (a card raises one for a completion, which needs the same).

use seqfab_contract::bridge::reg;
use seqfab_contract::mirror::{Mirror, MIRROR_BYTES};
use seqfab_contract::regs;
use seqfab_driver::dma::DmaMemory;
use seqfab_driver::uart::{UartBackend, UartOptions};
use seqfab_driver::{Backend, Card, Error};
use seqfab_gateware::bridge::socket_link::{self, Faults, LinkStats};
use seqfab_gateware::bridge::BridgedCardSim;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Card clocks per bit in these tests (the smallest the receiver takes).
const CPB: u32 = 4;

/// The two tests each keep a core busy with the simulator; one at a time keeps each
/// within its time budget on a shared two-core machine.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A simulated bridged card serving a socket.
struct SimCard {
    path: PathBuf,
    dir: PathBuf,
    faults: Arc<Faults>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<std::io::Result<LinkStats>>>,
}

impl SimCard {
    fn start(name: &str) -> SimCard {
        let dir = std::env::temp_dir().join(format!("seqfab-bridge-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("versa.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let faults = Arc::new(Faults::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (f, s) = (faults.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let card = BridgedCardSim::new(CPB);
            let (stream, _) = listener.accept()?;
            socket_link::serve(card, CPB, stream, f, s)
        });
        SimCard {
            path,
            dir,
            faults,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the simulation (after the host has closed its end) and returns its figures.
    fn finish(mut self) -> LinkStats {
        let t = self.thread.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !t.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.stop.store(true, Ordering::Relaxed);
        t.join().unwrap().unwrap()
    }
}

impl Drop for SimCard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Opens the simulated card with a generous timeout (the simulator may still be building
/// the card, and its speed depends on the machine's load).
fn open(sim: &SimCard) -> Arc<UartBackend> {
    let opts = UartOptions {
        read_timeout: Duration::from_secs(60),
        read_attempts: 3,
        ..UartOptions::default()
    };
    Arc::new(UartBackend::open(&sim.path, &opts).expect("open the bridged card"))
}

/// Sets the read timeout to 2.5 times a measured register read: long enough that a
/// healthy read does not time out, short enough that a lost one costs seconds, not a
/// minute.
fn calibrate(b: &UartBackend) {
    let t = Instant::now();
    assert_eq!(b.read64(regs::ID_MAGIC).unwrap(), seqfab_contract::MAGIC);
    let read = t.elapsed();
    b.set_read_timeout((read * 5 / 2).max(Duration::from_secs(2)));
    println!("one register read through the simulated bridge: {read:.2?}");
}

fn reset_value(offset: u32) -> u64 {
    regs::REGISTERS
        .iter()
        .find(|r| r.offset == offset)
        .expect("a register of the map")
        .reset
}

/// MMIO reads and writes and a DMA write, through the driver and the gateware: the ID
/// block (the contract's `identify`, through `Card`), a register's reset value, a
/// configuration register written and read back, and the state mirror written into host
/// memory by DMA once `MIRROR_ADDR` is set.
#[test]
fn mmio_and_dma_through_the_gateware_bridge() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let start = Instant::now();
    let sim = SimCard::start("mmio");
    let backend = open(&sim);
    let card = Card::with_backend(Box::new(backend.clone())).expect("identify");
    assert_eq!(
        card.identity().version_major,
        seqfab_contract::VERSION_MAJOR
    );
    assert_eq!(card.identity().build_id, regs::CONTRACT_HASH);

    assert_eq!(
        card.read(regs::HEARTBEAT_PERIOD).unwrap(),
        reset_value(regs::HEARTBEAT_PERIOD)
    );
    card.write(regs::HEARTBEAT_PERIOD, 4321).unwrap();
    assert_eq!(card.read(regs::HEARTBEAT_PERIOD).unwrap(), 4321);

    // The state mirror: the card writes it by DMA when MIRROR_ADDR moves.
    let iova = 0x1_0000_0000;
    let mem = DmaMemory::new(4096, false).unwrap();
    backend.map_dma(&mem, iova).unwrap();
    card.write(regs::MIRROR_ADDR, iova + 0x40).unwrap();
    let deadline = Instant::now() + Duration::from_secs(40);
    while backend.stats().dma_writes == 0 {
        assert!(
            Instant::now() < deadline,
            "no DMA write: {:?}",
            backend.stats()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let m = Mirror::decode(&mem.read_bytes::<MIRROR_BYTES>(0x40).unwrap());
    assert_eq!((m.counter, m.stored, m.limit, m.epoch), (0, 0, 0, 0));
    assert!(
        m.sequence > 0,
        "a mirror write carries its sequence number: {m:?}"
    );
    assert_eq!(mem.read64(0).unwrap(), 0, "nothing outside the mirror");
    let stats = backend.stats();
    assert_eq!(
        (
            stats.dma_outside,
            stats.crc_errors,
            stats.seq_gaps,
            stats.read_timeouts
        ),
        (0, 0, 0, 0)
    );

    drop(card);
    drop(backend);
    let link = sim.finish();
    println!(
        "mmio_and_dma: {:.1} s, {} card clocks, {} bytes to the card, {} back",
        start.elapsed().as_secs_f64(),
        link.cycles,
        link.bytes_to_card,
        link.bytes_to_host
    );
    assert_eq!(link.framing_errors, 0);
}

/// A byte corrupted on the wire in each direction: the receiving end finds the bad CRC,
/// drops the packet and counts it; the read times out and is retried; a lost posted
/// write is reported at the next read. Nothing hangs.
#[test]
fn a_corrupted_byte_is_detected_counted_and_survived() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let start = Instant::now();
    let sim = SimCard::start("corrupt");
    let b = open(&sim);
    calibrate(&b);
    let hb = reset_value(regs::HEARTBEAT_PERIOD);

    // Host -> card: bit 0 of the read's address (wire byte 3: END, kind, id, addr[0]).
    sim.faults.corrupt_to_card(3, 0x01);
    assert_eq!(b.read64(regs::HEARTBEAT_PERIOD).unwrap(), hb);
    assert!(b.stats().read_timeouts >= 1);

    // Card -> host: bit 0 of the reply's data (wire byte 4: END, kind, seq, id, data[0]).
    let before = b.stats();
    sim.faults.corrupt_to_host(4, 0x01);
    assert_eq!(b.read64(regs::HEARTBEAT_PERIOD).unwrap(), hb);
    let after = b.stats();
    assert_eq!(
        after.crc_errors - before.crc_errors,
        1,
        "the host counted it"
    );
    assert!(after.read_timeouts > before.read_timeouts);

    // A posted write lost to a bad CRC (wire byte 3: END, kind, addr[0], addr[1]):
    // reported by the next read.
    sim.faults.corrupt_to_card(3, 0x01);
    b.write64(regs::NODE_ID, 7).unwrap();
    match b.read64(regs::NODE_ID) {
        Err(Error::BridgeWritesLost { lost: 1, .. }) => {}
        other => panic!("expected the lost write to be reported, got {other:?}"),
    }
    // The card counted both packets it dropped (the read and the write).
    assert_eq!(b.bridge_reg(reg::CRC_ERRORS).unwrap(), 2);

    drop(b);
    let link = sim.finish();
    assert_eq!(link.corrupted, 3);
    println!(
        "corruption: {:.1} s, {} card clocks",
        start.elapsed().as_secs_f64(),
        link.cycles
    );
}
