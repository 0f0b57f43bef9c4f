//! The checked-in C header is what cbindgen makes of `src/ffi.rs` today (the habit of
//! rustls-ffi and hyper: the header is reviewed as a diff, and CI fails when it is
//! stale). `SEQFAB_BLESS=1 cargo test -p seqfab --test header` rewrites it.

use std::path::Path;

#[test]
fn the_checked_in_header_is_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("userlib/cbindgen.toml: {e}"));
    // The ABI is one file: parse it alone (no `cargo metadata`, no dependency walk).
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/ffi.rs"))
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen could not generate the header: {e}"));
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("cbindgen writes UTF-8");

    let path = dir.join("include/seqfab.h");
    if std::env::var_os("SEQFAB_BLESS").is_some_and(|v| v != "0") {
        std::fs::write(&path, &generated).expect("write include/seqfab.h");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    if checked_in != generated {
        let first = checked_in
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(checked_in.lines().count().min(generated.lines().count()));
        panic!(
            "userlib/include/seqfab.h is stale: it differs from what cbindgen generates from \
             userlib/src/ffi.rs, first at line {}:\n  checked in: {:?}\n  generated:  {:?}\n\
             Run `SEQFAB_BLESS=1 cargo test -p seqfab --test header` to rewrite it, and \
             review the diff.",
            first + 1,
            checked_in.lines().nth(first).unwrap_or("<end of file>"),
            generated.lines().nth(first).unwrap_or("<end of file>"),
        );
    }
}
