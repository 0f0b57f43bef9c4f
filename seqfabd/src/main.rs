//! `seqfabd`: the seqfab host agent.

use anyhow::{Context, Result};
use clap::Parser;
use seqfabd::agent::{run, AgentOptions};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "seqfabd",
    about = "The seqfab host agent: owns this host's card and grants its queues to local processes over a UNIX socket."
)]
struct Args {
    /// The card: a PCI address (0000:03:00.0) or a simulated card's socket.
    #[arg(long)]
    card: String,
    /// The card's node id on the fabric.
    #[arg(long)]
    node: u8,
    /// The agent's socket.
    #[arg(long, default_value = "/run/seqfab/seqfabd.sock")]
    socket: PathBuf,
    /// Group admitted to the socket (numeric gid or a name from /etc/group).
    #[arg(long)]
    group: Option<String>,
    /// Mode of the socket file, octal.
    #[arg(long, default_value = "660")]
    socket_mode: String,
    /// Queues one process may hold at once.
    #[arg(long, default_value_t = 1)]
    max_per_process: usize,
    /// Queues the agent grants (0..N).
    #[arg(long, default_value_t = 4)]
    queues: usize,
    /// Milliseconds a released queue drains before it is granted again.
    #[arg(long, default_value_t = 3000)]
    drain_ms: u64,
}

fn gid(name: &str) -> Result<u32> {
    if let Ok(n) = name.parse() {
        return Ok(n);
    }
    nix::unistd::Group::from_name(name)
        .context("reading /etc/group")?
        .map(|g| g.gid.as_raw())
        .with_context(|| format!("no group named {name:?} (create it with `groupadd {name}`)"))
}

fn main_() -> Result<()> {
    let a = Args::parse();
    let opts = AgentOptions {
        card: a
            .card
            .parse()
            .with_context(|| format!("--card {}", a.card))?,
        node: a.node,
        socket: a.socket,
        socket_mode: u32::from_str_radix(&a.socket_mode, 8).with_context(|| {
            format!(
                "--socket-mode {}: expected octal such as 660",
                a.socket_mode
            )
        })?,
        group: a.group.as_deref().map(gid).transpose()?,
        max_per_process: a.max_per_process.max(1),
        grantable: a.queues,
        drain: Duration::from_millis(a.drain_ms),
        ring_log2: 8,
    };
    if let Some(dir) = opts.socket.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone()).context("installing signal handlers")?;
    }
    run(opts, stop)
}

fn main() -> ExitCode {
    match main_() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("seqfabd: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
