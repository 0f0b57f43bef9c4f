//! Board tops under Verilator: ECP5-5G Versa cards (`models::versa_card`, the board's card
//! without its PLL: core, UART host bridge, two RGMII MACs) wired RGMII to RGMII through
//! one [`RgmiiSwitch`] per fabric plane, each card's UART served on a UNIX socket for the
//! driver's `uart` backend (the FT2232H's part, [`SerialLink`]).
//!
//! # Clocks
//!
//! Time runs in thirds of a nanosecond, so the board's card clock (50 MHz: 60 units) and
//! the 125 MHz RGMII clock (24 units) are whole; both follow the board's constants. Each
//! board's RGMII TX clock and its two RXCs are the same 125 MHz clock here (a PHY's RXC
//! is its own, but the MAC's receive domain is still crossed into the card clock, which
//! is what the model checks); the card clock is unrelated to it, as on the board.
//!
//! At each RGMII edge every board's RX pins are set to the switch's half for that edge
//! and the edge evaluated in one step (the IDDR samples what is driven); the TX pins are
//! then read (the ODDR shows the rising half while the clock is high, the falling half
//! while it is low). After the falling edge the switches take the clock's TX pins and
//! return the next clock's RX pins (one clock of cable).
//!
//! At each card clock's rising edge the UART's levels move one clock: the bridge's `tx`
//! pin (a register) is read before the edge and its `rx` pin set for it, as
//! `bridge::socket_link::serve` does for the rust-hdl card.

use crate::models::versa_card::Model;
use seqfab_boards::ecp5::versa::{host_uart_rate, CARD_CLOCK_KHZ, RGMII_CLOCK_KHZ};
use seqfab_gateware::bridge::socket_link::{Faults, SerialLink};
use seqfab_testbench::rgmii_switch::{RgmiiPins, RgmiiSwitch};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Time units per second: thirds of a nanosecond.
const UNITS_PER_S: u64 = 3_000_000_000;

/// Half a period of a clock of `khz`, in time units.
const fn half_period(khz: u64) -> u64 {
    let period = UNITS_PER_S / (khz * 1000);
    assert!(period * khz * 1000 == UNITS_PER_S && period.is_multiple_of(2));
    period / 2
}

const CARD_HALF: u64 = half_period(CARD_CLOCK_KHZ);
const RGMII_HALF: u64 = half_period(RGMII_CLOCK_KHZ);

/// Card clocks between polls of the listening sockets for a host.
const ACCEPT_EVERY: u64 = 4096;

/// One board and its host's serial line.
struct Board {
    model: Model,
    listener: UnixListener,
    link: Option<SerialLink>,
}

/// Versa boards, their fabric and their UART sockets; see the module doc.
pub struct VersaBoards {
    boards: Vec<Board>,
    /// Plane X: port `n` is board `n`'s PHY1.
    pub plane_x: RgmiiSwitch,
    /// Plane Y: port `n` is board `n`'s PHY2.
    pub plane_y: RgmiiSwitch,
    next_card: u64,
    card_high: bool,
    next_rgmii: u64,
    rgmii_high: bool,
    tx_x: Vec<RgmiiPins>,
    tx_y: Vec<RgmiiPins>,
    rx_x: Vec<RgmiiPins>,
    rx_y: Vec<RgmiiPins>,
    /// Card clocks so far (shared, so another thread can watch progress).
    pub cycles: Arc<AtomicU64>,
}

/// Where board `n`'s UART socket is under `dir`.
pub fn socket_path(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("versa{n}.sock"))
}

impl VersaBoards {
    /// `n` boards with their UART sockets under `dir` ([`socket_path`]); switches seeded
    /// with `seed`, capturing every frame when `capture`.
    pub fn new(n: usize, dir: &Path, seed: u64, capture: bool) -> std::io::Result<Self> {
        let mut boards = Vec::new();
        for k in 0..n {
            let listener = UnixListener::bind(socket_path(dir, k))?;
            listener.set_nonblocking(true)?;
            let mut model = Model::new();
            model.set_uart_rx(1);
            boards.push(Board {
                model,
                listener,
                link: None,
            });
        }
        let mut plane_x = RgmiiSwitch::new(n, seed);
        let mut plane_y = RgmiiSwitch::new(n, seed ^ 0x5eed);
        if capture {
            plane_x.capture = Some(Vec::new());
            plane_y.capture = Some(Vec::new());
        }
        Ok(VersaBoards {
            boards,
            plane_x,
            plane_y,
            next_card: CARD_HALF,
            card_high: false,
            next_rgmii: RGMII_HALF,
            rgmii_high: false,
            tx_x: vec![RgmiiPins::IDLE; n],
            tx_y: vec![RgmiiPins::IDLE; n],
            rx_x: vec![RgmiiPins::IDLE; n],
            rx_y: vec![RgmiiPins::IDLE; n],
            cycles: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Runs until `stop` is set.
    pub fn run(&mut self, stop: &AtomicBool) -> std::io::Result<()> {
        while !stop.load(Ordering::Relaxed) {
            self.step(stop)?;
        }
        Ok(())
    }

    /// Runs `cycles` card clocks.
    pub fn run_cycles(&mut self, cycles: u64) -> std::io::Result<()> {
        let stop = AtomicBool::new(false);
        let end = self.cycles.load(Ordering::Relaxed) + cycles;
        while self.cycles.load(Ordering::Relaxed) < end {
            self.step(&stop)?;
        }
        Ok(())
    }

    /// The LEDs of board `n` (active low).
    pub fn leds(&self, n: usize) -> u64 {
        self.boards[n].model.get_led()
    }

    /// The next clock edge, card or RGMII (the card's first when they coincide).
    fn step(&mut self, stop: &AtomicBool) -> std::io::Result<()> {
        if self.next_card <= self.next_rgmii {
            self.card_edge(stop)
        } else {
            self.rgmii_edge();
            Ok(())
        }
    }

    fn card_edge(&mut self, stop: &AtomicBool) -> std::io::Result<()> {
        self.next_card += CARD_HALF;
        self.card_high = !self.card_high;
        if !self.card_high {
            for b in &mut self.boards {
                b.model.clock_low();
            }
            return Ok(());
        }
        let cycle = self.cycles.fetch_add(1, Ordering::Relaxed);
        for b in &mut self.boards {
            if cycle.is_multiple_of(ACCEPT_EVERY) && b.link.as_ref().is_none_or(|l| l.closed()) {
                if let Ok((stream, _)) = b.listener.accept() {
                    b.link = Some(SerialLink::new(
                        stream,
                        host_uart_rate().clocks_per_bit,
                        Arc::new(Faults::default()),
                    )?);
                }
            }
            let level = match &mut b.link {
                Some(l) => {
                    let level = l.level()?;
                    l.sample(b.model.get_uart_tx() != 0, stop)?;
                    level
                }
                None => true,
            };
            b.model.set_uart_rx(level as u64);
            b.model.clock_high();
        }
        Ok(())
    }

    fn rgmii_edge(&mut self) {
        self.next_rgmii += RGMII_HALF;
        self.rgmii_high = !self.rgmii_high;
        let high = self.rgmii_high;
        for (n, b) in self.boards.iter_mut().enumerate() {
            let m = &mut b.model;
            let (x, y) = (self.rx_x[n], self.rx_y[n]);
            let (dx, cx, dy, cy) = if high {
                (x.d_rise, x.ctl_rise, y.d_rise, y.ctl_rise)
            } else {
                (x.d_fall, x.ctl_fall, y.d_fall, y.ctl_fall)
            };
            m.set_eth_x_rxd(dx as u64);
            m.set_eth_x_rx_ctl(cx as u64);
            m.set_eth_y_rxd(dy as u64);
            m.set_eth_y_rx_ctl(cy as u64);
            m.set_tx_clock(high as u64);
            m.set_eth_x_rxc(high as u64);
            m.set_eth_y_rxc(high as u64);
            m.eval();
            let (d_x, c_x) = (m.get_eth_x_txd() as u8, m.get_eth_x_tx_ctl() != 0);
            let (d_y, c_y) = (m.get_eth_y_txd() as u8, m.get_eth_y_tx_ctl() != 0);
            if high {
                (self.tx_x[n].d_rise, self.tx_x[n].ctl_rise) = (d_x, c_x);
                (self.tx_y[n].d_rise, self.tx_y[n].ctl_rise) = (d_y, c_y);
            } else {
                (self.tx_x[n].d_fall, self.tx_x[n].ctl_fall) = (d_x, c_x);
                (self.tx_y[n].d_fall, self.tx_y[n].ctl_fall) = (d_y, c_y);
            }
        }
        if !high {
            self.rx_x = self.plane_x.step(&self.tx_x).to_vec();
            self.rx_y = self.plane_y.step(&self.tx_y).to_vec();
        }
    }
}
