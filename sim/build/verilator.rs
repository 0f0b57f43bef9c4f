//! Runs Verilator, make and ar for `build.rs` (see its doc).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::codegen::{self, HeaderPort, ModelPorts};
use seqfab_gateware::verilog_ports::{self, Dir};

const INSTALL: &str = "install it with `apt-get install -y verilator g++ make`";

/// Runtime objects every model needs; `verilated_vcd_c.o` is added with tracing.
/// Verilator 5's `verilated.o` refers to its thread pool even for single-threaded models,
/// so `verilated_threads.o` is always linked.
const RUNTIME: [&str; 2] = ["verilated.o", "verilated_threads.o"];

pub fn build_all(out: &Path, models: &[(&'static str, String)], trace: bool) -> Result<(), String> {
    check_tool("verilator", &["--version"])?;
    check_tool("make", &["--version"])?;
    let lib_dir = out.join("lib");
    clear_dir(&lib_dir)?;
    let mut names: Vec<&str> = Vec::new();
    let mut rust_models = String::new();
    let mut rust_ffi = String::new();
    for (i, (name, verilog)) in models.iter().enumerate() {
        check_name(name, &names)?;
        names.push(name);
        let ports = build_model(out, &lib_dir, name, verilog, trace, i == 0)?;
        rust_models.push_str(&codegen::rust_model(&ports));
        rust_ffi.push_str(&codegen::rust_ffi(&ports));
    }
    write(&out.join("models.rs"), &rust_models)?;
    write(&out.join("ffi_models.rs"), &rust_ffi)?;
    println!("cargo:rustc-link-search=native={}", lib_dir.display());
    for name in &names {
        println!("cargo:rustc-link-lib=static=seqfab_vm_{name}");
    }
    println!("cargo:rustc-link-lib=static=seqfab_verilated");
    println!("cargo:rustc-link-lib=dylib=stdc++");
    println!("cargo:rustc-link-lib=dylib=pthread");
    Ok(())
}

/// Verilates one model, compiles it with its shim, and archives it into
/// `lib/libseqfab_vm_<name>.a` (and the runtime into `lib/libseqfab_verilated.a` when
/// `with_runtime`).
fn build_model(
    out: &Path,
    lib_dir: &Path,
    name: &str,
    verilog: &str,
    trace: bool,
    with_runtime: bool,
) -> Result<ModelPorts, String> {
    let dir = out.join(name);
    let obj = dir.join("obj_dir");
    // make decides from file times, not from flags: a stale object built without
    // `--trace` (or from other Verilog) would be reused. Start from nothing.
    clear_dir(&obj)?;
    let top_v = dir.join("top.v");
    write(&top_v, verilog)?;
    let vports = verilog_ports::parse_module_ports(verilog, "top")
        .map_err(|e| format!("model `{name}`: {e}"))?;

    let prefix = format!("V{name}");
    let mut cmd = Command::new("verilator");
    cmd.args([
        "--cc",
        "-O3",
        "--x-assign",
        "fast",
        "--x-initial",
        "fast",
        "--noassert",
        // Lint is enforced by the gateware's own tests (`seqfab_gateware::lint`); here
        // only warnings that matter for simulation (e.g. UNOPTFLAT) are shown, and none
        // stops the build.
        "-Wno-fatal",
        "-Wno-lint",
        "-Wno-style",
        "--top-module",
        "top",
        "--prefix",
        &prefix,
        "-CFLAGS",
        "-fPIC",
    ]);
    if trace {
        cmd.arg("--trace");
    }
    cmd.arg("-Mdir").arg(&obj).arg(&top_v);
    let output = run(&mut cmd, "verilator")?;
    for line in String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| l.starts_with("%Warning"))
        .take(20)
    {
        println!("cargo:warning=model `{name}`: {line}");
    }

    let header_path = obj.join(format!("{prefix}.h"));
    let header = fs::read_to_string(&header_path)
        .map_err(|e| format!("reading {}: {e}", header_path.display()))?;
    let hports = parse_header(&header);
    let ports = codegen::match_ports(name, &vports, &hports)?;
    write(&obj.join("seqfab_shim.cpp"), &codegen::cpp_shim(&ports))?;

    let jobs = std::env::var("NUM_JOBS").unwrap_or_else(|_| "1".into());
    let mut make = Command::new("make");
    make.arg("-C")
        .arg(&obj)
        .arg("-f")
        .arg(format!("{prefix}.mk"))
        .arg(format!("-j{jobs}"))
        // Verilator's default is -Os; -O3 is ~1.6x faster for the models (TOOLCHAIN.md).
        .arg("OPT_FAST=-O3")
        .arg("OPT_GLOBAL=-O3")
        .arg(format!("{prefix}__ALL.a"))
        .arg("seqfab_shim.o");
    let mut runtime: Vec<&str> = RUNTIME.to_vec();
    if trace {
        runtime.push("verilated_vcd_c.o");
    }
    if with_runtime {
        make.args(&runtime);
    }
    run(&mut make, "make")?;

    let model_lib = lib_dir.join(format!("libseqfab_vm_{name}.a"));
    fs::copy(obj.join(format!("{prefix}__ALL.a")), &model_lib)
        .map_err(|e| format!("copying {prefix}__ALL.a: {e}"))?;
    run(
        Command::new("ar")
            .arg("rs")
            .arg(&model_lib)
            .arg(obj.join("seqfab_shim.o")),
        "ar",
    )?;
    if with_runtime {
        let mut ar = Command::new("ar");
        ar.arg("rcs").arg(lib_dir.join("libseqfab_verilated.a"));
        for o in &runtime {
            ar.arg(obj.join(o));
        }
        run(&mut ar, "ar")?;
    }
    Ok(ports)
}

/// The ports Verilator declared in `V<prefix>.h`: lines like `VL_INW(&wide_in,255,0,8);`.
fn parse_header(header: &str) -> Vec<HeaderPort> {
    let mut out = Vec::new();
    for line in header.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("VL_") else {
            continue;
        };
        let Some((kind, args)) = rest.split_once('(') else {
            continue;
        };
        if !(kind.starts_with("IN") || kind.starts_with("OUT")) {
            continue;
        }
        let args: Vec<&str> = args
            .trim_end_matches(';')
            .trim_end_matches(')')
            .split(',')
            .map(str::trim)
            .collect();
        if args.len() < 3 {
            continue;
        }
        let (Ok(msb), Ok(lsb)) = (args[1].parse::<u32>(), args[2].parse::<u32>()) else {
            continue;
        };
        let cpp_name = args[0].trim_start_matches('&').to_string();
        out.push(HeaderPort {
            verilog_name: verilog_ports::verilator_decode(&cpp_name),
            cpp_name,
            dir: if kind.starts_with("IN") {
                Dir::In
            } else {
                Dir::Out
            },
            width: msb.abs_diff(lsb) + 1,
            wide: kind.ends_with('W'),
        });
    }
    out
}

fn check_name(name: &str, seen: &[&str]) -> Result<(), String> {
    let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(format!(
            "model name `{name}` must be lower-case letters, digits and `_`, starting with a letter"
        ));
    }
    if seen.contains(&name) {
        return Err(format!("model name `{name}` is used twice"));
    }
    Ok(())
}

fn check_tool(tool: &str, args: &[&str]) -> Result<(), String> {
    match Command::new(tool).args(args).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "`{tool} {}` failed ({}); {INSTALL}",
            args.join(" "),
            o.status
        )),
        Err(e) => Err(format!("`{tool}` cannot be run ({e}); {INSTALL}")),
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<std::process::Output, String> {
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run {what} ({e}); {INSTALL}"))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{what} failed ({}): {:?}\n--- stdout\n{}\n--- stderr\n{}",
            output.status,
            cmd,
            tail(&output.stdout),
            tail(&output.stderr)
        ))
    }
}

/// The last 60 lines of a tool's output, enough to show the error.
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

fn clear_dir(dir: &PathBuf) -> Result<(), String> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| format!("removing {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}
