//! The checker on the real protocol (3 cards exhaustive, 4 bounded) and on each planted
//! bug, which it must catch. Bounds are chosen so that the whole file runs in about a
//! minute on two cores; the longer runs are in modelcheck/README.md.

use seqfab_modelcheck::{check, Params, Report, Search, Variant};

/// The exhaustive 3-card configuration of the tests: one failover (any of the failure
/// table's three), a request with a re-issue, a card death, a duplicate, loss, any
/// order, promotion timeouts / manager restarts; L = 1 tick, D = 1, H from the rule.
fn small(cards: usize, variant: Variant) -> Params {
    let mut p = Params::new(cards, variant);
    p.lease = 1;
    p.hold = Params::hold_rule(p.delay, p.lease);
    p.max_epoch = 2;
    p.requests = 1;
    p.sends = 2;
    p
}

fn show(what: &str, r: &Report) {
    println!(
        "{what}: {} unique states, depth {}, {:.1} s, exhaustive {}",
        r.unique_states, r.max_depth, r.seconds, r.exhaustive
    );
    for f in &r.found {
        println!(
            "  {} {} ({} steps)",
            if f.failure { "VIOLATED" } else { "example" },
            f.property,
            f.steps.len()
        );
        if f.failure {
            for s in &f.steps {
                println!("    {s}");
            }
        }
    }
}

fn assert_holds(r: &Report) {
    assert!(
        r.failures().next().is_none(),
        "a property is violated: {:?}",
        r.failures().collect::<Vec<_>>()
    );
    assert!(
        r.found
            .iter()
            .any(|f| f.property == "a number delivered after a failover"),
        "no number is ever delivered after a failover: the model is vacuous"
    );
}

fn assert_found(r: &Report, properties: &[&str]) {
    let f = r
        .failures()
        .next()
        .expect("the checker must find the planted bug");
    assert!(
        properties.contains(&f.property),
        "found {} rather than one of {properties:?}",
        f.property
    );
}

#[test]
fn hold_rule_in_ticks() {
    // H >= D + h + L + 2 cycles with 1 % drift, in ticks of 1000 cycles.
    assert_eq!(Params::hold_rule(1, 1), 4);
    assert_eq!(Params::hold_rule(1, 3), 6);
    // The model's own threshold is D + L ticks (README): the rule leaves room.
    for (d, l) in [(1u8, 1u8), (1, 3), (2, 2)] {
        assert!(Params::hold_rule(d, l) >= d + l);
    }
}

#[test]
fn correct_three_cards_exhaustive() {
    let r = check(small(3, Variant::Correct), None, Search::Bfs, false);
    show("correct, 3 cards", &r);
    assert!(r.exhaustive);
    assert!(r.unique_states > 1_000_000, "{} states", r.unique_states);
    assert_holds(&r);
}

#[test]
fn correct_four_cards_bounded() {
    let mut p = small(4, Variant::Correct);
    p.requests = 2;
    p.sends = 1;
    let r = check(p, Some(12), Search::Bfs, false);
    show("correct, 4 cards, depth 12", &r);
    assert!(r.unique_states > 1_000_000, "{} states", r.unique_states);
    assert!(r.failures().next().is_none());
}

/// With 3 cards the hold is not what keeps I2 (README, "Why 5 cards"): any epoch that
/// gives a new primary a quorum also moves the old secondary, or the old primary, out of
/// the old epoch. The checker agrees: without the hold nothing is violated.
#[test]
fn no_hold_is_harmless_with_three_cards() {
    let r = check(small(3, Variant::NoHold), None, Search::Bfs, true);
    show("no hold, 3 cards", &r);
    assert!(r.exhaustive);
    assert_holds(&r);
}

#[test]
fn no_hold_caught_with_five_cards() {
    let mut p = Params::new(5, Variant::NoHold);
    p.lease = 1;
    p.max_epoch = 2;
    p.sends = 1;
    p.kills = 0;
    p.dups = 0;
    p.symmetry = true;
    let r = check(p, None, Search::Bfs, true);
    show("no hold, 5 cards", &r);
    assert_found(
        &r,
        &[
            "I2 real-time monotonic",
            "I4 deposed primary delivers nothing after the new epoch",
        ],
    );
}

#[test]
fn deliver_before_store_caught() {
    let r = check(
        small(3, Variant::DeliverBeforeStore),
        None,
        Search::Bfs,
        true,
    );
    show("deliver before store", &r);
    assert_found(&r, &["I3 stored before delivered"]);
}

#[test]
fn no_epoch_fence_caught() {
    let r = check(small(3, Variant::NoEpochFence), None, Search::Bfs, true);
    show("no epoch fence", &r);
    assert_found(&r, &["I4 no frame of another epoch used"]);
}
