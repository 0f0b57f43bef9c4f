//! `seqfab-sim serve`: a simulated cluster that runs continuously and serves each card to
//! ordinary processes as a vfio-user device (DESIGN.md section 6, co-simulation).
//!
//! - `DIR/card<N>.sock`: card N, one client at a time (as one process owns a VFIO
//!   device). BAR0 is region 0, of the contract's size; MSI-X (irq index 2) has one vector
//!   per queue; the client's DMA_MAP regions are where the card's DMA writes land.
//! - `DIR/control.sock`: the live control channel ([`control`]).
//!
//! A card with no client is a host whose driver is not loaded: idle, not enabled, unless
//! `--manager` is given, when every host's stand-in agent brings the card's fabric side
//! up (node id N, heartbeats, both planes) and the management library, through
//! [`crate::manager`], configures roles from node 0, so a client need only bring its
//! queues up. A client that disconnects, or is killed, leaves its card's fabric side
//! running; its queues stop and its memory and eventfds are dropped. The other cards and
//! clients do not notice.

mod control;
mod device;
mod dma;
mod hosts;

pub use hosts::{CardStatus, Status, DEAD_READ};

use crate::card::{make_card, CardKind};
use crate::faults::Event;
use anyhow::{bail, Context, Result};
use seqfab_testbench::cluster::Cluster;
use seqfab_testbench::pins::CardModel;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::channel;
use std::sync::Arc;

/// Everything `serve` is made of.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub nodes: usize,
    pub dir: PathBuf,
    pub seed: u64,
    pub link_latency: u64,
    pub loss: f64,
    pub corrupt: f64,
    /// Fault schedule, cycles counted from the start.
    pub faults: Vec<Event>,
    pub manager: bool,
    pub heartbeat_period: u64,
    pub window: u64,
    pub cycles_per_second: Option<u64>,
    /// What the cards are made of (`serve` takes no `--vcd`).
    pub cards: CardKind,
}

/// Path of card `n`'s socket in `dir`.
pub fn card_socket(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("card{n}.sock"))
}

/// Path of the control socket in `dir`.
pub fn control_socket(dir: &Path) -> PathBuf {
    dir.join("control.sock")
}

/// Binds `path`, replacing a stale socket file but refusing to steal one a live server
/// still answers on.
fn bind(path: &Path) -> Result<UnixListener> {
    if path.exists() {
        if UnixStream::connect(path).is_ok() {
            bail!(
                "{} is in use by a running server: stop it, or serve into another --dir",
                path.display()
            );
        }
        std::fs::remove_file(path)
            .with_context(|| format!("removing the stale socket {}", path.display()))?;
    }
    UnixListener::bind(path).with_context(|| format!("binding {}", path.display()))
}

/// Serves until `stop` is set (SIGINT/SIGTERM or the control channel's `stop`), then
/// removes its sockets.
pub fn serve(opts: &ServeOptions, stop: Arc<AtomicBool>) -> Result<()> {
    std::fs::create_dir_all(&opts.dir)
        .with_context(|| format!("creating {}", opts.dir.display()))?;
    let mut paths = Vec::new();
    let mut listeners = Vec::new();
    for n in 0..opts.nodes {
        let p = card_socket(&opts.dir, n);
        listeners.push(bind(&p)?);
        paths.push(p);
    }
    let control_path = control_socket(&opts.dir);
    let control = bind(&control_path)?;
    paths.push(control_path);
    let result = run(opts, listeners, control, stop);
    for p in &paths {
        let _ = std::fs::remove_file(p);
    }
    result
}

fn run(
    opts: &ServeOptions,
    listeners: Vec<UnixListener>,
    control: UnixListener,
    stop: Arc<AtomicBool>,
) -> Result<()> {
    let mut cards: Vec<Box<dyn CardModel>> = Vec::with_capacity(opts.nodes);
    for n in 0..opts.nodes {
        cards.push(make_card(&opts.cards, n)?);
    }
    let mut cluster = Cluster::new(cards, opts.link_latency, opts.seed);
    for p in &mut cluster.planes {
        p.loss = opts.loss;
        p.corrupt = opts.corrupt;
    }
    let (tx, rx) = channel();
    for (card, listener) in listeners.into_iter().enumerate() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let tx = tx.clone();
                std::thread::spawn(move || device::serve_connection(card, stream, tx));
            }
        });
    }
    {
        let (tx, stop, nodes) = (tx.clone(), stop.clone(), opts.nodes);
        std::thread::spawn(move || control::listen(control, nodes, tx, stop));
    }
    drop(tx);
    eprintln!(
        "serving {} cards in {}: card0.sock..card{}.sock, control.sock{}",
        opts.nodes,
        opts.dir.display(),
        opts.nodes - 1,
        if opts.manager {
            "; the manager runs from node 0"
        } else {
            ""
        }
    );
    hosts::run(
        cluster,
        hosts::Settings {
            faults: opts.faults.clone(),
            manager: opts.manager,
            heartbeat_period: opts.heartbeat_period,
            window: opts.window,
            cycles_per_second: opts.cycles_per_second,
        },
        rx,
        stop.clone(),
    );
    stop.store(true, Ordering::Relaxed);
    eprintln!("serve stopped");
    Ok(())
}
