//! Runs deep recursions (rust-hdl's Verilog generation and connection checks) on a thread
//! with a large stack.
//!
//! rust-hdl walks the block tree recursively, several frames per level and per signal.
//! The card core inside a board top is deep enough to overflow the 2 MiB stack Rust gives
//! test threads (the main thread has 8 MiB), so every caller that generates a whole card
//! goes through [`run`] instead of relying on which thread it happens to be on.

/// Stack for the generation thread: far above what the card core needs (about 3 MiB
/// measured), and only reserved address space until touched.
pub const STACK_BYTES: usize = 256 << 20;

/// Runs `f` on a thread with [`STACK_BYTES`] of stack and returns its result; a panic in
/// `f` is resumed on the caller's thread.
pub fn run<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("rust-hdl-generate".into())
            .stack_size(STACK_BYTES)
            .spawn_scoped(s, f)
            .expect("spawn the generation thread");
        match handle.join() {
            Ok(v) => v,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(test)]
mod tests;
