//! `seqfabd`: the seqfab host agent.

use anyhow::{Context, Result};
use clap::Parser;
use seqfabd::agent::{run, AgentOptions};
use seqfabd::manager::ManagerOptions;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "seqfabd",
    about = "The seqfab host agent: owns this host's card, grants its queues to local processes over a UNIX socket, serves the card's state and metrics over TCP, and can be the cluster's manager."
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
    /// TCP address of this host's RPC and Prometheus metrics (`/metrics`), e.g.
    /// 127.0.0.1:7300 (port 0: any free port).
    #[arg(long)]
    rpc: Option<std::net::SocketAddr>,
    /// File holding the token operator commands must carry (without it, only loopback
    /// callers may send commands).
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Be a manager candidate, with this durable store: file:PATH (one manager host) or
    /// etcd:http://H:P[,http://H:P...] (candidates on several hosts elect one).
    #[arg(long, value_name = "STORE", requires_all = ["peers", "rpc"])]
    manager: Option<String>,
    /// Every host's RPC address in node order, this one's included (the cluster the
    /// manager manages): 127.0.0.1:7300,127.0.0.1:7301,...
    #[arg(long, value_delimiter = ',')]
    peers: Vec<String>,
    /// Milliseconds between the manager's polls of every card.
    #[arg(long, default_value_t = 20)]
    poll_ms: u64,
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
        rpc: a.rpc,
        token: a
            .token_file
            .as_ref()
            .map(|f| {
                std::fs::read_to_string(f)
                    .map(|t| t.trim().to_string())
                    .with_context(|| format!("reading --token-file {}", f.display()))
            })
            .transpose()?,
        manager: match &a.manager {
            None => None,
            Some(spec) => {
                let store = spec
                    .parse()
                    .map_err(|e: String| anyhow::anyhow!("--manager {e}"))?;
                let rpc = a.rpc.context("--manager needs --rpc")?;
                let own = a.peers.get(a.node as usize).with_context(|| {
                    format!(
                        "--peers lists {} hosts, but this is node {}: list every host's RPC address in node order",
                        a.peers.len(),
                        a.node
                    )
                })?;
                if rpc.port() != 0 && !own.ends_with(&format!(":{}", rpc.port())) {
                    anyhow::bail!(
                        "--peers names {own} for node {}, but --rpc is {rpc}",
                        a.node
                    );
                }
                Some(ManagerOptions {
                    store,
                    peers: a.peers.clone(),
                    poll: Duration::from_millis(a.poll_ms.max(1)),
                    advertise: own.clone(),
                })
            }
        },
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
