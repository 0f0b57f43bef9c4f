/// Recursion that needs more than a test thread's 2 MiB completes.
#[test]
fn deep_recursion_fits() {
    fn depth(n: u64) -> u64 {
        let pad = std::hint::black_box([n; 64]);
        if n == 0 {
            0
        } else {
            1 + depth(n - 1) + pad[0] - n
        }
    }
    assert_eq!(super::run(|| depth(40_000)), 40_000);
}
