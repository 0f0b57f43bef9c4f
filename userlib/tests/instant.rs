//! The request function against the driver's instant card (an in-process card that
//! answers at once, or late, or never, on request): numbers, threads, the pipelined API,
//! and every branch of the wait policy.

use seqfab::{Error, Sequencer, QUEUE_DEPTH};
use seqfab_driver::instant::{Answer, InstantCard};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn open(dev: &Arc<InstantCard>, spin: Duration, timeout: Duration) -> Sequencer {
    Sequencer::builder()
        .backend(Box::new(dev.clone()), 0)
        .spin(spin)
        .timeout(timeout)
        .open()
        .unwrap()
}

#[test]
fn numbers_strictly_increase_one_by_one_and_in_batches() {
    let dev = Arc::new(InstantCard::new());
    let seq = open(&dev, Duration::from_micros(20), Duration::from_secs(1));
    let mut last = None;
    for i in 0..5000u32 {
        let r = if i % 3 == 0 {
            let n = seq.next().unwrap();
            n..n + 1
        } else {
            seq.next_batch(1 + i % 64).unwrap()
        };
        assert_eq!(
            r.end - r.start,
            if i % 3 == 0 { 1 } else { 1 + i as u64 % 64 }
        );
        if let Some(l) = last {
            assert!(r.start >= l, "{r:?} after {l}");
        }
        last = Some(r.end);
    }
    assert_eq!(dev.counter(), last.unwrap());
    assert!(matches!(seq.next_batch(0), Err(Error::BadArgument(_))));
    assert!(matches!(
        seq.next_batch(1 << 24),
        Err(Error::BadArgument(_))
    ));
}

#[test]
fn threads_share_one_sequencer_without_duplicates() {
    let dev = Arc::new(InstantCard::new());
    let seq = open(&dev, Duration::from_micros(20), Duration::from_secs(5));
    let per_thread = 20_000;
    let all: Vec<Vec<u64>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let mut slowest = Duration::ZERO;
                    let v = (0..per_thread)
                        .map(|_| {
                            let t = Instant::now();
                            let n = seq.next().unwrap();
                            slowest = slowest.max(t.elapsed());
                            n
                        })
                        .collect::<Vec<u64>>();
                    // An answer handed over by another thread to a sleeping owner must
                    // wake it: a lost wake-up shows as a call that took the whole
                    // 5 s timeout (and still succeeded).
                    assert!(
                        slowest < Duration::from_millis(2500),
                        "a call took {slowest:?}"
                    );
                    v
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for v in &all {
        assert!(v.windows(2).all(|w| w[0] < w[1]), "a thread went backwards");
    }
    let mut flat: Vec<u64> = all.into_iter().flatten().collect();
    flat.sort_unstable();
    let n = flat.len();
    flat.dedup();
    assert_eq!(flat.len(), n, "a number was delivered twice");
    assert_eq!(n, 8 * per_thread);
    assert_eq!(seq.stats().strays, 0);
}

#[test]
fn threads_crowding_the_queues_mix_fast_and_shared_claims_without_duplicates() {
    // Four threads per queue: fast claims meet each other and the shared protocol (a
    // claim that finds the bit set, an owner whose first look misses because another
    // thread's request landed first), and a thread preempted inside its fast claim.
    let dev = Arc::new(InstantCard::new());
    let seq = open(&dev, Duration::from_micros(20), Duration::from_secs(5));
    let per_thread = 20_000;
    let all: Vec<Vec<u64>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..16)
            .map(|k| {
                let seq = &seq;
                s.spawn(move || {
                    (0..per_thread)
                        .map(|i| {
                            if (i + k) % 7 == 0 {
                                seq.next_batch(3).unwrap().start
                            } else {
                                seq.next().unwrap()
                            }
                        })
                        .collect::<Vec<u64>>()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for v in &all {
        assert!(v.windows(2).all(|w| w[0] < w[1]), "a thread went backwards");
    }
    let mut flat: Vec<u64> = all.into_iter().flatten().collect();
    flat.sort_unstable();
    let n = flat.len();
    flat.dedup();
    assert_eq!(flat.len(), n, "a number was delivered twice");
    assert_eq!(seq.stats().strays, 0);
    assert_eq!(seq.outstanding(), 0);
}

#[test]
fn the_pipelined_api_keeps_up_to_the_queue_depth_outstanding() {
    let dev = Arc::new(InstantCard::new());
    dev.set_answer(Answer::Hold);
    let seq = open(&dev, Duration::from_micros(20), Duration::from_secs(2));
    let mut tickets = Vec::new();
    for k in 0..4 * QUEUE_DEPTH {
        tickets.push(seq.submit(1 + (k % 7) as u32).unwrap());
    }
    assert!(matches!(seq.submit(1), Err(Error::QueueFull { .. })));
    assert_eq!(seq.outstanding(), 4 * QUEUE_DEPTH);
    let mut first = seq.submit(1).err();
    assert!(first.take().is_some());
    for t in &mut tickets {
        assert_eq!(seq.poll(t).unwrap(), None, "held: not answered yet");
    }
    dev.release();
    // Waited for in reverse: each finds its own range by tag.
    let mut ranges: Vec<_> = tickets
        .into_iter()
        .rev()
        .map(|t| seq.wait(t).unwrap())
        .collect();
    ranges.sort_by_key(|r| r.start);
    for w in ranges.windows(2) {
        assert_eq!(w[0].end, w[1].start, "contiguous and disjoint");
    }
    assert_eq!(seq.outstanding(), 0);
    // A dropped ticket gives its request up, and its cell comes back.
    dev.set_answer(Answer::Hold);
    drop(seq.submit(5).unwrap());
    dev.release();
    for _ in 0..2 * QUEUE_DEPTH {
        let t = seq.submit(1).unwrap();
        dev.release();
        seq.wait(t).unwrap();
    }
}

fn thread_cpu() -> Duration {
    let u = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_THREAD).unwrap();
    let t =
        |tv: nix::sys::time::TimeVal| Duration::new(tv.tv_sec() as u64, tv.tv_usec() as u32 * 1000);
    t(u.user_time()) + t(u.system_time())
}

#[test]
fn a_caller_without_an_answer_sleeps_wakes_on_the_interrupt_and_times_out() {
    let dev = Arc::new(InstantCard::new());
    dev.set_answer(Answer::Hold);
    let seq = open(&dev, Duration::from_micros(20), Duration::from_secs(10));
    let held = 400;
    let (value, cpu, waited) = std::thread::scope(|s| {
        let h = s.spawn(|| {
            let (c0, t0) = (thread_cpu(), Instant::now());
            let v = seq.next().unwrap();
            (v, thread_cpu() - c0, t0.elapsed())
        });
        while dev.held() == 0 {
            std::thread::yield_now();
        }
        std::thread::sleep(Duration::from_millis(held));
        dev.release();
        h.join().unwrap()
    });
    assert_eq!(value, 0);
    assert!(waited >= Duration::from_millis(held), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "woke late: {waited:?}");
    assert!(
        cpu < Duration::from_millis(held / 4),
        "the waiting thread burned {cpu:?} of CPU in {waited:?}: it did not sleep"
    );
    let st = seq.stats();
    assert!(st.sleeps >= 1 && st.wakeups >= 1, "{st:?}");
    assert_eq!(dev.irqs_raised(), 1);

    // No answer at all: Timeout after the policy's timeout, not much later.
    dev.set_answer(Answer::Never);
    let seq = open(&dev, Duration::from_micros(20), Duration::from_millis(300));
    let t0 = Instant::now();
    match seq.next() {
        Err(Error::Timeout { .. }) => {}
        other => panic!("{other:?}"),
    }
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert_eq!(seq.stats().timeouts, 1);
}

#[test]
fn an_answer_landing_between_the_last_check_and_the_arm_costs_no_timeout() {
    let dev = Arc::new(InstantCard::new());
    // The completion lands exactly when the interrupt is armed, and raises none.
    dev.set_answer(Answer::OnArm);
    let seq = open(&dev, Duration::ZERO, Duration::from_secs(10));
    let t0 = Instant::now();
    let v = seq.next().unwrap();
    assert_eq!(v, 0);
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "slept into the timeout: {:?}",
        t0.elapsed()
    );
    assert_eq!(dev.irqs_raised(), 0, "the race: no interrupt came");
    assert_eq!(seq.stats().rechecks_hit, 1);
}

#[test]
fn a_host_with_two_cards_moves_to_the_second_when_the_first_stops_answering() {
    let a = Arc::new(InstantCard::new());
    let b = Arc::new(InstantCard::new());
    let seq = Sequencer::builder()
        .backend(Box::new(a.clone()), 0)
        .backend(Box::new(b.clone()), 0)
        .timeout(Duration::from_millis(200))
        .open()
        .unwrap();
    assert_eq!(seq.next().unwrap(), 0);
    assert_eq!(seq.active_card(), 0);
    a.set_answer(Answer::Never);
    let v = seq.next().unwrap();
    assert_eq!(v, 0, "the second card's first number");
    assert_eq!(seq.active_card(), 1);
    assert_eq!(seq.stats().card_switches, 1);
    assert_eq!(seq.next().unwrap(), 1);
    // Both silent: a typed timeout.
    b.set_answer(Answer::Never);
    assert!(matches!(seq.next(), Err(Error::Timeout { .. })));
}

#[test]
fn a_reached_limit_is_its_own_error() {
    let dev = Arc::new(InstantCard::new());
    dev.set_limit(10);
    let seq = open(&dev, Duration::from_micros(20), Duration::from_secs(1));
    assert_eq!(seq.next_batch(10).unwrap(), 0..10);
    assert!(matches!(seq.next(), Err(Error::LimitReached)));
}
