//! A speed figure (printed, not asserted: timing depends on the machine's load). Run
//! `cargo test -p seqfab-sim --test speed -- --nocapture` to see it, or the longer
//! `cargo run --release -p seqfab-sim --example speed`.

mod common;

#[test]
fn speed_figure() {
    let figures = common::speed::measure(2_000_000, 5_000);
    common::speed::print(&figures);
    assert!(figures.iter().all(|f| f.2 > 0.0));
}
