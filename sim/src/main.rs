//! `seqfab-sim`: the simulated seqfab cluster.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use seqfab_sim::bench;
use seqfab_sim::faults;
use seqfab_sim::model::ModelKind;
use seqfab_sim::report;
use seqfab_sim::run::{run_with, RunOptions};
use seqfab_testbench::host::BatchSize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "seqfab-sim",
    about = "Simulated seqfab clusters: cards in Verilator (or rust-hdl), hosts, two fabric planes, faults, and an independent invariant checker."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Model {
    /// The card core's Verilog under Verilator (fast).
    Verilator,
    /// The card core in rust-hdl's own simulator (slow; the reference).
    RustHdl,
}

#[derive(Subcommand)]
enum Command {
    /// Run a cluster and check invariants I1-I5 over the whole history.
    Run(RunArgs),
    /// Print the performance figures: simulation speed, primary and cluster throughput, latency.
    Bench {
        /// Also write the figures as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Cards (2..=64).
    #[arg(long, default_value_t = 4)]
    nodes: usize,
    /// Requests in total, spread over all hosts.
    #[arg(long, default_value_t = 100_000)]
    requests: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Numbers per request: a number N (fixed) or `1-N` (uniform).
    #[arg(long, default_value = "1-16")]
    batch: String,
    /// Closed loop: requests each queue keeps outstanding (at most the queue FIFO depth, 32).
    #[arg(long, default_value_t = 8)]
    outstanding: usize,
    /// Open loop instead of closed: requests per clock per host (0..=1).
    #[arg(long)]
    rate: Option<f64>,
    /// Fabric latency per switch port, in clocks (a hop costs two ports).
    #[arg(long, default_value_t = 0)]
    link_latency: u64,
    /// Probability a frame is lost on a plane.
    #[arg(long, default_value_t = 0.0)]
    loss: f64,
    /// Probability a frame gets a flipped bit on a plane.
    #[arg(long, default_value_t = 0.0)]
    corrupt: f64,
    /// Fault schedule, cycles counted from the start of the load, e.g.
    /// `kill:1@50000,revive:1@90000,partition:X:1-3@60000,heal:X@70000,linkdown:Y:2@100,linkup:Y:2@900`.
    #[arg(long, default_value = "")]
    faults: String,
    /// Write the request history here (JSON lines).
    #[arg(long)]
    history: Option<PathBuf>,
    /// Write one pcap per plane into this folder.
    #[arg(long)]
    pcap: Option<PathBuf>,
    /// Write a VCD waveform of node 0's card (Verilator model only).
    #[arg(long)]
    vcd: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    #[arg(long, value_enum, default_value_t = Model::Verilator)]
    model: Model,
    /// Stop after this many clocks of load (what is open then counts as failed).
    #[arg(long, default_value_t = 50_000_000)]
    max_cycles: u64,
}

fn parse_batch(s: &str) -> Result<BatchSize> {
    let bad = || format!("--batch {s:?}: expected N or 1-N with N in 1..=16777215");
    let max = seqfab_contract::limits::MAX_COUNT;
    let b = match s.split_once('-') {
        Some(("1", n)) => BatchSize::Uniform(
            n.parse()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .with_context(bad)?,
        ),
        Some(_) => bail!(bad()),
        None => BatchSize::Fixed(
            s.parse()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .with_context(bad)?,
        ),
    };
    Ok(b)
}

fn run_cmd(a: RunArgs) -> Result<bool> {
    if !(2..=64).contains(&a.nodes) {
        bail!("--nodes {}: a cluster has 2 to 64 cards", a.nodes);
    }
    if !(0.0..=1.0).contains(&a.loss) || !(0.0..=1.0).contains(&a.corrupt) {
        bail!("--loss and --corrupt are probabilities in 0..=1");
    }
    if a.outstanding == 0 || a.outstanding > seqfab_contract::limits::QUEUE_FIFO_DEPTH {
        bail!(
            "--outstanding {}: must be 1..={}",
            a.outstanding,
            seqfab_contract::limits::QUEUE_FIFO_DEPTH
        );
    }
    if let Some(r) = a.rate {
        if !(r > 0.0 && r <= 1.0) {
            bail!("--rate {r}: requests per clock per host must be in (0, 1]");
        }
    }
    let opts = RunOptions {
        nodes: a.nodes,
        requests: a.requests,
        seed: a.seed,
        batch: parse_batch(&a.batch)?,
        outstanding: a.outstanding,
        rate: a.rate,
        link_latency: a.link_latency,
        loss: a.loss,
        corrupt: a.corrupt,
        faults: faults::parse(&a.faults, a.nodes)?,
        max_cycles: a.max_cycles,
        capture: a.pcap.is_some(),
        ..RunOptions::default()
    };
    let kind = match a.model {
        Model::Verilator => ModelKind::Verilator { vcd: a.vcd.clone() },
        Model::RustHdl => {
            if a.vcd.is_some() {
                bail!("--vcd needs --model verilator");
            }
            ModelKind::RustHdl
        }
    };
    let bar = (!a.quiet && !a.json).then(|| {
        let b = indicatif::ProgressBar::new(a.requests);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {pos}/{len} requests ({per_sec})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        b
    });
    let result = run_with(&opts, kind, |done, _| {
        if let Some(b) = &bar {
            b.set_position(done);
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(p) = &a.history {
        report::write_history(p, &result.history.requests)
            .with_context(|| format!("writing the history to {}", p.display()))?;
    }
    if let Some(dir) = &a.pcap {
        let paths = report::write_pcaps(dir, &result)
            .with_context(|| format!("writing pcaps into {}", dir.display()))?;
        if !a.json {
            for p in paths {
                eprintln!("wrote {}", p.display());
            }
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&result.summary)?);
    } else {
        print!("{}", report::human(&result));
    }
    Ok(result.summary.violations == 0)
}

fn bench_cmd(json: Option<PathBuf>) -> Result<bool> {
    let figures = bench::measure(|what| eprintln!("measuring: {what}"));
    print!("{}", bench::table(&figures));
    if let Some(p) = json {
        std::fs::write(&p, serde_json::to_string_pretty(&figures)?)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(true)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run(a) => run_cmd(a),
        Command::Bench { json } => bench_cmd(json),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
