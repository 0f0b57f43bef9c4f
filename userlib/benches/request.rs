//! The request function's cost, printed (not asserted): `cargo bench -p seqfab`.
//!
//! 1. CPU cost per `next()` against the driver's instant card (an in-process card whose
//!    doorbell writes the completion at once): what the library itself costs, the
//!    doorbell and ring protocol included, and the instant card's own handling of the
//!    doorbell (it runs inside the doorbell store, on the caller's thread). Printed as
//!    wall time and as the thread's CPU time (`getrusage`), which leaves out time the
//!    thread spent preempted on a shared machine. Target <= 25 ns of CPU.
//! 2. `next_batch(64)`, per number. Target <= 2 ns.
//! 3. The same with 4 threads sharing one `Sequencer`.
//! 4. Requests per second through `seqfab-sim serve` (4 simulated cards under
//!    Verilator, the manager on) for 1 and 4 application processes. Needs
//!    `target/release/seqfab-sim`: `cargo build --release -p seqfab-sim` first; skipped
//!    with a note otherwise.

use seqfab::Sequencer;
use seqfab_driver::instant::InstantCard;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn instant() -> Sequencer {
    Sequencer::builder()
        .backend(Box::new(Arc::new(InstantCard::new())), 0)
        .open()
        .expect("instant card")
}

/// This thread's CPU time so far (user + system, `getrusage(RUSAGE_THREAD)`).
fn thread_cpu() -> Duration {
    let Ok(u) = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_THREAD) else {
        return Duration::ZERO;
    };
    let t =
        |tv: nix::sys::time::TimeVal| Duration::new(tv.tv_sec() as u64, tv.tv_usec() as u32 * 1000);
    t(u.user_time()) + t(u.system_time())
}

/// Nanoseconds per operation of `f` doing `ops` operations on this thread: wall time,
/// and this thread's CPU time (which leaves out the time it was preempted by other
/// work on a shared machine: the figure the target is stated in).
fn per_op(ops: u64, f: impl FnOnce()) -> (f64, f64) {
    let (t, c) = (Instant::now(), thread_cpu());
    f();
    let wall = t.elapsed().as_nanos() as f64 / ops as f64;
    let cpu = (thread_cpu() - c).as_nanos() as f64 / ops as f64;
    (wall, cpu)
}

fn threads(seq: &Sequencer, n: usize, per: u64) -> f64 {
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..n {
            s.spawn(|| {
                for _ in 0..per {
                    std::hint::black_box(seq.next().expect("number"));
                }
            });
        }
    });
    t.elapsed().as_nanos() as f64 / per as f64
}

/// As a child: open the card in `SEQFAB_BENCH_CARD`, take numbers for the given
/// seconds, print how many.
fn child(card: &str, node: u8, secs: f64) {
    let seq = Sequencer::builder()
        .card(card.parse().expect("target"), node)
        .timeout(Duration::from_secs(5))
        .open()
        .expect("open");
    let deadline = Instant::now() + Duration::from_secs(60);
    while seq.next().is_err() {
        assert!(Instant::now() < deadline, "never configured");
        std::thread::sleep(Duration::from_millis(20));
    }
    let t = Instant::now();
    let mut n = 0u64;
    while t.elapsed().as_secs_f64() < secs {
        seq.next().expect("number");
        n += 1;
    }
    println!("done {n} {}", t.elapsed().as_secs_f64());
}

fn serve_rate(sim: &PathBuf, processes: usize) -> Result<f64, String> {
    let dir = std::env::temp_dir().join(format!("seqfab-bench-{}-{processes}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut server = Command::new(sim)
        .args(["serve", "--nodes", "4", "--manager", "--dir"])
        .arg(&dir)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    while !(0..4).all(|n| dir.join(format!("card{n}.sock")).exists()) {
        if t0.elapsed() > Duration::from_secs(30) {
            let _ = server.kill();
            return Err("serve did not start".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let kids: Vec<_> = (0..processes)
        .map(|k| {
            Command::new(&exe)
                .env("SEQFAB_BENCH_CARD", dir.join(format!("card{k}.sock")))
                .env("SEQFAB_BENCH_NODE", k.to_string())
                .stdout(Stdio::piped())
                .spawn()
                .expect("child")
        })
        .collect();
    let mut total = 0.0;
    for k in kids {
        let out = k.wait_with_output().map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find(|l| l.starts_with("done "))
            .ok_or("a child failed")?;
        let f: Vec<f64> = line[5..]
            .split(' ')
            .map(|x| x.parse().unwrap_or(0.0))
            .collect();
        total += f[0] / f[1];
    }
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(total)
}

fn main() {
    if let Ok(card) = std::env::var("SEQFAB_BENCH_CARD") {
        let node = std::env::var("SEQFAB_BENCH_NODE")
            .unwrap_or_default()
            .parse()
            .unwrap_or(0);
        return child(&card, node, 3.0);
    }
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for the list
    }
    println!("seqfab request function (cargo bench -p seqfab):");
    let seq = instant();
    for _ in 0..100_000 {
        seq.next().unwrap();
    }
    let n: u64 = std::env::var("SEQFAB_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000);
    let (ns, cpu) = per_op(n, || {
        for _ in 0..n {
            std::hint::black_box(seq.next().unwrap());
        }
    });
    println!(
        "  next(), instant card, 1 thread:        {ns:6.1} ns per call, {cpu:5.1} ns of CPU (target <= 25)"
    );
    if std::env::var_os("SEQFAB_BENCH_CALLS").is_some() {
        return; // a profiling run of the single-thread figure only
    }
    let b = 500_000;
    let (ns, cpu) = per_op(b * 64, || {
        for _ in 0..b {
            std::hint::black_box(seq.next_batch(64).unwrap());
        }
    });
    println!(
        "  next_batch(64), instant card:          {ns:6.2} ns per number, {cpu:5.2} ns of CPU (target <= 2)"
    );
    let per = 500_000;
    let ns = threads(&seq, 4, per);
    println!(
        "  next(), instant card, 4 threads:       {ns:6.1} ns per call per thread ({:.1} M calls/s together)",
        4.0 * 1e3 / ns
    );
    let st = seq.stats();
    println!(
        "  (wait policy: {} answered while spinning, {} sleeps)",
        st.completed_spinning, st.sleeps
    );
    if std::env::args().any(|a| a == "instant") {
        return; // `cargo bench -p seqfab -- instant`: the instant-card figures only
    }
    let sim = std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.parent()?.join("seqfab-sim")))
        .filter(|p| p.exists());
    match sim {
        None => println!(
            "  through seqfab-sim serve: skipped (build it first: cargo build --release -p seqfab-sim)"
        ),
        Some(sim) => {
            for p in [1, 4] {
                match serve_rate(&sim, p) {
                    Ok(r) => println!(
                        "  through seqfab-sim serve (4 cards, Verilator), {p} process(es): {r:8.0} requests/s"
                    ),
                    Err(e) => println!("  through seqfab-sim serve, {p} process(es): failed: {e}"),
                }
            }
        }
    }
}
