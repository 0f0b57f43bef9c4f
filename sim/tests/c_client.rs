//! The C ABI end to end: `examples/c/numbers.c` compiled with the system C compiler
//! against `userlib/include/seqfab.h` and the library cargo builds (statically linked
//! `libseqfab.a` and shared `libseqfab.so`), run as two processes at once against
//! `seqfab-sim serve --manager` (card 0 as node 0, card 2 as node 2). Each must print
//! the count it was asked for, strictly increasing; together they must never repeat a
//! number. Also: a failure reported through `seqfab_strerror` and `seqfab_last_error`,
//! and `SEQFAB_RESULT_NOT_CONFIGURED` retried until the roles are set late (no manager).
//!
//! The library is built by running cargo from the test (`cargo build -p seqfab` with
//! this build's target directory and profile: cargo's lock is free while tests run, and
//! cargo decides what is stale, so the test always links the library of this source
//! tree, not an old artifact). A missing C compiler fails the test with the install
//! command (STYLE.md point 3).

#[path = "common/serve.rs"]
mod harness;

use harness::Serve;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("sim/ is in the workspace")
        .to_path_buf()
}

/// Where this build's artifacts are: `target/<profile>` (or `target/<triple>/<profile>`),
/// the folder cargo put `seqfab-sim` in.
struct Build {
    artifacts: PathBuf,
    target_dir: PathBuf,
    profile: String,
    triple: Option<String>,
}

fn this_build() -> Build {
    let artifacts = Path::new(env!("CARGO_BIN_EXE_seqfab-sim"))
        .parent()
        .expect("seqfab-sim is in a folder")
        .to_path_buf();
    let dir_name = artifacts.file_name().unwrap().to_string_lossy().to_string();
    // Cargo's folder names: `debug` is the dev (and test) profile, `release` release,
    // any other the custom profile of that name.
    let profile = match dir_name.as_str() {
        "debug" => "dev".to_string(),
        other => other.to_string(),
    };
    let up = artifacts.parent().unwrap();
    let (target_dir, triple) = if up.join("CACHEDIR.TAG").exists() {
        (up.to_path_buf(), None)
    } else {
        // `target/<triple>/<profile>` when the build was for an explicit --target.
        let triple = up.file_name().unwrap().to_string_lossy().to_string();
        (up.parent().unwrap().to_path_buf(), Some(triple))
    };
    Build {
        artifacts,
        target_dir,
        profile,
        triple,
    }
}

/// Builds `libseqfab.a` and `libseqfab.so` (once per test process) and returns the
/// folder they are in.
fn seqfab_library() -> &'static Path {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let b = this_build();
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .current_dir(workspace())
            .args(["build", "-p", "seqfab", "--lib", "--profile", &b.profile])
            .arg("--target-dir")
            .arg(&b.target_dir);
        if let Some(t) = &b.triple {
            cargo.args(["--target", t]);
        }
        let out = cargo.output().expect("cargo runs");
        assert!(
            out.status.success(),
            "`cargo build -p seqfab` failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for lib in ["libseqfab.a", "libseqfab.so"] {
            assert!(
                b.artifacts.join(lib).exists(),
                "cargo built no {lib} in {} (is crate-type still rlib + staticlib + cdylib?)",
                b.artifacts.display()
            );
        }
        // The shared library's SONAME is libseqfab.so.0 (userlib/build.rs): the name a
        // program linked with it loads, as an installed library would provide it.
        let soname = b.artifacts.join("libseqfab.so.0");
        let _ = std::fs::remove_file(&soname);
        std::os::unix::fs::symlink("libseqfab.so", &soname).expect("libseqfab.so.0 link");
        b.artifacts
    })
}

/// The system libraries the static library needs: `static_libs` of the pkg-config
/// template, so that list is what this test links with.
fn static_libs() -> Vec<String> {
    let pc = workspace().join("userlib/seqfab.pc.in");
    let text = std::fs::read_to_string(&pc).expect("userlib/seqfab.pc.in");
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("static_libs="))
        .expect("seqfab.pc.in defines static_libs=");
    line.split_whitespace().map(str::to_string).collect()
}

fn c_compiler() -> String {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    match Command::new(&cc).arg("--version").output() {
        Ok(o) if o.status.success() => cc,
        _ => panic!(
            "no C compiler (`{cc}`): this test compiles examples/c/numbers.c. Install one \
             with `apt-get install gcc` (or set CC)."
        ),
    }
}

enum Link {
    Static,
    Shared,
}

/// Compiles `examples/c/numbers.c` into `dir`, strict warnings as errors (the header
/// must compile cleanly in a C11 program).
fn compile_numbers(dir: &Path, link: Link) -> PathBuf {
    let lib = seqfab_library();
    let name = match link {
        Link::Static => "numbers-static",
        Link::Shared => "numbers-shared",
    };
    let exe = dir.join(name);
    let mut cc = Command::new(c_compiler());
    cc.args([
        "-std=c11",
        "-O2",
        "-Wall",
        "-Wextra",
        "-pedantic",
        "-Werror",
    ])
    .arg("-I")
    .arg(workspace().join("userlib/include"))
    .arg("-o")
    .arg(&exe)
    .arg(workspace().join("examples/c/numbers.c"));
    match link {
        Link::Static => {
            cc.arg(lib.join("libseqfab.a")).args(static_libs());
        }
        Link::Shared => {
            cc.arg("-L")
                .arg(lib)
                .arg("-lseqfab")
                .arg(format!("-Wl,-rpath,{}", lib.display()));
        }
    }
    let out = cc.output().expect("the C compiler runs");
    assert!(
        out.status.success(),
        "compiling examples/c/numbers.c ({name}) failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

struct Run {
    name: String,
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

fn start(exe: &Path, dir: &Path, name: &str, args: &[&str]) -> Run {
    let stdout = dir.join(format!("{name}.out"));
    let stderr = dir.join(format!("{name}.err"));
    let child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("numbers starts");
    Run {
        name: name.into(),
        child,
        stdout,
        stderr,
    }
}

/// Waits for the run (killing it past `limit`): exit code, stdout, stderr.
fn finish(mut r: Run, limit: Duration) -> (Option<i32>, String, String) {
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = r.child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() >= deadline {
            let _ = r.child.kill();
            let _ = r.child.wait();
            panic!(
                "{} did not finish within {limit:?}; stderr:\n{}",
                r.name,
                std::fs::read_to_string(&r.stderr).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = std::fs::read_to_string(&r.stdout).unwrap_or_default();
    let err = std::fs::read_to_string(&r.stderr).unwrap_or_default();
    (status.code(), out, err)
}

/// The numbers a successful run printed, checked: `count` of them, strictly increasing.
fn numbers_of(
    name: &str,
    (code, out, err): (Option<i32>, String, String),
    count: usize,
) -> Vec<u64> {
    assert_eq!(code, Some(0), "{name} failed ({code:?}); stderr:\n{err}");
    let numbers: Vec<u64> = out
        .lines()
        .map(|l| {
            l.parse()
                .unwrap_or_else(|_| panic!("{name} printed {l:?}, not a number"))
        })
        .collect();
    assert_eq!(numbers.len(), count, "{name}: wrong count; stderr:\n{err}");
    for w in numbers.windows(2) {
        assert!(w[1] > w[0], "{name}: {} after {}", w[1], w[0]);
    }
    assert!(
        err.contains("strictly increasing"),
        "{name}: stderr:\n{err}"
    );
    numbers
}

#[test]
fn c_programs_take_numbers_from_two_cards_at_once_static_and_shared() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let fixed = compile_numbers(dir.path(), Link::Static);
    let shared = compile_numbers(dir.path(), Link::Shared);
    let s = Serve::start(3, &["--manager"]);
    let count = 300;
    let card0 = s.card(0);
    let card2 = s.card(2);
    let n = count.to_string();
    // Started right after the server: the first requests may find the cards not yet
    // configured (the program retries NOT_CONFIGURED).
    let a = start(
        &fixed,
        dir.path(),
        "static-card0",
        &[card0.to_str().unwrap(), "0", &n],
    );
    let b = start(
        &shared,
        dir.path(),
        "shared-card2",
        &[card2.to_str().unwrap(), "2", &n],
    );
    let limit = Duration::from_secs(120);
    let ra = finish(a, limit);
    let rb = finish(b, limit);
    let from0 = numbers_of("numbers (static) on card 0", ra, count);
    let from2 = numbers_of("numbers (shared) on card 2", rb, count);
    let mut seen = HashSet::new();
    for n in from0.iter().chain(&from2) {
        assert!(
            seen.insert(*n),
            "{n} was handed out twice; serve log:\n{}",
            s.log()
        );
    }
}

#[test]
fn a_c_program_reports_errors_with_strerror_and_the_last_error() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let exe = compile_numbers(dir.path(), Link::Static);
    let missing = dir.path().join("card9.sock");
    let r = start(
        &exe,
        dir.path(),
        "missing",
        &[missing.to_str().unwrap(), "0", "5"],
    );
    let (code, out, err) = finish(r, Duration::from_secs(30));
    assert_eq!(code, Some(1), "stderr:\n{err}");
    assert!(out.is_empty());
    // seqfab_strerror's static name of SEQFAB_RESULT_DRIVER, then the detail.
    assert!(
        err.contains("seqfab_open: opening or driving the card failed (code 8)"),
        "{err}"
    );
    assert!(err.contains(missing.to_str().unwrap()), "{err}");

    let r = start(&exe, dir.path(), "usage", &[]);
    let (code, _, err) = finish(r, Duration::from_secs(30));
    assert_eq!(code, Some(2));
    assert!(
        err.contains(concat!("seqfab ", env!("CARGO_PKG_VERSION"))),
        "{err}"
    );
}

#[test]
fn a_c_program_retries_not_configured_until_the_roles_are_set() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let exe = compile_numbers(dir.path(), Link::Static);
    // No manager: the cards stay unconfigured until this test configures them.
    let s = Serve::start(3, &[]);
    let card0 = s.card(0);
    let mut r = start(
        &exe,
        dir.path(),
        "unconfigured",
        &[card0.to_str().unwrap(), "0", "50"],
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        r.child.try_wait().expect("wait").is_none(),
        "numbers should still be retrying NOT_CONFIGURED; stderr:\n{}",
        std::fs::read_to_string(&r.stderr).unwrap_or_default()
    );
    // Set the roles through card 1's management window, as the manager would (card 2
    // is brought up too: a card acknowledges a CONFIG once its host brought it up).
    let via = harness::bring_up(&s.card(1), 1);
    let _card2 = harness::bring_up(&s.card(2), 2);
    harness::configure(&via, 3);
    let (code, out, err) = finish(r, Duration::from_secs(60));
    numbers_of("numbers (configured late)", (code, out, err.clone()), 50);
    let retries: u64 = err
        .split(" not-configured retries")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no retry count in stderr:\n{err}"));
    assert!(retries > 0, "{err}");
}
