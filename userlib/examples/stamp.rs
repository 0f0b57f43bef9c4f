//! Stamps records with numbers from seqfab and prints them with wall-clock times: run
//! several at once, on one host or several, and every record's number is unique and
//! follows the real-time order of the stamps.
//!
//! ```sh
//! target/release/seqfab-sim serve --nodes 3 --manager --dir /tmp/seqfab &
//! # one process per simulated host, each owning its card:
//! for n in 0 1 2; do
//!   cargo run --release -p seqfab --example stamp -- --card /tmp/seqfab/card$n.sock --node $n --records 5 &
//! done; wait
//! # or many processes on one host, through the host agent:
//! target/release/seqfabd --card /tmp/seqfab/card0.sock --node 0 --socket /tmp/seqfab/agent.sock &
//! cargo run --release -p seqfab --example stamp -- --agent /tmp/seqfab/agent.sock --records 5
//! ```

use seqfab::{Error, Sequencer};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args();
    args.position(|a| a == name)?;
    args.next()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let records: u64 = arg("--records").map_or(Ok(10), |v| v.parse())?;
    let builder = match (arg("--card"), arg("--agent")) {
        (Some(card), _) => {
            let node: u8 = arg("--node").map_or(Ok(0), |v| v.parse())?;
            Sequencer::builder().card(card.parse()?, node)
        }
        (None, Some(agent)) => Sequencer::builder().agent(agent, 1),
        (None, None) => return Err("give --card PATH --node N, or --agent SOCKET".into()),
    };
    let seq = builder.open()?;
    let who = std::process::id();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut stamped = 0;
    while stamped < records {
        match seq.next() {
            Ok(n) => {
                let t = SystemTime::now().duration_since(UNIX_EPOCH)?;
                println!(
                    "{}.{:06} pid {who} record {stamped}: number {n}",
                    t.as_secs(),
                    t.subsec_micros()
                );
                stamped += 1;
            }
            // Right after start-up the manager may not have configured the card yet.
            Err(Error::NotConfigured) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
