//! `seqfab-sim`: the simulated seqfab cluster.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use seqfab_sim::bench;
use seqfab_sim::card::{CardKind, FabricWidth, Simulator, VerilatedCard};
use seqfab_sim::faults;
use seqfab_sim::report;
use seqfab_sim::run::{run, run_with, RunOptions};
use seqfab_sim::serve::{serve, ServeOptions};
use seqfab_testbench::host::BatchSize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "seqfab-sim",
    about = "Simulated seqfab clusters: cards in Verilator (or rust-hdl), hosts, two fabric planes, faults, and an independent invariant checker."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a cluster and check invariants I1-I5 over the whole history.
    Run(RunArgs),
    /// Run a cluster continuously and serve every card as a vfio-user device socket, so
    /// ordinary processes reach the simulated cards through the real driver.
    Serve(ServeArgs),
    /// Send one command to a running `serve`'s control channel and print the answer
    /// (`status`, `stop`, or a fault such as `kill:1`, `partition:X:1-2`, `heal:X`).
    Ctl {
        /// The folder `serve` was given.
        #[arg(long)]
        dir: PathBuf,
        command: String,
    },
    /// Check stamped records (the lines of `seqfab`'s `stamp` example, from any number
    /// of processes and hosts) with the independent checker: I1 (unique) and I2 (every
    /// number above every number whose stamp completed before it was asked for).
    CheckStamps {
        /// Files of `stamp` output.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Random fault schedules over every role, each checked by the independent checker.
    Campaign {
        /// Schedules to run (the README's test command runs a handful; the full campaign 1000).
        #[arg(long, default_value_t = 20)]
        schedules: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Requests per schedule.
        #[arg(long, default_value_t = 10_000)]
        requests_per_schedule: u64,
        /// Parallel runs (default: the machine's cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Print the report as JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Print the performance figures: simulation speed, primary and cluster throughput, latency, failover time.
    Bench {
        /// Also write the figures as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Measure the failover time only (a few seconds).
        #[arg(long)]
        failover: bool,
    },
}

/// The cluster and fabric: shared by `run` and `serve`.
#[derive(clap::Args)]
struct FabricArgs {
    /// Cards (2..=64).
    #[arg(long, default_value_t = 4)]
    nodes: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Fabric latency per switch port, in clocks (a hop costs two ports).
    #[arg(long, default_value_t = 0)]
    link_latency: u64,
    /// Probability a frame is lost on a plane.
    #[arg(long, default_value_t = 0.0)]
    loss: f64,
    /// Probability a frame gets a flipped bit on a plane.
    #[arg(long, default_value_t = 0.0)]
    corrupt: f64,
    /// Fault schedule, e.g.
    /// `kill:1@50000,revive:1@90000,partition:X:1-3@60000,heal:X@70000,linkdown:Y:2@100,linkup:Y:2@900`
    /// (`run`: cycles counted from the start of the load; `serve`: from the start).
    #[arg(long, default_value = "")]
    faults: String,
    #[arg(long, value_enum, default_value_t = Simulator::Verilator)]
    model: Simulator,
    /// Width of the cards' fabric ports in bits: 512 (a 100G MAC, one frame a beat) or
    /// 32 (gigabit PHYs, as on the ECP5-5G Versa; 16 beats a frame).
    #[arg(long, value_enum, default_value_t = FabricWidth::Wide)]
    fabric: FabricWidth,
}

impl FabricArgs {
    fn check(&self) -> Result<()> {
        if !(2..=64).contains(&self.nodes) {
            bail!("--nodes {}: a cluster has 2 to 64 cards", self.nodes);
        }
        if !(0.0..=1.0).contains(&self.loss) || !(0.0..=1.0).contains(&self.corrupt) {
            bail!("--loss and --corrupt are probabilities in 0..=1");
        }
        Ok(())
    }

    fn kind(&self, vcd: Option<PathBuf>) -> Result<CardKind> {
        if vcd.is_some() && self.model != Simulator::Verilator {
            bail!("--vcd needs --model verilator");
        }
        Ok(CardKind {
            simulator: self.model,
            width: self.fabric,
            vcd,
        })
    }
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    fabric: FabricArgs,
    /// Requests in total, spread over all hosts.
    #[arg(long, default_value_t = 100_000)]
    requests: u64,
    /// Numbers per request: a number N (fixed) or `1-N` (uniform).
    #[arg(long, default_value = "1-16")]
    batch: String,
    /// Closed loop: requests each queue keeps outstanding (at most the queue FIFO depth, 32).
    #[arg(long, default_value_t = 8)]
    outstanding: usize,
    /// Open loop instead of closed: requests per clock per host (0..=1).
    #[arg(long)]
    rate: Option<f64>,
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
    /// Stop after this many clocks of load (what is open then counts as failed).
    #[arg(long, default_value_t = 50_000_000)]
    max_cycles: u64,
}

#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    fabric: FabricArgs,
    /// Folder for the sockets: card<N>.sock per card and control.sock.
    #[arg(long)]
    dir: PathBuf,
    /// Run the management library (the one `seqfabd --manager` runs) from node 0 inside
    /// the simulator, after bringing every card's fabric side up as its host's agent would.
    #[arg(long)]
    manager: bool,
    /// Pace the simulation to at most this many clocks per second (default: free-running).
    #[arg(long)]
    cycles_per_second: Option<u64>,
    /// Clocks between heartbeats the stand-in agents program (with --manager).
    #[arg(long, default_value_t = 500)]
    heartbeat_period: u64,
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

/// What `run` runs for these arguments (the campaign goes through here too, so its
/// printed command lines reproduce its runs).
fn run_options(a: &RunArgs) -> Result<RunOptions> {
    a.fabric.check()?;
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
    let f = &a.fabric;
    let opts = RunOptions {
        nodes: f.nodes,
        requests: a.requests,
        seed: f.seed,
        batch: parse_batch(&a.batch)?,
        outstanding: a.outstanding,
        rate: a.rate,
        link_latency: f.link_latency,
        loss: f.loss,
        corrupt: f.corrupt,
        faults: faults::parse(&f.faults, f.nodes)?,
        max_cycles: a.max_cycles,
        capture: a.pcap.is_some(),
        ..RunOptions::default()
    };
    Ok(opts)
}

fn run_cmd(a: RunArgs) -> Result<bool> {
    let opts = run_options(&a)?;
    let f = &a.fabric;
    let kind = f.kind(a.vcd.clone())?;
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

fn serve_cmd(a: ServeArgs) -> Result<bool> {
    a.fabric.check()?;
    let f = &a.fabric;
    let opts = ServeOptions {
        nodes: f.nodes,
        dir: a.dir.clone(),
        seed: f.seed,
        link_latency: f.link_latency,
        loss: f.loss,
        corrupt: f.corrupt,
        faults: faults::parse(&f.faults, f.nodes)?,
        manager: a.manager,
        heartbeat_period: a.heartbeat_period,
        window: RunOptions::default().window,
        cycles_per_second: a.cycles_per_second,
        cards: f.kind(None)?,
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone()).context("installing signal handlers")?;
    }
    serve(&opts, stop)?;
    Ok(true)
}

fn ctl_cmd(dir: &std::path::Path, command: &str) -> Result<bool> {
    use std::io::{BufRead, Write};
    let path = seqfab_sim::serve::control_socket(dir);
    let mut s = std::os::unix::net::UnixStream::connect(&path).with_context(|| {
        format!(
            "connecting to {}: is `seqfab-sim serve --dir {}` running?",
            path.display(),
            dir.display()
        )
    })?;
    writeln!(s, "{command}")?;
    let mut answer = String::new();
    std::io::BufReader::new(s).read_line(&mut answer)?;
    print!("{answer}");
    Ok(!answer.starts_with("error:"))
}

fn check_stamps_cmd(files: &[PathBuf]) -> Result<bool> {
    let mut history = seqfab_testbench::history::History::default();
    for (i, f) in files.iter().enumerate() {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        for (ln, line) in text.lines().enumerate() {
            let Some(r) = seqfab_sim::stamps::parse(line, i as u8) else {
                continue;
            };
            history
                .requests
                .push(r.with_context(|| format!("{}:{}", f.display(), ln + 1))?);
        }
    }
    let n = history.requests.len();
    if n == 0 {
        bail!("no stamped records in {files:?}: expected lines of the stamp example");
    }
    history.end_cycle = history
        .requests
        .iter()
        .filter_map(|r| r.completed_cycle)
        .max()
        .unwrap_or(0);
    let v = seqfab_testbench::checker::check(
        &history,
        seqfab_testbench::checker::CheckOptions {
            check_stored: false,
            ..Default::default()
        },
    );
    let mut numbers: Vec<u64> = history.requests.iter().map(|r| r.value).collect();
    numbers.sort_unstable();
    println!(
        "{n} records from {} files, numbers {}..={}: I1 (unique) and I2 (real-time order) {}",
        files.len(),
        numbers[0],
        numbers[n - 1],
        if v.is_empty() {
            "OK".to_string()
        } else {
            format!("VIOLATED {} times", v.len())
        }
    );
    for x in v.iter().take(10) {
        println!("  {x:?}");
    }
    Ok(v.is_empty())
}

fn bench_cmd(json: Option<PathBuf>, failover_only: bool) -> Result<bool> {
    if failover_only {
        let f = bench::failover();
        print!("{}", bench::failover_table(&f));
        if let Some(p) = json {
            std::fs::write(&p, serde_json::to_string_pretty(&f)?)
                .with_context(|| format!("writing {}", p.display()))?;
        }
        return Ok(f.violations == 0);
    }
    let figures = bench::measure(|what| eprintln!("measuring: {what}"));
    print!("{}", bench::table(&figures));
    if let Some(p) = json {
        std::fs::write(&p, serde_json::to_string_pretty(&figures)?)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(true)
}

fn campaign_cmd(
    schedules: usize,
    seed: u64,
    requests: u64,
    jobs: Option<usize>,
    json: bool,
) -> Result<bool> {
    use seqfab_sim::campaign::{schedule, Outcome, Report};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let all: Vec<_> = (0..schedules)
        .map(|i| schedule(seed, i, requests))
        .collect();
    // Parse every schedule before running any: a bad one is a bug in the generator.
    let mut parsed = Vec::new();
    for s in &all {
        let argv = ["seqfab-sim", "run"]
            .into_iter()
            .map(String::from)
            .chain(s.args.clone());
        let Command::Run(a) = Cli::try_parse_from(argv)
            .with_context(|| format!("schedule {}: {}", s.index, s.command()))?
            .command
        else {
            unreachable!("parsed as run");
        };
        parsed.push(run_options(&a).with_context(|| s.command())?);
    }
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let outcomes = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= all.len() {
                    return;
                }
                let r = run(&parsed[i], |_| VerilatedCard::new(), |_, _| {});
                let o = Outcome::of(&all[i], &r);
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                let bad = if o.clean() {
                    String::new()
                } else {
                    format!("  VIOLATIONS {:?}", o.violations)
                };
                eprintln!(
                    "[{k}/{}] schedule {i}: {} nodes, {} completed, {} failed, {} failovers{bad}",
                    all.len(),
                    o.nodes,
                    o.requests_completed,
                    o.requests_failed,
                    o.failovers
                );
                outcomes.lock().expect("no panic holds it").push(o);
            });
        }
    });
    let mut outcomes = outcomes.into_inner().expect("threads done");
    outcomes.sort_by_key(|o| o.index);
    let report = Report {
        seed,
        schedules,
        wall_seconds: started.elapsed().as_secs_f64(),
        requests: requests * schedules as u64,
        outcomes,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    let clean = report.failures().next().is_none();
    Ok(clean)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run(a) => run_cmd(a),
        Command::Serve(a) => serve_cmd(a),
        Command::Ctl { dir, command } => ctl_cmd(&dir, &command),
        Command::CheckStamps { files } => check_stamps_cmd(&files),
        Command::Bench { json, failover } => bench_cmd(json, failover),
        Command::Campaign {
            schedules,
            seed,
            requests_per_schedule,
            jobs,
            json,
        } => campaign_cmd(schedules, seed, requests_per_schedule, jobs, json),
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
