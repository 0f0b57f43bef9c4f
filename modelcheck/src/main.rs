//! `seqfab-modelcheck`: checks the failover protocol (or a planted bug) for one
//! configuration and prints the states explored, the depth, the time and any
//! counterexample. See modelcheck/README.md for the runs and their figures.

use clap::Parser;
use seqfab_modelcheck::{check, Params, Search, Variant};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(version, about = "Model-check seqfab's failover protocol (stateright)")]
struct Args {
    /// Cards in the cluster (3 to 5).
    #[arg(long, default_value_t = 3)]
    cards: usize,
    /// The protocol, or a planted bug.
    #[arg(long, value_enum, default_value_t = Variant::Correct)]
    variant: Variant,
    /// Stop after this many steps (default: run to completion).
    #[arg(long)]
    depth: Option<usize>,
    #[arg(long, value_enum, default_value_t = Search::Bfs)]
    search: Search,
    /// Keep searching after the first counterexample.
    #[arg(long)]
    all: bool,
    /// Lease `L` in ticks (a tick is one heartbeat period).
    #[arg(long)]
    lease: Option<u8>,
    /// Heartbeat delay bound `D` in ticks.
    #[arg(long)]
    delay: Option<u8>,
    /// Hold `H` in ticks (default: the rule of docs/leases.md, `lease::hold_for`).
    #[arg(long)]
    hold: Option<u8>,
    #[arg(long)]
    requests: Option<u8>,
    /// REQ frames per request (first send and re-issues).
    #[arg(long)]
    sends: Option<u8>,
    /// Highest epoch (failovers + 1).
    #[arg(long)]
    max_epoch: Option<u8>,
    #[arg(long)]
    kills: Option<u8>,
    #[arg(long)]
    dups: Option<u8>,
    #[arg(long)]
    restarts: Option<u8>,
    #[arg(long)]
    partitions: Option<u8>,
    #[arg(long)]
    window: Option<u8>,
    #[arg(long)]
    max_value: Option<u8>,
    /// No symmetry reduction (counterexamples keep the first state's node ids).
    #[arg(long)]
    no_symmetry: bool,
}

fn main() -> ExitCode {
    let a = Args::parse();
    if !(3..=seqfab_modelcheck::MAX_CARDS).contains(&a.cards) {
        eprintln!("--cards must be 3 to {}", seqfab_modelcheck::MAX_CARDS);
        return ExitCode::from(2);
    }
    let mut p = Params::new(a.cards, a.variant);
    if let Some(v) = a.delay {
        p.delay = v;
    }
    if let Some(v) = a.lease {
        p.lease = v;
    }
    p.hold = a
        .hold
        .unwrap_or_else(|| Params::hold_rule(p.delay, p.lease));
    macro_rules! set {
        ($($f:ident),*) => { $( if let Some(v) = a.$f { p.$f = v; } )* };
    }
    p.symmetry = !a.no_symmetry;
    set!(requests, sends, max_epoch, kills, dups, restarts, partitions, window, max_value);
    if p.max_epoch as usize >= seqfab_modelcheck::MAX_EPOCHS || p.max_value > 64 {
        eprintln!(
            "--max-epoch must be below {} and --max-value at most 64",
            seqfab_modelcheck::MAX_EPOCHS
        );
        return ExitCode::from(2);
    }
    println!(
        "{} cards, {:?}: L={} D={} h=1 H={} (rule: {}), window {}, {} requests x {} sends, \
         epochs <= {}, faults: {} kill, {} dup, {} restart, {} partition; {:?}{}",
        p.cards,
        p.variant,
        p.lease,
        p.delay,
        p.effective_hold(),
        Params::hold_rule(p.delay, p.lease),
        p.window,
        p.requests,
        p.sends,
        p.max_epoch,
        p.kills,
        p.dups,
        p.restarts,
        p.partitions,
        a.search,
        a.depth
            .map(|d| format!(", depth <= {d}"))
            .unwrap_or_default()
    );
    let r = check(p, a.depth, a.search, !a.all);
    println!(
        "{} unique states ({} generated), depth {}, {:.1} s, {}",
        r.unique_states,
        r.states,
        r.max_depth,
        r.seconds,
        if r.exhaustive {
            "exhaustive"
        } else {
            "bounded by depth"
        }
    );
    let mut failed = false;
    for f in &r.found {
        if f.failure {
            failed = true;
            println!("VIOLATED: {} ({} steps):", f.property, f.steps.len());
            for (k, s) in f.steps.iter().enumerate() {
                println!("  {:3} {s}", k + 1);
            }
        } else {
            println!("example: {} ({} steps)", f.property, f.steps.len());
        }
    }
    if !failed {
        println!("no property violated");
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
