//! The fault campaign's sample (the full one is `seqfab-sim campaign --schedules 1000`):
//! every schedule clean, and a printed command line reproduces its schedule exactly.

use std::process::Command;

fn sim(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_seqfab-sim"))
        .args(args)
        .output()
        .expect("seqfab-sim runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_sample_campaign_is_clean_and_its_commands_reproduce_it() {
    let (ok, json) = sim(&[
        "campaign",
        "--schedules",
        "6",
        "--seed",
        "3",
        "--requests-per-schedule",
        "3000",
        "--jobs",
        "2",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON report");
    let outcomes = report["outcomes"].as_array().expect("outcomes");
    assert_eq!(outcomes.len(), 6);
    assert!(ok, "violations in the sample: {json}");
    // The same seed draws the same schedules.
    let (_, again) = sim(&[
        "campaign",
        "--schedules",
        "2",
        "--seed",
        "3",
        "--requests-per-schedule",
        "3000",
        "--json",
    ]);
    let again: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(again["outcomes"][1]["command"], outcomes[1]["command"]);
    // Schedule 1's command line, run by hand, gives the same run.
    let cmd = outcomes[1]["command"].as_str().unwrap();
    let words: Vec<String> = cmd
        .split_whitespace()
        .skip(1)
        .map(|w| w.trim_matches('\'').to_string())
        .collect();
    let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
    args.extend(["--json", "--quiet"]);
    let (_, run) = sim(&args);
    let run: serde_json::Value = serde_json::from_str(&run).expect("run JSON");
    assert_eq!(
        run["requests_completed"], outcomes[1]["requests_completed"],
        "{cmd}"
    );
    assert_eq!(run["failovers"], outcomes[1]["failovers"], "{cmd}");
    assert_eq!(run["cycles"], outcomes[1]["cycles"], "{cmd}");
}
