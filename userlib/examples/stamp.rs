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

/// Wall-clock time as `seconds.nanoseconds` (what `seqfab-sim check-stamps` reads).
fn wall() -> Result<String, std::time::SystemTimeError> {
    let t = SystemTime::now().duration_since(UNIX_EPOCH)?;
    Ok(format!("{}.{:09}", t.as_secs(), t.subsec_nanos()))
}

fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args();
    args.position(|a| a == name)?;
    args.next()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let records: u64 = arg("--records").map_or(Ok(10), |v| v.parse())?;
    // Milliseconds between records (0: as fast as numbers come).
    let every = Duration::from_millis(arg("--every-ms").map_or(Ok(0), |v| v.parse())?);
    // How long the process keeps asking while the cluster cannot answer (a failover).
    let patience = Duration::from_secs(arg("--patience-secs").map_or(Ok(30), |v| v.parse())?);
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
    let mut last_number = Instant::now();
    let mut stamped = 0;
    while stamped < records {
        let issued = wall()?;
        match seq.next() {
            Ok(n) => {
                println!(
                    "{} pid {who} record {stamped}: number {n} issued {issued}",
                    wall()?
                );
                stamped += 1;
                last_number = Instant::now();
                std::thread::sleep(every);
            }
            // Right after start-up the manager may not have configured the card yet, and
            // during a failover the old primary's lease runs out before the new one
            // issues: ask again, for a while.
            Err(
                Error::NotConfigured | Error::NoLease | Error::Timeout { .. } | Error::LimitReached,
            ) if last_number.elapsed() < patience => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
