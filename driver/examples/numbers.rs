//! Takes numbers from seqfab cards through the driver and prints them.
//!
//! Against a simulated cluster:
//!
//! ```sh
//! target/release/seqfab-sim serve --nodes 3 --dir /run/seqfab-sim &
//! cargo run --release -p seqfab-driver --example numbers -- --dir /run/seqfab-sim --nodes 3
//! ```
//!
//! With `--dir`, it is every card's host: it opens all `--nodes` cards, brings each up,
//! configures roles through card 0's management window (primary 1, secondary 2, epoch
//! 1), then rings doorbells on card 0 and prints the ranges from its completion ring.
//! With `--card PATH --node N` it opens one card only, for a server run with
//! `--manager`, where the roles are already set.

use clap::Parser;
use seqfab_driver::{Card, Config, Options, Target};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// A `seqfab-sim serve` folder: open card0.sock .. card<nodes-1>.sock.
    #[arg(long)]
    dir: Option<PathBuf>,
    #[arg(long, default_value_t = 3)]
    nodes: usize,
    /// One card only (PCI address or socket path), already configured by a manager.
    #[arg(long, conflicts_with = "dir")]
    card: Option<String>,
    /// The node id of `--card`.
    #[arg(long, default_value_t = 0)]
    node: u8,
    /// Requests to make.
    #[arg(long, default_value_t = 10)]
    requests: u32,
    /// Numbers per request.
    #[arg(long, default_value_t = 4)]
    count: u32,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = Args::parse();
    let mut cards = Vec::new();
    let user = match (&a.dir, &a.card) {
        (Some(dir), _) => {
            for n in 0..a.nodes {
                let path = dir.join(format!("card{n}.sock"));
                let mut card = Card::open(&Target::VfioUser(path))?;
                card.bring_up(&Options {
                    node: n as u8,
                    ..Options::default()
                })?;
                cards.push(card);
            }
            let cfg = Config {
                epoch: 1,
                primary: 1 % a.nodes as u8,
                secondary: 2 % a.nodes as u8,
                counter: Some(0),
                limit: Some(u64::MAX / 2),
                quorum: seqfab_contract::lease::quorum(a.nodes),
            };
            for to in 0..a.nodes as u8 {
                if cards[0]
                    .configure(to, &cfg, Duration::from_secs(5))?
                    .is_none()
                {
                    return Err(format!("card {to} did not acknowledge its CONFIG").into());
                }
            }
            // The new primary waits out its hold before it issues (docs/leases.md).
            let primary = &cards[cfg.primary as usize];
            if !primary.wait_issuing(Duration::from_secs(30))? {
                return Err("the primary never took its lease".into());
            }
            0
        }
        (None, Some(t)) => {
            let mut card = Card::open(&t.parse()?)?;
            card.bring_up(&Options {
                node: a.node,
                ..Options::default()
            })?;
            cards.push(card);
            0
        }
        (None, None) => return Err("give --dir DIR or --card TARGET".into()),
    };
    let card = &cards[user];
    eprintln!("{}: {:?}", card.device(), card.identity());
    for i in 0..a.requests as u64 {
        card.doorbell(0, a.count, i as u16)?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let c = loop {
            if let Some(c) = card.completion(0, i)? {
                break c;
            }
            if Instant::now() > deadline {
                return Err(format!("request {i}: no completion within 10 s").into());
            }
            std::thread::yield_now();
        };
        if c.status != 0 {
            return Err(format!("request {i}: status {}", c.status).into());
        }
        println!(
            "[{}, {}) epoch {}",
            c.value,
            c.value + c.count as u64,
            c.epoch
        );
    }
    Ok(())
}
